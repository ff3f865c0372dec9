#!/usr/bin/env bash
# curl against a real `cairn serve`: appends and reads, keep-alive across several URLs in
# one curl invocation, a chunked upload, Expect: 100-continue on a large body, error
# statuses with their JSON, and the operations endpoints. (http_test.cc checks every
# endpoint's fields; this is what curl users do.)
# Usage: http_curl_test.sh <path to the cairn binary>

source "$(dirname "$0")/server_lib.sh"

start_server --shards 2
BASE="http://127.0.0.1:$HTTP_PORT"
# curl_status ARGS...: prints "<status> <body>".
curl_status() { curl -sS --max-time 30 -o "$WORK/body" -w '%{http_code}' "$@"; echo " $(cat "$WORK/body")"; }

# Append with JSON data, base64 data and metadata; then read back.
out=$(curl_status -X POST "$BASE/v1/streams/web/acct/1" -H 'Content-Type: application/json' \
  -H 'Idempotency-Key: web-1' \
  -d '{"expected":"none","events":[{"type":"Opened","data":{"owner":"ann"},"metadata":{"ip":"1.2.3.4"}},
       {"type":"Blob","data_base64":"3q2+7w=="}]}')
expect_match "append" '^201 \{"stream":"web/acct/1","first_version":1,"last_version":2,' "$out"
expect_match "append timestamp" '"timestamp":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"' "$out"
expect_match "append duplicate" '"duplicate":false' "$out"
retry=$(curl_status -X POST "$BASE/v1/streams/web/acct/1" -H 'Idempotency-Key: web-1' \
  -d '{"expected":"none","events":[{"type":"Opened","data":{"owner":"ann"},"metadata":{"ip":"1.2.3.4"}},
       {"type":"Blob","data_base64":"3q2+7w=="}]}')
expect_match "idempotent retry" '"duplicate":true' "$retry"
[[ "${retry/\"duplicate\":true/}" == "${out/\"duplicate\":false/}" ]] ||
  fail "the retry differs from the first reply: $out vs $retry"
out=$(curl_status "$BASE/v1/streams/web/acct/1")
expect_match "read" '^200 \{"events":\[' "$out"
expect_match "read JSON data" '"data":\{"owner":"ann"\}' "$out"
expect_match "read JSON metadata" '"metadata":\{"ip":"1.2.3.4"\}' "$out"
expect_match "read base64 data" '"data_base64":"3q2\+7w=="' "$out"
expect_match "read version" '"next":null,"version":2\}' "$out"
out=$(curl_status "$BASE/v1/streams/web/acct/1?from=2&count=1&direction=forward&with_hash=true")
expect_match "read options" '"version":2,.*"hash":"[0-9a-f]{64}"' "$out"

# A percent-encoded '/' in the id.
out=$(curl_status -X POST "$BASE/v1/streams/web/doc/a%2Fb" -d '{"events":[{"type":"A","data":1}]}')
expect_match "encoded slash" '^201 \{"stream":"web/doc/a/b"' "$out"
expect_match "encoded slash read" '"stream":"web/doc/a/b"' "$(curl_status "$BASE/v1/streams/web/doc/a%2Fb")"

# Keep-alive: several URLs in one curl run share one connection.
verbose=$(curl -sv --max-time 30 "$BASE/health" "$BASE/ready" "$BASE/v1/orgs" \
  "$BASE/v1/streams/web/acct/1/info" -o /dev/null -o /dev/null -o /dev/null -o /dev/null 2>&1)
expect_match "keep-alive" 'Re-using existing connection' "$verbose"
[[ $(grep -c 'Connected to' <<<"$verbose") == 1 ]] || fail "more than one connection: $verbose"
[[ $(grep -c '< HTTP/1.1 200' <<<"$verbose") == 4 ]] || fail "not four 200s: $verbose"

# Chunked request body.
printf '{"events":[{"type":"Chunked","data":{"text":"%s"}}]}' "$(head -c 20000 /dev/zero | tr '\0' 'z')" \
  >"$WORK/chunked.json"
