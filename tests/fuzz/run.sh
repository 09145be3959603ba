#!/usr/bin/env bash
# run.sh HARNESS SEED_DIR [SECONDS]: fuzz for SECONDS (default 20) from the
# checked-in seeds, writing new inputs to a temp dir so the repo stays clean.
set -euo pipefail
bin=$1 seeds=$2 secs=${3:-20}
[ -n "$secs" ] || secs=20
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
[ -d "$seeds" ] && cp -r "$seeds"/. "$work/corpus/" 2>/dev/null || true
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" 2>"$work/log" || {
  tail -50 "$work/log"
  for f in "$work"/artifacts/*; do [ -f "$f" ] && { echo "crash input ($f):"; od -c "$f" | head -20; }; done
  exit 1
}
grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$work/log" || true
