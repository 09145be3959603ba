#!/usr/bin/env bash
# Installs the Debian packages custos needs, idempotently: `apt-get update`
# runs only when something is missing. Usage: scripts/deps.sh run|test|bench
set -euo pipefail
want=(build-essential cmake pkg-config libjansson-dev
      libsqlite3-dev libpq-dev libssl-dev libcurl4-openssl-dev libyaml-dev
      curl jq)
case "${1:-run}" in
  run) ;;
  test) want+=(clang clang-tidy libclang-rt-14-dev libcmocka-dev postgresql-15 nginx-light caddy
               nodejs npm curl iproute2) ;;
  bench) want+=(clang libclang-rt-14-dev wrk nginx-light curl libjwt-dev nodejs npm valgrind) ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
  # nodejs/npm may come from outside Debian's packages on some images
  case "$p" in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
