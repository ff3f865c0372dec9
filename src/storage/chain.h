#pragma once
// The per-shard hash chain. Two definitions exist, named by the segment format version that
// uses them (a segment's header says which; docs/internals/chain.md):
//
//   version 1: h[n] = BLAKE3(h[n-1] || header[n] || payload_hash[n])
//   version 2: leaf[n] = BLAKE3(header[n] || payload_hash[n]), h[n] = BLAKE3(h[n-1] || leaf[n])
//
// header[n] is the canonical encoding in chain.cc; payload_hash[n] = BLAKE3(data || metadata).
// Because only the payload's hash enters the chain, a payload can be removed (compaction,
// crypto-shredding) while the chain still verifies. Version 2 leaves one 64-byte compression
// per event that waits on the event before; leaves are independent and hashed side by side.

#include <string_view>

#include "base/hash.h"
#include "cairn/types.h"

namespace cairn {

inline constexpr uint32_t kChainV1 = 1;
inline constexpr uint32_t kChainV2 = 2;

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

// One event's chain hash h[n] from h[n-1] under chain version `version` (kChainV1 or kChainV2).
Hash256 ChainStep(uint32_t version, const Hash256& prev, const ChainFields& f,
                  const Hash256& payload_hash);
// The chain hashes of n consecutive events: out[i] = h of event i, starting from *head
// (h[n-1] of the first), which ends as the last event's hash. Version 2 hashes the n leaves
// side by side first. Same results as n calls of ChainStep.
void ChainRun(uint32_t version, const ChainFields* f, const Hash256* payload_hashes, size_t n,
              Hash256* head, Hash256* out);

}  // namespace cairn
