// The shard thread's handling of one write: idempotency, expected-version checks against
// the stream heads, encoding into the open batch, and the index entries the batch will
// write once durable.

#include <fcntl.h>

#include <cstdio>

#include "base/assert.h"
#include "base/coding.h"
#include "base/uuid.h"
#include "storage/chain.h"
#include "storage/format.h"
#include "storage/record_indexer.h"
#include "storage/shard.h"

namespace cairn {
namespace {

// A stream appended to within this many events of the shard counts as just written (insert
// hints, see InsertHints).
constexpr uint64_t kHintWindow = 4096;

Status CheckExpected(const std::string& stream, const StreamHead& h, const Expected& e) {
  if (h.deleted == DeletedState::kHard) return Status::Deleted("stream " + stream + " is deleted");
  const bool soft = h.deleted == DeletedState::kSoft;
  bool ok = false;
  switch (e.kind) {
    case Expected::Kind::kAny:
      ok = true;
      break;
    case Expected::Kind::kExists:
      ok = h.version >= 1 && !soft;
      break;
    case Expected::Kind::kNoStream:
      ok = h.version == 0 && !soft;
      break;
    case Expected::Kind::kExact:
      ok = h.version == e.version;
      break;
  }
  if (ok) return Status::Ok();
  return Status::Conflict(ConflictDetail{stream, e.ToString(), h.version});
}

size_t EventsRecordBytes(const WriteOp& op) {
  size_t n = format::kRecordHeaderSize + 2 + op.idem_scoped_key.size() +
             (op.idem_scoped_key.empty() ? 0 : 17) + 2;
  for (const AppendClause& c : op.append.clauses) {
    if (c.events.empty()) continue;
    n += 2 + c.stream.size() + 8 * 4 + 4 + 1;
    for (const ProposedEvent& e : c.events) {
      n += EventsRecordBuilder::EntrySize(e.type.size(), e.data.size(), e.metadata.size(),
                                          e.seal.has_value());
    }
  }
  return format::AlignUp(n, format::kRecordAlign);
}

StreamInfo InfoFromHead(const std::string& stream, uint32_t shard, const StreamHead& h) {
  StreamInfo i;
  i.stream = stream;
  i.version = h.version;
  i.first_version =
      (h.deleted == DeletedState::kNone && h.first_readable <= h.version) ? h.first_readable : 0;
  i.shard = shard;
  i.created_ms = h.created_ms;
  i.updated_ms = h.updated_ms;
  i.deleted = h.deleted;
  return i;
}

}  // namespace

bool Shard::CheckIdempotency(WriteOp& op) {
  auto it = inflight_keys_.find(op.idem_scoped_key);
  if (it != inflight_keys_.end()) {
    if (it->second.fingerprint != op.fingerprint) {
      op.on_append(Status::Idempotency("idempotency key reused with a different request"));
    } else {
      it->second.waiters.push_back(std::move(op.on_append));  // answered when it commits
    }
    return false;
  }
  std::string key(1, index::kIdemTag);
  key.append(op.idem_scoped_key);
  auto v = IndexGet(key);
  if (!v.ok()) {
    op.on_append(v.status());
    return false;
  }
  if (!v->has_value()) return true;
  auto e = index::DecodeIdempotency(**v);
  if (!e) {
    op.on_append(Status::Corruption("index: bad idempotency entry"));
    return false;
  }
  if (e->expiry_ms <= env_->clock()->NowMillis()) return true;  // expired, not yet swept
  if (e->fingerprint != op.fingerprint) {
    op.on_append(Status::Idempotency("idempotency key reused with a different request"));
    return false;
  }
  e->result.duplicate = true;
  op.on_append(std::move(e->result));
  return false;
}

void Shard::ProcessAppend(WriteOp& op) {
  if (!op.idem_scoped_key.empty() && !CheckIdempotency(op)) return;
  const AppendRequest& req = op.append;
  std::vector<StreamHead*> heads;
  heads.reserve(req.clauses.size());
  auto fail = [&](const Status& st) {
    for (StreamHead* h : heads) heads_.Unpin(h);
    op.on_append(st);
  };
  head_was_cached_.clear();
  for (const AppendClause& c : req.clauses) {
    bool was_cached = false;
    auto h = GetHead(c.stream, &was_cached);
    if (!h.ok()) return fail(h.status());
    head_was_cached_.push_back(was_cached ? 1 : 0);
    HeadCache::Pin(*h);
    heads.push_back(*h);
  }
  uint16_t clauses_with_events = 0;
  uint64_t event_count = 0;
  for (size_t i = 0; i < req.clauses.size(); ++i) {
    Status st = CheckExpected(req.clauses[i].stream, *heads[i], req.clauses[i].expected);
    if (!st.ok()) return fail(st);
    if (!req.clauses[i].events.empty()) ++clauses_with_events;
    event_count += req.clauses[i].events.size();
  }
  auto batch_or = BatchWithRoom(EventsRecordBytes(op));
  if (!batch_or.ok()) {
    FailStop(batch_or.status());
    return fail(failed_);
  }
  Batch* batch = *batch_or;
  const uint64_t ts = NextTimestamp();
  EventsRecordBuilder b(&batch->buf, next_position_, ts, op.idem_scoped_key, op.fingerprint,
                        req.transaction, clauses_with_events);
  clause_meta_.clear();
  for (size_t i = 0; i < req.clauses.size(); ++i) {
    const AppendClause& c = req.clauses[i];
    if (c.events.empty()) continue;
    StreamHead& h = *heads[i];
    const bool created = !h.exists;
    // The stream's metadata entry is rewritten when more than its version and update time
    // change (a new stream, or one revived after a soft delete), and when the head was not
    // cached: a stream appended to rarely would be evicted before its next append, and its
    // entry written then anyway. A cached head's entry stays behind (readers find the newer
    // runs, LookupStream) until the head leaves the cache or a metadata mark writes it.
    const bool write_meta = created || h.deleted != DeletedState::kNone || head_was_cached_[i] == 0;
    clause_meta_.push_back(write_meta ? 1 : 0);
    if (!write_meta && !HeadCache::Behind(h)) behind_log_.push_back(c.stream);  // falls behind
    // Written a moment ago: its previous run is where the new one goes, and few keys can
    // have been inserted next to it since, so an insert hint pays for itself.
    if (!created && h.last_position != 0 && next_position_ - h.last_position <= kHintWindow) {
      batch->hints.Add(h.stream_id);
    }
    if (created) {
      h.stream_id = next_stream_id_++;
      h.created_ms = ts;
      h.first_readable = 1;
      h.exists = true;
    }
    b.BeginClause(c.stream, h.stream_id, h.version + 1, h.first_readable, h.created_ms,
                  static_cast<uint32_t>(c.events.size()), created);
    // The clause's payload hashes, then its chain hashes, each computed in one pass (side by
    // side where the CPU allows), then its entries.
    const size_t n = c.events.size();
    payload_inputs_.clear();
    event_ids_.clear();
    chain_fields_.clear();
    for (const ProposedEvent& e : c.events) {
      payload_inputs_.push_back({e.data, e.metadata});
      event_ids_.push_back(e.id ? *e.id : NewUuidV7(ts, &id_random_));
    }
    for (size_t k = 0; k < n; ++k) {
      const ProposedEvent& e = c.events[k];
      chain_fields_.push_back(ChainFields{next_position_ + k, h.version + 1 + k, ts, &event_ids_[k],
                                          c.stream, e.type, static_cast<uint32_t>(e.data.size()),
                                          static_cast<uint32_t>(e.metadata.size())});
    }
    payload_hashes_.resize(n);
    chain_hashes_.resize(n);
    PayloadHashes(payload_inputs_.data(), n, payload_hashes_.data());
    ChainRun(segment_version_, chain_fields_.data(), payload_hashes_.data(), n, &chain_head_,
             chain_hashes_.data());
    for (size_t k = 0; k < n; ++k) {
      const ProposedEvent& e = c.events[k];
      b.AddEvent(next_position_++, ++h.version, event_ids_[k], e.type, e.data, e.metadata,
                 payload_hashes_[k], chain_hashes_[k], e.seal ? &*e.seal : nullptr);
    }
    h.updated_ms = ts;
    h.deleted = DeletedState::kNone;
    h.last_position = next_position_ - 1;
    if (write_meta) h.meta_version = h.version;
  }
  size_t off = b.Finish();
  batch->logical_size = batch->buf.size();
  segment_end_ = batch->file_offset + batch->logical_size;
  // The index entries come from the record as written, through the code recovery uses (the
  // entries themselves, just encoded, are stepped over rather than decoded again).
  std::string_view rec(batch->buf.data() + off, batch->logical_size - off);
  rec = rec.substr(0, DecodeFixed32(rec.data() + 8));
  auto view = DecodeEventsRecordClauses(rec);
  CAIRN_ASSERT_MSG(view.ok(), view.status().message().c_str());
  RecordPlace place{id_, static_cast<uint32_t>(segment_id_), batch->file_offset + off};
  IndexEventsRecord(*view, place, options_.idempotency_window_ms, &batch->index, &batch->scopes,
                    &listings_, &clause_meta_);
  Completion done;
  done.on_append = std::move(op.on_append);
  done.append_result = ResultFromRecord(*view, id_);
  done.idem_scoped_key = op.idem_scoped_key;
  if (!op.idem_scoped_key.empty()) {
    inflight_keys_.emplace(op.idem_scoped_key, InFlightKey{op.fingerprint, {}});
  }
  batch->completions.push_back(std::move(done));
  batch->pinned.insert(batch->pinned.end(), heads.begin(), heads.end());
  batch->events += event_count;
}

void Shard::ProcessStateChange(WriteOp& op) {
  const bool is_delete = op.kind == WriteOp::Kind::kDelete;
  const std::string& stream = is_delete ? op.del.stream : op.trim.stream;
  auto h_or = GetHead(stream);
  if (!h_or.ok()) return op.on_state(h_or.status());
  StreamHead& h = **h_or;
  if (h.deleted == DeletedState::kHard) {
    return op.on_state(Status::Deleted("stream " + stream + " is deleted"));
  }
  StreamHead next = h;
  if (is_delete) {
    Status st = CheckExpected(stream, h, op.del.expected);
    if (!st.ok()) return op.on_state(st);
    next.deleted = op.del.hard ? DeletedState::kHard : DeletedState::kSoft;
    if (!op.del.hard) next.first_readable = h.version + 1;
  } else {
    uint64_t before = std::min(op.trim.before_version, h.version + 1);
    if (!h.exists || before <= h.first_readable) {
      return op.on_state(InfoFromHead(stream, id_, h));  // nothing to trim
    }
    next.first_readable = before;
  }
  uint64_t record_bytes =
      format::AlignUp(format::kRecordHeaderSize + 2 + stream.size() + 33, format::kRecordAlign);
  auto batch_or = BatchWithRoom(record_bytes);
  if (!batch_or.ok()) {
    FailStop(batch_or.status());
    return op.on_state(failed_);
  }
  Batch* batch = *batch_or;
  const uint64_t ts = NextTimestamp();
  if (!next.exists) {
    next.stream_id = next_stream_id_++;
    next.created_ms = ts;
    next.exists = true;
  }
  next.updated_ms = ts;
  next.meta_version = next.version;  // the record's entry holds the whole head
  StreamStateView view{stream,          next.stream_id, next.version, next.first_readable,
                       next.created_ms, next.deleted};
  AppendStreamStateRecord(&batch->buf, next_position_, ts, view);
  batch->logical_size = batch->buf.size();
  segment_end_ = batch->file_offset + batch->logical_size;
  IndexStreamStateRecord(view, ts, &batch->index);
  next.pins = h.pins;
  h = next;
  HeadCache::Pin(&h);
  Completion done;
  done.on_state = std::move(op.on_state);
  done.state_result = InfoFromHead(stream, id_, h);
  batch->completions.push_back(std::move(done));
  batch->pinned.push_back(&h);
}

Result<int> Shard::CreateSegmentFile(const std::string& tmp_path) {
  FileSystem* fs = env_->fs();
  CAIRN_ASSIGN_OR_RETURN(int fd,
                         fs->OpenFile(tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644));
  Status st = fs->Allocate(fd, options_.segment_size_bytes);
  if (!st.ok()) {
    (void)fs->CloseFile(fd);
    (void)fs->Remove(tmp_path);  // a partial allocation would hold disk space until restart
    return st;
  }
  return fd;
}

Status Shard::PublishSegment(int fd, const std::string& tmp_path, const std::string& path,
                             const AlignedBuffer& header_block) {
  // A segment file with its final name always has a durable header.
  FileSystem* fs = env_->fs();
  Status st = fs->WriteAt(fd, header_block.data(), header_block.size(), 0);
  if (st.ok()) st = fs->SyncData(fd);
  if (st.ok()) st = fs->Rename(tmp_path, path);
  if (st.ok()) st = fs->SyncDir(segments_->dir());
  return st;
}

void Shard::RequestSpareSegment() {
  const uint64_t id = segment_id_ + 1;
  spare_for_ = id;
  segment_pool_->Submit([this, id, tmp = segments_->PathOf(id) + ".tmp"] {
    Result<int> fd = CreateSegmentFile(tmp);
    if (!fd.ok()) {
      // Tried again when the log reaches the segment's end; if that fails too, the shard
      // stops accepting writes. Said now: it is the earliest warning of a full disk.
      std::fprintf(stderr, "cairn: shard %u: preparing segment %s: %s (tried again when needed)\n",
                   id_, format::SegmentFileName(id).c_str(), fd.status().message().c_str());
    }
    {
      std::lock_guard l(segment_jobs_.mu);
      segment_jobs_.spare = std::move(fd);
    }
  });
}

void Shard::DiscardSpareSegment() {
  // Called once the segment thread has stopped: a spare requested is there.
  if (spare_for_ == 0) return;
  std::optional<Result<int>> spare;
  {
    std::lock_guard l(segment_jobs_.mu);
    spare.swap(segment_jobs_.spare);
  }
  CAIRN_ASSERT(spare.has_value());
  if (spare->ok()) {
    (void)env_->fs()->CloseFile(**spare);
    (void)env_->fs()->Remove(segments_->PathOf(spare_for_) + ".tmp");
  }
  spare_for_ = 0;
}

void Shard::CollectOpenedSegment(bool wait) {
  if (opening_ == 0) return;
  Result<int> opened = Status::Internal("unset");
  {
    std::unique_lock l(segment_jobs_.mu);
    if (wait) segment_jobs_.cv.wait(l, [&] { return segment_jobs_.opened.has_value(); });
    if (!segment_jobs_.opened.has_value()) return;
    opened = std::move(*segment_jobs_.opened);
    segment_jobs_.opened.reset();
  }
  const uint64_t id = opening_;
  opening_ = 0;
  Status st = opened.status();
  if (st.ok()) {
    open_fds_.push_back(*opened);
    if (segment_id_ == id) segment_fd_ = *opened;
    for (auto& b : batches_) {
      if (b->segment_id == id) b->fd = *opened;
    }
    st = segments_->Add(id);
  }
  if (!st.ok()) {
    FailStop(
        Status::IoError("starting segment " + format::SegmentFileName(id) + ": " + st.message()));
  }
}

bool Shard::CanSubmit() const {
  return !write_in_flight_ && !batches_.empty() && failed_.ok() &&
         batches_.front()->segment_id != opening_;
}

Status Shard::StartSegment(bool in_background) {
  // One segment opens at a time (a segment filled before the one before it was open: tiny
  // segments only).
  CollectOpenedSegment(/*wait=*/true);
  if (!failed_.ok()) return failed_;
  const uint64_t id = segment_id_ + 1;
  const std::string path = segments_->PathOf(id);
  const std::string tmp = path + ".tmp";
  format::SegmentHeader h;
  h.shard = id_;
  h.segment_id = id;
  h.first_position = next_position_;
  h.prev_hash = chain_head_;
  auto block = std::make_shared<AlignedBuffer>();
  block->Resize(format::kBlockSize);
  format::EncodeSegmentHeader(h, block->data());
  int fd = -1;
  if (in_background) {
    // The segment thread takes the spare (its job ran before this one: jobs run in order) or,
    // when there is none or its allocation failed, creates the file; then publishes it.
    // Batches of the segment are encoded meanwhile and written once CollectOpenedSegment has
    // seen it open.
    const bool spare = spare_for_ == id;
    spare_for_ = 0;
    opening_ = id;
    segment_pool_->Submit([this, spare, tmp, path, block] {
      Result<int> fd = Status::NotFound("no spare segment");
      if (spare) {
        std::lock_guard l(segment_jobs_.mu);
        CAIRN_ASSERT(segment_jobs_.spare.has_value());
        fd = std::move(*segment_jobs_.spare);
        segment_jobs_.spare.reset();
      }
      if (!fd.ok()) fd = CreateSegmentFile(tmp);
      if (fd.ok()) {
        Status st = PublishSegment(*fd, tmp, path, *block);
        if (!st.ok()) {
          (void)env_->fs()->CloseFile(*fd);
          (void)env_->fs()->Remove(tmp);  // the shard stops: nothing will use it
          fd = st;
        }
      }
      {
        std::lock_guard l(segment_jobs_.mu);
        segment_jobs_.opened = std::move(fd);
      }
      segment_jobs_.cv.notify_all();
      disk_->Wake();
    });
  } else {
    CAIRN_ASSIGN_OR_RETURN(fd, CreateSegmentFile(tmp));
    Status st = PublishSegment(fd, tmp, path, *block);
    if (st.ok()) st = segments_->Add(id);
    if (!st.ok()) {
      (void)env_->fs()->CloseFile(fd);
      return st;
    }
    open_fds_.push_back(fd);
  }
  segment_id_ = id;
  segment_version_ = h.version;
  segment_fd_ = fd;  // -1 until the segment thread has opened it
  segment_end_ = format::kSegmentHeaderSize;
  segment_tail_.clear();
  segment_tail_.Append(block->data(), format::kSegmentHeaderSize);
  return Status::Ok();
}

}  // namespace cairn

