# SPDX-License-Identifier: Apache-2.0
"""kill -9 under mixed load, several rounds, in both durability modes (batch and always).

Client threads run conditional puts, conditional counter updates, transactions over two tables,
PutObject of 1 KiB to 8 MiB and multipart uploads while stratusd is killed with SIGKILL at a
random moment. Each write is recorded as acknowledged only after its success response. After the
restart on the same data directory:

  * every acknowledged write is there with exactly its content (objects byte for byte);
  * a counter is at its last acknowledged value, or one more when an increment was in flight;
  * a transaction is applied entirely or not at all, acknowledged or not;
  * nothing is torn: an object present (acknowledged or not) is one of the versions attempted
    for its key, and its listed size is its size; an item present is one that was attempted.

Each worker owns its keys and issues one request at a time, so at most one of its writes is in
flight at the kill and its state after the restart is known exactly. What a round finds becomes
the state the next round must keep. Random choices are seeded (the kill moment depends on timing).
"""
import hashlib
import random
import threading
import time
import unittest

from botocore.exceptions import BotoCoreError, ClientError

from stratus_fixture import Server

ROUNDS = 4            # per durability mode
LOAD_SECONDS = (1.5, 3.5)  # the kill comes at a random moment in this window
MAX_OPS = 2000        # per worker per round (a bound; time ends a round first)
KIB, MIB = 1024, 1024 * 1024
PART = 5 * MIB
BUCKET = "crash"
POOL = random.Random(7).randbytes(9 * MIB)  # object bodies are slices of this, with a unique head


def body(tag, size, rng):
    """A body of `size` bytes that begins with `tag`, so every version differs."""
    head = (tag + "|").encode()
    off = rng.randrange(0, len(POOL) - size)
    data = (head + POOL[off:off + size])[:size]
    return data, hashlib.sha256(data).hexdigest()


def object_size(rng):
    """1 KiB .. 8 MiB, log-uniform so that small and big objects both come often."""
    return int(KIB * (8 * KIB) ** rng.random())


def s(v):
    return {"S": v}


def n(v):
    return {"N": str(v)}


class Worker:
    """One client thread's writes. `run` is called once per round in a new thread."""

    def __init__(self, wid, seed):
        self.wid = wid
        self.rng = random.Random(seed)
        self.errors = []      # failures while the server was meant to be up
        self.acked = 0        # acknowledged writes, all rounds
        self.inflight = None  # the write that was cut by the kill, if any

    def run(self, srv, rnd, deadline, killed):
        client = self.make_client(srv)
        for op in range(MAX_OPS):
            if killed.is_set() or time.time() > deadline:
                return
            try:
                self.step(client, rnd, op)
            except (ClientError, BotoCoreError, OSError) as e:
                if not killed.is_set():
                    self.errors.append("%s round %d: %r" % (self.name, rnd, e))
                return  # the server is gone; what was in flight stays in self.inflight

    def verify(self, found, t):
        raise NotImplementedError


class ItemsAndCounter(Worker):
    """PutItem with attribute_not_exists on fresh keys, and `SET n = n + :one` on its own
    counter, conditional on the value it last saw."""

    def __init__(self, wid, seed):
        super().__init__(wid, seed)
        self.name = "items%d" % wid
        self.counter = "ctr-%d" % wid
        self.count = 0        # last acknowledged counter value
        self.items = {}       # key -> value, every put attempted
        self.acked_items = set()

    def make_client(self, srv):
        return srv.client("dynamodb", read_timeout=20, connect_timeout=5)

    def setup(self, ddb):
        ddb.put_item(TableName="items", Item={"pk": s(self.counter), "n": n(0)},
                     ConditionExpression="attribute_not_exists(pk)")

    def step(self, ddb, rnd, op):
        self.inflight = None
        if self.rng.random() < 0.5:
            key = "it-%d-%d-%d" % (self.wid, rnd, op)
            value = "%s:%s" % (key, "v" * self.rng.randrange(1, 3000))
            self.items[key] = value
            self.inflight = ("item", key)
            ddb.put_item(TableName="items", Item={"pk": s(key), "v": s(value)},
                         ConditionExpression="attribute_not_exists(pk)")
            self.acked_items.add(key)
        else:
            self.inflight = ("counter", self.count + 1)
            ddb.update_item(TableName="items", Key={"pk": s(self.counter)},
                            UpdateExpression="SET n = n + :one", ConditionExpression="n = :prev",
                            ExpressionAttributeValues={":one": n(1), ":prev": n(self.count)})
            self.count += 1
        self.inflight = None
        self.acked += 1

    def verify(self, found, t):
        present = found.table_items
        got = int(present[self.counter]["n"]["N"])
        allowed = {self.count}
        if self.inflight and self.inflight[0] == "counter":
            allowed.add(self.inflight[1])
        t.assertIn(got, allowed, "%s: counter %d, acknowledged %d" % (self.name, got, self.count))
        self.count = got  # what the restart found is what later rounds must keep
        for key in self.acked_items:
            t.assertTrue(key in present, "%s: acknowledged item %s lost" % (self.name, key))
        for key, value in self.items.items():
            if key in present:
                t.assertEqual(present[key]["v"]["S"], value, "%s: item %s differs" % (self.name, key))
                self.acked_items.add(key)
        self.inflight = None
        return {self.counter} | set(self.items)


