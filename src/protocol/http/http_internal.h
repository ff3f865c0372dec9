#pragma once
// Pieces of the request parser shared between its files; not part of the library's interface.

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/http/http_parser.h"

namespace cairn::http::internal {

// Parses one field line (without its CRLF): a token name, ':', a value trimmed of OWS.
bool ParseFieldLine(std::string_view line, Header* out, ParseError* error);

// Checks the chunked body at the start of `wire` (the bytes after the head).
// kComplete: *wire_bytes is its encoded length (through the trailers' blank line) and
//   *body_bytes its decoded length. kNeedMore: *need_hint is a lower bound of the length of
//   `wire` needed. kError: *error is set.
ParseStatus ScanChunkedBody(std::string_view wire, const Limits& limits, size_t* wire_bytes,
                            size_t* body_bytes, size_t* need_hint, ParseError* error);

// Decodes a chunked body that ScanChunkedBody accepted into `out` (replacing its contents).
void DecodeChunkedBody(std::string_view wire, size_t body_bytes, std::string* out);

}  // namespace cairn::http::internal
