#include "storage/chain.h"

#include <vector>

#include "base/assert.h"
#include "base/coding.h"
#include "cairn/limits.h"

namespace cairn {
namespace {

// header[n]: position u64 | version u64 | timestamp_ms u64 | id 16 | stream_len u16 | stream |
// type_len u16 | type | data_len u32 | meta_len u32 (little-endian).
constexpr size_t kMaxHeader = 40 + 2 + kMaxStreamNameBytes + 2 + kMaxEventTypeBytes + 8;
// ChainRun's per-thread scratch (kMaxHeader bytes an event) kept between calls, at most.
constexpr size_t kKeepScratchBytes = 1u << 20;

size_t EncodeHeader(const ChainFields& f, char* out) {
  CAIRN_ASSERT(f.stream.size() <= kMaxStreamNameBytes && f.type.size() <= kMaxEventTypeBytes);
  char* p = out;
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
  return static_cast<size_t>(p - out);
}

std::string_view Bytes(const Hash256& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}

// Version 1: prev 32 | header | payload hash 32, hashed in one call from a stack buffer.
Hash256 StepV1(const Hash256& prev, const ChainFields& f, const Hash256& payload_hash) {
  char buf[32 + kMaxHeader + 32];
  std::memcpy(buf, prev.data(), 32);
  size_t n = 32 + EncodeHeader(f, buf + 32);
  std::memcpy(buf + n, payload_hash.data(), 32);
  return Blake3(std::string_view(buf, n + 32));
}

Hash256 LeafV2(const ChainFields& f, const Hash256& payload_hash) {
  char buf[kMaxHeader];
  return Blake3Concat(std::string_view(buf, EncodeHeader(f, buf)), Bytes(payload_hash));
}

}  // namespace

Hash256 PayloadHash(std::string_view data, std::string_view metadata) {
  return Blake3Concat(data, metadata);
}

void PayloadHashes(const HashInput* payloads, size_t n, Hash256* out) {
  Blake3ConcatMany(payloads, n, out);
}

Hash256 ChainStep(uint32_t version, const Hash256& prev, const ChainFields& f,
                  const Hash256& payload_hash) {
  CAIRN_ASSERT(version == kChainV1 || version == kChainV2);
  if (version == kChainV1) return StepV1(prev, f, payload_hash);
  return Blake3Pair(prev, LeafV2(f, payload_hash));
}

void ChainRun(uint32_t version, const ChainFields* f, const Hash256* payload_hashes, size_t n,
              Hash256* head, Hash256* out) {
  CAIRN_ASSERT(version == kChainV1 || version == kChainV2);
  if (version == kChainV1 || n == 1) {
    for (size_t i = 0; i < n; ++i) {
      out[i] = *head = ChainStep(version, *head, f[i], payload_hashes[i]);
    }
    return;
  }
  // The leaves do not depend on each other: encoded one after the other, hashed in one pass, then
  // linked one compression each. Scratch kept per thread (shard, recovery, verifier).
  thread_local std::vector<char> headers;
  thread_local std::vector<HashInput> inputs;
  thread_local std::vector<Hash256> leaves;
  headers.resize(n * kMaxHeader);
  inputs.resize(n);
  leaves.resize(n);
  size_t used = 0;  // headers packed one after the other
  for (size_t i = 0; i < n; ++i) {
    char* h = headers.data() + used;
    const size_t len = EncodeHeader(f[i], h);
    inputs[i] = {std::string_view(h, len), Bytes(payload_hashes[i])};
    used += len;
  }
  Blake3ConcatMany(inputs.data(), n, leaves.data());
  for (size_t i = 0; i < n; ++i) out[i] = *head = Blake3Pair(*head, leaves[i]);
  // A very large clause (thousands of events) leaves no megabytes behind on the thread.
  if (headers.size() > kKeepScratchBytes) {
    std::vector<char>().swap(headers);
    std::vector<HashInput>().swap(inputs);
    std::vector<Hash256>().swap(leaves);
  }
}

}  // namespace cairn
