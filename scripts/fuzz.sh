#!/usr/bin/env bash
# make fuzz SECONDS=N [FUZZ=name]: build the libFuzzer harnesses and run each
# (or only FUZZ) for N seconds. New interesting inputs are kept in
# build/fuzz-corpus/NAME (not in the repo); crashes are saved next to them
# and make the run fail.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-300}
scripts/deps.sh test
build=build/fuzz
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCUSTOS_SANITIZE=ON -DCUSTOS_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
status=0
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  short=${name#fuzz_}
  [ -z "${FUZZ:-}" ] || [ "$FUZZ" = "$short" ] || [ "$FUZZ" = "$name" ] || continue
  corpus=$build/fuzz-corpus/$short
  mkdir -p "$corpus"
  echo "== $name for ${secs}s (corpus $corpus)"
  if ! "$build/tests/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -jobs=1 -artifact_prefix="$corpus/" -print_final_stats=1 \
      "$corpus" "tests/fuzz/corpus/$short" 2>"$corpus.log"; then
    echo "!! $name found a problem; see $corpus.log and $corpus/crash-*" >&2
    tail -30 "$corpus.log" >&2
    status=1
  else
    grep -E 'stat::number_of_executed_units' "$corpus.log" || true
  fi
done
exit $status
