#include "storage/record_indexer.h"

#include "base/coding.h"
#include "base/names.h"

namespace cairn {
namespace {

void Put(rocksdb::WriteBatch* wb, const std::string& k, const std::string& v) {
  (void)wb->Put(rocksdb::Slice(k), rocksdb::Slice(v));
}

void PutListing(rocksdb::WriteBatch* wb, const std::string& k, KnownListings* known) {
  if (known == nullptr || known->Learn(k)) Put(wb, k, "");
}

void PutClauseMeta(rocksdb::WriteBatch* wb, const ClauseView& c, uint64_t ts) {
  index::StreamMeta m;
  m.stream_id = c.stream_id;
  m.version = c.first_version + c.count - 1;
  m.first_readable = c.first_readable;
  m.created_ms = c.created_ms;
  m.updated_ms = ts;
  m.deleted = DeletedState::kNone;
  Put(wb, index::StreamKey(c.stream), index::EncodeStreamMeta(m));
}

}  // namespace

bool KnownListings::Learn(const std::string& key) {
  if (keys_.size() >= max_keys_ && keys_.count(key) == 0) keys_.clear();
  return keys_.insert(key).second;
}

AppendResult ResultFromRecord(const EventsRecordView& r, uint32_t shard) {
  AppendResult res;
  res.shard = shard;
  res.first_position = r.header.first_position;
  res.last_position = r.header.first_position + r.header.event_count - 1;
  res.timestamp_ms = r.header.timestamp_ms;
  for (const ClauseView& c : r.clauses) {
    res.streams.push_back(
        StreamRange{std::string(c.stream), c.first_version, c.first_version + c.count - 1});
  }
  return res;
}

void ScopeIndexer::AddTo(Group* g, uint64_t position, const index::Location& loc) {
  // A record whose clauses share an org or type reaches its group once per clause; it is
  // listed once (records are added in position order, each with its own first position).
  if (g->last_position == position) return;
  g->last_position = position;
  if (g->first_position == 0) g->first_position = position;
  index::AppendLocation(&g->locations, loc);
}

void ScopeIndexer::Add(const EventsRecordView& r, const RecordPlace& place) {
  const index::Location loc{place.segment_id, static_cast<uint32_t>(place.offset), r.header.length};
  const uint64_t pos = r.header.first_position;
  AddTo(&all_, pos, loc);
  for (const ClauseView& c : r.clauses) {
    auto name = ParseStreamName(c.stream);
    CAIRN_ASSERT(name.ok());  // validated before it was written; CRC-checked since
    AddTo(&GroupFor(orgs_, name->org), pos, loc);
    AddTo(&GroupFor(types_, name->org_type), pos, loc);
  }
}

ScopeIndexer::Group& ScopeIndexer::GroupFor(std::map<std::string, Group, std::less<>>& groups,
                                            std::string_view scope) {
  auto it = groups.find(scope);
  if (it == groups.end()) it = groups.emplace(std::string(scope), Group{}).first;
  return it->second;
}

void ScopeIndexer::Flush(rocksdb::WriteBatch* wb) {
  if (all_.first_position != 0) {
    Put(wb, index::PositionKey(all_.first_position), all_.locations);
  }
  for (const auto& [org, g] : orgs_)
    Put(wb, index::OrgScopeKey(org, g.first_position), g.locations);
  for (const auto& [ot, g] : types_)
    Put(wb, index::TypeScopeKey(ot, g.first_position), g.locations);
  all_ = Group{};
  orgs_.clear();
  types_.clear();
}

void IndexEventsRecord(const EventsRecordView& r, const RecordPlace& place,
                       uint64_t idempotency_window_ms, rocksdb::WriteBatch* wb,
                       ScopeIndexer* scopes, KnownListings* known,
                       const std::vector<uint8_t>* write_meta) {
  const uint64_t ts = r.header.timestamp_ms;
  scopes->Add(r, place);
  CAIRN_ASSERT(write_meta == nullptr || write_meta->size() == r.clauses.size());
  for (size_t i = 0; i < r.clauses.size(); ++i) {
    const ClauseView& c = r.clauses[i];
    auto name = ParseStreamName(c.stream);
    CAIRN_ASSERT(name.ok());  // validated before it was written; CRC-checked since
    if (write_meta == nullptr || (*write_meta)[i] != 0) PutClauseMeta(wb, c, ts);
    index::Run run;
    run.first_position = c.first_position;
    run.count = c.count;
    run.entries = {place.segment_id, static_cast<uint32_t>(place.offset + c.entries_offset),
                   c.entries_bytes};
    run.updated_ms = ts;
    Put(wb, index::RunKey(c.stream_id, c.first_version), index::EncodeRun(run));
    if (c.created) {
      PutListing(wb, index::OrgKey(name->org), known);
      PutListing(wb, index::TypeKey(name->org, name->type), known);
    }
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

void IndexEventsRecordMeta(const EventsRecordView& r, rocksdb::WriteBatch* wb) {
  for (const ClauseView& c : r.clauses) PutClauseMeta(wb, c, r.header.timestamp_ms);
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

void IndexGroupCursorRecord(const GroupCursorView& g, rocksdb::WriteBatch* wb) {
  std::string key = index::GroupKey(g.scope, g.group);
  if (g.deleted) {
    (void)wb->Delete(rocksdb::Slice(key));
    return;
  }
  std::string v;
  PutFixed64(&v, g.cursor);
  Put(wb, key, v);
}

void IndexSchemaRecord(const SchemaView& s, rocksdb::WriteBatch* wb) {
  std::string key = index::SchemaKey(s.org, s.type, s.version);
  (void)wb->Put(rocksdb::Slice(key), rocksdb::Slice(s.body.data(), s.body.size()));
}

}  // namespace cairn
