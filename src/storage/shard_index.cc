#include "storage/shard_index.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

namespace cairn {
namespace {

Status FromRocks(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(std::string(what) + ": " + s.ToString());
  return Status::IoError(std::string(what) + ": " + s.ToString());
}

}  // namespace

IndexResources MakeIndexResources(uint64_t block_cache_bytes, uint64_t memtable_bytes,
                                  uint32_t shards) {
  IndexResources r;
  // Memtables are charged to the block cache, so the cache's capacity bounds both.
  r.block_cache = rocksdb::NewLRUCache(block_cache_bytes + memtable_bytes);
  r.write_buffers =
      std::make_shared<rocksdb::WriteBufferManager>(memtable_bytes, r.block_cache);
  // Two memtables per shard (one being filled, one flushing) fit in the memtable share.
  uint64_t per = memtable_bytes / (2 * (shards == 0 ? 1 : shards));
  r.write_buffer_size = static_cast<size_t>(std::clamp<uint64_t>(per, 1u << 20, 64u << 20));
  return r;
}

Result<std::unique_ptr<ShardIndex>> ShardIndex::Open(const std::string& path,
                                                     const IndexResources& res) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.write_buffer_size = res.write_buffer_size;
  o.max_write_buffer_number = 3;
  o.write_buffer_manager = res.write_buffers;
  o.max_background_jobs = 2;
  o.level_compaction_dynamic_level_bytes = true;
  o.compression = rocksdb::kLZ4Compression;
  o.bottommost_compression = rocksdb::kZSTD;
  o.max_open_files = 512;
  o.avoid_flush_during_shutdown = false;
  o.info_log_level = rocksdb::WARN_LEVEL;
  o.keep_log_file_num = 2;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = res.block_cache;
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.whole_key_filtering = true;
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

Result<std::optional<std::string>> ShardIndex::Get(std::string_view key) const {
  std::string v;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  CAIRN_RETURN_IF_ERROR(FromRocks(s, "index get"));
  return std::optional<std::string>(std::move(v));
}

Status ShardIndex::Write(rocksdb::WriteBatch* batch) {
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  return FromRocks(db_->Write(wo, batch), "index write");
}

Status ShardIndex::Flush(bool wait) {
  rocksdb::FlushOptions fo;
  fo.wait = wait;
  fo.allow_write_stall = true;
  return FromRocks(db_->Flush(fo), "index flush");
}

uint64_t ShardIndex::MemtableBytes() const {
  uint64_t v = 0;
  db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &v);
  return v;
}

}  // namespace cairn
