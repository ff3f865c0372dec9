#include "protocol/http/encoding.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace cairn::http {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(Base64Decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(Base64Decode("+/+/"), "\xfb\xff\xbf");
  EXPECT_EQ(Base64Decode(""), "");
}

TEST(Base64, PaddingIsTolerated) {
  EXPECT_EQ(Base64Decode("Zg"), "f");
  EXPECT_EQ(Base64Decode("Zm8"), "fo");
  EXPECT_EQ(Base64Decode("Zm9vYmE"), "fooba");
}

TEST(Base64, RefusesMalformedText) {
  for (const char* bad : {"Z", "Zg=", "Zg===", "Z===", "====", "=", "Zm9v=", "Zg==Zg==", "Zm 9v",
                          "Zm9v\n", "-_-_", "Zh==", "Zm9=", "Zm8=a", "Zm\x80v"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

TEST(Base64, RoundTripsRandomBytes) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 64, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    std::string enc = Base64Encode(s);
    EXPECT_EQ(enc.size() % 4, 0u);
    EXPECT_EQ(Base64Decode(enc), s);
    while (!enc.empty() && enc.back() == '=') enc.pop_back();
    EXPECT_EQ(Base64Decode(enc), s);
  }
}

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(1), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(FormatRfc3339Ms(86399999), "1970-01-01T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Ms(1795608000123), "2026-11-25T12:00:00.123Z");
  EXPECT_EQ(FormatRfc3339Ms(951782400000), "2000-02-29T00:00:00.000Z");  // 2000 is leap
  EXPECT_EQ(FormatRfc3339Ms(1709164800000), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(1709251199999), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Ms(1709251200000), "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(1735689599999), "2024-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Ms(4107456000000), "2100-02-28T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(4107542400000), "2100-03-01T00:00:00.000Z");  // 2100 is not leap
  EXPECT_EQ(FormatRfc3339Ms(4102444800000), "2100-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Ms(253402300800000), "10000-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(UINT64_MAX).size(), 29u);  // no overflow at the far end
  EXPECT_EQ(FormatRfc3339Ms(UINT64_MAX).substr(0, 4), "5845");
}

TEST(Rfc3339, EveryDayOfFourCenturiesIsConsistent) {
  // Walk day by day from 1970 to 2370 and check the date advances like a calendar.
  int y = 1970, m = 1, d = 1;
  auto leap = [](int yr) { return (yr % 4 == 0 && yr % 100 != 0) || yr % 400 == 0; };
  const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (uint64_t day = 0; day < 146097; ++day) {
    char want[64];
    std::snprintf(want, sizeof(want), "%04d-%02d-%02dT00:00:00.000Z", y, m, d);
    ASSERT_EQ(FormatRfc3339Ms(day * 86400000), want);
    int len = kDays[m - 1] + (m == 2 && leap(y) ? 1 : 0);
    if (++d > len) {
      d = 1;
      if (++m > 12) {
        m = 1;
        ++y;
      }
    }
  }
}

TEST(IsValidJson, AcceptsEveryKindOfValue) {
  for (const char* ok : {"{}", "[]", "{\"a\":[1,2.5,-3e2,true,false,null]}", "\"text\"", "0",
                         "-1.5e10", "true", "false", "null", " \n\t[1] \r\n", "\"caf\xc3\xa9\"",
                         "\"\\u00e9\\ud83d\\ude00\"", "18446744073709551615"}) {
    EXPECT_TRUE(IsValidJson(ok)) << ok;
  }
}

TEST(IsValidJson, RefusesEverythingElse) {
  for (const char* bad : {"",    " ",   "{",       "[1,]", "{\"a\":}", "{a:1}",    "'x'",
                          "tru", "nul", "[1] [2]", "1 2",  "{} x",     "\"\xff\"", "\"a\nb\"",
                          "01",  "+1",  ".5",      "NaN",  "[1e400]",  "\"\\x\""}) {
    EXPECT_FALSE(IsValidJson(bad)) << bad;
  }
  EXPECT_FALSE(IsValidJson(std::string("[1]\0", 4)));
  EXPECT_FALSE(IsValidJson(std::string(2000, '[') + std::string(2000, ']')));
}

TEST(IsValidJson, LargeDocuments) {
  std::string big = "[";
  for (int i = 0; i < 300000; ++i) big += "\"element\",";
  big += "1]";
  ASSERT_GT(big.size(), size_t{1} << 20);
  EXPECT_TRUE(IsValidJson(big));
  big.back() = ',';
  EXPECT_FALSE(IsValidJson(big));
}

TEST(IsValidUtf8, Basics) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii \xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
}

}  // namespace
}  // namespace cairn::http
