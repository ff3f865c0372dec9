#pragma once
// A streaming JSON writer (RFC 8259) that appends to a caller-owned string. Commas and the
// colon after a key are written for the caller; strings are escaped so the output is always
// valid JSON whatever bytes they hold.
//
// Owner: one thread at a time; it holds a pointer to the string, which must outlive it.
// Misuse (a value where a key is due, unbalanced End calls, nesting deeper than kMaxDepth) is a
// programmer error caught by assertions.

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::http {

class JsonWriter {
 public:
  // Containers nest at most this deep (the writer keeps one bit per level).
  static constexpr int kMaxDepth = 64;

  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // An object member's name; the next call writes its value.
  void Key(std::string_view key);
  void String(std::string_view s);
  void Int(int64_t v);
  void Uint(uint64_t v);
  void Bool(bool v);
  void Null();
  // Already-valid JSON, inserted verbatim as one value (the caller vouches for it).
  void Raw(std::string_view json);

  // Nesting depth of open containers (0 at the top level).
  int depth() const { return depth_; }

  // Appends `s` as a JSON string literal (quotes included) to `out`: '"', '\' and control
  // characters are escaped (\b \f \n \r \t, others as \u00XX), valid UTF-8 is kept as is, and
  // each byte that is not part of a well-formed UTF-8 sequence (stray continuation bytes,
  // overlong forms, surrogates, code points past U+10FFFF, truncated sequences) becomes
  // \ufffd.
  static void AppendEscaped(std::string_view s, std::string* out);

 private:
  // Writes the comma that separates this value from the previous one, if any.
  void BeforeValue();
  void Open(char c, bool is_object);
  void Close(char c, bool is_object);

  std::string* out_;
  int depth_ = 0;
  uint64_t nonempty_ = 0;   // bit d: the container at depth d+1 has a member already
  uint64_t is_object_ = 0;  // bit d: the container at depth d+1 is an object
  bool after_key_ = false;
};

}  // namespace cairn::http
