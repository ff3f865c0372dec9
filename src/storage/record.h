#pragma once
// Encoding and decoding of log records (docs/formats/log.md). Decoders take bytes that
// came from disk and check every length against the bytes present.

#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "base/aligned_buffer.h"
#include "base/hash.h"
#include "cairn/types.h"
#include "storage/format.h"

namespace cairn {

using Fingerprint = std::array<uint8_t, 16>;

struct EntryView {
  uint32_t offset = 0;  // from the start of the decoded bytes
  uint32_t length = 0;
  uint64_t position = 0;
  uint64_t version = 0;
  uint64_t timestamp_ms = 0;
  Uuid id;
  std::string_view type;
  std::string_view data;
  std::string_view metadata;
  Hash256 payload_hash{};
  Hash256 chain_hash{};
  std::optional<EventSeal> seal;  // an encrypted entry: data and metadata are ciphertext
};

struct ClauseView {
  std::string_view stream;
  uint64_t stream_id = 0;
  uint64_t first_version = 0;
  uint64_t first_readable = 0;
  uint64_t created_ms = 0;
  bool created = false;         // this record created the stream
  uint64_t first_position = 0;  // of the clause's first event
  uint32_t count = 0;           // events in the clause
  uint32_t entries_offset = 0;  // from the start of the record
  uint32_t entries_bytes = 0;
  std::vector<EntryView> entries;  // empty when decoded by DecodeEventsRecordClauses
};

struct EventsRecordView {
  format::RecordHeader header;
  std::string_view idempotency_key;
  Fingerprint fingerprint{};
  bool transaction = false;
  std::vector<ClauseView> clauses;
};

struct StreamStateView {
  std::string_view stream;
  uint64_t stream_id = 0;
  uint64_t version = 0;
  uint64_t first_readable = 0;
  uint64_t created_ms = 0;
  DeletedState deleted = DeletedState::kNone;
};

// Builds one kEvents record at the end of a buffer. The buffer's size must be a multiple
// of 8 when the builder starts; Finish() pads it back to a multiple of 8.
class EventsRecordBuilder {
 public:
  EventsRecordBuilder(AlignedBuffer* buf, uint64_t first_position, uint64_t timestamp_ms,
                      std::string_view idempotency_key, const Fingerprint& fingerprint,
                      bool transaction, uint16_t clause_count);
  void BeginClause(std::string_view stream, uint64_t stream_id, uint64_t first_version,
                   uint64_t first_readable, uint64_t created_ms, uint32_t event_count,
                   bool created);
  // Appends one event entry; returns the entry's offset in the buffer. `payload_hash` is
  // PayloadHash(data, metadata) and `chain_hash` the event's h[n] under the segment's chain
  // version, both computed by the caller (PayloadHashes and ChainRun do a whole clause's at
  // once). `seal`: the event is encrypted (data and metadata hold the ciphertext).
  size_t AddEvent(uint64_t position, uint64_t version, const Uuid& id, std::string_view type,
                  std::string_view data, std::string_view metadata, const Hash256& payload_hash,
                  const Hash256& chain_hash, const EventSeal* seal = nullptr);
  // Fills in length and CRC; returns the record's offset in the buffer.
  size_t Finish();
  // Byte size of a record before padding; used to check limits before building.
  static size_t EntrySize(size_t type, size_t data, size_t meta, bool sealed = false) {
    return format::kEntryFixedSize + (sealed ? format::kEntrySealSize : 0) + type + data + meta;
  }

 private:
  AlignedBuffer* buf_;
  size_t start_;
  uint64_t timestamp_ms_;
  uint32_t events_ = 0;
};

// Appends a kStreamState record (delete or trim) to the buffer; returns its offset.
size_t AppendStreamStateRecord(AlignedBuffer* buf, uint64_t next_position, uint64_t timestamp_ms,
                               const StreamStateView& state);

struct GroupCursorView {
  std::string_view group;
  std::string_view scope;
  uint64_t cursor = 0;
  bool deleted = false;
};

// Appends a kGroupCursor record (a group's cursor committed or deleted); returns its offset.
size_t AppendGroupCursorRecord(AlignedBuffer* buf, uint64_t next_position, uint64_t timestamp_ms,
                               const GroupCursorView& g);
Result<GroupCursorView> DecodeGroupCursorRecord(std::string_view record);

// A kSchema record: one JSON Schema registered for (org, event type, version).
struct SchemaView {
  std::string_view org;
  std::string_view type;
  SchemaVersion version;
  std::string_view body;
};

// Bytes of a kSchema record before padding.
size_t SchemaRecordSize(const SchemaView& s);
// Appends a kSchema record; returns its offset.
size_t AppendSchemaRecord(AlignedBuffer* buf, uint64_t next_position, uint64_t timestamp_ms,
                          const SchemaView& s);
Result<SchemaView> DecodeSchemaRecord(std::string_view record);

// Checks the CRC of a whole record (`record` holds exactly header.length bytes).
Status CheckRecordCrc(std::string_view record);
// Decodes the body of a kEvents / kStreamState record whose CRC was already checked.
// On failure inside an event entry, *failed_position (if given) is that event's position
// and *failed_offset (if given) the entry's offset from the start of the record.
Result<EventsRecordView> DecodeEventsRecord(std::string_view record,
                                            uint64_t* failed_position = nullptr,
                                            uint32_t* failed_offset = nullptr);
// The header and clauses of an events record this process has just built, for its index
// entries and its result: entries are stepped over by their lengths (bounds-checked), neither
// decoded nor CRC-checked, and ClauseView::entries stays empty.
Result<EventsRecordView> DecodeEventsRecordClauses(std::string_view record);
Result<StreamStateView> DecodeStreamStateRecord(std::string_view record);
// Whether one event's stored payload hash and chain hash match its bytes, given the chain
// hash h[n-1] of the event before it, under chain version `chain` (the segment's format
// version: kChainV1 or kChainV2).
bool EntryChainOk(uint32_t chain, const ClauseView& clause, const EntryView& e,
                  const Hash256& prev);
// Recomputes every event's payload hash and chain hash from *head (h[n-1]) under chain
// version `chain` and compares them with the stored ones; advances *head. On a mismatch,
// *bad_position is the first bad event.
Status CheckRecordChain(uint32_t chain, const EventsRecordView& r, Hash256* head,
                        uint64_t* bad_position);
// Decodes one entry at the start of `in`; checks its own CRC.
Result<EntryView> DecodeEntry(std::string_view in);

}  // namespace cairn
