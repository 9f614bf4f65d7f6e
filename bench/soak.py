#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Soak: mixed DynamoDB, S3 and function traffic against one stratusd for SOAK_SECONDS (default
600), with a kill -9 every KILL_EVERY seconds (default 60) and an immediate restart, on a data
directory on a small tmpfs (FS_MB, default 256; mounted when run as root) that a filler fills with
8 MiB objects until the server refuses writes (503 SlowDown / ThrottlingException, its
--disk-reserve guard) and then empties, over and over.

After every restart, and at the end, every acknowledged write is checked (deleted ones excepted):
items and counters exact, objects byte for byte, transactions whole. A DynamoDB stream feeds a
function that copies each record into a second table; at the end every acknowledged write to the
streamed table must have reached it. Prints requests by kind, acknowledged writes, writes lost,
refusals by code, crashes other than the intended kills, stratusd's peak RSS, stream records
delivered vs written; exits 1 when a write was lost, the server crashed or a request failed in a
way it should not have.

Usage: bench/soak.py [BUILD_DIR]   (loopback only; every loop is bounded in time and count)
"""
import collections
import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from bench_role import lambda_role

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", 600))
KILL_EVERY = float(os.environ.get("KILL_EVERY", 60))
FS_MB = int(os.environ.get("FS_MB", 256))
RESERVE = os.environ.get("DISK_RESERVE", "32M")
FSYNC = os.environ.get("FSYNC", "batch")
SEED = int(os.environ.get("SEED", 1))
KIB, MIB = 1024, 1024 * 1024
REFUSALS = ("SlowDown", "ThrottlingException")
ROLE = "arn:aws:iam::000000000000:role/soak"
BUCKET = "soak"
MAX_OPS = 1_000_000  # per worker per period: a bound; time ends a period first

POOL = random.Random(SEED).randbytes(9 * MIB)

ECHO = "def handler(event, context):\n    return {'echo': event}\n"
COPIER = '''import os
import boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    for r in event["Records"]:
        img = r["dynamodb"].get("NewImage")
        if not img:
            continue
        key = "%s|%s|%s" % (img["pk"]["S"], img["sk"]["N"], img.get("ver", {"N": "0"})["N"])
        ddb.put_item(TableName="copies", Item={"pk": {"S": key}, "seq": {"S": r["dynamodb"]["SequenceNumber"]}})
    return {}
'''


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def body(tag, size, rng):
    head = (tag + "|").encode()
    off = rng.randrange(0, len(POOL) - size)
    data = (head + POOL[off:off + size])[:size]
    return data, hashlib.sha256(data).hexdigest()


def err_code(e):
    if isinstance(e, ClientError):
        return e.response.get("Error", {}).get("Code", "?")
    return type(e).__name__


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = collections.Counter()
        self.acked = collections.Counter()
        self.refusals = collections.Counter()
        self.unexpected = collections.Counter()  # errors while the server was up that are not refusals
        self.examples = []
        self.lost = []

    def req(self, kind):
        with self.lock:
            self.requests[kind] += 1

    def ack(self, kind):
        with self.lock:
            self.acked[kind] += 1

    def refused(self, kind, code):
        with self.lock:
            self.refusals["%s %s" % (kind, code)] += 1

    def bad(self, kind, e):
        with self.lock:
            self.unexpected["%s %s" % (kind, err_code(e))] += 1
            if len(self.examples) < 10:
                self.examples.append("%s: %r" % (kind, e))

    def lose(self, what):
        with self.lock:
            self.lost.append(what)
            print("LOST: " + what, flush=True)


class Server:
    """stratusd on 127.0.0.1, port 0, on a fixed data directory; kill -9 and restart."""

    def __init__(self, binary, data_dir):
        self.binary, self.data_dir = binary, data_dir
        self.log_path = os.path.join(tempfile.gettempdir(), "stratus-soak-%d.log" % os.getpid())
        self.proc, self.port = None, None

    def start(self, timeout=60):
        port_file = os.path.join(self.data_dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(self.data_dir, "db"),
             "--port-file", port_file, "--threads", "2", "--fsync", FSYNC, "--disk-reserve", RESERVE,
             "--log-level", os.environ.get("SOAK_LOG_LEVEL", "warn")], stdout=self.log, stderr=self.log)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
                with open(port_file) as f:
                    self.port = int(f.read().strip())
                return
            if self.proc.poll() is not None:
                raise RuntimeError("stratusd exited at start: " + self.tail())
            time.sleep(0.02)
        raise RuntimeError("stratusd did not start: " + self.tail())

    def tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def peak_rss_kib(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stop(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        return rc

    def client(self, service, read_timeout=60):
        return boto3.client(service, endpoint_url="http://127.0.0.1:%d" % self.port, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}, connect_timeout=5,
                                          read_timeout=read_timeout, max_pool_connections=4))


class Worker:
    """One client thread's traffic; its own keys, one request at a time, so at most one of its
    writes is in flight at a kill. `period` runs in a new thread after each restart."""

    service = "dynamodb"

    def __init__(self, name, stats, rng):
        self.name, self.stats, self.rng = name, stats, rng
        self.inflight = None

    def period(self, srv, stop):
        c = srv.client(self.service)
        for op in range(MAX_OPS):
            if stop.is_set():
                return
            kind = None
            try:
                kind = self.step(c, op)
            except ClientError as e:
                code = err_code(e)
                if code in REFUSALS:
                    self.stats.refused(self.inflight[0] if self.inflight else self.name, code)
                    self.refused()  # a refused write did not happen: the model changes only on success
                    self.inflight = None
                    stop.wait(0.05)
                elif not stop.is_set():
                    self.stats.bad(self.inflight[0] if self.inflight else self.name, e)
                    self.inflight = None  # a definite failure: not applied
                    stop.wait(0.05)
            except (BotoCoreError, OSError) as e:
                if stop.is_set():
                    return  # the kill: what was in flight stays in self.inflight
                self.stats.bad(self.name, e)
                stop.wait(0.2)

    def refused(self):
        pass


class Ddb(Worker):
    """New orders (attribute_not_exists), a conditional counter (`SET ver = ver + :one IF ver = :prev`),
    transactions (an order and a ledger counter, conditional), queries. Orders are streamed."""

    def __init__(self, wid, stats, rng):
        super().__init__("ddb%d" % wid, stats, rng)
        self.pk, self.tpk = "w%d" % wid, "t%d" % wid
        self.next_sk = 1
        self.items = {}       # sk -> value, acknowledged (orders, pk = self.pk)
        self.ver = 0          # counter item (pk, sk 0)
        self.tx = 0           # transactions acknowledged == ledger counter
        self.stream_keys = set()  # "pk|sk|ver" of acknowledged writes to the streamed table

    def setup(self, ddb):
        ddb.put_item(TableName="orders", Item={"pk": {"S": self.pk}, "sk": {"N": "0"}, "ver": {"N": "0"}})
        ddb.put_item(TableName="ledger", Item={"pk": {"S": self.tpk}, "n": {"N": "0"}})
        self.stream_keys.add("%s|0|0" % self.pk)

    def step(self, ddb, op):
        r = self.rng.random()
        if r < 0.4:
            sk = self.next_sk
            self.next_sk += 1
            value = "v%d-" % sk + "x" * self.rng.randrange(1, 400)
            self.inflight = ("ddb.put", sk, value)
            self.stats.req("ddb.put")
            ddb.put_item(TableName="orders", ConditionExpression="attribute_not_exists(pk)",
                         Item={"pk": {"S": self.pk}, "sk": {"N": str(sk)}, "v": {"S": value}})
            self.items[sk] = value
            self.stream_keys.add("%s|%d|0" % (self.pk, sk))
            self.stats.ack("ddb.put")
        elif r < 0.65:
            self.inflight = ("ddb.update", self.ver + 1)
            self.stats.req("ddb.update")
            ddb.update_item(TableName="orders", Key={"pk": {"S": self.pk}, "sk": {"N": "0"}},
                            UpdateExpression="SET ver = ver + :one", ConditionExpression="ver = :prev",
                            ExpressionAttributeValues={":one": {"N": "1"}, ":prev": {"N": str(self.ver)}})
            self.ver += 1
            self.stream_keys.add("%s|0|%d" % (self.pk, self.ver))
            self.stats.ack("ddb.update")
        elif r < 0.85:
            i = self.tx + 1
            self.inflight = ("ddb.transaction", i)
            self.stats.req("ddb.transaction")
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "orders", "Item": {"pk": {"S": self.tpk}, "sk": {"N": str(i)}},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": "ledger", "Key": {"pk": {"S": self.tpk}},
                            "UpdateExpression": "SET n = n + :one", "ConditionExpression": "n = :prev",
                            "ExpressionAttributeValues": {":one": {"N": "1"}, ":prev": {"N": str(i - 1)}}}}])
            self.tx = i
            self.stream_keys.add("%s|%d|0" % (self.tpk, i))
            self.stats.ack("ddb.transaction")
        else:
            self.inflight = None
            self.stats.req("ddb.query")
            r = ddb.query(TableName="orders", KeyConditionExpression="pk = :p AND sk > :s",
                          ExpressionAttributeValues={":p": {"S": self.pk}, ":s": {"N": str(max(0, self.next_sk - 50))}})
            for it in r["Items"]:
                sk = int(it["sk"]["N"])
                if sk in self.items and it["v"]["S"] != self.items[sk]:
                    self.stats.lose("%s: query returned a different item %d" % (self.name, sk))
            return
        self.inflight = None

    def verify(self, found):
        orders, ledger = found.scan("orders"), found.scan("ledger")
        mine = {int(k[1]): v for k, v in orders.items() if k[0] == self.pk}
        ver = int(mine[0]["ver"]["N"]) if 0 in mine else -1
        ok_ver = {self.ver} | ({self.inflight[1]} if self.inflight and self.inflight[0] == "ddb.update" else set())
        if ver not in ok_ver:
            self.stats.lose("%s: counter is %d, acknowledged %d" % (self.name, ver, self.ver))
        if self.inflight and self.inflight[0] == "ddb.update" and ver == self.inflight[1]:
            self.stream_keys.add("%s|0|%d" % (self.pk, ver))
        self.ver = max(ver, self.ver)
        for sk, value in self.items.items():
            if sk not in mine:
                self.stats.lose("%s: acknowledged item %d missing" % (self.name, sk))
            elif mine[sk]["v"]["S"] != value:
                self.stats.lose("%s: item %d differs" % (self.name, sk))
        if self.inflight and self.inflight[0] == "ddb.put" and self.inflight[1] in mine:
            self.items[self.inflight[1]] = self.inflight[2]  # landed unacknowledged: keep it from now
        n = int(ledger[(self.tpk,)]["n"]["N"]) if (self.tpk,) in ledger else -1
        ok_tx = {self.tx} | ({self.inflight[1]} if self.inflight and self.inflight[0] == "ddb.transaction" else set())
        if n not in ok_tx:
            self.stats.lose("%s: ledger counter %d, acknowledged transactions %d" % (self.name, n, self.tx))
        txs = {int(k[1]) for k in orders if k[0] == self.tpk}
        if txs != set(range(1, n + 1)):
            self.stats.lose("%s: transactions half applied: ledger says %d, orders has %s"
                            % (self.name, n, sorted(txs)[-5:]))
        if n == self.tx + 1:
            self.stream_keys.add("%s|%d|0" % (self.tpk, n))
        self.tx = max(n, self.tx)
        self.inflight = None
        return len(self.items) + 2 + self.tx


class S3(Worker):
    """PutObject 1 KiB .. 8 MiB over 8 keys of its own, GetObject (checked), DeleteObject,
    and multipart uploads of 2-3 parts of 5 MiB."""

    service = "s3"
    KEYS = 8

    def __init__(self, wid, stats, rng):
        super().__init__("s3-%d" % wid, stats, rng)
        self.current = {}   # key -> (size, sha256) acknowledged; absent = deleted / never written
        self.extra = {}     # key -> version in flight (a put: (size, sha); a delete: None)

    def step(self, s3, op):
        key = "%s/k%d" % (self.name, self.rng.randrange(self.KEYS))
        r = self.rng.random()
        tag = "%s-%d-%d" % (self.name, op, self.rng.randrange(1 << 30))
        if r < 0.45:
            data, digest = body(tag, int(KIB * (8 * KIB) ** self.rng.random()), self.rng)
            self.inflight = ("s3.put", key, (len(data), digest))
            self.stats.req("s3.put")
            s3.put_object(Bucket=BUCKET, Key=key, Body=data)
            self.current[key] = (len(data), digest)
            self.stats.ack("s3.put")
        elif r < 0.75:
            self.inflight = None
            self.stats.req("s3.get")
            try:
                data = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            except ClientError as e:
                if err_code(e) != "NoSuchKey":
                    raise
                data = None
            got = (len(data), hashlib.sha256(data).hexdigest()) if data is not None else None
            if got != self.current.get(key):
                self.stats.lose("%s: GET %s gave %s, acknowledged %s" % (self.name, key, got, self.current.get(key)))
        elif r < 0.9:
            self.inflight = ("s3.delete", key, None)
            self.stats.req("s3.delete")
            s3.delete_object(Bucket=BUCKET, Key=key)
            self.current.pop(key, None)
            self.stats.ack("s3.delete")
        else:
            nparts = self.rng.randrange(2, 4)
            parts = [body("%s-p%d" % (tag, p), 5 * MIB if p < nparts - 1 else self.rng.randrange(KIB, 5 * MIB),
                          self.rng)[0] for p in range(nparts)]
            data = b"".join(parts)
            self.inflight = ("s3.multipart", key, (len(data), hashlib.sha256(data).hexdigest()))
            self.stats.req("s3.multipart")
            up = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
            try:
                done = []
                for p, part in enumerate(parts, 1):
                    etag = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=p, Body=part)["ETag"]
                    done.append({"PartNumber": p, "ETag": etag})
                s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up, MultipartUpload={"Parts": done})
            except ClientError:
                s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up)  # a refused part: give the space back
                raise
            self.current[key] = self.inflight[2]
            self.stats.ack("s3.multipart")
        self.inflight = None

    def verify(self, found):
        keys = {"%s/k%d" % (self.name, i) for i in range(self.KEYS)}
        for key in sorted(keys):
            got = found.object(key)
            want = self.current.get(key)
            ok = {want}
            if self.inflight and self.inflight[1] == key:
                ok.add(self.inflight[2])
            if got not in ok:
                what = "torn or unknown version" if got is not None else "missing"
                self.stats.lose("%s: %s is %s (%s), acknowledged %s" % (self.name, key, what, got, want))
            if got is None:
                self.current.pop(key, None)
            else:
                self.current[key] = got
        self.inflight = None
        return len(self.current)


class Fn(Worker):
    """A Python function invoked synchronously; its answer must be the event it got."""

    service = "lambda"

    def __init__(self, stats, rng):
        super().__init__("fn", stats, rng)

    def step(self, lam, op):
        self.inflight = None
        event = {"n": op, "pad": "p" * self.rng.randrange(0, 2000)}
        self.stats.req("fn.invoke")
        r = lam.invoke(FunctionName="echo", Payload=json.dumps(event))
        out = r["Payload"].read()
        if r.get("FunctionError"):
            self.stats.bad("fn.invoke", RuntimeError("function error: %s" % out[:200]))
        elif json.loads(out) != {"echo": event}:
            self.stats.bad("fn.invoke", RuntimeError("wrong answer: %s" % out[:200]))
        else:
            self.stats.ack("fn.invoke")

    def verify(self, found):
        return 0


class Filler(Worker):
    """Fills the file system with 8 MiB objects until the server refuses, holds it full for a
    moment, deletes them all, then fills again once writes are accepted; round and round."""

    service = "s3"
    HOLD = 2.0  # seconds the disk stays full, so the other traffic meets the refusals

    def __init__(self, stats, rng):
        super().__init__("fill", stats, rng)
        self.current = {}   # key -> (size, sha256) acknowledged, not deleted
        self.seq = 0
        self.cycles = 0
        self.full_since = None  # set while emptying

    def step(self, s3, op):
        if self.full_since is None:
            self.seq += 1
            key = "fill/%06d" % self.seq
            data, digest = body(key, 8 * MIB, self.rng)
            self.inflight = ("fill.put", key, (len(data), digest))
            self.stats.req("fill.put")
            s3.put_object(Bucket=BUCKET, Key=key, Body=data)
            self.current[key] = (len(data), digest)
            self.stats.ack("fill.put")
        elif time.time() < self.full_since + self.HOLD:
            time.sleep(0.1)
        elif self.current:
            key = min(self.current)
            self.inflight = ("fill.delete", key, None)
            self.stats.req("fill.delete")
            s3.delete_object(Bucket=BUCKET, Key=key)
            del self.current[key]
            self.stats.ack("fill.delete")
        else:
            self.full_since = None
            self.cycles += 1
        self.inflight = None

    def refused(self):
        if self.inflight and self.inflight[0] == "fill.put":
            if self.current:
                self.full_since = time.time()
            else:
                time.sleep(0.5)  # just emptied: the deleted bytes are not free yet

    def verify(self, found):
        keys = set(self.current)
        if self.inflight:
            keys.add(self.inflight[1])
        for key in sorted(keys):
            got = found.object(key)
            ok = {self.current.get(key)}
            if self.inflight and self.inflight[1] == key:
                ok.add(self.inflight[2])
            if got not in ok:
                self.stats.lose("fill: %s is %s, acknowledged %s" % (key, got, self.current.get(key)))
            if got is None:
                self.current.pop(key, None)
            else:
                self.current[key] = got
        self.inflight = None
        return len(self.current)


class Found:
    """Reads the state after a restart."""

    def __init__(self, srv):
        self.ddb = srv.client("dynamodb")
        self.s3 = srv.client("s3")
        self.tables = {}

    def scan(self, table):
        if table not in self.tables:
            out, kw = {}, {}
            for _ in range(100000):
                r = self.ddb.scan(TableName=table, ConsistentRead=True, **kw)
                for it in r["Items"]:
                    key = (it["pk"]["S"],) + ((it["sk"]["N"],) if "sk" in it else ())
                    out[key] = it
                if "LastEvaluatedKey" not in r:
                    break
                kw = {"ExclusiveStartKey": r["LastEvaluatedKey"]}
            self.tables[table] = out
        return self.tables[table]

    def object(self, key):
        try:
            o = self.s3.get_object(Bucket=BUCKET, Key=key)
        except ClientError as e:
            if err_code(e) == "NoSuchKey":
                return None
            raise
        data = o["Body"].read()
        if o["ContentLength"] != len(data):
            return ("torn", o["ContentLength"], len(data))
        return (len(data), hashlib.sha256(data).hexdigest())


def mount_tmpfs():
    """A FS_MB tmpfs for the data directory, or None (not root, or no mount)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        print("soak: not root, so no tmpfs: the data directory is on disk and the fill/empty phase is skipped")
        return None
    d = tempfile.mkdtemp(prefix="stratus-soak-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % FS_MB, "tmpfs", d],
                      capture_output=True).returncode != 0:
        os.rmdir(d)
        print("soak: mounting a tmpfs failed: the fill/empty phase is skipped")
        return None
    return d


