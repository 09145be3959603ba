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
keycache=$(dirname "$bin")/bench/bench_keycache
[ -x "$keycache" ] || { cmake -S . -B "$(dirname "$bin")" -DCMAKE_BUILD_TYPE=Release -DCUSTOS_TESTS=OFF >/dev/null; cmake --build "$(dirname "$bin")" -j "$(nproc)" >/dev/null; }
source bench/lib.sh
tmp=$BENCH_TMP

store="sqlite:$tmp/custos.db"
key=$("$bin" demo --store "$store" --master-key-file "$tmp/master.key" | awk '/^demo API key:/ {print $4}')
[ -n "$key" ] || { echo "no demo key" >&2; exit 1; }

cport=$(free_port)
# The per-key rate limit is raised so the benchmark measures the check, not 429s.
taskset -c 0 "$bin" serve --listen "127.0.0.1:$cport" --threads 1 --store "$store" \
  --master-key-file "$tmp/master.key" --log-level warn --set log.access=false \
  --set keys.rate_per_second=1000000 --set keys.burst=1000000 2>"$tmp/custos.log" &
BENCH_PIDS+=($!)

nport=$(free_port)
start_nginx "$nport" ok
wait_http -H "api-key: $key" "http://127.0.0.1:$cport/v1/whoami"
wait_http "http://127.0.0.1:$nport/"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "api-key: $key" "http://127.0.0.1:$cport/v1/whoami")
[ "$status" = 200 ] || { echo "whoami answered $status" >&2; exit 1; }

echo "wrk -t1 -c${CONNS:-50} -d${DURATION:-10s}, servers on core 0, wrk on core 1 ($(nproc) cores)"
warm "http://127.0.0.1:$cport/v1/whoami" "api-key: $key"
warm "http://127.0.0.1:$nport/"
measure nginx-return-200 "http://127.0.0.1:$nport/"
measure custos-whoami-valid-key "http://127.0.0.1:$cport/v1/whoami" "api-key: $key"
echo "ratio custos/nginx: $(ratio "$custos_whoami_valid_key_rps" "$nginx_return_200_rps") (target >= 0.80)"
echo
echo "key cache, 1,000,000 keys:"
"$keycache"
