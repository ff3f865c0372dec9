#include "schema/version.h"

#include <gtest/gtest.h>

namespace cairn::schema {
namespace {

TEST(SchemaVersionTest, ParsesFullVersions) {
  auto v = ParseVersion("2.10.0");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (SchemaVersion{2, 10, 0}));
  EXPECT_EQ(v->ToString(), "2.10.0");
  EXPECT_TRUE(ParseVersion("0.0.0").ok());
  EXPECT_TRUE(ParseVersion("999999.0.1").ok());
  for (const char* bad : {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.x", "-1.2.3", "1..3", "1.2.3 ",
                          "1000000.0.0", "+1.2.3", "1.2.3-beta"}) {
    auto r = ParseVersion(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalid) << bad;
  }
}

TEST(SchemaVersionTest, SelectorsMatchPrefixes) {
  auto major = ParseSelector("2");
  auto minor = ParseSelector("2.1");
  auto exact = ParseSelector("2.1.0");
  ASSERT_TRUE(major.ok() && minor.ok() && exact.ok());
  EXPECT_TRUE(major->Matches({2, 5, 3}));
  EXPECT_FALSE(major->Matches({3, 0, 0}));
  EXPECT_TRUE(minor->Matches({2, 1, 7}));
  EXPECT_FALSE(minor->Matches({2, 2, 0}));
  EXPECT_TRUE(exact->Matches({2, 1, 0}));
  EXPECT_FALSE(exact->Matches({2, 1, 1}));
  EXPECT_EQ(minor->ToString(), "2.1");
  EXPECT_FALSE(ParseSelector("2.").ok());
  EXPECT_FALSE(ParseSelector("x").ok());
  EXPECT_FALSE(ParseSelector("1.2.3.4").ok());
}

TEST(SchemaVersionTest, TypeRefsSplitAtTheAt) {
  auto plain = ParseTypeRef("OrderPlaced");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->type, "OrderPlaced");
  EXPECT_FALSE(plain->selector.has_value());
  auto v2 = ParseTypeRef("OrderPlaced@2");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->type, "OrderPlaced");
  ASSERT_TRUE(v2->selector.has_value());
  EXPECT_EQ(v2->selector->major, 2u);
  EXPECT_FALSE(v2->selector->minor.has_value());
  auto exact = ParseTypeRef("OrderPlaced@2.1.0");
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->selector->ToString(), "2.1.0");
  EXPECT_FALSE(ParseTypeRef("@2").ok());
  EXPECT_FALSE(ParseTypeRef("OrderPlaced@").ok());
  EXPECT_FALSE(ParseTypeRef("OrderPlaced@two").ok());
  EXPECT_FALSE(ParseTypeRef("OrderPlaced@2@3").ok());
}

}  // namespace
}  // namespace cairn::schema
