#include "storage/record.h"

#include "base/coding.h"
#include "base/crc32c.h"
#include "cairn/limits.h"
#include "storage/chain.h"

namespace cairn {
namespace {

template <typename T>
void Put(AlignedBuffer* b, T v) {
  b->Append(&v, sizeof(v));
}

void PutBytes16(AlignedBuffer* b, std::string_view s) {
  Put<uint16_t>(b, static_cast<uint16_t>(s.size()));
  b->Append(s.data(), s.size());
}

void PadTo8(AlignedBuffer* b) { b->Resize(format::AlignUp(b->size(), format::kRecordAlign)); }

void SealRecord(AlignedBuffer* b, size_t start) {
  uint32_t length = static_cast<uint32_t>(b->size() - start);
  char* rec = b->data() + start;
  EncodeFixed32(rec + 8, length);
  uint32_t crc = crc32c::Value(rec + format::kRecordCrcStart, length - format::kRecordCrcStart);
  EncodeFixed32(rec + format::kRecordCrcOffset, crc);
  PadTo8(b);
}

}  // namespace

EventsRecordBuilder::EventsRecordBuilder(AlignedBuffer* buf, uint64_t first_position,
                                         uint64_t timestamp_ms, std::string_view idempotency_key,
                                         const Fingerprint& fingerprint, bool transaction,
                                         uint16_t clause_count)
    : buf_(buf), start_(buf->size()), timestamp_ms_(timestamp_ms) {
  CAIRN_DASSERT(start_ % format::kRecordAlign == 0);
  format::RecordHeader h;
  h.type = format::RecordType::kEvents;
  h.first_position = first_position;
  h.timestamp_ms = timestamp_ms;
  format::EncodeRecordHeader(h, buf_->Extend(format::kRecordHeaderSize));
  PutBytes16(buf_, idempotency_key);
  if (!idempotency_key.empty()) {
    buf_->Append(fingerprint.data(), fingerprint.size());
    Put<uint8_t>(buf_, transaction ? 1 : 0);
  }
  Put<uint16_t>(buf_, clause_count);
}

void EventsRecordBuilder::BeginClause(std::string_view stream, uint64_t stream_id,
                                      uint64_t first_version, uint64_t first_readable,
                                      uint64_t created_ms, uint32_t event_count, bool created) {
  PutBytes16(buf_, stream);
  Put<uint64_t>(buf_, stream_id);
  Put<uint64_t>(buf_, first_version);
  Put<uint64_t>(buf_, first_readable);
  Put<uint64_t>(buf_, created_ms);
  Put<uint32_t>(buf_, event_count);
  Put<uint8_t>(buf_, created ? 1 : 0);
}

size_t EventsRecordBuilder::AddEvent(uint64_t position, uint64_t version, const Uuid& id,
                                     std::string_view type, std::string_view data,
                                     std::string_view metadata, const Hash256& payload,
                                     const Hash256& chain_hash, const EventSeal* seal) {
  size_t at = buf_->size();
  size_t len = EntrySize(type.size(), data.size(), metadata.size(), seal != nullptr);
  char* e = buf_->Extend(len);
  char* p = e + 8;
  EncodeFixed64(p, position);
  EncodeFixed64(p + 8, version);
  EncodeFixed64(p + 16, timestamp_ms_);
  std::memcpy(p + 24, id.bytes.data(), 16);
  uint16_t tl = static_cast<uint16_t>(type.size());
  if (seal != nullptr) tl |= format::kEntrySealedFlag;
  std::memcpy(p + 40, &tl, 2);
  EncodeFixed32(p + 42, static_cast<uint32_t>(data.size()));
  EncodeFixed32(p + 46, static_cast<uint32_t>(metadata.size()));
  std::memcpy(p + 50, payload.data(), 32);
  std::memcpy(p + 82, chain_hash.data(), 32);
  p += 114;
  if (seal != nullptr) {
    EncodeFixed32(p, seal->key_id);
    std::memcpy(p + 4, seal->nonce.data(), seal->nonce.size());
    std::memcpy(p + 16, seal->tag.data(), seal->tag.size());
    p += format::kEntrySealSize;
  }
  std::memcpy(p, type.data(), type.size());
  p += type.size();
  if (!data.empty()) std::memcpy(p, data.data(), data.size());
  p += data.size();
  if (!metadata.empty()) std::memcpy(p, metadata.data(), metadata.size());
  EncodeFixed32(e, static_cast<uint32_t>(len));
  EncodeFixed32(e + 4, crc32c::Value(e + 8, len - 8));
  ++events_;
  return at;
}

size_t EventsRecordBuilder::Finish() {
  EncodeFixed32(buf_->data() + start_ + 32, events_);
  SealRecord(buf_, start_);
  return start_;
}

namespace {

// Writes the header of a record that takes no position; returns the record's offset.
size_t BeginInternalRecord(AlignedBuffer* buf, format::RecordType type, uint64_t next_position,
                           uint64_t timestamp_ms) {
  size_t start = buf->size();
  format::RecordHeader h;
  h.type = type;
  h.first_position = next_position;
  h.timestamp_ms = timestamp_ms;
  format::EncodeRecordHeader(h, buf->Extend(format::kRecordHeaderSize));
  return start;
}

}  // namespace

size_t AppendStreamStateRecord(AlignedBuffer* buf, uint64_t next_position, uint64_t timestamp_ms,
                               const StreamStateView& s) {
  size_t start =
      BeginInternalRecord(buf, format::RecordType::kStreamState, next_position, timestamp_ms);
  PutBytes16(buf, s.stream);
  Put<uint64_t>(buf, s.stream_id);
  Put<uint64_t>(buf, s.version);
  Put<uint64_t>(buf, s.first_readable);
  Put<uint64_t>(buf, s.created_ms);
  Put<uint8_t>(buf, static_cast<uint8_t>(s.deleted));
  SealRecord(buf, start);
  return start;
}

size_t AppendGroupCursorRecord(AlignedBuffer* buf, uint64_t next_position, uint64_t timestamp_ms,
                               const GroupCursorView& g) {
  size_t start =
      BeginInternalRecord(buf, format::RecordType::kGroupCursor, next_position, timestamp_ms);
  PutBytes16(buf, g.group);
  PutBytes16(buf, g.scope);
  Put<uint64_t>(buf, g.cursor);
  Put<uint8_t>(buf, g.deleted ? 1 : 0);
  SealRecord(buf, start);
  return start;
}

size_t SchemaRecordSize(const SchemaView& s) {
  return format::kRecordHeaderSize + 2 + s.org.size() + 2 + s.type.size() + 12 + 4 + s.body.size();
}

size_t AppendSchemaRecord(AlignedBuffer* buf, uint64_t next_position, uint64_t timestamp_ms,
                          const SchemaView& s) {
  size_t start = BeginInternalRecord(buf, format::RecordType::kSchema, next_position, timestamp_ms);
  PutBytes16(buf, s.org);
  PutBytes16(buf, s.type);
  Put<uint32_t>(buf, s.version.major);
  Put<uint32_t>(buf, s.version.minor);
  Put<uint32_t>(buf, s.version.patch);
  Put<uint32_t>(buf, static_cast<uint32_t>(s.body.size()));
  buf->Append(s.body.data(), s.body.size());
  SealRecord(buf, start);
  return start;
}

Status CheckRecordCrc(std::string_view record) {
  if (record.size() < format::kRecordHeaderSize) return Status::Corruption("record truncated");
  uint32_t stored = DecodeFixed32(record.data() + format::kRecordCrcOffset);
  uint32_t actual = crc32c::Value(record.data() + format::kRecordCrcStart,
                                  record.size() - format::kRecordCrcStart);
  if (stored != actual) return Status::Corruption("record checksum mismatch");
  return Status::Ok();
}

Result<EntryView> DecodeEntry(std::string_view in) {
  if (in.size() < format::kEntryFixedSize) return Status::Corruption("event entry truncated");
  const char* e = in.data();
  EntryView v;
  v.length = DecodeFixed32(e);
  if (v.length < format::kEntryFixedSize || v.length > in.size()) {
    return Status::Corruption("bad event entry length");
  }
  if (DecodeFixed32(e + 4) != crc32c::Value(e + 8, v.length - 8)) {
    return Status::Corruption("event entry checksum mismatch");
  }
  const char* p = e + 8;
  v.position = DecodeFixed64(p);
  v.version = DecodeFixed64(p + 8);
  v.timestamp_ms = DecodeFixed64(p + 16);
  std::memcpy(v.id.bytes.data(), p + 24, 16);
  uint16_t tl = DecodeFixed16(p + 40);
  uint32_t dl = DecodeFixed32(p + 42);
  uint32_t ml = DecodeFixed32(p + 46);
  std::memcpy(v.payload_hash.data(), p + 50, 32);
  std::memcpy(v.chain_hash.data(), p + 82, 32);
  const bool sealed = (tl & format::kEntrySealedFlag) != 0;
  tl &= static_cast<uint16_t>(~format::kEntrySealedFlag);
  const uint64_t seal_bytes = sealed ? format::kEntrySealSize : 0;
  if (static_cast<uint64_t>(format::kEntryFixedSize) + seal_bytes + tl + dl + ml != v.length) {
    return Status::Corruption("event entry field lengths disagree");
  }
  // Never written (requests are refused first); the chain's header encoding relies on it.
  if (tl > kMaxEventTypeBytes) return Status::Corruption("event type longer than the limit");
  p += 114;
  if (sealed) {
    EventSeal s;
    s.key_id = DecodeFixed32(p);
    std::memcpy(s.nonce.data(), p + 4, s.nonce.size());
    std::memcpy(s.tag.data(), p + 16, s.tag.size());
    v.seal = s;
    p += format::kEntrySealSize;
  }
  v.type = std::string_view(p, tl);
  v.data = std::string_view(p + tl, dl);
  v.metadata = std::string_view(p + tl + dl, ml);
  return v;
}

namespace {

// with_entries: decode and CRC-check every entry into ClauseView::entries; otherwise step over
// them by their lengths.
Result<EventsRecordView> DecodeEvents(std::string_view record, bool with_entries,
                                      uint64_t* failed_position, uint32_t* failed_offset) {
  CAIRN_ASSIGN_OR_RETURN(format::RecordHeader h, format::DecodeRecordHeader(record));
  if (h.type != format::RecordType::kEvents || h.length != record.size()) {
    return Status::Corruption("not an events record");
  }
  EventsRecordView r;
  r.header = h;
  Decoder d(record.substr(format::kRecordHeaderSize));
  r.idempotency_key = d.GetBytes(d.Get16());
  if (!r.idempotency_key.empty()) {
    std::string_view fp = d.GetBytes(16);
    if (fp.size() == 16) std::memcpy(r.fingerprint.data(), fp.data(), 16);
    r.transaction = d.Get8() != 0;
  }
  uint16_t clauses = d.Get16();
  uint64_t expected_position = h.first_position;
  uint32_t total = 0;
  for (uint16_t c = 0; c < clauses && d.ok(); ++c) {
    ClauseView cv;
    cv.stream = d.GetBytes(d.Get16());
    cv.stream_id = d.Get64();
    cv.first_version = d.Get64();
    cv.first_readable = d.Get64();
    cv.created_ms = d.Get64();
    uint32_t n = d.Get32();
    cv.created = d.Get8() != 0;
    // Every entry takes at least its fixed part: a count the rest of the record cannot hold
    // is refused before anything is sized by it.
    if (!d.ok() || n == 0 || n > h.event_count || n > d.remaining() / format::kEntryFixedSize ||
        cv.stream.size() > kMaxStreamNameBytes) {
      return Status::Corruption("bad clause header");
    }
    cv.first_position = expected_position;
    cv.count = n;
    cv.entries_offset = static_cast<uint32_t>(d.position() - record.data());
    if (with_entries) cv.entries.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      size_t off = static_cast<size_t>(d.position() - record.data());
      if (!with_entries) {
        uint32_t len = d.remaining() >= 4 ? DecodeFixed32(d.position()) : 0;
        if (len < format::kEntryFixedSize || len > d.remaining()) {
          return Status::Corruption("bad event entry length");
        }
        d.Skip(len);
        ++expected_position;
        continue;
      }
      auto entry = DecodeEntry(record.substr(off));
      if (!entry.ok()) {
        if (failed_position != nullptr) *failed_position = expected_position;
        if (failed_offset != nullptr) *failed_offset = static_cast<uint32_t>(off);
        return entry.status();
      }
      EntryView e = *entry;
      if (e.position != expected_position || e.version != cv.first_version + i ||
          e.timestamp_ms != h.timestamp_ms) {
        if (failed_position != nullptr) *failed_position = expected_position;
        if (failed_offset != nullptr) *failed_offset = static_cast<uint32_t>(off);
        return Status::Corruption("event entry out of sequence at position " +
                                  std::to_string(e.position));
      }
      e.offset = static_cast<uint32_t>(off);
      d.Skip(e.length);
      ++expected_position;
      cv.entries.push_back(e);
    }
    cv.entries_bytes = static_cast<uint32_t>(d.position() - record.data()) - cv.entries_offset;
    total += n;
    r.clauses.push_back(std::move(cv));
  }
  if (!d.ok() || d.remaining() != 0 || total != h.event_count || total == 0) {
    return Status::Corruption("events record body malformed");
  }
  return r;
}

}  // namespace

