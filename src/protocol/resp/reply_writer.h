#pragma once
// Writes RESP replies into a caller-owned buffer, in RESP3 or (for clients that did not say
// HELLO 3) RESP2 shapes: maps become flat arrays, booleans integers, nulls null bulks.
//
// Owner: whoever owns the buffer (a connection's reactor thread, or a read-pool thread that
// formats a reply before handing it back). Not thread-safe; cheap to construct.

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::resp {

class ReplyWriter {
 public:
  ReplyWriter(std::string* out, int protocol) : out_(out), resp3_(protocol >= 3) {}

  bool resp3() const { return resp3_; }
  void Simple(std::string_view s);                              // +s (CR and LF replaced by spaces)
  void Error(std::string_view code, std::string_view message);  // -CODE message
  void Int(int64_t v);
  void Bulk(std::string_view s);
  void Null();
  void Bool(bool b);
  void Array(size_t n);
  void Map(size_t n);  // n key/value pairs follow
  void Set(size_t n);
  void Push(size_t n);
  // A text reply that RESP3 marks as verbatim (INFO); a bulk in RESP2.
  void Verbatim(std::string_view text);

  // Map helpers: a key then a value.
  void KeyInt(std::string_view k, int64_t v) {
    Bulk(k);
    Int(v);
  }
  void KeyBulk(std::string_view k, std::string_view v) {
    Bulk(k);
    Bulk(v);
  }
  void KeyBool(std::string_view k, bool v) {
    Bulk(k);
    Bool(v);
  }

 private:
  void Header(char type, uint64_t n);

  std::string* out_;
  bool resp3_;
};

}  // namespace cairn::resp
