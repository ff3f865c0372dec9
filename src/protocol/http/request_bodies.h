#pragma once
// Decoding of the JSON request bodies of the HTTP API (docs/reference/protocol.md) into
// engine requests, with simdjson. Pure functions, safe on any input (fuzzed).

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/status.h"
#include "cairn/types.h"

namespace cairn::http {

// POST /v1/streams/{org}/{type}/{id}: {"expected", "events": [...]}; `stream` is the URL's.
Status DecodeAppendBody(std::string_view body, std::string stream, AppendRequest* out);
// POST /v1/transactions: {"streams": [{"stream", "expected", "events"}, ...]}.
Status DecodeTransactionBody(std::string_view body, AppendRequest* out);
// POST /v1/streams/.../trim: {"before": N}.
Status DecodeTrimBody(std::string_view body, uint64_t* before);
// POST /v1/groups/{group}/commit: {"scope": "...", "cursor": N}
Status DecodeGroupCommitBody(std::string_view body, std::string* scope, uint64_t* cursor);

}  // namespace cairn::http
