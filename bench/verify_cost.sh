#!/usr/bin/env bash
# What online verification costs appends: `cairn bench` appends alone, then with
# `cairn verify --addr` looping over the whole log in another process, alternating, in one
# run against one server. Prints each phase's events/s and p99, and the ratio with/without.
#
#   [VERIFY_RATE=32MiB] bench/verify_cost.sh [build-dir] [seconds-per-phase] [rounds] [fill-seconds]
# VERIFY_RATE sets the server's verify_rate (default: the server's default; 0: no limit).
set -euo pipefail
build="${1:-build}"
secs="${2:-10}"
rounds="${3:-2}"
fill="${4:-20}"
cairn="$build/cairn"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-verify-cost-XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
resp_port=$(free_port); http_port=$(free_port)
"$cairn" serve --data-dir "$work/data" --resp-port "$resp_port" --http-port "$http_port" \
  --segment-size 64MiB ${VERIFY_RATE:+--verify-rate "$VERIFY_RATE"} 2>"$work/cairn.log" & pids+=($!)
addr="127.0.0.1:$resp_port"
for _ in $(seq 100); do "$cairn" ping --addr "$addr" >/dev/null 2>&1 && break; sleep 0.1; done

bench() {  # prints "events/s p99"
  "$cairn" bench --addr "$addr" --connections 50 --duration "$1" --payload 200 --json \
    2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin);
print("%.0f %.0f" % (d["events_per_s"], d["latency_us"]["p99"]))'
}

# A log worth verifying: a few hundred MB, so a full pass takes seconds.
bench "$fill" >/dev/null
t0=$(date +%s.%N)
"$cairn" verify --addr "$addr" >"$work/verify-once.txt"
t1=$(date +%s.%N)
echo "log: $(du -sh "$work/data" | cut -f1), one full online verify alone: $(echo "$t1 - $t0" | bc) s"
cat "$work/verify-once.txt"

echo "| round | appends alone (events/s, p99 us) | with verify looping (events/s, p99 us) | ratio |"
echo "|---|---|---|---|"
for r in $(seq "$rounds"); do
  read -r alone alone_p99 < <(bench "$secs")
  ( while :; do "$cairn" verify --addr "$addr" >>"$work/verify-loop.txt" 2>&1 || true; done ) &
  loop=$!
  read -r with with_p99 < <(bench "$secs")
  kill "$loop" 2>/dev/null || true
  wait "$loop" 2>/dev/null || true
  ratio=$(python3 -c "print('%.2f' % ($with / $alone))")
  echo "| $r | $alone ($alone_p99) | $with ($with_p99) | $ratio |"
done
echo "verifications completed during the loaded phases: $(grep -c 'checked=' "$work/verify-loop.txt" || true) shard passes"
