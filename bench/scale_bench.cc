// Scale benchmarks on a large data directory: cold OCC checks, memory, open after a crash.
//
//   build/bench/scale_bench generate --dir D --streams 10000000 --segment-mb 1
//       creates D with one event per stream (100 streams per atomic append) and, with
//       --crash, dies by SIGKILL right after the last acknowledgement (no clean close).
//   build/bench/scale_bench open --dir D
//       times Engine::Open (recovery) and prints how many events it replayed.
//   build/bench/scale_bench occ --dir D --streams N --samples 200000 --writes 1000000
//       first appends --writes single events to random streams (memtables and caches fill),
//       then times --samples cold OCC checks one at a time: an append to a random existing
//       stream with a wrong expected version, answered CONFLICT after the stream head is
//       looked up (not cached: the streams are picked at random among N). Prints latency
//       percentiles, the head-cache miss ratio, and the process RSS (current and peak).
//       Peer in the same run: random point lookups of stream keys straight on a shard's
//       RocksDB index (after the engine is closed), the floor any OCC check stands on.
//   build/bench/scale_bench mixed --dir D --streams N
//       latency of 100 submitters appending to hot streams, alone and then while cold OCC
//       checks (8 in flight) run on the same shards: what cold lookups cost the others.
// Progress goes to stderr once a second; results to stdout.

#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cairn/engine.h"

namespace cairn {
namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string dir;
  uint64_t streams = 10'000'000;
  uint64_t segment_mb = 1;
  uint64_t budget_mb = 512;
  bool crash = false;
  uint64_t samples = 200'000;
  uint64_t writes = 1'000'000;
  uint32_t orgs = 64;
};

std::string StreamName(uint64_t i, uint32_t orgs) {
  return "org" + std::to_string(i % orgs) + "/device/" + std::to_string(i);
}

std::unique_ptr<Engine> Open(const Args& a, uint64_t* open_ms = nullptr) {
  EngineOptions o;
  o.data_dir = a.dir;
  o.segment_size_bytes = a.segment_mb << 20;
  o.memory_budget_bytes = a.budget_mb << 20;
  auto t0 = Clock::now();
  auto e = Engine::Open(o);
  if (open_ms) {
    *open_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  }
  if (!e.ok()) {
    std::fprintf(stderr, "open %s: %s\n", a.dir.c_str(), e.status().ToString().c_str());
    std::exit(2);
  }
  return std::move(*e);
}

std::string ProcStatus(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field, 0) == 0) {
      auto p = line.find_first_of("0123456789");
      return p == std::string::npos ? line : line.substr(p);
    }
  }
  return "?";
}

class Progress {
 public:
  explicit Progress(const char* what) : what_(what), start_(Clock::now()), last_(start_) {}
  void Tick(uint64_t done, uint64_t total) {
    auto now = Clock::now();
    if (now - last_ < std::chrono::seconds(1) && done != total) return;
    last_ = now;
    double s = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "%s: %llu/%llu (%.0f/s, %.0fs)\n", what_,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 s > 0 ? done / s : 0.0, s);
  }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  const char* what_;
  Clock::time_point start_, last_;
};

// Keeps at most `limit` asynchronous appends outstanding.
class Window {
 public:
  explicit Window(int limit) : limit_(limit) {}
  void Acquire() {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return n_ < limit_; });
    ++n_;
  }
  void Release(const Status& st) {
    std::lock_guard l(mu_);
    --n_;
    if (!st.ok() && st.code() != StatusCode::kConflict && first_error_.ok()) first_error_ = st;
    cv_.notify_all();
  }
  Status Drain() {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return n_ == 0; });
    return first_error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
  const int limit_;
  Status first_error_;
};

int Generate(const Args& a) {
  auto engine = Open(a);
  const std::string payload(64, 'g');
  Window w(64);
  Progress p("generate");
  // Streams of one org share a shard, so a transaction of consecutive same-org streams
  // is valid: group by org, 100 streams per append.
  const uint64_t per_org = (a.streams + a.orgs - 1) / a.orgs;
  uint64_t done = 0;
  for (uint64_t base = 0; base < per_org; base += 100) {
    for (uint32_t org = 0; org < a.orgs; ++org) {
      AppendRequest r;
      r.transaction = true;
      for (uint64_t k = base; k < std::min(per_org, base + 100); ++k) {
        uint64_t i = k * a.orgs + org;
        if (i >= a.streams) break;
        r.clauses.push_back(
            {StreamName(i, a.orgs), Expected::NoStream(), {{"Registered", payload, {}, {}, {}}}});
      }
      if (r.clauses.empty()) continue;
      done += r.clauses.size();
      w.Acquire();
      engine->Append(std::move(r), [&w](Result<AppendResult> res) { w.Release(res.status()); });
      p.Tick(done, a.streams);
    }
  }
  Status st = w.Drain();
  if (!st.ok()) {
    std::fprintf(stderr, "generate: %s\n", st.ToString().c_str());
    return 2;
  }
  p.Tick(a.streams, a.streams);
  std::printf("generate: %llu streams, %llu events in %.1f s\n",
              static_cast<unsigned long long>(a.streams), static_cast<unsigned long long>(done),
              p.Seconds());
  std::fflush(stdout);
  if (a.crash) raise(SIGKILL);  // no clean close: the next open recovers from the log
  return 0;
}

