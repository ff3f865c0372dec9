#pragma once
// Cairn's embeddable storage engine (libcairn).
//
// An Engine owns a data directory: a manifest, and per shard a log of segment files and
// an index. Writes (Append, Delete, Trim) are asynchronous: the callback runs exactly once, on
// the thread running the shard's loop, after the write is durable (or with the error that
// refused it); keep callbacks short. The *Sync variants block the caller. Reads are synchronous,
// thread-safe, and see only durable events.

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/options.h"
#include "cairn/shard_loop.h"
#include "cairn/status.h"
#include "cairn/types.h"

namespace cairn {

// Upper bounds of the histogram buckets in EngineStats::Shard; each histogram has one more
// bucket, unbounded.
inline constexpr std::array<uint64_t, 12> kSyncLatencyBoundsUs = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000};
inline constexpr std::array<uint64_t, 10> kBatchEventsBounds = {1,  2,   4,   8,    16,
                                                                32, 128, 512, 2048, 8192};

struct EngineStats {
  struct Shard {
    uint64_t appends = 0;
    uint64_t events = 0;
    uint64_t batches = 0;  // group commits (one write + fdatasync each)
    uint64_t batch_bytes = 0;
    uint64_t heads_cached = 0;
    uint64_t heads_bytes = 0;       // charged to the memory budget
    uint64_t index_prefetches = 0;  // lookups sent to the blocking pool (not in memory)
    uint64_t memtable_bytes = 0;
    uint64_t table_reader_bytes = 0;
    uint64_t head_hits = 0;
    uint64_t head_misses = 0;
    uint64_t next_position = 0;
    bool failed = false;
    // Group-commit write + fdatasync latency, and events per group commit.
    std::array<uint64_t, kSyncLatencyBoundsUs.size() + 1> sync_latency_counts{};
    uint64_t sync_latency_sum_us = 0;
    std::array<uint64_t, kBatchEventsBounds.size() + 1> batch_events_counts{};
  };
  std::vector<Shard> shards;
  uint64_t recovery_ms = 0;
  uint64_t recovery_replayed_events = 0;
  // Records whose stream metadata entries recovery rewrote (those a crash left behind).
  uint64_t recovery_meta_records = 0;
  // The slowest shard's time in each step of recovery (shards recover in parallel): the
  // metadata rewrite, then the replay of the log past the index checkpoint.
  uint64_t recovery_meta_ms = 0;
  uint64_t recovery_replay_ms = 0;
  uint64_t block_cache_bytes = 0;  // shared by every shard; includes memtable charges
  uint64_t memory_budget_bytes = 0;
};

class Engine {
 public:
  using AppendCallback = std::function<void(Result<AppendResult>)>;
  using StateCallback = std::function<void(Result<StreamInfo>)>;
  using GroupCallback = std::function<void(Result<GroupWriteResult>)>;

  // Opens (or creates) the data directory and recovers every shard.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  // Stops accepting writes, completes the ones in flight, persists the index.
  ~Engine();

  void Append(AppendRequest request, AppendCallback done);
  void Delete(DeleteRequest request, StateCallback done);
  void Trim(TrimRequest request, StateCallback done);
  // Consumer group cursors, logged like appends (durable when the callback runs) and kept
  // in the scope's shard. A commit only moves a cursor forward; committing a lower one
  // keeps (and answers) the stored cursor. A cursor beyond the scope's end is INVALID.
  void CommitGroup(GroupCursor request, GroupCallback done);
  void DeleteGroup(std::string group, std::string scope, GroupCallback done);
  Result<GroupWriteResult> CommitGroupSync(GroupCursor request);
  Result<GroupWriteResult> DeleteGroupSync(std::string group, std::string scope);
  // The stored cursor, 0 when none.
  Result<uint64_t> GroupOffset(std::string_view group, std::string_view scope) const;
  // Every cursor of a scope (empty: of every scope), sorted by scope then group.
  Result<std::vector<GroupCursor>> ListGroups(std::string_view scope = {}) const;
  // Schemas (docs/internals/schemas.md): logged in shard 0, outside the hash chain, and
  // immutable. The callback gets true when the schema was written (durable), false when the
  // same bytes were already registered; other bytes for a registered version are INVALID.
  // Compatibility between versions is the caller's check (the server's registry).
  using SchemaCallback = std::function<void(Result<bool>)>;
  void RegisterSchema(SchemaDefinition schema, SchemaCallback done);
  Result<bool> RegisterSchemaSync(SchemaDefinition schema);
  // Every registered schema, sorted by org, type and version.
  Result<std::vector<SchemaDefinition>> ListSchemas() const;
  // Parses a watch scope: a stream, "org", "org/type" or "#<shard>"; an org or type scope
  // that spans shards under this node's shard key is INVALID.
  Result<WatchScope> ParseScope(std::string_view scope) const;

  Result<AppendResult> AppendSync(AppendRequest request);
  Result<StreamInfo> DeleteSync(DeleteRequest request);
  Result<StreamInfo> TrimSync(TrimRequest request);

  Result<ReadResult> Read(const ReadRequest& request) const;
  Result<ScanResult> Scan(const ScanRequest& request) const;
  Result<StreamInfo> Info(std::string_view stream) const;
  Result<ListStreamsResult> ListStreams(const ListStreamsRequest& request) const;
  Result<std::vector<std::string>> ListTypes(std::string_view org) const;
  // Orgs after `after` (exclusive), sorted, at most `count`.
  Result<std::vector<std::string>> ListOrgs(std::string_view after = {},
                                            uint32_t count = 10000) const;
  // Reads the shard's segment files sequentially; takes no lock the write path needs.
  // `pace`, when given, runs between chunks of a few MiB walked (an online caller yields
  // or sleeps there so that verification stays in the background).
  Result<VerifyResult> Verify(const VerifyRequest& request,
                              const std::function<void()>& pace = nullptr) const;

  // EKEY ROTATE: new events of `org` get a new data key (per-stream keys: each stream's next
  // event does); returns the new key's id, 0 for per-stream keys. kInvalid without encryption.
  Result<uint32_t> RotateKey(std::string_view org);
  // EKEY SHRED: destroys the data keys of a stream or an org durably (synced before this
  // returns); their events then read as shredded. Returns the number of keys destroyed.
  Result<uint32_t> ShredKeys(std::string_view scope);

  uint32_t shard_count() const;
  // With EngineOptions::hosted_shards, the loop the caller must run for shard `s`; nullptr
  // when the shard runs its own thread.
  ShardLoop* hosted_shard(uint32_t s);
  ShardKey shard_key() const;
  // The shard a stream belongs to (the stream name must be valid).
  uint32_t ShardOf(std::string_view stream) const;
  EngineStats Stats() const;
  const std::string& data_dir() const;

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  // Scan without decrypting.
  Result<ScanResult> ScanStored(const ScanRequest& request) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn
