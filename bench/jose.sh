#!/usr/bin/env bash
# bench/jose.sh [BUILD_DIR] — JWS verify throughput per algorithm: custos
# (libcustos public API) against a bare OpenSSL verify of the same signature,
# Debian's libjwt and npm `jose`, on the same tokens in the same run. Tokens
# and keys come from npm jose (bench/jose_tokens.mjs). Prints a table with
# ops/s and the ratios. Targets: HS256 <= 2 us/token; RS256/ES256/EdDSA
# within 1.2x of bare OpenSSL; faster than libjwt and jose for every alg.
#   SECONDS_PER_CASE=1 bench/jose.sh build/release
# Each side runs single-threaded, pinned to core 1 when taskset exists.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
secs=${SECONDS_PER_CASE:-1}
bin="$build/bench/bench_jose"
[ -x "$bin" ] || { echo "missing $bin: build first (make build)" >&2; exit 1; }
export JOSE_NODE_MODULES="$PWD/tests/node_modules"
[ -d "$JOSE_NODE_MODULES/jose" ] || (cd tests && npm ci --silent)
pin=(); command -v taskset >/dev/null && pin=(taskset -c 1)

tmp=$(mktemp -d /tmp/custos-jose-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
node bench/jose_tokens.mjs "$tmp/tokens.json"
"${pin[@]}" "$bin" "$tmp/tokens.json" "$secs" >"$tmp/c.tsv"
"${pin[@]}" node bench/jose_node.mjs "$tmp/tokens.json" "$secs" >"$tmp/n.tsv"

cat "$tmp/c.tsv" "$tmp/n.tsv" | awk -F'\t' '
  { v[$1 "," $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
  function num(x) { return (x ~ /^[0-9.]+$/) ? x + 0 : 0 }
  function ratio(a, b) { return (num(a) && num(b)) ? sprintf("%.2fx", a / b) : "n/a" }
  function fmt(x) { return num(x) ? sprintf("%d", x) : x }
  BEGIN {
    printf "%-6s %10s %9s %10s %10s %10s %12s %12s %12s\n", "alg", "custos/s", "us/token",
      "openssl/s", "libjwt/s", "jose/s", "openssl/cus", "cus/libjwt", "cus/jose"
  }
  END {
    for (i = 0; i < n; i++) {
      a = order[i]; c = v[a ",custos"]; o = v[a ",openssl"]; l = v[a ",libjwt"]; j = v[a ",jose"]
      printf "%-6s %10s %9s %10s %10s %10s %12s %12s %12s\n", a, fmt(c),
        num(c) ? sprintf("%.2f", 1e6 / c) : "n/a", fmt(o), fmt(l), fmt(j),
        ratio(o, c), ratio(c, l), ratio(c, j)
    }
    print ""
    print "openssl/cus: bare OpenSSL ops/s over custos ops/s (<= 1.2 is the RS/ES/EdDSA target)."
    print "cus/libjwt, cus/jose: custos ops/s over theirs (> 1 means custos is faster)."
  }'
