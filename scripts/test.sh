#!/usr/bin/env bash
# make test: install test deps, build with ASan+UBSan (clang, libFuzzer
# harnesses included), start PostgreSQL 15 on a free loopback port in a temp
# dir, run every test through ctest, and stop PostgreSQL even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
scripts/deps.sh test

scripts/npm-deps.sh

# The release build `make run` uses (gcc): its warnings differ from clang's,
# and -Werror makes any of them a failure here rather than for a new user.
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCUSTOS_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc)"

build=${TESTDIR:-build/test}
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug \
  -DCUSTOS_SANITIZE=ON -DCUSTOS_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)"

tmp=$(mktemp -d /tmp/custos-test.XXXXXX)
source scripts/pg.sh
cleanup() { pg_stop; rm -rf "$tmp"; }
trap cleanup EXIT
pg_start "$tmp/pg"
export CUSTOS_TEST_PG_URL="$PG_URL"
export CUSTOS_REQUIRE_PG=1
export CUSTOS_TEST_TMP="$tmp"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

ctest --test-dir "$build" --output-on-failure -j "$(nproc)" ${CTEST_ARGS:-}
