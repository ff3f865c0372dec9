// Durable append throughput through the engine API, with a peer measured in the same run.
//
//   build/bench/append_bench --benchmark_counters_tabular=true
//
// BM_CairnBatched:     appends of 100 events (64-byte payloads), kept 64 in flight.
// BM_CairnSingle:      single-event appends from 1,000 (or 16) submitters, each with one append
//                      in flight (the next is submitted from the previous one's completion);
//                      each once more with segment_zero_fill off, for the difference.
// BM_RocksDbSyncBatch: the peer. The same 100-event batches written to RocksDB with its WAL
//                      and sync=true from as many threads as there are shards.
// Every figure is events per second made durable (fdatasync returned before the count).
// CAIRN_BENCH_DIR picks the directory (default: $TMPDIR or /tmp).

#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cairn/engine.h"

namespace cairn {
namespace {

std::string BenchDir(const char* name) {
  const char* d = std::getenv("CAIRN_BENCH_DIR");
  const char* t = std::getenv("TMPDIR");
  std::string base = d && *d ? d : (t && *t ? t : "/tmp");
  std::string path = base + "/cairn-bench-" + name + "-" + std::to_string(getpid());
  std::filesystem::remove_all(path);
  return path;
}

std::unique_ptr<Engine> OpenEngine(const std::string& dir, bool zero_fill = true) {
  EngineOptions o;
  o.data_dir = dir;
  o.segment_zero_fill = zero_fill;
  auto e = Engine::Open(o);
  if (!e.ok()) {
    std::fprintf(stderr, "open: %s\n", e.status().ToString().c_str());
    std::abort();
  }
  return std::move(*e);
}

const std::string kPayload(64, 'p');

// Counts completions; Wait blocks until fewer than `limit` are outstanding.
class Window {
 public:
  void Acquire(int limit) {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return outstanding_ < limit; });
    ++outstanding_;
  }
  void Release(bool ok) {
    std::lock_guard l(mu_);
    --outstanding_;
    if (!ok) ++errors_;
    cv_.notify_all();
  }
  void Drain() {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return outstanding_ == 0; });
  }
  int errors() const { return errors_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int outstanding_ = 0;
  int errors_ = 0;
};

AppendRequest BatchRequest(const std::string& stream, int events) {
  AppendRequest r;
  AppendClause c;
  c.stream = stream;
  for (int i = 0; i < events; ++i) {
    c.events.push_back({"Measured", kPayload, {}, std::nullopt, std::nullopt});
  }
  r.clauses.push_back(std::move(c));
  return r;
}

void BM_CairnBatched(benchmark::State& state) {
  const std::string dir = BenchDir("batched");
  auto engine = OpenEngine(dir);
  const int kEvents = 100, kInFlight = 64;
  Window w;
  uint64_t n = 0;
  for (auto _ : state) {
    // Spread over orgs so that every shard gets work.
    std::string stream = "org" + std::to_string(n % 16) + "/bench/" + std::to_string(n % 1000);
    w.Acquire(kInFlight);
    engine->Append(BatchRequest(stream, kEvents),
                   [&w](Result<AppendResult> r) { w.Release(r.ok()); });
    ++n;
  }
  w.Drain();
  state.SetItemsProcessed(static_cast<int64_t>(n) * kEvents);
  auto st = engine->Stats();
  uint64_t batches = 0, events = 0;
  for (auto& s : st.shards) batches += s.batches, events += s.events;
  state.counters["events_per_fsync"] = batches ? double(events) / batches : 0;
  state.counters["errors"] = w.errors();
  engine.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CairnBatched)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_CairnSingle(benchmark::State& state) {
  const std::string dir = BenchDir("single");
  auto engine = OpenEngine(dir, state.range(1) != 0);
  const int submitters = static_cast<int>(state.range(0));
  const int64_t per_round = 200000;
  std::atomic<int64_t> total{0};
  std::atomic<int> errors{0};
  for (auto _ : state) {
    std::atomic<int64_t> issued{0};
    std::atomic<int> live{submitters};
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::function<void()>> next(submitters);
    for (int i = 0; i < submitters; ++i) {
      std::string stream = "org" + std::to_string(i % 16) + "/bench/s" + std::to_string(i);
      next[i] = [&, stream, i] {
        if (issued.fetch_add(1) >= per_round) {
          if (live.fetch_sub(1) == 1) {
            std::lock_guard l(mu);
            cv.notify_all();
          }
          return;
        }
        engine->Append(BatchRequest(stream, 1), [&, i](Result<AppendResult> r) {
          if (!r.ok()) errors.fetch_add(1);
          next[i]();
        });
      };
    }
    for (int i = 0; i < submitters; ++i) next[i]();
    std::unique_lock l(mu);
    cv.wait(l, [&] { return live.load() == 0; });
    total += per_round;
  }
  state.SetItemsProcessed(total.load());
  state.counters["errors"] = errors.load();
  auto st = engine->Stats();
  uint64_t batches = 0, events = 0, sync_us = 0;
  for (auto& s : st.shards)
    batches += s.batches, events += s.events, sync_us += s.sync_latency_sum_us;
  state.counters["events_per_fsync"] = batches ? double(events) / batches : 0;
  state.counters["write_sync_us"] = batches ? double(sync_us) / batches : 0;
  engine.reset();
  std::filesystem::remove_all(dir);
}
// Args: submitters, segment_zero_fill. 16 submitters are bound by the write + fdatasync
// latency, 1,000 by the shard threads' work.
BENCHMARK(BM_CairnSingle)
    ->ArgNames({"submitters", "zero_fill"})
    ->Args({1000, 1})
    ->Args({1000, 0})
    ->Args({16, 1})
    ->Args({16, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_RocksDbSyncBatch(benchmark::State& state) {
  static rocksdb::DB* db = nullptr;
  static std::string dir;
  if (state.thread_index() == 0) {
    dir = BenchDir("rocksdb");
    rocksdb::Options o;
    o.create_if_missing = true;
    o.enable_pipelined_write = true;
    if (!rocksdb::DB::Open(o, dir, &db).ok()) std::abort();
  }
  const int kEvents = 100;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  uint64_t n = 0;
  std::string key;
  for (auto _ : state) {
    rocksdb::WriteBatch b;
    for (int i = 0; i < kEvents; ++i) {
      key = "t" + std::to_string(state.thread_index()) + "/" + std::to_string(n * kEvents + i);
      b.Put(key, kPayload);
    }
    if (!db->Write(wo, &b).ok()) std::abort();
    ++n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(n) * kEvents);
  if (state.thread_index() == 0) {
    delete db;
    db = nullptr;
    std::filesystem::remove_all(dir);
  }
}
BENCHMARK(BM_RocksDbSyncBatch)
    ->Threads(2)
    ->Threads(64)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cairn

BENCHMARK_MAIN();
