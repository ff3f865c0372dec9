#include "cairn/resp_value.h"

#include <cmath>
#include <cstdio>

namespace cairn::client {

std::string_view RespTypeName(RespType t) {
  switch (t) {
    case RespType::kSimpleString:
      return "simple-string";
    case RespType::kError:
      return "error";
    case RespType::kInteger:
      return "integer";
    case RespType::kBulkString:
      return "bulk-string";
    case RespType::kNull:
      return "null";
    case RespType::kBoolean:
      return "boolean";
    case RespType::kDouble:
      return "double";
    case RespType::kBigNumber:
      return "big-number";
    case RespType::kVerbatim:
      return "verbatim-string";
    case RespType::kArray:
      return "array";
    case RespType::kMap:
      return "map";
    case RespType::kSet:
      return "set";
    case RespType::kPush:
      return "push";
  }
  return "unknown";
}

const RespValue* RespValue::Find(std::string_view key) const {
  const bool map_like =
      type == RespType::kMap || (type == RespType::kArray && elements.size() % 2 == 0);
  if (!map_like) return nullptr;
  for (size_t i = 0; i + 1 < elements.size(); i += 2) {
    if (elements[i].IsString() && elements[i].str == key) return &elements[i + 1];
  }
  return nullptr;
}

RespValue RespValue::Simple(std::string s) {
  RespValue v;
  v.type = RespType::kSimpleString;
  v.str = std::move(s);
  return v;
}

RespValue RespValue::Bulk(std::string s) {
  RespValue v;
  v.type = RespType::kBulkString;
  v.str = std::move(s);
  return v;
}

RespValue RespValue::Integer(int64_t i) {
  RespValue v;
  v.type = RespType::kInteger;
  v.integer = i;
  return v;
}

RespValue RespValue::Error(std::string line) {
  RespValue v;
  v.type = RespType::kError;
  v.str = std::move(line);
  return v;
}

namespace {

void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7f) {
      out->push_back(static_cast<char>(c));
    } else {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02x", c);
      out->append(b);
    }
  }
  out->push_back('"');
}

void Render(const RespValue& v, size_t max_bytes, std::string* out) {
  if (out->size() >= max_bytes) return;
  switch (v.type) {
    case RespType::kSimpleString:
    case RespType::kBulkString:
    case RespType::kVerbatim:
      AppendQuoted(v.str, out);
      return;
    case RespType::kError:
      out->append("(error ");
      AppendQuoted(v.str, out);
      out->push_back(')');
      return;
    case RespType::kInteger:
      out->append(std::to_string(v.integer));
      return;
    case RespType::kBigNumber:
      out->append("(big ").append(v.str).push_back(')');
      return;
    case RespType::kNull:
      out->append("null");
      return;
    case RespType::kBoolean:
      out->append(v.integer ? "true" : "false");
      return;
    case RespType::kDouble: {
      char b[40];
      std::snprintf(b, sizeof(b), "%.17g", v.number);
      out->append(b);
      return;
    }
    default:
      break;
  }
  const bool map = v.type == RespType::kMap;
  out->append(v.type == RespType::kPush ? ">[" : v.type == RespType::kSet ? "~[" : map ? "{" : "[");
  for (size_t i = 0; i < v.elements.size(); ++i) {
    if (out->size() >= max_bytes) break;
    if (i > 0) out->append(map && i % 2 == 1 ? ": " : ", ");
    Render(v.elements[i], max_bytes, out);
  }
  out->append(map ? "}" : "]");
}

}  // namespace

std::string RespValue::DebugString(size_t max_bytes) const {
  std::string out;
  Render(*this, max_bytes, &out);
  if (out.size() > max_bytes) {
    out.resize(max_bytes);
    out.append("...");
  }
  return out;
}

bool operator==(const RespValue& a, const RespValue& b) {
  if (a.type != b.type || a.integer != b.integer || a.str != b.str ||
      a.verbatim_format != b.verbatim_format || a.elements != b.elements) {
    return false;
  }
  return a.number == b.number || (std::isnan(a.number) && std::isnan(b.number));
}

}  // namespace cairn::client
