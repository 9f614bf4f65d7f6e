# SPDX-License-Identifier: Apache-2.0
"""Functions are contained: a zip cannot plant setuid files or device nodes, the Runtime API
of an instance answers only that instance's processes, every process of an instance dies with
it and with the server, a big zip's unpacking delays only its own function, and an instance's
temporary space has a quota of its own."""
import io
import json
import os
import random
import socket
import stat
import subprocess
import threading
import time
import unittest
import zipfile

from botocore.exceptions import ClientError

from stratus_fixture import Server

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
CODE_UID = 65534


def zip_entries(entries):
    """entries: (name, data, st_mode) with the file type in st_mode."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            z.writestr(info, data)
    return buf.getvalue()


def namespaces_work():
    """Can this machine give a process PID and mount namespaces (what the runner needs)?"""
    if os.geteuid() == 0:
        args = ["unshare", "--pid", "--mount", "--fork", "true"]
    else:
        args = ["unshare", "--user", "--map-root-user", "--pid", "--mount", "--fork", "true"]
    try:
        return subprocess.run(args, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


NS = namespaces_work()
NS_SKIP = "this kernel gives no PID and mount namespaces to this user (unshare fails)"


def procs_with(marker):
    """Host pids whose command line contains marker."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def wait_present(marker, seconds):
    """The processes started in the background may not have run exec yet when Invoke returns."""
    deadline = time.time() + seconds
    while time.time() < deadline and not procs_with(marker):
        time.sleep(0.05)
    return procs_with(marker)


