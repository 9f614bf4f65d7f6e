# SPDX-License-Identifier: Apache-2.0
"""S3 server access logging (issue 16, package G) through boto3 and the AWS CLI v2:
Put/GetBucketLogging and S3's refusals, records of requests (signed and anonymous, successes
and errors) delivered as objects of the target bucket within the flush interval, parsed with a
regular expression of S3's access-log format; partitioned keys; disabling; a bucket logging
into itself; records journaled before a kill -9 delivered after the restart."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from botocore.exceptions import ClientError

import iam_base
from stratus_fixture import Server

# S3's access-log line: 25 space-separated fields, three of them quoted.
QUOTED = r'"((?:[^"\\]|\\.)*)"'
LINE = re.compile(
    r"^(?P<owner>\S+) (?P<bucket>\S+) \[(?P<time>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000)\] "
    r"(?P<ip>\S+) (?P<requester>\S+) (?P<request_id>\S+) (?P<operation>\S+) (?P<key>\S+) "
    + QUOTED.replace("(", "(?P<uri>", 1)
    + r" (?P<status>\d{3}) (?P<error>\S+) (?P<bytes_sent>\S+) (?P<object_size>\S+) "
    r"(?P<total_time>\S+) (?P<turnaround>\S+) "
    + QUOTED.replace("(", "(?P<referer>", 1) + " " + QUOTED.replace("(", "(?P<agent>", 1)
    + r" (?P<version_id>\S+) (?P<host_id>\S+) (?P<sig>\S+) (?P<cipher>\S+) (?P<auth>\S+) "
    r"(?P<host>\S+) (?P<tls>\S+) (?P<ap>\S+) (?P<acl>\S+)$")
SIMPLE_KEY = re.compile(r"^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}$")


def aws_v2():
    """The AWS CLI v2: AWS_CLI_V2, else /usr/bin/aws (Debian's), else `aws` when it is v2."""
    for cand in (os.environ.get("AWS_CLI_V2"), "/usr/bin/aws", shutil.which("aws")):
        if cand and os.path.exists(cand):
            out = subprocess.run([cand, "--version"], capture_output=True, text=True, timeout=60)
            if (out.stdout + out.stderr).startswith("aws-cli/2."):
                return cand
    return None


def wait_for(pred, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    return pred()


def code(e):
    return e.exception.response["Error"]["Code"]


def status(e):
    return e.exception.response["ResponseMetadata"]["HTTPStatusCode"]


class S3Logging(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--access-log-flush", "1").start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.finish()

    def enable(self, src, target, prefix, fmt=None):
        le = {"TargetBucket": target, "TargetPrefix": prefix}
        if fmt:
            le["TargetObjectKeyFormat"] = fmt
        self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus={"LoggingEnabled": le})

    def log_lines(self, bucket, prefix=""):
        """Every line of every log object under prefix: (key, line) pairs."""
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                body = self.s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode()
                self.assertTrue(body.endswith("\n"), body)
                out += [(o["Key"], line) for line in body.splitlines()]
        return out

    def records(self, bucket, prefix, ids):
        """Wait until the records of every request id in ids were delivered; {id: match}."""
        def got():
            found = {}
            for _, line in self.log_lines(bucket, prefix):
                m = LINE.match(line)
                self.assertIsNotNone(m, line)
                found[m["request_id"]] = m
            return found if all(i in found for i in ids) else None
        found = wait_for(got)
        self.assertIsNotNone(found, "records of %s not delivered" % ids)
        return found

    def test_put_get_and_refusals(self):
        s3 = self.s3
        s3.create_bucket(Bucket="cfg-src")
        s3.create_bucket(Bucket="cfg-logs")
        self.assertNotIn("LoggingEnabled", s3.get_bucket_logging(Bucket="cfg-src"))
        fmt = {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}}
        self.enable("cfg-src", "cfg-logs", "a/", fmt)
        got = s3.get_bucket_logging(Bucket="cfg-src")["LoggingEnabled"]
        self.assertEqual(got, {"TargetBucket": "cfg-logs", "TargetPrefix": "a/", "TargetObjectKeyFormat": fmt})
        self.enable("cfg-src", "cfg-logs", "b/", {"SimplePrefix": {}})
        got = s3.get_bucket_logging(Bucket="cfg-src")["LoggingEnabled"]
        self.assertEqual(got["TargetObjectKeyFormat"], {"SimplePrefix": {}})
        # A target that does not exist, or lives in another region.
        with self.assertRaises(ClientError) as e:
            self.enable("cfg-src", "no-such-target", "p/")
        self.assertEqual((code(e), status(e)), ("InvalidTargetBucketForLogging", 400))
        self.assertEqual(e.exception.response["Error"].get("TargetBucket"), "no-such-target")
        s3.create_bucket(Bucket="cfg-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        with self.assertRaises(ClientError) as e:
            self.enable("cfg-src", "cfg-eu", "p/")
        self.assertEqual((code(e), status(e)), ("CrossLocationLoggingProhibitted", 403))
        # Grants need ACLs on the target (a new bucket enforces the bucket owner).
        grants = [{"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
                   "Permission": "WRITE"}]
        with self.assertRaises(ClientError) as e:
            s3.put_bucket_logging(Bucket="cfg-src", BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": "cfg-logs", "TargetPrefix": "p/", "TargetGrants": grants}})
        self.assertEqual((code(e), status(e)), ("AccessControlListNotSupported", 400))
        s3.put_bucket_ownership_controls(Bucket="cfg-logs", OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
        s3.put_bucket_logging(Bucket="cfg-src", BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": "cfg-logs", "TargetPrefix": "p/", "TargetGrants": grants}})
        got = s3.get_bucket_logging(Bucket="cfg-src")["LoggingEnabled"]
        self.assertEqual(got["TargetGrants"][0]["Permission"], "WRITE")
        self.assertEqual(got["TargetGrants"][0]["Grantee"]["URI"], grants[0]["Grantee"]["URI"])
        # The status stayed as it was after each refusal; an empty status disables.
        s3.put_bucket_logging(Bucket="cfg-src", BucketLoggingStatus={})
        self.assertNotIn("LoggingEnabled", s3.get_bucket_logging(Bucket="cfg-src"))
        with self.assertRaises(ClientError) as e:
            self.enable("no-such-src", "cfg-logs", "p/")
        self.assertEqual(code(e), "NoSuchBucket")

    def test_malformed_xml(self):
        self.s3.create_bucket(Bucket="mal-src")
        bad = (b"<BucketLoggingStatus><LoggingEnabled><TargetBucket>mal-src</TargetBucket>"
               b"</LoggingEnabled></BucketLoggingStatus>")

        def swap(request, **_):
            request.data = bad
            for h in list(request.headers.keys()):
                if h.lower() in ("content-md5", "content-length") or h.lower().startswith("x-amz-checksum") \
                        or h.lower() == "x-amz-sdk-checksum-algorithm":
                    del request.headers[h]
            request.headers["Content-Length"] = str(len(bad))
        s3 = self.srv.client("s3", s3={"addressing_style": "path"})
        s3.meta.events.register("before-sign.s3.PutBucketLogging", swap)
        with self.assertRaises(ClientError) as e:
            s3.put_bucket_logging(Bucket="mal-src", BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": "mal-src", "TargetPrefix": "x"}})
        self.assertEqual((code(e), status(e)), ("MalformedXML", 400))
        self.assertNotIn("LoggingEnabled", self.s3.get_bucket_logging(Bucket="mal-src"))

    def test_records_delivered(self):
        s3 = self.s3
        s3.create_bucket(Bucket="rec-src")
        s3.create_bucket(Bucket="rec-logs")
        self.enable("rec-src", "rec-logs", "logs/")
        ids = {}
        r = s3.put_object(Bucket="rec-src", Key="dir/a b.txt", Body=b"hello world")
        ids["put"] = r["ResponseMetadata"]["RequestId"]
        r = s3.get_object(Bucket="rec-src", Key="dir/a b.txt")
        self.assertEqual(r["Body"].read(), b"hello world")
        ids["get"] = r["ResponseMetadata"]["RequestId"]
        with self.assertRaises(ClientError) as e:
            s3.get_object(Bucket="rec-src", Key="missing")
        ids["404"] = e.exception.response["ResponseMetadata"]["RequestId"]
        # An anonymous GET, refused.
        req = urllib.request.Request(self.srv.endpoint + "/rec-src/dir/a%20b.txt",
                                     headers={"User-Agent": 'anon "agent"', "Referer": "http://ref/"})
        with self.assertRaises(urllib.error.HTTPError) as he:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(he.exception.code, 403)
        ids["anon"] = he.exception.headers["x-amz-request-id"]
        r = s3.list_objects_v2(Bucket="rec-src")
        ids["list"] = r["ResponseMetadata"]["RequestId"]
        found = self.records("rec-logs", "logs/", ids.values())
        for key, _ in self.log_lines("rec-logs", "logs/"):
            self.assertRegex(key[len("logs/"):], SIMPLE_KEY)
        put, get, miss, anon, lst = (found[ids[k]] for k in ("put", "get", "404", "anon", "list"))
        for m in found.values():
            self.assertEqual(m["bucket"], "rec-src")
            self.assertEqual(m["ip"], "127.0.0.1")
            self.assertRegex(m["owner"], r"^[0-9a-f]{64}$")
            self.assertRegex(m["total_time"], r"^\d+$")
        self.assertEqual((put["operation"], put["key"], put["status"], put["error"]),
                         ("REST.PUT.OBJECT", "dir/a%20b.txt", "200", "-"))
        self.assertEqual(put["object_size"], "11")
        self.assertEqual(put["uri"], "PUT /rec-src/dir/a%20b.txt HTTP/1.1")
        self.assertEqual((put["requester"], put["sig"], put["auth"]),
                         ("arn:aws:iam::000000000000:root", "SigV4", "AuthHeader"))
        self.assertIn("Boto3", put["agent"])
        self.assertEqual((get["operation"], get["status"], get["bytes_sent"], get["object_size"]),
                         ("REST.GET.OBJECT", "200", "11", "11"))
        self.assertEqual((miss["operation"], miss["status"], miss["error"], miss["key"]),
                         ("REST.GET.OBJECT", "404", "NoSuchKey", "missing"))
        self.assertEqual((anon["requester"], anon["status"], anon["error"], anon["sig"], anon["auth"]),
                         ("-", "403", "AccessDenied", "-", "-"))
        self.assertEqual((anon["agent"], anon["referer"]), (r'anon \"agent\"', "http://ref/"))
        self.assertEqual((lst["operation"], lst["key"]), ("REST.GET.BUCKET", "-"))
        # Log objects are written by the service: no record of their own writes.
        for _, line in self.log_lines("rec-logs"):
            self.assertNotEqual(LINE.match(line)["bucket"], "rec-logs")
        metrics = urllib.request.urlopen(self.srv.endpoint + "/metrics", timeout=10).read().decode()
        n = int(re.search(r"^stratus_s3_access_log_objects_total (\d+)$", metrics, re.M).group(1))
        self.assertGreater(n, 0)

    def test_partitioned_keys(self):
        s3 = self.s3
        s3.create_bucket(Bucket="part-src")
        s3.create_bucket(Bucket="part-logs")
        for src in ("EventTime", "DeliveryTime"):
            with self.subTest(src=src):
                self.enable("part-src", "part-logs", src + "/", {"PartitionedPrefix": {"PartitionDateSource": src}})
                rid = s3.head_bucket(Bucket="part-src")["ResponseMetadata"]["RequestId"]
                found = self.records("part-logs", src + "/", [rid])
                self.assertEqual(found[rid]["operation"], "REST.HEAD.BUCKET")
                keys = [o["Key"] for o in s3.list_objects_v2(Bucket="part-logs", Prefix=src + "/")["Contents"]]
                for k in keys:
                    self.assertRegex(k, r"^%s/000000000000/us-east-1/part-src/(\d{4})/(\d\d)/(\d\d)/"
                                        r"\1-\2-\3-\d\d-\d\d-\d\d-[0-9A-F]{16}$" % src)

    def test_disable_stops_records(self):
        s3 = self.s3
        s3.create_bucket(Bucket="off-src")
        s3.create_bucket(Bucket="off-logs")
        self.enable("off-src", "off-logs", "")
        on = s3.put_object(Bucket="off-src", Key="k", Body=b"1")["ResponseMetadata"]["RequestId"]
        self.records("off-logs", "", [on])
        s3.put_bucket_logging(Bucket="off-src", BucketLoggingStatus={})
        off = [s3.get_object(Bucket="off-src", Key="k")["ResponseMetadata"]["RequestId"] for _ in range(3)]
        time.sleep(3)  # three flush intervals
        ids = {LINE.match(line)["request_id"] for _, line in self.log_lines("off-logs")}
        self.assertIn(on, ids)
        self.assertFalse(ids & set(off), "records after logging was disabled")

    def test_target_needs_callers_write(self):
        """Logging only goes into a bucket the configuring principal may write (s3:PutObject on
        the target prefix): else a user who may configure its own bucket's logging could fill
        any other bucket with objects."""
        s3 = self.s3
        s3.create_bucket(Bucket="own-src")
        s3.create_bucket(Bucket="foreign-logs")
        s3.create_bucket(Bucket="granted-logs")
        own = ["arn:aws:s3:::own-src", "arn:aws:s3:::own-src/*"]
        u = iam_base.user(self.srv, "logcfg", policies=[
            iam_base.allow("s3:*", own),
            iam_base.allow("s3:PutObject", "arn:aws:s3:::granted-logs/lg/*")])
        us3 = self.srv.client("s3", access=u["access_key"], secret=u["secret_key"],
                              s3={"addressing_style": "path"})
        with self.assertRaises(ClientError) as e:
            us3.put_bucket_logging(Bucket="own-src", BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": "foreign-logs", "TargetPrefix": "x/"}})
        self.assertEqual((code(e), status(e)), ("AccessDenied", 403))
        self.assertNotIn("LoggingEnabled", s3.get_bucket_logging(Bucket="own-src"))
        with self.assertRaises(ClientError) as e:  # granted under lg/ only
            us3.put_bucket_logging(Bucket="own-src", BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": "granted-logs", "TargetPrefix": "other/"}})
        self.assertEqual(code(e), "AccessDenied")
        us3.put_bucket_logging(Bucket="own-src", BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": "granted-logs", "TargetPrefix": "lg/"}})
        self.assertEqual(s3.get_bucket_logging(Bucket="own-src")["LoggingEnabled"]["TargetBucket"],
                         "granted-logs")

    def test_log_objects_follow_target_encryption(self):
        """A log object is a new object of the target bucket: SSE-S3 when the target has default
        encryption (S3 delivers logs only with SSE-S3), and under --encrypt-all."""
        s3 = self.s3
        s3.create_bucket(Bucket="enc-src")
        s3.create_bucket(Bucket="enc-logs")
        s3.put_bucket_encryption(Bucket="enc-logs", ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        self.enable("enc-src", "enc-logs", "e/")
        rid = s3.put_object(Bucket="enc-src", Key="k", Body=b"x")["ResponseMetadata"]["RequestId"]
        self.records("enc-logs", "e/", [rid])
        for o in s3.list_objects_v2(Bucket="enc-logs", Prefix="e/")["Contents"]:
            self.assertEqual(s3.head_object(Bucket="enc-logs", Key=o["Key"]).get("ServerSideEncryption"),
                             "AES256", o["Key"])
        srv = Server("--encrypt-all", "--access-log-flush", "1").start()
        try:
            c = srv.client("s3", s3={"addressing_style": "path"})
            c.create_bucket(Bucket="src")
            c.create_bucket(Bucket="logs")
            c.put_bucket_logging(Bucket="src", BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": "logs", "TargetPrefix": "l/"}})
            c.put_object(Bucket="src", Key="k", Body=b"x")
            self.assertTrue(wait_for(lambda: c.list_objects_v2(Bucket="logs").get("Contents")))
            for o in c.list_objects_v2(Bucket="logs")["Contents"]:
                self.assertEqual(c.head_object(Bucket="logs", Key=o["Key"]).get("ServerSideEncryption"),
                                 "AES256", o["Key"])
                self.assertIn(b"REST.PUT.OBJECT", c.get_object(Bucket="logs", Key=o["Key"])["Body"].read())
        finally:
            srv.cleanup()

    def test_bucket_logs_into_itself(self):
        s3 = self.s3
        s3.create_bucket(Bucket="self-log")
        self.enable("self-log", "self-log", "own/")
        rid = s3.put_object(Bucket="self-log", Key="data", Body=b"x")["ResponseMetadata"]["RequestId"]
        self.records("self-log", "own/", [rid])
        time.sleep(2.5)
        # Reading the logs makes records (as on S3); delivering them makes none: no record
        # names a write of a log object.
        for _, line in self.log_lines("self-log", "own/"):
            m = LINE.match(line)
            self.assertFalse(m["operation"] == "REST.PUT.OBJECT" and m["key"].startswith("own/"), line)

    def test_aws_cli_v2(self):
        cli = aws_v2()
        if cli is None:
            self.skipTest("no AWS CLI v2")
        self.s3.create_bucket(Bucket="cli-src")
        self.s3.create_bucket(Bucket="cli-logs")
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")

        def aws(*args):
            p = subprocess.run([cli, "--endpoint-url", self.srv.endpoint, "--output", "json"] + list(args),
                               env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout) if args[0] == "s3api" and p.stdout.strip() else None
        # (Debian's CLI v2, 2.9, predates TargetObjectKeyFormat.)
        status_doc = {"LoggingEnabled": {"TargetBucket": "cli-logs", "TargetPrefix": "cli/"}}
        aws("s3api", "put-bucket-logging", "--bucket", "cli-src", "--bucket-logging-status", json.dumps(status_doc))
        self.assertEqual(aws("s3api", "get-bucket-logging", "--bucket", "cli-src"), status_doc)
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "f.txt")
            with open(f, "w") as fh:
                fh.write("cli bytes")
            aws("s3", "cp", f, "s3://cli-src/f.txt")

            # Records are delivered each second (--access-log-flush 1), so the PUT's record may
            # come in a later log object than the logging calls' before it: read what has been
            # delivered until it is there (bounded).
            def delivered():
                out = aws("s3api", "list-objects-v2", "--bucket", "cli-logs", "--prefix", "cli/")
                got = []
                for o in (out or {}).get("Contents") or []:
                    dst = os.path.join(d, "log")
                    aws("s3", "cp", "s3://cli-logs/" + o["Key"], dst)
                    with open(dst) as fh:
                        got += fh.read().splitlines()
                return got if any(" REST.PUT.OBJECT f.txt " in line for line in got) else None
            lines = wait_for(delivered, timeout=30.0) or []
            self.assertTrue(lines)
        ms = [LINE.match(line) for line in lines]
        self.assertTrue(all(ms), lines)
        self.assertTrue(any(m["operation"] == "REST.PUT.OBJECT" and m["key"] == "f.txt" and
                            "aws-cli/2." in m["agent"] for m in ms), lines)


class S3LoggingRestart(unittest.TestCase):
    def test_records_survive_kill9(self):
        d = tempfile.mkdtemp(prefix="stratus-alog-")
        srv = Server("--access-log-flush", "3600", data_dir=d).start()
        try:
            s3 = srv.client("s3", s3={"addressing_style": "path"})
            s3.create_bucket(Bucket="crash-src")
            s3.create_bucket(Bucket="crash-logs")
            s3.put_bucket_logging(Bucket="crash-src", BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": "crash-logs", "TargetPrefix": "c/"}})
            rid = s3.put_object(Bucket="crash-src", Key="k", Body=b"v")["ResponseMetadata"]["RequestId"]
            # The record is journaled once the response is written: moments after the client
            # has it; the hour-long flush interval keeps it undelivered.
            time.sleep(0.5)
            self.assertNotIn("Contents", s3.list_objects_v2(Bucket="crash-logs"))
            srv.kill9()
            srv = Server("--access-log-flush", "1", data_dir=d).start()
            s3 = srv.client("s3", s3={"addressing_style": "path"})

            def delivered():
                out = s3.list_objects_v2(Bucket="crash-logs").get("Contents", [])
                text = "".join(s3.get_object(Bucket="crash-logs", Key=o["Key"])["Body"].read().decode()
                               for o in out)
                return text if rid in text else None
            text = wait_for(delivered)
            self.assertIsNotNone(text, "the journaled record was lost")
            # Delivered once.
            self.assertEqual(sum(1 for line in text.splitlines() if LINE.match(line)["request_id"] == rid), 1)
            time.sleep(2.5)
            out = s3.list_objects_v2(Bucket="crash-logs").get("Contents", [])
            text = "".join(s3.get_object(Bucket="crash-logs", Key=o["Key"])["Body"].read().decode() for o in out)
            self.assertEqual(sum(1 for line in text.splitlines() if LINE.match(line)["request_id"] == rid), 1)
        finally:
            srv.finish()
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
