#pragma once
// Incremental parser of RESP requests: arrays of bulk strings (what every Redis client
// sends) and inline commands (a line of space-separated words, for telnet and nc).
//
// Stateless: each call parses one request from the start of the bytes given. When the bytes
// are incomplete it says how many it needs at least, so that a caller buffering a large
// request does not re-parse it on every read. Arguments are views into the input.

#include <cstddef>
#include <string_view>
#include <vector>

namespace cairn::resp {

struct ParserLimits {
  size_t max_args = 1u << 20;                        // elements of one request array
  size_t max_bulk_bytes = (16u << 20) + (1u << 16);  // one argument
  size_t max_request_bytes = (32u << 20);            // one whole request
  size_t max_inline_bytes = 64u << 10;               // one inline command line
};

enum class ParseStatus { kComplete, kNeedMore, kError };

struct ParseOutcome {
  ParseStatus status = ParseStatus::kNeedMore;
  size_t consumed = 0;     // kComplete: bytes of this request
  size_t need_bytes = 0;   // kNeedMore: a lower bound of the request's total size (0: unknown)
  const char* error = "";  // kError: why (the connection cannot be resynchronised)
  bool too_large = false;  // kError caused by a limit
};

// Parses one request at the start of `input`. On kComplete `args` holds its arguments (an
// empty inline line completes with no arguments).
ParseOutcome ParseRequest(std::string_view input, const ParserLimits& limits,
                          std::vector<std::string_view>* args);

}  // namespace cairn::resp
