#pragma once
// Encodings of the HTTP JSON API: base64 for bytes that are not JSON (`data_base64`), RFC 3339
// timestamps, and the checks that decide whether event data can be inlined as JSON.
// Pure functions, safe on any input.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::http {

// Standard base64 (RFC 4648 section 4, '+' and '/') with '=' padding.
std::string Base64Encode(std::string_view bytes);

// Decodes standard base64. Padding is tolerated, not required: "QQ==" and "QQ" both decode to
// "A", but padding that is present must be complete and last. Refused (nullopt): characters
// outside the alphabet (whitespace and the URL-safe '-' '_' included), a length that is 1 mod
// 4 once padding is removed, and non-zero bits left over in the last character (so each byte
// string has one accepted encoding per padding style).
std::optional<std::string> Base64Decode(std::string_view text);

// "2026-11-25T12:00:00.123Z": UTC, exactly three fractional digits. Years past 9999 (beyond
// RFC 3339) are written with as many digits as they need.
std::string FormatRfc3339Ms(uint64_t unix_ms);

// Whether `bytes` is exactly one JSON value (RFC 8259: object, array, string, number, true,
// false or null), with optional surrounding whitespace, in valid UTF-8. Validated by simdjson,
// which also refuses numbers that do not fit a double (1e400) and nesting past 1024 levels.
bool IsValidJson(std::string_view bytes);

bool IsValidUtf8(std::string_view bytes);

}  // namespace cairn::http
