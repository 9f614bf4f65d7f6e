// SPDX-License-Identifier: Apache-2.0
// EventBridge through the AWS SDK for JavaScript v3 (@aws-sdk/client-eventbridge) against a
// real stratusd (node --test): buses, rules, targets, PutEvents, TestEventPattern, tags and
// the SDK's modeled exceptions.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  EventBridgeClient, CreateEventBusCommand, DescribeEventBusCommand, ListEventBusesCommand,
  DeleteEventBusCommand, PutRuleCommand, DescribeRuleCommand, ListRulesCommand, DeleteRuleCommand,
  EnableRuleCommand, DisableRuleCommand, PutTargetsCommand, RemoveTargetsCommand,
  ListTargetsByRuleCommand, ListRuleNamesByTargetCommand, PutEventsCommand,
  TestEventPatternCommand, TagResourceCommand, UntagResourceCommand, ListTagsForResourceCommand,
  ResourceNotFoundException, ResourceAlreadyExistsException, InvalidEventPatternException,
  LimitExceededException,
} from "@aws-sdk/client-eventbridge";
import { useServer } from "./stratus.mjs";

const FN = "arn:aws:lambda:us-east-1:000000000000:function:";
const BUS = "arn:aws:events:us-east-1:000000000000:event-bus/";
const srv = useServer("events");

const eb = () => srv.client(EventBridgeClient);

test("event buses and tags", async () => {
  const c = eb();
  const r = await c.send(new CreateEventBusCommand({ Name: "js-bus", Description: "js", Tags: [{ Key: "a", Value: "1" }] }));
  assert.equal(r.EventBusArn, BUS + "js-bus");
  await assert.rejects(c.send(new CreateEventBusCommand({ Name: "js-bus" })), ResourceAlreadyExistsException);
  const d = await c.send(new DescribeEventBusCommand({ Name: "js-bus" }));
  assert.equal(d.Description, "js");
  assert.ok(d.CreationTime instanceof Date);
  const l = await c.send(new ListEventBusesCommand({ NamePrefix: "js-" }));
  assert.deepEqual(l.EventBuses.map((b) => b.Name), ["js-bus"]);
  await c.send(new TagResourceCommand({ ResourceARN: BUS + "js-bus", Tags: [{ Key: "b", Value: "2" }] }));
  await c.send(new UntagResourceCommand({ ResourceARN: BUS + "js-bus", TagKeys: ["a"] }));
  const t = await c.send(new ListTagsForResourceCommand({ ResourceARN: BUS + "js-bus" }));
  assert.deepEqual(t.Tags, [{ Key: "b", Value: "2" }]);
  await c.send(new DeleteEventBusCommand({ Name: "js-bus" }));
  await assert.rejects(c.send(new DescribeEventBusCommand({ Name: "js-bus" })), (e) => {
    assert.ok(e instanceof ResourceNotFoundException);
    assert.equal(e.message, "Event bus js-bus does not exist.");
    return true;
  });
});

test("rules and targets", async () => {
  const c = eb();
  const r = await c.send(new PutRuleCommand({ Name: "js-rule", EventPattern: JSON.stringify({ source: ["js"] }) }));
  assert.equal(r.RuleArn, "arn:aws:events:us-east-1:000000000000:rule/js-rule");
  await c.send(new DisableRuleCommand({ Name: "js-rule" }));
  assert.equal((await c.send(new DescribeRuleCommand({ Name: "js-rule" }))).State, "DISABLED");
  await c.send(new EnableRuleCommand({ Name: "js-rule" }));
  const rules = await c.send(new ListRulesCommand({ NamePrefix: "js-" }));
  assert.deepEqual(rules.Rules.map((x) => [x.Name, x.State]), [["js-rule", "ENABLED"]]);
  await c.send(new PutTargetsCommand({ Rule: "js-rule", Targets: [
    { Id: "a", Arn: FN + "f" },
    { Id: "b", Arn: FN + "g", InputTransformer: { InputPathsMap: { s: "$.source" }, InputTemplate: '{"s": <s>}' } },
  ] }));
  const ts = await c.send(new ListTargetsByRuleCommand({ Rule: "js-rule" }));
  assert.deepEqual(ts.Targets.map((x) => x.Id), ["a", "b"]);
  assert.equal(ts.Targets[1].InputTransformer.InputTemplate, '{"s": <s>}');
  const names = await c.send(new ListRuleNamesByTargetCommand({ TargetArn: FN + "g" }));
  assert.deepEqual(names.RuleNames, ["js-rule"]);
  await assert.rejects(c.send(new PutTargetsCommand({ Rule: "js-rule",
    Targets: ["c", "d", "e", "f"].map((Id) => ({ Id, Arn: FN + Id })) })), LimitExceededException);
  await assert.rejects(c.send(new DeleteRuleCommand({ Name: "js-rule" })), /Rule can't be deleted since it has targets./);
  await c.send(new RemoveTargetsCommand({ Rule: "js-rule", Ids: ["a", "b"] }));
  await c.send(new DeleteRuleCommand({ Name: "js-rule" }));
  await assert.rejects(c.send(new DescribeRuleCommand({ Name: "js-rule" })), ResourceNotFoundException);
  await assert.rejects(c.send(new PutRuleCommand({ Name: "bad", EventPattern: '{"a": "b"}' })), (e) => {
    assert.ok(e instanceof InvalidEventPatternException);
    assert.match(e.message, /^Event pattern is not valid\. Reason: "a" must be an object or an array/);
    return true;
  });
});

test("PutEvents and TestEventPattern", async () => {
  const c = eb();
  const r = await c.send(new PutEventsCommand({ Entries: [
    { Source: "js", DetailType: "t", Detail: JSON.stringify({ n: 1 }), Time: new Date(), Resources: ["arn:x"] },
    { Source: "js", DetailType: "t", Detail: "not json" },
  ] }));
  assert.equal(r.FailedEntryCount, 1);
  assert.match(r.Entries[0].EventId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(r.Entries[1], { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." });
  const event = JSON.stringify({ id: "1", account: "000000000000", source: "js", time: "2024-01-01T00:00:00Z",
                                 region: "us-east-1", "detail-type": "t", resources: [], detail: { n: 3 } });
  const yes = await c.send(new TestEventPatternCommand({ EventPattern: '{"detail": {"n": [{"numeric": [">=", 3]}]}}', Event: event }));
  assert.equal(yes.Result, true);
  const no = await c.send(new TestEventPatternCommand({ EventPattern: '{"source": [{"anything-but": "js"}]}', Event: event }));
  assert.equal(no.Result, false);
});
