#include "base/hash.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn {
namespace {

TEST(Blake3, OfficialVectors) {
  EXPECT_EQ(HashToHex(Blake3("")),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
  EXPECT_EQ(HashToHex(Blake3("abc")),
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
}

TEST(Blake3, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 10000; ++i) data.push_back(static_cast<char>(i % 251));
  const Hash256 whole = Blake3(data);
  for (size_t chunk : {size_t{1}, size_t{63}, size_t{64}, size_t{1024}, size_t{1025}}) {
    Blake3Hasher h;
    for (size_t i = 0; i < data.size(); i += chunk) {
      h.Update(std::string_view(data).substr(i, chunk));
    }
    EXPECT_EQ(h.Finalize(), whole) << "chunk " << chunk;
  }
}

TEST(Blake3, ConcatEqualsTheHasherAtEveryLengthAndSplit) {
  std::string data;
  for (int i = 0; i < 2200; ++i) data.push_back(static_cast<char>((i * 7919) % 256));
  // Every length through two chunks and a bit, split at the ends, mid-block and on a block.
  for (size_t n = 0; n <= data.size(); ++n) {
    const std::string_view in(data.data(), n);
    Blake3Hasher h;
    h.Update(in);
    const Hash256 want = h.Finalize();
    for (size_t split : {size_t{0}, n / 2, n - n % 64, n}) {
      ASSERT_EQ(Blake3Concat(in.substr(0, split), in.substr(split)), want)
          << "length " << n << " split " << split;
    }
    ASSERT_EQ(Blake3(in), want) << "length " << n;
  }
}

TEST(Blake3, FinalizeDoesNotConsumeTheState) {
  Blake3Hasher h;
  h.Update("ab");
  Hash256 first = h.Finalize();
  EXPECT_EQ(first, h.Finalize());
  h.Update("c");
  EXPECT_EQ(h.Finalize(), Blake3("abc"));
}

TEST(Blake3, HexIsLowercaseAndComplete) {
  Hash256 h{};
  h[0] = 0xAB;
  h[31] = 0x01;
  std::string hex = HashToHex(h);
  ASSERT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.substr(0, 2), "ab");
  EXPECT_EQ(hex.substr(62), "01");
}

}  // namespace
}  // namespace cairn
