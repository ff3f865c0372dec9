#!/usr/bin/env bash
# What per-event encryption costs appends: two servers side by side, one plain and one that
# encrypts the benchmark's org (AES-256-GCM, per-org key), `cairn bench` against each in
# turn, alternating, in one run. Prints each round's events/s and p99, and the ratio
# encrypted/plain. Payloads default to 200 bytes; PIPELINE=32 measures the batched path.
#
#   [PIPELINE=1] bench/encryption_cost.sh [build-dir] [seconds-per-run] [rounds]
set -euo pipefail
build="${1:-build}"
secs="${2:-10}"
rounds="${3:-3}"
pipeline="${PIPELINE:-1}"
cairn="$build/cairn"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-encryption-cost-XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
head -c 32 /dev/urandom >"$work/master.key"
chmod 600 "$work/master.key"
plain=$(free_port); enc=$(free_port)
"$cairn" serve --data-dir "$work/plain" --resp-port "$plain" --http-port 0 \
  2>"$work/plain.log" & pids+=($!)
"$cairn" serve --data-dir "$work/enc" --resp-port "$enc" --http-port 0 \
  --encryption-key-file "$work/master.key" --encrypted-orgs bench \
  2>"$work/enc.log" & pids+=($!)
for port in "$plain" "$enc"; do
  for _ in $(seq 100); do "$cairn" ping --addr "127.0.0.1:$port" >/dev/null 2>&1 && break; sleep 0.1; done
done

bench() {  # port -> "events/s p99"
  "$cairn" bench --addr "127.0.0.1:$1" --connections 50 --duration "$secs" --payload 200 \
    --pipeline "$pipeline" --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin);
print("%.0f %.0f" % (d["events_per_s"], d["latency_us"]["p99"]))'
}

echo "| round | plain (events/s, p99 us) | encrypted (events/s, p99 us) | ratio |"
echo "|---|---|---|---|"
for r in $(seq "$rounds"); do
  # Alternate which server goes first, so a drift of the machine's load favours neither.
  if ((r % 2)); then
    read -r p p99 < <(bench "$plain")
    read -r e e99 < <(bench "$enc")
  else
    read -r e e99 < <(bench "$enc")
    read -r p p99 < <(bench "$plain")
  fi
  echo "| $r | $p ($p99) | $e ($e99) | $(python3 -c "print('%.2f' % ($e / $p))") |"
done
# The encrypted server really encrypted: its first event reads back as JSON, and its log
# holds no plaintext payload.
"$cairn" read bench/s/0 --addr "127.0.0.1:$enc" --count 1 | head -c 200; echo
marker='{"p":"xxxxxxxxxxxxxxxx'  # the start of every 200-byte bench payload
grep -rlqF "$marker" "$work/plain"/shard-*/log && echo "plain log: holds the payload" || echo "plain log: payload NOT found"
grep -rlqF "$marker" "$work/enc"/shard-*/log && echo "PLAINTEXT FOUND in the encrypted log" || echo "encrypted log: no plaintext payload"
