#include "base/coding.h"

#include <gtest/gtest.h>

#include <string>

#include "cairn/status.h"
#include "cairn/types.h"

namespace cairn {
namespace {

TEST(Coding, LittleEndianRoundTrip) {
  std::string s;
  PutFixed16(&s, 0xBEEF);
  PutFixed32(&s, 0xDEADBEEF);
  PutFixed64(&s, 0x0123456789ABCDEFull);
  ASSERT_EQ(s.size(), 14u);
  EXPECT_EQ(static_cast<uint8_t>(s[0]), 0xEF);  // little-endian on disk
  EXPECT_EQ(DecodeFixed16(s.data()), 0xBEEF);
  EXPECT_EQ(DecodeFixed32(s.data() + 2), 0xDEADBEEFu);
  EXPECT_EQ(DecodeFixed64(s.data() + 6), 0x0123456789ABCDEFull);
}

TEST(Coding, BigEndianKeysSortNumerically) {
  std::string a, b, c;
  PutBigEndian64(&a, 255);
  PutBigEndian64(&b, 256);
  PutBigEndian64(&c, UINT64_MAX);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(DecodeBigEndian64(b.data()), 256u);
  EXPECT_EQ(DecodeBigEndian64(c.data()), UINT64_MAX);
}

TEST(Coding, DecoderRefusesTruncatedInput) {
  std::string s;
  PutFixed32(&s, 7);
  PutFixed16(&s, 3);
  s += "ab";  // claims 3 bytes, has 2
  Decoder d(s);
  EXPECT_EQ(d.Get32(), 7u);
  uint16_t n = d.Get16();
  EXPECT_TRUE(d.ok());
  EXPECT_TRUE(d.GetBytes(n).empty());
  EXPECT_FALSE(d.ok());
  // Once failed, it stays failed and returns zeros.
  EXPECT_EQ(d.Get64(), 0u);
  EXPECT_FALSE(d.ok());
  Decoder e(std::string_view("\x01", 1));
  EXPECT_EQ(e.Get32(), 0u);
  EXPECT_FALSE(e.ok());
}

TEST(Expected, ParsesKeywordsInAnyCaseAndVersions) {
  EXPECT_EQ(Expected::Parse("any"), Expected::Any());
  EXPECT_EQ(Expected::Parse("ANY"), Expected::Any());
  EXPECT_EQ(Expected::Parse("Exists"), Expected::Exists());
  EXPECT_EQ(Expected::Parse("none"), Expected::NoStream());
  EXPECT_EQ(Expected::Parse("0"), Expected::NoStream());  // NONE is the same as 0
  EXPECT_EQ(Expected::Parse("42"), Expected::Exact(42));
  EXPECT_EQ(Expected::Parse("18446744073709551615"), Expected::Exact(UINT64_MAX));
  for (const char* bad : {"", "-1", "1.5", "4x", " 4", "18446744073709551616", "anyx", "+3"}) {
    EXPECT_FALSE(Expected::Parse(bad).has_value()) << bad;
  }
  EXPECT_EQ(Expected::Exact(7).ToString(), "7");
  EXPECT_EQ(Expected::Exists().ToString(), "exists");
  EXPECT_EQ(Expected::NoStream().ToString(), "none");
}

TEST(Status, CodeWordsMatchTheWireContract) {
  EXPECT_EQ(StatusCodeName(StatusCode::kInvalid), "INVALID");
  EXPECT_EQ(StatusCodeName(StatusCode::kTooLarge), "TOOLARGE");
  EXPECT_EQ(StatusCodeName(StatusCode::kConflict), "CONFLICT");
  EXPECT_EQ(StatusCodeName(StatusCode::kDeleted), "DELETED");
  EXPECT_EQ(StatusCodeName(StatusCode::kCrossShard), "CROSSSHARD");
  EXPECT_EQ(StatusCodeName(StatusCode::kIdempotency), "IDEMPOTENCY");
  EXPECT_EQ(StatusCodeName(StatusCode::kBusy), "BUSY");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnavailable), "UNAVAILABLE");
  Status c = Status::Conflict(ConflictDetail{"a/b/c", "3", 5});
  ASSERT_NE(c.conflict(), nullptr);
  EXPECT_EQ(c.code(), StatusCode::kConflict);
  EXPECT_EQ(c.conflict()->actual, 5u);
  EXPECT_EQ(c.ToString().rfind("CONFLICT ", 0), 0u);
  EXPECT_EQ(DeletedStateName(DeletedState::kNone), "false");
  EXPECT_EQ(DeletedStateName(DeletedState::kSoft), "soft");
  EXPECT_EQ(DeletedStateName(DeletedState::kHard), "hard");
}

}  // namespace
}  // namespace cairn
