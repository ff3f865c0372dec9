#!/usr/bin/env bash
# redis-cli and redis-benchmark against a real `cairn serve`: a short session in RESP2 (the
# default) and RESP3 (-3), commands piped on stdin and through --pipe, and two benchmarks.
# Usage: redis_cli_test.sh <path to the cairn binary>

source "$(dirname "$0")/server_lib.sh"

start_server --shards 2
cli() { timeout 30 redis-cli -p "$RESP_PORT" "$@"; }

# --- RESP2 ---
expect_match "PING" '^PONG$' "$(cli PING)"
expect_match "PING msg" '^hi there$' "$(cli PING 'hi there')"
out=$(cli EAPPEND cli/acct/1 NONE EVENT Opened '{"owner":"ann"}' META m1)
[[ "$(field_after first_version "$out")" == 1 ]] || fail "EAPPEND first_version: $out"
[[ "$(field_after duplicate "$out")" == 0 ]] || fail "RESP2 duplicate is 0: $out"
out=$(cli EAPPEND cli/acct/1 EXISTS IDEMPOTENCY k1 EVENT Deposited 10 EVENT Deposited 20)
[[ "$(field_after last_version "$out")" == 3 ]] || fail "EAPPEND last_version: $out"
again=$(cli EAPPEND cli/acct/1 EXISTS IDEMPOTENCY k1 EVENT Deposited 10 EVENT Deposited 20)
[[ "$(field_after duplicate "$again")" == 1 ]] || fail "idempotent retry: $again"
[[ "$(field_after timestamp "$again")" == "$(field_after timestamp "$out")" ]] ||
  fail "the retry's timestamp differs"
out=$(cli EREAD cli/acct/1)
expect_match "EREAD data" '^\{"owner":"ann"\}$' "$out"
expect_match "EREAD metadata" '^m1$' "$out"
[[ "$(field_after version "$(cli EREAD cli/acct/1 FROM 3)")" == 3 ]] || fail "EREAD FROM 3"
out=$(cli EINFO cli/acct/1)
[[ "$(field_after deleted "$out")" == false ]] || fail "EINFO deleted: $out"
[[ "$(field_after version "$out")" == 3 ]] || fail "EINFO version: $out"
cli EAPPEND cli/user/9 ANY EVENT Joined x >/dev/null
expect_match "ESTREAMS" '^cli/acct/1$' "$(cli ESTREAMS cli)"
expect_match "ESTREAMS type" '^cli/user/9$' "$(cli ESTREAMS cli/user)"
expect_no_match "ESTREAMS type" '^cli/acct/1$' "$(cli ESTREAMS cli/user)"
expect_match "ETYPES" '^user$' "$(cli ETYPES cli)"
expect_match "EORGS" '^cli$' "$(cli EORGS)"
expect_match "CONFLICT" '^CONFLICT .*cli/acct/1.*9.*3' "$(cli EAPPEND cli/acct/1 9 EVENT A x)"
expect_match "unknown command" '^ERR unknown command' "$(cli NOSUCH)"
expect_match "INVALID" '^INVALID ' "$(cli EAPPEND not-a-stream ANY EVENT A x)"
expect_match "INFO" '^cairn_version:' "$(cli INFO)"
expect_match "HELLO 3 from a RESP2 start" '^proto 3$' "$(cli HELLO 3)"

# --- RESP3 ---
out=$(cli -3 HELLO 3)
expect_match "RESP3 HELLO" '^proto 3$' "$out"
expect_match "RESP3 HELLO server" '^server cairn$' "$out"
out=$(cli -3 EAPPEND cli/acct/2 ANY EVENT A x)
expect_match "RESP3 EAPPEND" '^first_version 1$' "$out"
expect_match "RESP3 boolean" '^duplicate \(false\)$' "$out"
out=$(cli -3 EREAD cli/acct/1 COUNT 2)
expect_match "RESP3 EREAD" 'data \{"owner":"ann"\}' "$out"
expect_match "RESP3 EREAD next" '^next 3$' "$out"
expect_match "RESP3 EINFO" '^deleted false$' "$(cli -3 EINFO cli/acct/1)"
expect_match "RESP3 ESTREAMS" 'cli/acct/2' "$(cli -3 ESTREAMS cli/acct)"
expect_match "RESP3 EORGS" '^cli$' "$(cli -3 EORGS)"
expect_match "RESP3 error" '^CONFLICT ' "$(cli -3 EAPPEND cli/acct/2 NONE EVENT A x)"
expect_match "RESP3 DELETED" '^DELETED ' \
  "$(cli -3 EDELETE cli/acct/2 ANY HARD >/dev/null; cli -3 EREAD cli/acct/2)"

# --- Commands on stdin, one per line ---
out=$(printf 'PING\nEAPPEND cli/stdin/1 ANY EVENT A one\nEAPPEND cli/stdin/1 1 EVENT A two\nEINFO cli/stdin/1\n' |
  cli)
expect_match "stdin PING" '^PONG$' "$out"
expect_match "stdin EINFO" '^cli/stdin/1$' "$out"
[[ "$(cli EREAD cli/stdin/1 | grep -c '^two$')" == 1 ]] || fail "stdin appends"

# --- Raw protocol through --pipe ---
{
  for i in $(seq 1 200); do
    d="v$i"
    printf '*6\r\n$7\r\nEAPPEND\r\n$10\r\ncli/pipe/1\r\n$3\r\nANY\r\n$5\r\nEVENT\r\n$1\r\nA\r\n$%d\r\n%s\r\n' \
      "${#d}" "$d"
  done
  printf '*1\r\n$4\r\nPING\r\n'
} >"$WORK/pipe.resp"
out=$(cli --pipe <"$WORK/pipe.resp" 2>&1)
expect_match "--pipe" 'errors: 0, replies: 201' "$out"
[[ "$(field_after version "$(cli EREAD cli/pipe/1 FROM 200)")" == 200 ]] || fail "--pipe appends"

# --- redis-benchmark ---
out=$(timeout 120 redis-benchmark -p "$RESP_PORT" -n 2000 -c 20 -q -t ping_inline 2>&1 | tr '\r' '\n')
expect_match "benchmark PING_INLINE" '^PING_INLINE: [0-9.]+ requests per second' "$out"
out=$(timeout 120 redis-benchmark -p "$RESP_PORT" -n 2000 -c 20 -q -r 1000 \
  EAPPEND bench/s/__rand_int__ ANY EVENT Hello x 2>&1 | tr '\r' '\n')
expect_match "benchmark EAPPEND" '^EAPPEND .*: [0-9.]+ requests per second' "$out"
expect_no_match "benchmark EAPPEND errors" 'ERR|Error' "$out"
# Every benchmark append is stored: 2000 events over the bench org's streams.
scan=$(cli ESCAN bench COUNT 10000 | grep -c '^Hello$')
[[ "$scan" == 2000 ]] || fail "expected 2000 benchmark events in the scan, found $scan"

stop_server
echo "PASS"
