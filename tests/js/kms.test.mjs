// SPDX-License-Identifier: Apache-2.0
// KMS through the AWS SDK for JavaScript v3 (@aws-sdk/client-kms) against a real stratusd
// (node --test): a key's lifecycle, aliases, Encrypt/Decrypt with an encryption context,
// data keys, rotation, a key disabled mid-test, scheduled deletion, and the SDK's modeled
// exceptions (issue 16, package K).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  KMSClient, CreateKeyCommand, DescribeKeyCommand, ListKeysCommand, EnableKeyCommand,
  DisableKeyCommand, ScheduleKeyDeletionCommand, CancelKeyDeletionCommand, CreateAliasCommand,
  ListAliasesCommand, DeleteAliasCommand, EncryptCommand, DecryptCommand, GenerateDataKeyCommand,
  GenerateRandomCommand, RotateKeyOnDemandCommand, ListKeyRotationsCommand, GetKeyPolicyCommand,
  CreateGrantCommand, ListGrantsCommand, RevokeGrantCommand,
  NotFoundException, DisabledException, KMSInvalidStateException, InvalidCiphertextException,
  AlreadyExistsException,
} from "@aws-sdk/client-kms";
import { useServer } from "./stratus.mjs";

const srv = useServer("kms");
const kms = () => srv.client(KMSClient);
const enc = new TextEncoder();
const dec = new TextDecoder();

test("key lifecycle, aliases and listing", async () => {
  const c = kms();
  const { KeyMetadata: m } = await c.send(new CreateKeyCommand({ Description: "js key" }));
  assert.equal(m.KeyState, "Enabled");
  assert.equal(m.KeySpec, "SYMMETRIC_DEFAULT");
  assert.ok(m.CreationDate instanceof Date);
  await c.send(new CreateAliasCommand({ AliasName: "alias/js", TargetKeyId: m.KeyId }));
  await assert.rejects(c.send(new CreateAliasCommand({ AliasName: "alias/js", TargetKeyId: m.KeyId })),
                       AlreadyExistsException);
  const d = await c.send(new DescribeKeyCommand({ KeyId: "alias/js" }));
  assert.equal(d.KeyMetadata.Arn, m.Arn);
  const keys = await c.send(new ListKeysCommand({}));
  assert.ok(keys.Keys.some((k) => k.KeyId === m.KeyId && k.KeyArn === m.Arn));
  const aliases = await c.send(new ListAliasesCommand({ KeyId: m.KeyId }));
  assert.deepEqual(aliases.Aliases.map((a) => a.AliasName), ["alias/js"]);
  const pol = JSON.parse((await c.send(new GetKeyPolicyCommand({ KeyId: m.KeyId, PolicyName: "default" }))).Policy);
  assert.equal(pol.Statement[0].Principal.AWS, "arn:aws:iam::000000000000:root");
  await c.send(new DeleteAliasCommand({ AliasName: "alias/js" }));
  await assert.rejects(c.send(new DescribeKeyCommand({ KeyId: "alias/js" })), NotFoundException);
});

test("encrypt, decrypt, data keys and a key disabled mid-test", async () => {
  const c = kms();
  const { KeyMetadata: m } = await c.send(new CreateKeyCommand({}));
  const ctx = { orderId: "42" };
  const e = await c.send(new EncryptCommand({ KeyId: m.KeyId, Plaintext: enc.encode("js secret"), EncryptionContext: ctx }));
  assert.ok(e.CiphertextBlob instanceof Uint8Array);
  const d = await c.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: ctx }));
  assert.equal(dec.decode(d.Plaintext), "js secret");
  assert.equal(d.KeyId, m.Arn);
  await assert.rejects(c.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: { orderId: "43" } })),
                       InvalidCiphertextException);
  const g = await c.send(new GenerateDataKeyCommand({ KeyId: m.KeyId, KeySpec: "AES_256" }));
  assert.equal(g.Plaintext.length, 32);
  const back = await c.send(new DecryptCommand({ CiphertextBlob: g.CiphertextBlob }));
  assert.deepEqual(Buffer.from(back.Plaintext), Buffer.from(g.Plaintext));
  const r = await c.send(new GenerateRandomCommand({ NumberOfBytes: 64 }));
  assert.equal(r.Plaintext.length, 64);

  await c.send(new DisableKeyCommand({ KeyId: m.KeyId }));
  await assert.rejects(c.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: ctx })),
                       DisabledException);
  await assert.rejects(c.send(new GenerateDataKeyCommand({ KeyId: m.KeyId, KeySpec: "AES_256" })), DisabledException);
  await c.send(new EnableKeyCommand({ KeyId: m.KeyId }));
  await c.send(new RotateKeyOnDemandCommand({ KeyId: m.KeyId }));
  const rot = await c.send(new ListKeyRotationsCommand({ KeyId: m.KeyId }));
  assert.equal(rot.Rotations.length, 1);
  const again = await c.send(new DecryptCommand({ CiphertextBlob: e.CiphertextBlob, EncryptionContext: ctx }));
  assert.equal(dec.decode(again.Plaintext), "js secret");
});

test("scheduled deletion and grants", async () => {
  const c = kms();
  const { KeyMetadata: m } = await c.send(new CreateKeyCommand({}));
  const gr = await c.send(new CreateGrantCommand({ KeyId: m.KeyId, GranteePrincipal: "arn:aws:iam::000000000000:user/js",
                                                  Operations: ["Encrypt"] }));
  const gl = await c.send(new ListGrantsCommand({ KeyId: m.KeyId }));
  assert.deepEqual(gl.Grants.map((x) => x.GrantId), [gr.GrantId]);
  await c.send(new RevokeGrantCommand({ KeyId: m.KeyId, GrantId: gr.GrantId }));
  const s = await c.send(new ScheduleKeyDeletionCommand({ KeyId: m.KeyId, PendingWindowInDays: 7 }));
  assert.equal(s.KeyState, "PendingDeletion");
  assert.ok(s.DeletionDate instanceof Date);
  await assert.rejects(c.send(new EncryptCommand({ KeyId: m.KeyId, Plaintext: enc.encode("x") })), KMSInvalidStateException);
  await c.send(new CancelKeyDeletionCommand({ KeyId: m.KeyId }));
  const d = await c.send(new DescribeKeyCommand({ KeyId: m.KeyId }));
  assert.equal(d.KeyMetadata.KeyState, "Disabled");
});
