#pragma once
// Turns a decoded log record into index updates. The live write path and recovery both
// use these functions, so the index a crash rebuilds is the index a clean run writes.

#include <rocksdb/write_batch.h>

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

// Adds the index entries of an events record: stream metadata, runs, the position and
// scope entries, org and type listings, and the idempotency entry.
void IndexEventsRecord(const EventsRecordView& r, const RecordPlace& place,
                       uint64_t idempotency_window_ms, rocksdb::WriteBatch* wb);

// Adds the new metadata of the stream a delete or trim record changed.
void IndexStreamStateRecord(const StreamStateView& s, uint64_t timestamp_ms,
                            rocksdb::WriteBatch* wb);

}  // namespace cairn
