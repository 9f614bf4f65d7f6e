# SPDX-License-Identifier: Apache-2.0
"""A full disk: writes are refused with each protocol's throttling error before the disk is full,
reads and deletes go on, writes resume by themselves when space returns, the server starts on a
full disk, and nothing acknowledged is lost — in every durability mode.

The data directory lives on a small tmpfs that the test mounts (root only; skipped otherwise)."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

from botocore.exceptions import ClientError, EndpointConnectionError, ConnectionClosedError

from stratus_fixture import Server
from test_lambda import zip_of

FS_MB = 128


def can_mount():
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    d = tempfile.mkdtemp(prefix="stratus-mnt-")
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d],
                        capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", d])
    os.rmdir(d)
    return ok


MOUNT_OK = can_mount()


def code_of(e):
    if isinstance(e, ClientError):
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return type(e).__name__, 0


@unittest.skipUnless(MOUNT_OK, "needs root and tmpfs mounts to make a small file system")
class FullDisk(unittest.TestCase):
    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="stratus-disk-")
        subprocess.check_call(["mount", "-t", "tmpfs", "-o", f"size={FS_MB}m", "tmpfs", self.mnt])
        self.srv = None

    def tearDown(self):
        if self.srv is not None:
            self.srv.stop()
        subprocess.run(["umount", "-l", self.mnt])
        os.rmdir(self.mnt)

    def start(self, mode, *extra):
        self.srv = Server("--fsync", mode, "--disk-reserve", "8M", *extra, data_dir=self.mnt)
        self.srv.start()
        self.s3 = self.srv.client("s3")
        self.ddb = self.srv.client("dynamodb")
        return self.srv

    def health(self):
        with urllib.request.urlopen(self.srv.endpoint + "/health", timeout=5) as r:
            return json.loads(r.read())

    def metric(self, name):
        with urllib.request.urlopen(self.srv.endpoint + "/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return None

    def fill(self, blob, n=400):
        """Alternate 1 MiB PutObject and 3 KB PutItem until objects are refused, then put
        200 KB items until they are refused too. Returns the acknowledged object keys and item
        keys, and the refusal codes seen."""
        objs, items, codes = [], [], set()
        s3_full = ddb_full = False
        for i in range(n):
            if not s3_full:
                try:
                    self.s3.put_object(Bucket="bkt", Key=f"o{i}", Body=blob)
                    objs.append(f"o{i}")
                except (ClientError, EndpointConnectionError, ConnectionClosedError) as e:
                    codes.add(("s3",) + code_of(e))
                    s3_full = True
            try:
                size = 200000 if s3_full else 3000
                # Incompressible: with --fsync none nothing but flushed tables takes disk, and LZ4
                # would shrink a repeated letter to almost nothing (the disk might never fill).
                val = base64.b64encode(os.urandom(size * 3 // 4)).decode()
                self.ddb.put_item(TableName="tbl", Item={"k": {"S": f"k{i}"}, "v": {"S": val}})
                items.append(f"k{i}")
            except (ClientError, EndpointConnectionError, ConnectionClosedError) as e:
                codes.add(("ddb",) + code_of(e))
                ddb_full = True
            self.assertIsNone(self.srv.proc.poll(), "stratusd died: " + self.srv.read_log())
            if s3_full and ddb_full:
                break
        return objs, items, codes

    def retry_refused(self, op, seconds=20):
        """A deletion is refused only while the disk has under 1 MiB free (a flush can take the
        last of it in --fsync none); it goes through once a look finds room."""
        deadline = time.time() + seconds
        while True:
            try:
                return op()
            except ClientError as e:
                if code_of(e)[0] != "SlowDown" or time.time() > deadline:
                    raise
                time.sleep(0.3)

    def setup_data(self):
        self.s3.create_bucket(Bucket="bkt")
        self.ddb.create_table(TableName="tbl", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")

    def check_all(self, objs, items, blob):
        for k in objs:
            self.assertEqual(self.s3.get_object(Bucket="bkt", Key=k)["Body"].read(), blob, k)
        for k in items:
            self.assertIn("Item", self.ddb.get_item(TableName="tbl", Key={"k": {"S": k}}), k)

    def run_mode(self, mode):
        self.start(mode)
        self.setup_data()
        blob = os.urandom(1 << 20)
        objs, items, codes = self.fill(blob)
        self.assertTrue(objs and items)
        # Refused with the throttling errors, never a 500.
        self.assertIn(("s3", "SlowDown", 503), codes, codes)
        self.assertIn(("ddb", "ThrottlingException", 503), codes, codes)
        h = self.health()  # (a flush may have made room again by now)
        self.assertIn(h["disk"]["state"], ("ok", "low", "full"))
        self.assertEqual(h["status"], "ok" if h["disk"]["state"] == "ok" else "degraded")
        self.assertGreater(self.metric("stratus_disk_writes_refused_total"), 0)
        self.assertIsNotNone(self.metric("stratus_disk_free_bytes"))
        # Reads go on; deletes free space through the API.
        self.check_all(objs, items, blob)
        for k in objs[: len(objs) // 2]:
            self.retry_refused(lambda: self.s3.delete_object(Bucket="bkt", Key=k))
        self.ddb.delete_item(TableName="tbl", Key={"k": {"S": items[0]}})
        objs, items = objs[len(objs) // 2:], items[1:]
        # Writes resume by themselves once the deleted bytes are gone from the disk.
        deadline = time.time() + 60
        while True:
            try:
                self.s3.put_object(Bucket="bkt", Key="after", Body=blob)
                self.ddb.put_item(TableName="tbl", Item={"k": {"S": "after"}})
                break
            except ClientError as e:
                self.assertIn(code_of(e)[0], ("SlowDown", "ThrottlingException"))
                self.assertLess(time.time(), deadline, "writes did not resume: " + str(self.health()))
                time.sleep(0.5)
        objs.append("after")
        items.append("after")
        # /health follows the guard's looks at the disk (every 200 ms): "degraded" while a look
        # finds less than the reserve free. Writes resume at the first look that finds room for
        # them (the 1 MiB PUT needs the reserve plus twice its size), so the next look can find
        # the disk under the reserve again: the first write to the WAL RocksDB started after the
        # full-disk flushes preallocates a block of 1.1 memtables (4.4 MiB here) at once, more
        # than the guard counts for the write. The guard refuses plain writes until its early
        # flush lets the old WAL go; it says "ok" again by itself.
        deadline = time.time() + 30
        while True:
            h = self.health()
            self.assertEqual(h["status"], "ok" if h["disk"]["state"] == "ok" else "degraded", h)
            if h["status"] == "ok":
                break
            self.assertLess(time.time(), deadline, "the disk guard did not recover: " + str(h))
            time.sleep(0.2)
        # Nothing acknowledged is lost over a clean restart.
        self.assertEqual(self.srv.stop(), 0, self.srv.read_log())
        self.srv.start()
        self.s3 = self.srv.client("s3")
        self.ddb = self.srv.client("dynamodb")
        self.check_all(objs, items, blob)

    def test_batch(self):
        self.run_mode("batch")

    def test_always(self):
        self.run_mode("always")

    def test_none(self):
        self.run_mode("none")

    def test_kill9_while_full(self):
        """kill -9 while writes are being refused, restart on the full disk: every acknowledged
        write is there."""
        self.start("batch")
        self.setup_data()
        blob = os.urandom(1 << 20)
        objs, items, _ = self.fill(blob)
        self.srv.kill9()
        self.srv.start()
        self.s3 = self.srv.client("s3")
        self.ddb = self.srv.client("dynamodb")
        self.check_all(objs, items, blob)

    def test_filled_by_another_program(self):
        """Another program fills the disk; the server refuses writes instead of failing, starts
        on the full disk, and writes resume when the other program's file is removed."""
        self.start("batch")
        self.setup_data()
        self.srv.lambda_role("r")  # issue 15: the function's role exists before the disk fills
        self.s3.put_object(Bucket="bkt", Key="before", Body=b"kept")
        self.ddb.put_item(TableName="tbl", Item={"k": {"S": "before"}})
        filler = os.path.join(self.mnt, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", f"count={FS_MB}"],
                       capture_output=True)  # stops at ENOSPC
        time.sleep(0.6)  # the guard looks at the disk every 200 ms
        saw = set()
        for i in range(20):
            for op in (lambda: self.s3.put_object(Bucket="bkt", Key=f"x{i}", Body=b"y" * 100000),
                       lambda: self.ddb.put_item(TableName="tbl", Item={"k": {"S": f"x{i}"}})):
                try:
                    op()
                except ClientError as e:
                    saw.add(code_of(e))
            self.assertIsNone(self.srv.proc.poll(), "stratusd died: " + self.srv.read_log())
        self.assertTrue(saw <= {("SlowDown", 503), ("ThrottlingException", 503)}, saw)
        self.assertTrue(saw, "no write was refused on a full disk")
        # Lambda: a function's code is refused the same way.
        lam = self.srv.client("lambda")
        with self.assertRaises(ClientError) as cm:
            lam.create_function(FunctionName="fn", Runtime="provided.al2023", Handler="x",
                                Role="arn:aws:iam::000000000000:role/r",
                                Code={"ZipFile": zip_of({"bootstrap": "#!/bin/sh\n"})})
        self.assertEqual(code_of(cm.exception), ("TooManyRequestsException", 429))
        self.assertEqual(self.s3.get_object(Bucket="bkt", Key="before")["Body"].read(), b"kept")
        # A restart on a disk full to the last byte serves reads.
        self.srv.stop()
        subprocess.run(f"cat /dev/zero >> {filler}", shell=True, capture_output=True)
        self.assertEqual(os.statvfs(self.mnt).f_bavail, 0)
        self.srv.start()
        self.s3 = self.srv.client("s3")
        self.ddb = self.srv.client("dynamodb")
        self.assertEqual(self.s3.get_object(Bucket="bkt", Key="before")["Body"].read(), b"kept")
        self.assertIn("Item", self.ddb.get_item(TableName="tbl", Key={"k": {"S": "before"}}))
        # It opened by giving up its ballast (a file kept for this), and says how much is free.
        self.assertIn("released the", self.srv.read_log())
        self.assertLess(self.health()["disk"]["free_bytes"], 32 << 20)
        os.unlink(filler)
        deadline = time.time() + 60
        while True:
            try:
                self.ddb.put_item(TableName="tbl", Item={"k": {"S": "later"}})
                self.s3.put_object(Bucket="bkt", Key="later", Body=b"z")
                break
            except ClientError as e:
                self.assertIn(code_of(e)[0], ("SlowDown", "ThrottlingException"))
                self.assertLess(time.time(), deadline, "writes did not resume: " + self.srv.read_log())
                time.sleep(0.5)
        self.assertEqual(self.srv.stop(), 0)
        self.srv.start()
        self.s3 = self.srv.client("s3")
        self.assertEqual(self.s3.get_object(Bucket="bkt", Key="later")["Body"].read(), b"z")


if __name__ == "__main__":
    unittest.main()
