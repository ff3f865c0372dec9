#include "protocol/http/json_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "protocol/http/encoding.h"

namespace cairn::http {
namespace {

std::string Escaped(std::string_view s) {
  std::string out;
  JsonWriter::AppendEscaped(s, &out);
  return out;
}

TEST(JsonWriter, WritesNestedValuesWithCommas) {
  std::string out = "prefix:";
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("stream");
  w.String("acme/order/1");
  w.Key("version");
  w.Uint(18446744073709551615ull);
  w.Key("delta");
  w.Int(std::numeric_limits<int64_t>::min());
  w.Key("ok");
  w.Bool(true);
  w.Key("no");
  w.Bool(false);
  w.Key("next");
  w.Null();
  w.Key("events");
  w.BeginArray();
  w.BeginObject();
  w.Key("data");
  w.Raw("{\"a\": [1, 2]}");
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.BeginObject();
  w.EndObject();
  w.Int(0);
  w.String("");
  w.EndArray();
  w.Key("empty");
  w.BeginArray();
  w.EndArray();
  w.EndObject();
  EXPECT_EQ(w.depth(), 0);
  EXPECT_EQ(out,
            "prefix:{\"stream\":\"acme/order/1\",\"version\":18446744073709551615,"
            "\"delta\":-9223372036854775808,\"ok\":true,\"no\":false,\"next\":null,"
            "\"events\":[{\"data\":{\"a\": [1, 2]}},[],{},0,\"\"],\"empty\":[]}");
  EXPECT_TRUE(IsValidJson(std::string_view(out).substr(7)));
}

TEST(JsonWriter, TopLevelScalar) {
  std::string out;
  JsonWriter w(&out);
  w.String("x");
  EXPECT_EQ(out, "\"x\"");
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(Escaped("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(Escaped("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(Escaped(std::string("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(Escaped(""), "\"\"");
}

TEST(JsonWriter, KeepsValidUtf8) {
  const std::string s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf";
  EXPECT_EQ(Escaped(s), "\"" + s + "\"");
}

TEST(JsonWriter, ReplacesEachInvalidUtf8Byte) {
  const std::string r = "\\ufffd";
  EXPECT_EQ(Escaped("\xff"), "\"" + r + "\"");
  EXPECT_EQ(Escaped("a\x80z"), "\"a" + r + "z\"");                      // stray continuation
  EXPECT_EQ(Escaped("\xc0\xaf"), "\"" + r + r + "\"");                  // overlong '/'
  EXPECT_EQ(Escaped("\xe0\x80\xaf"), "\"" + r + r + r + "\"");          // overlong
  EXPECT_EQ(Escaped("\xed\xa0\x80"), "\"" + r + r + r + "\"");          // surrogate
  EXPECT_EQ(Escaped("\xf4\x90\x80\x80"), "\"" + r + r + r + r + "\"");  // past U+10FFFF
  EXPECT_EQ(Escaped("\xf5\x80\x80\x80"), "\"" + r + r + r + r + "\"");  // past U+10FFFF
  EXPECT_EQ(Escaped("\xe2\x82"), "\"" + r + r + "\"");                  // truncated at end
  EXPECT_EQ(Escaped("\xe2\x82x"), "\"" + r + r + "x\"");                // truncated inside
  EXPECT_EQ(Escaped("\xc3\xa9\xc3"), "\"\xc3\xa9" + r + "\"");
}

TEST(JsonWriter, AnyBytesGiveValidJson) {
  std::mt19937 rng(99);
  for (int i = 0; i < 5000; ++i) {
    std::string s(rng() % 24, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    std::string out;
    JsonWriter w(&out);
    w.BeginObject();
    w.Key(s);
    w.String(s);
    w.EndObject();
    ASSERT_TRUE(IsValidJson(out)) << out;
    ASSERT_TRUE(IsValidUtf8(out));
  }
}

TEST(JsonWriterDeathTest, MisuseIsAProgrammerError) {
  EXPECT_DEATH(
      {
        std::string out;
        JsonWriter w(&out);
        w.BeginObject();
        w.String("value without key");
      },
      "without a key");
  EXPECT_DEATH(
      {
        std::string out;
        JsonWriter w(&out);
        w.BeginArray();
        w.EndObject();
      },
      "mismatched");
}

}  // namespace
}  // namespace cairn::http