out=$(curl_status -X POST "$BASE/v1/streams/web/chunk/1" -H 'Transfer-Encoding: chunked' \
  -H 'Content-Type: application/json' --data-binary @"$WORK/chunked.json")
expect_match "chunked upload" '^201 ' "$out"
expect_match "chunked read" '"text":"z{20000}"' "$(curl_status "$BASE/v1/streams/web/chunk/1")"

# A body over 1 MiB: curl asks for 100-continue first.
{
  printf '{"events":[{"type":"Big","data_base64":"'
  head -c 900000 /dev/urandom | base64 -w0
  printf '"}]}'
} >"$WORK/big.json"
verbose=$(curl -sv --max-time 60 -X POST "$BASE/v1/streams/web/big/1" -H 'Expect: 100-continue' \
  --data-binary @"$WORK/big.json" -o "$WORK/body" 2>&1)
expect_match "100-continue" '< HTTP/1.1 100 Continue' "$verbose"
expect_match "big append" '< HTTP/1.1 201' "$verbose"

# Transactions, scan, listings, verify.
out=$(curl_status -X POST "$BASE/v1/transactions" -d '{"streams":[
  {"stream":"web/order/1","expected":"none","events":[{"type":"Placed","data":1}]},
  {"stream":"web/acct/1","expected":2,"events":[{"type":"Charged","data":2}]}]}')
expect_match "transaction" '^201 \{"shard":[0-9]+,.*"streams":\[\{"stream":"web/order/1"' "$out"
expect_match "scan" '^200 \{"events":\[\{"stream":"web/acct/1"' "$(curl_status "$BASE/v1/scan?scope=web&count=2")"
expect_match "orgs" '^200 \["web"\]' "$(curl_status "$BASE/v1/orgs")"
expect_match "types" '^200 \["acct","big","chunk","doc","order"\]' "$(curl_status "$BASE/v1/orgs/web/types")"
expect_match "streams" '^200 \{"streams":\["web/acct/1"\],"next":null\}' \
  "$(curl_status "$BASE/v1/orgs/web/streams?type=acct&count=1")"
expect_match "verify" '^200 \{"ok":true,' "$(curl_status "$BASE/v1/verify?shard=0")"

# Errors: status and JSON body.
expect_match "404" '^404 \{"error":"ERR","message":' "$(curl_status "$BASE/v1/nope")"
expect_match "400" '^400 \{"error":"INVALID","message":' \
  "$(curl_status -X POST "$BASE/v1/streams/web/acct/1" -d '{"expected":"sometime","events":[{"type":"A"}]}')"
expect_match "409" '^409 \{"error":"CONFLICT",.*"stream":"web/acct/1".*"expected":1,.*"actual":3' \
  "$(curl_status -X POST "$BASE/v1/streams/web/acct/1" -d '{"expected":1,"events":[{"type":"A"}]}')"
expect_match "422" '^422 \{"error":"IDEMPOTENCY",' \
  "$(curl_status -X POST "$BASE/v1/streams/web/acct/1" -H 'Idempotency-Key: web-1' -d '{"events":[{"type":"A"}]}')"
curl -sS -o /dev/null -X DELETE "$BASE/v1/streams/web/doc/a%2Fb?expected=1&hard=true"
expect_match "410" '^410 \{"error":"DELETED",' "$(curl_status "$BASE/v1/streams/web/doc/a%2Fb")"
expect_match "413" '^413 \{"error":"TOOLARGE",' "$(curl_status "$BASE/v1/streams/web/acct/1?count=20000")"

# Operations.
out=$(curl -sS --max-time 30 "$BASE/metrics")
for m in cairn_requests_total cairn_request_duration_seconds_bucket cairn_appended_events_total \
  cairn_fsync_duration_seconds_bucket cairn_group_commit_events_bucket cairn_connections \
  cairn_resident_memory_bytes; do
  expect_match "metric $m" "^$m[{ ]" "$out"
done
expect_match "health" '^200 ' "$(curl_status "$BASE/health")"
expect_match "ready" '^200 \{"ready":true' "$(curl_status "$BASE/ready")"

stop_server
echo "PASS"
