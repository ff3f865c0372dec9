#pragma once
// Randomness enters through this interface so tests can replay a seed.

#include <cstdint>

namespace cairn {

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next64() = 0;
  // Seeded from the OS; thread-safe.
  static Random* Real();
};

// xoshiro256** seeded deterministically. Not thread-safe: one per owner.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed);
  uint64_t Next64() override;
  uint64_t Uniform(uint64_t n) { return n == 0 ? 0 : Next64() % n; }

 private:
  uint64_t s_[4];
};

}  // namespace cairn
