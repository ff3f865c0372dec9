#pragma once
// Character classes of RFC 9110/9112 and small ASCII helpers shared by the HTTP parser and the
// URL helpers. Header-only and constexpr: no locale, no allocation.

#include <array>
#include <cstdint>
#include <string_view>

namespace cairn::http {

namespace internal {

constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<uint8_t>(c)] = true;
  return t;
}

inline constexpr std::array<bool, 256> kTokenTable = MakeTokenTable();

}  // namespace internal

// tchar: the bytes of a token (method, header name, transfer coding).
constexpr bool IsTokenChar(char c) { return internal::kTokenTable[static_cast<uint8_t>(c)]; }

constexpr bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// A byte allowed inside a field value: VCHAR, obs-text, SP or HTAB (no CTL, no DEL).
constexpr bool IsFieldValueChar(char c) {
  auto u = static_cast<uint8_t>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

// A byte allowed in a request target: visible ASCII except '#' (a fragment is never sent).
constexpr bool IsTargetChar(char c) {
  auto u = static_cast<uint8_t>(c);
  return u > 0x20 && u < 0x7f && u != '#';
}

constexpr bool IsOws(char c) { return c == ' ' || c == '\t'; }

constexpr char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

constexpr bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// The value of a hex digit, or -1.
constexpr int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace cairn::http
