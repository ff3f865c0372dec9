#!/usr/bin/env bash
# Server-sent events and consumer groups over HTTP with curl against a real `cairn serve`:
# GET /v1/watch framing (id/event/data, the live frame), from=, Last-Event-ID, types=, live=,
# group=, the /v1/groups endpoints, the heartbeat of a quiet stream (shortened to 2 s with
# --watch-heartbeat-s), and the errors before a stream starts.
#
# Usage: sse_test.sh <path to the cairn binary>

source "$(dirname "$0")/server_lib.sh"

start_server --shards 2 --watch-heartbeat-s 2
H="http://127.0.0.1:$HTTP_PORT"

append() { redis-cli -p "$RESP_PORT" EAPPEND "$@" >/dev/null; }
append acme/order/1 ANY EVENT Placed '{"n":1}' EVENT Placed '{"n":2}' EVENT Placed '{"n":3}'
append acme/order/2 ANY EVENT Placed '{"n":4}' EVENT Shipped '{"n":5}'
append other/order/1 ANY EVENT Placed '{"n":6}'

# watch QUERY [curl options...]: what the stream sends within 1 s (headers in $WORK/headers).
watch() {
  local q=$1
  shift
  curl -sN --max-time 1 -D "$WORK/headers" "$@" "$H/v1/watch?$q" || true
}

# The id, event and data lines of a stream, one frame per line: "id|event|data" (heartbeat
# comments, frames of ':' lines only, are left out).
frames() {
  awk 'BEGIN { RS = ""; FS = "\n" } {
         id = ""; ev = ""; data = ""; comment = 1
         for (i = 1; i <= NF; i++) if ($i !~ /^:/) comment = 0
         if (comment) next
         for (i = 1; i <= NF; i++) {
           if ($i ~ /^id: /) id = substr($i, 5)
           else if ($i ~ /^event: /) ev = substr($i, 8)
           else if ($i ~ /^data: /) data = substr($i, 7)
         }
         print id "|" ev "|" data
       }'
}

# --- Framing: every frame is id, event, data lines and a blank line; then the live frame.
out=$(watch "scope=acme&from=0")
expect_match "status" '^HTTP/1.1 200' "$(cat "$WORK/headers")"
expect_match "content type" '^Content-Type: text/event-stream' "$(cat "$WORK/headers")"
got=$(frames <<<"$out" | cut -d'|' -f1,2)
want=$'1|Placed\n2|Placed\n3|Placed\n4|Placed\n5|Shipped\n5|live'
[[ "$got" == "$want" ]] || fail "framing: got
$got
want
$want
from
$out"
# Each frame's lines, exactly: "id: N", "event: T", "data: {...}", then an empty line.
expect_match "frame lines" $'^id: 1$' "$out"
grep -qzE 'id: 1
event: Placed
data: \{"stream":"acme/order/1","version":1,"shard":[0-9]+,"position":1,"id":"[0-9a-f-]{36}","type":"Placed","timestamp":"[^"]+","data":\{"n":1\},"metadata":""\}

id: 2
' <<<"$out" || fail "the first frame is not id/event/data and a blank line:
$out"
expect_match "live frame" '^data: \{"cursor":5\}$' "$out"
expect_no_match "other org" '"other/' "$out"
# Frames are terminated by a blank line, and nothing else is sent.
[[ "$(grep -cv -E '^(id: |event: |data: |$)' <<<"$out")" == 0 ]] || fail "stray lines in
$out"

# --- from= is exclusive; a stream scope's cursor is the version.
got=$(watch "scope=acme&from=3" | frames | cut -d'|' -f1,2 | tr '\n' ' ')
[[ "$got" == "4|Placed 5|Shipped 5|live " ]] || fail "from=3: $got"
got=$(watch "scope=acme/order/1&from=1" | frames | cut -d'|' -f1,2 | tr '\n' ' ')
[[ "$got" == "2|Placed 3|Placed 3|live " ]] || fail "stream from=1: $got"

# --- Last-Event-ID resumes, and takes precedence over from=.
got=$(watch "scope=acme&from=1" -H "Last-Event-ID: 4" | frames | cut -d'|' -f1,2 | tr '\n' ' ')
[[ "$got" == "5|Shipped 5|live " ]] || fail "Last-Event-ID 4: $got"

# --- types=.
got=$(watch "scope=acme&types=Shipped" | frames | cut -d'|' -f1,2 | tr '\n' ' ')
[[ "$got" == "5|Shipped 5|live " ]] || fail "types=Shipped: $got"

# --- live=true: only events committed after the watch starts.
curl -sN --max-time 2 "$H/v1/watch?scope=acme&live=true" >"$WORK/live.out" 2>/dev/null &
CURL_PID=$!
for _ in $(seq 1 100); do
  grep -q '^event: live' "$WORK/live.out" && break
  sleep 0.02
