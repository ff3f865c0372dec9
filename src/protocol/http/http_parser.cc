#include "protocol/http/http_parser.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "protocol/http/http_chars.h"
#include "protocol/http/http_internal.h"

namespace cairn::http {

namespace {

// "SP SP HTTP/1.1 CRLF": the bytes of a request line beyond its method and target.
constexpr size_t kRequestLineOverheadBytes = 12;

ParseStatus Fail(ParseError* error, int status, std::string message) {
  error->status = status;
  error->message = std::move(message);
  return ParseStatus::kError;
}

// The position of the first '\n' in input[from, end), or npos.
size_t FindLf(std::string_view input, size_t from, size_t end) {
  if (from >= end) return std::string_view::npos;
  const void* p = std::memchr(input.data() + from, '\n', end - from);
  return p == nullptr ? std::string_view::npos : static_cast<const char*>(p) - input.data();
}

// A lower bound of the input length that can end the head: it ends with CRLF CRLF, and the
// longest suffix of `input` that begins that sequence may be part of it.
size_t HeadNeedHint(std::string_view input) {
  static constexpr std::string_view kEnd = "\r\n\r\n";
  size_t matched = 0;
  for (size_t m = std::min(input.size(), kEnd.size() - 1); m > 0; --m) {
    if (input.substr(input.size() - m) == kEnd.substr(0, m)) {
      matched = m;
      break;
    }
  }
  return input.size() + (kEnd.size() - matched);
}

// Checks a request line that has not ended yet, so garbage (a TLS handshake, a binary
// protocol) is refused at once rather than after max_header_bytes.
ParseStatus CheckRequestLinePrefix(std::string_view partial, const Limits& limits,
                                   ParseError* error) {
  if (partial == "\r") return ParseStatus::kNeedMore;  // maybe an empty line before it
  size_t sp = partial.find(' ');
  std::string_view method = partial.substr(0, sp);
  for (char c : method) {
    if (!IsTokenChar(c)) return Fail(error, 400, "invalid character in method");
  }
  if (method.size() > kMaxMethodBytes) return Fail(error, 400, "method too long");
  if (sp == std::string_view::npos) return ParseStatus::kNeedMore;
  std::string_view rest = partial.substr(sp + 1);
  std::string_view target = rest.substr(0, rest.find(' '));
  if (target.size() > limits.max_target_bytes) return Fail(error, 414, "request target too long");
  for (char c : target) {
    if (!IsTargetChar(c)) return Fail(error, 400, "invalid character in request target");
  }
  return ParseStatus::kNeedMore;
}

ParseStatus ParseVersion(std::string_view v, Request* out, ParseError* error) {
  bool shaped = v.size() == 8 && v.substr(0, 5) == "HTTP/" && v[5] >= '0' && v[5] <= '9' &&
                v[6] == '.' && v[7] >= '0' && v[7] <= '9';
  if (!shaped) return Fail(error, 400, "malformed HTTP version");
  if (v[5] != '1') return Fail(error, 505, "HTTP version not supported");
  out->minor_version = v[7] == '0' ? 0 : 1;  // 1.x for x > 1 is served as 1.1
  return ParseStatus::kComplete;
}

// Parses "method SP target SP version" (the line without its CRLF).
ParseStatus ParseRequestLine(std::string_view line, const Limits& limits, Request* out,
                             ParseError* error) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Fail(error, 400, "malformed request line");
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Fail(error, 400, "malformed request line");
  out->method = line.substr(0, sp1);
  out->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!IsToken(out->method)) return Fail(error, 400, "method is not a token");
  if (out->method.size() > kMaxMethodBytes) return Fail(error, 400, "method too long");
  if (out->target.size() > limits.max_target_bytes) {
    return Fail(error, 414, "request target too long");
  }
  if (out->target.empty()) return Fail(error, 400, "empty request target");
  for (char c : out->target) {
    if (!IsTargetChar(c)) return Fail(error, 400, "invalid character in request target");
  }
  if (out->target == "*") {
    if (out->method != "OPTIONS") return Fail(error, 400, "'*' target is only for OPTIONS");
  } else if (out->target[0] != '/') {
    return Fail(error, 400, "request target must be origin-form");
  }
  size_t q = out->target.find('?');
  out->path = out->target.substr(0, q);
  out->query = q == std::string_view::npos ? std::string_view() : out->target.substr(q + 1);
  return ParseVersion(line.substr(sp2 + 1), out, error);
}

