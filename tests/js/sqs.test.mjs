// SPDX-License-Identifier: Apache-2.0
// SQS with the AWS SDK for JavaScript v3 (node --test): its MD5 checks of bodies and attributes
// (middleware-sdk-sqs) run on every send and receive; batches, long polling, errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, SendMessageCommand, SendMessageBatchCommand,
  ReceiveMessageCommand, DeleteMessageCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand,
  ChangeMessageVisibilityCommand, DeleteQueueCommand, ListQueuesCommand, QueueDoesNotExist,
} from "@aws-sdk/client-sqs";
import { useServer } from "./stratus.mjs";

const srv = useServer("sqs");

const sqs = () => srv.client(SQSClient);

test("send, receive with attributes, delete", async () => {
  const c = sqs();
  const { QueueUrl } = await c.send(new CreateQueueCommand({ QueueName: "js-q" }));
  assert.ok(QueueUrl.endsWith("/000000000000/js-q"));
  assert.equal((await c.send(new GetQueueUrlCommand({ QueueName: "js-q" }))).QueueUrl, QueueUrl);
  const s = await c.send(new SendMessageCommand({
    QueueUrl, MessageBody: "héllo",
    MessageAttributes: {
      s: { DataType: "String", StringValue: "v" },
      n: { DataType: "Number", StringValue: "42" },
      b: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2]) },
    },
  }));
  assert.match(s.MessageId, /^[0-9a-f-]{36}$/);
  const r = await c.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }));
  assert.equal(r.Messages.length, 1);
  const m = r.Messages[0];
  assert.equal(m.Body, "héllo");
  assert.equal(m.MessageAttributes.n.StringValue, "42");
  assert.deepEqual([...m.MessageAttributes.b.BinaryValue], [0, 1, 2]);
  assert.equal(m.Attributes.ApproximateReceiveCount, "1");
  await c.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 100 }));
  await c.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
  const a = await c.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
  assert.equal(a.Attributes.ApproximateNumberOfMessagesNotVisible, "0");
});

test("batches", async () => {
  const c = sqs();
  const { QueueUrl } = await c.send(new CreateQueueCommand({ QueueName: "js-batch" }));
  const s = await c.send(new SendMessageBatchCommand({
    QueueUrl,
    Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: `m${i}`,
      MessageAttributes: { i: { DataType: "Number", StringValue: String(i) } } })),
  }));
  assert.equal(s.Successful.length, 10);
  const got = [];
  for (let k = 0; k < 5 && got.length < 10; k++) {
    const r = await c.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["i"] }));
    got.push(...(r.Messages ?? []));
  }
  assert.equal(got.length, 10);
  const d = await c.send(new DeleteMessageBatchCommand({
    QueueUrl, Entries: got.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
  }));
  assert.equal(d.Successful.length, 10);
  await assert.rejects(c.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] })),
    (e) => e.name === "EmptyBatchRequest" || e.Code === "AWS.SimpleQueueService.EmptyBatchRequest");
});

test("long poll woken by a send", async () => {
  const c = sqs();
  const { QueueUrl } = await c.send(new CreateQueueCommand({ QueueName: "js-poll" }));
  const t0 = Date.now();
  const p = c.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
  await new Promise((r) => setTimeout(r, 200));
  await sqs().send(new SendMessageCommand({ QueueUrl, MessageBody: "wake" }));
  const r = await p;
  assert.equal(r.Messages[0].Body, "wake");
  assert.ok(Date.now() - t0 < 5000);
});

test("errors", async () => {
  const c = sqs();
  await assert.rejects(c.send(new GetQueueUrlCommand({ QueueName: "js-none" })),
    (e) => e instanceof QueueDoesNotExist || e.name === "QueueDoesNotExist");
  const { QueueUrl } = await c.send(new CreateQueueCommand({ QueueName: "js-del" }));
  await c.send(new DeleteQueueCommand({ QueueUrl }));
  const l = await c.send(new ListQueuesCommand({ QueueNamePrefix: "js-del" }));
  assert.equal(l.QueueUrls, undefined);
});
