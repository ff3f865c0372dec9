#pragma once
// Shared pieces of the HTTP integration tests: JSON access (simdjson) that reports a
// failure, instead of throwing, when a field is missing or has another type.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "http_client.h"

namespace cairn::testing {

using simdjson::dom::element;

// A parsed JSON document; elements stay valid while it lives.
class Json {
 public:
  explicit Json(const std::string& text) : parser_(std::make_unique<simdjson::dom::parser>()) {
    auto err = parser_->parse(text).get(root_);
    ok_ = !err;
    EXPECT_TRUE(ok_) << "not JSON: " << text.substr(0, 300);
  }
  bool ok() const { return ok_; }
  element root() const { return root_; }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  element root_;
  bool ok_ = false;
};

inline std::string Render(element e) { return simdjson::minify(e); }

inline bool Has(element obj, std::string_view key) {
  element v;
  return obj.type() == simdjson::dom::element_type::OBJECT && !obj.at_key(key).get(v);
}

inline element At(element obj, std::string_view key) {
  element v;
  if (obj.type() != simdjson::dom::element_type::OBJECT || obj.at_key(key).get(v)) {
    ADD_FAILURE() << "no field '" << key << "' in " << Render(obj).substr(0, 300);
  }
  return v;
}

inline std::string JStr(element obj, std::string_view key) {
  std::string_view s;
  element v = At(obj, key);
  if (v.get_string().get(s)) {
    ADD_FAILURE() << key << " is not a string in " << Render(obj).substr(0, 300);
    return "";
  }
  return std::string(s);
}

inline int64_t JInt(element obj, std::string_view key) {
  int64_t i = -1;
  element v = At(obj, key);
  if (v.get_int64().get(i)) ADD_FAILURE() << key << " is not an integer in " << Render(obj);
  return i;
}

inline bool JBool(element obj, std::string_view key) {
  bool b = false;
  element v = At(obj, key);
  if (v.get_bool().get(b)) ADD_FAILURE() << key << " is not a boolean in " << Render(obj);
  return b;
}

inline bool JNull(element obj, std::string_view key) { return At(obj, key).is_null(); }

inline std::vector<element> JArray(element e) {
  std::vector<element> out;
  simdjson::dom::array a;
  if (e.get_array().get(a)) {
    ADD_FAILURE() << "not an array: " << Render(e).substr(0, 300);
    return out;
  }
  for (element x : a) out.push_back(x);
  return out;
}

inline std::vector<std::string> JKeys(element obj) {
  std::vector<std::string> keys;
  simdjson::dom::object o;
  if (obj.get_object().get(o)) return keys;
  for (auto field : o) keys.emplace_back(field.key);
  return keys;
}

inline std::vector<int64_t> JVersions(element read) {
  std::vector<int64_t> out;
  for (element e : JArray(At(read, "events"))) out.push_back(JInt(e, "version"));
  return out;
}

inline std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kAlphabet[(v >> k) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

inline bool IsRfc3339Ms(const std::string& s) {
  static const std::regex kRe(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return std::regex_match(s, kRe);
}

// Checks an error response: status, JSON {"error": code, "message": ...}.
inline void ExpectError(const HttpResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  Json j(r.body);
  if (!j.ok()) return;
  EXPECT_EQ(JStr(j.root(), "error"), code) << r.body;
  EXPECT_FALSE(JStr(j.root(), "message").empty()) << r.body;
}

}  // namespace cairn::testing
