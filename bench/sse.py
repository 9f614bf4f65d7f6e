#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The encryption benchmark (run by `make bench`, issue 16): what SSE-S3 costs against no
encryption, in the same run on the same server.

Two buckets: bench-plain (no encryption) and bench-sse (default encryption AES256, so every
object is SSE-S3 without a request header). Workloads:
  - 4 KiB PUT and GET (stratus-bench s3put / s3get, bench/stratus_bench.c): CONNS connections
    (default 64), DURATION seconds (default 5); the figure is requests per second (and server
    CPU per request, from /proc).
  - one BIG_MIB object (default 1024, 1 GiB) PUT and GET with curl over a pre-signed URL
    (UNSIGNED-PAYLOAD: the client hashes nothing), the body streamed from a file and to
    /dev/null; the figure is MB/s.
ROUNDS interleaved rounds (default 3) alternate which of plain and SSE-S3 runs first; the
median of each round's SSE-S3/plain throughput ratio is judged against the goal of >= 0.8x.
The server is pinned to core 0 and the load generator to core 1 when there are two cores.

Usage: bench/sse.py [BUILD_DIR]
Environment: DURATION, CONNS, ROUNDS, BIG_MIB, THREADS (stratusd loop threads, default 1).
Loopback only; every loop is bounded in count and time.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
DURATION = float(os.environ.get("DURATION", 5))
CONNS = int(os.environ.get("CONNS", 64))
ROUNDS = int(os.environ.get("ROUNDS", 3))
BIG_MIB = int(os.environ.get("BIG_MIB", 1024))
THREADS = int(os.environ.get("THREADS", 1))
PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
GOAL = 0.8
BUCKETS = {"plain": "bench-plain", "sse": "bench-sse"}


def log(msg):
    print(msg, flush=True)


def pin(core, args):
    return ["taskset", "-c", str(core)] + args if PINNED else args


def parse(line):
    return {k: v for k, v in (t.split("=", 1) for t in line.split()[1:])}


def small(port, pid, wl, mode, r):
    """One stratus-bench run; (rps, server CPU us per request) or None."""
    out = subprocess.run(
        pin(1, [os.path.join(BUILD, "stratus-bench"), "--port", str(port), "--connections", str(CONNS),
                "--duration", str(DURATION), "--workload", wl, "--server-pid", str(pid),
                "--label", "%s-%s-r%d" % (wl, mode, r), "--path", "/" + BUCKETS[mode]]),
        capture_output=True, text=True, timeout=DURATION + 300)
    line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    log("  " + (line or "%s %s: no result: %s" % (wl, mode, out.stderr.strip()[-300:])))
    f = parse(line) if line else {}
    if "rps" not in f or float(f.get("errors", 0)) > 0:
        return None
    return float(f["rps"]), float(f.get("server_cpu_us_per_req", 0))


def big(s3, src, mode, r):
    """PUT then GET of the big object through curl; (put MB/s, get MB/s) or None."""
    bucket, key = BUCKETS[mode], "big-%d" % r
    size = os.path.getsize(src)
    res = []
    for method in ("PUT", "GET"):
        op = "put_object" if method == "PUT" else "get_object"
        url = s3.generate_presigned_url(op, Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600)
        args = ["curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{http_code}"]
        args += ["-T", src] if method == "PUT" else []
        t0 = time.monotonic()
        out = subprocess.run(pin(1, args + [url]), capture_output=True, text=True, timeout=1800)
        secs = time.monotonic() - t0
        if out.returncode != 0 or out.stdout.strip() != "200":
            log("  big %s %s: failed: %s %s" % (method, mode, out.stdout, out.stderr.strip()[-300:]))
            return None
        mbs = size / secs / 1e6
        log("  big-%s-%s-r%d bytes=%d seconds=%.2f mb_per_s=%.0f" % (method.lower(), mode, r, size, secs, mbs))
        res.append(mbs)
    s3.delete_object(Bucket=bucket, Key=key)  # bounded disk: one big object at a time
    return tuple(res)


def judge(name, plain, sse):
    if not plain or not sse:
        log("  %s: no figure" % name)
        return False
    pairs = [s / p for p, s in zip(plain, sse)]
    ratio = statistics.median(pairs)
    log("  %s: SSE-S3 / plain throughput per round %s; median %.2fx (goal >= %.1fx: %s)"
        % (name, " ".join("%.2f" % x for x in pairs), ratio, GOAL, "met" if ratio >= GOAL else "missed"))
    return True


def main():
    work = tempfile.mkdtemp(prefix="stratus-sse-bench-")
    port_file = os.path.join(work, "port")
    srv = subprocess.Popen(pin(0, [os.path.join(BUILD, "stratusd"), "--listen", "127.0.0.1:0",
                                   "--data-dir", os.path.join(work, "db"), "--port-file", port_file,
                                   "--threads", str(THREADS), "--log-level", "warn"]),
                           stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "log"), "w"))
    try:
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        port = int(open(port_file).read())
        s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test",
                          config=Config(retries={"max_attempts": 1}, signature_version="s3v4",
                                        s3={"addressing_style": "path"}))
        for b in BUCKETS.values():
            s3.create_bucket(Bucket=b)
        s3.put_bucket_encryption(Bucket=BUCKETS["sse"], ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        # The buckets say what they do.
        s3.put_object(Bucket=BUCKETS["sse"], Key="probe", Body=b"x")
        assert s3.head_object(Bucket=BUCKETS["sse"], Key="probe")["ServerSideEncryption"] == "AES256"
        s3.put_object(Bucket=BUCKETS["plain"], Key="probe", Body=b"x")
        assert "ServerSideEncryption" not in s3.head_object(Bucket=BUCKETS["plain"], Key="probe")
        src = os.path.join(work, "big.bin")
        with open(src, "wb") as f:
            block = os.urandom(1 << 20)
            for _ in range(BIG_MIB):
                f.write(block)
        log("# SSE-S3 against no encryption: %d connections, %.0f s runs, %d rounds, %d MiB objects, %s"
            % (CONNS, DURATION, ROUNDS, BIG_MIB, "pinned" if PINNED else "not pinned"))
        ok = True
        figures = {k: {"plain": [], "sse": []} for k in ("4KiB PUT", "4KiB GET", "big PUT", "big GET")}
        for r in range(ROUNDS):
            for mode in (("plain", "sse") if r % 2 == 0 else ("sse", "plain")):
                for wl, name in (("s3put", "4KiB PUT"), ("s3get", "4KiB GET")):
                    res = small(port, srv.pid, wl, mode, r)
                    ok &= res is not None
                    if res:
                        figures[name][mode].append(res[0])
                res = big(s3, src, mode, r)
                ok &= res is not None
                if res:
                    figures["big PUT"][mode].append(res[0])
                    figures["big GET"][mode].append(res[1])
        for name, f in figures.items():
            ok &= judge(name if not name.startswith("big") else name.replace("big", "%d MiB" % BIG_MIB),
                        f["plain"], f["sse"])
        return 0 if ok else 1
    finally:
        srv.terminate()
        try:
            srv.wait(timeout=30)
        except subprocess.TimeoutExpired:
            srv.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
