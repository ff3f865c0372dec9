#pragma once
// The per-shard hash chain: h[n] = BLAKE3(h[n-1] || header[n] || BLAKE3(payload[n])).
// header[n] is the canonical encoding below; payload[n] is data || metadata. Because only
// the payload's hash enters the chain, a payload can be removed (compaction,
// crypto-shredding) while the chain still verifies. See docs/internals/chain.md.

#include <string_view>

#include "base/hash.h"
#include "cairn/types.h"

namespace cairn {

struct ChainFields {
  uint64_t position = 0;
  uint64_t version = 0;
  uint64_t timestamp_ms = 0;
  const Uuid* id = nullptr;
  std::string_view stream;
  std::string_view type;
  uint32_t data_len = 0;
  uint32_t meta_len = 0;
};

Hash256 PayloadHash(std::string_view data, std::string_view metadata);
// out[i] = PayloadHash(payloads[i].a, payloads[i].b): data and metadata of n events, hashed
// side by side where the CPU allows (Blake3ConcatMany).
void PayloadHashes(const HashInput* payloads, size_t n, Hash256* out);
Hash256 ChainNext(const Hash256& prev, const ChainFields& f, const Hash256& payload_hash);

}  // namespace cairn