Result<EventsRecordView> DecodeEventsRecord(std::string_view record, uint64_t* failed_position,
                                            uint32_t* failed_offset) {
  return DecodeEvents(record, true, failed_position, failed_offset);
}

Result<EventsRecordView> DecodeEventsRecordClauses(std::string_view record) {
  return DecodeEvents(record, false, nullptr, nullptr);
}

Result<StreamStateView> DecodeStreamStateRecord(std::string_view record) {
  CAIRN_ASSIGN_OR_RETURN(format::RecordHeader h, format::DecodeRecordHeader(record));
  if (h.type != format::RecordType::kStreamState || h.length != record.size()) {
    return Status::Corruption("not a stream state record");
  }
  Decoder d(record.substr(format::kRecordHeaderSize));
  StreamStateView s;
  s.stream = d.GetBytes(d.Get16());
  s.stream_id = d.Get64();
  s.version = d.Get64();
  s.first_readable = d.Get64();
  s.created_ms = d.Get64();
  uint8_t del = d.Get8();
  if (!d.ok() || d.remaining() != 0 || del > 2) {
    return Status::Corruption("stream state record malformed");
  }
  s.deleted = static_cast<DeletedState>(del);
  return s;
}

Result<GroupCursorView> DecodeGroupCursorRecord(std::string_view record) {
  CAIRN_ASSIGN_OR_RETURN(format::RecordHeader h, format::DecodeRecordHeader(record));
  if (h.type != format::RecordType::kGroupCursor || h.length != record.size()) {
    return Status::Corruption("not a group cursor record");
  }
  Decoder d(record.substr(format::kRecordHeaderSize));
  GroupCursorView g;
  g.group = d.GetBytes(d.Get16());
  g.scope = d.GetBytes(d.Get16());
  g.cursor = d.Get64();
  uint8_t del = d.Get8();
  if (!d.ok() || d.remaining() != 0 || del > 1 || g.group.empty() || g.scope.empty()) {
    return Status::Corruption("group cursor record malformed");
  }
  g.deleted = del == 1;
  return g;
}

