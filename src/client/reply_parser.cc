// The grammar is RESP3's (https://github.com/redis/redis-specifications, resp3.md) plus the
// RESP2 nulls. Parsing keeps an explicit stack of open aggregates, so a reply that arrives
// in pieces is parsed once, element by element, as its bytes complete.

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

#include "cairn/resp_reply_parser.h"

namespace cairn::client {

struct ReplyParser::Frame {
  RespValue value;
  uint64_t remaining = 0;  // elements still to come (a map counts keys and values)
  bool attribute = false;  // dropped when complete
};

namespace {

constexpr size_t kInitialBufferBytes = 16 << 10;
constexpr size_t kMaxRetainedBufferBytes = 4 << 20;

// Strict decimal int64: optional sign, digits only, no overflow.
bool ParseInt64(std::string_view s, int64_t* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s.size() > 20) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s.size() > 512) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, std::chars_format::general);
  return ec == std::errc() && p == s.data() + s.size();
}

bool IsBigNumber(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string ByteName(char c) {
  char b[8];
  std::snprintf(b, sizeof(b), "0x%02x", static_cast<unsigned char>(c));
  return b;
}

}  // namespace

ReplyParser::ReplyParser(const Limits& limits) : limits_(limits) {}
ReplyParser::~ReplyParser() = default;

void ReplyParser::Reset() {
  pos_ = end_ = 0;
  stack_.clear();
  reply_bytes_ = 0;
  error_ = Status::Ok();
}