def setup(srv, workers, stats):
    ddb, s3, lam = srv.client("dynamodb"), srv.client("s3"), srv.client("lambda")
    key = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
    arn = ddb.create_table(TableName="orders", KeySchema=key, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST",
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
                           )["TableDescription"]["LatestStreamArn"]
    for t in ("ledger", "copies"):
        ddb.create_table(TableName=t, KeySchema=key[:1], AttributeDefinitions=attrs[:1], BillingMode="PAY_PER_REQUEST")
    s3.create_bucket(Bucket=BUCKET)
    lambda_role("http://127.0.0.1:%d" % srv.port, "soak")  # issue 15: a role Lambda can assume
    lam.create_function(FunctionName="echo", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": ECHO})})
    lam.create_function(FunctionName="copier", Runtime="python3.11", Role=ROLE, Handler="app.handler", Timeout=30,
                        Code={"ZipFile": zip_of({"app.py": COPIER})})
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="copier", StartingPosition="TRIM_HORIZON",
                                    BatchSize=100)
    for w in workers:
        if isinstance(w, Ddb):
            w.setup(ddb)


def verify_all(srv, workers):
    t = time.time()
    found = Found(srv)
    checked = sum(w.verify(found) for w in workers)
    return checked, time.time() - t


def copies(srv):
    ddb, out, kw = srv.client("dynamodb"), set(), {}
    for _ in range(100000):
        r = ddb.scan(TableName="copies", **kw)
        out |= {it["pk"]["S"] for it in r["Items"]}
        if "LastEvaluatedKey" not in r:
            return out
        kw = {"ExclusiveStartKey": r["LastEvaluatedKey"]}
    return out


