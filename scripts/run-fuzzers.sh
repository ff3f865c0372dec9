#!/usr/bin/env bash
# Runs every libFuzzer target of a CAIRN_FUZZ build (the list CMake writes to
# <build>/fuzz/targets.tsv) for a fixed time each, over a copy of its seed corpus kept in the
# build directory so the committed corpus stays as it is. Prints one line per target and exits
# non-zero if any target crashed, failed an assertion, leaked, hung or did not start.
#
# Usage: scripts/run-fuzzers.sh [build-dir] [seconds-per-target]
set -uo pipefail

build=${1:-build-fuzz}
seconds=${2:-60}
list="$build/fuzz/targets.tsv"
if [[ ! -f $list ]]; then
  echo "run-fuzzers: $list not found (configure with -DCAIRN_FUZZ=ON, or run make fuzz)" >&2
  exit 2
fi

failed=0
count=0
while IFS=$'\t' read -r name binary seeds; do
  [[ -n $name ]] || continue
  count=$((count + 1))
  work="$build/fuzz/work/$name"
  corpus="$work/corpus"
  artifacts="$work/artifacts/"
  log="$work/fuzz.log"
  mkdir -p "$corpus" "$artifacts"
  if [[ -n $seeds && -d $seeds ]]; then
    cp -r "$seeds"/. "$corpus"/
  fi
  if "$binary" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$artifacts" "$corpus" </dev/null >"$log" 2>&1; then
    runs=$(grep -oE 'number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
    echo "fuzz $name: ok, ${runs:-?} runs in ${seconds}s, corpus $(ls "$corpus" | wc -l) inputs"
  else
    failed=1
    artifact=$(ls -t "$artifacts" 2>/dev/null | head -n 1)
    echo "fuzz $name: FAILED, log $log${artifact:+, input $artifacts$artifact}"
    grep -m 4 -E 'ERROR|SUMMARY|assertion failed|runtime error' "$log" | sed 's/^/  /'
  fi
done <"$list"

if [[ $count -eq 0 ]]; then
  echo "run-fuzzers: no fuzz targets registered in $list" >&2
  exit 2
fi
exit $failed
