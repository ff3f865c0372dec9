#include "storage/shard_index.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/coding.h"
#include "storage/index_keys.h"

namespace cairn {
namespace {

// Memtables merged into one L0 file per flush (see ShardIndex::Open).
constexpr int kMemtablesPerFlush = 3;

Status FromRocks(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(std::string(what) + ": " + s.ToString());
  return Status::IoError(std::string(what) + ": " + s.ToString());
}

// Memtable insert hints. RocksDB keeps one insert position per prefix; an insert that lands
// next to the previous one of its prefix skips the descent through the skip list. Keys a
// shard writes in increasing order get a prefix that groups them: positions (P), scope
// entries per org or org/type (G, H: up to the NUL after the name), idempotency expiries
// (X), the runs of one stream (E + stream id: versions only grow). The hints live in the
// memtable and die with it.
//
// A hint costs the memtable a splice (232 bytes of its arena) and a hint-map entry the first
// time it sees a prefix, and pays only when the next key of that prefix comes before many
// other keys have been inserted around it. So E keys are hinted only for the streams the
// shard names for the write in progress (InsertHints: those appended to a moment ago); a new
// stream or one last written long ago is inserted by a plain descent. A stream's metadata (S)
// is written when an append creates or revives the stream or finds its head uncached, by a
// delete or trim, and when a head that fell behind is evicted or marked: rarely twice in a
// memtable's life, so never hinted. The write's hints reach the prefix extractor through this
// thread-local: RocksDB inserts into the memtable on the thread that calls Write (the shard's,
// the index's only writer).
thread_local const InsertHints* t_hints = nullptr;

class InsertHintPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "cairn.InsertHintPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    switch (key[0]) {
      case index::kOrgScopeTag:
      case index::kTypeScopeTag: {
        const void* nul = std::memchr(key.data() + 1, 0, key.size() - 1);
        if (nul == nullptr) break;
        return rocksdb::Slice(key.data(), static_cast<const char*>(nul) - key.data() + 1);
      }
      case index::kRunTag:
        if (key.size() >= 9) return rocksdb::Slice(key.data(), 9);
        break;
      default:
        break;
    }
    return rocksdb::Slice(key.data(), 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    if (key.empty()) return false;
    switch (key[0]) {
      case index::kPositionTag:
      case index::kOrgScopeTag:
      case index::kTypeScopeTag:
      case index::kExpiryTag:
        return true;
      case index::kRunTag:
        return key.size() >= 9 && t_hints != nullptr &&
               t_hints->HasId(DecodeBigEndian64(key.data() + 1));
      default:
        return false;
    }
  }
};

}  // namespace

void InsertHints::Seal() { std::sort(ids_.begin(), ids_.end()); }

bool InsertHints::HasId(uint64_t stream_id) const {
  return std::binary_search(ids_.begin(), ids_.end(), stream_id);
}

IndexResources MakeIndexResources(uint64_t block_cache_bytes, uint64_t memtable_bytes,
                                  uint32_t shards) {
  IndexResources r;
  // Memtables are charged to the block cache, so the cache's capacity bounds both.
  r.block_cache = rocksdb::NewLRUCache(block_cache_bytes + memtable_bytes);
  r.write_buffers = std::make_shared<rocksdb::WriteBufferManager>(memtable_bytes, r.block_cache);
  // A shard's share holds twice what one flush writes (being filled, flushing); a flush
  // writes kMemtablesPerFlush memtables merged into one table file.
  uint64_t per = memtable_bytes / (2 * (shards == 0 ? 1 : shards) * kMemtablesPerFlush);
  r.write_buffer_size = static_cast<size_t>(std::clamp<uint64_t>(per, 1u << 20, 64u << 20));
  return r;
}

Result<std::unique_ptr<ShardIndex>> ShardIndex::Open(const std::string& path,
                                                     const IndexResources& res) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.write_buffer_size = res.write_buffer_size;
  // Random stream keys make every memtable insert a descent of the skip list, missing the
  // CPU caches at most levels: several small memtables are cheaper to insert into than one
  // large one. They are flushed together, merged into one L0 file of the size one large
  // memtable would give, so compactions run no more often.
  o.min_write_buffer_number_to_merge = kMemtablesPerFlush;
  o.max_write_buffer_number = 2 * kMemtablesPerFlush + 1;
  o.write_buffer_manager = res.write_buffers;
  o.max_background_jobs = 2;
  o.level_compaction_dynamic_level_bytes = true;
  o.compression = rocksdb::kLZ4Compression;
  o.bottommost_compression = rocksdb::kZSTD;
  o.max_open_files = 512;
  o.avoid_flush_during_shutdown = false;
  o.info_log_level = rocksdb::WARN_LEVEL;
  o.keep_log_file_num = 2;
  o.memtable_insert_with_hint_prefix_extractor = std::make_shared<InsertHintPrefix>();
  // A bloom filter over whole keys in each memtable: a lookup of a key the memtable does not
  // hold (a new stream's metadata, an unused idempotency key) skips the skip-list descent.
  o.memtable_whole_key_filtering = true;
  o.memtable_prefix_bloom_size_ratio = 0.02;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = res.block_cache;
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.whole_key_filtering = true;
  // Partitioned index and filters: a point lookup loads one small partition, never the
  // whole filter of a large SST (which, when evicted from a bounded cache, would be read
  // again in full by every cold lookup). The top levels stay pinned.
  t.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  t.partition_filters = true;
  t.metadata_block_size = 4096;
  t.pin_top_level_index_and_filter = true;
  t.optimize_filters_for_memory = true;
  t.block_size = 8 << 10;
  t.format_version = 5;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(o, path, &raw);
  CAIRN_RETURN_IF_ERROR(FromRocks(s, "open index"));
  return std::unique_ptr<ShardIndex>(new ShardIndex(std::unique_ptr<rocksdb::DB>(raw)));
}

