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
import shutil
import struct
import sys
import tempfile
import unittest
import zipfile

import botocore.exceptions

import stratus_fixture
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
    # No terminal to feed (TIOCSTI), whatever the command word's upper half holds.
    out["dev_tty"] = attempt(lambda: os.open("/dev/tty", os.O_RDWR))
    libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_char_p]
    out["tiocsti"] = attempt(lambda: call("ioctl", 0, 0x5412, b"x"))
    out["tiocsti_high"] = attempt(lambda: call("ioctl", 0, 0x100005412, b"x"))
    out["tioclinux"] = attempt(lambda: call("ioctl", 0, 0x541C, b"\x00"))
    out["own_session"] = os.getsid(0) == os.getpid()
    # The server's own files, wherever a bind would show them: nothing to read.
    out["hidden"] = {p: attempt(lambda p=p: sorted(os.listdir(p)) if os.path.isdir(p) else
                                open(p, "rb").read().decode(errors="replace"))
                     for p in ev.get("hidden", [])}
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


def expected_tmp_mb(srv, ephemeral, memory):
    """/tmp's size: EphemeralStorage, capped at max(512, MemorySize) in rlimits mode."""
    with open(srv.log_path, errors="replace") as f:
        log = f.read()
    if "instance limits by cgroup v2" in log:
        return ephemeral
    return min(ephemeral, max(512, memory))


class Sandbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role("sandbox")  # issue 15: functions need a role Lambda can assume
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
        self.assertNotIn("tty", p["dev"])
        self.assertEqual(p["tmp_mb"], expected_tmp_mb(self.srv, 600, 128))

    def test_no_terminal_input(self):
        p = self.probe()
        self.assertTrue(p["dev_tty"].startswith("refused:"), p["dev_tty"])
        for what in ("tiocsti", "tiocsti_high", "tioclinux"):
            self.assertEqual(p[what], "refused:EPERM", what)
        self.assertTrue(p["own_session"])

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
        self.lam.update_function_configuration(FunctionName="hostile2", MemorySize=1024,
                                               EphemeralStorage={"Size": 1024})
        self.assertEqual(self.invoke("hostile2", ev)["tmp_mb"], 1024)
        # Without a control group /tmp (memory) is at most max(512 MB, MemorySize).
        self.lam.update_function_configuration(FunctionName="hostile2", MemorySize=640,
                                               EphemeralStorage={"Size": 4096})
        self.assertEqual(self.invoke("hostile2", ev)["tmp_mb"],
                         expected_tmp_mb(self.srv, 4096, 640))

# Runs stratusd (argv[1:] after this script's own: NOBODY, FILTER, SECRET_FILE, then stratusd's
# arguments): as nobody when NOBODY is "1"; under a seccomp filter refusing namespaces (EPERM,
# as a container's filter does) when FILTER is "1"; with --secret-key-file SECRET_FILE instead
# of the fixture's --secret-key when SECRET_FILE is not "-".
LAUNCHER = r"""
import ctypes, os, struct, sys
nobody, refuse, secret_file, stratusd = sys.argv[1:5]
args = sys.argv[5:]
if secret_file != "-":
    i = args.index("--secret-key")
    del args[i:i + 2]
    args += ["--secret-key-file", secret_file]
if refuse != "0":
    libc = ctypes.CDLL(None, use_errno=True)
    # "ns": clone/unshare with CLONE_NEWNS (0x20000) -> EPERM; "hostname": sethostname ->
    # EPERM. x86_64 only (the filter checks).
    NR_CLONE, NR_UNSHARE, NR_SETHOSTNAME, AUDIT_X86_64 = 56, 272, 170, 0xC000003E
    def ins(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)
    prog = b"".join([
        ins(0x20, 0, 0, 4),
        ins(0x15, 1, 0, AUDIT_X86_64),
        ins(0x06, 0, 0, 0x7FFF0000),
        ins(0x20, 0, 0, 0),
        ins(0x15, 0, 1, NR_SETHOSTNAME),
        ins(0x06, 0, 0, 0x00050000 | 1),
        ins(0x06, 0, 0, 0x7FFF0000),
    ]) if refuse == "hostname" else b"".join([
        ins(0x20, 0, 0, 4),            # ld arch
        ins(0x15, 1, 0, AUDIT_X86_64), # jeq x86_64
        ins(0x06, 0, 0, 0x7FFF0000),   # allow (other arches: not filtered)
        ins(0x20, 0, 0, 0),            # ld nr
        ins(0x15, 1, 0, NR_CLONE),
        ins(0x15, 0, 3, NR_UNSHARE),
        ins(0x20, 0, 0, 16),           # ld args[0] (low word)
        ins(0x45, 0, 1, 0x20000),      # jset CLONE_NEWNS
        ins(0x06, 0, 0, 0x00050000 | 1),  # errno EPERM
        ins(0x06, 0, 0, 0x7FFF0000),   # allow
    ])
    buf = ctypes.create_string_buffer(prog)
    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    fp = Fprog(len(prog) // 8, ctypes.addressof(buf))
    assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
    assert libc.prctl(22, 2, ctypes.byref(fp), 0, 0) == 0  # PR_SET_SECCOMP, FILTER
if nobody == "1":
    os.execv("/usr/bin/setpriv", ["setpriv", "--reuid=65534", "--regid=65534",
                                  "--clear-groups", stratusd] + args)
os.execv(stratusd, [stratusd] + args)
"""


