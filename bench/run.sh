#!/usr/bin/env bash
# make bench: stratusd and a baseline (nginx serving a small static response) on loopback,
# both driven by stratus-bench with the same connection count in the same run; prints
# requests/s, latency and server CPU per request, and the ratios stratusd/nginx.
# Every load is bounded in time (DURATION seconds) and runs only against 127.0.0.1.
set -euo pipefail
BUILD=${1:-build}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10}
THREADS=${THREADS:-$(nproc)}
work=$(mktemp -d /tmp/stratus-bench-XXXXXX)
chmod 755 "$work"  # nginx workers run as www-data
cleanup() {
  [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT

# stratusd, without the per-request access log (nginx's is off too).
"$BUILD/stratusd" --listen 127.0.0.1:0 --data-dir "$work/db" --port-file "$work/port" \
  --threads "$THREADS" --log-level warn > "$work/stratusd.log" 2>&1 &
spid=$!
for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
sport=$(cat "$work/port")
"$BUILD/stratus" --endpoint "http://127.0.0.1:$sport" request PUT /bench-bucket > /dev/null

# nginx baseline with the same number of workers.
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/www"
printf '{"TableNames":[]}' > "$work/www/index.json"
head -c 4096 /dev/zero | tr '\0' 'a' > "$work/www/obj4k"
cat > "$work/nginx.conf" <<CONF
worker_processes $THREADS;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nport reuseport;
    root $work/www;
    location = /obj4k { }
    location = /big.bin { }
    location / { try_files /index.json =404; }
  }
}
CONF
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
"$NGINX" -c "$work/nginx.conf" -p "$work" 2>/dev/null
for _ in $(seq 100); do [ -s "$work/nginx.pid" ] && break; sleep 0.05; done
npids=$(pgrep -P "$(cat "$work/nginx.pid")" | paste -sd, -)

run() { "$BUILD/stratus-bench" --connections "$CONNS" --duration "$DURATION" "$@"; }
echo "# $CONNS connections, $DURATION s each, $THREADS server threads/workers, $(nproc) cores"
base=$(run --port "$nport" --workload get --path / --server-pid "$npids" --label nginx-static)
echo "$base"
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ratio() { # ratio LINE BASELINE-LINE NAME
  python3 - "$1" "$2" "$3" <<'PY'
import sys
def f(line):
    return {k: v for k, v in (t.split("=", 1) for t in line.split()[1:])}
s, b, name = f(sys.argv[1]), f(sys.argv[2]), sys.argv[3]
rps = float(s["rps"]) / float(b["rps"])
cpu = float(s.get("server_cpu_us_per_req", 0)) / max(float(b.get("server_cpu_us_per_req", 1e-9)), 1e-9)
print(f"  ratio {sys.argv[1].split()[0]}/{name}: requests/s {rps:.2f}x, server CPU per request {cpu:.2f}x")
PY
}
for w in listtables headbucket; do
  extra=()
  [ "$w" = headbucket ] && extra=(--path /bench-bucket)
  line=$(run --port "$sport" --workload "$w" "${extra[@]}" --server-pid "$spid" --label "stratusd-$w")
  echo "$line"
  python3 - "$line" "$base" <<'PY'
import sys
def f(line):
    return {k: v for k, v in (t.split("=", 1) for t in line.split()[1:])}
s, b = f(sys.argv[1]), f(sys.argv[2])
name = sys.argv[1].split()[0]
rps = float(s["rps"]) / float(b["rps"])
cpu = float(s["server_cpu_us_per_req"]) / max(float(b["server_cpu_us_per_req"]), 1e-9)
print(f"  ratio {name}/nginx: requests/s {rps:.2f}x, server CPU per request {cpu:.2f}x")
PY
done

# ---- S3 objects: PUT and GET of 4 KiB at 64 and 1 connections, against nginx's GET of a
# 4 KiB static file (the same run; a PUT also writes, so nginx's GET is a ceiling) ----
base4k=$(run --port "$nport" --workload get --path /obj4k --server-pid "$npids" --label nginx-get-4k)
echo "$base4k"
for w in s3put s3get; do
  for c in "$CONNS" 1; do
    sleep 1
    line=$("$BUILD/stratus-bench" --connections "$c" --duration "$DURATION" --port "$sport" \
           --workload "$w" --path /bench-bucket --server-pid "$spid" --label "stratusd-$w-4k-c$c")
    echo "$line"
    [ "$c" = "$CONNS" ] && ratio "$line" "$base4k" nginx-get-4k
  done
done