ShardIndex::~ShardIndex() {
  if (db_) (void)db_->Close();
}

Result<std::optional<std::string>> ShardIndex::View::Get(std::string_view key) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_;
  std::string v;
  rocksdb::Status s = db_->Get(ro, rocksdb::Slice(key.data(), key.size()), &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  CAIRN_RETURN_IF_ERROR(FromRocks(s, "index get"));
  return std::optional<std::string>(std::move(v));
}

std::unique_ptr<rocksdb::Iterator> ShardIndex::View::NewIterator() const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro));
}

std::unique_ptr<rocksdb::Iterator> ShardIndex::NewIterator() const {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(rocksdb::ReadOptions()));
}

std::optional<Result<std::optional<std::string>>> ShardIndex::GetIfCached(
    std::string_view key) const {
  rocksdb::ReadOptions ro;
  ro.read_tier = rocksdb::kBlockCacheTier;
  std::string v;
  rocksdb::Status s = db_->Get(ro, rocksdb::Slice(key.data(), key.size()), &v);
  // An empty value is never a real answer for the keys looked up here (stream metadata,
  // idempotency entries), and RocksDB has returned OK with nothing for reads it could not
  // complete from memory: treat it as "not cached".
  if (s.IsIncomplete() || (s.ok() && v.empty())) return std::nullopt;
  if (s.IsNotFound()) return Result<std::optional<std::string>>(std::optional<std::string>());
  Status st = FromRocks(s, "index get");
  if (!st.ok()) return Result<std::optional<std::string>>(st);
  return Result<std::optional<std::string>>(std::optional<std::string>(std::move(v)));
}

Result<std::optional<std::string>> ShardIndex::Get(std::string_view key) const {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  CAIRN_RETURN_IF_ERROR(FromRocks(s, "index get"));
  return std::optional<std::string>(std::move(v));
}

namespace {

// Collects a batch's operations so that they can be applied in key order.
class Collector final : public rocksdb::WriteBatch::Handler {
 public:
  struct Op {
    bool put;
    rocksdb::Slice key;
    rocksdb::Slice value;
  };
  std::vector<Op> ops;
  bool other = false;  // an operation this index never writes: keep the batch as it is
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
    if (cf != 0) other = true;
    ops.push_back({true, k, v});
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& k) override {
    if (cf != 0) other = true;
    ops.push_back({false, k, {}});
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t, const rocksdb::Slice&) override {
    other = true;
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    other = true;
    return rocksdb::Status::OK();
  }
  rocksdb::Status MergeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    other = true;
    return rocksdb::Status::OK();
  }
  void LogData(const rocksdb::Slice&) override {}
};

constexpr size_t kSortBatchFrom = 64;

}  // namespace

Status ShardIndex::Write(rocksdb::WriteBatch* batch, const InsertHints* hints) {
  // The memtable inserts run on this thread, inside db_->Write (the only writer).
  t_hints = hints;
  struct Reset {
    ~Reset() { t_hints = nullptr; }
  } reset;
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  if (static_cast<size_t>(batch->Count()) >= kSortBatchFrom) {
    // A group commit's entries arrive in request order, scattered over the key space. In key
    // order, each memtable insert starts from where the previous one ended (the skip list
    // keeps that splice) instead of descending from the top: fewer comparisons and cache
    // misses. Stable, so a key written twice in one batch keeps its last value.
    Collector c;
    rocksdb::Status it = batch->Iterate(&c);
    if (it.ok() && !c.other) {
      std::stable_sort(
          c.ops.begin(), c.ops.end(),
          [](const Collector::Op& a, const Collector::Op& b) { return a.key.compare(b.key) < 0; });
      rocksdb::WriteBatch sorted(static_cast<size_t>(batch->GetDataSize()) + 64);
      for (const Collector::Op& op : c.ops) {
        rocksdb::Status s = op.put ? sorted.Put(op.key, op.value) : sorted.Delete(op.key);
        CAIRN_RETURN_IF_ERROR(FromRocks(s, "index batch"));
      }
      return FromRocks(db_->Write(wo, &sorted), "index write");
    }
  }
  return FromRocks(db_->Write(wo, batch), "index write");
}

Status ShardIndex::Flush(bool wait) {
  rocksdb::FlushOptions fo;
  fo.wait = wait;
  fo.allow_write_stall = true;
  return FromRocks(db_->Flush(fo), "index flush");
}

uint64_t ShardIndex::TableReaderBytes() const {
  uint64_t v = 0;
  db_->GetIntProperty("rocksdb.estimate-table-readers-mem", &v);
  return v;
}

uint64_t ShardIndex::MemtableBytes() const {
  uint64_t v = 0;
  db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &v);
  return v;
}

}  // namespace cairn
