#include "base/names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn {
namespace {

TEST(StreamName, SplitsOrgTypeAndId) {
  auto n = ParseStreamName("acme/order/42");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->org, "acme");
  EXPECT_EQ(n->type, "order");
  EXPECT_EQ(n->id, "42");
  EXPECT_EQ(n->org_type, "acme/order");
  // Everything after the second '/' is the id, slashes included.
  auto s = ParseStreamName("a.b-c_D/t/x/y/z");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->org, "a.b-c_D");
  EXPECT_EQ(s->id, "x/y/z");
  // The id may hold any byte but NUL, CR and LF.
  std::string odd = "o/t/";
  odd += "\x01\xff \t/\"'";
  EXPECT_TRUE(ParseStreamName(odd).ok());
}

TEST(StreamName, RefusesBrokenNames) {
  const std::vector<std::string> bads = {"",
                                         "acme",
                                         "acme/order",
                                         "acme/order/",
                                         "/order/1",
                                         "acme//1",
                                         "ac me/order/1",
                                         "acme/or:der/1",
                                         "acme/order/1\n",
                                         "acme/order/a\rb",
                                         std::string("acme/order/a\0b", 14),
                                         "é/order/1"};
  for (const std::string& bad : bads) {
    auto n = ParseStreamName(bad);
    EXPECT_FALSE(n.ok()) << bad;
    if (!n.ok()) {
      EXPECT_EQ(n.status().code(), StatusCode::kInvalid);
    }
  }
}

TEST(StreamName, LengthLimitsOnBothSides) {
  const std::string org64(64, 'o'), type64(64, 't'), id256(256, 'i');
  EXPECT_TRUE(ParseStreamName(org64 + "/" + type64 + "/" + id256).ok());
  EXPECT_FALSE(ParseStreamName(org64 + "o/t/1").ok());
  EXPECT_FALSE(ParseStreamName("o/" + type64 + "t/1").ok());
  EXPECT_FALSE(ParseStreamName("o/t/" + id256 + "i").ok());
}

TEST(Names, EventTypesOrgsTypesAndKeys) {
  EXPECT_TRUE(ValidateEventType("OrderPlaced").ok());
  EXPECT_TRUE(ValidateEventType("v1:Order.Placed-x_y").ok());
  EXPECT_TRUE(ValidateEventType(std::string(128, 'e')).ok());
  EXPECT_FALSE(ValidateEventType(std::string(129, 'e')).ok());
  EXPECT_FALSE(ValidateEventType("").ok());
  EXPECT_FALSE(ValidateEventType("Order Placed").ok());
  EXPECT_FALSE(ValidateEventType("Order/Placed").ok());
  EXPECT_TRUE(ValidateOrg("a").ok());
  EXPECT_FALSE(ValidateOrg("a:b").ok());  // ':' is for event types only
  EXPECT_TRUE(ValidateStreamType(std::string(64, 't')).ok());
  EXPECT_FALSE(ValidateStreamType(std::string(65, 't')).ok());
  EXPECT_TRUE(ValidateIdempotencyKey("k").ok());
  EXPECT_TRUE(ValidateIdempotencyKey(std::string(128, '\0')).ok());  // any bytes
  EXPECT_FALSE(ValidateIdempotencyKey("").ok());
  EXPECT_FALSE(ValidateIdempotencyKey(std::string(129, 'k')).ok());
}

}  // namespace
}  // namespace cairn
