# SPDX-License-Identifier: Apache-2.0
"""The sandbox of function instances: a hostile function (a `provided` runtime whose bootstrap
is a Python script speaking the Runtime API's plain HTTP) tries to read the data directory,
another function's code and the server's environment, to ptrace, signal and kill the server, to
write outside /tmp, to mount and make namespaces, to fork without bound and to allocate past its
MemorySize. Every attempt fails and the server keeps answering. Also: Lambda's file system
layout, /tmp of the function's EphemeralStorage size, an unprivileged uid, /proc showing only
the instance's own processes, its hostname; EphemeralStorage through the API.
"""
import glob
import io
import json
import os
import unittest
import zipfile

import botocore.exceptions

from stratus_fixture import Server

ROLE = "arn:aws:iam::000000000000:role/sandbox"

HOSTILE = r'''
import ctypes, errno, http.client, json, os, signal, socket, sys, time

libc = ctypes.CDLL(None, use_errno=True)


def attempt(fn):
    """'ok:<result>' when fn succeeded, else the error it met."""
    try:
        return "ok:%s" % (fn(),)
    except BaseException as e:  # noqa: B902 (MemoryError too)
        return "refused:%s" % (type(e).__name__ if not isinstance(e, OSError)
                               else errno.errorcode.get(e.errno, e.errno))


def call(name, *args):
    rc = getattr(libc, name)(*args)
    if rc == -1:
        raise OSError(ctypes.get_errno(), name)
    return rc


def read(path):
    with open(path, "rb") as f:
        return len(f.read())


def write(path):
    with open(path, "w") as f:
        f.write("x")
    return path


def probe(ev):
    out = {}
    out["data_list"] = attempt(lambda: os.listdir(ev["data"]))
    out["data_read"] = attempt(lambda: read(os.path.join(ev["data"], "CURRENT")))
    out["other_code"] = attempt(lambda: read(ev["other"]))
    out["server_environ"] = attempt(lambda: read("/proc/%d/environ" % ev["pid"]))
    out["secret_in_env"] = any(ev["secret"] in v for v in os.environ.values())
    out["session_token"] = "AWS_SESSION_TOKEN" in os.environ
    out["ptrace_attach"] = attempt(lambda: call("ptrace", 16, ev["pid"], None, None))
    out["ptrace_traceme"] = attempt(lambda: call("ptrace", 0, 0, None, None))
    out["signal_server"] = attempt(lambda: os.kill(ev["pid"], 0))
    out["kill_server"] = attempt(lambda: os.kill(ev["pid"], signal.SIGKILL))
    out["mount"] = attempt(lambda: call("mount", b"tmpfs", b"/tmp", b"tmpfs", 0, None))
    out["unshare_user"] = attempt(lambda: call("unshare", 0x10000000))
    out["writes"] = {p: attempt(lambda p=p: write(p)) for p in
                     ("/var/task/x", "/var/runtime/x", "/opt/x", "/etc/x", "/x", "/usr/x",
                      "/dev/x", "/proc/x")}
    out["tmp_write"] = attempt(lambda: write("/tmp/x"))
    st = os.statvfs("/tmp")
    out["tmp_mb"] = st.f_blocks * st.f_frsize >> 20
    out["uid"], out["gid"], out["groups"] = os.getuid(), os.getgid(), os.getgroups()
    out["no_new_privs"] = [l.split()[1] for l in open("/proc/self/status")
                           if l.startswith("NoNewPrivs")][0]
    out["seccomp"] = [l.split()[1] for l in open("/proc/self/status")
                      if l.startswith("Seccomp:")][0]
    out["hostname"] = socket.gethostname()
    out["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    out["cmdlines"] = [open("/proc/%d/cmdline" % p, "rb").read().decode(errors="replace")
                       for p in out["pids"] if os.path.exists("/proc/%d/cmdline" % p)]
    out["root"] = sorted(os.listdir("/"))
    out["cwd"], out["task_root"] = os.getcwd(), os.environ.get("LAMBDA_TASK_ROOT")
    out["runtime_dir"] = os.environ.get("LAMBDA_RUNTIME_DIR")
    out["home"], out["tmpdir"] = os.environ.get("HOME"), os.environ.get("TMPDIR")
    out["runtime"] = sorted(os.listdir("/var/runtime"))
    out["dev"] = sorted(os.listdir("/dev"))
    out["urandom"] = attempt(lambda: len(open("/dev/urandom", "rb").read(8)))
    return out


def forks(ev):
    """Fork up to ev['n'] sleeping children; how many were made, then they all go."""
    kids, err = [], None
    for _ in range(ev["n"]):
        try:
            pid = os.fork()
        except OSError as e:
            err = errno.errorcode.get(e.errno, e.errno)
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.kill(pid, signal.SIGKILL)
    for pid in kids:
        os.waitpid(pid, 0)
    return {"forked": len(kids), "error": err}


def alloc(ev):
    """Allocate (and touch) 16 MB blocks up to ev['mb']: how many MB were had."""
    held, got = [], 0
    try:
        while got < ev["mb"]:
            held.append(bytearray(16 << 20))
            got += 16
        err = None
    except MemoryError:
        err = "MemoryError"
    held.clear()
    return {"mb": got, "error": err}


host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
c = http.client.HTTPConnection(host, int(port))
while True:
    c.request("GET", "/2018-06-01/runtime/invocation/next")
    r = c.getresponse()
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    ev = json.loads(r.read())
    res = {"probe": probe, "forks": forks, "alloc": alloc}[ev["op"]](ev)
    c.request("POST", "/2018-06-01/runtime/invocation/%s/response" % rid, json.dumps(res))
    c.getresponse().read()
'''


