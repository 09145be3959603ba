#!/usr/bin/env bash
# make lint: clang-tidy (.clang-tidy) over every C source, using the test
# build's compile_commands.json. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${TESTDIR:-build/test}
command -v clang-tidy >/dev/null || { echo "lint: clang-tidy not found (scripts/deps.sh test installs it)" >&2; exit 1; }
[ -f "$build/compile_commands.json" ] || {
  CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCUSTOS_SANITIZE=ON -DCUSTOS_FUZZ=ON >/dev/null
}
find src -name '*.c' -print0 | xargs -0 -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null
