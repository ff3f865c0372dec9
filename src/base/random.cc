#include "base/random.h"

#include <sys/random.h>

#include <mutex>

#include "base/assert.h"

namespace cairn {
namespace {

uint64_t SplitMix64(uint64_t* x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

class OsRandom final : public Random {
 public:
  OsRandom() {
    uint64_t seed = 0;
    CAIRN_ASSERT(getrandom(&seed, sizeof(seed), 0) == sizeof(seed));
    rng_ = new SeededRandom(seed);
  }
  uint64_t Next64() override {
    std::lock_guard<std::mutex> lock(mu_);
    return rng_->Next64();
  }

 private:
  std::mutex mu_;
  SeededRandom* rng_;
};

}  // namespace

SeededRandom::SeededRandom(uint64_t seed) {
  for (auto& s : s_) s = SplitMix64(&seed);
}

uint64_t SeededRandom::Next64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

Random* Random::Real() {
  static OsRandom* r = new OsRandom();
  return r;
}

}  // namespace cairn
