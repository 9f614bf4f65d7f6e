// SPDX-License-Identifier: Apache-2.0
// IAM through the AWS SDK for JavaScript v3 (the query protocol; issue 15, package I): users,
// access keys, inline and managed policies, roles with a trust policy, the errors' codes, a
// paged listing, and the simulator.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  IAMClient, CreateUserCommand, GetUserCommand, ListUsersCommand, CreateAccessKeyCommand,
  PutUserPolicyCommand, GetUserPolicyCommand, CreatePolicyCommand, AttachUserPolicyCommand,
  ListAttachedUserPoliciesCommand, CreateRoleCommand, GetRoleCommand, DeleteUserCommand,
  SimulatePrincipalPolicyCommand, paginateListUsers,
} from "@aws-sdk/client-iam";
import { useServer } from "./stratus.mjs";

const srv = useServer("iam");
const iam = () => srv.client(IAMClient);
const allow = (action) => JSON.stringify({
  Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });

test("IAM users, keys, policies and roles", async () => {
  const c = iam();
  const { User } = await c.send(new CreateUserCommand({ UserName: "js", Path: "/js/" }));
  assert.equal(User.Arn, "arn:aws:iam::000000000000:user/js/js");
  assert.match(User.UserId, /^AIDA[A-Z0-9]{17}$/);
  assert.ok(User.CreateDate instanceof Date);
  const { AccessKey } = await c.send(new CreateAccessKeyCommand({ UserName: "js" }));
  assert.match(AccessKey.AccessKeyId, /^AKIA[A-Z0-9]{16}$/);
  assert.equal(AccessKey.SecretAccessKey.length, 40);
  await c.send(new PutUserPolicyCommand({ UserName: "js", PolicyName: "p", PolicyDocument: allow("s3:*") }));
  const got = await c.send(new GetUserPolicyCommand({ UserName: "js", PolicyName: "p" }));
  assert.deepEqual(JSON.parse(decodeURIComponent(got.PolicyDocument)), JSON.parse(allow("s3:*")));
  const { Policy } = await c.send(new CreatePolicyCommand({ PolicyName: "jsp", PolicyDocument: allow("sqs:*") }));
  await c.send(new AttachUserPolicyCommand({ UserName: "js", PolicyArn: Policy.Arn }));
  const att = await c.send(new ListAttachedUserPoliciesCommand({ UserName: "js" }));
  assert.deepEqual(att.AttachedPolicies, [{ PolicyName: "jsp", PolicyArn: Policy.Arn }]);
  const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{
    Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
  await c.send(new CreateRoleCommand({ RoleName: "jsr", AssumeRolePolicyDocument: trust }));
  const role = await c.send(new GetRoleCommand({ RoleName: "jsr" }));
  assert.deepEqual(JSON.parse(decodeURIComponent(role.Role.AssumeRolePolicyDocument)), JSON.parse(trust));
  const sim = await c.send(new SimulatePrincipalPolicyCommand({
    PolicySourceArn: User.Arn, ActionNames: ["s3:GetObject", "sqs:SendMessage", "sns:Publish"] }));
  assert.deepEqual(sim.EvaluationResults.map((r) => r.EvalDecision), ["allowed", "allowed", "implicitDeny"]);
  await assert.rejects(c.send(new DeleteUserCommand({ UserName: "js" })),
    (e) => e.name === "DeleteConflictException" && e.$metadata.httpStatusCode === 409);
  await assert.rejects(c.send(new GetUserCommand({ UserName: "nobody" })),
    (e) => e.name === "NoSuchEntityException" && e.message === "The user with name nobody cannot be found.");
  await assert.rejects(c.send(new CreateUserCommand({ UserName: "JS" })), (e) => e.name === "EntityAlreadyExistsException");
});

test("IAM listings page with markers", async () => {
  const c = iam();
  for (let i = 0; i < 5; i++) await c.send(new CreateUserCommand({ UserName: `pg${i}`, Path: "/pg/" }));
  const names = [];
  for await (const page of paginateListUsers({ client: c, pageSize: 2 }, { PathPrefix: "/pg/" })) {
    assert.ok(page.Users.length <= 2);
    names.push(...page.Users.map((u) => u.UserName));
  }
  assert.deepEqual(names, ["pg0", "pg1", "pg2", "pg3", "pg4"]);
  const first = await c.send(new ListUsersCommand({ PathPrefix: "/pg/", MaxItems: 2 }));
  assert.equal(first.IsTruncated, true);
  assert.ok(first.Marker);
});
