// SPDX-License-Identifier: Apache-2.0
// Issue 15 (package L2) through the AWS SDK for JavaScript v3: an IAM user's SQS, SNS and
// EventBridge calls refused, then allowed by a queue policy, a topic policy and a bus policy;
// SNS delivers to a queue only once the queue's policy allows it; the bus policy PutPermission
// writes is the one DescribeEventBus shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, SendMessageCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand, SetTopicAttributesCommand } from "@aws-sdk/client-sns";
import {
  EventBridgeClient, PutPermissionCommand, RemovePermissionCommand, DescribeEventBusCommand, PutEventsCommand,
  CreateEventBusCommand,
} from "@aws-sdk/client-eventbridge";
import { useServer } from "./stratus.mjs";

const srv = useServer("authz-msg");

// An IAM user without policies (made with the root key through boto3: the JS tests carry no IAM
// client), its keys.
function user(name) {
  const script = `import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test",
                   aws_secret_access_key="test")
iam.create_user(UserName=sys.argv[2])
k = iam.create_access_key(UserName=sys.argv[2])["AccessKey"]
arn = iam.get_user(UserName=sys.argv[2])["User"]["Arn"]
print(json.dumps({"accessKeyId": k["AccessKeyId"], "secretAccessKey": k["SecretAccessKey"], "arn": arn}))`;
  return JSON.parse(execFileSync("python3", ["-c", script, srv.endpoint, name], { encoding: "utf8" }));
}

const as = (Ctor, u) => srv.client(Ctor, u ? { credentials: { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey } } : {});
const allow = (principal, action, resource, condition) => JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: principal, Action: action, Resource: resource,
                ...(condition ? { Condition: condition } : {}) }],
});

async function metric(name) {
  const text = await (await fetch(srv.endpoint + "/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(name + " "));
  return Number(line.split(" ")[1]);
}

test("SNS to SQS needs the queue's policy; the bus policy round trip", async () => {
  const sqs = as(SQSClient), sns = as(SNSClient), ev = as(EventBridgeClient);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-authz-q" }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js-authz-t" }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: Attributes.QueueArn,
                                        Attributes: { RawMessageDelivery: "true" } }));
  const before = await metric("stratus_msg_denied_total");
  await sns.send(new PublishCommand({ TopicArn, Message: "refused" }));
  for (let i = 0; i < 200 && (await metric("stratus_msg_denied_total")) === before; i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.equal(await metric("stratus_msg_denied_total"), before + 1);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: allow(
    { Service: "sns.amazonaws.com" }, "sqs:SendMessage", Attributes.QueueArn, { ArnEquals: { "aws:SourceArn": TopicArn } }) } }));
  await sns.send(new PublishCommand({ TopicArn, Message: "delivered" }));
  const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
  assert.equal(r.Messages?.[0]?.Body, "delivered");

  await ev.send(new PutPermissionCommand({ Action: "events:PutEvents", Principal: "111122223333", StatementId: "js" }));
  const bus = await ev.send(new DescribeEventBusCommand({}));
  assert.equal(JSON.parse(bus.Policy).Statement[0].Sid, "js");
  await ev.send(new RemovePermissionCommand({ StatementId: "js" }));
  assert.equal((await ev.send(new DescribeEventBusCommand({}))).Policy, undefined);
});

test("an IAM user: refused, then allowed by the queue's, the topic's and the bus's policies", async () => {
  const u = user("js-friend");
  const sqs = as(SQSClient), sns = as(SNSClient), ev = as(EventBridgeClient);
  const usqs = as(SQSClient, u), usns = as(SNSClient, u), uev = as(EventBridgeClient, u);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-shared" }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  await assert.rejects(usqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" })),
                       (e) => e.$metadata.httpStatusCode === 403 && /not authorized to perform: sqs:SendMessage/.test(e.message));
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: allow({ AWS: u.arn }, "sqs:SendMessage", Attributes.QueueArn) } }));
  await usqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "granted" }));

  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js-shared" }));
  await assert.rejects(usns.send(new PublishCommand({ TopicArn, Message: "x" })), (e) => e.name === "AuthorizationErrorException" || e.name === "AuthorizationError");
  await sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: "Policy", AttributeValue: allow({ AWS: u.arn }, "sns:Publish", TopicArn) }));
  await usns.send(new PublishCommand({ TopicArn, Message: "granted" }));

  const { EventBusArn } = await ev.send(new CreateEventBusCommand({ Name: "js-shared" }));
  const entry = { Source: "app", DetailType: "t", Detail: "{}", EventBusName: "js-shared" };
  await assert.rejects(uev.send(new PutEventsCommand({ Entries: [entry] })), (e) => e.name === "AccessDeniedException");
  await ev.send(new PutPermissionCommand({ EventBusName: "js-shared", Policy: allow({ AWS: u.arn }, "events:PutEvents", EventBusArn) }));
  assert.equal((await uev.send(new PutEventsCommand({ Entries: [entry] }))).FailedEntryCount, 0);
  assert.equal(await metric("stratus_authz_unchecked_total"), 0);
});
