#include "base/hash.h"

#include <blake3.h>

#include <new>

namespace cairn {

static_assert(sizeof(blake3_hasher) <= Blake3Hasher::kStateBytes, "grow Blake3Hasher::state_");

Blake3Hasher::Blake3Hasher() { blake3_hasher_init(new (state_) blake3_hasher); }

void Blake3Hasher::Update(const void* data, size_t n) {
  blake3_hasher_update(reinterpret_cast<blake3_hasher*>(state_), data, n);
}

Hash256 Blake3Hasher::Finalize() const {
  Hash256 out;
  blake3_hasher_finalize(reinterpret_cast<const blake3_hasher*>(state_), out.data(), out.size());
  return out;
}

Hash256 Blake3(std::string_view data) {
  Blake3Hasher h;
  h.Update(data);
  return h.Finalize();
}

std::string HashToHex(const Hash256& h) {
  return BytesToHex(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

std::string BytesToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(2 * bytes.size(), '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    s[2 * i] = kHex[b >> 4];
    s[2 * i + 1] = kHex[b & 0xF];
  }
  return s;
}

}  // namespace cairn
