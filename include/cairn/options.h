#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cairn/limits.h"
#include "cairn/types.h"

namespace cairn {

class Env;

struct EngineOptions {
  std::string data_dir = "./data";
  // Fixed when the data directory is created; ignored (read from the manifest) after.
  uint32_t shards = 0;  // 0: one per CPU core
  ShardKey shard_key = ShardKey::kOrg;
  bool create_if_missing = true;

  uint64_t segment_size_bytes = 256ull << 20;
  // A log write under 256 KiB that reaches past the written part of its segment carries zeros
  // up to 1 MiB ahead, so that the commits after it write into blocks the file system counts as
  // written and their durable writes do not also commit file-system metadata
  // (docs/internals/write-path.md). Off: only the records are written.
  bool segment_zero_fill = true;
  // One budget for every cache: stream heads, RocksDB block cache and memtables.
  uint64_t memory_budget_bytes = 512ull << 20;
  uint64_t idempotency_window_ms = 24ull * 3600 * 1000;
  // Requests queued for one shard before new ones get BUSY.
  uint32_t max_queued_requests_per_shard = 1u << 16;
  // Bytes gathered into one group-commit write (a larger single request goes alone).
  uint32_t max_batch_bytes = 4u << 20;
  EngineLimits limits;

  // Per-event encryption (docs/internals/encryption.md). The master key file: 32 random
  // bytes, mode 0600 or stricter. Empty: no encryption (a data directory that already holds
  // keys then refuses to open).
  std::string encryption_key_file;
  // Whose events are encrypted: "org" or "org/type" entries.
  std::vector<std::string> encrypted_orgs;
  // One data key per stream instead of per org (needed to shred one stream).
  bool encryption_key_per_stream = false;

  // No thread per shard: the caller runs each shard's loop on a thread of its own
  // (Engine::hosted_shard), as the server does on its network threads. A shard whose disk
  // cannot be waited on from another loop keeps its own thread.
  bool hosted_shards = false;

  // Called on the thread running a shard's loop (a network thread in the server) after each group
  // commit that added events, once they are durable and readable and before their writers are
  // acknowledged: `next_position` is the shard's first position not yet written. Keep it short (it
  // delays the acknowledgements).
  std::function<void(uint32_t shard, uint64_t next_position)> on_commit;

  Env* env = nullptr;  // nullptr: the real disk, clock and randomness
};

}  // namespace cairn
