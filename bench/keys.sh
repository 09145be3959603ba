#!/usr/bin/env bash
# bench/keys.sh [CUSTOS_BIN] — an authenticated request (GET /v1/whoami with
# a valid `api-key`) vs nginx `return 200`, same wrk settings, same run: one
# server thread / worker each pinned to core 0, wrk on core 1. Then the
# memory of 1,000,000 cached keys (bench_keycache). Targets: ratio >= 0.8,
# <= 200 MB for 1M keys.
#   DURATION=10s CONNS=50 bench/keys.sh build/release/custos
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/custos}
dur=${DURATION:-10s}
conns=${CONNS:-50}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
keycache=$(dirname "$bin")/bench/bench_keycache
[ -x "$keycache" ] || { cmake -S . -B "$(dirname "$bin")" -DCMAKE_BUILD_TYPE=Release -DCUSTOS_TESTS=OFF >/dev/null; cmake --build "$(dirname "$bin")" -j "$(nproc)" >/dev/null; }

tmp=$(mktemp -d /tmp/custos-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "$@" 2>/dev/null && return 0; sleep 0.05; done; echo "not up: $*" >&2; return 1; }

store="sqlite:$tmp/custos.db"
key=$("$bin" demo --store "$store" --master-key-file "$tmp/master.key" | awk '/^demo API key:/ {print $4}')
[ -n "$key" ] || { echo "no demo key" >&2; exit 1; }

cport=$(free_port)
# The per-key rate limit is raised so the benchmark measures the check, not 429s.
taskset -c 0 "$bin" serve --listen "127.0.0.1:$cport" --threads 1 --store "$store" \
  --master-key-file "$tmp/master.key" --log-level warn --set log.access=false \
  --set keys.rate_per_second=1000000 --set keys.burst=1000000 2>"$tmp/custos.log" &
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
  server { listen 127.0.0.1:$nport; location / { return 200 'ok'; } }
}
CONF
taskset -c 0 "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
pids+=($!)
wait_http -H "api-key: $key" "http://127.0.0.1:$cport/v1/whoami"
wait_http "http://127.0.0.1:$nport/"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "api-key: $key" "http://127.0.0.1:$cport/v1/whoami")
[ "$status" = 200 ] || { echo "whoami answered $status" >&2; exit 1; }

run() { # name url [header]
  local args=(-t1 -c"$conns" -d"$dur" --latency)
  [ -n "${3:-}" ] && args+=(-H "$3")
  taskset -c 1 wrk "${args[@]}" "$2" >"$tmp/$1.wrk"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/$1.wrk")
  p50=$(awk '$1=="50%" {print $2}' "$tmp/$1.wrk")
  p99=$(awk '$1=="99%" {print $2}' "$tmp/$1.wrk")
  non2xx=$(awk '/Non-2xx/ {print $4}' "$tmp/$1.wrk")
  printf '%-26s %12s req/s   p50 %-8s p99 %-8s non-2xx %s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
  eval "${1//-/_}_rps=$rps"
}

echo "wrk -t1 -c$conns -d$dur, servers on core 0, wrk on core 1 ($(nproc) cores)"
taskset -c 1 wrk -t1 -c"$conns" -d2s -H "api-key: $key" "http://127.0.0.1:$cport/v1/whoami" >/dev/null
taskset -c 1 wrk -t1 -c"$conns" -d2s "http://127.0.0.1:$nport/" >/dev/null
run nginx-return-200 "http://127.0.0.1:$nport/"
run custos-whoami-valid-key "http://127.0.0.1:$cport/v1/whoami" "api-key: $key"
ratio=$(awk -v a="$custos_whoami_valid_key_rps" -v b="$nginx_return_200_rps" 'BEGIN {printf "%.2f", a/b}')
echo "ratio custos/nginx: $ratio (target >= 0.80)"
echo
echo "key cache, 1,000,000 keys:"
"$keycache"