Result<SchemaView> DecodeSchemaRecord(std::string_view record) {
  CAIRN_ASSIGN_OR_RETURN(format::RecordHeader h, format::DecodeRecordHeader(record));
  if (h.type != format::RecordType::kSchema || h.length != record.size()) {
    return Status::Corruption("not a schema record");
  }
  Decoder d(record.substr(format::kRecordHeaderSize));
  SchemaView s;
  s.org = d.GetBytes(d.Get16());
  s.type = d.GetBytes(d.Get16());
  s.version.major = d.Get32();
  s.version.minor = d.Get32();
  s.version.patch = d.Get32();
  uint32_t body_len = d.Get32();
  s.body = d.GetBytes(body_len);
  if (!d.ok() || d.remaining() != 0 || s.org.empty() || s.type.empty() || s.body.empty() ||
      body_len > kMaxSchemaBytes) {
    return Status::Corruption("schema record malformed");
  }
  return s;
}

}  // namespace cairn

namespace cairn {

namespace {

ChainFields FieldsOf(const ClauseView& c, const EntryView& e) {
  return ChainFields{e.position,
                     e.version,
                     e.timestamp_ms,
                     &e.id,
                     c.stream,
                     e.type,
                     static_cast<uint32_t>(e.data.size()),
                     static_cast<uint32_t>(e.metadata.size())};
}

}  // namespace

bool EntryChainOk(uint32_t chain, const ClauseView& c, const EntryView& e, const Hash256& prev) {
  return PayloadHash(e.data, e.metadata) == e.payload_hash &&
         ChainStep(chain, prev, FieldsOf(c, e), e.payload_hash) == e.chain_hash;
}

Status CheckRecordChain(uint32_t chain, const EventsRecordView& r, Hash256* head,
                        uint64_t* bad_position) {
  // A clause's payload hashes are independent of each other, and so are its version 2 leaves:
  // computed side by side where the CPU allows, then compared event by event.
  thread_local std::vector<HashInput> payloads;
  thread_local std::vector<Hash256> hashes, stored, chained;
  thread_local std::vector<ChainFields> fields;
  for (const ClauseView& c : r.clauses) {
    const size_t n = c.entries.size();
    payloads.clear();
    fields.clear();
    stored.clear();
    for (const EntryView& e : c.entries) {
      payloads.push_back({e.data, e.metadata});
      fields.push_back(FieldsOf(c, e));
      stored.push_back(e.payload_hash);
    }
    hashes.resize(n);
    chained.resize(n);
    PayloadHashes(payloads.data(), n, hashes.data());
    // The chain runs over the stored payload hashes, so a bad payload is reported at its own
    // event and not as a broken chain after it.
    Hash256 h = *head;
    ChainRun(chain, fields.data(), stored.data(), n, &h, chained.data());
    for (size_t k = 0; k < n; ++k) {
      const EntryView& e = c.entries[k];
      if (hashes[k] != e.payload_hash || chained[k] != e.chain_hash) {
        if (bad_position != nullptr) *bad_position = e.position;
        return Status::Corruption("hash chain broken at position " + std::to_string(e.position));
      }
      *head = e.chain_hash;
    }
  }
  return Status::Ok();
}

}  // namespace cairn
