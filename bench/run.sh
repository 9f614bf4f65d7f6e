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
