#include "protocol/http/json_writer.h"

#include <charconv>

#include "base/assert.h"

namespace cairn::http {

namespace {

// The length of the well-formed UTF-8 sequence at s[i...] (RFC 3629 table 3), or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t b0 = byte(0);
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xbf;  // the range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 == 0xe0) lo = 0xa0;  // no overlong forms
    if (b0 == 0xed) hi = 0x9f;  // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 == 0xf0) lo = 0x90;  // no overlong forms
    if (b0 == 0xf4) hi = 0x8f;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xbf) return 0;
  }
  return n;
}

}  // namespace

void JsonWriter::AppendEscaped(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes copied verbatim
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n > 0) {
        i += n;
        continue;
      }
    }
    out->append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
          out->append(esc, sizeof(esc));
        } else {
          out->append("\\ufffd");
        }
    }
    run = ++i;
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  CAIRN_ASSERT_MSG((is_object_ & bit) == 0, "JsonWriter: object member without a key");
  if (nonempty_ & bit) out_->push_back(',');
  nonempty_ |= bit;
}

void JsonWriter::Open(char c, bool is_object) {
  BeforeValue();
  CAIRN_ASSERT_MSG(depth_ < kMaxDepth, "JsonWriter: nesting too deep");
  const uint64_t bit = uint64_t{1} << depth_;
  nonempty_ &= ~bit;
  if (is_object) {
    is_object_ |= bit;
  } else {
    is_object_ &= ~bit;
  }
  ++depth_;
  out_->push_back(c);
}

void JsonWriter::Close(char c, bool is_object) {
  CAIRN_ASSERT_MSG(depth_ > 0 && !after_key_, "JsonWriter: unbalanced End or key without value");
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  CAIRN_ASSERT_MSG(((is_object_ & bit) != 0) == is_object, "JsonWriter: mismatched End");
  --depth_;
  out_->push_back(c);
}

void JsonWriter::BeginObject() { Open('{', true); }
void JsonWriter::EndObject() { Close('}', true); }
void JsonWriter::BeginArray() { Open('[', false); }
void JsonWriter::EndArray() { Close(']', false); }

void JsonWriter::Key(std::string_view key) {
  CAIRN_ASSERT_MSG(depth_ > 0 && !after_key_, "JsonWriter: key outside an object");
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  CAIRN_ASSERT_MSG((is_object_ & bit) != 0, "JsonWriter: key inside an array");
  if (nonempty_ & bit) out_->push_back(',');
  nonempty_ |= bit;
  AppendEscaped(key, out_);
  out_->push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendEscaped(s, out_);
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_->append(buf, r.ptr);
}

void JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_->append(buf, r.ptr);
}

void JsonWriter::Bool(bool v) {
  BeforeValue();
  out_->append(v ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_->append("null");
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_->append(json);
}

}  // namespace cairn::http
