#!/usr/bin/env bash
# Server baseline: Cairn EAPPEND against Redis PING (no persistence) and Redis XADD
# (appendonly, appendfsync always), side by side in one run on this machine, with
# redis-benchmark for every system and `cairn bench` for Cairn. Prints a Markdown table of
# requests/s, p50 and p99, and the ratios the goals in docs/benchmarks.md are stated in.
#
#   bench/server_baseline.sh [build-dir] [seconds-per-run]
set -euo pipefail
build="${1:-build}"
secs="${2:-5}"
cairn="$build/cairn"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-baseline-XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

ping_port=$(free_port); xadd_port=$(free_port); resp_port=$(free_port); http_port=$(free_port)
redis-server --port "$ping_port" --save "" --appendonly no --dir "$work" --maxclients 20000 \
  --logfile "$work/redis-ping.log" & pids+=($!)
mkdir -p "$work/aof"
redis-server --port "$xadd_port" --save "" --appendonly yes --appendfsync always \
  --dir "$work/aof" --maxclients 20000 --logfile "$work/redis-aof.log" & pids+=($!)
"$cairn" serve --data-dir "$work/cairn" --resp-port "$resp_port" --http-port "$http_port" \
  --shard-key stream \
  2>"$work/cairn.log" & pids+=($!)
wait_port "$ping_port"; wait_port "$xadd_port"; wait_port "$resp_port"

# redis-benchmark, CSV: "test","rps","avg","min","p50","p95","p99","max"
rb() {  # port clients pipeline requests command...
  local port=$1 clients=$2 pipe=$3 n=$4; shift 4
  redis-benchmark -p "$port" -c "$clients" -P "$pipe" -n "$n" -r 100000 --csv "$@" 2>/dev/null |
    tail -1 | awk -F',' '{for (i = 1; i <= NF; i++) gsub(/"/, "", $i);
                          printf "%.0f %s %s\n", $(NF-6), $(NF-3), $(NF-1)}'
}
row() {  # label rps p50 p99
  printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"
}
echo "| workload | requests/s | p50 ms | p99 ms |"
echo "|---|---|---|---|"
declare -A rate
for c in 50 1000; do
  for p in 1 16; do
    # Request counts sized so each run lasts about $secs seconds on a 2-core machine.
    n_ping=$(( (p == 1 ? 60000 : 400000) * secs ))
    n_durable=$(( (p == 1 ? 25000 : 80000) * secs ))
    read -r r50 p50 p99 < <(rb "$ping_port" "$c" "$p" "$n_ping" PING)
    rate[ping_${c}_$p]=$r50; row "Redis PING c=$c P=$p" "$r50" "$p50" "$p99"
    read -r r50 p50 p99 < <(rb "$xadd_port" "$c" "$p" "$n_durable" XADD s:__rand_int__ '*' type Hello data '{"hello":"world"}')
    rate[xadd_${c}_$p]=$r50; row "Redis XADD always c=$c P=$p" "$r50" "$p50" "$p99"
    read -r r50 p50 p99 < <(rb "$resp_port" "$c" "$p" "$n_durable" EAPPEND bench/s/__rand_int__ ANY EVENT Hello '{"hello":"world"}')
    rate[cairn_${c}_$p]=$r50; row "Cairn EAPPEND ANY (redis-benchmark) c=$c P=$p" "$r50" "$p50" "$p99"
    for occ in "" "--occ"; do
      line=$("$cairn" bench --addr "127.0.0.1:$resp_port" --connections "$c" --pipeline "$p" \
               --duration "$secs" --warmup 1 --streams 100000 $occ --json 2>/dev/null || true)
      r=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%d %.3f %.3f" % (d["requests_per_s"], d["latency_us"]["p50"]/1000, d["latency_us"]["p99"]/1000))' "$line" 2>/dev/null || echo "- - -")
      read -r r50 p50 p99 <<<"$r"
      label=ANY; [ -n "$occ" ] && label=OCC
      row "Cairn EAPPEND $label (cairn bench) c=$c P=$p" "$r50" "$p50" "$p99"
    done
  done
done
echo
echo "| ratio (redis-benchmark, same run) | c=50 P=1 | c=50 P=16 | c=1000 P=1 | c=1000 P=16 |"
echo "|---|---|---|---|---|"
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b if b else 0))" "$1" "$2"; }
printf '| Cairn EAPPEND / Redis PING | %s | %s | %s | %s |\n' \
  "$(ratio "${rate[cairn_50_1]}" "${rate[ping_50_1]}")" "$(ratio "${rate[cairn_50_16]}" "${rate[ping_50_16]}")" \
  "$(ratio "${rate[cairn_1000_1]}" "${rate[ping_1000_1]}")" "$(ratio "${rate[cairn_1000_16]}" "${rate[ping_1000_16]}")"
printf '| Cairn EAPPEND / Redis XADD always | %s | %s | %s | %s |\n' \
  "$(ratio "${rate[cairn_50_1]}" "${rate[xadd_50_1]}")" "$(ratio "${rate[cairn_50_16]}" "${rate[xadd_50_16]}")" \
  "$(ratio "${rate[cairn_1000_1]}" "${rate[xadd_1000_1]}")" "$(ratio "${rate[cairn_1000_16]}" "${rate[xadd_1000_16]}")"
