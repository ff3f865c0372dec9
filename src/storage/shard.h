#pragma once
// One shard: its log segments, its index, its stream heads, driven by one thread.
//
// Owner and threads: the shard's thread (started by Open, joined by Stop) owns the log
// writer, the head cache, the batches and the AsyncDisk; it is the only writer of the
// index. Submit() may be called from any thread: it pushes onto a bounded lock-free queue
// and wakes the thread. Readers (shard_reader.h) use the index and segment files from any
// thread and see only what the shard thread has indexed, which is only ever durable data.
// (In the server, a network thread runs the loop instead: hosted_shards, ShardLoop.) Two
// lookup threads warm the index's caches for requests about to run; one segment thread
// prepares and opens the next log segment (segment_jobs_).
//
// Write path (docs/internals/write-path.md): requests are checked against the stream
// heads and encoded into the open batch; while one write + fdatasync is in flight the
// next batch gathers, and it is submitted the moment the previous one completes (group
// commit without a timer). When a batch is durable, its index entries and checkpoint are
// written in one RocksDB batch, then its requests complete. A failed write or fdatasync
// is never retried: the shard fails stop and answers UNAVAILABLE until restarted.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/aligned_buffer.h"
#include "base/random.h"
#include "cairn/engine.h"
#include "cairn/options.h"
#include "io/env.h"
#include "storage/blocking_pool.h"
#include "storage/chain.h"
#include "storage/head_cache.h"
#include "storage/index_keys.h"
#include "storage/mpsc_queue.h"
#include "storage/record.h"
#include "storage/record_indexer.h"
#include "storage/segment_files.h"
#include "storage/shard_index.h"

namespace cairn {

using AppendCallback = std::function<void(Result<AppendResult>)>;
using StateCallback = std::function<void(Result<StreamInfo>)>;
using GroupCallback = std::function<void(Result<GroupWriteResult>)>;
// true: the schema was written; false: the same bytes were already registered.
using SchemaCallback = std::function<void(Result<bool>)>;

// A write travelling to a shard's thread. Validated by the submitter (engine.cc).
struct WriteOp {
  enum class Kind : uint8_t { kAppend, kDelete, kTrim, kGroupCommit, kGroupDelete, kSchema };
  Kind kind = Kind::kAppend;
  AppendRequest append;
  DeleteRequest del;
  TrimRequest trim;
  GroupCursor group;  // kGroupCommit, kGroupDelete (scope canonical)
  WatchScope group_scope;
  SchemaDefinition schema;      // kSchema
  std::string idem_scoped_key;  // org \0 key, empty without a key
  Fingerprint fingerprint{};
  AppendCallback on_append;
  StateCallback on_state;
  GroupCallback on_group;
  SchemaCallback on_schema;

  // Answers whichever callback the op carries with an error.
  void Fail(const Status& st) {
    if (on_append) on_append(st);
    if (on_state) on_state(st);
    if (on_group) on_group(st);
    if (on_schema) on_schema(st);
  }
};

// A shard's counters, as the engine reports them (cairn/engine.h).
using ShardStats = EngineStats::Shard;

class Shard final : public ShardLoop {
 public:
  Shard(uint32_t id, const EngineOptions& options, Env* env, std::string dir,
        uint64_t heads_budget_bytes);
  ~Shard();

  // Opens the index, recovers the log and starts the thread.
  Status Open(const IndexResources& resources);
  // Thread-safe. The callback runs on the shard's thread (or inline on BUSY/UNAVAILABLE).
  void Submit(std::unique_ptr<WriteOp> op);
  // Stops accepting, finishes queued and in-flight writes, persists the index, joins.
  void Stop();
  // Hosted (EngineOptions::hosted_shards and a disk that can be waited on): no thread of its
  // own; a host thread runs the loop through ShardLoop.
  bool hosted() const { return hosted_; }
  void Attach() override;
  void Detach() override;
  void Step() override;
  bool PrepareSleep() override;
  void Awake() override { sleeping_.store(false); }
  int WaitFd() const override { return disk_->WaitFd(); }
  // True on the thread that hosts this shard (a synchronous wait for it there would never end).
  bool OnHostThread() const { return host_thread_.load() == std::this_thread::get_id(); }

  uint32_t id() const { return id_; }
  const ShardIndex* index() const { return index_.get(); }
  const SegmentFiles* segments() const { return segments_.get(); }
  ShardStats Stats() const;
  uint64_t recovery_replayed_events() const { return replayed_events_; }
  uint64_t recovery_meta_records() const { return meta_records_; }
  uint64_t recovery_meta_ns() const { return meta_ns_; }
  uint64_t recovery_replay_ns() const { return replay_ns_; }