std::span<char> ReplyParser::PrepareWrite(size_t min_bytes) {
  if (pos_ == end_) {
    pos_ = end_ = 0;
    // A burst of large replies should not pin its buffer for the connection's lifetime.
    if (cap_ > kMaxRetainedBufferBytes && min_bytes <= kMaxRetainedBufferBytes) {
      buf_.reset();
      cap_ = 0;
    }
  }
  if (cap_ - end_ < min_bytes && pos_ > 0) {
    std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (cap_ - end_ < min_bytes) {
    size_t cap = std::max(cap_ * 2, kInitialBufferBytes);
    while (cap - end_ < min_bytes) cap *= 2;
    std::unique_ptr<char[]> b(new char[cap]);
    if (end_ > pos_) std::memcpy(b.get(), buf_.get() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
    buf_ = std::move(b);
    cap_ = cap;
  }
  return {buf_.get() + end_, cap_ - end_};
}

void ReplyParser::Commit(size_t n) { end_ += std::min(n, cap_ - end_); }

void ReplyParser::Feed(std::string_view bytes) {
  if (bytes.empty()) return;
  std::span<char> w = PrepareWrite(bytes.size());
  std::memcpy(w.data(), bytes.data(), bytes.size());
  Commit(bytes.size());
}

ReplyParser::Step ReplyParser::Fail(std::string message) {
  error_ = Status::Invalid(std::move(message));
  return Step::kError;
}

void ReplyParser::Consume(size_t new_pos) {
  reply_bytes_ += new_pos - pos_;
  pos_ = new_pos;
}

Result<bool> ReplyParser::Next(RespValue* out) {
  while (error_.ok()) {
    RespValue v;
    switch (ParseOne(&v)) {
      case Step::kNeedMore:
        return false;
      case Step::kError:
        return error_;
      case Step::kOpened: {
        if (stack_.back().remaining > 0) continue;
        Frame done = std::move(stack_.back());  // an empty aggregate is complete at once
        stack_.pop_back();
        if (done.attribute) continue;
        v = std::move(done.value);
        break;
      }
      case Step::kValue:
        break;
    }
    if (Attach(std::move(v), out)) return true;
  }
  return error_;
}

bool ReplyParser::Attach(RespValue v, RespValue* out) {
  while (true) {
    if (stack_.empty()) {
      *out = std::move(v);
      reply_bytes_ = 0;
      return true;
    }
    Frame& f = stack_.back();
    f.value.elements.push_back(std::move(v));
    if (--f.remaining > 0) return false;
    Frame done = std::move(f);
    stack_.pop_back();
    if (done.attribute) return false;  // the parent does not count an attribute
    v = std::move(done.value);
  }
}

ReplyParser::Step ReplyParser::ParseOne(RespValue* v) {
  if (pos_ == end_) return Step::kNeedMore;
  const char type = buf_[pos_];
  const char* start = buf_.get() + pos_ + 1;
  const size_t avail = end_ - pos_ - 1;
  const size_t scan = std::min<uint64_t>(avail, limits_.max_line_bytes + 1);
  const char* cr = static_cast<const char*>(std::memchr(start, '\r', scan));
  if (cr == nullptr) {
    if (avail > limits_.max_line_bytes) {
      return Fail("reply over limit: line longer than " + std::to_string(limits_.max_line_bytes));
    }
    return Step::kNeedMore;
  }
  const size_t line_len = cr - start;
  if (line_len + 1 >= avail) return Step::kNeedMore;  // the LF has not arrived
  if (cr[1] != '\n') return Fail("malformed reply: CR without LF");
  const std::string_view line(start, line_len);
  const size_t next = pos_ + 1 + line_len + 2;
  if (reply_bytes_ + (next - pos_) > limits_.max_reply_bytes) {
    return Fail("reply over limit: more than " + std::to_string(limits_.max_reply_bytes) +
                " bytes");
  }
  switch (type) {
    case '$':
    case '!':
    case '=':
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
      int64_t n = 0;
      if (!ParseInt64(line, &n)) return Fail("malformed reply: bad length after " + ByteName(type));
      if (n == -1 && (type == '$' || type == '*')) {  // RESP2 null bulk / null array
        Consume(next);
        *v = RespValue::Null();
        return Step::kValue;
      }
      if (n < 0) return Fail("malformed reply: negative length after " + ByteName(type));
      if (type == '$' || type == '!' || type == '=') return ParseBlob(type, n, next, v);
      return ParseAggregateHeader(type, n, next);
    }
    case '+':
    case '-':
    case ':':
    case '_':
    case '#':
    case ',':
    case '(': {
      Step s = ParseLineScalar(type, line, v);
      if (s == Step::kValue) Consume(next);
      return s;
    }
    default:
      return Fail("malformed reply: unknown type byte " + ByteName(type));
  }
}

ReplyParser::Step ReplyParser::ParseBlob(char type, int64_t n, size_t next, RespValue* v) {
  const uint64_t len = static_cast<uint64_t>(n);
  if (len > limits_.max_bulk_bytes) {
    return Fail("reply over limit: string of " + std::to_string(len) + " bytes (limit " +
                std::to_string(limits_.max_bulk_bytes) + ")");
  }
  if (reply_bytes_ + (next - pos_) + len + 2 > limits_.max_reply_bytes) {
    return Fail("reply over limit: more than " + std::to_string(limits_.max_reply_bytes) +
                " bytes");
  }
  if (end_ - next < len + 2) return Step::kNeedMore;
  const char* p = buf_.get() + next;
  if (p[len] != '\r' || p[len + 1] != '\n') {
    return Fail("malformed reply: string not followed by CRLF");
  }
  if (type == '=') {
    if (len < 4 || p[3] != ':') return Fail("malformed reply: verbatim string without format");
    v->type = RespType::kVerbatim;
    std::memcpy(v->verbatim_format.data(), p, 3);
    v->str.assign(p + 4, len - 4);
  } else {
    v->type = type == '$' ? RespType::kBulkString : RespType::kError;
    v->str.assign(p, len);
  }
  Consume(next + len + 2);
  return Step::kValue;
}

ReplyParser::Step ReplyParser::ParseAggregateHeader(char type, int64_t n, size_t next) {
  const uint64_t len = static_cast<uint64_t>(n);
  if (len > limits_.max_aggregate_length) {
    return Fail("reply over limit: aggregate of " + std::to_string(len) + " elements (limit " +
                std::to_string(limits_.max_aggregate_length) + ")");
  }
  if (stack_.size() >= limits_.max_depth) {
    return Fail("reply over limit: nested deeper than " + std::to_string(limits_.max_depth));
  }
  Frame f;
  switch (type) {
    case '*':
      f.value.type = RespType::kArray;
      break;
    case '~':
      f.value.type = RespType::kSet;
      break;
    case '>':
      f.value.type = RespType::kPush;
      break;
    default:  // '%' and '|'
      f.value.type = RespType::kMap;
      f.attribute = type == '|';
      break;
  }
  f.remaining = (type == '%' || type == '|') ? 2 * len : len;
  // Grow as elements arrive: a hostile header must not reserve memory up front.
  f.value.elements.reserve(std::min<uint64_t>(f.remaining, 16));
  stack_.push_back(std::move(f));
  Consume(next);
  return Step::kOpened;
}

ReplyParser::Step ReplyParser::ParseLineScalar(char type, std::string_view line, RespValue* v) {
  switch (type) {
    case '+':
      v->type = RespType::kSimpleString;
      v->str.assign(line);
      return Step::kValue;
    case '-':
      v->type = RespType::kError;
      v->str.assign(line);
      return Step::kValue;
    case ':':
      v->type = RespType::kInteger;
      if (!ParseInt64(line, &v->integer)) return Fail("malformed reply: bad integer");
      return Step::kValue;
    case '_':
      if (!line.empty()) return Fail("malformed reply: null with a payload");
      v->type = RespType::kNull;
      return Step::kValue;
    case '#':
      if (line != "t" && line != "f") return Fail("malformed reply: bad boolean");
      v->type = RespType::kBoolean;
      v->integer = line == "t" ? 1 : 0;
      return Step::kValue;
    case ',':
      v->type = RespType::kDouble;
      if (!ParseDouble(line, &v->number)) return Fail("malformed reply: bad double");
      return Step::kValue;
    default:  // '('
      if (!IsBigNumber(line)) return Fail("malformed reply: bad big number");
      v->type = RespType::kBigNumber;
      v->str.assign(line);
      return Step::kValue;
  }
}

}  // namespace cairn::client