def stream_keys(srv):
    """pk|sk|ver of every record in the orders stream (diagnosis when records did not arrive)."""
    st, ddb, out = srv.client("dynamodbstreams"), srv.client("dynamodb"), set()
    arn = ddb.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
    for sh in st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = st.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"],
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for _ in range(100000):
            r = st.get_records(ShardIterator=it, Limit=1000)
            for rec in r["Records"]:
                img = rec["dynamodb"].get("NewImage")
                if img:
                    out.add("%s|%s|%s" % (img["pk"]["S"], img["sk"]["N"], img.get("ver", {"N": "0"})["N"]))
            if not r["Records"] or "NextShardIterator" not in r:
                break
            it = r["NextShardIterator"]
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    binary = os.path.abspath(os.path.join(build, "stratusd"))
    rng = random.Random(SEED)
    stats = Stats()
    mnt = mount_tmpfs()
    data_dir = mnt or tempfile.mkdtemp(prefix="stratus-soak-")
    srv = Server(binary, data_dir)
    workers = [Ddb(0, stats, random.Random(rng.random())), Ddb(1, stats, random.Random(rng.random())),
               S3(0, stats, random.Random(rng.random())), S3(1, stats, random.Random(rng.random())),
               Fn(stats, random.Random(rng.random()))]
    filler = Filler(stats, random.Random(rng.random())) if mnt else None
    if filler:
        workers.append(filler)
    kills, crashes, peak_rss, restarts, verify_time = 0, [], 0, [], 0.0
    print("soak: %d s, kill -9 every %d s, fsync %s, data on %s" %
          (SOAK_SECONDS, KILL_EVERY, FSYNC, "a %d MiB tmpfs (--disk-reserve %s)" % (FS_MB, RESERVE) if mnt else "disk"),
          flush=True)
    started = time.time()
    try:
        srv.start()
        setup(srv, workers, stats)
        while time.time() - started < SOAK_SECONDS:
            stop = threading.Event()
            threads = [threading.Thread(target=w.period, args=(srv, stop)) for w in workers]
            for th in threads:
                th.start()
            until = min(time.time() + KILL_EVERY, started + SOAK_SECONDS)
            last = until >= started + SOAK_SECONDS
            died = None
            while time.time() < until and died is None:
                time.sleep(min(0.5, max(0.0, until - time.time())))
                died = srv.proc.poll()
                peak_rss = max(peak_rss, srv.peak_rss_kib())
            if died is not None:
                crashes.append("exited with %s: %s" % (died, srv.tail()[-800:]))
                print("CRASH: stratusd exited on its own with %s" % died, flush=True)
                stop.set()
                srv.stop(signal.SIGKILL)
            elif last:
                stop.set()  # the end: let the requests finish, then a clean stop
                for th in threads:
                    th.join(120)
                rc = srv.stop(signal.SIGTERM)
                if rc != 0:
                    crashes.append("SIGTERM exit status %s: %s" % (rc, srv.tail()[-800:]))
            else:
                stop.set()
                srv.stop(signal.SIGKILL)  # with requests in flight
                kills += 1
            for th in threads:
                th.join(120)
                if th.is_alive():
                    crashes.append("a client thread is stuck")
            t = time.time()
            srv.start()
            restarts.append(time.time() - t)
            n, took = verify_all(srv, workers)
            verify_time += took
            print("soak: %5.0f s: %s; %d acknowledged writes verified in %.1f s, lost so far %d, peak RSS %d MiB%s"
                  % (time.time() - started, "clean stop" if last else "kill -9 #%d" % kills, n, took,
                     len(stats.lost), peak_rss // 1024,
                     ", fill cycles %d" % filler.cycles if filler else ""), flush=True)
        # Every acknowledged write to the streamed table reaches the function (at least once).
        # Wait while the function makes progress (up to 5 minutes; 30 s without progress ends it).
        wanted = set().union(*(w.stream_keys for w in workers if isinstance(w, Ddb)))
        deadline, got = time.time() + 300, copies(srv)
        progress = time.time()
        while time.time() < deadline and time.time() < progress + 30 and not wanted <= got:
            time.sleep(1)
            now = copies(srv)
            if len(now) > len(got):
                progress = time.time()
            got = now
        missing = wanted - got
        if missing:
            in_stream = stream_keys(srv) & missing
            lam = srv.client("lambda")
            for m in lam.list_event_source_mappings(FunctionName="copier")["EventSourceMappings"]:
                print("mapping: state %s, last result %s" % (m.get("State"), m.get("LastProcessingResult")))
            print("stream: %d of the %d missing are in the stream; e.g. %s"
                  % (len(in_stream), len(missing), sorted(missing)[:8]))
            # Does one more write wake the consumer (a missed wake-up), or are the records skipped?
            srv.client("dynamodb").put_item(TableName="orders", Item={"pk": {"S": "poke"}, "sk": {"N": "0"}})
            for _ in range(30):
                time.sleep(1)
                got = copies(srv)
                if "poke|0|0" in got and missing - got != missing:
                    break
            print("after one more write: %d of the missing delivered, the new write %s"
                  % (len(missing & got), "delivered" if "poke|0|0" in got else "not delivered"))
            missing = wanted - got
        peak_rss = max(peak_rss, srv.peak_rss_kib())
        if srv.stop(signal.SIGTERM) != 0:
            crashes.append("final SIGTERM: " + srv.tail()[-800:])
    finally:
        if srv.proc and srv.proc.poll() is None:
            srv.stop(signal.SIGKILL)
        if mnt:
            subprocess.run(["umount", "-l", mnt])
            os.rmdir(mnt)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)

    print("\n# soak: %.0f s, %d kills (kill -9 with requests in flight), fsync %s" % (time.time() - started, kills, FSYNC))
    print("requests by kind:   " + ", ".join("%s %d" % kv for kv in sorted(stats.requests.items())))
    print("acknowledged:       " + ", ".join("%s %d" % kv for kv in sorted(stats.acked.items())))
    print("refusals by code:   " + (", ".join("%s %d" % kv for kv in sorted(stats.refusals.items())) or "none"))
    print("unexpected errors:  " + (", ".join("%s %d" % kv for kv in sorted(stats.unexpected.items())) or "none"))
    for e in stats.examples:
        print("    " + e)
    if filler:
        print("fill/empty cycles:  %d" % filler.cycles)
    print("acknowledged writes lost: %d" % len(stats.lost))
    for what in stats.lost[:20]:
        print("    " + what)
    print("crashes other than the kills: %d" % len(crashes))
    for c in crashes:
        print("    " + c)
    print("stratusd peak RSS (VmHWM): %.1f MiB" % (peak_rss / 1024))
    print("restart time: max %.2f s, mean %.2f s; verification %.1f s in all"
          % (max(restarts or [0]), sum(restarts) / max(1, len(restarts)), verify_time))
    print("stream: %d acknowledged writes to the streamed table, %d delivered to the function, %d missing "
          "(%d records delivered in all, unacknowledged writes that landed included)"
          % (len(wanted), len(wanted & got), len(missing), len(got)))
    failed = stats.lost or crashes or missing or stats.unexpected
    print("soak: " + ("FAILED (stratusd's log: %s)" % srv.log_path if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