class Transactions(Worker):
    """TransactWriteItems: 1-2 new items in `items`, one in `ledger`, and the worker's own
    counter in `ledger` incremented conditionally. Transaction i is applied iff counter >= i."""

    def __init__(self, wid, seed):
        super().__init__(wid, seed)
        self.name = "tx%d" % wid
        self.counter = "txc-%d" % wid
        self.count = 0   # acknowledged transactions (== the counter)
        self.txs = []    # txs[i-1] = (items keys, ledger keys) of transaction i, every attempt

    def make_client(self, srv):
        return srv.client("dynamodb", read_timeout=20, connect_timeout=5)

    def setup(self, ddb):
        ddb.put_item(TableName="ledger", Item={"pk": s(self.counter), "n": n(0)},
                     ConditionExpression="attribute_not_exists(pk)")

    def step(self, ddb, rnd, op):
        i = self.count + 1
        base = "tx-%d-%d" % (self.wid, i)
        ikeys = [base + "-a", base + "-b"][: self.rng.randrange(1, 3)]
        lkeys = [base + "-l"]
        actions = [{"Put": {"TableName": "items", "Item": {"pk": s(k), "tx": n(i)},
                            "ConditionExpression": "attribute_not_exists(pk)"}} for k in ikeys]
        actions += [{"Put": {"TableName": "ledger", "Item": {"pk": s(k), "tx": n(i)},
                             "ConditionExpression": "attribute_not_exists(pk)"}} for k in lkeys]
        actions.append({"Update": {"TableName": "ledger", "Key": {"pk": s(self.counter)},
                                   "UpdateExpression": "SET n = n + :one",
                                   "ConditionExpression": "n = :prev",
                                   "ExpressionAttributeValues": {":one": n(1), ":prev": n(i - 1)}}})
        if len(self.txs) < i:
            self.txs.append((ikeys, lkeys))
        else:
            self.txs[i - 1] = (ikeys, lkeys)  # a cut attempt that did not land is retried anew
        self.inflight = i
        ddb.transact_write_items(TransactItems=actions)
        self.inflight = None
        self.count = i
        self.acked += 1

    def verify(self, found, t):
        items, ledger = found.table_items, found.ledger_items
        got = int(ledger[self.counter]["n"]["N"])
        allowed = {self.count} | ({self.inflight} if self.inflight else set())
        t.assertIn(got, allowed, "%s: counter %d, acknowledged %d" % (self.name, got, self.count))
        for i, (ikeys, lkeys) in enumerate(self.txs, 1):
            there = [k in items for k in ikeys] + [k in ledger for k in lkeys]
            want = i <= got
            t.assertEqual(there, [want] * len(there),
                          "%s: transaction %d partly applied or lost (counter %d)" % (self.name, i, got))
            for k in ikeys:
                if want:
                    t.assertEqual(items[k]["tx"]["N"], str(i))
        self.count = got
        del self.txs[got:]  # attempts that did not land are forgotten (their keys are reused)
        self.inflight = None
        return ({k for ik, _ in self.txs for k in ik}, {self.counter} | {k for _, lk in self.txs for k in lk})


class Objects(Worker):
    """PutObject of 1 KiB .. 8 MiB over a few keys of its own (overwrites), or multipart
    uploads of 2-3 parts of 5 MiB (the last part may be shorter)."""

    KEYS = 4

    def __init__(self, wid, seed, multipart):
        super().__init__(wid, seed)
        self.multipart = multipart
        self.name = ("mpu%d" if multipart else "obj%d") % wid
        self.current = {}  # key -> (size, sha256) acknowledged, or found at the last restart
        self.attempts = {}  # key -> [(size, sha256)] every version attempted since then

    def make_client(self, srv):
        return srv.client("s3", read_timeout=60, connect_timeout=5)

    def setup(self, s3):
        pass

    def step(self, s3, rnd, op):
        key = "%s/k%d" % (self.name, self.rng.randrange(self.KEYS))
        tag = "%s-%d-%d" % (self.name, rnd, op)
        if self.multipart:
            nparts = self.rng.randrange(2, 4)
            last = self.rng.choice([PART, object_size(self.rng)])
            parts = [body(tag + "-p%d" % p, PART if p < nparts - 1 else last, self.rng)[0]
                     for p in range(nparts)]
            data = b"".join(parts)
            digest = hashlib.sha256(data).hexdigest()
            self.attempts.setdefault(key, []).append((len(data), digest))
            self.inflight = key
            up = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
            done = []
            for p, part in enumerate(parts, 1):
                etag = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=p, Body=part)["ETag"]
                done.append({"PartNumber": p, "ETag": etag})
            s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up,
                                         MultipartUpload={"Parts": done})
        else:
            data, digest = body(tag, object_size(self.rng), self.rng)
            self.attempts.setdefault(key, []).append((len(data), digest))
            self.inflight = key
            s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        self.inflight = None
        self.current[key] = (len(data), digest)
        self.attempts[key] = []  # older attempts can no longer be the current version
        self.acked += 1

    def verify(self, found, t):
        s3, listed = found.s3, found.objects
        keys = set(self.current) | set(self.attempts)
        for key in sorted(keys):
            allowed = ([self.current[key]] if key in self.current else []) + self.attempts.get(key, [])
            if key not in listed:
                t.assertNotIn(key, self.current, "%s: acknowledged object %s lost" % (self.name, key))
                continue
            data = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            got = (len(data), hashlib.sha256(data).hexdigest())
            t.assertEqual(listed[key], len(data), "%s: %s listed size differs from its body" % (self.name, key))
            if key in self.current and key != self.inflight:
                t.assertEqual(got, self.current[key], "%s: acknowledged %s differs" % (self.name, key))
            t.assertIn(got, allowed, "%s: %s is no version ever written (torn)" % (self.name, key))
            self.current[key] = got
        self.attempts = {}
        self.inflight = None
        found.bytes_checked += sum(v[0] for v in self.current.values())
        return set(self.current)