class LaunchedServer(Server):
    """A Server started through LAUNCHER."""

    def __init__(self, *extra, nobody=False, refuse="0", secret_file=None, **kw):
        super().__init__(*extra, **kw)
        self.launch = ["1" if nobody else "0", refuse, secret_file or "-"]

    def start(self, timeout=15):
        launcher = os.path.join(self.data_dir, "launch.py")
        with open(launcher, "w") as f:
            f.write(LAUNCHER)
        real = stratus_fixture.STRATUSD
        wrapper = os.path.join(self.data_dir, "stratusd-launch")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec %s %s %s %s \"$@\"\n"
                    % (sys.executable, launcher, " ".join(self.launch), real))
        os.chmod(wrapper, 0o755)
        stratus_fixture.STRATUSD = wrapper
        try:
            return super().start(timeout)
        finally:
            stratus_fixture.STRATUSD = real

    def full_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


PROBE_EV = {"op": "probe", "data": "/nonexistent", "other": "/nonexistent", "pid": 999999,
            "secret": "-"}


@unittest.skipUnless(os.geteuid() == 0, "needs root to start stratusd as nobody (setpriv)")
class SandboxWithoutRoot(unittest.TestCase):
    """stratusd as nobody: instances in a user namespace of their own with the server's uid
    behind it. Its data directory and secret key file live under /etc, which every sandbox
    shows read-only: they are covered. Forks are bounded without a control group."""

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="stratus-wpf-", dir="/etc")
        os.chmod(cls.base, 0o755)
        os.chown(cls.base, 65534, 65534)
        cls.secret_file = os.path.join(cls.base, "secret")
        with open(cls.secret_file, "w") as f:
            f.write(stratus_fixture.SK + "\n")
        os.chmod(cls.secret_file, 0o600)
        os.chown(cls.secret_file, 65534, 65534)
        cls.srv = LaunchedServer(data_dir=cls.base, nobody=True,
                                 secret_file=cls.secret_file).start()
        cls.srv.lambda_role("sandbox")  # issue 15: functions need a role Lambda can assume
        cls.lam = cls.srv.client("lambda")
        cls.lam.create_function(FunctionName="hostile", Runtime="provided.al2023", Role=ROLE,
                                Handler="x", Timeout=60, MemorySize=128,
                                EphemeralStorage={"Size": 600}, Code={"ZipFile": HOSTILE_ZIP})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        shutil.rmtree(cls.base, ignore_errors=True)

    def invoke(self, event):
        r = self.lam.invoke(FunctionName="hostile", Payload=json.dumps(event))
        body = json.loads(r["Payload"].read() or b"null")
        self.assertNotIn("FunctionError", r, body)
        return body

    def test_server_files_are_covered(self):
        db = os.path.join(self.base, "db")
        self.assertTrue(os.path.exists(os.path.join(db, "CURRENT")))
        hidden = [self.secret_file, db, os.path.join(db, "CURRENT"), os.path.join(db, "functions")]
        p = self.invoke(dict(PROBE_EV, hidden=hidden))
        self.assertEqual((p["uid"], p["gid"]), (993, 990))
        for path, r in p["hidden"].items():
            self.assertIn(r, ("ok:", "ok:[]", "refused:ENOENT", "refused:EACCES"), path)
        self.assertEqual(p["hidden"][self.secret_file], "ok:")  # /dev/null over it
        self.assertEqual(p["hidden"][db], "ok:[]")  # an empty tmpfs
        # The rest of /etc is shown as it is.
        self.assertIn("passwd", self.invoke(dict(PROBE_EV, hidden=["/etc"]))["hidden"]["/etc"])

    def test_terminal_and_tmp(self):
        p = self.invoke(PROBE_EV)
        self.assertTrue(p["dev_tty"].startswith("refused:"), p["dev_tty"])
        self.assertEqual(p["tiocsti"], "refused:EPERM")
        self.assertEqual(p["tmp_mb"], expected_tmp_mb(self.srv, 600, 128))
        self.assertEqual(p["pids"], [1])

    def test_fork_without_bound_is_bounded(self):
        r = self.invoke({"op": "forks", "n": 2000})
        self.assertLess(r["forked"], 1100, r)
        self.assertGreater(r["forked"], 10, r)
        self.assertEqual(r["error"], "EAGAIN")
        self.assertIsNone(self.srv.proc.poll())