if [ ! -x bench/node_modules/.bin/dynalite ] || [ ! -x bench/node_modules/.bin/s3rver ]; then
  (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi

# ---- The same 4 KiB PUT and GET against s3rver, the S3 server installable from npm ----
s3port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/s3rver"
node bench/node_modules/s3rver/bin/s3rver.js -d "$work/s3rver" -a 127.0.0.1 -p "$s3port" -s \
  --configure-bucket bench-bucket > "$work/s3rver.log" 2>&1 &
s3pid=$!
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$s3port) 2>/dev/null && break; sleep 0.1; done
for w in s3put s3get; do
  for c in "$CONNS" 1; do
    sleep 1
    peer=$("$BUILD/stratus-bench" --connections "$c" --duration "$DURATION" --port "$s3port" \
           --workload "$w" --path /bench-bucket --access-key S3RVER --secret-key S3RVER \
           --server-pid "$s3pid" --label "s3rver-$w-4k-c$c")
    echo "$peer"
    ours=$("$BUILD/stratus-bench" --connections "$c" --duration "$DURATION" --port "$sport" \
           --workload "$w" --path /bench-bucket --server-pid "$spid" --label "stratusd-$w-4k-c$c")
    echo "$ours"
    ratio "$ours" "$peer" s3rver
  done
done
kill "$s3pid" 2>/dev/null || true

# ---- DynamoDB data plane: PutItem, GetItem, Query, GSI Query at 64 and 1 connections ----
# Baselines in the same run: nginx above (the machine's HTTP ceiling) and dynalite.
dport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
node bench/node_modules/dynalite/cli.js --port "$dport" --host 127.0.0.1 > "$work/dynalite.log" 2>&1 &
dpid=$!
trap 'kill $dpid 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$dport) 2>/dev/null && break; sleep 0.1; done
# stratusd first, then dynalite: its background work after a write run must not disturb
# stratusd's runs (1-connection latency especially).
declare -A sres
for w in putitem getitem query gsiquery; do
  for c in "$CONNS" 1; do
    sleep 1
    sres[$w-$c]=$("$BUILD/stratus-bench" --connections "$c" --duration "$DURATION" --port "$sport" \
                  --workload "$w" --server-pid "$spid" --label "stratusd-$w-c$c")
  done
done
for w in putitem getitem query gsiquery; do
  for c in "$CONNS" 1; do
    sleep 1
    d=$("$BUILD/stratus-bench" --connections "$c" --duration "$DURATION" --port "$dport" --workload "$w" \
        --server-pid "$dpid" --label "dynalite-$w-c$c")
    s=${sres[$w-$c]}
    echo "$s"; echo "$d"
    ratio "$s" "$d" dynalite
    [ "$c" = "$CONNS" ] && [ "$w" != query ] && [ "$w" != gsiquery ] && ratio "$s" "$base" nginx
  done
done

# ---- TransactWriteItems of 4 puts against one PutItem, both on stratusd ----
for c in "$CONNS" 1; do
  sleep 1
  t4=$("$BUILD/stratus-bench" --connections "$c" --duration "$DURATION" --port "$sport" \
       --workload txn4 --server-pid "$spid" --label "stratusd-txn4-c$c")
  echo "$t4"
  ratio "$t4" "${sres[putitem-$c]}" "stratusd-putitem-c$c"
done

# ---- PutItem on a table with a stream (NEW_AND_OLD_IMAGES) against PutItem on a plain one ----
for c in "$CONNS" 1; do
  sleep 1
  sp=$("$BUILD/stratus-bench" --connections "$c" --duration "$DURATION" --port "$sport" \
       --workload streamput --server-pid "$spid" --label "stratusd-streamput-c$c")
  echo "$sp"
  ratio "$sp" "${sres[putitem-$c]}" "stratusd-putitem-c$c"
done

# ---- Functions: a warm Invoke's round trip against an nginx round trip (1 connection each),
# and cold starts (the first invoke of a fresh `provided` function). The `provided` functions
# run a compiled bootstrap, as Go and Rust functions do ----
cc -O2 -o "$work/bootstrap" bench/bootstrap.c
export BENCH_BOOTSTRAP="$work/bootstrap"
python3 bench/functions.py "http://127.0.0.1:$sport" create
ngc1=$("$BUILD/stratus-bench" --connections 1 --duration "$DURATION" --port "$nport" --workload get \
       --path / --server-pid "$npids" --label nginx-static-c1)
inv=$("$BUILD/stratus-bench" --connections 1 --duration "$DURATION" --port "$sport" --workload invoke \
      --path /2015-03-31/functions/benchfn/invocations --server-pid "$spid" --label stratusd-invoke-c1)
echo "$ngc1"; echo "$inv"
python3 - "$inv" "$ngc1" <<'PY'
import sys
f = lambda l: {k: v for k, v in (t.split("=", 1) for t in l.split()[1:])}
s, b = f(sys.argv[1]), f(sys.argv[2])
print(f"  ratio warm-invoke/nginx-round-trip: p50 latency {float(s['p50_us']) / float(b['p50_us']):.2f}x "
      f"({s['p50_us']} us vs {b['p50_us']} us), p99 {float(s['p99_us']) / float(b['p99_us']):.2f}x")