// Content-Length: 1*DIGIT. *too_large when the value exceeds `cap`.
bool ParseContentLength(std::string_view v, uint64_t cap, uint64_t* out, bool* too_large) {
  if (v.empty()) return false;
  uint64_t n = 0;
  *too_large = false;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    if (*too_large) continue;
    if (n > (UINT64_MAX - 9) / 10) {
      *too_large = true;
      continue;
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
    if (n > cap) *too_large = true;
  }
  *out = n;
  return true;
}

// Reads the tokens of a Connection field value ("close", "keep-alive", others ignored).
void ReadConnection(std::string_view v, bool* close, bool* keep_alive) {
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view option = TrimOws(v.substr(0, comma));
    if (EqualsNoCase(option, "close")) *close = true;
    if (EqualsNoCase(option, "keep-alive")) *keep_alive = true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
}

// Applies the fields that frame the message and set connection options.
ParseStatus ApplyHeaders(const Limits& limits, Request* out, bool* has_length, size_t* length,
                         ParseError* error) {
  bool has_te = false, close = false, keep_alive = false;
  int hosts = 0;
  for (const Header& h : out->headers) {
    if (EqualsNoCase(h.name, "content-length")) {
      if (*has_length) return Fail(error, 400, "duplicate Content-Length");
      bool too_large = false;
      uint64_t n = 0;
      if (!ParseContentLength(h.value, limits.max_body_bytes, &n, &too_large)) {
        return Fail(error, 400, "invalid Content-Length");
      }
      if (too_large) return Fail(error, 413, "body too large");
      *has_length = true;
      *length = static_cast<size_t>(n);
    } else if (EqualsNoCase(h.name, "transfer-encoding")) {
      if (has_te) return Fail(error, 400, "duplicate Transfer-Encoding");
      if (!EqualsNoCase(h.value, "chunked")) {
        return Fail(error, 501, "unsupported Transfer-Encoding (only chunked)");
      }
      has_te = true;
    } else if (EqualsNoCase(h.name, "connection")) {
      ReadConnection(h.value, &close, &keep_alive);
    } else if (EqualsNoCase(h.name, "expect")) {
      out->expect_continue = out->minor_version == 1 && EqualsNoCase(h.value, "100-continue");
    } else if (EqualsNoCase(h.name, "host")) {
      ++hosts;
    }
  }
  if (has_te && *has_length) return Fail(error, 400, "both Content-Length and Transfer-Encoding");
  if (has_te && out->minor_version == 0) return Fail(error, 400, "Transfer-Encoding in HTTP/1.0");
  if (out->minor_version == 1 && hosts != 1) {
    return Fail(error, 400, hosts == 0 ? "missing Host" : "duplicate Host");
  }
  out->chunked = has_te;
  out->keep_alive = !close && (out->minor_version == 1 || keep_alive);
  return ParseStatus::kComplete;
}

// Parses the request line and header fields; *head_end is the offset after the blank line.
ParseStatus ParseHead(std::string_view input, const Limits& limits, Request* out, size_t* head_end,
                      size_t* need_hint, ParseError* error) {
  const size_t window = std::min(input.size(), limits.max_header_bytes);
  size_t pos = 0;
  while (pos + 1 < window && input[pos] == '\r' && input[pos + 1] == '\n') pos += 2;

  const size_t line_limit =
      pos + kMaxMethodBytes + limits.max_target_bytes + kRequestLineOverheadBytes;
  const size_t line_window = std::min(window, line_limit);
  size_t lf = FindLf(input, pos, line_window);
  if (lf == std::string_view::npos) {
    ParseStatus st = CheckRequestLinePrefix(input.substr(pos, line_window - pos), limits, error);
    if (st == ParseStatus::kError) return st;
    // The method and target are within their limits, so the rest of the line is junk.
    if (line_window == line_limit) return Fail(error, 400, "request line too long");
    if (input.size() > window) return Fail(error, 431, "request header section too large");
    *need_hint = HeadNeedHint(input);
    return ParseStatus::kNeedMore;
  }
  if (lf == pos || input[lf - 1] != '\r') return Fail(error, 400, "request line must end in CRLF");
  ParseStatus st = ParseRequestLine(input.substr(pos, lf - 1 - pos), limits, out, error);
  if (st != ParseStatus::kComplete) return st;
  pos = lf + 1;

  for (;;) {
    lf = FindLf(input, pos, window);
    if (lf == std::string_view::npos) {
      if (input.size() > window) return Fail(error, 431, "request header section too large");
      *need_hint = HeadNeedHint(input);
      return ParseStatus::kNeedMore;
    }
    if (lf == pos || input[lf - 1] != '\r') return Fail(error, 400, "header line must end in CRLF");
    std::string_view line = input.substr(pos, lf - 1 - pos);
    pos = lf + 1;
    if (line.empty()) break;
    if (out->headers.size() >= limits.max_headers) return Fail(error, 431, "too many headers");
    Header h;
    if (!internal::ParseFieldLine(line, &h, error)) return ParseStatus::kError;
    out->headers.push_back(h);
  }
  *head_end = pos;
  return ParseStatus::kComplete;
}

}  // namespace

