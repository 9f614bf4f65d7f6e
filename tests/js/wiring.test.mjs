// SPDX-License-Identifier: Apache-2.0
// Issue 14's wiring through the AWS SDK for JavaScript v3 (node --test): a bucket's
// notification configuration with an SQS queue, an SNS topic and EventBridge, read back; the
// queue gets S3's s3:TestEvent message and then S3's event message of an upload.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  S3Client, CreateBucketCommand, PutBucketNotificationConfigurationCommand,
  GetBucketNotificationConfigurationCommand, PutObjectCommand,
} from "@aws-sdk/client-s3";
import {
  SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageCommand,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import { SNSClient, CreateTopicCommand, SetTopicAttributesCommand } from "@aws-sdk/client-sns";
import { useServer } from "./stratus.mjs";

let s3, sqs, sns;
useServer("wiring", (srv) => {
  s3 = srv.client(S3Client, { forcePathStyle: true });
  sqs = srv.client(SQSClient);
  sns = srv.client(SNSClient);
});

// n messages (deleted as they come), by long polls bounded in time.
async function receive(url, n) {
  const got = [];
  const deadline = Date.now() + 30000;
  while (got.length < n && Date.now() < deadline) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of r.Messages ?? []) {
      got.push(JSON.parse(m.Body));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  assert.equal(got.length, n);
  return got;
}

test("queue, topic and EventBridge configurations; the queue gets S3's messages", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-uploads" }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "js-removals" }));
  await s3.send(new CreateBucketCommand({ Bucket: "js-wiring" }));
  // issue 15: the queue's and the topic's policies let S3 send for the bucket
  const grant = (action, resource) => JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: action, Resource: resource,
                  Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::js-wiring" } } }],
  });
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: grant("sqs:SendMessage", Attributes.QueueArn) } }));
  await sns.send(new SetTopicAttributesCommand({ TopicArn, AttributeName: "Policy", AttributeValue: grant("sns:Publish", TopicArn) }));
  await assert.rejects(s3.send(new PutBucketNotificationConfigurationCommand({
    Bucket: "js-wiring",
    NotificationConfiguration: { QueueConfigurations: [{ QueueArn: Attributes.QueueArn + "-gone", Events: ["s3:ObjectCreated:*"] }] },
  })), (e) => e.name === "InvalidArgument");
  await s3.send(new PutBucketNotificationConfigurationCommand({
    Bucket: "js-wiring",
    NotificationConfiguration: {
      QueueConfigurations: [{ Id: "q", QueueArn: Attributes.QueueArn, Events: ["s3:ObjectCreated:*"] }],
      TopicConfigurations: [{ Id: "t", TopicArn, Events: ["s3:ObjectRemoved:*"] }],
      EventBridgeConfiguration: {},
    },
  }));
  const conf = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: "js-wiring" }));
  assert.deepEqual(conf.QueueConfigurations, [{ Id: "q", QueueArn: Attributes.QueueArn, Events: ["s3:ObjectCreated:*"] }]);
  assert.deepEqual(conf.TopicConfigurations, [{ Id: "t", TopicArn, Events: ["s3:ObjectRemoved:*"] }]);
  assert.deepEqual(conf.EventBridgeConfiguration, {});
  const [testEvent] = await receive(QueueUrl, 1);
  assert.equal(testEvent.Event, "s3:TestEvent");
  assert.equal(testEvent.Bucket, "js-wiring");
  await s3.send(new PutObjectCommand({ Bucket: "js-wiring", Key: "hello.txt", Body: "hello" }));
  const [msg] = await receive(QueueUrl, 1);
  const rec = msg.Records[0];
  assert.equal(rec.eventName, "ObjectCreated:Put");
  assert.equal(rec.s3.configurationId, "q");
  assert.equal(rec.s3.object.key, "hello.txt");
  assert.equal(rec.s3.object.size, 5);
});
