#!/usr/bin/env bash
# bench/http.sh [CUSTOS_BIN] — wrk against custos /healthz and against nginx
# `return 200` with identical settings in the same run: one server thread /
# worker each, pinned to core 0; wrk pinned to core 1. Prints both and the
# ratio (target: custos >= 0.8x nginx).
#   DURATION=10s CONNS=50 bench/http.sh build/release/custos
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/custos}
command -v wrk >/dev/null || { echo "wrk missing: scripts/deps.sh bench" >&2; exit 1; }
source bench/lib.sh

cport=$(free_port)
taskset -c 0 "$bin" serve --listen "127.0.0.1:$cport" --threads 1 \
  --store "sqlite:$BENCH_TMP/custos.db" --master-key-file "$BENCH_TMP/master.key" \
  --log-level warn --set log.access=false 2>"$BENCH_TMP/custos.log" &
BENCH_PIDS+=($!)
nport=$(free_port)
start_nginx "$nport" '{"status":"ok"}'
wait_http "http://127.0.0.1:$cport/healthz"
wait_http "http://127.0.0.1:$nport/healthz"

echo "wrk -t1 -c${CONNS:-50} -d${DURATION:-10s}, servers on core 0, wrk on core 1 ($(nproc) cores)"
warm "http://127.0.0.1:$cport/healthz"
warm "http://127.0.0.1:$nport/healthz"
measure nginx-return-200 "http://127.0.0.1:$nport/healthz"
measure custos-healthz "http://127.0.0.1:$cport/healthz"
echo "ratio custos/nginx: $(ratio "$custos_healthz_rps" "$nginx_return_200_rps") (target >= 0.80)"