 private:
  struct Completion {
    AppendCallback on_append;
    StateCallback on_state;
    GroupCallback on_group;
    SchemaCallback on_schema;
    Result<AppendResult> append_result{AppendResult{}};
    Result<StreamInfo> state_result{StreamInfo{}};
    GroupWriteResult group_result;
    std::string idem_scoped_key;  // releases the in-flight entry when done
  };
  struct Batch {
    uint64_t seq = 0;
    uint64_t segment_id = 0;
    int fd = -1;
    uint64_t file_offset = 0;  // block-aligned start of the write
    AlignedBuffer buf;         // bytes from file_offset; the first ones are already durable
    size_t logical_size = 0;   // buf bytes that hold records (before block padding)
    bool sealed = false;
    uint64_t events = 0;
    uint64_t submit_us = 0;  // when its write was submitted (monotonic), for the stats
    size_t zero_fill = 0;    // zeros appended past the records to pre-write the segment
    rocksdb::WriteBatch index;
    ScopeIndexer scopes;  // the batch's scope groups, written with `index`
    InsertHints hints;    // streams of `index` written a moment ago (insert hints)
    std::vector<Completion> completions;
    std::vector<StreamHead*> pinned;
    index::Checkpoint checkpoint;
  };
  struct InFlightKey {
    Fingerprint fingerprint;
    std::vector<AppendCallback> waiters;
  };

  // A request taken off the inbound queue, waiting for the index entries it needs.
  struct Pending {
    std::unique_ptr<WriteOp> op;
    uint64_t seq = 0;
    uint32_t warming = 0;  // prefetches of this request not yet done
  };

  void Run();
  void DrainInbound();
  void Prefetch();
  void PrefetchKey(Pending& p, std::string key);
  // Warms what GetHead(stream) will read, unless it is in memory already.
  void PrefetchHead(Pending& p, const std::string& stream);
  void CollectWarmed();  // and a segment opening that finished (CollectOpenedSegment)
  bool FrontReady() const;
  Result<std::optional<std::string>> IndexGet(const std::string& key);
  void PublishHeadStats();
  void RecordBatchStats(const Batch& b);
  static uint64_t MonotonicMicros();
  void Process(std::unique_ptr<WriteOp> op);
  void ProcessAppend(WriteOp& op);
  void ProcessStateChange(WriteOp& op);
  void ProcessGroup(WriteOp& op);
  // A group's cursor including batches not yet durable; nullopt when none is stored.
  Result<std::optional<uint64_t>> GroupCursorOf(const std::string& key);
  void ProcessSchema(WriteOp& op);
  bool CheckIdempotency(WriteOp& op);
  // `cached`, when given, tells whether the head was in the cache.
  Result<StreamHead*> GetHead(const std::string& stream, bool* cached = nullptr);
  // Stream metadata entries of evicted heads that were ahead of theirs (behind_meta_): written
  // to the index before the next group commit's entries, at close, or at once when many.
  void OnHeadEvicted(std::string_view stream, const StreamHead& head);
  Status WriteBehindMeta();
  // A metadata mark: every stream's metadata entry brought up to the index's runs as of a
  // checkpoint (the cached heads ahead of theirs are written), and that checkpoint recorded
  // (index::kMetaMarkTag); after a crash, recovery rewrites the entries from the records past
  // it. Started with every index flush and written over the next loop turns, a bounded number
  // of entries per turn (ContinueMetaMark); MarkMeta takes one whole (at close).
  void StartMetaMark();
  Status ContinueMetaMark(size_t max_entries);
  Status MarkMeta();
  // Recovery: the metadata entries of the records from `mark` to `cp` (already indexed).
  Status RewriteMetaSince(const index::Checkpoint& mark, const index::Checkpoint& cp,
                          const std::vector<uint64_t>& ids);
  // Adds M = `covered` (the records before it have their metadata entries) to `wb`, writes
  // it and clears it.
  Status WriteMetaMark(const index::Checkpoint& covered, rocksdb::WriteBatch* wb);
  Result<Batch*> BatchWithRoom(size_t record_bytes);
  // Starts segment segment_id_ + 1 and makes it the one written. In the background (the
  // running loop), the segment thread creates (or takes the spare) and publishes its file:
  // batches of it wait for that (opening_); otherwise (recovery) all of it happens here.
  Status StartSegment(bool in_background);
  // Creates a segment's file under its temporary name, allocated to its full size.
  Result<int> CreateSegmentFile(const std::string& tmp_path);
  // Header durable, file renamed to its final name, directory synced.
  Status PublishSegment(int fd, const std::string& tmp_path, const std::string& path,
                        const AlignedBuffer& header_block);
  void RequestSpareSegment();
  void CollectOpenedSegment(bool wait);
  void DiscardSpareSegment();
  bool CanSubmit() const;
  Batch* NewBatch();
  void Seal(Batch* b);
  // Deletes expired idempotency keys; true when more expired keys may remain.
  bool SweepIdempotencyKeys();
  void MaybeSubmit();
  void OnWriteDone(const IoCompletion& c);
  void FinishBatch(std::unique_ptr<Batch> b);
  void RecycleBatch(std::unique_ptr<Batch> b);
  void CloseSealedSegmentFds();
  void FailStop(const Status& cause);
  void Periodic();
  void FlushIndex();  // asks for a flush (in the background); a failure is logged
  uint64_t NextTimestamp();
  Status Recover();
  Status RecoverLog();  // Recover's replay of the log
  Status ZeroRange(const std::string& path, uint64_t from, uint64_t to);

