#include "storage/chain.h"

#include "base/assert.h"
#include "base/coding.h"
#include "cairn/limits.h"

namespace cairn {

Hash256 PayloadHash(std::string_view data, std::string_view metadata) {
  return Blake3Concat(data, metadata);
}

void PayloadHashes(const HashInput* payloads, size_t n, Hash256* out) {
  Blake3ConcatMany(payloads, n, out);
}

Hash256 ChainNext(const Hash256& prev, const ChainFields& f, const Hash256& payload_hash) {
  // prev 32 | header[n] | payload hash 32, where header[n] is: position u64 | version u64 |
  // timestamp_ms u64 | id 16 | stream_len u16 | stream | type_len u16 | type |
  // data_len u32 | meta_len u32 (little-endian). Hashed in one call from a stack buffer.
  constexpr size_t kMax = 32 + 40 + 2 + kMaxStreamNameBytes + 2 + kMaxEventTypeBytes + 8 + 32;
  CAIRN_ASSERT(f.stream.size() <= kMaxStreamNameBytes && f.type.size() <= kMaxEventTypeBytes);
  char buf[kMax];
  char* p = buf;
  std::memcpy(p, prev.data(), 32);
  p += 32;
  EncodeFixed64(p, f.position);
  EncodeFixed64(p + 8, f.version);
  EncodeFixed64(p + 16, f.timestamp_ms);
  std::memcpy(p + 24, f.id->bytes.data(), 16);
  p += 40;
  uint16_t sl = static_cast<uint16_t>(f.stream.size());
  std::memcpy(p, &sl, 2);
  std::memcpy(p + 2, f.stream.data(), f.stream.size());
  p += 2 + f.stream.size();
  uint16_t tl = static_cast<uint16_t>(f.type.size());
  std::memcpy(p, &tl, 2);
  std::memcpy(p + 2, f.type.data(), f.type.size());
  p += 2 + f.type.size();
  EncodeFixed32(p, f.data_len);
  EncodeFixed32(p + 4, f.meta_len);
  p += 8;
  std::memcpy(p, payload_hash.data(), 32);
  p += 32;
  return Blake3(std::string_view(buf, static_cast<size_t>(p - buf)));
}

}  // namespace cairn
