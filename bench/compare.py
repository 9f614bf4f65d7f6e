#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Before and after: the DynamoDB data plane of two builds of stratusd in one run.

Usage: bench/compare.py BASE_STRATUSD NEW_STRATUSD [BUILD_DIR]
Starts both servers (each on 127.0.0.1, one loop thread, pinned to core 0 when the machine has
two cores or more; the load generator on core 1) and drives PutItem, GetItem, Query (10 items)
and GSI Query with stratus-bench (from BUILD_DIR, default build) at CONNS connections (default
64) for DURATION seconds (default 5), alternating which server goes first in each of ROUNDS
rounds (default 3). Prints, per workload, each round's server CPU per request and requests/s,
and the median ratio new/base. Not run by `make bench` (it needs two builds): it is how a change
to the request path is measured before it lands. Every load is bounded in time.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

if len(sys.argv) < 3:
    sys.exit(__doc__)
BASE, NEW = sys.argv[1], sys.argv[2]
BUILD = sys.argv[3] if len(sys.argv) > 3 else "build"
CONNS = int(os.environ.get("CONNS", 64))
DURATION = float(os.environ.get("DURATION", 5))
ROUNDS = int(os.environ.get("ROUNDS", 3))
PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
WORKLOADS = os.environ.get("WORKLOADS", "putitem,getitem,query,gsiquery").split(",")


def pin(core, args):
    return ["taskset", "-c", str(core)] + args if PINNED else args


def start(binary, work, name):
    d = os.path.join(work, name)
    os.makedirs(d)
    port_file = os.path.join(d, "port")
    p = subprocess.Popen(pin(0, [binary, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(d, "db"),
                                 "--port-file", port_file, "--threads", "1", "--log-level", "warn"]),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
            return p, int(open(port_file).read().strip())
        time.sleep(0.05)
    p.kill()
    sys.exit(f"{binary} did not start")


def run(port, pid, workload, label):
    out = subprocess.run(pin(1, [os.path.join(BUILD, "stratus-bench"), "--connections", str(CONNS),
                                 "--duration", str(DURATION), "--port", str(port), "--workload", workload,
                                 "--server-pid", str(pid), "--label", label]),
                         capture_output=True, text=True, timeout=DURATION * 10 + 60)
    line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    f = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
    return float(f.get("rps", 0)), float(f.get("server_cpu_us_per_req", 0))


def functions(servers, work):
    """FUNCTIONS=1: a warm Invoke's p50 at one connection and a DynamoDB trigger's latency
    (bench/functions.py trigger) on each server, alternating which goes first."""
    here = os.path.dirname(os.path.abspath(__file__))
    boot = os.path.join(work, "bootstrap")
    subprocess.run(["cc", "-O2", "-o", boot, os.path.join(here, "bootstrap.c")], check=True)
    env = dict(os.environ, BENCH_BOOTSTRAP=boot)
    fn = os.path.join(here, "functions.py")
    for name in ("base", "new"):
        subprocess.run(["python3", fn, f"http://127.0.0.1:{servers[name][1]}", "create"], env=env,
                       check=True, timeout=120)
    for r in range(ROUNDS):
        for name in (["base", "new"] if r % 2 == 0 else ["new", "base"]):
            p, port = servers[name]
            out = subprocess.run(pin(1, [os.path.join(BUILD, "stratus-bench"), "--connections", "1",
                                         "--duration", str(DURATION), "--port", str(port), "--workload",
                                         "invoke", "--path", "/2015-03-31/functions/benchfn/invocations",
                                         "--server-pid", str(p.pid), "--label", f"{name}-invoke"]),
                                 capture_output=True, text=True, timeout=DURATION * 10 + 60)
            f = dict(t.split("=", 1) for t in out.stdout.split()[1:] if "=" in t)
            print(f"  invoke round {r + 1} {name}: p50 {f.get('p50_us')} us, p99 {f.get('p99_us')} us")
    for name in ("base", "new"):
        out = subprocess.run(["python3", fn, f"http://127.0.0.1:{servers[name][1]}", "trigger", "1000",
                              "200"], env=env, capture_output=True, text=True, timeout=300)
        print(f"  {name}: {out.stdout.strip()}")


def main():
    work = tempfile.mkdtemp(prefix="stratus-compare-")
    servers = {}
    try:
        servers["base"] = start(BASE, work, "base")
        servers["new"] = start(NEW, work, "new")
        print(f"# {CONNS} connections, {DURATION} s per run, {ROUNDS} rounds, pinned={PINNED}")
        for w in WORKLOADS:
            ratios, rps_ratios = [], []
            for r in range(ROUNDS):
                order = ["base", "new"] if r % 2 == 0 else ["new", "base"]
                got = {}
                for name in order:
                    p, port = servers[name]
                    time.sleep(0.5)
                    got[name] = run(port, p.pid, w, f"{name}-{w}")
                b, n = got["base"], got["new"]
                print(f"  {w} round {r + 1}: base {b[0]:.0f} req/s {b[1]:.1f} us/req; "
                      f"new {n[0]:.0f} req/s {n[1]:.1f} us/req")
                if b[1] > 0 and n[1] > 0:
                    ratios.append(n[1] / b[1])
                if b[0] > 0:
                    rps_ratios.append(n[0] / b[0])
            if ratios:
                print(f"{w}: new/base server CPU per request {statistics.median(ratios):.2f}x, "
                      f"requests/s {statistics.median(rps_ratios):.2f}x (median of {len(ratios)})")
        if os.environ.get("FUNCTIONS"):
            functions(servers, work)
    finally:
        for p, _ in servers.values():
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
