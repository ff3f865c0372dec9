// The chunked transfer coding of request bodies (RFC 9112 section 7.1):
//   chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   last-chunk   = 1*("0") [ chunk-ext ] CRLF
// Checked in one pass that copies nothing, then decoded in a second pass once complete, so a
// body that arrives in many reads is copied once.

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "protocol/http/http_chars.h"
#include "protocol/http/http_internal.h"

namespace cairn::http::internal {

namespace {

// The shortest end of a chunked body: "0" CRLF CRLF.
constexpr size_t kMinLastChunkBytes = 5;
// The shortest tail after a chunk's data: CRLF, then the last chunk.
constexpr size_t kMinTailBytes = 2 + kMinLastChunkBytes;

ParseStatus Fail(ParseError* error, int status, const char* message) {
  error->status = status;
  error->message = message;
  return ParseStatus::kError;
}

size_t FindLf(std::string_view s, size_t from, size_t end) {
  if (from >= end) return std::string_view::npos;
  const void* p = std::memchr(s.data() + from, '\n', end - from);
  return p == nullptr ? std::string_view::npos : static_cast<const char*>(p) - s.data();
}

// Parses "1*HEXDIG [BWS ';' ext]" (without CRLF). Sizes past `cap` are 413.
ParseStatus ParseSizeLine(std::string_view line, size_t cap, size_t* size, ParseError* error) {
  size_t i = 0, n = 0;
  for (; i < line.size() && HexValue(line[i]) >= 0; ++i) {
    if (n > (SIZE_MAX >> 4)) return Fail(error, 413, "chunk larger than the body limit");
    n = n * 16 + static_cast<size_t>(HexValue(line[i]));
    if (n > cap) return Fail(error, 413, "chunk larger than the body limit");
  }
  if (i == 0) return Fail(error, 400, "invalid chunk size");
  std::string_view ext = line.substr(i);
  while (!ext.empty() && IsOws(ext.front())) ext.remove_prefix(1);
  if (!ext.empty() && ext.front() != ';') return Fail(error, 400, "invalid chunk size");
  for (char c : ext) {
    if (!IsFieldValueChar(c)) return Fail(error, 400, "invalid character in chunk extension");
  }
  *size = n;
  return ParseStatus::kComplete;
}

// Checks the trailer section at wire[pos...] through its blank line; *end is after it.
ParseStatus ScanTrailers(std::string_view wire, size_t pos, const Limits& limits, size_t* end,
                         size_t* need_hint, ParseError* error) {
  const size_t window = std::min(wire.size(), pos + limits.max_header_bytes);
  size_t count = 0;
  for (;;) {
    size_t lf = FindLf(wire, pos, window);
    if (lf == std::string_view::npos) {
      if (wire.size() > window) return Fail(error, 431, "trailer section too large");
      *need_hint = wire.size() + (wire.size() > 0 && wire.back() == '\r' ? 1 : 2);
      return ParseStatus::kNeedMore;
    }
    if (lf == pos || wire[lf - 1] != '\r') return Fail(error, 400, "trailer line must end in CRLF");
    std::string_view line = wire.substr(pos, lf - 1 - pos);
    pos = lf + 1;
    if (line.empty()) break;
    if (++count > limits.max_headers) return Fail(error, 431, "too many trailer fields");
    Header ignored;
    if (!ParseFieldLine(line, &ignored, error)) return ParseStatus::kError;
  }
  *end = pos;
  return ParseStatus::kComplete;
}

}  // namespace

ParseStatus ScanChunkedBody(std::string_view wire, const Limits& limits, size_t* wire_bytes,
                            size_t* body_bytes, size_t* need_hint, ParseError* error) {
  size_t pos = 0, decoded = 0, framing = 0;
  for (;;) {
    const size_t window = std::min(wire.size(), pos + kMaxChunkLineBytes);
    size_t lf = FindLf(wire, pos, window);
    if (lf == std::string_view::npos) {
      if (window - pos >= kMaxChunkLineBytes) return Fail(error, 400, "chunk size line too long");
      if (pos < wire.size() && HexValue(wire[pos]) < 0) {
        return Fail(error, 400, "invalid chunk size");
      }
      *need_hint = std::max(wire.size() + 1, pos + kMinLastChunkBytes);
      return ParseStatus::kNeedMore;
    }
    if (lf == pos || wire[lf - 1] != '\r') return Fail(error, 400, "chunk line must end in CRLF");
    size_t size = 0;
    ParseStatus st = ParseSizeLine(wire.substr(pos, lf - 1 - pos), limits.max_body_bytes - decoded,
                                   &size, error);
    if (st != ParseStatus::kComplete) return st;
    framing += lf + 1 - pos;
    pos = lf + 1;
    if (size == 0) break;
    if (wire.size() - pos < size + 2) {
      *need_hint = pos + size + kMinTailBytes;
      return ParseStatus::kNeedMore;
    }
    if (wire[pos + size] != '\r' || wire[pos + size + 1] != '\n') {
      return Fail(error, 400, "chunk data must end in CRLF");
    }
    pos += size + 2;
    decoded += size;
    framing += 2;
    if (framing > limits.max_header_bytes + decoded) {
      return Fail(error, 413, "chunk framing too large for the data it carries");
    }
  }
  size_t end = 0;
  ParseStatus st = ScanTrailers(wire, pos, limits, &end, need_hint, error);
  if (st != ParseStatus::kComplete) return st;
  *wire_bytes = end;
  *body_bytes = decoded;
  return ParseStatus::kComplete;
}

void DecodeChunkedBody(std::string_view wire, size_t body_bytes, std::string* out) {
  out->clear();
  out->reserve(body_bytes);
  size_t pos = 0;
  for (;;) {
    size_t size = 0;
    for (; HexValue(wire[pos]) >= 0; ++pos)
      size = size * 16 + static_cast<size_t>(HexValue(wire[pos]));
    pos = wire.find('\n', pos) + 1;
    if (size == 0) return;
    out->append(wire.data() + pos, size);
    pos += size + 2;
  }
}

}  // namespace cairn::http::internal
