#include "base/crc32c.h"

#include <nmmintrin.h>

#include <array>
#include <cstring>

namespace cairn::crc32c {
namespace {

constexpr uint32_t kPolyReversed = 0x82F63B78u;

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolyReversed : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = MakeTable();

uint32_t ExtendPortable(uint32_t crc, const uint8_t* p, size_t n) {
  uint32_t c = ~crc;
  for (size_t i = 0; i < n; ++i) c = kTable[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return ~c;
}

// Shifting a CRC register over n zero bytes is linear over GF(2): a 32x32 bit matrix (column
// i: the image of bit i), built by squaring the one-byte step. Applied a byte at a time through
// four 256-entry tables.
using Matrix = std::array<uint32_t, 32>;

uint32_t Apply(const Matrix& m, uint32_t x) {
  uint32_t r = 0;
  for (int i = 0; x != 0; ++i, x >>= 1) {
    if (x & 1) r ^= m[static_cast<size_t>(i)];
  }
  return r;
}

Matrix Compose(const Matrix& outer, const Matrix& inner) {
  Matrix r{};
  for (size_t i = 0; i < 32; ++i) r[i] = Apply(outer, inner[i]);
  return r;
}

struct ShiftTables {
  std::array<std::array<uint32_t, 256>, 4> t;

  explicit ShiftTables(size_t zero_bytes) {
    Matrix step{}, m{};
    for (size_t i = 0; i < 32; ++i) {
      uint32_t c = 1u << i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolyReversed : c >> 1;
      step[i] = c;
      m[i] = 1u << i;
    }
    for (size_t n = zero_bytes; n != 0; n >>= 1) {
      if (n & 1) m = Compose(step, m);
      step = Compose(step, step);
    }
    for (size_t j = 0; j < 4; ++j) {
      for (uint32_t v = 0; v < 256; ++v) t[j][v] = Apply(m, v << (8 * j));
    }
  }
  uint32_t Shift(uint32_t c) const {
    return t[0][c & 0xFF] ^ t[1][(c >> 8) & 0xFF] ^ t[2][(c >> 16) & 0xFF] ^ t[3][c >> 24];
  }
};

// Three independent streams over three consecutive blocks of `block` bytes, combined by
// shifting: crc(A ‖ B) = shift(crc(A), |B|) ^ crc0(B) for the raw register. The crc32
// instruction takes three cycles and issues every cycle, so three streams run about three
// times as fast as one.
__attribute__((target("sse4.2"))) inline uint64_t ThreeWay(uint64_t c, const uint8_t* p,
                                                           size_t block, const ShiftTables& shift) {
  uint64_t c1 = 0, c2 = 0;
  for (size_t i = 0; i < block; i += 8) {
    uint64_t v0, v1, v2;
    std::memcpy(&v0, p + i, 8);
    std::memcpy(&v1, p + block + i, 8);
    std::memcpy(&v2, p + 2 * block + i, 8);
    c = _mm_crc32_u64(c, v0);
    c1 = _mm_crc32_u64(c1, v1);
    c2 = _mm_crc32_u64(c2, v2);
  }
  uint32_t r = shift.Shift(static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c1);
  return shift.Shift(r) ^ static_cast<uint32_t>(c2);
}

constexpr size_t kShortBlock = 256;
constexpr size_t kLongBlock = 4096;

// The part of a long input that three-way blocks cover; *p and *n advance past it.
__attribute__((target("sse4.2"), noinline)) uint64_t ExtendThreeWay(uint64_t c, const uint8_t** p,
                                                                    size_t* n) {
  static const ShiftTables kLong(kLongBlock), kShort(kShortBlock);
  for (; *n >= 3 * kLongBlock; *p += 3 * kLongBlock, *n -= 3 * kLongBlock) {
    c = ThreeWay(c, *p, kLongBlock, kLong);
  }
  for (; *n >= 3 * kShortBlock; *p += 3 * kShortBlock, *n -= 3 * kShortBlock) {
    c = ThreeWay(c, *p, kShortBlock, kShort);
  }
  return c;
}

__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, const uint8_t* p,
                                                          size_t n) {
  uint64_t c = ~crc;
  if (n >= 3 * kShortBlock) c = ExtendThreeWay(c, &p, &n);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --n;
  }
  return ~c32;
}

bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}

}  // namespace

uint32_t Extend(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  return HasSse42() ? ExtendHardware(crc, p, n) : ExtendPortable(crc, p, n);
}

}  // namespace cairn::crc32c
