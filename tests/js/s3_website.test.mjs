// SPDX-License-Identifier: Apache-2.0
// Static websites with the AWS SDK for JavaScript v3 (issue 16, package W): the website
// configuration put, read and deleted, S3's validation error, WebsiteRedirectLocation on a
// PutObject, and the site fetched unsigned through the path form /_website/<bucket>/.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, HeadObjectCommand, PutBucketPolicyCommand,
  DeletePublicAccessBlockCommand, PutBucketWebsiteCommand, GetBucketWebsiteCommand,
  DeleteBucketWebsiteCommand,
} from "@aws-sdk/client-s3";
import { useServer } from "./stratus.mjs";

const srv = useServer("s3-website");
const s3 = () => srv.client(S3Client, { forcePathStyle: true });

test("a website configured, served, and removed", async () => {
  const c = s3();
  const Bucket = "js-site";
  await c.send(new CreateBucketCommand({ Bucket }));
  await c.send(new DeletePublicAccessBlockCommand({ Bucket }));
  await c.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{
    Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${Bucket}/*` }] }) }));
  await assert.rejects(c.send(new PutBucketWebsiteCommand({ Bucket, WebsiteConfiguration: {
    IndexDocument: { Suffix: "dir/index.html" } } })),
  (e) => e.name === "InvalidArgument" && e.message === "The IndexDocument Suffix is not well formed");
  await c.send(new PutBucketWebsiteCommand({ Bucket, WebsiteConfiguration: {
    IndexDocument: { Suffix: "index.html" }, ErrorDocument: { Key: "404.html" },
    RoutingRules: [{ Condition: { KeyPrefixEquals: "blog/" }, Redirect: { ReplaceKeyPrefixWith: "posts/" } }] } }));
  const got = await c.send(new GetBucketWebsiteCommand({ Bucket }));
  assert.deepEqual(got.IndexDocument, { Suffix: "index.html" });
  assert.deepEqual(got.ErrorDocument, { Key: "404.html" });
  assert.deepEqual(got.RoutingRules, [{ Condition: { KeyPrefixEquals: "blog/" }, Redirect: { ReplaceKeyPrefixWith: "posts/" } }]);
  await c.send(new PutObjectCommand({ Bucket, Key: "index.html", Body: "<h1>js home</h1>", ContentType: "text/html" }));
  await c.send(new PutObjectCommand({ Bucket, Key: "404.html", Body: "<h1>lost</h1>", ContentType: "text/html" }));
  await c.send(new PutObjectCommand({ Bucket, Key: "old.html", Body: "", WebsiteRedirectLocation: "/index.html" }));
  assert.equal((await c.send(new HeadObjectCommand({ Bucket, Key: "old.html" }))).WebsiteRedirectLocation, "/index.html");
  await assert.rejects(c.send(new PutObjectCommand({ Bucket, Key: "bad", Body: "", WebsiteRedirectLocation: "index.html" })),
    (e) => e.name === "InvalidRedirectLocation" && e.$metadata.httpStatusCode === 400);

  const site = `${srv.endpoint}/_website/${Bucket}`;
  let r = await fetch(`${site}/`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "text/html");
  assert.equal(await r.text(), "<h1>js home</h1>");
  r = await fetch(`${site}/missing`); // no public s3:ListBucket: 403, with the error document
  assert.equal(r.status, 403);
  assert.equal(r.headers.get("x-amz-error-code"), "AccessDenied");
  assert.equal(await r.text(), "<h1>lost</h1>");
  r = await fetch(`${site}/old.html`, { redirect: "manual" });
  assert.equal(r.status, 301);
  assert.equal(r.headers.get("location"), `/_website/${Bucket}/index.html`);
  r = await fetch(`${site}/blog/a.html`, { redirect: "manual" });
  assert.equal(r.status, 301);
  assert.equal(r.headers.get("location"), `${site}/posts/a.html`);
  r = await fetch(`${site}/old.html`); // followed: the home page
  assert.equal(await r.text(), "<h1>js home</h1>");

  await c.send(new DeleteBucketWebsiteCommand({ Bucket }));
  await assert.rejects(c.send(new GetBucketWebsiteCommand({ Bucket })),
    (e) => e.name === "NoSuchWebsiteConfiguration" && e.$metadata.httpStatusCode === 404);
  r = await fetch(`${site}/`);
  assert.equal(r.status, 404);
  assert.equal(r.headers.get("x-amz-error-code"), "NoSuchWebsiteConfiguration");
  assert.match(await r.text(), /<li>Code: NoSuchWebsiteConfiguration<\/li>/);
});