namespace internal {

bool ParseFieldLine(std::string_view line, Header* out, ParseError* error) {
  if (IsOws(line.front())) {
    Fail(error, 400, "obsolete line folding");
    return false;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    Fail(error, 400, "header line without ':'");
    return false;
  }
  out->name = line.substr(0, colon);
  if (!IsToken(out->name)) {
    Fail(error, 400, "header name is not a token");
    return false;
  }
  std::string_view value = line.substr(colon + 1);
  for (char c : value) {
    if (!IsFieldValueChar(c)) {
      Fail(error, 400, "invalid character in header value");
      return false;
    }
  }
  out->value = TrimOws(value);
  return true;
}

}  // namespace internal

Request& Request::operator=(const Request& other) {
  if (this == &other) return *this;
  method = other.method;
  target = other.target;
  path = other.path;
  query = other.query;
  minor_version = other.minor_version;
  headers = other.headers;
  body_storage = other.body_storage;
  body = other.chunked ? std::string_view(body_storage) : other.body;
  keep_alive = other.keep_alive;
  chunked = other.chunked;
  expect_continue = other.expect_continue;
  head_bytes = other.head_bytes;
  return *this;
}

Request& Request::operator=(Request&& other) noexcept {
  if (this == &other) return *this;
  method = other.method;
  target = other.target;
  path = other.path;
  query = other.query;
  minor_version = other.minor_version;
  headers = std::move(other.headers);
  body_storage = std::move(other.body_storage);
  body = other.chunked ? std::string_view(body_storage) : other.body;
  keep_alive = other.keep_alive;
  chunked = other.chunked;
  expect_continue = other.expect_continue;
  head_bytes = other.head_bytes;
  return *this;
}

const Header* Request::FindHeader(std::string_view name) const {
  for (const Header& h : headers) {
    if (EqualsNoCase(h.name, name)) return &h;
  }
  return nullptr;
}

std::string_view Request::Find(std::string_view name) const {
  const Header* h = FindHeader(name);
  return h == nullptr ? std::string_view() : h->value;
}

void Request::Clear() {
  method = target = path = query = body = {};
  minor_version = 1;
  headers.clear();
  body_storage.clear();
  keep_alive = true;
  chunked = false;
  expect_continue = false;
  head_bytes = 0;
}

ParseStatus ParseRequest(std::string_view input, const Limits& limits, Request* out,
                         size_t* consumed, size_t* need_hint, ParseError* error) {
  out->Clear();
  *need_hint = 0;
  size_t head_end = 0;
  ParseStatus st = ParseHead(input, limits, out, &head_end, need_hint, error);
  if (st != ParseStatus::kComplete) return st;
  bool has_length = false;
  size_t length = 0;
  st = ApplyHeaders(limits, out, &has_length, &length, error);
  if (st != ParseStatus::kComplete) return st;
  out->head_bytes = head_end;

  std::string_view rest = input.substr(head_end);
  if (out->chunked) {
    size_t wire_bytes = 0, body_bytes = 0, hint = 0;
    st = internal::ScanChunkedBody(rest, limits, &wire_bytes, &body_bytes, &hint, error);
    if (st == ParseStatus::kNeedMore) *need_hint = head_end + hint;
    if (st != ParseStatus::kComplete) return st;
    internal::DecodeChunkedBody(rest.substr(0, wire_bytes), body_bytes, &out->body_storage);
    out->body = out->body_storage;
    *consumed = head_end + wire_bytes;
    return ParseStatus::kComplete;
  }
  if (rest.size() < length) {
    *need_hint = head_end + length;
    return ParseStatus::kNeedMore;
  }
  out->body = rest.substr(0, length);
  *consumed = head_end + length;
  return ParseStatus::kComplete;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

}  // namespace cairn::http
