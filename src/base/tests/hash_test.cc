#include "base/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

TEST(Blake3, ManyEqualsOneByOne) {
  // Batches of every size to 40 (whole passes of sixteen and eight, remainders, a lone input) over
  // inputs of mixed lengths: within one block, several blocks, a whole chunk, past a chunk (hashed
  // on their own), split between the two pieces anywhere.
  std::string data;
  for (int i = 0; i < 3000; ++i) data.push_back(static_cast<char>((i * 131 + 7) % 256));
  const size_t lengths[] = {0, 1, 17, 63, 64, 65, 128, 200, 1000, 1023, 1024, 1025, 2500, 31};
  uint64_t seed = 1;
  auto next = [&seed] { return seed = seed * 6364136223846793005ull + 1442695040888963407ull; };
  for (size_t n = 0; n <= 40; ++n) {
    for (int round = 0; round < 20; ++round) {
      std::vector<HashInput> in(n);
      for (size_t i = 0; i < n; ++i) {
        const size_t len =
            round % 2 == 0 ? lengths[(next() >> 33) % std::size(lengths)] : (next() >> 33) % 1100;
        const size_t from = (next() >> 33) % (data.size() - len);
        const std::string_view whole(data.data() + from, len);
        const size_t split = len == 0 ? 0 : (next() >> 33) % (len + 1);
        in[i] = {whole.substr(0, split), whole.substr(split)};
      }
      std::vector<Hash256> out(n);
      Blake3ConcatMany(in.data(), n, out.data());
      for (size_t i = 0; i < n; ++i) {
        Blake3Hasher h;
        h.Update(in[i].a);
        h.Update(in[i].b);
        ASSERT_EQ(out[i], h.Finalize())
            << "batch " << n << " input " << i << " length " << in[i].a.size() + in[i].b.size();
      }
    }
  }
}

TEST(Blake3, PairIsTheHashOfBothHashes) {
  for (int i = 0; i < 20; ++i) {
    Hash256 a = Blake3(std::to_string(i)), b = Blake3("x" + std::to_string(i * 3));
    std::string both(reinterpret_cast<const char*>(a.data()), 32);
    both.append(reinterpret_cast<const char*>(b.data()), 32);
    ASSERT_EQ(Blake3Pair(a, b), Blake3(both));
    Blake3Hasher h;
    h.Update(both);
    ASSERT_EQ(Blake3Pair(a, b), h.Finalize());
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
