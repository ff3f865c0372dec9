#pragma once
// BLAKE3 (the official C implementation) behind a small interface, plus the 32-byte
// digest type used by the hash chain.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn {

using Hash256 = std::array<uint8_t, 32>;
static_assert(sizeof(Hash256) == 32);

class Blake3Hasher {
 public:
  Blake3Hasher();
  void Update(const void* data, size_t n);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  Hash256 Finalize() const;

 public:
  // Storage for blake3_hasher without exposing its header; sized and checked in hash.cc.
  static constexpr size_t kStateBytes = 1920;

 private:
  alignas(8) unsigned char state_[kStateBytes];
};

Hash256 Blake3(std::string_view data);
// BLAKE3 of a ‖ b. Inputs of one chunk (1,024 bytes) or less, which is every hash of the
// chain's headers and most payloads, are compressed block by block straight from the input:
// no hasher state to initialise, buffer and finalise.
Hash256 Blake3Concat(std::string_view a, std::string_view b);
// BLAKE3 of a ‖ b for two hashes: one 64-byte block, one compression.
Hash256 Blake3Pair(const Hash256& a, const Hash256& b);

struct HashInput {
  std::string_view a, b;  // hashed as a ‖ b
};
// out[i] = Blake3Concat(in[i].a, in[i].b) for i < n. Where the CPU has AVX2, up to eight
// consecutive inputs of one chunk or less are hashed side by side, one per vector lane, and
// up to sixteen where it has AVX-512: one 64-byte block compression is a chain of dependent
// steps (about 50-68 ns on the development machine); sixteen independent ones in one pass
// take about 20 ns each (bench/chain_bench).
void Blake3ConcatMany(const HashInput* in, size_t n, Hash256* out);
std::string HashToHex(const Hash256& h);
// Lowercase hex, two digits a byte.
std::string BytesToHex(std::string_view bytes);

}  // namespace cairn
