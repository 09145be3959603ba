#!/usr/bin/env bash
# make run: prepare ./var (SQLite store, dev master key, both 0600 inside a
# 0700 directory), create the demo account and app once, print how to try
# it, then serve on 127.0.0.1:8080 in the foreground (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/custos}
listen=${CUSTOS_LISTEN:-127.0.0.1:8080}
mkdir -p var
chmod 700 var
export CUSTOS_STORE_URL=${CUSTOS_STORE_URL:-sqlite:./var/custos.db}
"$bin" migrate >/dev/null
echo "----------------------------------------------------------------------"
demo=$("$bin" demo)
echo "$demo"
key=$(printf '%s\n' "$demo" | awk '/^demo API key:/ {print $4}')
echo "try:          curl -s -H 'api-key: $key' http://$listen/v1/whoami"
echo "              curl -s http://$listen/healthz"
echo "              curl -s http://$listen/metrics"
echo "admin API:    build/release/custos admin init   (prints an admin token once; see docs/admin-api.md)"
echo "----------------------------------------------------------------------"
exec "$bin" serve --listen "$listen"
