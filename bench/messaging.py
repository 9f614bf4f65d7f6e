#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The messaging benchmark (run by `make bench`): Stratus's SQS against fauxqs (the SQS emulator
from npm, in memory, bench/node_modules) and moto where it runs, the same workload for each,
driven by stratus-bench (bench/stratus_bench.c, the C load generator: SigV4-signed AWS JSON 1.0
requests, X-Amz-Target AmazonSQS.*):

  - SendMessage at CONNS connections (default 64), DURATION seconds (default 10);
  - ReceiveMessage + DeleteMessage at CONNS connections on the queue the send run filled: each
    iteration receives one message and deletes it with the receipt handle from the answer;
  - long-poll wake-up after a send: ROUNDS rounds (default 200) of one connection waiting in
    ReceiveMessage (WaitTimeSeconds=20) on an empty queue while another sends; from the send's
    answer arriving to the receive's answer arriving (p50, p90; the kernel's receive stamps of
    the two answers);
  - SQS -> function trigger (stratusd only; needs SQS event source mappings): TRIGGER_N sends
    (default 200) at TRIGGER_RATE per second (default 50), from each send's answer arriving to the
    mapped function's start.

Each server is pinned to core 0 and the load generator to core 1 (taskset, when there are two
cores or more); server CPU per request is the server process's utime+stime over the run (/proc),
all its threads. Prints requests/s, latency and server CPU per request for each, and the ratios
stratusd/fauxqs against the goals (>= 2x fauxqs's requests/s, <= 1/3 of its CPU per request,
long-poll wake-up p50 <= 1 ms, trigger p50 <= 2 ms). stratusd runs with its default --fsync
(batch: every acknowledged message is in the write-ahead log before the answer).

Usage: bench/messaging.py [BUILD_DIR]
Environment: DURATION, CONNS, ROUNDS, TRIGGER_N, TRIGGER_RATE, THREADS (stratusd loop threads,
default 1: it has one core), STRATUSD (another server binary). Loopback only; every loop is
bounded in count and in time.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
DURATION = float(os.environ.get("DURATION", 10))
CONNS = int(os.environ.get("CONNS", 64))
ROUNDS = int(os.environ.get("ROUNDS", 200))
TRIGGER_N = int(os.environ.get("TRIGGER_N", 200))
TRIGGER_RATE = float(os.environ.get("TRIGGER_RATE", 50))
THREADS = int(os.environ.get("THREADS", 1))
HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = "arn:aws:iam::000000000000:role/bench"
PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def log(msg):
    print(msg, flush=True)


def server_cmd(args):
    return ["taskset", "-c", "0"] + args if PINNED else args


def gen_cmd(args):
    return ["taskset", "-c", "1"] + args if PINNED else args


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    for _ in range(300):  # 30 s
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("messaging: %s did not start" % what)


def start_stratusd(work):
    port_file = os.path.join(work, "port")
    args = [os.environ.get("STRATUSD") or os.path.join(BUILD, "stratusd"), "--listen", "127.0.0.1:0",
            "--data-dir", os.path.join(work, "db"), "--port-file", port_file, "--threads",
            str(THREADS), "--log-level", "warn"]
    proc = subprocess.Popen(server_cmd(args), stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, "stratusd.log"), "wb"))
    for _ in range(200):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return proc, int(open(port_file).read())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit("messaging: stratusd did not start")


def start_fauxqs(work):
    if not os.path.exists(os.path.join(HERE, "node_modules", "fauxqs")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE,
                       check=True)
    port = free_port()
    proc = subprocess.Popen(server_cmd(["node", os.path.join(HERE, "fauxqs.mjs"), str(port)]),
                            stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, "fauxqs.log"), "wb"))
    wait_port(port, proc, "fauxqs")
    return proc, port


def moto_command():
    """The command that runs moto's server, or None with the reason it cannot run here."""
    exe = shutil.which("moto_server")
    if exe:
        return [exe], None
    probe = subprocess.run([sys.executable, "-c", "import moto.server"], capture_output=True)
    if probe.returncode == 0:
        return [sys.executable, "-m", "moto.server"], None
    apt = subprocess.run(["apt-cache", "policy", "python3-moto"], capture_output=True, text=True)
    cand = [ln.split(":", 1)[1].strip() for ln in apt.stdout.splitlines()
            if ln.strip().startswith("Candidate:")]
    return None, ("no moto module or moto_server here; apt has %s python3-moto (Debian 12 does "
                  "not package it), npm has no moto, and PyPI is not reachable from this machine"
                  % ("candidate %s for" % cand[0] if cand and cand[0] != "(none)" else "no"))


def start_moto(work, cmd):
    port = free_port()
    proc = subprocess.Popen(server_cmd(cmd + ["-H", "127.0.0.1", "-p", str(port)]),
                            stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, "moto.log"), "wb"))
    wait_port(port, proc, "moto")
    return proc, port


