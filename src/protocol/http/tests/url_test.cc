#include "protocol/http/url.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cairn::http {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(PercentDecode("a%2Fb%2fc", false), "a/b/c");
  EXPECT_EQ(PercentDecode("%41%62%7E", false), "Ab~");
  EXPECT_EQ(PercentDecode("", false), "");
  EXPECT_EQ(PercentDecode("plain", false), "plain");
  EXPECT_EQ(PercentDecode("%25", false), "%");
  EXPECT_EQ(PercentDecode("%2525", false), "%25");  // decoded once, not twice
  EXPECT_EQ(PercentDecode("%C3%A9", false), "\xc3\xa9");
  EXPECT_EQ(PercentDecode("%00", false), std::string(1, '\0'));
  EXPECT_EQ(PercentDecode("%ff", false), "\xff");
}

TEST(PercentDecode, PlusIsASpaceOnlyWhenAsked) {
  EXPECT_EQ(PercentDecode("a+b%2B", true), "a b+");
  EXPECT_EQ(PercentDecode("a+b%2B", false), "a+b+");
}

TEST(PercentDecode, RefusesBadEscapes) {
  for (const char* bad : {"%", "%2", "a%", "a%2", "%g0", "%0g", "%%", "%-1", "% 1", "ab%2x"}) {
    EXPECT_FALSE(PercentDecode(bad, false).has_value()) << bad;
  }
}

TEST(ParseQuery, SplitsPairs) {
  EXPECT_EQ(ParseQuery("a=b&c=d"), (Pairs{{"a", "b"}, {"c", "d"}}));
  EXPECT_EQ(ParseQuery(""), Pairs{});
  EXPECT_EQ(ParseQuery("flag&x="), (Pairs{{"flag", ""}, {"x", ""}}));
  EXPECT_EQ(ParseQuery("a=1&&b=2&"), (Pairs{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(ParseQuery("a=1&a=2"), (Pairs{{"a", "1"}, {"a", "2"}}));
  EXPECT_EQ(ParseQuery("e=x=y"), (Pairs{{"e", "x=y"}}));
  EXPECT_EQ(ParseQuery("=v"), (Pairs{{"", "v"}}));
  EXPECT_EQ(ParseQuery("types=a%2Cb&scope=acme%2Forder&q=a+b"),
            (Pairs{{"types", "a,b"}, {"scope", "acme/order"}, {"q", "a b"}}));
  EXPECT_EQ(ParseQuery("k%3D=v%26"), (Pairs{{"k=", "v&"}}));
}

TEST(ParseQuery, RefusesBadEscapes) {
  EXPECT_FALSE(ParseQuery("a=%zz").has_value());
  EXPECT_FALSE(ParseQuery("ok=1&%=x").has_value());
  EXPECT_FALSE(ParseQuery("a=1&b=%4").has_value());
}

TEST(SplitPath, KeepsSegmentsEncoded) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(SplitPath("/v1/streams/acme/order/a%2Fb"),
            (V{"v1", "streams", "acme", "order", "a%2Fb"}));
  EXPECT_EQ(SplitPath("/"), V{});
  EXPECT_EQ(SplitPath(""), V{});
  EXPECT_EQ(SplitPath("/health"), V{"health"});
  EXPECT_EQ(SplitPath("/v1/"), (V{"v1", ""}));
  EXPECT_EQ(SplitPath("/a//b/"), (V{"a", "", "b", ""}));
  EXPECT_EQ(SplitPath("//"), (V{"", ""}));
  EXPECT_EQ(SplitPath("*"), V{"*"});
}

}  // namespace
}  // namespace cairn::http