PY_ZIP = zip_files({"app.py": ("import os, sys\n"
                               "def handler(e, c):\n"
                               "    return {'uid': os.getuid(), 'path': sys.path,\n"
                               "            'node_path': os.environ.get('NODE_PATH')}\n", 0o644)})


@unittest.skipUnless(os.uname().machine == "x86_64", "the launcher's filter is x86_64's")
class WithoutNamespaces(unittest.TestCase):
    """Where instances cannot have namespaces (a filter refuses them, as containers' do), no
    function runs unless stratusd was started with --insecure-no-sandbox."""

    def test_fails_closed(self):
        srv = LaunchedServer(refuse="ns").start()
        srv.lambda_role("sandbox")  # issue 15: functions need a role Lambda can assume
        try:
            lam = srv.client("lambda")
            lam.create_function(FunctionName="f", Runtime="python3.11", Role=ROLE,
                                Handler="app.handler", Code={"ZipFile": PY_ZIP})
            for _ in range(2):
                with self.assertRaises(botocore.exceptions.ClientError) as e:
                    lam.invoke(FunctionName="f", Payload=b"{}")
                err = e.exception.response["Error"]
                self.assertEqual(err["Code"], "ServiceException")
                self.assertIn("--insecure-no-sandbox", err["Message"])
            log = srv.full_log()
            self.assertEqual(log.count("cannot have namespaces of their own"), 1, log[-3000:])
            self.assertIn("ERROR", [l for l in log.splitlines()
                                    if "cannot have namespaces" in l][0])
            self.assertIsNone(srv.proc.poll())
        finally:
            srv.cleanup()

    def test_insecure_flag_runs_them_without(self):
        srv = LaunchedServer("--insecure-no-sandbox", refuse="ns")
        # As root its instances run as uids of their own, reaching their code by host path.
        os.chmod(srv.data_dir, 0o711)
        os.mkdir(os.path.join(srv.data_dir, "db"), 0o711)
        srv.start()
        srv.lambda_role("sandbox")  # issue 15: functions need a role Lambda can assume
        try:
            lam = srv.client("lambda")
            lam.create_function(FunctionName="f", Runtime="python3.11", Role=ROLE,
                                Handler="app.handler", Code={"ZipFile": PY_ZIP})
            r = lam.invoke(FunctionName="f", Payload=b"{}")
            body = json.loads(r["Payload"].read())
            self.assertNotIn("FunctionError", r, body)
            if os.geteuid() == 0:
                self.assertNotEqual(body["uid"], 0)  # still its own uid
            # The layers' paths are the layer set's (here none), never the host's /opt.
            self.assertFalse([p for p in body["path"] if p.startswith("/opt")], body["path"])
            self.assertIn("--insecure-no-sandbox they run without", srv.full_log())
        finally:
            srv.cleanup()

    def test_failed_sandbox_step_is_named(self):
        """A step of the sandbox's setup that fails (here sethostname, refused by a filter)
        is logged and named in the invocation's error, not taken for the code's exit."""
        srv = LaunchedServer(refuse="hostname").start()
        srv.lambda_role("sandbox")  # issue 15: functions need a role Lambda can assume
        try:
            lam = srv.client("lambda")
            lam.create_function(FunctionName="f", Runtime="python3.11", Role=ROLE,
                                Handler="app.handler", Code={"ZipFile": PY_ZIP})
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                lam.invoke(FunctionName="f", Payload=b"{}")
            err = e.exception.response["Error"]
            self.assertEqual(err["Code"], "ServiceException")
            self.assertIn('step "hostname" failed (Operation not permitted)', err["Message"])
            self.assertIn("ERROR lambda: sandbox step hostname: Operation not permitted",
                          srv.full_log())
            self.assertIsNone(srv.proc.poll())
        finally:
            srv.cleanup()


