#!/usr/bin/env bash
# What one single-event append costs the server, counted rather than timed: system calls (by
# kind), context switches (by thread), heap allocations, and CPU, per request, under
# redis-benchmark at 50 and 1,000 connections against `cairn serve`. Counts come from the
# kernel's syscall tracepoints and software counters (`perf stat -p`) and from jemalloc's own
# statistics (printed at exit), so they do not depend on how noisy the machine is; the CPU
# figure does. Prints a Markdown table.
#
#   bench/request_costs.sh [build-dir] [requests]
set -euo pipefail
build="${1:-build}"
n="${2:-100000}"
cairn="$build/cairn"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-costs-XXXXXX")"
spid=""
cleanup() {
  [ -n "$spid" ] && kill "$spid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v perf >/dev/null || { echo "request_costs: needs perf (Debian linux-perf)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
append() {  # port clients requests
  redis-benchmark -p "$1" -c "$2" -n "$3" -r 100000 -q \
    EAPPEND bench/s/__rand_int__ ANY EVENT Hello '{"hello":"world"}' >/dev/null 2>&1
}
switches() {  # pid -> "thread-name count" per thread (voluntary + involuntary switches so far)
  for f in /proc/$1/task/*; do
    echo "$(cat "$f/comm") $(awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s}' "$f/status")"
  done
}
# Starts a server with jemalloc statistics at exit, warms it up, runs `requests` appends (under
# perf stat when asked), stops it and prints its allocation count (jemalloc "nrequests", every
# malloc/new including those served from the thread cache).
serve_and_count() {  # tag clients requests with-perf
  local tag=$1 c=$2 reqs=$3 perf=$4 port http
  port=$(free_port); http=$(free_port)
  MALLOC_CONF=stats_print:true,stats_print_opts:gdablxeh "$cairn" serve \
    --data-dir "$work/$tag" --resp-port "$port" --http-port "$http" --shard-key stream \
    2>"$work/$tag.log" &
  spid=$!
  wait_port "$port"
  append "$port" "$c" 20000
  if [ "$perf" = 1 ]; then
    local t0 t1
    t0=$(awk '{print $14 + $15}' "/proc/$spid/stat")
    switches "$spid" >"$work/$tag.cs0"
    perf stat -x, -o "$work/$tag.perf" -p "$spid" \
      -e raw_syscalls:sys_enter,syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_write \
      -e syscalls:sys_enter_read,syscalls:sys_enter_futex,syscalls:sys_enter_pwrite64 \
      -e syscalls:sys_enter_fdatasync,context-switches,cpu-migrations &
    local ppid=$!
    sleep 0.3
    append "$port" "$c" "$reqs"
    kill -INT "$ppid"; wait "$ppid" || true
    t1=$(awk '{print $14 + $15}' "/proc/$spid/stat")
    switches "$spid" >"$work/$tag.cs1"
    echo $(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) )) >"$work/$tag.cpu"
  elif [ "$reqs" -gt 0 ]; then
    append "$port" "$c" "$reqs"
  fi
  kill -TERM "$spid"; wait "$spid" || true; spid=""
  awk '/^Merged arenas stats/ {m = 1} m && /^total:/ {print $7; exit}' "$work/$tag.log"
}

echo "| per request | c=50 | c=1000 |"
echo "|---|---|---|"
declare -A v
for c in 50 1000; do
  base=$(serve_and_count "b$c" "$c" 0 0)
  allocs=$(serve_and_count "m$c" "$c" "$n" 1)
  v[alloc_$c]=$(python3 -c "print('%.1f' % (($allocs - $base) / $n))")
  v[cpu_$c]=$(python3 -c "print('%.1f µs' % ($(cat "$work/m$c.cpu") / $n))")
  while IFS=, read -r count _ event _; do
    case "$count" in ''|'#'*|'<not'*) continue ;; esac
    v[${event}_$c]=$(python3 -c "print('%.2f' % ($count / $n))")
  done <"$work/m$c.perf"
  v[threads_$c]=$(python3 - "$work/m$c.cs0" "$work/m$c.cs1" "$n" <<'PY'
import re, sys
def load(p):
    d = {}
    for line in open(p):
        name, count = line.rsplit(" ", 1)
        name = re.sub(r"-\d+$", "-N", name)  # cairn-shard-0, -1 -> cairn-shard-N
        d[name] = d.get(name, 0) + int(count)
    return d
a, b, n = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
parts = ["%s %.2f" % (k, (b[k] - a.get(k, 0)) / n) for k in sorted(b) if b[k] - a.get(k, 0) >= n / 200]
print(", ".join(parts))
PY
)
done
row() { printf '| %s | %s | %s |\n' "$1" "${v[${2}_50]:--}" "${v[${2}_1000]:--}"; }
row "server CPU (user + system)" cpu
row "system calls, all" raw_syscalls:sys_enter
row "io_uring_enter" syscalls:sys_enter_io_uring_enter
row "write (eventfd wake-ups)" syscalls:sys_enter_write
row "read" syscalls:sys_enter_read
row "futex" syscalls:sys_enter_futex
row "pwrite64 (log writes outside io_uring)" syscalls:sys_enter_pwrite64
row "fdatasync (outside io_uring)" syscalls:sys_enter_fdatasync
row "context switches" context-switches
row "context switches by thread" threads
row "CPU migrations" cpu-migrations
row "heap allocations (jemalloc)" alloc
