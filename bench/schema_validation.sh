#!/usr/bin/env bash
# Cost of schema validation: `cairn bench` appends the same JSON events to two orgs of one
# `cairn serve`, one without schemas (events are not validated) and one where `--schema`
# registered a schema for the event type (every event is validated), alternating so that both
# see the same machine. Prints a Markdown table of events/s and the ratio per workload.
#
#   bench/schema_validation.sh [build-dir] [seconds-per-run] [rounds]
set -euo pipefail
build="${1:-build}"
secs="${2:-5}"
rounds="${3:-2}"
cairn="$build/cairn"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-schema-bench-XXXXXX")"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
resp_port=$(free_port); http_port=$(free_port)
"$cairn" serve --data-dir "$work/cairn" --resp-port "$resp_port" --http-port "$http_port" \
  --shard-key stream 2>"$work/cairn.log" & pid=$!
for _ in $(seq 100); do "$cairn" ping --addr "127.0.0.1:$resp_port" >/dev/null 2>&1 && break; sleep 0.1; done

run() {  # org extra-args... -> events/s
  local org=$1; shift
  local line
  line=$("$cairn" bench --addr "127.0.0.1:$resp_port" --org "$org" --duration "$secs" \
           --warmup 1 --streams 10000 --json "$@" 2>/dev/null || true)
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); e=sum(d["errors"].values());
print("%d" % d["events_per_s"] if e == 0 else "errors:%s" % d["errors"])' "$line" 2>/dev/null || echo "-"
}
echo "| workload | not validated, events/s | validated, events/s | validated / not |"
echo "|---|---|---|---|"
workloads=(
  "1 event of 20 B per append, c=50 P=16|--connections 50 --pipeline 16"
  "100 events of 20 B per append, c=50 P=1|--connections 50 --events 100"
  "100 events of 1 KiB per append, c=50 P=1|--connections 50 --events 100 --payload 1024"
)
for w in "${workloads[@]}"; do
  label="${w%%|*}"; args="${w#*|}"
  plain=(); valid=()
  for r in $(seq "$rounds"); do
    # shellcheck disable=SC2086
    plain+=("$(run "plain$r" $args)")
    # shellcheck disable=SC2086
    valid+=("$(run "valid$r" $args --schema)")
  done
  python3 - "$label" "${plain[*]}" "${valid[*]}" <<'PY'
import sys
label, plain, valid = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
try:
    p = [int(x) for x in plain]; v = [int(x) for x in valid]
    mp, mv = sum(p) / len(p), sum(v) / len(v)
    print("| %s | %s (mean %.0f) | %s (mean %.0f) | %.2f |" % (label, " ".join(plain), mp, " ".join(valid), mv, mv / mp))
except ValueError:
    print("| %s | %s | %s | - |" % (label, " ".join(plain), " ".join(valid)))
PY
done