def many_files_zip(n):
    """A zip of n empty files (about 90 bytes each zipped)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(n):
            z.writestr("d%d/%d" % (i // 1000, i), b"")
    return buf.getvalue()


class Limits(unittest.TestCase):
    def test_unzip_entries_are_bounded(self):
        """A zip of 100 001 empty files (9 MB): the unpack stops past 100 000 entries and
        leaves nothing behind."""
        srv = Server().start()
        srv.lambda_role("sandbox")  # issue 15: functions need a role Lambda can assume
        try:
            lam = srv.client("lambda")
            lam.create_function(FunctionName="many", Runtime="python3.11", Role=ROLE,
                                Handler="app.handler", Code={"ZipFile": many_files_zip(100001)})
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                lam.invoke(FunctionName="many", Payload=b"{}")
            self.assertIn("could not be unpacked", e.exception.response["Error"]["Message"])
            with open(srv.log_path, errors="replace") as f:
                self.assertIn("more than 100000 entries unzipped", f.read())
            run = os.path.join(srv.data_dir, "db", "functions", "run")
            self.assertEqual([d for _, ds, _ in os.walk(run) for d in ds if d.startswith("d")],
                             [])  # the partial directory is gone
            self.assertIsNone(srv.proc.poll())
        finally:
            srv.cleanup()

    def test_runtime_prefix_holding_the_data_dir_is_refused(self):
        base = tempfile.mkdtemp(prefix="stratus-wpf-rt-")
        try:
            os.makedirs(os.path.join(base, "bin"))
            os.makedirs(os.path.join(base, "lib", "python3.11"))
            py = os.path.join(base, "bin", "python3.11")
            shutil.copy2(os.path.realpath(sys.executable), py)
            srv = Server("--runtime", "python3.11=" + py, data_dir=os.path.join(base, "data"))
            os.makedirs(srv.data_dir)
            with self.assertRaises(RuntimeError) as e:
                srv.start()
            self.assertEqual(srv.proc.wait(10), 2)
            self.assertIn("--runtime python3.11: the sandboxes would show %s, which holds the "
                          "data directory" % base, str(e.exception))
            # Elsewhere, its prefix is shown read-only (and said so).
            other = Server("--runtime", "python3.11=" + py).start()
            try:
                with open(other.log_path, errors="replace") as f:
                    self.assertIn("lambda: --runtime python3.11: sandboxes show %s read-only"
                                  % base, f.read())
            finally:
                other.cleanup()
        finally:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
