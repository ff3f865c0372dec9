#pragma once
// An incremental HTTP/1.1 request parser (RFC 9112), pure and safe on any input: it reads one
// request at the start of a buffer and either finishes it, asks for more bytes, or refuses it
// with the status code the server should answer before closing the connection.
//
// Strictness, chosen so that a request can never mean two things (request smuggling):
// - Lines end in CRLF. A bare LF or a bare CR anywhere in the head is 400; so are NUL and other
//   control bytes (HTAB excepted in field values), obs-fold (a line starting with SP/HTAB),
//   whitespace between a field name and its colon, and a missing or repeated Host in 1.1.
// - Empty lines before the request line are skipped (RFC 9112 section 2.2); they count
//   towards max_header_bytes.
// - Content-Length is 1*DIGIT; a second Content-Length field (even with the same value), a
//   list value, or Content-Length together with Transfer-Encoding is 400.
// - Transfer-Encoding must be exactly "chunked" (any case): any other coding is 501, a second
//   Transfer-Encoding field is 400, Transfer-Encoding in an HTTP/1.0 request is 400.
// - The target is origin-form ("/path?query", visible ASCII without '#') or "*" for OPTIONS.
// - "HTTP/1.0" and "HTTP/1.1" are served; "HTTP/1.x" with x > 1 is read as 1.1 (RFC 9110
//   section 2.5); any other well-formed version is 505.
// - Expect: 100-continue sets expect_continue (1.1 only); other expectations are ignored.
//
// Chunked bodies: chunk extensions (after ';') and trailer fields are checked for syntax and
// dropped. A chunk size line is at most kMaxChunkLineBytes, trailers at most max_header_bytes,
// and the framing (size lines, CRLFs, trailers) may not exceed max_header_bytes plus the
// decoded size (413 otherwise), which bounds the bytes read for a body of max_body_bytes.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::http {

// A chunk size line (hex size and extensions) longer than this is 400.
inline constexpr size_t kMaxChunkLineBytes = 1024;
// A method longer than this is 400 (the longest registered method has 17 letters).
inline constexpr size_t kMaxMethodBytes = 32;

struct Limits {
  size_t max_header_bytes = 16 << 10;                 // request line through the blank line (431)
  size_t max_headers = 100;                           // header fields (431)
  size_t max_body_bytes = (16u << 20) + (64u << 10);  // decoded body (413)
  size_t max_target_bytes = 8 << 10;                  // request target (414)
};

struct Header {
  std::string_view name;   // as sent (compare with EqualsNoCase)
  std::string_view value;  // trimmed of OWS
};

// One parsed request. The string views point into the buffer given to ParseRequest, except
// `body` of a chunked request, which points into `body_storage`; copying or moving a Request
// rebinds that view, so only the parse buffer must outlive it.
struct Request {
  std::string_view method, target;  // target raw
  std::string_view path;            // before '?', still percent-encoded
  std::string_view query;           // after '?', raw ("" when none)
  int minor_version = 1;            // HTTP/1.0 or 1.1
  std::vector<Header> headers;
  std::string_view body;  // Content-Length body (view into the input) or decoded chunked body
  std::string body_storage;
  bool keep_alive = true;  // 1.1 default on unless "Connection: close"; 1.0 default off
  bool chunked = false;
  bool expect_continue = false;
  // Length of the head (request line through the blank line), 0 until it is parsed. Set on
  // kNeedMore too once the head is complete and only the body is missing: the head's fields
  // are then valid, so the caller can answer "100 Continue" (expect_continue) or refuse early.
  size_t head_bytes = 0;

  Request() = default;
  Request(const Request& other) { *this = other; }
  Request(Request&& other) noexcept { *this = std::move(other); }
  Request& operator=(const Request& other);
  Request& operator=(Request&& other) noexcept;

  // Case-insensitive header lookup: the first field named `name`, "" if absent.
  std::string_view Find(std::string_view name) const;
  // The first field named `name`, or nullptr (tells an absent field from an empty one).
  const Header* FindHeader(std::string_view name) const;
  // Empties every field, keeping the capacity of `headers` and `body_storage`.
  void Clear();
};

// 400 bad syntax, 413 body too large, 414 target too long, 431 headers too large,
// 501 unsupported transfer-encoding, 505 bad version.
struct ParseError {
  int status = 400;
  std::string message;
};

enum class ParseStatus { kComplete, kNeedMore, kError };

// Parses one request at the start of `input`.
// kComplete: *out holds it and *consumed is its length in bytes (pipelined requests follow).
// kNeedMore: *need_hint is a lower bound of the total input length needed (0 if unknown), so
//   the caller need not call again before it has that many bytes. If out->head_bytes > 0 the
//   head is complete and valid and only the body is missing; otherwise *out is unspecified.
// kError: *error says why; the caller answers error->status and closes the connection.
// Work per call is linear in the bytes it looks at, which the limits bound.
ParseStatus ParseRequest(std::string_view input, const Limits& limits, Request* out,
                         size_t* consumed, size_t* need_hint, ParseError* error);

// The reason phrase of a status code ("Bad Request" for 400), "" for codes it does not know.
// Knows every code this library produces and the common ones a server answers.
std::string_view ReasonPhrase(int status);

}  // namespace cairn::http