namespace cairn {

Result<std::optional<uint64_t>> Shard::GroupCursorOf(const std::string& key) {
  auto it = tentative_groups_.find(key);
  if (it != tentative_groups_.end()) return it->second.first;
  CAIRN_ASSIGN_OR_RETURN(auto v, IndexGet(key));
  if (!v.has_value()) return std::optional<uint64_t>();
  if (v->size() != 8) return Status::Corruption("index: bad group cursor");
  return std::optional<uint64_t>(DecodeFixed64(v->data()));
}

void Shard::ProcessGroup(WriteOp& op) {
  const bool commit = op.kind == WriteOp::Kind::kGroupCommit;
  const GroupCursor& g = op.group;
  const std::string key = index::GroupKey(g.scope, g.group);
  auto stored = GroupCursorOf(key);
  if (!stored.ok()) return op.on_group(stored.status());
  GroupWriteResult result;
  result.existed = stored->has_value();
  result.cursor = stored->value_or(0);
  // Nothing to write: a commit that would not move the cursor forward, or a delete of a
  // cursor that is not there. Answered at once when what it reports is already durable.
  const bool noop = commit ? (result.existed && g.cursor <= result.cursor) : !result.existed;
  const bool durable = tentative_groups_.count(key) == 0;
  if (noop && durable) return op.on_group(result);
  if (commit && !noop) {
    uint64_t end = next_position_ - 1;
    if (op.group_scope.kind == WatchScope::Kind::kStream) {
      auto h = GetHead(g.scope);
      if (!h.ok()) return op.on_group(h.status());
      end = (*h)->version;
    }
    if (g.cursor > end) {
      return op.on_group(Status::Invalid("cursor " + std::to_string(g.cursor) +
                                         " is beyond the end of scope " + g.scope + " (" +
                                         std::to_string(end) + ")"));
    }
    result.cursor = g.cursor;
  }
  // A no-op whose answer is still in flight rewrites the stored value, so its reply
  // waits for that value to be durable.
  GroupCursorView view{g.group, g.scope, result.cursor, !commit};
  uint64_t record_bytes = format::AlignUp(
      format::kRecordHeaderSize + 4 + g.group.size() + g.scope.size() + 9, format::kRecordAlign);
  auto batch_or = BatchWithRoom(record_bytes);
  if (!batch_or.ok()) {
    FailStop(batch_or.status());
    return op.on_group(failed_);
  }
  Batch* batch = *batch_or;
  AppendGroupCursorRecord(&batch->buf, next_position_, NextTimestamp(), view);
  batch->logical_size = batch->buf.size();
  segment_end_ = batch->file_offset + batch->logical_size;
  IndexGroupCursorRecord(view, &batch->index);
  tentative_groups_[key] = {commit ? std::optional<uint64_t>(result.cursor) : std::nullopt,
                            batch->seq};
  Completion done;
  done.on_group = std::move(op.on_group);
  done.group_result = result;
  batch->completions.push_back(std::move(done));
}

// Schemas are immutable: the same bytes again are answered at once (nothing written, once
// the first registration is durable); other bytes for a stored version are INVALID. The
// server checks compatibility before it submits (docs/internals/schemas.md); this check
// keeps the log free of a second, different body for one version whoever the caller is.
void Shard::ProcessSchema(WriteOp& op) {
  const SchemaDefinition& d = op.schema;
  const std::string key = index::SchemaKey(d.org, d.type, d.version);
  std::optional<std::string> stored;
  auto it = tentative_schemas_.find(key);
  if (it != tentative_schemas_.end()) {
    stored = it->second.first;
  } else {
    auto v = IndexGet(key);
    if (!v.ok()) return op.on_schema(v.status());
    stored = std::move(*v);
  }
  if (stored.has_value()) {
    if (*stored != d.body) {
      return op.on_schema(Status::Invalid("schema " + d.org + "/" + d.type + " " +
                                          d.version.ToString() +
                                          " is already registered with other content "
                                          "(schemas are immutable)"));
    }
    if (it == tentative_schemas_.end()) return op.on_schema(false);
  }
  if (stored.has_value()) {
    // The same bytes while the first registration is still in flight: answer with the
    // batch that writes it, once it is durable, without a second record.
    for (auto& b : batches_) {
      if (b->seq != it->second.second) continue;
      Completion done;
      done.on_schema = [cb = std::move(op.on_schema)](Result<bool> r) {
        cb(r.ok() ? Result<bool>(false) : r);
      };
      b->completions.push_back(std::move(done));
      return;
    }
    CAIRN_ASSERT_MSG(false, "tentative schema without its batch");
  }
  SchemaView view{d.org, d.type, d.version, d.body};
  auto batch_or = BatchWithRoom(format::AlignUp(SchemaRecordSize(view), format::kRecordAlign));
  if (!batch_or.ok()) {
    FailStop(batch_or.status());
    return op.on_schema(failed_);
  }
  Batch* batch = *batch_or;
  AppendSchemaRecord(&batch->buf, next_position_, NextTimestamp(), view);
  batch->logical_size = batch->buf.size();
  segment_end_ = batch->file_offset + batch->logical_size;
  IndexSchemaRecord(view, &batch->index);
  tentative_schemas_[key] = {d.body, batch->seq};
  Completion done;
  done.on_schema = std::move(op.on_schema);
  batch->completions.push_back(std::move(done));
}

}  // namespace cairn
