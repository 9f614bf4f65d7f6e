// SPDX-License-Identifier: Apache-2.0
// STS through the AWS SDK for JavaScript v3 (issue 15, package T): GetCallerIdentity of the
// root, an IAM user and a role session; AssumeRole refused by the trust policy and allowed by
// it, a session policy limiting the session; the session's credentials signing DynamoDB.
import { test } from "node:test";
import assert from "node:assert/strict";
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand, GetSessionTokenCommand } from "@aws-sdk/client-sts";
import {
  IAMClient, CreateRoleCommand, PutRolePolicyCommand, CreateUserCommand, CreateAccessKeyCommand,
  PutUserPolicyCommand, ListRolesCommand, ListUsersCommand,
} from "@aws-sdk/client-iam";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { useServer } from "./stratus.mjs";

const srv = useServer("sts");
const ACCOUNT = "000000000000";
const doc = (statements) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (Action, extra = {}) => ({ Effect: "Allow", Action, Resource: "*", ...extra });
const asCreds = (c) => ({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken });

test("GetCallerIdentity of the root, a user and a role session", async () => {
  const sts = srv.client(STSClient);
  const iam = srv.client(IAMClient);
  const root = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(root.Arn, `arn:aws:iam::${ACCOUNT}:root`);
  assert.equal(root.Account, ACCOUNT);

  const user = (await iam.send(new CreateUserCommand({ UserName: "js-user" }))).User;
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "js-user" }))).AccessKey;
  const asUser = srv.client(STSClient, { credentials: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey } });
  const me = await asUser.send(new GetCallerIdentityCommand({}));
  assert.equal(me.Arn, user.Arn);
  assert.equal(me.UserId, user.UserId);

  // The user's own GetSessionToken session is still the user.
  const gst = await asUser.send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
  const viaSession = srv.client(STSClient, { credentials: asCreds(gst.Credentials) });
  assert.equal((await viaSession.send(new GetCallerIdentityCommand({}))).Arn, user.Arn);

  await iam.send(new CreateRoleCommand({ RoleName: "js-role", AssumeRolePolicyDocument: doc([
    { Effect: "Allow", Principal: { AWS: user.Arn }, Action: "sts:AssumeRole" }]) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: "js-role", PolicyName: "p",
    PolicyDocument: doc([allow(["iam:ListRoles", "iam:ListUsers", "dynamodb:ListTables"])]) }));
  // The trust policy names the user: no identity policy is needed.
  const assumed = await asUser.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/js-role`,
                                                           RoleSessionName: "js-sess", DurationSeconds: 900 }));
  assert.match(assumed.Credentials.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(assumed.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/js-role/js-sess`);
  const asRole = srv.client(STSClient, { credentials: asCreds(assumed.Credentials) });
  const who = await asRole.send(new GetCallerIdentityCommand({}));
  assert.equal(who.Arn, assumed.AssumedRoleUser.Arn);
  assert.equal(who.UserId, assumed.AssumedRoleUser.AssumedRoleId);
  await srv.client(DynamoDBClient, { credentials: asCreds(assumed.Credentials) }).send(new ListTablesCommand({}));

  // Another user, not named by the trust policy, is refused with AWS's message.
  await iam.send(new CreateUserCommand({ UserName: "js-other" }));
  await iam.send(new PutUserPolicyCommand({ UserName: "js-other", PolicyName: "p", PolicyDocument: doc([allow("sts:AssumeRole")]) }));
  const okey = (await iam.send(new CreateAccessKeyCommand({ UserName: "js-other" }))).AccessKey;
  const asOther = srv.client(STSClient, { credentials: { accessKeyId: okey.AccessKeyId, secretAccessKey: okey.SecretAccessKey } });
  await assert.rejects(asOther.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/js-role`, RoleSessionName: "xx" })),
    (e) => e.name === "AccessDenied" && e.$metadata.httpStatusCode === 403 &&
           e.message === `User: arn:aws:iam::${ACCOUNT}:user/js-other is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${ACCOUNT}:role/js-role`);
});

test("a session policy limits the role session", async () => {
  const iam = srv.client(IAMClient);
  await iam.send(new CreateRoleCommand({ RoleName: "js-narrow", AssumeRolePolicyDocument: doc([
    { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }]) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: "js-narrow", PolicyName: "p",
    PolicyDocument: doc([allow(["iam:ListRoles", "iam:ListUsers"])]) }));
  const got = await srv.client(STSClient).send(new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${ACCOUNT}:role/js-narrow`, RoleSessionName: "narrow",
    Policy: doc([allow("iam:ListRoles")]) }));
  assert.ok(got.PackedPolicySize > 0);
  const asRole = srv.client(IAMClient, { credentials: asCreds(got.Credentials) });
  await asRole.send(new ListRolesCommand({}));
  await assert.rejects(asRole.send(new ListUsersCommand({})),
    (e) => e.name === "AccessDenied" && /because no session policy allows the iam:ListUsers action/.test(e.message));
  // Too short a session: STS's validation error.
  await assert.rejects(srv.client(STSClient).send(new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${ACCOUNT}:role/js-narrow`, RoleSessionName: "narrow", DurationSeconds: 60 })),
    (e) => e.name === "ValidationError" && /durationSeconds/.test(e.message));
});
