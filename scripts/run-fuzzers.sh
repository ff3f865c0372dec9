#!/usr/bin/env bash
# Runs every libFuzzer target of a CAIRN_FUZZ build (the list CMake writes to
# <build>/fuzz/targets.tsv) for a fixed time each, over a copy of its seed corpus kept in the
# build directory so the committed corpus stays as it is. Prints one line per target and exits
# non-zero if any target crashed, failed an assertion, leaked, hung or did not start.
#
# Targets run side by side, one per core (each libFuzzer process uses one), so the whole run
# takes about ceil(targets / cores) x seconds; each target still gets its full time.
#
# Usage: scripts/run-fuzzers.sh [build-dir] [seconds-per-target] [parallel-targets]
set -uo pipefail

build=${1:-build-fuzz}
seconds=${2:-60}
jobs=${3:-$(nproc)}
list="$build/fuzz/targets.tsv"
if [[ ! -f $list ]]; then
  echo "run-fuzzers: $list not found (configure with -DCAIRN_FUZZ=ON, or run make fuzz)" >&2
  exit 2
fi

# Fuzzes one target; its result (one line, more on failure) goes to <work>/result.
fuzz_one() {
  local name=$1 binary=$2 seeds=$3
  local work="$build/fuzz/work/$name"
  local corpus="$work/corpus" artifacts="$work/artifacts/" log="$work/fuzz.log"
  mkdir -p "$corpus" "$artifacts"
  if [[ -n $seeds && -d $seeds ]]; then
    cp -r "$seeds"/. "$corpus"/
  fi
  if "$binary" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$artifacts" "$corpus" </dev/null >"$log" 2>&1; then
    local runs
    runs=$(grep -oE 'number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
    echo "fuzz $name: ok, ${runs:-?} runs in ${seconds}s, corpus $(ls "$corpus" | wc -l) inputs" \
      >"$work/result"
    return 0
  fi
  local artifact
  artifact=$(ls -t "$artifacts" 2>/dev/null | head -n 1)
  {
    echo "fuzz $name: FAILED, log $log${artifact:+, input $artifacts$artifact}"
    grep -m 4 -E 'ERROR|SUMMARY|assertion failed|runtime error' "$log" | sed 's/^/  /'
  } >"$work/result"
  return 1
}

names=()
running=0
while IFS=$'\t' read -r name binary seeds; do
  [[ -n $name ]] || continue
  if ((running >= jobs)); then
    wait -n
    running=$((running - 1))
  fi
  rm -f "$build/fuzz/work/$name/result"
  fuzz_one "$name" "$binary" "$seeds" &
  names+=("$name")
  running=$((running + 1))
done <"$list"

wait
# Results in the list's order, whatever order the targets finished in (a target's result file
# says whether it passed: exit statuses of jobs already reaped by `wait -n` are not kept).
failed=0
count=${#names[@]}
for name in "${names[@]}"; do
  result="$build/fuzz/work/$name/result"
  if [[ -f $result ]]; then
    cat "$result"
    grep -q "^fuzz $name: ok," "$result" || failed=1
  else
    failed=1
    echo "fuzz $name: FAILED, no result (the run did not finish)"
  fi
done

if [[ $count -eq 0 ]]; then
  echo "run-fuzzers: no fuzz targets registered in $list" >&2
  exit 2
fi
exit $failed