  const uint32_t id_;
  const EngineOptions options_;
  Env* env_;
  const std::string dir_;
  std::unique_ptr<ShardIndex> index_;
  std::unique_ptr<SegmentFiles> segments_;
  std::unique_ptr<AsyncDisk> disk_;
  HeadCache heads_;
  KnownListings listings_;  // O and T keys already in the index (or in a batch before it)
  // Metadata entries of evicted heads whose runs are all indexed (so any time is right to write
  // them), not yet written; a cold head is looked up here before the index. Any later change
  // of their streams is in a later write.
  std::unordered_map<std::string, index::StreamMeta> behind_meta_;
  // The checkpoint of the last index write of a group commit (or of recovery).
  index::Checkpoint indexed_cp_;
  // Streams whose heads fell behind their metadata entries since the last mark started (each
  // listed when it falls behind); the next mark writes those still behind.
  std::vector<std::string> behind_log_;
  // The metadata mark being taken: its checkpoint, the heads it lists, how many are done.
  bool marking_ = false;
  index::Checkpoint mark_from_;
  std::vector<std::string> mark_names_;
  size_t mark_next_ = 0;
  // An index flush is due: it waits for the mark in progress, so that it persists that mark
  // and recovery rewrites entries from no further back than the flush's trigger.
  bool flush_after_mark_ = false;
  // ProcessAppend's scratch: which clauses (with events) rewrite their stream's metadata, and
  // which of its heads were cached.
  std::vector<uint8_t> clause_meta_;
  std::vector<uint8_t> head_was_cached_;
  MpscQueue<std::unique_ptr<WriteOp>> inbound_;
  std::thread thread_;
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> accepting_{false};
  std::atomic<int> submitting_{0};

  // Tentative state: includes batches not yet durable. Shard thread only.
  uint64_t next_position_ = 1;
  Hash256 chain_head_{};
  uint64_t next_stream_id_ = 1;
  uint64_t last_timestamp_ms_ = 0;
  // Random bits of generated event ids (UUIDv7), seeded once from the environment's source:
  // the shard thread's own, so that ids never take a lock shared with other shards.
  SeededRandom id_random_;
  // Scratch of ProcessAppend: one clause's payloads, event ids, chain inputs and hashes.
  std::vector<HashInput> payload_inputs_;
  std::vector<Uuid> event_ids_;
  std::vector<ChainFields> chain_fields_;
  std::vector<Hash256> payload_hashes_;
  std::vector<Hash256> chain_hashes_;
  uint64_t segment_id_ = 0;  // segment being written
  // Its format version, which is the chain version of the events written to it: a segment
  // written by an older version keeps its chain until the next segment starts.
  uint32_t segment_version_ = format::kFormatVersion;
  int segment_fd_ = -1;
  uint64_t segment_end_ = 0;    // offset after the last record (tentative)
  AlignedBuffer segment_tail_;  // bytes of the partial block ending at segment_end_, when no
                                // batch of this segment is pending
  std::vector<int> open_fds_;
  // Pre-writing the segment ahead of the log's end (segment_zero_fill): blocks of segment
  // zeroed_segment_ below zeroed_to_ are known to have been written (records or zeros), so a
  // write there does not make the next fdatasync commit file-system metadata.
  uint64_t zeroed_segment_ = 0;
  uint64_t zeroed_to_ = 0;
  void ZeroFillAhead(Batch* b);
  std::deque<std::unique_ptr<Batch>> batches_;  // front may be in flight
  // Finished batches, kept for reuse: their buffers stay allocated (and faulted in), so a
  // busy shard does not allocate, zero and page-fault a fresh batch buffer per commit.
  std::vector<std::unique_ptr<Batch>> spare_batches_;
  static constexpr size_t kMaxSpareBatches = 2;
  bool write_in_flight_ = false;
  bool hosted_ = false;
  std::atomic<bool> host_attached_{false};
  std::atomic<std::thread::id> host_thread_{};
  std::unique_ptr<Batch> failed_in_flight_;     // kept until its write completes (FailStop)
  std::vector<IoCompletion> host_completions_;  // Step's, kept to reuse the vector
  uint64_t next_batch_seq_ = 1;
  std::unordered_map<std::string, InFlightKey> inflight_keys_;
  // Group cursors written by batches not yet indexed: key -> (cursor or nullopt when
  // deleted, batch seq). An entry goes when the batch that wrote it last is indexed.
  std::unordered_map<std::string, std::pair<std::optional<uint64_t>, uint64_t>> tentative_groups_;
  // Schemas written by batches not yet indexed: key -> (body, batch seq), as above.
  std::unordered_map<std::string, std::pair<std::string, uint64_t>> tentative_schemas_;

