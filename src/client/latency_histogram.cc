#include "client/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace cairn::client {

static_assert(LatencyHistogram::kMaxNanos >= (1ull << 35) &&
              LatencyHistogram::kMaxNanos < (1ull << 36));

size_t LatencyHistogram::IndexOf(uint64_t v) {
  if (v < kSubBuckets) return static_cast<size_t>(v);
  const int msb = 63 - __builtin_clzll(v);
  const int shift = msb - (kSubBucketBits - 1);  // v >> shift is in [128, 255]
  return static_cast<size_t>(shift) * kHalfSubBuckets + static_cast<size_t>(v >> shift);
}

uint64_t LatencyHistogram::LowestOf(size_t index) {
  if (index < kSubBuckets) return index;
  const size_t shift = index / kHalfSubBuckets - 1;
  const uint64_t sub = index - shift * kHalfSubBuckets;
  return sub << shift;
}

uint64_t LatencyHistogram::HighestOf(size_t index) {
  if (index < kSubBuckets) return index;
  const size_t shift = index / kHalfSubBuckets - 1;
  const uint64_t sub = index - shift * kHalfSubBuckets;
  return ((sub + 1) << shift) - 1;
}

void LatencyHistogram::Record(uint64_t nanos) {
  nanos = std::min(nanos, kMaxNanos);
  ++counts_[IndexOf(nanos)];
  ++count_;
  sum_ += nanos;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::Reset() { *this = LatencyHistogram(); }

uint64_t LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(HighestOf(i), max_);
  }
  return max_;
}

}  // namespace cairn::client