def zip_files(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, data)
    return buf.getvalue()


HOSTILE_ZIP = zip_files({"bootstrap": ("#!/bin/sh\nexec python3 /var/task/hostile.py\n", 0o755),
                         "hostile.py": (HOSTILE, 0o644)})


class Sandbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.lam = cls.srv.client("lambda")
        # Another function, whose code the hostile one looks for.
        cls.lam.create_function(FunctionName="victim", Runtime="python3.11", Role=ROLE,
                                Handler="app.handler", Code={"ZipFile": zip_files({
                                    "app.py": ("def handler(e, c):\n    return 1\n", 0o644),
                                    "victim_secret.txt": ("s3cr3t", 0o644)})})
        cls.invoke("victim", {})
        found = glob.glob(os.path.join(cls.srv.data_dir, "db", "functions", "run", "*",
                                       "victim_secret.txt"))
        assert found, "the victim's code is unpacked"
        cls.victim_file = found[0]
        cls.lam.create_function(FunctionName="hostile", Runtime="provided.al2023", Role=ROLE,
                                Handler="x", Timeout=60, MemorySize=128,
                                EphemeralStorage={"Size": 600},
                                Code={"ZipFile": HOSTILE_ZIP})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    @classmethod
    def invoke(cls, name, event):
        r = cls.lam.invoke(FunctionName=name, Payload=json.dumps(event))
        body = json.loads(r["Payload"].read() or b"null")
        assert "FunctionError" not in r, body
        return body

    def assert_server_up(self):
        self.assertIsNone(self.srv.proc.poll(), "stratusd is running")
        self.assertIn("Functions", self.lam.list_functions())

    def probe(self):
        return self.invoke("hostile", {"op": "probe", "data": os.path.join(self.srv.data_dir, "db"),
                                       "other": self.victim_file, "pid": self.srv.proc.pid,
                                       "secret": self.srv.secret_key})

    def test_hostile_function_reaches_nothing(self):
        p = self.probe()
        refused = lambda what: self.assertTrue(str(p[what]).startswith("refused:"),
                                               "%s: %s" % (what, p[what]))
        for what in ("data_list", "data_read", "other_code", "server_environ", "ptrace_attach",
                     "signal_server", "kill_server", "mount", "unshare_user"):
            refused(what)
        # The filter itself answers ptrace (not only the PID namespace hiding the server).
        self.assertEqual(p["ptrace_traceme"], "refused:EPERM")
        self.assertEqual(p["mount"], "refused:EPERM")
        self.assertEqual(p["unshare_user"], "refused:EPERM")
        for path, r in p["writes"].items():
            self.assertTrue(r.startswith("refused:"), "%s: %s" % (path, r))
        self.assertEqual(p["tmp_write"], "ok:/tmp/x")
        self.assertNotEqual(p["uid"], 0)
        self.assertNotEqual(p["gid"], 0)
        self.assertEqual(p["groups"], [])
        self.assertEqual((p["no_new_privs"], p["seccomp"]), ("1", "2"))
        # Its PID namespace: its own processes only (the shell exec'd into python is its init).
        self.assertEqual(p["pids"], [1])
        self.assertFalse(any("stratusd" in c for c in p["cmdlines"]), p["cmdlines"])
        self.assertNotIn(self.srv.proc.pid, p["pids"][1:])
        self.assertRegex(p["hostname"], r"^169\.254\.\d+\.\d+$")
        self.assert_server_up()

    def test_secret_key_not_in_environment(self):
        p = self.probe()
        if not p["session_token"]:
            self.skipTest("per-function temporary credentials are another package's part")
        self.assertFalse(p["secret_in_env"])

    def test_lambda_file_system(self):
        p = self.probe()
        self.assertEqual((p["cwd"], p["task_root"], p["runtime_dir"]),
                         ("/var/task", "/var/task", "/var/runtime"))
        self.assertEqual((p["home"], p["tmpdir"]), ("/tmp", "/tmp"))
        allowed = {"bin", "dev", "etc", "lib", "lib64", "opt", "proc", "sbin", "tmp", "usr", "var",
                   "node_modules"}
        self.assertTrue(set(p["root"]) <= allowed, p["root"])
        self.assertTrue({"var", "tmp", "proc", "dev", "usr", "etc", "opt"} <= set(p["root"]))
        self.assertIn("python_bootstrap.py", p["runtime"])
        self.assertTrue({"null", "zero", "urandom", "random", "shm", "fd"} <= set(p["dev"]),
                        p["dev"])
        self.assertEqual(p["urandom"], "ok:8")
        self.assertEqual(p["tmp_mb"], 600)

    def test_fork_without_bound_is_bounded(self):
        r = self.invoke("hostile", {"op": "forks", "n": 2000})
        self.assertLess(r["forked"], 1100, r)
        self.assertGreater(r["forked"], 10, r)
        self.assertEqual(r["error"], "EAGAIN")
        self.assert_server_up()
        # The instance recovers: it answers again.
        self.assertEqual(self.probe()["pids"], [1])

    def test_allocation_past_memory_size_fails(self):
        r = self.invoke("hostile", {"op": "alloc", "mb": 512})
        self.assertEqual(r["error"], "MemoryError", r)
        self.assertLess(r["mb"], 128, r)
        self.assert_server_up()

    def test_ephemeral_storage_api(self):
        lam = self.srv.client("lambda", parameter_validation=False)  # the server validates
        zip_ = zip_files({"app.py": ("def handler(e, c):\n    return 1\n", 0o644)})
        c = lam.create_function(FunctionName="eph", Runtime="python3.11", Role=ROLE,
                                Handler="app.handler", Code={"ZipFile": zip_})
        self.assertEqual(c["EphemeralStorage"], {"Size": 512})
        self.assertEqual(lam.get_function_configuration(FunctionName="hostile")
                         ["EphemeralStorage"], {"Size": 600})
        u = lam.update_function_configuration(FunctionName="eph", EphemeralStorage={"Size": 10240})
        self.assertEqual(u["EphemeralStorage"], {"Size": 10240})
        self.assertEqual(lam.get_function(FunctionName="eph")["Configuration"]["EphemeralStorage"],
                         {"Size": 10240})
        for size, bound in ((511, "greater than or equal to 512"),
                            (10241, "less than or equal to 10240")):
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                lam.create_function(FunctionName="eph-bad", Runtime="python3.11", Role=ROLE,
                                    Handler="app.handler", Code={"ZipFile": zip_},
                                    EphemeralStorage={"Size": size})
            err = e.exception.response["Error"]
            self.assertEqual(err["Code"], "ValidationException")
            self.assertEqual(err["Message"],
                             "1 validation error detected: Value '%d' at 'ephemeralStorage.size' "
                             "failed to satisfy constraint: Member must have value %s"
                             % (size, bound))
            with self.assertRaises(botocore.exceptions.ClientError):
                lam.update_function_configuration(FunctionName="eph",
                                                  EphemeralStorage={"Size": size})
        self.assertEqual(lam.get_function_configuration(FunctionName="eph")["EphemeralStorage"],
                         {"Size": 10240})

    def test_instances_have_their_own_ids(self):
        """As root each live instance has a uid and gid of its own (and a hostname from its
        slot); without root the user namespace maps the server's uid to Lambda's 993:990."""
        self.lam.create_function(FunctionName="hostile3", Runtime="provided.al2023", Role=ROLE,
                                 Handler="x", Timeout=60, Code={"ZipFile": HOSTILE_ZIP})
        ev = {"op": "probe", "data": "/nonexistent", "other": "/nonexistent", "pid": 999999,
              "secret": self.srv.secret_key}
        a, b = self.invoke("hostile", ev), self.invoke("hostile3", ev)  # both instances live
        if os.geteuid() == 0:
            self.assertNotEqual(a["uid"], b["uid"])
            self.assertNotEqual(a["hostname"], b["hostname"])
        else:
            self.assertEqual((a["uid"], a["gid"], b["uid"]), (993, 990, 993))

    def test_new_ephemeral_size_gets_a_new_instance(self):
        self.lam.create_function(FunctionName="hostile2", Runtime="provided.al2023", Role=ROLE,
                                 Handler="x", Timeout=60, Code={"ZipFile": HOSTILE_ZIP})
        ev = {"op": "probe", "data": "/nonexistent", "other": "/nonexistent", "pid": 999999,
              "secret": self.srv.secret_key}
        self.assertEqual(self.invoke("hostile2", ev)["tmp_mb"], 512)
        self.lam.update_function_configuration(FunctionName="hostile2",
                                               EphemeralStorage={"Size": 1024})
        self.assertEqual(self.invoke("hostile2", ev)["tmp_mb"], 1024)


if __name__ == "__main__":
    unittest.main()