  // Requests run strictly in arrival order. Before one runs, the index entries it needs
  // (stream heads, idempotency key) must be in memory: lookups that would read the disk go
  // to prefetch_pool_ (which only warms RocksDB's caches), for requests up to
  // kPrefetchWindow ahead, while this thread keeps writing and acknowledging. The request
  // then reads its entries itself, from memory, so it always sees the current state.
  std::deque<Pending> pending_;
  size_t pending_scanned_ = 0;  // pending_[0, pending_scanned_) had their prefetches issued
  uint64_t next_pending_seq_ = 0;
  uint32_t prefetches_in_flight_ = 0;
  std::mutex warmed_mu_;
  std::vector<uint64_t> warmed_;  // seqs whose prefetch finished (from the pool's threads)
  // The next segment, prepared off the loop (docs/internals/write-path.md, "Segments"): once
  // the segment being written is half full, the segment thread creates the next one's file
  // under its temporary name and allocates it (the spare); when the log reaches its end, it
  // writes the new header, syncs it and renames the file while the loop goes on encoding
  // batches for it, which are submitted once that is done. Results come back through
  // segment_jobs_ (the segment thread writes them, the loop takes them; `cv` signals an
  // opening, which the loop waits for only when a segment fills before the last one opened).
  struct SegmentJobs {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<int>> spare;   // the spare's descriptor, or why it could not be made
    std::optional<Result<int>> opened;  // segment `opening_`'s descriptor, or why it failed
  };
  SegmentJobs segment_jobs_;
  uint64_t spare_for_ = 0;  // segment the spare was requested for (0: none)
  uint64_t opening_ = 0;    // segment being opened by the pool (0: none)
  // Destroyed before what their jobs use (segment_jobs_, segments_, disk_, index_).
  std::unique_ptr<BlockingPool> prefetch_pool_;
  // One thread, so jobs run in order: a spare is ready before the opening that takes it.
  std::unique_ptr<BlockingPool> segment_pool_;
  Status failed_;
  uint64_t last_flush_ns_ = 0;
  uint64_t last_sweep_ns_ = 0;
  bool sweep_behind_ = false;
  uint64_t unflushed_log_bytes_ = 0;
  uint64_t replayed_events_ = 0;
  uint64_t replayed_records_ = 0;
  uint64_t meta_records_ = 0;  // rewritten by RewriteMetaSince
  uint64_t meta_ns_ = 0;       // spent in RewriteMetaSince
  uint64_t replay_ns_ = 0;     // the rest of RecoverLog: the replay past the checkpoint

  // Counters read by Stats() from other threads.
  std::atomic<uint64_t> stat_appends_{0}, stat_events_{0}, stat_batches_{0}, stat_batch_bytes_{0},
      stat_heads_cached_{0}, stat_heads_bytes_{0}, stat_prefetches_{0}, stat_head_hits_{0},
      stat_head_misses_{0}, stat_next_position_{1};
  std::atomic<bool> stat_failed_{false};
  std::array<std::atomic<uint64_t>, kSyncLatencyBoundsUs.size() + 1> stat_sync_latency_{};
  std::atomic<uint64_t> stat_sync_latency_sum_us_{0};
  std::array<std::atomic<uint64_t>, kBatchEventsBounds.size() + 1> stat_batch_events_{};
};

}  // namespace cairn