class Recovered:
    """The state found after a restart: every item of both tables, every object listed."""

    def __init__(self, srv):
        self.ddb = srv.client("dynamodb", read_timeout=30)
        self.s3 = srv.client("s3", read_timeout=60)
        self.table_items = self.scan("items")
        self.ledger_items = self.scan("ledger")
        self.objects = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for o in page.get("Contents", []):
                self.objects[o["Key"]] = o["Size"]
        self.bytes_checked = 0

    def scan(self, table):
        out, kw = {}, {}
        for _ in range(10000):
            r = self.ddb.scan(TableName=table, ConsistentRead=True, **kw)
            for it in r["Items"]:
                out[it["pk"]["S"]] = it
            if "LastEvaluatedKey" not in r:
                return out
            kw = {"ExclusiveStartKey": r["LastEvaluatedKey"]}
        raise AssertionError("scan of %s did not end" % table)


class CrashUnderMixedLoad(unittest.TestCase):
    def run_mode(self, mode):
        seed = {"batch": 1, "always": 2}[mode]
        rng = random.Random(seed)
        workers = [ItemsAndCounter(0, seed * 100 + 0), ItemsAndCounter(1, seed * 100 + 1),
                   Transactions(2, seed * 100 + 2), Objects(3, seed * 100 + 3, False),
                   Objects(4, seed * 100 + 4, False), Objects(5, seed * 100 + 5, True)]
        srv = Server("--fsync", mode)
        srv.start()
        started = time.time()
        try:
            ddb = srv.client("dynamodb")
            for table in ("items", "ledger"):
                ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                 BillingMode="PAY_PER_REQUEST")
            srv.client("s3").create_bucket(Bucket=BUCKET)
            for w in workers:
                w.setup(w.make_client(srv))
            cut = 0
            for rnd in range(ROUNDS):
                killed = threading.Event()
                load = rng.uniform(*LOAD_SECONDS)
                deadline = time.time() + load + 30  # the kill normally ends the round
                threads = [threading.Thread(target=w.run, args=(srv, rnd, deadline, killed)) for w in workers]
                for th in threads:
                    th.start()
                time.sleep(load)
                self.assertIsNone(srv.proc.poll(), "stratusd exited on its own: " + srv.read_log())
                killed.set()
                srv.kill9()
                for th in threads:
                    th.join(60)
                    self.assertFalse(th.is_alive(), "a client thread is stuck")
                cut += sum(1 for w in workers if w.inflight is not None)
                for w in workers:
                    self.assertEqual(w.errors, [], w.name)
                srv.start()
                found = Recovered(srv)
                items, ledger, objects = set(), set(), set()
                for w in workers:
                    keys = w.verify(found, self)
                    if isinstance(w, Transactions):
                        items |= keys[0]
                        ledger |= keys[1]
                    elif isinstance(w, Objects):
                        objects |= keys
                    else:
                        items |= keys
                # Nothing is there that nobody wrote (or that a failed transaction wrote).
                self.assertEqual(set(found.table_items) - items, set())
                self.assertEqual(set(found.ledger_items) - ledger, set())
                self.assertEqual(set(found.objects) - objects, set())
            kinds = {w.name: w.acked for w in workers}
            print("\n%s: %d rounds in %.1f s, acknowledged writes %s, %d writes cut by the kills; "
                  "all verified (%d items, %d ledger rows, %d objects, %.0f MiB read back last round)"
                  % (mode, ROUNDS, time.time() - started, kinds, cut, len(found.table_items),
                     len(found.ledger_items), len(found.objects), found.bytes_checked / MIB))
            self.assertGreater(sum(kinds.values()), 0)
        finally:
            srv.cleanup()

    def test_batch(self):
        self.run_mode("batch")

    def test_always(self):
        self.run_mode("always")


if __name__ == "__main__":
    unittest.main()