PY
# A function URL request (payload 2.0 event, response mapping) against an nginx round trip,
# both from one Python http.client loop on one connection.
python3 bench/functions.py "http://127.0.0.1:$sport" url 2000 "$nport"
python3 bench/functions.py "http://127.0.0.1:$sport" cold 5
# A Python function that imports boto3 and makes a client at import (the sandbox, the runtime's
# SDK and its endpoint hook included).
python3 bench/functions.py "http://127.0.0.1:$sport" cold-python 5
# A write on a streamed table to the start of the mapped function, under 200 writes/s.
python3 bench/functions.py "http://127.0.0.1:$sport" trigger 2000 200
# The same for another mapping, free and then while one mapping's function sleeps 60 s.
python3 bench/functions.py "http://127.0.0.1:$sport" trigger-hung 1000 200

# ---- One 1 GiB object: PUT and GET in MB/s with curl on a fresh stratusd (its peak RSS is
# the whole run's), against nginx serving the same file and dd writing it with fdatasync ----
big() {
  kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
  "$BUILD/stratusd" --listen 127.0.0.1:0 --data-dir "$work/db-big" --port-file "$work/port3" \
    --threads "$THREADS" --log-level warn > "$work/stratusd3.log" 2>&1 &
  spid=$!
  for _ in $(seq 200); do [ -s "$work/port3" ] && break; sleep 0.05; done
  local ep="http://127.0.0.1:$(cat "$work/port3")"
  "$BUILD/stratus" --endpoint "$ep" request PUT /big-bucket > /dev/null
  head -c $((1024 * 1024 * 1024)) /dev/urandom > "$work/www/big.bin"
  sync
  local put get ng dd
  put=$(curl -s -o /dev/null -w '%{speed_upload}' -T "$work/www/big.bin" \
        "$("$BUILD/stratus" --endpoint "$ep" presign PUT /big-bucket/big.bin)")
  get=$(curl -s -o /dev/null -w '%{speed_download}' \
        "$("$BUILD/stratus" --endpoint "$ep" presign GET /big-bucket/big.bin)")
  ng=$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$nport/big.bin")
  local hwm
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$spid/status")
  dd=$(dd if="$work/www/big.bin" of="$work/dd.bin" bs=1M conv=fdatasync 2>&1 | tail -1)
  local ddbps
  ddbps=$(python3 -c "import re,sys; m=re.search(r'copied, ([0-9.]+) s', sys.argv[1]); print(1073741824/float(m.group(1)))" "$dd")
  python3 - "$put" "$get" "$ng" "$ddbps" "$hwm" <<'PY'
import sys
put, get, ng, dd, hwm = (float(x) for x in sys.argv[1:])
mb = 1024 * 1024
print(f"stratusd-put-1g MBps={put/mb:.0f}  dd-fdatasync-1g MBps={dd/mb:.0f}")
print(f"  ratio stratusd-put-1g/dd: {put/dd:.2f}x")
print(f"stratusd-get-1g MBps={get/mb:.0f}  nginx-get-1g MBps={ng/mb:.0f}")
print(f"  ratio stratusd-get-1g/nginx: {get/ng:.2f}x")
print(f"stratusd peak RSS over the 1 GiB PUT and GET: {hwm/1024:.0f} MiB (goal < 256)")
PY
  rm -f "$work/www/big.bin" "$work/dd.bin"
}
big

# ---- PutItem with --fsync always against RocksDB's own db_bench (sync overwrite, 64 threads) ----
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
"$BUILD/stratusd" --listen 127.0.0.1:0 --data-dir "$work/db-always" --port-file "$work/port2" \
  --threads "$THREADS" --log-level warn --fsync always > "$work/stratusd2.log" 2>&1 &
spid=$!
for _ in $(seq 200); do [ -s "$work/port2" ] && break; sleep 0.05; done
a=$("$BUILD/stratus-bench" --connections "$CONNS" --duration "$DURATION" --port "$(cat "$work/port2")" \
    --workload putitem --server-pid "$spid" --label stratusd-putitem-fsync-always)
echo "$a"
if command -v db_bench > /dev/null; then
  dbb=$(db_bench --benchmarks=overwrite --sync=1 --threads=64 --duration="$DURATION" --num=100000 \
        --key_size=16 --value_size=100 --db="$work/db_bench" 2>/dev/null | grep -E "^overwrite")
  ops=$(echo "$dbb" | sed -n 's/.* \([0-9][0-9]*\) ops\/sec.*/\1/p')
  echo "db_bench-overwrite-sync-64threads ops_per_sec=$ops ($dbb)"
  python3 -c "import sys; print(f'  ratio stratusd-putitem-fsync-always/db_bench: requests/s {float(sys.argv[1])/float(sys.argv[2]):.2f}x')" \
    "$(field "$a" rps)" "$ops"
fi

