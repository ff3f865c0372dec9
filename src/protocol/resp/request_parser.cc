#include "protocol/resp/request_parser.h"

#include <cstring>

namespace cairn::resp {
namespace {

constexpr size_t kMaxHeaderDigits = 20;

// Parses "<digits>\r\n" at input[pos] (after the type byte). Returns false on bad syntax;
// sets *need when the line is not complete yet.
enum class LineResult { kOk, kNeedMore, kBad };

LineResult ParseLength(std::string_view in, size_t* pos, int64_t* value) {
  size_t p = *pos;
  bool negative = false;
  if (p < in.size() && in[p] == '-') {
    negative = true;
    ++p;
  }
  size_t digits_start = p;
  uint64_t v = 0;
  while (p < in.size() && in[p] >= '0' && in[p] <= '9') {
    if (p - digits_start >= kMaxHeaderDigits) return LineResult::kBad;
    v = v * 10 + static_cast<uint64_t>(in[p] - '0');
    if (v > (1ull << 40)) return LineResult::kBad;
    ++p;
  }
  if (p == in.size()) return p - *pos > kMaxHeaderDigits ? LineResult::kBad : LineResult::kNeedMore;
  if (p == digits_start) return LineResult::kBad;
  if (in[p] != '\r') return LineResult::kBad;
  if (p + 1 == in.size()) return LineResult::kNeedMore;
  if (in[p + 1] != '\n') return LineResult::kBad;
  *pos = p + 2;
  *value = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return LineResult::kOk;
}

ParseOutcome Error(const char* why, bool too_large = false) {
  ParseOutcome o;
  o.status = ParseStatus::kError;
  o.error = why;
  o.too_large = too_large;
  return o;
}

ParseOutcome NeedMore(size_t need) {
  ParseOutcome o;
  o.status = ParseStatus::kNeedMore;
  o.need_bytes = need;
  return o;
}

ParseOutcome ParseInline(std::string_view in, const ParserLimits& limits,
                         std::vector<std::string_view>* args) {
  const void* nl = std::memchr(in.data(), '\n', in.size());
  if (nl == nullptr) {
    if (in.size() > limits.max_inline_bytes) return Error("inline command too long", true);
    return NeedMore(0);
  }
  size_t end = static_cast<const char*>(nl) - in.data();
  if (end > limits.max_inline_bytes) return Error("inline command too long", true);
  std::string_view line = in.substr(0, end);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t p = 0;
  while (p < line.size()) {
    while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
    size_t start = p;
    while (p < line.size() && line[p] != ' ' && line[p] != '\t') ++p;
    if (p > start) {
      if (args->size() >= limits.max_args) return Error("too many arguments", true);
      args->push_back(line.substr(start, p - start));
    }
  }
  ParseOutcome o;
  o.status = ParseStatus::kComplete;
  o.consumed = end + 1;
  return o;
}

}  // namespace

ParseOutcome ParseRequest(std::string_view in, const ParserLimits& limits,
                          std::vector<std::string_view>* args) {
  args->clear();
  if (in.empty()) return NeedMore(1);
  if (in[0] != '*') return ParseInline(in, limits, args);
  size_t pos = 1;
  int64_t count = 0;
  switch (ParseLength(in, &pos, &count)) {
    case LineResult::kNeedMore:
      return NeedMore(0);
    case LineResult::kBad:
      return Error("Protocol error: invalid multibulk length");
    case LineResult::kOk:
      break;
  }
  if (count < 0) {  // a null array: nothing to run (Redis ignores it too)
    ParseOutcome o;
    o.status = ParseStatus::kComplete;
    o.consumed = pos;
    return o;
  }
  if (static_cast<uint64_t>(count) > limits.max_args) {
    return Error("Protocol error: too many arguments", true);
  }
  args->reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    if (pos == in.size()) return NeedMore(pos + 1);
    if (in[pos] != '$') return Error("Protocol error: expected '$'");
    ++pos;
    int64_t len = 0;
    switch (ParseLength(in, &pos, &len)) {
      case LineResult::kNeedMore:
        return NeedMore(0);
      case LineResult::kBad:
        return Error("Protocol error: invalid bulk length");
      case LineResult::kOk:
        break;
    }
    if (len < 0) return Error("Protocol error: invalid bulk length");
    if (static_cast<uint64_t>(len) > limits.max_bulk_bytes) {
      return Error("Protocol error: argument too large", true);
    }
    size_t end = pos + static_cast<size_t>(len) + 2;
    if (end > limits.max_request_bytes) return Error("Protocol error: request too large", true);
    if (end > in.size()) return NeedMore(end);
    if (in[end - 2] != '\r' || in[end - 1] != '\n') {
      return Error("Protocol error: bulk not terminated by CRLF");
    }
    args->push_back(in.substr(pos, static_cast<size_t>(len)));
    pos = end;
  }
  ParseOutcome o;
  o.status = ParseStatus::kComplete;
  o.consumed = pos;
  return o;
}

}  // namespace cairn::resp
