#pragma once
// A parsed RESP reply (RESP2 or RESP3), as the client library hands it out.
//
// A plain value type: owned by whoever holds it, no shared state, safe to move between
// threads. Attributes (RESP3 `|`) never appear here: the parser drops them.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::client {

enum class RespType : uint8_t {
  kSimpleString,  // +
  kError,         // - and ! (blob error)
  kInteger,       // :
  kBulkString,    // $
  kNull,          // _ and the RESP2 nulls $-1 and *-1
  kBoolean,       // #
  kDouble,        // ,
  kBigNumber,     // ( (digits kept as text)
  kVerbatim,      // = (format in verbatim_format, text in str)
  kArray,         // *
  kMap,           // % (elements hold key, value, key, value, ...)
  kSet,           // ~
  kPush,          // >
};

std::string_view RespTypeName(RespType t);

struct RespValue {
  RespType type = RespType::kNull;
  int64_t integer = 0;  // kInteger; kBoolean as 0 or 1
  double number = 0;    // kDouble
  // kSimpleString, kError (the whole line: "CODE message"), kBulkString, kBigNumber,
  // kVerbatim (without the "txt:" prefix).
  std::string str;
  std::array<char, 3> verbatim_format{};  // kVerbatim: e.g. "txt"
  // kArray, kSet, kPush: the elements; kMap: keys and values alternating.
  std::vector<RespValue> elements;

  bool IsNull() const { return type == RespType::kNull; }
  bool IsError() const { return type == RespType::kError; }
  // Simple, bulk or verbatim string.
  bool IsString() const {
    return type == RespType::kSimpleString || type == RespType::kBulkString ||
           type == RespType::kVerbatim;
  }
  bool IsAggregate() const {
    return type == RespType::kArray || type == RespType::kMap || type == RespType::kSet ||
           type == RespType::kPush;
  }

  // Looks a key up in a map; a RESP2 server sends maps as flat arrays of key, value pairs,
  // which are searched the same way. Keys compare as strings. nullptr when absent or when
  // this value is not a map-like aggregate.
  const RespValue* Find(std::string_view key) const;

  // A compact, single-line rendering for logs and test failures (strings quoted, bytes
  // escaped); output is capped at max_bytes.
  std::string DebugString(size_t max_bytes = 4096) const;

  static RespValue Simple(std::string s);
  static RespValue Bulk(std::string s);
  static RespValue Integer(int64_t v);
  static RespValue Error(std::string line);
  static RespValue Null() { return RespValue{}; }
};

bool operator==(const RespValue& a, const RespValue& b);

}  // namespace cairn::client
