// A shard's inbound path: requests leave the bounded queue in arrival order, their index
// lookups that would touch the disk run on a small blocking pool, and they execute in
// order once everything they need is in memory (docs/internals/write-path.md).

#include "base/assert.h"
#include "storage/shard.h"

namespace cairn {
namespace {

constexpr size_t kMaxPending = 8192;      // requests taken off the queue at once
constexpr size_t kPrefetchWindow = 1024;  // how far ahead prefetches are issued
constexpr uint32_t kMaxPrefetches = 64;   // outstanding pool lookups per shard
constexpr size_t kMaxOpsPerDrain = 4096;  // requests run per loop turn

}  // namespace

void Shard::DrainInbound() {
  std::unique_ptr<WriteOp> op;
  while (pending_.size() < kMaxPending && inbound_.TryPop(&op)) {
    pending_.push_back(Pending{std::move(op), next_pending_seq_++, 0});
  }
  CollectWarmed();
  size_t n = 0;
  for (;;) {
    Prefetch();
    if (!FrontReady() || n >= kMaxOpsPerDrain) break;
    std::unique_ptr<WriteOp> next = std::move(pending_.front().op);
    pending_.pop_front();
    --pending_scanned_;
    Process(std::move(next));
    ++n;
  }
}

bool Shard::FrontReady() const { return pending_scanned_ > 0 && pending_.front().warming == 0; }

void Shard::Prefetch() {
  while (pending_scanned_ < pending_.size() && pending_scanned_ < kPrefetchWindow &&
         prefetches_in_flight_ < kMaxPrefetches) {
    Pending& p = pending_[pending_scanned_++];
    if (!failed_.ok()) continue;  // it will be refused without a lookup
    const WriteOp& op = *p.op;
    if (op.kind == WriteOp::Kind::kAppend) {
      if (!op.idem_scoped_key.empty() && inflight_keys_.count(op.idem_scoped_key) == 0) {
        std::string key(1, index::kIdemTag);
        key.append(op.idem_scoped_key);
        PrefetchKey(p, std::move(key));
      }
      for (const AppendClause& c : op.append.clauses) PrefetchHead(p, c.stream);
    } else if (op.kind == WriteOp::Kind::kDelete || op.kind == WriteOp::Kind::kTrim) {
      const std::string& stream =
          op.kind == WriteOp::Kind::kDelete ? op.del.stream : op.trim.stream;
      PrefetchHead(p, stream);
    } else {
      PrefetchKey(p, index::GroupKey(op.group.scope, op.group.group));
      if (op.group_scope.kind == WatchScope::Kind::kStream) PrefetchHead(p, op.group.scope);
    }
  }
}

void Shard::PrefetchHead(Pending& p, const std::string& stream) {
  if (heads_.Contains(stream) || behind_meta_.count(stream) > 0) return;  // see GetHead
  PrefetchKey(p, index::StreamKey(stream));
}

void Shard::PrefetchKey(Pending& p, std::string key) {
  if (index_->GetIfCached(key).has_value()) return;  // answerable from memory already
  ++p.warming;
  ++prefetches_in_flight_;
  stat_prefetches_.fetch_add(1, std::memory_order_relaxed);
  const uint64_t seq = p.seq;
  prefetch_pool_->Submit([this, seq, key = std::move(key)] {
    // Only warms the caches: the request reads the entry itself when it runs, so a value
    // read here can never be stale. An error is left for that read to report.
    (void)index_->Get(key);
    {
      std::lock_guard l(warmed_mu_);
      warmed_.push_back(seq);
    }
    disk_->Wake();
  });
}

void Shard::CollectWarmed() {
  CollectOpenedSegment(/*wait=*/false);
  std::vector<uint64_t> done;
  {
    std::lock_guard l(warmed_mu_);
    done.swap(warmed_);
  }
  for (uint64_t seq : done) {
    // Requests leave pending_ only when nothing of theirs is warming, so it is still there;
    // seqs are consecutive from the front.
    CAIRN_ASSERT(!pending_.empty() && seq >= pending_.front().seq);
    Pending& p = pending_[seq - pending_.front().seq];
    CAIRN_ASSERT(p.seq == seq && p.warming > 0);
    --p.warming;
    --prefetches_in_flight_;
  }
}

Result<std::optional<std::string>> Shard::IndexGet(const std::string& key) {
  // The answer always comes from a full Get, served from memory once prefetched (a lookup
  // evicted since its prefetch reads the disk here, which is rare). A memory-only Get (read
  // tier kBlockCacheTier) is never used as an answer: RocksDB has had paths where a read it
  // could not complete from memory came back as OK with an empty value, which the crash test
  // hit as "bad metadata" after 850 cycles.
  return index_->Get(key);
}

}  // namespace cairn
