#pragma once
// A log-linear latency histogram in the manner of HdrHistogram: values below 256 ns are
// exact, above they fall in buckets 1/128 of their power of two wide, so any reported
// percentile is within 0.8% of the true value. Range 0 to kMaxNanos (60 s; larger values
// are clamped to it and still counted). Fixed size (3840 counters, 30 KiB): recording is a
// shift and an increment, no allocation.
//
// Owner: one thread records; merge per-thread histograms at the end (Merge). Not
// thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>

namespace cairn::client {

class LatencyHistogram {
 public:
  static constexpr uint64_t kMaxNanos = 60ull * 1000 * 1000 * 1000;
  static constexpr int kSubBucketBits = 8;
  static constexpr uint64_t kSubBuckets = 1ull << kSubBucketBits;  // 256
  static constexpr uint64_t kHalfSubBuckets = kSubBuckets / 2;     // 128
  // Index of kMaxNanos (2^35 <= 6e10 < 2^36: shift 28) plus one.
  static constexpr size_t kBuckets = 28 * kHalfSubBuckets + kSubBuckets;  // 3840

  void Record(uint64_t nanos);
  void Merge(const LatencyHistogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0; }
  // The value at percentile p (0..100): the highest value of the bucket holding the
  // ceil(p% * count)-th smallest recording, capped at the largest value recorded. 0 when
  // empty.
  uint64_t Percentile(double p) const;

  // Bucket arithmetic, exposed for tests.
  static size_t IndexOf(uint64_t v);
  static uint64_t LowestOf(size_t index);
  static uint64_t HighestOf(size_t index);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace cairn::client
