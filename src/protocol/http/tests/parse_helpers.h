#pragma once
// Test helpers: one call to ParseRequest with every output captured.

#include <string_view>

#include "protocol/http/http_parser.h"

namespace cairn::http::testing {

struct Parsed {
  ParseStatus status = ParseStatus::kError;
  Request request;
  size_t consumed = 0;
  size_t need_hint = 0;
  ParseError error;
};

inline Parsed Parse(std::string_view input, const Limits& limits = Limits()) {
  Parsed p;
  p.status = ParseRequest(input, limits, &p.request, &p.consumed, &p.need_hint, &p.error);
  return p;
}

// The status code of a refused request, or 0 when it was not refused.
inline int ErrorStatus(std::string_view input, const Limits& limits = Limits()) {
  Parsed p = Parse(input, limits);
  return p.status == ParseStatus::kError ? p.error.status : 0;
}

}  // namespace cairn::http::testing
