#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Close to the machine (issue 18): stratusd against the HTTP ceiling and the disk, one core each.

Usage: bench/machine.py [BUILD_DIR] [--only ROW[,ROW]] [--perf DIR]

Every server runs on core 0 (stratusd with one loop thread, nginx with one worker, s3rver), the
load generator on core 1, all on 127.0.0.1, SigV4 on every Stratus request. For each row the
rounds alternate which server goes first (ROUNDS, default 3, DURATION seconds each, default 5)
and the median is reported:

  putitem, getitem, query (10 items), s3get (4 KiB): against nginx answering a canned JSON
      response (the DynamoDB rows) or serving a 4 KiB file (S3 GET): server CPU per request,
      requests/s at CONNS (64) connections and p50 latency at 1 connection.
  s3put (4 KiB): CPU per request against nginx's 4 KiB GET.
  big: a 1 GiB PUT on one connection (UNSIGNED-PAYLOAD, presigned) against dd with fdatasync on
      the same disk and s3rver on one core; the GET against nginx serving the same file; the
      bytes stratusd wrote to disk for the PUT (from /proc/PID/io) per byte of object.
  fsync: PutItem with --fsync always at 64 connections against db_bench's synced overwrites
      at 64 threads.

With --perf DIR, each Stratus row also records a `perf` profile of the server during one more
run and writes DIR/ROW.txt (the top symbols, self time). Every load is bounded in time; BIG_MB
(default 1024) sizes the large object.
"""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

args = sys.argv[1:]
BUILD = "build"
ONLY = None
PERF = None
while args:
    a = args.pop(0)
    if a == "--only":
        ONLY = set(args.pop(0).split(","))
    elif a == "--perf":
        PERF = args.pop(0)
    elif a.startswith("-"):
        sys.exit(__doc__)
    else:
        BUILD = a
CONNS = int(os.environ.get("CONNS", 64))
DURATION = float(os.environ.get("DURATION", 5))
ROUNDS = int(os.environ.get("ROUNDS", 3))
BIG_MB = int(os.environ.get("BIG_MB", 1024))
PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
HERE = os.path.dirname(os.path.abspath(__file__))
procs = []


def pin(core, argv):
    return ["taskset", "-c", str(core)] + argv if PINNED else argv


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, secs=20):
    import socket
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def start_stratusd(work, name, *extra):
    d = os.path.join(work, name)
    os.makedirs(d)
    port_file = os.path.join(d, "port")
    p = subprocess.Popen(pin(0, [os.path.join(BUILD, "stratusd"), "--listen", "127.0.0.1:0", "--data-dir",
                                 os.path.join(d, "db"), "--port-file", port_file, "--threads", "1",
                                 "--log-level", "warn", *extra]),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    for _ in range(400):
        if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
            return p, int(open(port_file).read().strip())
        time.sleep(0.05)
    sys.exit(f"stratusd did not start ({name})")


def start_nginx(work):
    port = free_port()
    www = os.path.join(work, "www")
    os.makedirs(www, exist_ok=True)
    os.chmod(work, 0o755)
    with open(os.path.join(www, "index.json"), "w") as f:
        f.write('{"TableNames":[]}')
    with open(os.path.join(www, "obj4k"), "w") as f:
        f.write("a" * 4096)
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  sendfile on;
  server {{
    listen 127.0.0.1:{port};
    root {www};
    location = /obj4k {{ }}
    location = /big.bin {{ }}
    location / {{ try_files /index.json =404; }}
  }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    subprocess.run(pin(0, [nginx, "-c", conf, "-p", work]), check=True, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(f"{work}/nginx.pid") and os.path.getsize(f"{work}/nginx.pid"):
            break
        time.sleep(0.05)
    master = int(open(f"{work}/nginx.pid").read())
    wait_port(port)
    kids = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return master, port, ",".join(kids)


def bench(port, pid, workload, label, conns, path=None, extra=()):
    argv = [os.path.join(BUILD, "stratus-bench"), "--connections", str(conns), "--duration", str(DURATION),
            "--port", str(port), "--workload", workload, "--server-pid", str(pid), "--label", label, *extra]
    if path:
        argv += ["--path", path]
    out = subprocess.run(pin(1, argv), capture_output=True, text=True, timeout=DURATION * 10 + 60)
    line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    f = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
    if not f or float(f.get("errors", 0)) > 0:
        print(f"  ! {label}: {line or out.stderr.strip()}")
    return {k: float(v) for k, v in f.items() if v.replace(".", "", 1).isdigit()}


def profile(pid, row, run_fn):
    """Run run_fn once more while perf records pid; write the top self-time symbols."""
    if not PERF or not shutil.which("perf"):
        return
    os.makedirs(PERF, exist_ok=True)
    data = os.path.join(PERF, f"{row}.data")
    rec = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-o", data, "-p", str(pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    run_fn()
    rec.send_signal(signal.SIGINT)
    rec.wait(timeout=60)
    rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--percent-limit", "0.7", "--stdio",
                          "-g", "none", "--sort", "dso,symbol"], capture_output=True, text=True)
    lines = [" ".join(ln.split()) for ln in rep.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
    dso = subprocess.run(["perf", "report", "-i", data, "--no-children", "--percent-limit", "1", "--stdio",
                          "-g", "none", "--sort", "dso"], capture_output=True, text=True)
    dlines = [" ".join(ln.split()) for ln in dso.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
    with open(os.path.join(PERF, f"{row}.txt"), "w") as f:
        f.write("# self time by object\n" + "\n".join(dlines) + "\n# self time by symbol\n" +
                "\n".join(lines) + "\n")
    os.unlink(data)
    print(f"  perf profile: {os.path.join(PERF, row + '.txt')} (top: "
          + "; ".join(" ".join(ln.split()[0:1] + ln.split()[3:4]) for ln in lines[:3]) + ")")


def interleave(a, b, rounds=ROUNDS):
    """a, b: callables returning a result dict; alternate order; return lists."""
    ra, rb = [], []
    for r in range(rounds):
        for fn, acc in ((a, ra), (b, rb)) if r % 2 == 0 else ((b, rb), (a, ra)):
            time.sleep(0.3)
            acc.append(fn())
    return ra, rb


def med(rs, k):
    v = [r.get(k, 0) for r in rs if r]
    return statistics.median(v) if v else 0.0


def verdict(ok):
    return "meets" if ok else "MISSES"


def row_request(name, s, n, nginx_path, workload, spath, cpu_goal, full):
    sp, sport = s
    nmaster, nport, nkids = n
    r64s, r64n = interleave(lambda: bench(sport, sp.pid, workload, f"stratusd-{workload}", CONNS, spath),
                            lambda: bench(nport, nkids, "get", "nginx", CONNS, nginx_path))
    cpu = med(r64s, "server_cpu_us_per_req") / max(med(r64n, "server_cpu_us_per_req"), 1e-9)
    rps = med(r64s, "rps") / max(med(r64n, "rps"), 1e-9)
    print(f"{name}: stratusd {med(r64s, 'server_cpu_us_per_req'):.1f} us/req {med(r64s, 'rps'):.0f} req/s; "
          f"nginx {med(r64n, 'server_cpu_us_per_req'):.1f} us/req {med(r64n, 'rps'):.0f} req/s")
    print(f"  ratio CPU per request {cpu:.2f}x (goal <= {cpu_goal}x: {verdict(cpu <= cpu_goal)})", end="")
    if full:
        print(f"; requests/s {rps:.2f}x (goal >= 0.8x: {verdict(rps >= 0.8)})")
        r1s, r1n = interleave(lambda: bench(sport, sp.pid, workload, f"stratusd-{workload}-c1", 1, spath),
                              lambda: bench(nport, nkids, "get", "nginx-c1", 1, nginx_path))
        p50 = med(r1s, "p50_us") / max(med(r1n, "p50_us"), 1e-9)
        print(f"  1 connection: p50 {med(r1s, 'p50_us'):.0f} us vs nginx {med(r1n, 'p50_us'):.0f} us: "
              f"{p50:.2f}x (goal <= 1.5x: {verdict(p50 <= 1.5)})")
    else:
        print(f"; requests/s {rps:.2f}x")
    profile(sp.pid, name, lambda: bench(sport, sp.pid, workload, "perf", CONNS, spath))


def io_written(pid):
    try:
        for ln in open(f"/proc/{pid}/io"):
            if ln.startswith("write_bytes:"):
                return int(ln.split()[1])
    except OSError:
        pass
    return None


def curl_speed(argv):
    out = subprocess.run(pin(1, ["curl", "-s", "-o", "/dev/null", "-w", "%{speed_upload} %{speed_download} "
                                 "%{http_code}", *argv]), capture_output=True, text=True, timeout=900)
    up, down, code = out.stdout.split()
    if code != "200":
        print(f"  ! curl got HTTP {code}")
    return float(up), float(down)


def row_big(work, n):
    nmaster, nport, _ = n
    mb = 1e6
    big = os.path.join(work, "www", "big.bin")
    subprocess.run(["head", "-c", str(BIG_MB << 20), "/dev/urandom"], stdout=open(big, "wb"), check=True)
    size = BIG_MB << 20
    dd = subprocess.run(pin(1, ["dd", f"if={big}", f"of={work}/dd.bin", "bs=1M", "conv=fdatasync"]),
                        capture_output=True, text=True).stderr.strip().splitlines()[-1]
    # "... bytes (...) copied, 1.23 s, 870 MB/s"
    secs = float(dd.split(",")[-2].split()[0])
    dd_bps = size / secs
    os.unlink(f"{work}/dd.bin")
    sp, sport = start_stratusd(work, "big")
    ep = f"http://127.0.0.1:{sport}"
    cli = os.path.join(BUILD, "stratus")
    subprocess.run([cli, "--endpoint", ep, "request", "PUT", "/big-bucket"], check=True, stdout=subprocess.DEVNULL)
    url = lambda m: subprocess.run([cli, "--endpoint", ep, "presign", m, "/big-bucket/big.bin"], check=True,
                                   capture_output=True, text=True).stdout.strip()
    subprocess.run(["sync"])
    w0 = io_written(sp.pid)
    put = curl_speed(["-T", big, url("PUT")])[0]
    w1 = io_written(sp.pid)
    time.sleep(3)  # a flush after the answer writes too
    w2 = io_written(sp.pid)
    get = curl_speed([url("GET")])[1]
    ng = curl_speed([f"http://127.0.0.1:{nport}/big.bin"])[1]
    get2 = curl_speed([url("GET")])[1]
    ng2 = curl_speed([f"http://127.0.0.1:{nport}/big.bin"])[1]
    get, ng = max(get, get2), max(ng, ng2)
    s3r = None
    s3js = os.path.join(HERE, "node_modules", "s3rver", "bin", "s3rver.js")
    if os.path.exists(s3js):
        s3port = free_port()
        os.makedirs(f"{work}/s3rver")
        p = subprocess.Popen(pin(0, ["node", s3js, "-d", f"{work}/s3rver", "-a", "127.0.0.1", "-p", str(s3port),
                                     "-s", "--configure-bucket", "bench-bucket"]),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(p)
        if wait_port(s3port):
            s3r = curl_speed(["-T", big, f"http://127.0.0.1:{s3port}/bench-bucket/big.bin"])[0]
        p.kill()
    print(f"big: PUT {put / mb:.0f} MB/s, dd with fdatasync {dd_bps / mb:.0f} MB/s: {put / dd_bps:.2f}x "
          f"(goal >= 0.8x: {verdict(put >= 0.8 * dd_bps)})")
    if s3r:
        print(f"  s3rver PUT {s3r / mb:.0f} MB/s: {put / s3r:.2f}x (goal >= 3x: {verdict(put >= 3 * s3r)})")
    if w0 is not None:
        print(f"  bytes written to disk by the PUT: {(w1 - w0) / size:.2f}x the object during it, "
              f"{(w2 - w0) / size:.2f}x with the flush after (goal 1x)")
    print(f"  GET {get / mb:.0f} MB/s, nginx {ng / mb:.0f} MB/s: {get / ng:.2f}x (goal >= 0.9x: {verdict(get >= 0.9 * ng)})")
    if PERF:
        profile(sp.pid, "big-put", lambda: curl_speed(["-T", big, url("PUT")]))
        profile(sp.pid, "big-get", lambda: curl_speed([url("GET")]))
    sp.kill()
    os.unlink(big)


def row_fsync(work):
    sp, sport = start_stratusd(work, "fsync", "--fsync", "always")
    res = [bench(sport, sp.pid, "putitem", "stratusd-putitem-fsync-always", CONNS) for _ in range(ROUNDS)]
    ops = []
    if shutil.which("db_bench"):
        for r in range(ROUNDS):
            out = subprocess.run(pin(0, ["db_bench", "--benchmarks=overwrite", "--sync=1", "--threads=64",
                                         f"--duration={int(DURATION)}", "--num=100000", "--key_size=16",
                                         "--value_size=100", f"--db={work}/db_bench{r}"]),
                                 capture_output=True, text=True)
            m = re.search(r"^overwrite\s*:.*?([0-9.]+) ops/sec", out.stdout, re.M)
            if m:
                ops.append(float(m.group(1)))
    s = med(res, "rps")
    if ops:
        d = statistics.median(ops)
        print(f"fsync: PutItem --fsync always {s:.0f} req/s, db_bench synced overwrite 64 threads {d:.0f} ops/s: "
              f"{s / d:.2f}x (goal >= 0.8x: {verdict(s >= 0.8 * d)})")
    else:
        print(f"fsync: PutItem --fsync always {s:.0f} req/s (db_bench not installed)")
    profile(sp.pid, "fsync-putitem", lambda: bench(sport, sp.pid, "putitem", "perf", CONNS))
    sp.kill()


def main():
    work = tempfile.mkdtemp(prefix="stratus-machine-")
    os.chmod(work, 0o755)
    want = lambda r: ONLY is None or r in ONLY
    try:
        n = start_nginx(work)
        print(f"# {CONNS} connections, {DURATION} s per run, {ROUNDS} interleaved rounds (median), "
              f"servers on core 0, load on core 1: pinned={PINNED}")
        s = start_stratusd(work, "main")
        subprocess.run([os.path.join(BUILD, "stratus"), "--endpoint", f"http://127.0.0.1:{s[1]}", "request", "PUT",
                        "/bench-bucket"], check=True, stdout=subprocess.DEVNULL)
        for w in ("putitem", "getitem", "query"):
            if want(w):
                row_request(w, s, n, "/", w, None, 1.5, True)
        if want("s3get"):
            row_request("s3get", s, n, "/obj4k", "s3get", "/bench-bucket", 1.5, True)
        if want("s3put"):
            row_request("s3put", s, n, "/obj4k", "s3put", "/bench-bucket", 2.0, False)
        s[0].kill()
        if want("big"):
            row_big(work, n)
        if want("fsync"):
            row_fsync(work)
    finally:
        for p in procs:
            p.kill()
        if os.path.exists(f"{work}/nginx.pid"):
            try:
                os.kill(int(open(f"{work}/nginx.pid").read()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        time.sleep(0.3)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