def bench(port, pid, workload, label, *extra):
    args = [os.path.join(BUILD, "stratus-bench"), "--port", str(port), "--workload", workload,
            "--label", label] + list(extra)
    if workload != "sqslongpoll":
        args += ["--connections", str(CONNS), "--duration", str(DURATION), "--server-pid",
                 str(pid)]
    try:
        r = subprocess.run(gen_cmd(args), capture_output=True, text=True, timeout=DURATION + 180)
    except subprocess.TimeoutExpired:
        log("%s failed: no result in %d s" % (label, DURATION + 180))
        return None
    line = r.stdout.strip()
    if r.returncode != 0 or not line:
        line = line or "%s failed" % label
        log(line)
        if r.stderr.strip():
            log("  " + r.stderr.strip().replace("\n", "\n  "))
        return None
    log(line)
    f = fields(line)
    # The generator has core 1 to itself: near 100% of it, it (not the server) sets the pace.
    busy = (float(f.get("client_user_us_per_req", 0)) + float(f.get("client_sys_us_per_req", 0))) \
        * float(f.get("rps", 0)) / 1e6
    if busy > 0.8:
        log("  warning: the load generator used %.0f%% of its core: it may be the bottleneck"
            % (busy * 100))
    if int(f.get("empty_receives", 0)) > 0:
        log("  note: %s receives found the queue empty (it ran dry)" % f["empty_receives"])
    return f


def fields(line):
    return {k: v for k, v in (t.split("=", 1) for t in line.split()[1:] if "=" in t)}


def run_server(name, port, pid):
    """The three SQS workloads against one server; returns their parsed lines."""
    res = {}
    res["send"] = bench(port, pid, "sqssend", "%s-sqs-send-c%d" % (name, CONNS), "--queue",
                        "bench-q")
    time.sleep(1)
    res["recvdel"] = bench(port, pid, "sqsrecvdel", "%s-sqs-receive-delete-c%d" % (name, CONNS),
                           "--queue", "bench-q")
    time.sleep(1)
    res["longpoll"] = bench(port, pid, "sqslongpoll", "%s-sqs-longpoll-wakeup" % name, "--queue",
                            "bench-longpoll", "--rounds", str(ROUNDS))
    return res


def ratio(ours, peer, what, peer_name):
    if not ours or not peer:
        log("  ratio %s/%s: not measured (a run failed)" % (what, peer_name))
        return
    rps = float(ours["rps"]) / max(float(peer["rps"]), 1e-9)
    cpu = float(ours["server_cpu_us_per_req"]) / max(float(peer["server_cpu_us_per_req"]), 1e-9)
    goal = ""
    if peer_name == "fauxqs":
        goal = " (goals: >= 2x %s, <= 0.33x %s)" % ("ok" if rps >= 2 else "NOT MET",
                                                     "ok" if cpu <= 1 / 3 else "NOT MET")
    log("  ratio stratusd-%s/%s: requests/s %.2fx, server CPU per request %.3fx%s"
        % (what, peer_name, rps, cpu, goal))


# ---- SQS -> function trigger ----

def clients(endpoint):
    import boto3
    from botocore.config import Config
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
    return boto3.client("sqs", **kw), boto3.client("lambda", **kw)


def bootstrap_zip(work):
    """bench/bootstrap.c built: a native `provided` runtime that, with OUT=tcp:<port>, sends
    "<CLOCK_REALTIME ns> <event>" as soon as it has read each event from the Runtime API."""
    import io
    import zipfile
    exe = os.path.join(work, "bootstrap")
    subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "bootstrap.c")], check=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        with open(exe, "rb") as f:
            z.writestr(info, f.read())
    return buf.getvalue()


class RawSender:
    """SendMessage over one keep-alive socket, each request signed by botocore, the answer read
    by hand so that the moment it is complete is stamped at once (no SDK parsing after it)."""

    def __init__(self, port, queue_url):
        from botocore.auth import SigV4Auth
        from botocore.credentials import Credentials
        self.port, self.url = port, queue_url
        self.auth = SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1")
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, body):
        """Send one message; returns time.time_ns() when its complete answer was read."""
        from botocore.awsrequest import AWSRequest
        host = "127.0.0.1:%d" % self.port
        data = json.dumps({"QueueUrl": self.url, "MessageBody": body}).encode()
        req = AWSRequest(method="POST", url="http://%s/" % host, data=data,
                         headers={"Host": host, "X-Amz-Target": "AmazonSQS.SendMessage",
                                  "Content-Type": "application/x-amz-json-1.0"})
        self.auth.add_auth(req)
        head = "POST / HTTP/1.1\r\n" + "".join(
            "%s: %s\r\n" % (k, v) for k, v in req.headers.items()) + \
            "Content-Length: %d\r\n\r\n" % len(data)
        self.sock.sendall(head.encode() + data)
        buf = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("messaging: the server closed the connection")
            buf += chunk
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                continue
            length = 0
            for line in buf[:end].split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
            if len(buf) >= end + 4 + length:
                now = time.time_ns()
                status = int(buf.split(b" ", 2)[1])
                if status != 200:
                    raise SystemExit("messaging: SendMessage %d %s" % (status, buf[end + 4:][:300]))
                return now