def wait_gone(marker, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline and procs_with(marker):
        time.sleep(0.1)
    return procs_with(marker)


# Leaves a process in a session of its own and a double-forked grandchild, both sleeping.
LEAVER = """import os, subprocess, time
def handler(event, context):
    subprocess.Popen(["setsid", "sleep", event["s1"]], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            os.setsid()
            os.execvp("sleep", ["sleep", event["s2"]])
        os._exit(0)
    os.waitpid(pid, 0)
    time.sleep(event.get("then", 0))
    return "left"
"""

ECHO = """import os
def handler(event, context):
    return {"api": os.environ["AWS_LAMBDA_RUNTIME_API"], "event": event}
"""

FILL = """import errno, os
def handler(event, context):
    chunk, n = b"x" * (16 << 20), 0
    path = os.path.join(os.environ["TMPDIR"], "fill")
    try:
        with open(path, "wb") as f:
            while n < event["mb"] << 20:
                f.write(chunk)
                f.flush()
                n += len(chunk)
    except OSError as e:
        os.unlink(path)
        return {"written": n, "errno": e.errno}
    os.unlink(path)
    return {"written": n, "errno": 0}
"""

# Opens Runtime API connections of its instance and sends requests without reading a single
# answer, for event["s"] seconds (one connection stays free for the runtime's own).
FLOOD = """import os, socket, threading, time
def handler(event, context):
    host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
    req = b"GET /x HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" * 4096
    end = time.time() + event["s"]
    kept, sent = [], [0]
    def flood():
        while time.time() < end - 0.2:
            try:
                s = socket.create_connection((host, int(port)))
                kept.append(s)
                s.settimeout(max(0.1, end - time.time()))
                while True:
                    s.sendall(req)
                    sent[0] += len(req)
            except OSError:
                pass
    threads = [threading.Thread(target=flood) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in kept:
        s.close()
    return sent[0]
"""

SLEEPY = """import time
def handler(event, context):
    time.sleep(event["s"])
    return "slept"
"""

TOUCH_CODE = """#!/bin/sh
# A custom runtime that tries to rewrite its own code, then serves one invocation.
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
if echo hacked >> "$LAMBDA_TASK_ROOT/bootstrap" 2>/dev/null; then W=rewritten; else W=refused; fi
HDRS=$(mktemp)
while true; do
  BODY=$(curl -sS -D "$HDRS" "$API/invocation/next")
  RID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HDRS" | tr -d '[:space:]' | cut -d: -f2)
  MODES=$(stat -c '%n:%a' "$LAMBDA_TASK_ROOT"/* | tr '\\n' ' ')
  SIGS=$(grep -E '^Sig(Blk|Ign)' /proc/self/status | tr -d '\\t' | tr '\\n' ' ')
  curl -sS -X POST "$API/invocation/$RID/response" \\
    -d "{\\"code\\": \\"$W\\", \\"modes\\": \\"$MODES\\", \\"signals\\": \\"$SIGS\\"}" >/dev/null
done
"""


class HardeningFn(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        cls.lam = cls.srv.client("lambda")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def invoke(self, name, event):
        r = self.lam.invoke(FunctionName=name, Payload=json.dumps(event))
        return r, json.loads(r["Payload"].read() or b"null")

    def test_zip_entries_that_are_refused(self):
        """Device nodes, FIFOs, sockets, absolute names, '..' and links out of the code
        directory are refused as AWS refuses a zip it cannot unpack."""
        ok = ("app.py", "def handler(e, c):\n    return 1\n", 0o100644)
        bad = {
            "chardev": ("dev/null", b"", stat.S_IFCHR | 0o666),
            "blockdev": ("dev/sda", b"", stat.S_IFBLK | 0o660),
            "socket": ("sock", b"", stat.S_IFSOCK | 0o755),
            "absolute": ("/etc/stratus-owned", b"x", 0o100644),
            "dotdot": ("a/../../escape", b"x", 0o100644),
            "link-out": ("lib/out", b"../../../etc/passwd", stat.S_IFLNK | 0o777),
            "link-abs": ("passwd", b"/etc/passwd", stat.S_IFLNK | 0o777),
        }
        for what, entry in bad.items():
            with self.subTest(what):
                with self.assertRaises(ClientError) as e:
                    self.lam.create_function(FunctionName="bad-" + what, Runtime="python3.12", Role=ROLE,
                                             Handler="app.handler",
                                             Code={"ZipFile": zip_entries([ok, entry])})
                err = e.exception.response["Error"]
                self.assertEqual(err["Code"], "InvalidParameterValueException")
                self.assertEqual(err["Message"], "Could not unzip uploaded file. Please check your file, "
                                 "then try to upload again.")
                with self.assertRaises(ClientError):
                    self.lam.get_function(FunctionName="bad-" + what)
        # libarchive reads a zipped FIFO as a regular file: accepted, it is unpacked as one.
        self.lam.create_function(FunctionName="fifo", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_entries([ok, ("pipe", b"", stat.S_IFIFO | 0o644)])})
        self.assertEqual(self.invoke("fifo", {})[1], 1)
        for top, dirs, files in os.walk(os.path.join(self.srv.data_dir, "db", "functions", "run")):
            for name in files:
                self.assertTrue(stat.S_ISREG(os.lstat(os.path.join(top, name)).st_mode) or
                                stat.S_ISLNK(os.lstat(os.path.join(top, name)).st_mode), name)
        # A link that stays inside the code (node_modules/.bin style) is fine.
        self.lam.create_function(FunctionName="link-in", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_entries([ok, ("lib/app2.py", b"../app.py",
                                                                    stat.S_IFLNK | 0o777)])})
        self.assertEqual(self.invoke("link-in", {})[1], 1)

    def test_stored_zip_is_checked_again_when_unpacked(self):
        """Code stored before CreateFunction checked entries (or altered on disk) is checked
        again by the runner: no device node is ever created."""
        ok = ("app.py", "def handler(e, c):\n    return 1\n", 0o100644)
        self.lam.create_function(FunctionName="stored", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_entries([ok])})
        fns = os.path.join(self.srv.data_dir, "db", "functions")
        zips = sorted((os.path.join(fns, n) for n in os.listdir(fns) if n.endswith(".zip")),
                      key=os.path.getmtime)
        with open(zips[-1], "wb") as f:  # not unpacked yet: that happens on the first invoke
            f.write(zip_entries([ok, ("null", b"", stat.S_IFCHR | 0o666)]))
        try:
            failed = "FunctionError" in self.lam.invoke(FunctionName="stored", Payload=b"{}")
        except ClientError:
            failed = True
        self.assertTrue(failed)
        for top, dirs, files in os.walk(os.path.join(fns, "run")):
            for name in files:
                self.assertFalse(stat.S_ISCHR(os.lstat(os.path.join(top, name)).st_mode), name)

    def test_special_bits_stripped_and_code_read_only(self):
        """setuid, setgid, sticky and group/other write bits are gone; as root the code belongs
        to an unprivileged user; the instance cannot rewrite its code."""
        z = zip_entries([("bootstrap", TOUCH_CODE, stat.S_IFREG | 0o6777),
                         ("id-copy", b"\x7fELF", stat.S_IFREG | 0o4755),
                         ("shared", b"x", stat.S_IFREG | 0o2666),
                         ("tmpdir/", b"", stat.S_IFDIR | 0o1777)])
        self.lam.create_function(FunctionName="bits", Runtime="provided.al2023", Role=ROLE,
                                 Handler="x", Code={"ZipFile": z})
        r, out = self.invoke("bits", {})
        self.assertNotIn("FunctionError", r, out)
        if NS or os.geteuid() != 0:
            self.assertEqual(out["code"], "refused")
        # Its processes start with no signal blocked or ignored (the server's threads block
        # SIGTERM and ignore SIGPIPE).
        self.assertEqual(sorted(out["signals"].split()), ["SigBlk:0000000000000000", "SigIgn:0000000000000000"])
        modes = dict(m.rsplit(":", 1) for m in out["modes"].split())
        for path, mode in modes.items():
            self.assertEqual(int(mode, 8) & 0o7022, 0, (path, mode))
        run = os.path.join(self.srv.data_dir, "db", "functions", "run")
        seen = 0
        for top, dirs, files in os.walk(run):
            for name in dirs + files:
                st = os.lstat(os.path.join(top, name))
                self.assertEqual(st.st_mode & 0o7022, 0, (name, oct(st.st_mode)))
                if os.geteuid() == 0:
                    self.assertEqual(st.st_uid, CODE_UID, name)
                seen += name in ("id-copy", "shared", "bootstrap")
        self.assertGreaterEqual(seen, 3)

    def test_runtime_api_refuses_other_processes(self):
        """A local process that finds a warm instance's Runtime API port and asks for the next
        invocation gets nothing: the invocation goes to the instance."""
        self.lam.create_function(FunctionName="echo", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Timeout=5, Code={"ZipFile": zip_entries([("app.py", ECHO, 0o100644)])})
        _, out = self.invoke("echo", {"warm": 1})
        host, port = out["api"].split(":")
        time.sleep(0.3)  # the runtime is back on GET .../next
        for attempt in range(3):
            thief = socket.create_connection((host, int(port)), timeout=5)
            thief.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.2)  # let its GET arrive first
            secret = "secret-%d-%d" % (attempt, random.randint(0, 1 << 30))
            r, out = self.invoke("echo", {"secret": secret})
            self.assertNotIn("FunctionError", r, out)
            self.assertEqual(out["event"], {"secret": secret})
            thief.settimeout(3)
            got = b""
            try:
                while True:
                    b = thief.recv(65536)
                    if not b:
                        break
                    got += b
            except (socket.timeout, ConnectionResetError):
                pass
            thief.close()
            self.assertNotIn(secret.encode(), got)
            self.assertNotIn(b"Lambda-Runtime-Aws-Request-Id", got)
            # Nor can it answer for the instance.
            forger = socket.create_connection((host, int(port)), timeout=5)
            forger.sendall(b"POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Length: 2\r\n\r\n{}")
            forger.settimeout(3)
            try:
                self.assertEqual(forger.recv(100), b"")
            except ConnectionResetError:
                pass
            forger.close()

    @unittest.skipUnless(NS, NS_SKIP)
    def test_processes_die_with_the_instance(self):
        """setsid children and double-forked grandchildren end with their instance (timeout)."""
        tag = str(random.randint(10 ** 6, 10 ** 7))
        s1, s2 = "1%s1" % tag, "1%s2" % tag
        self.lam.create_function(FunctionName="leaver", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Timeout=1, Code={"ZipFile": zip_entries([("app.py", LEAVER, 0o100644)])})
        r, out = self.invoke("leaver", {"s1": s1, "s2": s2, "then": 5})
        self.assertIn("Task timed out", out["errorMessage"])
        self.assertEqual(wait_gone(s1, 5), [])
        self.assertEqual(wait_gone(s2, 5), [])

    @unittest.skipUnless(NS, NS_SKIP)
    def test_processes_die_with_the_server(self):
        """After kill -9 of stratusd no process of any instance remains."""
        srv = Server().start()
        srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        try:
            lam = srv.client("lambda")
            tag = str(random.randint(10 ** 6, 10 ** 7))
            s1, s2 = "2%s1" % tag, "2%s2" % tag
            lam.create_function(FunctionName="leaver", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                Timeout=30, Code={"ZipFile": zip_entries([("app.py", LEAVER, 0o100644)])})
            r = lam.invoke(FunctionName="leaver", Payload=json.dumps({"s1": s1, "s2": s2}))
            self.assertEqual(json.loads(r["Payload"].read()), "left")
            self.assertEqual(len(wait_present(s1, 5)), 1)
            self.assertEqual(len(wait_present(s2, 5)), 1)
            srv.kill9()
            self.assertEqual(wait_gone(s1, 5), [])
            self.assertEqual(wait_gone(s2, 5), [])
        finally:
            srv.cleanup()

    def test_big_unpack_does_not_block_other_functions(self):
        """While a zip of many entries unpacks, a warm function's invocations go on."""
        self.lam.create_function(FunctionName="quick", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zip_entries([("app.py", ECHO, 0o100644)])})
        self.invoke("quick", {})  # warm
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            z.writestr("app.py", ECHO)
            for i in range(60000):
                z.writestr("d%d/f%d" % (i % 100, i), b"")
        self.lam.create_function(FunctionName="big", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Timeout=60, Code={"ZipFile": buf.getvalue()})
        done = {}

        def big():
            t = time.time()
            r = self.srv.client("lambda").invoke(FunctionName="big", Payload=b"{}")
            done["big"] = (time.time() - t, json.loads(r["Payload"].read()))

        th = threading.Thread(target=big)
        th.start()
        time.sleep(0.2)  # its unpacking has begun
        t = time.time()
        _, out = self.invoke("quick", {"during": 1})
        quick = time.time() - t
        quick_done = "big" not in done
        th.join(120)
        self.assertEqual(out["event"], {"during": 1})
        self.assertEqual(done["big"][1]["event"], {})
        if done["big"][0] < 0.6:
            self.skipTest("the big zip unpacked too fast (%.2f s) to tell" % done["big"][0])
        self.assertTrue(quick_done, "the warm function waited for the unpacking")
        self.assertLess(quick, 0.5, done)

    def test_runtime_that_reads_no_answer_delays_no_timeout(self):
        """An instance whose processes flood its Runtime API without reading the answers holds
        up nothing else: another function's timeout fires on time (the runner once blocked
        on each such connection's answers for seconds)."""
        self.lam.create_function(FunctionName="flood", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Timeout=30, Code={"ZipFile": zip_entries([("app.py", FLOOD, 0o100644)])})
        self.lam.create_function(FunctionName="sleepy", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Timeout=2, Code={"ZipFile": zip_entries([("app.py", SLEEPY, 0o100644)])})
        self.assertEqual(self.invoke("sleepy", {"s": 0})[1], "slept")  # warm
        done = {}

        def flood():
            r = self.srv.client("lambda").invoke(FunctionName="flood", Payload=json.dumps({"s": 8}))
            done["flood"] = (r.get("FunctionError"), json.loads(r["Payload"].read()))

        th = threading.Thread(target=flood)
        th.start()
        time.sleep(2)  # the flood is under way
        t = time.time()
        _, out = self.invoke("sleepy", {"s": 6})
        took = time.time() - t
        th.join(60)
        self.assertIn("Task timed out after 2.00 seconds", out["errorMessage"])
        self.assertLess(took, 4.5, out)
        self.assertIsNone(done["flood"][0], done)
        self.assertGreater(done["flood"][1], 1 << 20, done)  # it did flood

    @unittest.skipUnless(NS, NS_SKIP)
    def test_temporary_space_has_a_quota(self):
        """A function writing past its 512 MB of temporary space (Lambda's default ephemeral
        storage) gets ENOSPC, and the server goes on serving writes."""
        import errno
        self.lam.create_function(FunctionName="fill", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Timeout=60, MemorySize=256,
                                 Code={"ZipFile": zip_entries([("app.py", FILL, 0o100644)])})
        r, out = self.invoke("fill", {"mb": 700})
        self.assertNotIn("FunctionError", r, out)
        self.assertIn(out["errno"], (errno.ENOSPC, errno.EFBIG), out)
        self.assertLessEqual(out["written"], 512 << 20)
        self.assertGreater(out["written"], 256 << 20)
        ddb = self.srv.client("dynamodb")
        ddb.create_table(TableName="still", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        ddb.put_item(TableName="still", Item={"pk": {"S": "ok"}})
        self.assertIn("Item", ddb.get_item(TableName="still", Key={"pk": {"S": "ok"}}))
        r, out = self.invoke("fill", {"mb": 32})  # the same instance: space again once freed
        self.assertEqual(out, {"written": 32 << 20, "errno": 0})


if __name__ == "__main__":
    unittest.main()
