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
std::string HashToHex(const Hash256& h);
// Lowercase hex, two digits a byte.
std::string BytesToHex(std::string_view bytes);

}  // namespace cairn
