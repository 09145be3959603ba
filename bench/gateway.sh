#!/usr/bin/env bash
# bench/gateway.sh [CUSTOS_BIN] — custos at the gateway, same run, same wrk
# settings (servers pinned to core 0, wrk to core 1):
#   (a') nginx → the sample platform API (examples/platform/server.mjs,
#        node), no auth: the issue's "nginx → upstream"
#   (b') nginx → auth_request → custos /v1/check → the sample platform
#   (a)  nginx → a static nginx `return 200` upstream, no auth
#   (b)  nginx → auth_request → custos /v1/check → static upstream: the
#        worst case for the ratio, the upstream costing next to nothing
#   (c)  custos /v1/check direct vs nginx `return 200`
#   (s') as (b'), with custos replaced by a stand-in that does no work: an
#        nginx `return 200` answering the nine headers a Layer check does
#        (core 0, like custos). (s')/(a') is the most any auth service
#        can reach in this layout; (b')/(s') is custos against it.
# (examples/gateway/nginx.conf as shipped; the no-auth gateways are the same
# file without the auth_request and error_page lines.) The credential is
# The Layer's Token1 + Token2 (a cache hit after the first request).
# Targets: (b')/(a') >= 0.7 (the issue's pair), (c) >= 0.8; (b)/(a) is
# printed beside it, labelled as the static-upstream worst case.
#   DURATION=10s CONNS=50 bench/gateway.sh build/release/custos
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/custos}
command -v wrk >/dev/null || { echo "wrk missing: scripts/deps.sh bench" >&2; exit 1; }
source bench/lib.sh
tmp=$BENCH_TMP

# custos: one thread, the sample platform's policy, rate limit out of the way.
store="sqlite:$tmp/custos.db"
admin=$("$bin" admin init --store "$store" --master-key-file "$tmp/master.key" 2>/dev/null)
cport=$(free_port)
taskset -c 0 "$bin" serve --listen "127.0.0.1:$cport" --threads 1 --store "$store" \
  --master-key-file "$tmp/master.key" --log-level warn --set log.access=false \
  --set policy.file=examples/platform/policy.yaml \
  --set keys.rate_per_second=1000000 --set keys.burst=1000000 2>"$tmp/custos.log" &
BENCH_PIDS+=($!)
custos=http://127.0.0.1:$cport
wait_http "$custos/healthz"
auth="Authorization: Bearer $admin"
acct=$(curl -sf "$custos/admin/v1/accounts" -H "$auth" -d '{"name":"bench"}' | jq -r .id)
app=$(curl -sf "$custos/admin/v1/apps" -H "$auth" -d "{\"account_id\":\"$acct\",\"name\":\"b\",\"profile\":\"thelayer\"}" | jq -r .id)
t1=$(curl -sf "$custos/admin/v1/apps/$app/keys" -H "$auth" -d '{}' | jq -r .key)
uid=$(curl -sf "$custos/admin/v1/apps/$app/users" -H "$auth" -d '{"external_id":"b"}' | jq -r .id)
t2=$(curl -sf "$custos/admin/v1/apps/$app/users/$uid/tokens" -H "$auth" -d '{"access_level":"read"}' | jq -r .token)

# The upstream (and the `return 200` anchor of (c)): lib.sh's static nginx.
uport=$(free_port)
start_nginx "$uport" '{"ok":true}'

# The stand-in auth service for (s'): answers like a Layer check, does nothing.
sport=$(free_port)
start_nginx "$sport" '' standin "$(printf 'add_header %s; ' \
  'X-Request-Id 0123456789ab00000001' 'Cache-Control no-store' \
  'X-Custos-Account acct_0123456789abcdef012345' 'X-Custos-App app_0123456789abcdef012345' \
  'X-Custos-Subject usr_0123456789abcdef012345' 'X-Custos-Scopes read' \
  'X-Custos-Token-Id tok_0123456789abcdef012345' 'X-Custos-Access-Level read' \
  'X-Custos-App-Token-Id key_0123456789abcdef012345')"

# The sample platform API (node), on core 0 like every server.
pport=$(free_port)
taskset -c 0 node examples/platform/server.mjs --port "$pport" >"$tmp/platform.log" &
BENCH_PIDS+=($!)

