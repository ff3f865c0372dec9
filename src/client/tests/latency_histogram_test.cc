#include "client/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/random.h"

namespace cairn::client {
namespace {

TEST(LatencyHistogramTest, BucketsAreContiguousAndNarrow) {
  using H = LatencyHistogram;
  EXPECT_EQ(H::IndexOf(0), 0u);
  EXPECT_EQ(H::IndexOf(255), 255u);
  EXPECT_EQ(H::IndexOf(256), 256u);
  EXPECT_LT(H::IndexOf(H::kMaxNanos), H::kBuckets);
  for (size_t i = 0; i + 1 < H::kBuckets; ++i) {
    ASSERT_EQ(H::HighestOf(i) + 1, H::LowestOf(i + 1)) << i;
    ASSERT_EQ(H::IndexOf(H::LowestOf(i)), i);
    ASSERT_EQ(H::IndexOf(H::HighestOf(i)), i);
    // Relative width below 1%: the error bound of a reported percentile.
    double width = static_cast<double>(H::HighestOf(i) - H::LowestOf(i));
    ASSERT_LE(width, 0.01 * static_cast<double>(std::max<uint64_t>(H::LowestOf(i), 1))) << i;
  }
}

TEST(LatencyHistogramTest, PercentilesWithinOnePercent) {
  SeededRandom rng(1);
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    // Log-uniform from 1 us to 10 s.
    double e = 3 + 7 * static_cast<double>(rng.Uniform(1000000)) / 1e6;
    uint64_t v = static_cast<uint64_t>(std::pow(10.0, e));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    size_t rank = static_cast<size_t>(std::ceil(p / 100 * values.size()));
    uint64_t want = values[std::max<size_t>(rank, 1) - 1];
    uint64_t got = h.Percentile(p);
    EXPECT_GE(got, want) << p;
    EXPECT_LE(static_cast<double>(got), want * 1.01) << p;
  }
  EXPECT_EQ(h.Percentile(100), values.back());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.count(), values.size());
}

TEST(LatencyHistogramTest, MergeClampAndReset) {
  LatencyHistogram a, b;
  a.Record(1000);
  b.Record(3000);
  b.Record(LatencyHistogram::kMaxNanos * 10);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min(), 1000u);
  EXPECT_EQ(a.max(), LatencyHistogram::kMaxNanos);
  EXPECT_EQ(a.Percentile(50), 3007u);  // the top of 3000's bucket [2992, 3007]
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.Percentile(50), 0u);
  EXPECT_EQ(a.min(), 0u);
}

}  // namespace
}  // namespace cairn::client