def arrivals(path):
    """Marker -> the function's start (ns) for each record delivered so far."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            if not line.endswith("\n"):  # not all here yet
                continue
            ns, _, event = line.partition(" ")
            try:
                for rec in json.loads(event).get("Records", []):
                    out.setdefault(rec.get("body", ""), int(ns))
            except ValueError:
                continue
    return out


def wait_arrivals(path, want, budget_s):
    deadline = time.time() + budget_s
    got = arrivals(path)
    while time.time() < deadline and not want <= got.keys():
        time.sleep(0.05)
        got = arrivals(path)
    return got


def trigger(work, port):
    from botocore.exceptions import ClientError
    from functions import collector  # bench/functions.py's loopback collector
    from bench_role import lambda_role
    endpoint = "http://127.0.0.1:%d" % port
    sqs, lam = clients(endpoint)
    lambda_role(endpoint)  # issue 15: the role must exist and trust Lambda
    try:
        url = sqs.create_queue(QueueName="bench-trigger")["QueueUrl"]
    except ClientError as e:
        log("stratusd-sqs-trigger skipped: SQS not served (%s)" % e.response["Error"].get("Code"))
        return
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    out = os.path.join(work, "arrivals")
    lam.create_function(FunctionName="sqsbench", Runtime="provided.al2023", Role=ROLE,
                        Handler="x", Timeout=30, Code={"ZipFile": bootstrap_zip(work)},
                        Environment={"Variables": {"OUT": collector(out)}})
    try:
        uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="sqsbench",
                                               BatchSize=1)["UUID"]
    except ClientError as e:
        log("stratusd-sqs-trigger skipped: SQS event source mappings not served yet (%s: %s)"
            % (e.response["Error"].get("Code"), e.response["Error"].get("Message")))
        return
    for _ in range(300):  # 30 s
        if lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled":
            break
        time.sleep(0.1)
    sender = RawSender(port, url)
    sender.send("warm-up")  # starts the function's instance
    if "warm-up" not in wait_arrivals(out, {"warm-up"}, 30):
        log("stratusd-sqs-trigger: the warm-up message did not reach the function in 30 s")
        return
    sent = {}
    start = time.perf_counter()
    for i in range(TRIGGER_N):
        delay = start + i / TRIGGER_RATE - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent["t%d" % i] = sender.send("t%d" % i)
    got = wait_arrivals(out, set(sent), 30)
    lat = sorted((got[k] - sent[k]) / 1e6 for k in sent if k in got)
    if len(lat) < len(sent):
        log("stratusd-sqs-trigger lost=%d (not at the function within 30 s)" % (len(sent) - len(lat)))
    if not lat:
        return
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    log("stratusd-sqs-trigger messages=%d rate=%.0f/s p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
        "max_ms=%.3f function_first=%d (goal p50 <= 2 ms: %s)"
        % (len(lat), TRIGGER_RATE, p(0.5), p(0.9), p(0.99), lat[-1], sum(1 for x in lat if x < 0),
           "ok" if p(0.5) <= 2 else "NOT MET"))


def main():
    work = tempfile.mkdtemp(prefix="stratus-messaging-")
    procs = []
    try:
        log("# messaging: SQS at %d connections, %g s per workload, long-poll %d rounds; %s"
            % (CONNS, DURATION, ROUNDS,
               "each server pinned to core 0, the load generator to core 1" if PINNED
               else "NOT pinned (fewer than two cores or no taskset)"))
        log("# stratusd: --fsync batch (its default: every acknowledged message is in the "
            "write-ahead log before the answer), %d loop thread(s); fauxqs 2.4.1: in memory" % THREADS)
        sproc, sport = start_stratusd(work)
        procs.append(sproc)
        ours = run_server("stratusd", sport, sproc.pid)
        trigger(work, sport)
        sproc.terminate()
        sproc.wait(timeout=30)

        fproc, fport = start_fauxqs(work)
        procs.append(fproc)
        peer = run_server("fauxqs", fport, fproc.pid)
        fproc.terminate()
        fproc.wait(timeout=30)

        cmd, why = moto_command()
        moto = None
        if cmd:
            mproc, mport = start_moto(work, cmd)
            procs.append(mproc)
            moto = run_server("moto", mport, mproc.pid)
            mproc.terminate()
            mproc.wait(timeout=30)
        else:
            log("moto cannot run here: %s" % why)

        for what, key in (("sqs-send", "send"), ("sqs-receive-delete", "recvdel")):
            ratio(ours[key], peer[key], what, "fauxqs")
            if moto is not None:
                ratio(ours[key], moto[key], what, "moto")
        lp = ours["longpoll"]
        if lp:
            log("  stratusd long-poll wake-up p50 %s us, p90 %s us (goal p50 <= 1000 us: %s); "
                "fauxqs p50 %s us" % (lp["p50_us"], lp["p90_us"],
                                      "ok" if float(lp["p50_us"]) <= 1000 else "NOT MET",
                                      peer["longpoll"]["p50_us"] if peer["longpoll"] else "-"))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