# The gateways, from the shipped template: (b) as is, (a) without auth.
gw() { # gw NAME PORT UPSTREAM_PORT [sed args]: nginx from examples/gateway/nginx.conf, access log off
  local name=$1 port=$2 up=$3 d="$tmp/$1" auth=${AUTH_PORT:-$cport}
  shift 3
  mkdir -p "$d"
  sed -e "s#{{DIR}}#$d#g" -e "s#{{LISTEN}}#127.0.0.1:$port#g" -e "s#{{CUSTOS}}#127.0.0.1:$auth#g" \
      -e "s#{{PLATFORM}}#127.0.0.1:$up#g" -e "s#access_log .*;#access_log off;#" "$@" \
      examples/gateway/nginx.conf >"$d/nginx.conf"
  taskset -c 0 "$NGINX" -p "$d" -c "$d/nginx.conf" &
  BENCH_PIDS+=($!)
}
noauth=(-e '/^ *auth_request \//d' -e '/^ *error_page /d')
aport=$(free_port); gw noauth "$aport" "$uport" "${noauth[@]}"
bport=$(free_port); gw auth "$bport" "$uport"
apport=$(free_port); gw noauth-platform "$apport" "$pport" "${noauth[@]}"
bpport=$(free_port); gw auth-platform "$bpport" "$pport"
spport=$(free_port); AUTH_PORT=$sport gw standin-platform "$spport" "$pport"
for p in "$uport" "$pport" "$aport" "$bport" "$apport" "$bpport" "$spport"; do wait_http "http://127.0.0.1:$p/"; done

H1="Token1: $t1" H2="Token2: $t2"
path=/api/your-endpoint
s=$(curl -s -o /dev/null -w '%{http_code}' -H "$H1" -H "$H2" "http://127.0.0.1:$bport$path")
[ "$s" = 200 ] || { echo "(b) answered $s" >&2; exit 1; }
s=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$bport$path")
[ "$s" = 401 ] || { echo "(b) without tokens answered $s" >&2; exit 1; }
s=$(curl -s -o /dev/null -w '%{http_code}' -H "$H1" -H "$H2" "http://127.0.0.1:$bpport$path")
[ "$s" = 200 ] || { echo "(b') answered $s" >&2; exit 1; }
s=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$apport$path")
[ "$s" = 200 ] || { echo "(a') answered $s" >&2; exit 1; }
s=$(curl -s -o /dev/null -w '%{http_code}' -H "$H1" -H "$H2" "http://127.0.0.1:$spport$path")
[ "$s" = 200 ] || { echo "(s') answered $s" >&2; exit 1; }
s=$(curl -s -o /dev/null -w '%{http_code}' -H "$H1" -H "$H2" "$custos/v1/check$path")
[ "$s" = 200 ] || { echo "(c) answered $s" >&2; exit 1; }

echo "wrk -t1 -c${CONNS:-50} -d${DURATION:-10s}, servers on core 0, wrk on core 1 ($(nproc) cores)"
warm "http://127.0.0.1:$apport$path"
warm "http://127.0.0.1:$bpport$path" "$H1" "$H2"
warm "http://127.0.0.1:$spport$path" "$H1" "$H2"
warm "http://127.0.0.1:$aport$path"
warm "http://127.0.0.1:$bport$path" "$H1" "$H2"
warm "$custos/v1/check$path" "$H1" "$H2"
warm "http://127.0.0.1:$uport$path"
measure a2-nginx-noauth-platform "http://127.0.0.1:$apport$path"
measure b2-nginx-auth-platform "http://127.0.0.1:$bpport$path" "$H1" "$H2"
measure s2-nginx-standin-platform "http://127.0.0.1:$spport$path" "$H1" "$H2"
measure a-nginx-noauth "http://127.0.0.1:$aport$path"
measure b-nginx-auth-custos "http://127.0.0.1:$bport$path" "$H1" "$H2"
measure c-nginx-return-200 "http://127.0.0.1:$uport$path"
measure c-custos-check "$custos/v1/check$path" "$H1" "$H2"
echo "(b')/(a') platform upstream (node), auth vs no auth: $(ratio "$b2_nginx_auth_platform_rps" "$a2_nginx_noauth_platform_rps") (target >= 0.70)"
echo "(s')/(a') the same with a stand-in auth that does no work:  $(ratio "$s2_nginx_standin_platform_rps" "$a2_nginx_noauth_platform_rps") (the most any auth service reaches here)"
echo "(b')/(s') custos against that stand-in:                    $(ratio "$b2_nginx_auth_platform_rps" "$s2_nginx_standin_platform_rps")"
echo "(b)/(a)   static upstream (worst case), auth vs no auth: $(ratio "$b_nginx_auth_custos_rps" "$a_nginx_noauth_rps") (same target; the upstream costs next to nothing here)"
echo "(c)       /v1/check vs nginx return 200:                $(ratio "$c_custos_check_rps" "$c_nginx_return_200_rps") (target >= 0.80)"
