#pragma once
// One shard's index: a RocksDB instance with its WAL disabled (the log is the write-ahead
// log). Written only by the shard's thread, in one WriteBatch per group commit together
// with the checkpoint it covers; read by any thread through snapshots.

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/status.h"

namespace rocksdb {
class Cache;
class WriteBufferManager;
}  // namespace rocksdb

namespace cairn {

struct IndexResources {
  std::shared_ptr<rocksdb::Cache> block_cache;
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffers;
  size_t write_buffer_size = 32u << 20;
};

// Builds the caches shared by every shard's index from the memory budget.
IndexResources MakeIndexResources(uint64_t block_cache_bytes, uint64_t memtable_bytes,
                                  uint32_t shards);

// The streams of one index write whose runs (E) get memtable insert hints: those written a
// moment ago, whose previous runs are still next to where the new ones go. Any other stream's
// runs are inserted without a hint, so that the memtable does not allocate a splice (232 bytes
// of its arena) and a hint-map entry for a stream it will not see again. Stream metadata (S)
// is never hinted: an append to a stream written a moment ago (its head cached) leaves its
// entry behind instead of rewriting it.
class InsertHints {
 public:
  void Clear() { ids_.clear(); }
  void Add(uint64_t stream_id) { ids_.push_back(stream_id); }
  void Seal();  // before the write: sorts for lookups
  bool HasId(uint64_t stream_id) const;
  bool empty() const { return ids_.empty(); }

 private:
  std::vector<uint64_t> ids_;
};

class ShardIndex {
 public:
  static Result<std::unique_ptr<ShardIndex>> Open(const std::string& path,
                                                  const IndexResources& res);
  ~ShardIndex();

  // A consistent view for readers; released on destruction.
  class View {
   public:
    explicit View(rocksdb::DB* db) : db_(db), snap_(db->GetSnapshot()) {}
    ~View() { db_->ReleaseSnapshot(snap_); }
    View(const View&) = delete;
    View& operator=(const View&) = delete;
    Result<std::optional<std::string>> Get(std::string_view key) const;
    std::unique_ptr<rocksdb::Iterator> NewIterator() const;

   private:
    rocksdb::DB* db_;
    const rocksdb::Snapshot* snap_;
  };

  std::unique_ptr<View> NewView() const { return std::make_unique<View>(db_.get()); }
  Result<std::optional<std::string>> Get(std::string_view key) const;
  // Reads the index as it is when created (no snapshot held beyond the iterator's own).
  std::unique_ptr<rocksdb::Iterator> NewIterator() const;
  // Like Get, but answers only from memory (memtables and block cache); nullopt when the
  // answer needs a disk read. Never blocks on I/O. A hint only (is it cached?): callers
  // take their answers from Get (see Shard::IndexGet).
  std::optional<Result<std::optional<std::string>>> GetIfCached(std::string_view key) const;
  // `hints`: the streams whose keys get insert hints (none when null).
  Status Write(rocksdb::WriteBatch* batch, const InsertHints* hints = nullptr);
  // Persists memtables so that recovery replays less log. wait=false returns at once.
  Status Flush(bool wait);
  uint64_t MemtableBytes() const;
  // Memory held by open SST readers outside the block cache (indexes, filters not cached).
  uint64_t TableReaderBytes() const;

 private:
  explicit ShardIndex(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace cairn
