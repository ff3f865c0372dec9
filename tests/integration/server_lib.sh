# Shared by the shell integration tests: start `cairn serve` on ephemeral ports in a temp
# directory, stop it, and report failures with the server's log. Source it, then call
# start_server [serve flags...]; RESP_PORT and HTTP_PORT are set.

set -euo pipefail

CAIRN=${1:?usage: $0 <path to the cairn binary>}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-shell-test-XXXXXX")
SERVER_PID=""
RESP_PORT=""
HTTP_PORT=""

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -z "${CAIRN_KEEP_TEST_DIRS:-}" ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [[ -f "$WORK/server.log" ]]; then
    echo "--- server log (last 20 lines) ---" >&2
    tail -n 20 "$WORK/server.log" >&2
  fi
  exit 1
}

# expect_match NAME REGEX TEXT: TEXT must contain a line matching the extended REGEX.
expect_match() {
  grep -qE -- "$2" <<<"$3" || fail "$1: expected /$2/ in output:
$3"
}

expect_no_match() {
  if grep -qE -- "$2" <<<"$3"; then
    fail "$1: did not expect /$2/ in output:
$3"
  fi
}

# The value on the line after KEY in redis-cli's RESP2 output of a map (a flat list).
field_after() {
  grep -A1 -x -- "$1" <<<"$2" | sed -n 2p
}

start_server() {
  "$CAIRN" serve --data-dir "$WORK/data" --resp-port 0 --http-port 0 --bind 127.0.0.1 "$@" \
    2>"$WORK/server.log" &
  SERVER_PID=$!
  local line=""
  for _ in $(seq 1 3000); do
    line=$(grep -m1 -o 'serving: resp [^ ]*:[0-9]* http [^ ]*:[0-9]*' "$WORK/server.log" || true)
    [[ -n "$line" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited during startup"
    sleep 0.01
  done
  [[ -n "$line" ]] || fail "no startup line from the server"
  RESP_PORT=$(sed -E 's/.*resp [^ ]*:([0-9]+) .*/\1/' <<<"$line")
  HTTP_PORT=$(sed -E 's/.*http [^ ]*:([0-9]+)$/\1/' <<<"$line")
  for _ in $(seq 1 500); do
    [[ "$(redis-cli -p "$RESP_PORT" PING 2>/dev/null)" == "PONG" ]] && return 0
    sleep 0.02
  done
  fail "the server does not answer PING on port $RESP_PORT"
}

# SIGTERM, then the exit status must be 0.
stop_server() {
  kill -TERM "$SERVER_PID"
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  [[ $rc -eq 0 ]] || fail "the server exited with status $rc after SIGTERM"
  grep -q "stopped cleanly" "$WORK/server.log" || fail "no 'stopped cleanly' in the log"
}
