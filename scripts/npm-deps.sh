#!/usr/bin/env bash
# The npm packages the integration tests import (tests/package-lock.json),
# installed into tests/node_modules when missing or older than the lock
# file. Run by `make test` and, as a ctest fixture, before any integration
# test, so a bare `ctest` in a fresh checkout works too.
set -euo pipefail
cd "$(dirname "$0")/../tests"
[ -f package.json ] || exit 0
if [ -f package-lock.json ]; then
  # npm ci writes node_modules/.package-lock.json: newer than the lock = current.
  [ node_modules/.package-lock.json -nt package-lock.json ] && exit 0
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
else
  npm install --no-audit --no-fund --loglevel=error >/dev/null
fi
