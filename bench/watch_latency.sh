#!/usr/bin/env bash
# Live watch delivery: starts `cairn serve` on a fresh data directory and runs
# build/bench/watch_bench with 0, 1 and 100 watchers, first with 4 writers (latency at a light
# load), then with 50 writers (what watchers cost a busy server). The 100-watcher runs are made
# twice: every watcher decoding its frames in the benchmark process (which then needs most of
# the machine's two cores), and 1 decoding + 99 only draining their sockets (the server's own
# cost of fanning out). Prints one JSON line per run; figures go to docs/benchmarks.md.
# Usage: bench/watch_latency.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
build=${1:-build}
seconds=${2:-5}
dir=$(mktemp -d)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
resp=$(port)
http=$(port)
"$build/cairn" serve --data-dir "$dir/data" --resp-port "$resp" --http-port "$http" \
  > "$dir/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$http/ready" > /dev/null && break
  sleep 0.1
done
echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for writers in 4 50; do
  for run in 0:0 1:1 100:100 100:1; do
    watchers=${run%%:*}
    decoders=${run##*:}
    "$build/bench/watch_bench" "127.0.0.1:$resp" --watchers "$watchers" --decoders "$decoders" \
      --writers "$writers" --seconds "$seconds" --org "w${writers}x${watchers}d${decoders}"
  done
done
curl -s "http://127.0.0.1:$http/metrics" | grep -E '^cairn_watch'