done
append acme/order/3 ANY EVENT Packed '{"n":7}'
wait "$CURL_PID" || true
got=$(frames <"$WORK/live.out" | cut -d'|' -f2 | tr '\n' ' ')
[[ "$got" == "live Packed " ]] || fail "live=true: $got
$(cat "$WORK/live.out")"
expect_match "live event data" '"data":\{"n":7\}' "$(cat "$WORK/live.out")"

# --- Consumer groups over HTTP.
out=$(curl -s -X POST "$H/v1/groups/g1/commit" -d '{"scope":"acme","cursor":3}')
[[ "$out" == '{"group":"g1","scope":"acme","cursor":3}' ]] || fail "commit: $out"
out=$(curl -s -X POST "$H/v1/groups/g1/commit" -d '{"scope":"acme","cursor":2}')
[[ "$out" == '{"group":"g1","scope":"acme","cursor":3}' ]] || fail "commit backwards: $out"
out=$(curl -s -X POST "$H/v1/groups/g2/commit" -d '{"scope":"acme/order/1","cursor":1}')
[[ "$out" == '{"group":"g2","scope":"acme/order/1","cursor":1}' ]] || fail "commit g2: $out"
out=$(curl -s "$H/v1/groups/g1?scope=acme")
[[ "$out" == '{"group":"g1","scope":"acme","cursor":3}' ]] || fail "get: $out"
out=$(curl -s "$H/v1/groups/nobody?scope=acme")
[[ "$out" == '{"group":"nobody","scope":"acme","cursor":0}' ]] || fail "get unknown: $out"
out=$(curl -s "$H/v1/groups")
[[ "$out" == '{"groups":[{"group":"g1","scope":"acme","cursor":3},{"group":"g2","scope":"acme/order/1","cursor":1}]}' ]] ||
  fail "list: $out"
out=$(curl -s "$H/v1/groups?scope=acme/order/1")
[[ "$out" == '{"groups":[{"group":"g2","scope":"acme/order/1","cursor":1}]}' ]] ||
  fail "list one scope: $out"
# A group's watch starts after its cursor.
got=$(watch "scope=acme&group=g1" | frames | cut -d'|' -f1,2 | tr '\n' ' ')
[[ "$got" == "4|Placed 5|Shipped 7|Packed 7|live " ]] || fail "group=g1: $got"
out=$(curl -s -X DELETE "$H/v1/groups/g1?scope=acme")
[[ "$out" == '{"deleted":true}' ]] || fail "delete: $out"
out=$(curl -s -X DELETE "$H/v1/groups/g1?scope=acme")
[[ "$out" == '{"deleted":false}' ]] || fail "delete again: $out"
out=$(curl -s -w ' %{http_code}' -X POST "$H/v1/groups/g1/commit" -d '{"scope":"acme","cursor":99}' |
  tr -d '\n')
expect_match "commit beyond the end" '"error":"INVALID".* 400$' "$out"
out=$(curl -s -w ' %{http_code}' -X POST "$H/v1/groups/bad%20name/commit" \
  -d '{"scope":"acme","cursor":1}' | tr -d '\n')
expect_match "bad group name" '"error":"INVALID".* 400$' "$out"

# --- A quiet stream gets heartbeat comments.
out=$(curl -sN --max-time 3.5 "$H/v1/watch?scope=nobody&live=true" || true)
n=$(grep -c '^: heartbeat$' <<<"$out" || true)
[[ $n -ge 1 ]] || fail "no heartbeat within 3.5 s on a quiet stream: $out"

# --- Errors before the stream starts are JSON errors.
status_of() { curl -s -o "$WORK/body" -w '%{http_code}' "$H$1"; }
[[ "$(status_of "/v1/watch")" == 400 ]] || fail "no scope: $(cat "$WORK/body")"
expect_match "no scope" '"error":"INVALID"' "$(cat "$WORK/body")"
[[ "$(status_of "/v1/watch?scope=acme&from=abc")" == 400 ]] || fail "from=abc: $(cat "$WORK/body")"
expect_match "bad from" '"error":"INVALID"' "$(cat "$WORK/body")"
[[ "$(status_of "/v1/watch?scope=acme&from=-1")" == 400 ]] || fail "from=-1: $(cat "$WORK/body")"
[[ "$(status_of "/v1/watch?scope=a//b")" == 400 ]] || fail "bad scope: $(cat "$WORK/body")"
expect_match "bad scope" '"error":"INVALID"' "$(cat "$WORK/body")"

stop_server
echo "sse_test: OK"
