#!/usr/bin/env bash
# bench/http.sh [CUSTOS_BIN] — wrk against custos /healthz and against nginx
# `return 200` with identical settings in the same run: one server thread /
# worker each, pinned to core 0; wrk pinned to core 1. Prints both and the
# ratio (target: custos >= 0.8x nginx).
#   DURATION=10s CONNS=50 bench/http.sh build/release/custos
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/custos}
dur=${DURATION:-10s}
conns=${CONNS:-50}
command -v wrk >/dev/null || { echo "wrk missing: scripts/deps.sh bench" >&2; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx missing: scripts/deps.sh bench" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d /tmp/custos-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})" 2>/dev/null \
  || python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "not up: $1" >&2; return 1; }

cport=$(free_port)
taskset -c 0 "$bin" serve --listen "127.0.0.1:$cport" --threads 1 \
  --store "sqlite:$tmp/custos.db" --master-key-file "$tmp/master.key" \
  --log-level warn --set log.access=false 2>"$tmp/custos.log" &
pids+=($!)

nport=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:$nport;
    location / { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
taskset -c 0 "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
pids+=($!)

wait_http "http://127.0.0.1:$cport/healthz"
wait_http "http://127.0.0.1:$nport/healthz"

bench() { # name url
  taskset -c 1 wrk -t1 -c"$conns" -d"$dur" --latency "$2" >"$tmp/$1.wrk"
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/$1.wrk")
  p50=$(awk '$1=="50%" {print $2}' "$tmp/$1.wrk")
  p99=$(awk '$1=="99%" {print $2}' "$tmp/$1.wrk")
  printf '%-22s %12s req/s   p50 %-8s p99 %-8s\n' "$1" "$rps" "$p50" "$p99"
  eval "${1//-/_}_rps=$rps"
}

echo "wrk -t1 -c$conns -d$dur, servers on core 0, wrk on core 1 ($(nproc) cores)"
taskset -c 1 wrk -t1 -c"$conns" -d2s "http://127.0.0.1:$cport/healthz" >/dev/null  # warm-up
taskset -c 1 wrk -t1 -c"$conns" -d2s "http://127.0.0.1:$nport/healthz" >/dev/null
bench nginx-return-200 "http://127.0.0.1:$nport/healthz"
bench custos-healthz "http://127.0.0.1:$cport/healthz"
ratio=$(awk -v a="$custos_healthz_rps" -v b="$nginx_return_200_rps" 'BEGIN {printf "%.2f", a/b}')
echo "ratio custos/nginx: $ratio (target >= 0.80)"
