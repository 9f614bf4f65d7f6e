# SPDX-License-Identifier: Apache-2.0
"""DynamoDB hardening: set work is O(n log n), and a request's decoded form stays bounded.

The requests here are large; each one is timed on the server side (a raw signed request), with
ceilings several times what the O(n log n) code needs and far below what quadratic set code took
(a 90 000-member number set took 13.6 s to put, an ADD of two 45 000-member sets minutes).
"""
import concurrent.futures
import http.client
import json
import time
import unittest

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from stratus_fixture import Server

ITEM_MAX = 400 * 1024
CEILING = 5.0  # seconds for one large-set request (the quadratic code took 13.6 s and more)


def num_size(text):
    """DynamoDB's size of a number: about one byte per two significant digits, plus one."""
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def ns(values):
    return {"NS": [str(v) for v in values]}


class HardeningDdb(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ddb = cls.srv.client("dynamodb")
        cls.ddb.create_table(
            TableName="hard", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def call(self, op, body, timeout=120):
        """A signed DynamoDB request with a raw JSON body: (status, response object, seconds)."""
        if not isinstance(body, bytes):
            body = json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0",
                   "X-Amz-Target": "DynamoDB_20120810." + op}
        req = AWSRequest(method="POST", url=self.srv.endpoint + "/", data=body, headers=headers)
        SigV4Auth(Credentials(self.srv.access_key, self.srv.secret_key), "dynamodb",
                  self.srv.region).add_auth(req)
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=timeout)
        try:
            t0 = time.monotonic()
            conn.request("POST", "/", body=body, headers=dict(req.headers.items()))
            r = conn.getresponse()
            data = r.read()
            took = time.monotonic() - t0
        finally:
            conn.close()
        return r.status, json.loads(data) if data else {}, took

    def ok(self, op, body):
        status, out, took = self.call(op, body)
        self.assertEqual(status, 200, out)
        self.assertLess(took, CEILING, f"{op} took {took:.2f} s")
        return out

    def refused(self, op, body, message):
        status, out, took = self.call(op, body)
        self.assertEqual(status, 400, out)
        self.assertIn("ValidationException", out.get("__type", ""))
        self.assertEqual(out.get("message", out.get("Message")), message)
        self.assertLess(took, CEILING, f"{op} took {took:.2f} s")

    def get_set(self, pk, attr="s"):
        out = self.ok("GetItem", {"TableName": "hard", "Key": {"pk": {"S": pk}}})
        v = out["Item"][attr]
        return v.get("NS") or v.get("SS")

    # ---- sets built, de-duplicated and stored ----

    def test_largest_number_set_fits_and_is_fast(self):
        # 90 000 five-digit numbers: under 400 KB by DynamoDB's count (digits / 2 + 1).
        vals = [str(v) for v in range(10000, 100000)]
        size = len("pk") + len("big-ns") + len("s") + sum(num_size(v) for v in vals)
        self.assertLess(size, ITEM_MAX)
        self.ok("PutItem", {"TableName": "hard", "Item": {"pk": {"S": "big-ns"}, "s": {"NS": vals}}})
        got = self.get_set("big-ns")
        self.assertEqual(len(got), len(vals))
        self.assertEqual(set(got), set(vals))

    def test_largest_string_set_fits_and_is_fast(self):
        vals = ["%05x" % v for v in range(80000)]  # 400 000 bytes
        self.ok("PutItem", {"TableName": "hard", "Item": {"pk": {"S": "big-ss"}, "s": {"SS": vals}}})
        self.assertEqual(set(self.get_set("big-ss")), set(vals))

    def test_set_over_the_item_limit_is_refused_fast(self):
        big = [str(v) for v in range(100000, 400000)]  # about 1.2 MB of numbers
        self.refused("PutItem", {"TableName": "hard", "Item": {"pk": {"S": "x"}, "s": {"NS": big}}},
                     "Item size has exceeded the maximum allowed size")
        ss = ["%06d" % v for v in range(300000)]  # 1.8 MB of strings
        self.refused("PutItem", {"TableName": "hard", "Item": {"pk": {"S": "x"}, "s": {"SS": ss}}},
                     "Item size has exceeded the maximum allowed size")
        status, out, _ = self.call("GetItem", {"TableName": "hard", "Key": {"pk": {"S": "x"}}})
        self.assertEqual((status, out), (200, {}))

    def test_large_set_with_duplicates_is_refused_fast(self):
        vals = [str(v) for v in range(10000, 100000)] + ["99999"]
        msg = ("One or more parameter values were invalid: Input collection [" +
               ", ".join(vals[:20]) + "] contains duplicates.")
        self.refused("PutItem", {"TableName": "hard", "Item": {"pk": {"S": "d"}, "s": {"NS": vals}}},
                     msg)
        # Numbers are duplicates by value, not by text.
        self.refused("PutItem",
                     {"TableName": "hard", "Item": {"pk": {"S": "d"}, "s": ns(["1", "2", "1.0"])}},
                     "One or more parameter values were invalid: Input collection [1, 2, 1] "
                     "contains duplicates.")
        ss = ["%05x" % v for v in range(60000)] + ["00000"]
        self.refused("PutItem",
                     {"TableName": "hard", "Item": {"pk": {"S": "d"}, "s": {"SS": ss}}},
                     "One or more parameter values were invalid: Input collection [" +
                     ", ".join(ss[:20]) + "] contains duplicates.")

    # ---- UpdateExpression ADD / DELETE, legacy AttributeUpdates ----

    def test_add_and_delete_large_sets(self):
        self.ok("PutItem", {"TableName": "hard", "Item": {"pk": {"S": "add"},
                                                        "s": ns(range(10000, 55000))}})
        self.ok("UpdateItem", {"TableName": "hard", "Key": {"pk": {"S": "add"}},
                               "UpdateExpression": "ADD s :v",
                               "ExpressionAttributeValues": {":v": ns(range(50000, 95000))}})
        got = self.get_set("add")
        self.assertEqual(len(got), 85000)
        self.assertEqual(set(got), {str(v) for v in range(10000, 95000)})
        self.ok("UpdateItem", {"TableName": "hard", "Key": {"pk": {"S": "add"}},
                               "UpdateExpression": "DELETE s :v",
                               "ExpressionAttributeValues": {":v": ns(range(20000, 60000))}})
        self.assertEqual(set(self.get_set("add")),
                         {str(v) for v in range(10000, 20000)} | {str(v) for v in range(60000, 95000)})
        # The same through the legacy AttributeUpdates.
        self.ok("UpdateItem", {"TableName": "hard", "Key": {"pk": {"S": "add"}},
                               "AttributeUpdates": {"s": {"Action": "ADD",
                                                          "Value": ns(range(15000, 65000))}}})
        self.assertEqual(len(self.get_set("add")), 85000)
        self.ok("UpdateItem", {"TableName": "hard", "Key": {"pk": {"S": "add"}},
                               "AttributeUpdates": {"s": {"Action": "DELETE",
                                                          "Value": ns(range(10000, 90000))}}})
        self.assertEqual(set(self.get_set("add")), {str(v) for v in range(90000, 95000)})

    # ---- conditions comparing sets ----

    def test_condition_comparing_large_sets(self):
        vals = list(range(10000, 90000))
        self.ok("PutItem", {"TableName": "hard", "Item": {"pk": {"S": "cmp"}, "s": ns(vals)}})
        # The same set in another order (and another spelling of a number) is equal.
        other = [str(v) for v in reversed(vals)]
        other[0] = "89999.000"
        self.ok("PutItem", {"TableName": "hard", "Item": {"pk": {"S": "cmp"}, "s": ns(vals)},
                            "ConditionExpression": "s = :v AND contains(s, :x)",
                            "ExpressionAttributeValues": {":v": {"NS": other},
                                                          ":x": {"N": "45678"}}})
        changed = other[:-1] + ["1"]
        status, out, took = self.call(
            "PutItem", {"TableName": "hard", "Item": {"pk": {"S": "cmp"}, "s": ns(vals)},
                        "ConditionExpression": "s = :v",
                        "ExpressionAttributeValues": {":v": {"NS": changed}}})
        self.assertEqual(status, 400)
        self.assertIn("ConditionalCheckFailedException", out["__type"])
        self.assertLess(took, CEILING)
        status, out, took = self.call(
            "PutItem", {"TableName": "hard", "Item": {"pk": {"S": "cmp"}, "s": ns(vals)},
                        "ConditionExpression": "s <> :v",
                        "ExpressionAttributeValues": {":v": {"NS": other}}})
        self.assertEqual(status, 400)
        self.assertLess(took, CEILING)

    def test_large_map_equality(self):
        m = {"k%05d" % i: {"N": str(i)} for i in range(25000)}
        rev = dict(reversed(list(m.items())))
        self.ok("PutItem", {"TableName": "hard", "Item": {"pk": {"S": "map"}, "m": {"M": m}}})
        self.ok("PutItem", {"TableName": "hard", "Item": {"pk": {"S": "map"}, "m": {"M": m}},
                            "ConditionExpression": "m = :v",
                            "ExpressionAttributeValues": {":v": {"M": rev}}})

    def test_many_expression_names_and_values(self):
        # Every placeholder is looked up among 50 000 definitions.
        n = 200
        names = {"#n%d" % i: "a%d" % i for i in range(50000)}
        values = {":v%d" % i: {"N": str(i)} for i in range(50000)}
        expr = ", ".join("#n%d = :v%d" % (i, i) for i in range(n))
        status, out, took = self.call(
            "UpdateItem", {"TableName": "hard", "Key": {"pk": {"S": "names"}},
                           "UpdateExpression": "SET " + expr,
                           "ExpressionAttributeNames": names,
                           "ExpressionAttributeValues": values})
        self.assertEqual(status, 400)
        self.assertTrue(out["message"].startswith(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n200"),
            out["message"][:200])
        self.assertLess(took, CEILING)

    def test_partiql_set_literal_duplicates(self):
        members = ", ".join(str(v) for v in range(999)) + ", 5.0"
        status, out, _ = self.call("ExecuteStatement", {
            "Statement": "INSERT INTO hard VALUE {'pk': 'pq', 's': <<" + members + ">>}"})
        self.assertEqual(status, 400)
        self.assertIn("contains duplicates", out["message"])

    def test_concurrent_large_puts_do_not_stall_reads(self):
        vals = [str(v) for v in range(10000, 100000)]
        body = {"TableName": "hard", "Item": {"pk": {"S": "conc"}, "s": {"NS": vals}}}
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            futs = [ex.submit(self.call, "PutItem", body) for _ in range(4)]
            time.sleep(0.05)
            status, _, took = self.call("GetItem", {"TableName": "hard", "Key": {"pk": {"S": "n"}}})
            self.assertEqual(status, 200)
            self.assertLess(took, CEILING)
            for f in futs:
                self.assertEqual(f.result()[0], 200)

    # ---- the decoded size of a request is bounded ----

    def test_item_of_tiny_values_still_decodes(self):
        # 200 000 NULLs in a list: under 400 KB, and the most a legal item costs to decode.
        item = {"pk": {"S": "tiny"}, "l": {"L": [{"NULL": True}] * 200000}}
        self.ok("PutItem", {"TableName": "hard", "Item": item})
        out = self.ok("GetItem", {"TableName": "hard", "Key": {"pk": {"S": "tiny"}},
                                  "ProjectionExpression": "l[199999]"})
        self.assertEqual(out["Item"], {"l": {"L": [{"NULL": True}]}})

    def test_huge_batch_get_of_numbers_keeps_memory_bounded(self):
        # A server of its own, so that the other tests' requests do not count.
        srv = Server().start()
        saved = self.srv
        try:
            self.srv = srv
            self.huge_requests(srv)
        finally:
            self.srv = saved
            srv.cleanup()

    def huge_requests(self, srv):
        def vm_hwm_mb():
            with open(f"/proc/{srv.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
            self.fail("no VmHWM")

        status, _, _ = self.call("ListTables", {})
        self.assertEqual(status, 200)
        base = vm_hwm_mb()
        limit = 16 * 1024 * 1024
        head = b'{"RequestItems":{"hard":{"Keys":['
        one = b'{"pk":{"N":"1"}},'
        n = (limit - len(head) - 100) // len(one)
        body = head + one * n + b'{"pk":{"N":"1"}}]}}}'
        self.assertLess(len(body), limit)
        for _ in range(3):
            status, out, _ = self.call("BatchGetItem", body)
            self.assertEqual(status, 413, out)
        # A set of numbers as one key.
        head = b'{"RequestItems":{"hard":{"Keys":[{"pk":{"NS":['
        n = (limit - len(head) - 100) // 4
        body = head + b'"1",' * n + b'"1"]}}]}}}'
        status, out, _ = self.call("BatchGetItem", body)
        self.assertEqual(status, 413, out)
        # Many keys in a smaller request: DynamoDB's own answer.
        keys = [{"pk": {"S": str(i)}} for i in range(1000)]
        status, out, _ = self.call("BatchGetItem", {"RequestItems": {"hard": {"Keys": keys}}})
        self.assertEqual(status, 400, out)
        self.assertEqual(out["message"], "Too many items requested for the BatchGetItem call")
        hwm = vm_hwm_mb()
        # Under AddressSanitizer freed request bodies wait in its quarantine (256 MB at most).
        with open(f"/proc/{srv.proc.pid}/maps") as f:
            bound = 450 if "libasan" in f.read() else 150
        self.assertLess(hwm, bound, f"VmHWM {hwm:.0f} MB (at start {base:.0f} MB)")
        status, _, _ = self.call("ListTables", {})
        self.assertEqual(status, 200)

if __name__ == "__main__":
    unittest.main()
