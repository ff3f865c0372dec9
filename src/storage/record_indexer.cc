#include "storage/record_indexer.h"

#include <set>

#include "base/coding.h"
#include "base/names.h"

namespace cairn {
namespace {

void Put(rocksdb::WriteBatch* wb, const std::string& k, const std::string& v) {
  (void)wb->Put(rocksdb::Slice(k), rocksdb::Slice(v));
}

}  // namespace

AppendResult ResultFromRecord(const EventsRecordView& r, uint32_t shard) {
  AppendResult res;
  res.shard = shard;
  res.first_position = r.header.first_position;
  res.last_position = r.header.first_position + r.header.event_count - 1;
  res.timestamp_ms = r.header.timestamp_ms;
  for (const ClauseView& c : r.clauses) {
    res.streams.push_back(StreamRange{std::string(c.stream), c.first_version,
                                      c.first_version + c.entries.size() - 1});
  }
  return res;
}

void IndexEventsRecord(const EventsRecordView& r, const RecordPlace& place,
                       uint64_t idempotency_window_ms, rocksdb::WriteBatch* wb) {
  const uint64_t ts = r.header.timestamp_ms;
  index::Location record_loc{place.segment_id, static_cast<uint32_t>(place.offset),
                             r.header.length};
  std::string loc = index::EncodeLocation(record_loc);
  Put(wb, index::PositionKey(r.header.first_position), loc);
  std::set<std::string_view> orgs;
  std::set<std::string_view> org_types;
  for (const ClauseView& c : r.clauses) {
    auto name = ParseStreamName(c.stream);
    CAIRN_ASSERT(name.ok());  // validated before it was written; CRC-checked since
    orgs.insert(name->org);
    org_types.insert(name->org_type);
    index::StreamMeta m;
    m.stream_id = c.stream_id;
    m.version = c.first_version + c.entries.size() - 1;
    m.first_readable = c.first_readable;
    m.created_ms = c.created_ms;
    m.updated_ms = ts;
    m.deleted = DeletedState::kNone;
    Put(wb, index::StreamKey(c.stream), index::EncodeStreamMeta(m));
    index::Run run;
    run.first_position = c.entries.front().position;
    run.count = static_cast<uint32_t>(c.entries.size());
    run.entries = {place.segment_id, static_cast<uint32_t>(place.offset + c.entries_offset),
                   c.entries_bytes};
    Put(wb, index::RunKey(c.stream_id, c.first_version), index::EncodeRun(run));
    if (c.created) {
      Put(wb, index::OrgKey(name->org), "");
      Put(wb, index::TypeKey(name->org, name->type), "");
    }
  }
  for (std::string_view org : orgs) {
    Put(wb, index::OrgScopeKey(org, r.header.first_position), loc);
  }
  for (std::string_view ot : org_types) {
    Put(wb, index::TypeScopeKey(ot, r.header.first_position), loc);
  }
  if (!r.idempotency_key.empty()) {
    index::IdempotencyEntry e;
    e.expiry_ms = ts + idempotency_window_ms;
    e.fingerprint = r.fingerprint;
    e.result = ResultFromRecord(r, place.shard);
    // The stored key is already scoped: org \0 key.
    std::string k(1, index::kIdemTag);
    k.append(r.idempotency_key);
    Put(wb, k, index::EncodeIdempotency(e));
    std::string x(1, index::kExpiryTag);
    PutBigEndian64(&x, e.expiry_ms);
    x.append(r.idempotency_key);
    Put(wb, x, "");
  }
}

void IndexStreamStateRecord(const StreamStateView& s, uint64_t timestamp_ms,
                            rocksdb::WriteBatch* wb) {
  index::StreamMeta m;
  m.stream_id = s.stream_id;
  m.version = s.version;
  m.first_readable = s.first_readable;
  m.created_ms = s.created_ms;
  m.updated_ms = timestamp_ms;
  m.deleted = s.deleted;
  Put(wb, index::StreamKey(s.stream), index::EncodeStreamMeta(m));
  // A delete may name a stream that never had events; keep it discoverable.
  auto name = ParseStreamName(s.stream);
  CAIRN_ASSERT(name.ok());
  Put(wb, index::OrgKey(name->org), "");
  Put(wb, index::TypeKey(name->org, name->type), "");
}

}  // namespace cairn
