#include "storage/shard_reader.h"

#include <algorithm>

#include "base/coding.h"
#include "base/names.h"
#include "cairn/limits.h"
#include "storage/index_keys.h"
#include "storage/record.h"
#include "storage/stream_lookup.h"

namespace cairn {
namespace {

// Bytes of log one read may examine (type filters can skip many events).
constexpr size_t kMaxReadBytes = 32u << 20;

bool TypeMatches(const std::vector<std::string>& types, std::string_view t) {
  if (types.empty()) return true;
  return std::find(types.begin(), types.end(), t) != types.end();
}

RecordedEvent MakeEvent(std::string_view stream, uint32_t shard, const EntryView& e) {
  RecordedEvent ev;
  ev.stream = std::string(stream);
  ev.version = e.version;
  ev.shard = shard;
  ev.position = e.position;
  ev.id = e.id;
  ev.type = std::string(e.type);
  ev.timestamp_ms = e.timestamp_ms;
  ev.data = std::string(e.data);
  ev.metadata = std::string(e.metadata);
  ev.hash = e.chain_hash;
  ev.seal = e.seal;
  return ev;
}

bool HasPrefix(const rocksdb::Slice& s, std::string_view p) {
  return s.size() >= p.size() && std::memcmp(s.data(), p.data(), p.size()) == 0;
}

// Decodes the entries of a run (read from the log) in order.
Status DecodeRun(const std::string& bytes, std::vector<EntryView>* out) {
  out->clear();
  std::string_view rest(bytes);
  while (!rest.empty()) {
    CAIRN_ASSIGN_OR_RETURN(EntryView e, DecodeEntry(rest));
    out->push_back(e);
    rest.remove_prefix(e.length);
  }
  return Status::Ok();
}

}  // namespace

Status ShardReader::ReadEntries(const index::Location& loc, std::string* bytes,
                                std::vector<EntryView>* entries) const {
  CAIRN_RETURN_IF_ERROR(segments_->Read(loc, bytes));
  if (DecodeRun(*bytes, entries).ok()) return Status::Ok();
  CAIRN_RETURN_IF_ERROR(segments_->ReadDirect(loc, bytes));  // see ReadDirect
  return DecodeRun(*bytes, entries);
}

Status ShardReader::ReadRecord(const index::Location& loc, std::string* bytes) const {
  CAIRN_RETURN_IF_ERROR(segments_->Read(loc, bytes));
  if (CheckRecordCrc(*bytes).ok()) return Status::Ok();
  CAIRN_RETURN_IF_ERROR(segments_->ReadDirect(loc, bytes));  // see ReadDirect
  return CheckRecordCrc(*bytes);
}

Result<ReadResult> ShardReader::ReadStream(const ReadRequest& req) const {
  auto view = index_->NewView();
  CAIRN_ASSIGN_OR_RETURN(auto found, LookupStream(*view, req.stream));
  ReadResult res;
  if (!found) return res;
  const index::StreamMeta* m = &found->meta;
  if (m->deleted == DeletedState::kHard)
    return Status::Deleted("stream " + req.stream + " is deleted");
  res.version = m->version;
  const uint64_t lo = m->first_readable;
  const uint64_t hi = m->version;
  if (m->deleted == DeletedState::kSoft || lo > hi) return res;
  const uint32_t count = std::clamp<uint32_t>(req.count, 1, kMaxReadCount);
  std::string prefix(1, index::kRunTag);
  PutBigEndian64(&prefix, m->stream_id);
  auto it = view->NewIterator();
  std::string bytes;
  std::vector<EntryView> entries;
  size_t read_bytes = 0;
  uint64_t last = 0;  // last version examined
  bool full = false;
  if (!req.backward) {
    const uint64_t v = std::max(req.from.value_or(1), lo);
    if (v > hi) return res;
    std::string k = index::RunKey(m->stream_id, v);
    it->SeekForPrev(k);
    if (!it->Valid() || !HasPrefix(it->key(), prefix)) it->Seek(k);
    for (; it->Valid() && HasPrefix(it->key(), prefix) && !full && read_bytes < kMaxReadBytes;
         it->Next()) {
      auto run = index::DecodeRun(std::string_view(it->value().data(), it->value().size()));
      if (!run) return Status::Corruption("index: bad run for stream " + req.stream);
      CAIRN_RETURN_IF_ERROR(ReadEntries(run->entries, &bytes, &entries));
      read_bytes += bytes.size();
      for (const EntryView& e : entries) {
        if (e.version < v) continue;
        if (e.version > hi) {
          full = true;
          break;
        }
        last = e.version;
        if (TypeMatches(req.types, e.type)) res.events.push_back(MakeEvent(req.stream, shard_, e));
        if (res.events.size() >= count) {
          full = true;
          break;
        }
      }
    }
    if (last != 0 && last < hi) res.next = last + 1;
  } else {
    const uint64_t v = std::min(req.from.value_or(hi), hi);
    if (v < lo) return res;
    it->SeekForPrev(index::RunKey(m->stream_id, v));
    for (; it->Valid() && HasPrefix(it->key(), prefix) && !full && read_bytes < kMaxReadBytes;
         it->Prev()) {
      auto run = index::DecodeRun(std::string_view(it->value().data(), it->value().size()));
      if (!run) return Status::Corruption("index: bad run for stream " + req.stream);
      CAIRN_RETURN_IF_ERROR(ReadEntries(run->entries, &bytes, &entries));
      read_bytes += bytes.size();
      for (auto e = entries.rbegin(); e != entries.rend(); ++e) {
        if (e->version > v) continue;
        if (e->version < lo) {
          full = true;
          break;
        }
        last = e->version;
        if (TypeMatches(req.types, e->type))
          res.events.push_back(MakeEvent(req.stream, shard_, *e));
        if (res.events.size() >= count) {
          full = true;
          break;
        }
      }
    }
    if (last != 0 && last > lo) res.next = last - 1;
  }
  return res;
}

Result<ScanResult> ShardReader::Scan(char scope_tag, std::string_view scope,
                                     const ScanRequest& req) const {
  ScanResult res;
  res.shard = shard_;
  const uint64_t from = std::max<uint64_t>(req.from, 1);
  const uint32_t count = std::clamp<uint32_t>(req.count, 1, kMaxReadCount);
  std::string prefix(1, scope_tag);
  if (scope_tag != index::kPositionTag) {
    prefix.append(scope);
    prefix.push_back('\0');
  }
  std::string k = prefix;
  PutBigEndian64(&k, from);
  auto view = index_->NewView();
  auto it = view->NewIterator();
  it->SeekForPrev(k);
  if (!it->Valid() || !HasPrefix(it->key(), prefix)) it->Seek(k);
  std::string bytes;
  size_t read_bytes = 0;
  uint64_t last = 0;
  bool full = false;
  for (; it->Valid() && HasPrefix(it->key(), prefix) && !full && read_bytes < kMaxReadBytes;
       it->Next()) {
    // One group: the records of one commit in this scope, in position order.
    auto group = index::DecodeLocations(std::string_view(it->value().data(), it->value().size()));
    if (!group) return Status::Corruption("index: bad record locations");
    for (const index::Location& loc : *group) {
      if (full || read_bytes >= kMaxReadBytes) break;
      CAIRN_RETURN_IF_ERROR(ReadRecord(loc, &bytes));
      read_bytes += bytes.size();
      CAIRN_ASSIGN_OR_RETURN(EventsRecordView r, DecodeEventsRecord(bytes));
      if (r.header.first_position + r.header.event_count <= from) continue;
      for (const ClauseView& c : r.clauses) {
        if (scope_tag != index::kPositionTag) {
          auto name = ParseStreamName(c.stream);
          if (!name.ok()) return Status::Corruption("log: bad stream name in record");
          if ((scope_tag == index::kOrgScopeTag ? name->org : name->org_type) != scope) continue;
        }
        for (const EntryView& e : c.entries) {
          if (e.position < from) continue;
          last = e.position;
          if (TypeMatches(req.types, e.type)) res.events.push_back(MakeEvent(c.stream, shard_, e));
          if (res.events.size() >= count) {
            full = true;
            break;
          }
        }
        if (full) break;
      }
    }
  }
  // Scans of a growing log always get a position to continue from.
  res.next = last == 0 ? from : last + 1;
  return res;
}

Result<StreamInfo> ShardReader::Info(std::string_view stream) const {
  auto view = index_->NewView();
  CAIRN_ASSIGN_OR_RETURN(auto found, LookupStream(*view, stream));
  StreamInfo info;
  info.stream = std::string(stream);
  info.shard = shard_;
  if (!found) return info;
  const index::StreamMeta* m = &found->meta;
  info.version = m->version;
  info.first_version = (m->deleted == DeletedState::kNone && m->first_readable <= m->version)
                           ? m->first_readable
                           : 0;
  info.created_ms = m->created_ms;
  info.updated_ms = m->updated_ms;
  info.deleted = m->deleted;
  return info;
}

Result<std::vector<std::string>> ShardReader::ListStreams(std::string_view scope,
                                                          std::string_view after,
                                                          uint32_t count) const {
  std::string prefix = index::StreamKey(scope);
  prefix.push_back('/');
  auto view = index_->NewView();
  auto it = view->NewIterator();
  std::string start = after.empty() ? prefix : index::StreamKey(after);
  if (start < prefix) start = prefix;
  std::vector<std::string> out;
  for (it->Seek(start); it->Valid() && HasPrefix(it->key(), prefix) && out.size() < count;
       it->Next()) {
    std::string_view name(it->key().data() + 1, it->key().size() - 1);
    if (name == after) continue;
    out.emplace_back(name);
  }
  return out;
}

Result<std::vector<std::string>> ShardReader::ListTypes(std::string_view org) const {
  std::string prefix(1, index::kTypeTag);
  prefix.append(org);
  prefix.push_back('\0');
  auto view = index_->NewView();
  auto it = view->NewIterator();
  std::vector<std::string> out;
  for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    out.emplace_back(it->key().data() + prefix.size(), it->key().size() - prefix.size());
  }
  return out;
}

