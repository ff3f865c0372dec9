#include "base/uuid.h"

#include <gtest/gtest.h>

#include <set>

namespace cairn {
namespace {

TEST(Uuid, ParseAndFormatRoundTrip) {
  auto u = Uuid::Parse("0190A4B2-7C3D-7ABC-8DEF-0123456789AB");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->ToString(), "0190a4b2-7c3d-7abc-8def-0123456789ab");
  EXPECT_EQ(u->bytes[0], 0x01);
  EXPECT_EQ(u->bytes[15], 0xAB);
  EXPECT_EQ(Uuid::Parse(u->ToString()), u);
  EXPECT_FALSE(u->IsNil());
  EXPECT_TRUE(Uuid::Parse("00000000-0000-0000-0000-000000000000")->IsNil());
}

TEST(Uuid, RefusesMalformedText) {
  for (const char* bad :
       {"", "0190a4b2-7c3d-7abc-8def-0123456789a", "0190a4b2-7c3d-7abc-8def-0123456789abc",
        "0190a4b27c3d7abc8def0123456789ab", "0190a4b2-7c3d-7abc-8def_0123456789ab",
        "g190a4b2-7c3d-7abc-8def-0123456789ab", "0190a4b2-7c3d-7abc-8def-0123456789a\n",
        "{0190a4b2-7c3d-7abc-8def-0123456789ab}"}) {
    EXPECT_FALSE(Uuid::Parse(bad).has_value()) << bad;
  }
}

TEST(Uuid, V7CarriesTimeVersionAndVariant) {
  SeededRandom rng(1);
  const uint64_t ms = 0x0190A4B27C3Dull;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    Uuid u = NewUuidV7(ms + i, &rng);
    EXPECT_EQ(u.bytes[6] >> 4, 7) << "version";
    EXPECT_EQ(u.bytes[8] >> 6, 2) << "variant";
    uint64_t t = 0;
    for (int b = 0; b < 6; ++b) t = (t << 8) | u.bytes[b];
    EXPECT_EQ(t, ms + i);
    seen.insert(u.ToString());
  }
  EXPECT_EQ(seen.size(), 1000u);
  // Ids of later milliseconds sort after earlier ones, as text and as bytes.
  EXPECT_LT(NewUuidV7(ms, &rng).ToString(), NewUuidV7(ms + 1, &rng).ToString());
}

}  // namespace
}  // namespace cairn