int OpenCmd(const Args& a) {
  uint64_t ms = 0;
  auto engine = Open(a, &ms);
  EngineStats s = engine->Stats();
  uint64_t events = 0;
  for (auto& sh : s.shards) events += sh.next_position - 1;
  std::printf(
      "open: %llu ms for %llu events in the log (replayed %llu since the last index "
      "checkpoint)\n",
      static_cast<unsigned long long>(ms), static_cast<unsigned long long>(events),
      static_cast<unsigned long long>(s.recovery_replayed_events));
  return 0;
}

struct Percentiles {
  double p50, p90, p99, p999, max;
};

Percentiles Summarise(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))];
  };
  return {at(0.5), at(0.9), at(0.99), at(0.999), us.back()};
}

int Occ(const Args& a) {
  auto engine = Open(a);
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<uint64_t> pick(0, a.streams - 1);
  {
    Window w(256);
    Progress p("writes");
    for (uint64_t i = 0; i < a.writes; ++i) {
      AppendRequest r;
      r.clauses.push_back({StreamName(pick(rng), a.orgs),
                           Expected::Any(),
                           {{"Measured", std::string(64, 'w'), {}, {}, {}}}});
      w.Acquire();
      engine->Append(std::move(r), [&w](Result<AppendResult> res) { w.Release(res.status()); });
      p.Tick(i + 1, a.writes);
    }
    Status st = w.Drain();
    if (!st.ok()) {
      std::fprintf(stderr, "writes: %s\n", st.ToString().c_str());
      return 2;
    }
  }
  EngineStats before = engine->Stats();
  std::vector<double> us;
  us.reserve(a.samples);
  uint64_t conflicts = 0;
  Progress p("occ");
  for (uint64_t i = 0; i < a.samples; ++i) {
    AppendRequest r;
    // Version 0 never matches an existing stream: the check fails after the head lookup.
    r.clauses.push_back(
        {StreamName(pick(rng), a.orgs), Expected::NoStream(), {{"Measured", "x", {}, {}, {}}}});
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status st;
    auto t0 = Clock::now();
    engine->Append(std::move(r), [&](Result<AppendResult> res) {
      std::lock_guard l(mu);
      st = res.status();
      done = true;
      cv.notify_one();
    });
    {
      std::unique_lock l(mu);
      cv.wait(l, [&] { return done; });
    }
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    if (st.code() == StatusCode::kConflict) ++conflicts;
    p.Tick(i + 1, a.samples);
  }
  EngineStats after = engine->Stats();
  uint64_t hits = 0, misses = 0, cached = 0;
  for (size_t s = 0; s < after.shards.size(); ++s) {
    hits += after.shards[s].head_hits - before.shards[s].head_hits;
    misses += after.shards[s].head_misses - before.shards[s].head_misses;
    cached += after.shards[s].heads_cached;
  }
  Percentiles pc = Summarise(us);
  std::printf("occ: %llu checks (%llu conflicts), head cache misses %.1f%% (%llu heads cached)\n",
              static_cast<unsigned long long>(a.samples),
              static_cast<unsigned long long>(conflicts),
              100.0 * misses / std::max<uint64_t>(1, hits + misses),
              static_cast<unsigned long long>(cached));
  std::printf("occ latency us: p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f\n", pc.p50, pc.p90,
              pc.p99, pc.p999, pc.max);
  std::printf("rss: VmRSS %s, VmHWM %s (budget %llu MiB)\n", ProcStatus("VmRSS").c_str(),
              ProcStatus("VmHWM").c_str(), static_cast<unsigned long long>(a.budget_mb));
  uint64_t heads_bytes = 0, memtables = 0, readers = 0;
  for (auto& sh : after.shards) {
    heads_bytes += sh.heads_bytes;
    memtables += sh.memtable_bytes;
    readers += sh.table_reader_bytes;
  }
  std::printf(
      "memory MiB: block cache (with memtable charges) %.1f, memtables %.1f, "
      "table readers %.1f, stream heads %.1f\n",
      after.block_cache_bytes / 1048576.0, memtables / 1048576.0, readers / 1048576.0,
      heads_bytes / 1048576.0);
  const uint32_t shard0 = engine->ShardOf(StreamName(0, a.orgs));
  engine.reset();

  // Peer: the same kind of lookups straight on one shard's RocksDB index.
  char sub[32];
  std::snprintf(sub, sizeof(sub), "/shard-%03u/index", shard0);
  rocksdb::Options o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache((a.budget_mb << 20) * 40 / 100);
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(o, a.dir + sub, &db).ok()) {
    std::fprintf(stderr, "peer: cannot open the index read-only\n");
    return 2;
  }
  std::vector<double> peer;
  std::string v;
  for (uint64_t i = 0; i < a.samples; ++i) {
    uint64_t s = pick(rng);
    s -= s % a.orgs;  // a stream of org0, which lives on shard0
    std::string key = "S" + StreamName(s, a.orgs);
    auto t0 = Clock::now();
    (void)db->Get(rocksdb::ReadOptions(), key, &v);
    peer.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  delete db;
  Percentiles pp = Summarise(peer);
  std::printf("peer rocksdb get us: p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f\n", pp.p50,
              pp.p90, pp.p99, pp.p999, pp.max);
  std::printf("ratio occ p99 / rocksdb get p99: %.2f\n", pc.p99 / pp.p99);
  return 0;
}

