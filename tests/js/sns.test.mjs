// SPDX-License-Identifier: Apache-2.0
// SNS through the AWS SDK for JavaScript v3 (the query protocol) against a real stratusd.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SNSClient, CreateTopicCommand, ListTopicsCommand, GetTopicAttributesCommand,
  SetTopicAttributesCommand, SubscribeCommand, ListSubscriptionsByTopicCommand,
  GetSubscriptionAttributesCommand, SetSubscriptionAttributesCommand, UnsubscribeCommand,
  PublishCommand, PublishBatchCommand, TagResourceCommand, ListTagsForResourceCommand,
  UntagResourceCommand, DeleteTopicCommand,
} from "@aws-sdk/client-sns";
import {
  SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import { useServer } from "./stratus.mjs";

const srv = useServer("sns");

const sns = () => srv.client(SNSClient);
const sqs = () => srv.client(SQSClient);

test("SNS topics, subscriptions and publishing", async () => {
  const c = sns();
  const { TopicArn } = await c.send(new CreateTopicCommand({
    Name: "js-topic", Attributes: { DisplayName: "JS" }, Tags: [{ Key: "a", Value: "1" }] }));
  assert.equal(TopicArn, "arn:aws:sns:us-east-1:000000000000:js-topic");
  const topics = await c.send(new ListTopicsCommand({}));
  assert.ok(topics.Topics.some((t) => t.TopicArn === TopicArn));
  await c.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: "DisplayName", AttributeValue: "Shown" }));
  const attrs = await c.send(new GetTopicAttributesCommand({ TopicArn }));
  assert.equal(attrs.Attributes.DisplayName, "Shown");
  await c.send(new TagResourceCommand({ ResourceArn: TopicArn, Tags: [{ Key: "b", Value: "2" }] }));
  await c.send(new UntagResourceCommand({ ResourceArn: TopicArn, TagKeys: ["a"] }));
  assert.deepEqual((await c.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }))).Tags,
                   [{ Key: "b", Value: "2" }]);
  const sub = await c.send(new SubscribeCommand({
    TopicArn, Protocol: "lambda", Endpoint: "arn:aws:lambda:us-east-1:000000000000:function:f",
    ReturnSubscriptionArn: true }));
  await c.send(new SetSubscriptionAttributesCommand({
    SubscriptionArn: sub.SubscriptionArn, AttributeName: "FilterPolicy", AttributeValue: '{"k":["v"]}' }));
  const sa = await c.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }));
  assert.equal(sa.Attributes.FilterPolicyScope, "MessageAttributes");
  const p = await c.send(new PublishCommand({ TopicArn, Message: "hi", Subject: "s",
    MessageAttributes: { k: { DataType: "String", StringValue: "v" }, b: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2]) } } }));
  assert.match(p.MessageId, /^[0-9a-f-]{36}$/);
  const b = await c.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [
    { Id: "one", Message: "a" }, { Id: "two", Message: "" }] }));
  assert.deepEqual(b.Successful.map((x) => x.Id), ["one"]);
  assert.equal(b.Failed[0].Code, "InvalidParameter");
  await assert.rejects(c.send(new PublishCommand({ TopicArn: TopicArn + "-no", Message: "m" })),
                       (e) => e.name === "NotFoundException" && e.$metadata.httpStatusCode === 404);
  const listed = await c.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  assert.equal(listed.Subscriptions.length, 1);
  await c.send(new UnsubscribeCommand({ SubscriptionArn: sub.SubscriptionArn }));
  await c.send(new DeleteTopicCommand({ TopicArn }));
});

test("SNS to an SQS queue", async () => {
  const q = sqs();
  const { QueueUrl } = await q.send(new CreateQueueCommand({ QueueName: "js-sns-target" }));
  const qa = await q.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const c = sns();
  const { TopicArn } = await c.send(new CreateTopicCommand({ Name: "js-fan" }));
  // issue 15: the queue's policy lets SNS send for this topic
  await q.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage",
                  Resource: qa.Attributes.QueueArn, Condition: { ArnEquals: { "aws:SourceArn": TopicArn } } }],
  }) } }));
  await c.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: qa.Attributes.QueueArn,
                                      Attributes: { RawMessageDelivery: "true" } }));
  await c.send(new PublishCommand({ TopicArn, Message: "to the queue" }));
  const r = await q.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
  assert.equal(r.Messages?.[0]?.Body, "to the queue");
});
