#include "storage/shard.h"

#include <fcntl.h>

#include <chrono>
#include <cstring>

#include "base/assert.h"
#include "base/coding.h"
#include "base/thread_name.h"
#include "storage/format.h"
#include "storage/stream_lookup.h"

namespace cairn {
namespace {

constexpr uint32_t kIdlePollMs = 100;
constexpr int kPrefetchThreads = 2;
constexpr uint64_t kFlushEveryBytes = 1024u << 20;  // bounds the log replayed after a crash
constexpr uint64_t kFlushEveryNs = 10'000'000'000ull;
constexpr uint64_t kSweepEveryNs = 5'000'000'000ull;
constexpr int kMaxSweepKeys = 1000;
// A write that reaches past the pre-written part of its segment carries zeros up to the next
// boundary of this size and one more such chunk (capped at the segment's end).
constexpr uint64_t kZeroFillChunk = 1u << 20;
constexpr uint64_t kZeroFillMaxWrite = 256u << 10;  // larger writes carry no zeros
// Metadata entries of evicted heads held before they are written on their own.
constexpr uint32_t kMaxBehindMeta = 1024;
// Metadata entries a mark writes per loop turn (well under a millisecond).
constexpr size_t kMetaMarkEntriesPerTurn = 512;
// Streams listed as fallen behind before a mark starts without waiting for the next flush.
constexpr size_t kMaxBehindLog = 1u << 16;

// The metadata entry a head stands for (written when the head is evicted or marked).
index::StreamMeta MetaOf(const StreamHead& h) {
  return index::StreamMeta{h.stream_id,  h.version,    h.first_readable,
                           h.created_ms, h.updated_ms, h.deleted};
}

}  // namespace

Shard::Shard(uint32_t id, const EngineOptions& options, Env* env, std::string dir,
             uint64_t heads_budget_bytes)
    : id_(id),
      options_(options),
      env_(env),
      dir_(std::move(dir)),
      heads_(heads_budget_bytes),
      inbound_(options.max_queued_requests_per_shard),
      id_random_(env->random()->Next64()) {
  heads_.set_on_evict(
      [this](std::string_view stream, const StreamHead& head) { OnHeadEvicted(stream, head); });
}

Shard::~Shard() {
  if (thread_.joinable()) Stop();
  segment_pool_.reset();  // finishes a segment being prepared (Stop not called)
  prefetch_pool_.reset();
  CollectOpenedSegment(/*wait=*/true);
  DiscardSpareSegment();
  for (int fd : open_fds_) (void)env_->fs()->CloseFile(fd);
}

Status Shard::Open(const IndexResources& resources) {
  FileSystem* fs = env_->fs();
  CAIRN_RETURN_IF_ERROR(fs->CreateDir(dir_));
  CAIRN_RETURN_IF_ERROR(fs->CreateDir(dir_ + "/log"));
  CAIRN_ASSIGN_OR_RETURN(index_, ShardIndex::Open(dir_ + "/index", resources));
  segments_ = std::make_unique<SegmentFiles>(fs, dir_ + "/log");
  CAIRN_ASSIGN_OR_RETURN(disk_, env_->NewAsyncDisk());
  CAIRN_RETURN_IF_ERROR(Recover());
  last_flush_ns_ = env_->clock()->MonotonicNanos();  // the first timed flush is one interval on
  stat_next_position_ = next_position_;
  prefetch_pool_ =
      std::make_unique<BlockingPool>(kPrefetchThreads, "cairn-lookup-" + std::to_string(id_));
  segment_pool_ = std::make_unique<BlockingPool>(1, "cairn-segment-" + std::to_string(id_));
  accepting_ = true;
  hosted_ = options_.hosted_shards && disk_->WaitFd() >= 0;
  if (hosted_) return Status::Ok();  // a host thread runs the loop (Attach)
  thread_ = std::thread([this] {
    SetThreadName("cairn-shard-" + std::to_string(id_));
    Run();
  });
  return Status::Ok();
}

void Shard::Submit(std::unique_ptr<WriteOp> op) {
  auto reject = [&](const Status& st) { op->Fail(st); };
  submitting_.fetch_add(1);
  if (!accepting_.load()) {
    submitting_.fetch_sub(1);
    reject(Status::Unavailable("shard " + std::to_string(id_) + " is shutting down"));
    return;
  }
  WriteOp* raw = op.get();
  if (!inbound_.TryPush(std::move(op))) {
    submitting_.fetch_sub(1);
    // TryPush leaves `op` untouched when full.
    (void)raw;
    reject(Status::Busy("shard " + std::to_string(id_) + " queue is full"));
    return;
  }
  submitting_.fetch_sub(1);
  if (sleeping_.exchange(false)) disk_->Wake();
}

void Shard::Stop() {
  accepting_ = false;
  while (submitting_.load() != 0) std::this_thread::yield();
  stopping_ = true;
  disk_->Wake();
  if (thread_.joinable()) thread_.join();
  if (hosted_) {
    CAIRN_ASSERT_MSG(!host_attached_.load(), "a hosted shard stopped while its host runs it");
    Run();  // the host is gone: the queued and in-flight writes finish on this thread
  }
  prefetch_pool_.reset();  // every prefetch has finished: the loop waited for them
  segment_pool_.reset();   // so has every segment opening; a spare may still be prepared
  CollectOpenedSegment(/*wait=*/true);  // after a fail-stop: its descriptor goes to open_fds_
  DiscardSpareSegment();
  // Anything that slipped in after the loop's last look is refused, never dropped.
  std::unique_ptr<WriteOp> op;
  while (inbound_.TryPop(&op)) {
    op->Fail(Status::Unavailable("shard " + std::to_string(id_) + " is shutting down"));
  }
  if (failed_.ok()) {
    // The heads still cached that are ahead of their metadata entries: a restarted shard finds
    // every entry current, and replays none of them.
    Status st = MarkMeta();
    if (!st.ok())
      std::fprintf(stderr, "cairn: shard %u: metadata entries at close: %s\n", id_,
                   st.ToString().c_str());
    st = index_->Flush(true);
    if (!st.ok())
      std::fprintf(stderr, "cairn: shard %u: index flush at close: %s\n", id_,
                   st.ToString().c_str());
  }
}

void Shard::Run() {
  std::vector<IoCompletion> completions;
  for (;;) {
    DrainInbound();
    MaybeSubmit();
    if (stopping_ && inbound_.Empty() && pending_.empty() && batches_.empty() &&
        !write_in_flight_) {
      break;
    }
    uint32_t timeout = kIdlePollMs;
    sleeping_.store(true);
    if (!inbound_.Empty() || FrontReady() || (stopping_ && pending_.empty())) timeout = 0;
    // Waiting for a write, or for a segment to open (its job wakes the disk when done).
    if (stopping_ && (write_in_flight_ || opening_ != 0)) timeout = kIdlePollMs;
    completions.clear();
    Status st = disk_->Poll(&completions, timeout);
    sleeping_.store(false);
    if (!st.ok()) FailStop(st);
    for (const IoCompletion& c : completions) OnWriteDone(c);
    Periodic();
  }
}

void Shard::Attach() {
  CAIRN_ASSERT(hosted_ && !host_attached_.load());
  host_thread_.store(std::this_thread::get_id());
  host_attached_.store(true);
}

void Shard::Detach() {
  // The writes this thread submitted finish before it leaves: io_uring cancels what an
  // exiting thread left queued in the kernel. New requests wait for Stop().
  CAIRN_ASSERT(OnHostThread());
  while (write_in_flight_) {
    host_completions_.clear();
    Status st = disk_->Poll(&host_completions_, kIdlePollMs);
    if (!st.ok()) {
      FailStop(st);
      break;  // the ring itself failed: nothing more will complete
    }
    for (const IoCompletion& c : host_completions_) OnWriteDone(c);
  }
  sleeping_.store(false);
  host_thread_.store(std::thread::id());
  host_attached_.store(false);
}

// One turn of Run()'s loop without its wait: the host waits on WaitFd() instead.
void Shard::Step() {
  CAIRN_DASSERT(OnHostThread());
  DrainInbound();
  MaybeSubmit();
  host_completions_.clear();
  Status st = disk_->Poll(&host_completions_, 0);
  if (!st.ok()) FailStop(st);
  for (const IoCompletion& c : host_completions_) OnWriteDone(c);
  Periodic();
}

bool Shard::PrepareSleep() {
  CAIRN_DASSERT(OnHostThread());
  // As in Run(): announce the sleep, then look again, so that a Submit either is seen here
  // or sees `sleeping_` and wakes the disk (which makes WaitFd() readable).
  sleeping_.store(true);
  // A prefetch or a segment opening that finished after this turn's DrainInbound woke the
  // disk ring, and Step's Poll may have taken that wake-up: take what they did here, then
  // look (a batch of the opened segment may now be written).
  CollectWarmed();
  if (!inbound_.Empty() || FrontReady() || CanSubmit()) {
    sleeping_.store(false);
    return false;
  }
  return true;
}

void Shard::PublishHeadStats() {
  stat_heads_cached_.store(heads_.size(), std::memory_order_relaxed);
  stat_heads_bytes_.store(heads_.bytes(), std::memory_order_relaxed);
  stat_head_hits_.store(heads_.hits(), std::memory_order_relaxed);
  stat_head_misses_.store(heads_.misses(), std::memory_order_relaxed);
}

void Shard::Process(std::unique_ptr<WriteOp> op) {
  if (!failed_.ok()) {
    op->Fail(failed_);
    return;
  }
  switch (op->kind) {
    case WriteOp::Kind::kAppend:
      ProcessAppend(*op);
      break;
    case WriteOp::Kind::kDelete:
    case WriteOp::Kind::kTrim:
      ProcessStateChange(*op);
      break;
    case WriteOp::Kind::kGroupCommit:
    case WriteOp::Kind::kGroupDelete:
      ProcessGroup(*op);
      break;
    case WriteOp::Kind::kSchema:
      ProcessSchema(*op);
      break;
  }
}

uint64_t Shard::NextTimestamp() {
  uint64_t now = env_->clock()->NowMillis();
  if (now > last_timestamp_ms_) last_timestamp_ms_ = now;
  return last_timestamp_ms_;
}

Result<StreamHead*> Shard::GetHead(const std::string& stream, bool* was_cached) {
  // The head-cache figures are published at every lookup: a request answered at once (a
  // conflict, a committed duplicate) may reply before the loop turn ends.
  StreamHead* cached = heads_.Find(stream);
  PublishHeadStats();
  if (was_cached != nullptr) *was_cached = cached != nullptr;
  if (cached != nullptr) return cached;
  // A cold head: one point lookup (bloom filter, then at most one block per level). The entry
  // is current: appends leave it behind only while the head is cached, an evicted head's
  // entry waits in behind_meta_ until written, and recovery rewrites those a crash left behind.
  std::optional<index::StreamMeta> found;
  if (auto it = behind_meta_.find(stream); it != behind_meta_.end()) {
    found = it->second;
  } else {
    CAIRN_ASSIGN_OR_RETURN(auto v, IndexGet(index::StreamKey(stream)));
    if (v.has_value()) {
      found = index::DecodeStreamMeta(*v);
      if (!found) return Status::Corruption("index: bad metadata for stream " + stream);
    }
  }
  StreamHead head;
  if (found.has_value()) {
    const index::StreamMeta* m = &*found;
    head.meta_version = m->version;
    head.stream_id = m->stream_id;
    head.version = m->version;
    head.first_readable = m->first_readable;
    head.created_ms = m->created_ms;
    head.updated_ms = m->updated_ms;
    head.deleted = m->deleted;
    head.exists = true;
  }
  StreamHead* inserted = heads_.Insert(stream, head);  // may evict (OnHeadEvicted)
  PublishHeadStats();
  if (behind_meta_.size() >= kMaxBehindMeta) {
    Status st = WriteBehindMeta();
    if (!st.ok()) {
      FailStop(st);
      return failed_;
    }
  }
  return inserted;
}

void Shard::OnHeadEvicted(std::string_view stream, const StreamHead& head) {
  // Its runs are all indexed (an unindexed batch pins its heads), so the entry is right
  // whenever it is written; any later change of the stream is in a later index write.
  behind_meta_.insert_or_assign(std::string(stream), MetaOf(head));
}

Status Shard::WriteBehindMeta() {
  if (behind_meta_.empty()) return Status::Ok();
  rocksdb::WriteBatch wb;
  for (const auto& [stream, m] : behind_meta_) {
    (void)wb.Put(index::StreamKey(stream), index::EncodeStreamMeta(m));
  }
  behind_meta_.clear();
  return index_->Write(&wb);
}

void Shard::StartMetaMark() {
  // The heads ahead of their entries now; those that fall behind later do so with records
  // past the mark. Uncached streams' entries are current (the evicted ones once written).
  mark_from_ = indexed_cp_;
  mark_names_.clear();
  mark_names_.swap(behind_log_);
  mark_next_ = 0;
  marking_ = true;
}

Status Shard::ContinueMetaMark(size_t max_entries) {
  // The evicted heads' entries, then those of the listed heads still cached and ahead of
  // theirs: an unpinned head has all its changes indexed, so the entry is the head; a pinned
  // one has changes not yet indexed, so its entry is brought up to the index's runs only
  // (LookupStream). Either covers the records before the mark.
  CAIRN_RETURN_IF_ERROR(WriteBehindMeta());
  rocksdb::WriteBatch wb;
  const size_t end = std::min(mark_names_.size(), mark_next_ + max_entries);
  for (; mark_next_ < end; ++mark_next_) {
    const std::string& stream = mark_names_[mark_next_];
    StreamHead* h = heads_.Peek(stream);
    if (h == nullptr) continue;  // evicted: its entry was written (or waits in behind_meta_)
    if (h->pins > 0) {
      // Changes not yet indexed (an append, or a delete, trim or revival that already counts
      // the head as current): the entry is brought up to what the index holds, whatever the
      // head says, and the next mark looks again.
      behind_log_.push_back(stream);
      CAIRN_ASSIGN_OR_RETURN(auto found, LookupStream(*index_, stream));
      if (!found.has_value() || found->stored_version == found->meta.version) continue;
      (void)wb.Put(index::StreamKey(stream), index::EncodeStreamMeta(found->meta));
      continue;
    }
    if (!HeadCache::Behind(*h)) continue;
    (void)wb.Put(index::StreamKey(stream), index::EncodeStreamMeta(MetaOf(*h)));
    h->meta_version = h->version;
  }
  if (mark_next_ < mark_names_.size()) return wb.Count() > 0 ? index_->Write(&wb) : Status::Ok();
  marking_ = false;
  mark_names_.clear();
  mark_names_.shrink_to_fit();
  return WriteMetaMark(mark_from_, &wb);
}

Status Shard::MarkMeta() {
  if (marking_) CAIRN_RETURN_IF_ERROR(ContinueMetaMark(SIZE_MAX));
  StartMetaMark();
  return ContinueMetaMark(SIZE_MAX);
}

Status Shard::WriteMetaMark(const index::Checkpoint& covered, rocksdb::WriteBatch* wb) {
  std::string v = index::EncodeCheckpoint(covered);
  (void)wb->Put(rocksdb::Slice(index::MetaMarkKey()), rocksdb::Slice(v));
  Status st = index_->Write(wb);
  wb->Clear();
  return st;
}

Shard::Batch* Shard::NewBatch() {
  std::unique_ptr<Batch> b;
  if (!spare_batches_.empty()) {
    b = std::move(spare_batches_.back());
    spare_batches_.pop_back();
  } else {
    b = std::make_unique<Batch>();
  }
  b->seq = next_batch_seq_++;
  b->segment_id = segment_id_;
  b->fd = segment_fd_;
  b->file_offset = format::AlignDown(segment_end_, format::kBlockSize);
  size_t carried = segment_end_ - b->file_offset;
  b->buf.Reserve(std::max<size_t>(options_.max_batch_bytes, carried) + 2 * kZeroFillChunk);
  if (carried > 0) {
    // The partial block at the end of the segment is rewritten with the new records.
    const Batch* prev = batches_.empty() ? nullptr : batches_.back().get();
    if (prev != nullptr && prev->segment_id == segment_id_) {
      b->buf.Append(prev->buf.data() + (b->file_offset - prev->file_offset), carried);
    } else {
      CAIRN_ASSERT(segment_tail_.size() == carried);
      b->buf.Append(segment_tail_.data(), carried);
    }
  }
  b->logical_size = carried;
  batches_.push_back(std::move(b));
  return batches_.back().get();
}

void Shard::Seal(Batch* b) {
  CAIRN_ASSERT(!batches_.empty() && batches_.back().get() == b);
  if (b->sealed) return;
  b->sealed = true;
  b->checkpoint.next_position = next_position_;
  b->checkpoint.segment_id = segment_id_;
  b->checkpoint.end_offset = segment_end_;
  b->checkpoint.chain_head = chain_head_;
  b->checkpoint.next_stream_id = next_stream_id_;
  b->checkpoint.last_timestamp_ms = last_timestamp_ms_;
}

Result<Shard::Batch*> Shard::BatchWithRoom(size_t record_bytes) {
  Batch* back = batches_.empty() ? nullptr : batches_.back().get();
  bool segment_has_records = segment_end_ > format::kSegmentHeaderSize;
  if (segment_has_records && segment_end_ + record_bytes > options_.segment_size_bytes) {
    if (back != nullptr) Seal(back);
    CAIRN_RETURN_IF_ERROR(StartSegment(/*in_background=*/true));
    return NewBatch();
  }
  // One spare at a time, and none while a segment opens (its job may still take the spare
  // it was given from segment_jobs_).
  if (spare_for_ == 0 && opening_ == 0 &&
      segment_end_ + record_bytes > options_.segment_size_bytes / 2) {
    RequestSpareSegment();
  }
  if (back == nullptr || back->sealed || back->segment_id != segment_id_) return NewBatch();
  if (!back->completions.empty() && back->logical_size + record_bytes > options_.max_batch_bytes) {
    Seal(back);
    return NewBatch();
  }
  return back;
}

void Shard::MaybeSubmit() {
  if (!CanSubmit()) return;
  Batch* b = batches_.front().get();
  if (!b->sealed) Seal(b);
  b->buf.Resize(format::AlignUp(b->logical_size, format::kBlockSize));
  if (options_.segment_zero_fill) ZeroFillAhead(b);
  Status st = disk_->SubmitWriteAndSync(b->fd, b->buf.data(), static_cast<uint32_t>(b->buf.size()),
                                        b->file_offset, b->seq);
  if (!st.ok()) {
    FailStop(st);
    return;
  }
  write_in_flight_ = true;
  b->submit_us = MonotonicMicros();
}

// On ext4 (and XFS), a segment allocated with fallocate has "unwritten" extents: the first
// write into each of them converts it, and the fdatasync that follows must commit that
// change to the journal besides flushing the data. Writing zeros a little ahead of the log's
// end, as part of a small log write, converts the extents once per chunk instead of once per
// commit: 4 KiB write + fdatasync 145 -> 90 µs on this kind of disk. Large writes (busy
// shards) are left alone: one conversion is little next to their size, and the zeros would
// lengthen the write everything else waits for. Zeros past the last record are what
// recovery expects there anyway.
void Shard::ZeroFillAhead(Batch* b) {
  if (b->segment_id != zeroed_segment_) {
    zeroed_segment_ = b->segment_id;
    zeroed_to_ = 0;  // unknown (a recovered segment): the first write fills ahead
  }
  const uint64_t end = b->file_offset + b->buf.size();
  if (end <= zeroed_to_) return;
  if (b->buf.size() >= kZeroFillMaxWrite) {
    zeroed_to_ = end;
    return;
  }
  const uint64_t target = std::min<uint64_t>(format::AlignUp(end, kZeroFillChunk) + kZeroFillChunk,
                                             options_.segment_size_bytes);
  if (target > end) {
    b->zero_fill = target - end;
    b->buf.Resize(b->buf.size() + b->zero_fill);  // AlignedBuffer zero-fills what it adds
  }
  zeroed_to_ = std::max(target, end);
}

void Shard::OnWriteDone(const IoCompletion& c) {
  if (!failed_.ok()) {  // already failed stop: nothing more completes
    write_in_flight_ = false;
    failed_in_flight_.reset();
    return;
  }
  CAIRN_ASSERT(write_in_flight_ && !batches_.empty() && batches_.front()->seq == c.token);
  write_in_flight_ = false;
  if (c.result < 0) {
    std::string what = c.short_write ? "short write" : std::string(c.failed_op);
    FailStop(Status::IoError("log " + what + " failed on segment " +
                             format::SegmentFileName(batches_.front()->segment_id) + ": " +
                             std::strerror(-c.result)));
    return;
  }
  std::unique_ptr<Batch> b = std::move(batches_.front());
  batches_.pop_front();
  RecordBatchStats(*b);
  MaybeSubmit();  // keep the disk busy while this batch is indexed and acknowledged
  FinishBatch(std::move(b));
}

void Shard::FinishBatch(std::unique_ptr<Batch> b) {
  b->scopes.Flush(&b->index);
  std::string cp = index::EncodeCheckpoint(b->checkpoint);
  (void)b->index.Put(rocksdb::Slice(index::CheckpointKey()), rocksdb::Slice(cp));
  b->hints.Seal();
  Status st = env_->BeforeIndexWrite();
  if (st.ok()) st = WriteBehindMeta();  // before any later change of those streams
  if (st.ok()) st = index_->Write(&b->index, &b->hints);
  if (!st.ok()) {
    // The batch is durable but cannot be made visible: refuse it like a failed write. It goes
    // back behind the batch whose write is in flight (OnWriteDone submitted the next one), which
    // FailStop keeps allocated, as the front batch, until the kernel is done with its buffer.
    batches_.insert(write_in_flight_ && !batches_.empty() ? batches_.begin() + 1 : batches_.begin(),
                    std::move(b));
    FailStop(st);
    return;
  }
  indexed_cp_ = b->checkpoint;
  if (batches_.empty() && b->segment_id == segment_id_) {
    size_t tail_start = format::AlignDown(b->file_offset + b->logical_size, format::kBlockSize);
    segment_tail_.clear();
    segment_tail_.Append(b->buf.data() + (tail_start - b->file_offset),
                         b->file_offset + b->logical_size - tail_start);
  }
  for (StreamHead* h : b->pinned) heads_.Unpin(h);
  // Statistics before any acknowledgement: a client that saw its ack reads stats that include it.
  stat_batches_.fetch_add(1, std::memory_order_relaxed);
  stat_batch_bytes_.fetch_add(b->buf.size() - b->zero_fill, std::memory_order_relaxed);
  stat_events_.fetch_add(b->events, std::memory_order_relaxed);
  stat_appends_.fetch_add(b->completions.size(), std::memory_order_relaxed);
  stat_next_position_.store(b->checkpoint.next_position, std::memory_order_relaxed);
  PublishHeadStats();
  // Watchers hear of the commit before any writer is acknowledged: a client that saw its ack
  // and then starts a LIVE watch never gets that event pushed.
  if (b->events > 0 && options_.on_commit) options_.on_commit(id_, b->checkpoint.next_position);
  for (Completion& c : b->completions) {
    if (c.on_append) {
      if (!c.idem_scoped_key.empty()) {
        auto it = inflight_keys_.find(c.idem_scoped_key);
        if (it != inflight_keys_.end()) {
          for (AppendCallback& w : it->second.waiters) {
            AppendResult dup = c.append_result.value();
            dup.duplicate = true;
            w(std::move(dup));
          }
          inflight_keys_.erase(it);
        }
      }
      c.on_append(std::move(c.append_result));
    } else if (c.on_state) {
      c.on_state(std::move(c.state_result));
    } else if (c.on_group) {
      c.on_group(c.group_result);
    } else if (c.on_schema) {
      c.on_schema(true);
    }
  }
  for (auto it = tentative_groups_.begin(); it != tentative_groups_.end();) {
    it = it->second.second == b->seq ? tentative_groups_.erase(it) : std::next(it);
  }
  for (auto it = tentative_schemas_.begin(); it != tentative_schemas_.end();) {
    it = it->second.second == b->seq ? tentative_schemas_.erase(it) : std::next(it);
  }
  unflushed_log_bytes_ += b->buf.size() - b->zero_fill;
  CloseSealedSegmentFds();
  RecycleBatch(std::move(b));
}

void Shard::CloseSealedSegmentFds() {
  // Write descriptors of earlier segments are closed once no batch still writes to them,
  // so a long-running shard holds two at most, not one per segment it ever wrote (and the
  // spare being prepared, which is not in open_fds_ until its segment opens).
  for (auto it = open_fds_.begin(); it != open_fds_.end();) {
    const int fd = *it;
    bool used = fd == segment_fd_;
    for (const auto& b : batches_) used = used || b->fd == fd;
    if (used) {
      ++it;
      continue;
    }
    (void)env_->fs()->CloseFile(fd);
    it = open_fds_.erase(it);
  }
}

void Shard::RecycleBatch(std::unique_ptr<Batch> b) {
  // Oversized buffers (one huge request) are released rather than kept.
  if (spare_batches_.size() >= kMaxSpareBatches ||
      b->buf.capacity() > 2 * static_cast<size_t>(options_.max_batch_bytes)) {
    return;
  }
  b->buf.clear();
  b->logical_size = 0;
  b->zero_fill = 0;
  b->sealed = false;
  b->events = 0;
  b->index.Clear();
  b->hints.Clear();
  b->completions.clear();
  b->pinned.clear();
  b->checkpoint = index::Checkpoint{};
  spare_batches_.push_back(std::move(b));
}

void Shard::FailStop(const Status& cause) {
  if (!failed_.ok()) return;
  failed_ = Status::Unavailable("shard " + std::to_string(id_) +
                                " stopped accepting writes until restart: " + cause.message());
  stat_failed_ = true;
  std::fprintf(stderr, "cairn: %s\n", failed_.message().c_str());
  for (auto& b : batches_) {
    for (Completion& c : b->completions) {
      if (c.on_append) c.on_append(failed_);
      if (c.on_state) c.on_state(failed_);
      if (c.on_group) c.on_group(failed_);
      if (c.on_schema) c.on_schema(failed_);
    }
  }
  // The batch whose write is in flight stays allocated until the write completes: the kernel
  // reads its buffer (O_DIRECT) until then.
  if (write_in_flight_ && !batches_.empty()) failed_in_flight_ = std::move(batches_.front());
  batches_.clear();
  tentative_groups_.clear();
  tentative_schemas_.clear();
  for (auto& [key, k] : inflight_keys_) {
    for (AppendCallback& w : k.waiters) w(failed_);
  }
  inflight_keys_.clear();
}

void Shard::FlushIndex() {
  Status st = index_->Flush(false);
  if (!st.ok())
    std::fprintf(stderr, "cairn: shard %u: index flush: %s\n", id_, st.ToString().c_str());
}

void Shard::Periodic() {
  if (!failed_.ok()) return;
  uint64_t now = env_->clock()->MonotonicNanos();
  if (unflushed_log_bytes_ >= kFlushEveryBytes ||
      (unflushed_log_bytes_ > 0 && now - last_flush_ns_ >= kFlushEveryNs)) {
    if (!flush_after_mark_) {
      // A metadata mark first (or the one in progress), taken over the next loop turns
      // (ContinueMetaMark below), then the flush, which persists it with the index: after a
      // crash, recovery rewrites the metadata entries of the records from the mark to the
      // flush (the mark's few turns of log), then replays the log past the flush.
      if (!marking_) StartMetaMark();
      flush_after_mark_ = true;
    } else {
      // The mark has taken a whole interval (many heads falling behind faster than it writes
      // them): the flush goes ahead without it, so that the log replayed after a crash stays
      // bounded, and the mark's end asks for another.
      FlushIndex();
    }
    unflushed_log_bytes_ = 0;
    last_flush_ns_ = now;
  }
  if (!marking_ && behind_log_.size() >= kMaxBehindLog) StartMetaMark();  // bounds the log
  if (marking_) {
    // A bounded share per loop turn under load; all of it when the shard is idle (its loop
    // would otherwise turn only every kIdlePollMs).
    const bool idle = pending_.empty() && batches_.empty() && !write_in_flight_;
    Status st = ContinueMetaMark(idle ? SIZE_MAX : kMetaMarkEntriesPerTurn);
    if (!st.ok()) {
      FailStop(st);
      return;
    }
  }
  if (flush_after_mark_ && !marking_) {
    flush_after_mark_ = false;
    FlushIndex();
  }
  if (now - last_sweep_ns_ >= kSweepEveryNs || sweep_behind_) {
    last_sweep_ns_ = now;
    // At most kMaxSweepKeys per turn keeps each turn short; while expired keys remain, every
    // loop turn sweeps again, so expiry keeps up with any rate of keyed appends.
    sweep_behind_ = SweepIdempotencyKeys();
  }
}

bool Shard::SweepIdempotencyKeys() {
  uint64_t now_ms = env_->clock()->NowMillis();
  auto view = index_->NewView();
  auto it = view->NewIterator();
  rocksdb::WriteBatch wb;
  int n = 0;
  for (it->Seek(rocksdb::Slice(std::string(1, index::kExpiryTag)));
       it->Valid() && n < kMaxSweepKeys; it->Next(), ++n) {
    rocksdb::Slice k = it->key();
    if (k.size() < 9 || k[0] != index::kExpiryTag) break;
    uint64_t expiry = DecodeBigEndian64(k.data() + 1);
    if (expiry > now_ms) break;
    std::string idem(1, index::kIdemTag);
    idem.append(k.data() + 9, k.size() - 9);
    // The key may have been used again after it expired: keep the newer entry.
    auto v = view->Get(idem);
    if (v.ok() && v->has_value()) {
      auto e = index::DecodeIdempotency(**v);
      if (e && e->expiry_ms == expiry) (void)wb.Delete(rocksdb::Slice(idem));
    }
    (void)wb.Delete(k);
  }
  if (wb.Count() > 0) {
    Status st = index_->Write(&wb);
    if (!st.ok()) FailStop(st);
  }
  return n >= kMaxSweepKeys && failed_.ok();
}

uint64_t Shard::MonotonicMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void Shard::RecordBatchStats(const Batch& b) {
  uint64_t us = MonotonicMicros() - b.submit_us;
  size_t i = 0;
  while (i < kSyncLatencyBoundsUs.size() && us > kSyncLatencyBoundsUs[i]) ++i;
  stat_sync_latency_[i].fetch_add(1, std::memory_order_relaxed);
  stat_sync_latency_sum_us_.fetch_add(us, std::memory_order_relaxed);
  size_t j = 0;
  while (j < kBatchEventsBounds.size() && b.events > kBatchEventsBounds[j]) ++j;
  stat_batch_events_[j].fetch_add(1, std::memory_order_relaxed);
}

ShardStats Shard::Stats() const {
  ShardStats s;
  s.appends = stat_appends_.load();
  s.events = stat_events_.load();
  s.batches = stat_batches_.load();
  s.batch_bytes = stat_batch_bytes_.load();
  s.heads_cached = stat_heads_cached_.load();
  s.heads_bytes = stat_heads_bytes_.load();
  s.index_prefetches = stat_prefetches_.load();
  if (index_) {
    s.memtable_bytes = index_->MemtableBytes();
    s.table_reader_bytes = index_->TableReaderBytes();
  }
  s.head_hits = stat_head_hits_.load();
  s.head_misses = stat_head_misses_.load();
  s.next_position = stat_next_position_.load();
  s.failed = stat_failed_.load();
  for (size_t i = 0; i < s.sync_latency_counts.size(); ++i) {
    s.sync_latency_counts[i] = stat_sync_latency_[i].load(std::memory_order_relaxed);
  }
  s.sync_latency_sum_us = stat_sync_latency_sum_us_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < s.batch_events_counts.size(); ++i) {
    s.batch_events_counts[i] = stat_batch_events_[i].load(std::memory_order_relaxed);
  }
  return s;
}

}  // namespace cairn