// Latency of hot appends (heads cached) while nothing else runs, then while other clients
// keep `cold` cold OCC checks in flight on the same shards: shows what cold index lookups
// on a shard's thread cost everyone else.
int Mixed(const Args& a) {
  auto engine = Open(a);
  const int kHot = 100;
  auto run_hot = [&](double seconds) {
    std::vector<double> us;
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::atomic<int> live{kHot};
    std::condition_variable cv;
    std::vector<std::function<void()>> next(kHot);
    for (int i = 0; i < kHot; ++i) {
      std::string stream = StreamName(static_cast<uint64_t>(i), a.orgs);
      next[i] = [&, stream, i] {
        if (stop.load()) {
          if (live.fetch_sub(1) == 1) {
            std::lock_guard l(mu);
            cv.notify_all();
          }
          return;
        }
        AppendRequest r;
        r.clauses.push_back({stream, Expected::Any(), {{"Hot", std::string(64, 'h'), {}, {}, {}}}});
        auto t0 = Clock::now();
        engine->Append(std::move(r), [&, i, t0](Result<AppendResult> res) {
          double d = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
          {
            std::lock_guard l(mu);
            us.push_back(d);
          }
          next[i]();
        });
      };
    }
    for (int i = 0; i < kHot; ++i) next[i]();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    std::unique_lock l(mu);
    cv.wait(l, [&] { return live.load() == 0; });
    return us;
  };
  auto report = [](const char* what, std::vector<double> us, double seconds) {
    Percentiles p = Summarise(us);
    std::printf("%s: %.0f appends/s, latency us p50 %.0f p90 %.0f p99 %.0f p99.9 %.0f max %.0f\n",
                what, us.size() / seconds, p.p50, p.p90, p.p99, p.p999, p.max);
    return p;
  };
  (void)run_hot(1.0);  // warm the hot heads
  Percentiles alone = report("hot alone", run_hot(5.0), 5.0);
  std::atomic<bool> stop_cold{false};
  std::atomic<uint64_t> cold_done{0};
  std::thread cold([&] {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<uint64_t> pick(kHot, a.streams - 1);
    Window w(8);
    while (!stop_cold.load()) {
      AppendRequest r;
      r.clauses.push_back(
          {StreamName(pick(rng), a.orgs), Expected::NoStream(), {{"Cold", "x", {}, {}, {}}}});
      w.Acquire();
      engine->Append(std::move(r), [&](Result<AppendResult> res) {
        cold_done.fetch_add(1);
        w.Release(res.status());
      });
    }
    (void)w.Drain();
  });
  Percentiles mixed = report("hot with cold checks", run_hot(5.0), 5.0);
  stop_cold = true;
  cold.join();
  std::printf("cold checks during the mixed run: %.0f/s\n", cold_done.load() / 5.0);
  std::printf("ratio hot p99 mixed / alone: %.2f\n", mixed.p99 / alone.p99);
  return 0;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  cairn::Args a;
  CLI::App app{"Cairn scale benchmarks"};
  app.require_subcommand(1);
  auto common = [&](CLI::App* s) {
    s->add_option("--dir", a.dir, "Data directory")->required();
    s->add_option("--segment-mb", a.segment_mb, "Segment size in MiB");
    s->add_option("--budget-mb", a.budget_mb, "Memory budget in MiB");
    s->add_option("--orgs", a.orgs, "Orgs the streams are spread over");
  };
  auto* gen = app.add_subcommand("generate", "Create a data directory with many streams");
  common(gen);
  gen->add_option("--streams", a.streams, "Streams (one event each)");
  gen->add_flag("--crash", a.crash, "SIGKILL itself after the last acknowledgement");
  auto* open = app.add_subcommand("open", "Time opening (recovering) a data directory");
  common(open);
  auto* occ = app.add_subcommand("occ", "Cold OCC checks, memory, and the RocksDB peer");
  common(occ);
  occ->add_option("--streams", a.streams, "Streams in the data directory");
  occ->add_option("--samples", a.samples, "OCC checks to time");
  occ->add_option("--writes", a.writes, "Appends to random streams before timing");
  auto* mixed = app.add_subcommand("mixed", "Hot append latency with and without cold checks");
  common(mixed);
  mixed->add_option("--streams", a.streams, "Streams in the data directory");
  CLI11_PARSE(app, argc, argv);
  if (mixed->parsed()) return cairn::Mixed(a);
  if (gen->parsed()) return cairn::Generate(a);
  if (open->parsed()) return cairn::OpenCmd(a);
  return cairn::Occ(a);
}
