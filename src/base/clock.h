#pragma once
// Time enters through this interface so tests can run on a deterministic clock.

#include <atomic>
#include <cstdint>

namespace cairn {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (event timestamps, expiry).
  virtual uint64_t NowMillis() = 0;
  // Monotonic nanoseconds (durations, timeouts).
  virtual uint64_t MonotonicNanos() = 0;
  // The process-wide real clock.
  static Clock* Real();
};

// A clock tests set by hand. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t now_ms) : now_ms_(now_ms) {}
  uint64_t NowMillis() override { return now_ms_.load(); }
  uint64_t MonotonicNanos() override { return now_ms_.load() * 1000000; }
  void Advance(uint64_t ms) { now_ms_ += ms; }
  void Set(uint64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<uint64_t> now_ms_;
};

}  // namespace cairn
