#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/random.h"

namespace cairn {
namespace {

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c::Value("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c::Value(""), 0u);
  // RFC 3720, appendix B.4.
  std::string zeros(32, '\0'), ones(32, '\xff'), up(32, 0), down(32, 0);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<char>(i);
    down[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(crc32c::Value(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c::Value(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c::Value(up), 0x46DD794Eu);
  EXPECT_EQ(crc32c::Value(down), 0x113FDB5Cu);
}

TEST(Crc32c, ExtendEqualsOneShotAtEverySplitAndAlignment) {
  SeededRandom rng(7);
  std::string data(1000, '\0');
  for (char& c : data) c = static_cast<char>(rng.Next64());
  for (size_t off = 0; off < 9; ++off) {
    std::string_view s(data.data() + off, data.size() - off);
    const uint32_t whole = crc32c::Value(s);
    for (size_t split :
         {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{63}, size_t{500}, s.size()}) {
      uint32_t c = crc32c::Extend(0, s.data(), split);
      c = crc32c::Extend(c, s.data() + split, s.size() - split);
      EXPECT_EQ(c, whole) << "offset " << off << " split " << split;
    }
  }
}

// Bit by bit, straight from the definition.
uint32_t Reference(uint32_t crc, std::string_view s) {
  uint32_t c = ~crc;
  for (char ch : s) {
    c ^= static_cast<uint8_t>(ch);
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

TEST(Crc32c, EqualsTheDefinitionAtEveryLength) {
  // Every length to 3,200 bytes (serial, and three-way over 256-byte blocks with remainders),
  // and lengths around the 4,096-byte three-way blocks, from odd starting addresses too.
  SeededRandom rng(11);
  std::string data(60000, '\0');
  for (char& c : data) c = static_cast<char>(rng.Next64());
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 3200; ++n) lengths.push_back(n);
  for (size_t n : {12287, 12288, 12289, 12288 + 768, 12288 + 767, 24576 + 800 + 13, 59990}) {
    lengths.push_back(n);
  }
  for (size_t n : lengths) {
    const size_t off = n % 7;
    const std::string_view s(data.data() + off, n);
    ASSERT_EQ(crc32c::Value(s), Reference(0, s)) << "length " << n;
    ASSERT_EQ(crc32c::Extend(0x12345678u, s.data(), s.size()), Reference(0x12345678u, s))
        << "length " << n;
  }
}

TEST(Crc32c, DetectsEverySingleBitFlip) {
  std::string data(256, 'a');
  const uint32_t good = crc32c::Value(data);
  for (size_t bit = 0; bit < data.size() * 8; ++bit) {
    std::string bad = data;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    ASSERT_NE(crc32c::Value(bad), good) << "bit " << bit;
  }
}

}  // namespace
}  // namespace cairn
