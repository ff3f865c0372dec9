#pragma once
// Turns a decoded log record into index updates. The live write path and recovery both
// use these functions, so the index a crash rebuilds is the index a clean run writes.

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>
#include <string>
#include <unordered_set>

#include "storage/index_keys.h"
#include "storage/record.h"

namespace cairn {

struct RecordPlace {
  uint32_t shard = 0;
  uint32_t segment_id = 0;
  uint64_t offset = 0;  // of the record in its segment
};

// The reply an append gets, derived from its record (also what a duplicate retry gets).
AppendResult ResultFromRecord(const EventsRecordView& r, uint32_t shard);

// Gathers the scope groups (P, G, H keys) of the records written together: one entry per
// scope per group commit (or replay batch) instead of one per record, which keeps the
// index small and the memtable inserts few. Owned by one batch; not thread-safe.
class ScopeIndexer {
 public:
  void Add(const EventsRecordView& r, const RecordPlace& place);
  // Writes one entry per scope seen since the last Flush, then forgets them.
  void Flush(rocksdb::WriteBatch* wb);
  bool empty() const { return all_.first_position == 0; }

 private:
  struct Group {
    uint64_t first_position = 0;
    uint64_t last_position = 0;  // first position of the last record added
    std::string locations;       // EncodeLocations format
  };
  static void AddTo(Group* g, uint64_t position, const index::Location& loc);
  static Group& GroupFor(std::map<std::string, Group, std::less<>>& groups, std::string_view scope);
  Group all_;
  std::map<std::string, Group, std::less<>> orgs_;
  std::map<std::string, Group, std::less<>> types_;
};

// The org and type listing keys (O, T) a shard has already put in its index, so that the
// first append of every new stream does not write them again: two memtable inserts (two
// descents of the skip list) fewer per new stream of a known org and type. Listing keys are
// never deleted, so a key once written stays true (a change that removes them must empty
// this set too). Bounded: when full it forgets every key and learns them again (each is then
// written once more, which is harmless). Owned by the shard's thread.
class KnownListings {
 public:
  static constexpr size_t kDefaultMaxKeys = 4096;
  explicit KnownListings(size_t max_keys = kDefaultMaxKeys)
      : max_keys_(std::max<size_t>(max_keys, 1)) {}
  // True when `key` was not known: the caller writes it. Remembers it either way.
  bool Learn(const std::string& key);
  size_t size() const { return keys_.size(); }

 private:
  size_t max_keys_;
  std::unordered_set<std::string> keys_;
};

// Adds the index entries of an events record: stream metadata, runs, org and type
// listings, and the idempotency entry; its scope groups go to `scopes`. With `known`, a
// listing key it already knows is not written again (the live write path and recovery's
// replay, each with its own set); without, every new stream writes them. With `write_meta`
// (one flag per clause), only the flagged clauses rewrite their stream's metadata entry:
// the live path, whose heads know when the entry must change; recovery rewrites it for
// every clause, as it replays without the heads.
void IndexEventsRecord(const EventsRecordView& r, const RecordPlace& place,
                       uint64_t idempotency_window_ms, rocksdb::WriteBatch* wb,
                       ScopeIndexer* scopes, KnownListings* known = nullptr,
                       const std::vector<uint8_t>* write_meta = nullptr);

// Adds the new metadata of the stream a delete or trim record changed.
// Only the stream metadata entries of an events record, as IndexEventsRecord writes them
// for every clause (recovery's rewrite of entries a crash left behind, see Shard::Recover).
void IndexEventsRecordMeta(const EventsRecordView& r, rocksdb::WriteBatch* wb);

void IndexStreamStateRecord(const StreamStateView& s, uint64_t timestamp_ms,
                            rocksdb::WriteBatch* wb);

// Stores (or removes) the group cursor a kGroupCursor record names.
void IndexGroupCursorRecord(const GroupCursorView& g, rocksdb::WriteBatch* wb);
// Stores the schema a kSchema record registers.
void IndexSchemaRecord(const SchemaView& s, rocksdb::WriteBatch* wb);

}  // namespace cairn
