#include "base/hash.h"

#include <blake3.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "base/coding.h"

// The library's single-block compression (BLAKE3 spec, section 2.2), dispatched to the
// CPU's best implementation. Internal to the library, so declared here; the tests check every
// length against the library's own hasher.
extern "C" void blake3_compress_in_place(uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                         uint64_t counter, uint8_t flags);

namespace cairn {
namespace {

constexpr size_t kBlockBytes = 64;
constexpr size_t kChunkBytes = 1024;
constexpr uint8_t kChunkStart = 1 << 0;
constexpr uint8_t kChunkEnd = 1 << 1;
constexpr uint8_t kRoot = 1 << 3;
constexpr uint32_t kIv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                             0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

}  // namespace

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

Hash256 Blake3(std::string_view data) { return Blake3Concat(data, {}); }

Hash256 Blake3Concat(std::string_view a, std::string_view b) {
  const size_t total = a.size() + b.size();
  if (total > kChunkBytes) {
    Blake3Hasher h;
    h.Update(a);
    h.Update(b);
    return h.Finalize();
  }
  // One chunk is the root: its blocks are compressed in order from the IV with chunk counter
  // 0, the first flagged CHUNK_START, the last (zero-padded, with its true length; an empty
  // input is one empty block) CHUNK_END | ROOT. The first 32 bytes of the root output are the
  // chaining value that last compression leaves.
  uint32_t cv[8];
  std::memcpy(cv, kIv, sizeof(cv));
  const size_t blocks = total == 0 ? 1 : (total + kBlockBytes - 1) / kBlockBytes;
  alignas(16) uint8_t block[kBlockBytes];
  for (size_t i = 0; i < blocks; ++i) {
    const size_t off = i * kBlockBytes;
    const size_t len = std::min(kBlockBytes, total - off);
    const uint8_t* p;
    if (len == kBlockBytes && off + len <= a.size()) {
      p = reinterpret_cast<const uint8_t*>(a.data()) + off;
    } else if (len == kBlockBytes && off >= a.size()) {
      p = reinterpret_cast<const uint8_t*>(b.data()) + (off - a.size());
    } else {
      std::memset(block, 0, sizeof(block));
      const size_t from_a = off < a.size() ? std::min(len, a.size() - off) : 0;
      if (from_a > 0) std::memcpy(block, a.data() + off, from_a);
      if (len > from_a) {
        std::memcpy(block + from_a, b.data() + (off + from_a - a.size()), len - from_a);
      }
      p = block;
    }
    uint8_t flags = i == 0 ? kChunkStart : 0;
    if (i + 1 == blocks) flags |= kChunkEnd | kRoot;
    blake3_compress_in_place(cv, p, static_cast<uint8_t>(len), 0, flags);
  }
  Hash256 out;
  for (int w = 0; w < 8; ++w) EncodeFixed32(reinterpret_cast<char*>(out.data()) + 4 * w, cv[w]);
  return out;
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
