#!/usr/bin/env bash
# bench/check_instr.sh [CUSTOS_BIN] — instructions per request of custos
# on the gateway paths, counted by callgrind: load-independent, so it can
# be taken on a busy machine where wrk figures are noise.
#
# custos (`--threads 1`, access log off) runs under
# `valgrind --tool=callgrind` with instrumentation off during setup; then for
# each path the counters are zeroed, wrk drives it on one keep-alive
# connection for $SECONDS_PER_PATH seconds, the counters are dumped, and
# instructions (Ir) are divided by the requests wrk completed. Each count
# includes everything custos's process does per request: the HTTP server, libc, the
# kernel boundary (not the kernel itself), custos.
#   /healthz                            the HTTP floor
#   /v1/check The Layer Token1+Token2   (as bench/gateway.sh)
#   /v1/check Open Ledger Bearer RS256  (developer token, GET /v1/transactions)
#   /v1/check AssetPay api-key          (class secure, POST /secure/x)
# Every answer must be 200 (checked before counting).
#   SECONDS_PER_PATH=3 KEEP=dir bench/check_instr.sh build/release/custos
# KEEP=dir keeps the callgrind dumps there (for callgrind_annotate).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/custos}
command -v valgrind >/dev/null || { echo "valgrind missing: scripts/deps.sh bench" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: scripts/deps.sh bench" >&2; exit 1; }
source bench/lib.sh
tmp=$BENCH_TMP
out=${KEEP:-$tmp/cg}
mkdir -p "$out"
secs=${SECONDS_PER_PATH:-3}

store="sqlite:$tmp/custos.db"
admin=$("$bin" admin init --store "$store" --master-key-file "$tmp/master.key" 2>/dev/null)
cport=$(free_port)
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/callgrind.out.%p" \
  "$bin" serve --listen "127.0.0.1:$cport" --threads 1 --store "$store" \
  --master-key-file "$tmp/master.key" --log-level warn --set log.access=false \
  --set policy.file=examples/platform/policy.yaml \
  --set keys.rate_per_second=1000000 --set keys.burst=1000000 2>"$tmp/custos.log" &
vg=$!
BENCH_PIDS+=($vg)
custos=http://127.0.0.1:$cport
for _ in $(seq 600); do curl -s -o /dev/null "$custos/healthz" && break; sleep 0.1; done
auth="Authorization: Bearer $admin"
post() { curl -sf "$custos$1" -H "$auth" -d "$2"; }

# The Layer
acct=$(post /admin/v1/accounts '{"name":"bench"}' | jq -r .id)
app=$(post /admin/v1/apps "{\"account_id\":\"$acct\",\"name\":\"tl\",\"profile\":\"thelayer\"}" | jq -r .id)
t1=$(post "/admin/v1/apps/$app/keys" '{}' | jq -r .key)
uid=$(post "/admin/v1/apps/$app/users" '{"external_id":"b"}' | jq -r .id)
t2=$(post "/admin/v1/apps/$app/users/$uid/tokens" '{"access_level":"read"}' | jq -r .token)
# Open Ledger: a developer token from the seed's token endpoint
olapp=$(post /admin/v1/apps "{\"account_id\":\"$acct\",\"name\":\"ol\",\"profile\":\"openledger\"}" | jq -r .id)
olkey=$(post "/admin/v1/apps/$olapp/keys" '{"scopes":["CORE_ACCESS"]}' | jq -r .key)
oltok=$(curl -sf "$custos/v1/auth/tokens" -H 'Content-Type: application/json' \
  -d "{\"apiKey\":\"$olkey\",\"id\":\"$acct\",\"userType\":\"developer\"}" | jq -r .access_token)
# AssetPay: a merchant's api-key
apapp=$(post /admin/v1/apps "{\"account_id\":\"$acct\",\"name\":\"ap\",\"profile\":\"assetpay\"}" | jq -r .id)
apkey=$(post "/admin/v1/apps/$apapp/keys" '{"scopes":["CORE_ACCESS"]}' | jq -r .key)

# name method path header…  (the check is nginx style: X-Original-*)
paths=(
  "healthz|GET|/healthz"
  "check-thelayer|GET|/v1/check|X-Original-Method: GET|X-Original-URI: /api/your-endpoint|Token1: $t1|Token2: $t2"
  "check-openledger|GET|/v1/check|X-Original-Method: GET|X-Original-URI: /v1/transactions|Authorization: Bearer $oltok"
  "check-assetpay|GET|/v1/check|X-Original-Method: POST|X-Original-URI: /secure/prices|api-key: $apkey"
)
printf '%-18s %9s %12s %10s\n' path requests Ir Ir/request
for p in "${paths[@]}"; do
  IFS='|' read -r -a f <<<"$p"
  name=${f[0]} url="$custos${f[2]}"
  hargs=() wargs=()
  for h in "${f[@]:3}"; do hargs+=(-H "$h"); wargs+=(-H "$h"); done
  s=$(curl -s -o /dev/null -w '%{http_code}' "${hargs[@]}" "$url")
  [ "$s" = 200 ] || { echo "$name answered $s" >&2; exit 1; }
  # Warm (caches, connection buffers) with instrumentation still off.
  wrk -t1 -c1 -d1s "${wargs[@]}" "$url" >/dev/null
  callgrind_control -i on "$vg" >/dev/null 2>&1
  callgrind_control -z "$vg" >/dev/null 2>&1
  wrk -t1 -c1 -d"${secs}s" "${wargs[@]}" "$url" >"$tmp/$name.wrk"
  callgrind_control -d "$name" "$vg" >/dev/null 2>&1
  callgrind_control -i off "$vg" >/dev/null 2>&1
  n=$(awk '/requests in/ {print $1}' "$tmp/$name.wrk")
  bad=$(awk '/Non-2xx/ {print $4}' "$tmp/$name.wrk")
  [ -z "$bad" ] || { echo "$name: $bad non-2xx answers" >&2; exit 1; }
  f=$(grep -l "^desc: Trigger: dump $name$" "$out"/callgrind.out.* | head -1)
  ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$f")
  printf '%-18s %9d %12d %10d\n' "$name" "$n" "$ir" $((ir / n))
done
