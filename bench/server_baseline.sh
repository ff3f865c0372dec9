#!/usr/bin/env bash
# Server baseline: Cairn EAPPEND against Redis PING (no persistence) and Redis XADD
# (appendonly, appendfsync always), side by side in one run on this machine, with
# redis-benchmark for every system and `cairn bench` for Cairn. Prints a Markdown table of
# requests/s, p50, p99 and the CPU each request cost the server and the client, the ratios the
# goals in docs/benchmarks.md are stated in, and what those goals leave the server per request
# when client and server share this machine's cores.
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
declare -A server_pid
redis-server --port "$ping_port" --save "" --appendonly no --dir "$work" --maxclients 20000 \
  --logfile "$work/redis-ping.log" & pids+=($!); server_pid[$ping_port]=$!
mkdir -p "$work/aof"
redis-server --port "$xadd_port" --save "" --appendonly yes --appendfsync always \
  --dir "$work/aof" --maxclients 20000 --logfile "$work/redis-aof.log" & pids+=($!)
server_pid[$xadd_port]=$!
"$cairn" serve --data-dir "$work/cairn" --resp-port "$resp_port" --http-port "$http_port" \
  --shard-key stream \
  2>"$work/cairn.log" & pids+=($!); server_pid[$resp_port]=$!
wait_port "$ping_port"; wait_port "$xadd_port"; wait_port "$resp_port"

# CPU per request: the server's from /proc (user + system, every thread) around the run, the
# client's from the shell's `times` for the child it waited for. On loopback the kernel work of
# a send is charged to the sender and part of the receive to whoever runs at the time, so the
# split between the two columns is approximate; their sum is not.
tick_us=$(( 1000000 / $(getconf CLK_TCK) ))
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
timed() {  # port requests output-file command... -> "server_us client_us" per request
  local spid=${server_pid[$1]} n=$2 out=$3; shift 3
  local t0 t1 child
  t0=$(ticks "$spid")
  child=$( { "$@" >"$out" 2>/dev/null || true; times; } | tail -1)
  t1=$(ticks "$spid")
  python3 -c 'import re,sys
t0, t1, n, tick = (int(x) for x in sys.argv[1:5])
cpu = sum(int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", sys.argv[5]))
print("%.1f %.1f" % ((t1 - t0) * tick / max(n, 1), cpu * 1e6 / max(n, 1)))' \
    "$t0" "$t1" "$n" "$tick_us" "$child"
}

# redis-benchmark, CSV: "test","rps","avg","min","p50","p95","p99","max"
rb() {  # port clients pipeline requests command... -> rps p50 p99 server_us client_us
  local port=$1 clients=$2 pipe=$3 n=$4; shift 4
  local cpu
  cpu=$(timed "$port" "$n" "$work/rb.csv" \
    redis-benchmark -p "$port" -c "$clients" -P "$pipe" -n "$n" -r 100000 --csv "$@")
  tail -1 "$work/rb.csv" | awk -F',' -v cpu="$cpu" '{for (i = 1; i <= NF; i++) gsub(/"/, "", $i);
                          printf "%.0f %s %s %s\n", $(NF-6), $(NF-3), $(NF-1), cpu}'
}
row() {  # label rps p50 p99 server_us client_us
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5" "$6"
}
echo "| workload | requests/s | p50 ms | p99 ms | server CPU µs/request | client CPU µs/request |"
echo "|---|---|---|---|---|---|"
declare -A rate cpu_server cpu_client
for c in 50 1000; do
  for p in 1 16; do
    # Request counts sized so each run lasts about $secs seconds on a 2-core machine.
    n_ping=$(( (p == 1 ? 60000 : 400000) * secs ))
    n_durable=$(( (p == 1 ? 25000 : 80000) * secs ))
    read -r r50 p50 p99 su cu < <(rb "$ping_port" "$c" "$p" "$n_ping" PING)
    rate[ping_${c}_$p]=$r50; cpu_server[ping_${c}_$p]=$su
    row "Redis PING c=$c P=$p" "$r50" "$p50" "$p99" "$su" "$cu"
    read -r r50 p50 p99 su cu < <(rb "$xadd_port" "$c" "$p" "$n_durable" XADD s:__rand_int__ '*' type Hello data '{"hello":"world"}')
    rate[xadd_${c}_$p]=$r50; cpu_server[xadd_${c}_$p]=$su
    row "Redis XADD always c=$c P=$p" "$r50" "$p50" "$p99" "$su" "$cu"
    read -r r50 p50 p99 su cu < <(rb "$resp_port" "$c" "$p" "$n_durable" EAPPEND bench/s/__rand_int__ ANY EVENT Hello '{"hello":"world"}')
    rate[cairn_${c}_$p]=$r50; cpu_server[cairn_${c}_$p]=$su; cpu_client[cairn_${c}_$p]=$cu
    row "Cairn EAPPEND ANY (redis-benchmark) c=$c P=$p" "$r50" "$p50" "$p99" "$su" "$cu"
    for occ in "" "--occ"; do
      # cairn bench runs for a duration: `timed` divides by 1 and the CPU is divided here by
      # the requests of the whole run (the measured ones, and the warm-up second's estimated
      # at the measured rate).
      cpu=$(timed "$resp_port" 1 "$work/cb.json" "$cairn" bench --addr "127.0.0.1:$resp_port" \
              --connections "$c" --pipeline "$p" --duration "$secs" --warmup 1 --streams 100000 \
              $occ --json)
      r=$(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); s,c=(float(x) for x in sys.argv[2].split())
n=d["requests"]*(d["duration_s"]+1)/d["duration_s"] or 1  # the 1 s warm-up at the same rate
print("%d %.3f %.3f %.1f %.1f" % (d["requests_per_s"], d["latency_us"]["p50"]/1000, d["latency_us"]["p99"]/1000, s/n, c/n))' \
          "$work/cb.json" "$cpu" 2>/dev/null || echo "- - - - -")
      read -r r50 p50 p99 su cu <<<"$r"
      label=ANY; [ -n "$occ" ] && label=OCC
      row "Cairn EAPPEND $label (cairn bench) c=$c P=$p" "$r50" "$p50" "$p99" "$su" "$cu"
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
echo
# What a throughput goal leaves the server: at rate R with every core busy, client and server
# together may spend cores / R per request; Cairn's client (redis-benchmark) takes its share.
cores=$(nproc)
echo "| goal (P=1) | rate it needs | CPU per request, $cores cores all busy | left for Cairn's server | Cairn's server now | the peer's server |"
echo "|---|---|---|---|---|---|"
budget() {  # label factor peer-key cairn-key
  python3 -c 'import sys
label, f, rate, cores, client, now, peer = sys.argv[1], *(float(x) if x not in ("", "-") else 0.0 for x in sys.argv[2:])
need = f * rate
total = cores * 1e6 / need if need else 0
print("| %s | %.0f/s | %.1f µs | %.1f µs | %.1f µs | %.1f µs |" % (label, need, total, total - client, now, peer))' \
    "$1" "$2" "${rate[$3]}" "$cores" "${cpu_client[$4]}" "${cpu_server[$4]}" "${cpu_server[$3]}"
}
budget "Cairn ≥ 1.2× Redis PING at 1,000 connections" 1.2 ping_1000_1 cairn_1000_1
budget "Cairn ≥ 1.5× Redis XADD always at 50 connections" 1.5 xadd_50_1 cairn_50_1
