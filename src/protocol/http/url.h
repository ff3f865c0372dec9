#pragma once
// Request-target helpers: percent-decoding (RFC 3986), query strings
// (application/x-www-form-urlencoded) and path segments. Pure functions, safe on any input.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::http {

// Decodes %XX escapes (either hex case); '+' becomes ' ' when plus_is_space (query strings).
// nullopt when a '%' is not followed by two hex digits. Decoded bytes may be anything,
// including NUL and invalid UTF-8: the caller validates what it needs (names, UTF-8).
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// Splits "a=b&c=d" into decoded pairs in order ('+' is a space). A key without '=' gets an
// empty value; empty pieces ("a=1&&b=2", a trailing '&') are skipped; repeated keys are kept.
// nullopt when any key or value has a bad escape.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

// The segments of a path, still percent-encoded, without the leading '/': "/v1/a%2Fb" ->
// {"v1", "a%2Fb"}. Empty segments are kept ("/a//b/" -> {"a", "", "b", ""}), except that
// "/" and "" have no segments. The views point into `path`.
std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace cairn::http
