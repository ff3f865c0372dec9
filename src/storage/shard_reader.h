#pragma once
// Reads against one shard's index and segment files. Safe from any thread: each call
// works on one index snapshot and sees only indexed (hence durable) events.

#include <string>
#include <vector>

#include "cairn/types.h"
#include "storage/segment_files.h"
#include "storage/shard_index.h"

namespace cairn {

class ShardReader {
 public:
  ShardReader(uint32_t shard, const ShardIndex* index, const SegmentFiles* segments)
      : shard_(shard), index_(index), segments_(segments) {}

  Result<ReadResult> ReadStream(const ReadRequest& req) const;
  // scope_tag is 'P' (whole shard), 'G' (org) or 'H' (org/type); scope the org or org/type.
  Result<ScanResult> Scan(char scope_tag, std::string_view scope, const ScanRequest& req) const;
  Result<StreamInfo> Info(std::string_view stream) const;
  // Names after `after` (exclusive) under `scope` + "/", at most `count`.
  Result<std::vector<std::string>> ListStreams(std::string_view scope, std::string_view after,
                                               uint32_t count) const;
  Result<std::vector<std::string>> ListTypes(std::string_view org) const;
  Result<std::vector<std::string>> ListOrgs(std::string_view after, uint32_t count) const;
  // A consumer group's stored cursor (nullopt when none).
  Result<std::optional<uint64_t>> GroupOffset(std::string_view scope, std::string_view group) const;
  // Group cursors of one scope (empty: every scope), sorted by scope then group; appends to
  // *out until it holds `limit` entries.
  Status ListGroups(std::string_view scope, size_t limit, std::vector<GroupCursor>* out) const;
  // Every registered schema (kept in shard 0), sorted by org, type, version; at most `limit`.
  Result<std::vector<SchemaDefinition>> ListSchemas(size_t limit) const;

 private:
  // A run's entries, or a whole record, read through the page cache and checked; read again
  // past the cache when the check fails (SegmentFiles::ReadDirect).
  Status ReadEntries(const index::Location& loc, std::string* bytes,
                     std::vector<EntryView>* entries) const;
  Status ReadRecord(const index::Location& loc, std::string* bytes) const;
  uint32_t shard_;
  const ShardIndex* index_;
  const SegmentFiles* segments_;
};

}  // namespace cairn