Result<std::vector<std::string>> ShardReader::ListOrgs(std::string_view after,
                                                       uint32_t count) const {
  std::string prefix(1, index::kOrgTag);
  auto view = index_->NewView();
  auto it = view->NewIterator();
  std::vector<std::string> out;
  for (it->Seek(index::OrgKey(after));
       it->Valid() && HasPrefix(it->key(), prefix) && out.size() < count; it->Next()) {
    std::string_view org(it->key().data() + 1, it->key().size() - 1);
    if (org == after) continue;
    out.emplace_back(org);
  }
  return out;
}

Result<std::optional<uint64_t>> ShardReader::GroupOffset(std::string_view scope,
                                                         std::string_view group) const {
  CAIRN_ASSIGN_OR_RETURN(auto v, index_->Get(index::GroupKey(scope, group)));
  if (!v.has_value()) return std::optional<uint64_t>();
  if (v->size() != 8) return Status::Corruption("index: bad group cursor");
  return std::optional<uint64_t>(DecodeFixed64(v->data()));
}

Status ShardReader::ListGroups(std::string_view scope, size_t limit,
                               std::vector<GroupCursor>* out) const {
  std::string prefix(1, index::kGroupTag);
  if (!scope.empty()) {
    prefix.append(scope);
    prefix.push_back('\0');
  }
  auto view = index_->NewView();
  auto it = view->NewIterator();
  for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix) && out->size() < limit;
       it->Next()) {
    std::string_view key(it->key().data() + 1, it->key().size() - 1);
    size_t zero = key.find('\0');
    if (zero == std::string_view::npos || it->value().size() != 8) {
      return Status::Corruption("index: bad group cursor entry");
    }
    out->push_back(GroupCursor{std::string(key.substr(zero + 1)), std::string(key.substr(0, zero)),
                               DecodeFixed64(it->value().data())});
  }
  if (!it->status().ok()) return Status::IoError("index: " + it->status().ToString());
  return Status::Ok();
}

Result<std::vector<SchemaDefinition>> ShardReader::ListSchemas(size_t limit) const {
  std::vector<SchemaDefinition> out;
  const std::string prefix(1, index::kSchemaTag);
  auto view = index_->NewView();
  auto it = view->NewIterator();
  for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    if (out.size() >= limit) {
      return Status::Corruption("index: more than " + std::to_string(limit) + " schemas");
    }
    SchemaDefinition d;
    std::string_view key(it->key().data(), it->key().size());
    if (!index::ParseSchemaKey(key, &d.org, &d.type, &d.version) || it->value().empty()) {
      return Status::Corruption("index: bad schema entry");
    }
    d.body.assign(it->value().data(), it->value().size());
    out.push_back(std::move(d));
  }
  if (!it->status().ok()) return Status::IoError("index: " + it->status().ToString());
  return out;
}

}  // namespace cairn
