// The process the crash test kills (tests/crash_test.cc). It opens the engine on a data
// directory and appends from several threads, with the asynchronous Engine::Append, until
// it is SIGKILLed; every acknowledged append is reported on a pipe (crash_workload.h).
//
// Usage: crash_child <data_dir> <cycle_seed> <pipe_fd>
//        crash_child <data_dir> mark <pipe_fd>   (MarkThenFlush below)
//
// Each worker thread owns a set of streams (only it appends to them), so it knows their
// exact versions and can append with an exact expected version, with ANY, or as a
// transaction over several of them; it also creates fresh streams with NONE. A worker
// keeps up to kWindow appends in flight, never two on the same stream. Any refusal is a
// bug: the child reports it ("E ...") and exits, which fails the test.

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/random.h"
#include "cairn/engine.h"
#include "crash_workload.h"
#include "testing/manual_clock_env.h"

namespace cairn::crash {
namespace {

constexpr int kWindow = 4;           // appends in flight per worker
constexpr int kMaxRunSeconds = 120;  // the parent kills us long before this

int g_pipe = -1;

void WriteLine(std::string line) {
  if (line.size() > PIPE_BUF) {
    line.resize(PIPE_BUF - 1);
    line.push_back('\n');
  }
  // One write of at most PIPE_BUF bytes to a pipe is atomic: a kill never splits a line.
  for (;;) {
    ssize_t n = ::write(g_pipe, line.data(), line.size());
    if (n == static_cast<ssize_t>(line.size())) return;
    if (n < 0 && errno == EINTR) continue;
    _exit(4);
  }
}

[[noreturn]] void Die(std::string msg) {
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  std::fprintf(stderr, "crash_child: %s\n", msg.c_str());
  WriteLine("E " + msg + "\n");
  _exit(2);
}

class Worker {
 public:
  Worker(Engine* engine, int id, uint64_t cycle_seed, bool bursty)
      : engine_(engine),
        id_(id),
        cycle_seed_(cycle_seed),
        bursty_(bursty),
        rng_(Mix(cycle_seed + static_cast<uint64_t>(id))) {}

  // Learns the current version of every owned stream (recovery may have kept appends
  // whose acknowledgement never reached the parent).
  void LoadVersions() {
    for (size_t org = 0; org < kOrgCount; ++org) {
      for (int i = 0; i < kStreamsPerOrgPerWorker; ++i) {
        std::string s = OwnedStream(org, id_, i);
        auto info = engine_->Info(s);
        if (!info.ok()) Die("info " + s + ": " + info.status().ToString());
        versions_[s] = info->version;
      }
    }
  }

  [[noreturn]] void Run() {
    uint64_t burst_left = NextBurst();
    for (;;) {
      if (bursty_ && burst_left-- == 0) {
        // Idle for a while, so that some kills find the engine with nothing in flight.
        std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng_.Uniform(40)));
        burst_left = NextBurst();
      }
      auto call = std::make_unique<Call>();
      AppendRequest req;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return in_flight_ < kWindow; });
        while (!Build(&req, call.get())) {
          uint64_t seen = completed_;
          cv_.wait(lock, [&] { return completed_ != seen; });
        }
        ++in_flight_;
      }
      Call* c = call.release();
      engine_->Append(std::move(req), [this, c](Result<AppendResult> r) {
        std::unique_ptr<Call> owned(c);
        Done(*owned, std::move(r));
      });
    }
  }

 private:
  // One append in flight: what the worker expects back.
  struct Call {
    std::string tag;
    std::vector<StreamRange> expect;  // per clause with events, in request order
    std::vector<std::string> owned;   // owned streams it holds busy
  };

  uint64_t NextBurst() { return 1 + rng_.Uniform(200); }

  std::vector<std::string> FreeStreams(size_t org) {
    std::vector<std::string> out;
    for (int i = 0; i < kStreamsPerOrgPerWorker; ++i) {
      std::string s = OwnedStream(org, id_, i);
      if (!busy_.count(s)) out.push_back(std::move(s));
    }
    return out;
  }

  void AddClause(AppendRequest* req, Call* call, const std::string& stream, Expected expected,
                 uint64_t version, uint64_t events) {
    AppendClause c;
    c.stream = stream;
    c.expected = expected;
    for (uint64_t v = version + 1; v <= version + events; ++v) {
      c.events.push_back(
          ProposedEvent{EventType(v), Payload(stream, v), {}, std::nullopt, std::nullopt});
    }
    if (events > 0) call->expect.push_back({stream, version + 1, version + events});
    req->clauses.push_back(std::move(c));
  }

  void AddOwned(AppendRequest* req, Call* call, const std::string& s, bool exact, uint64_t events) {
    uint64_t v = versions_[s];
    AddClause(req, call, s, exact ? Expected::Exact(v) : Expected::Any(), v, events);
    busy_.insert(s);
    call->owned.push_back(s);
  }

  // Builds the next request (under mu_); false when every candidate stream is busy.
  bool Build(AppendRequest* req, Call* call) {
    *req = AppendRequest();
    *call = Call();
    const size_t org = rng_.Uniform(kOrgCount);
    const uint64_t kind = rng_.Uniform(100);
    std::vector<std::string> free = FreeStreams(org);
    if (kind < 15) {
      // NONE on a stream nobody has written.
      AddClause(req, call, FreshStream(org, cycle_seed_, id_, fresh_++), Expected::NoStream(), 0,
                1 + rng_.Uniform(3));
    } else if (kind < 70 || free.size() < 2) {
      if (free.empty()) return false;
      const std::string& s = free[rng_.Uniform(free.size())];
      AddOwned(req, call, s, /*exact=*/kind >= 25, 1 + rng_.Uniform(4));
    } else {
      // A transaction over 2-3 owned streams of one org, sometimes with a fresh stream
      // and a pure condition.
      req->transaction = true;
      for (size_t i = free.size(); i > 1; --i) std::swap(free[i - 1], free[rng_.Uniform(i)]);
      size_t n = std::min<size_t>(free.size(), 2 + rng_.Uniform(2));
      for (size_t i = 0; i < n; ++i) {
        AddOwned(req, call, free[i], /*exact=*/rng_.Uniform(4) != 0, 1 + rng_.Uniform(3));
      }
      if (rng_.Uniform(3) == 0) {
        AddClause(req, call, FreshStream(org, cycle_seed_, id_, fresh_++), Expected::NoStream(), 0,
                  1 + rng_.Uniform(2));
      }
      if (n < free.size() && rng_.Uniform(5) == 0) {
        AddOwned(req, call, free[n], /*exact=*/true, 0);  // a pure condition
      }
    }
    char tag[64];
    std::snprintf(tag, sizeof(tag), "%016llx.%d.%llu", static_cast<unsigned long long>(cycle_seed_),
                  id_, static_cast<unsigned long long>(appends_++));
    call->tag = tag;
    uint64_t total = 0;
    for (const AppendClause& c : req->clauses) total += c.events.size();
    std::string meta = Metadata(call->tag, total);
    for (AppendClause& c : req->clauses) {
      for (ProposedEvent& e : c.events) e.metadata = meta;
    }
    return true;
  }

  // Runs on a shard thread.
  void Done(const Call& call, Result<AppendResult> r) {
    if (!r.ok()) Die("append " + call.tag + " refused: " + r.status().ToString());
    if (r->streams != call.expect || r->duplicate) {
      Die("append " + call.tag + " got unexpected versions: " + FormatAck(call.tag, *r));
    }
    WriteLine(FormatAck(call.tag, *r));
    std::lock_guard lock(mu_);
    for (const StreamRange& sr : r->streams) {
      auto it = versions_.find(sr.stream);
      if (it != versions_.end()) it->second = sr.last_version;
    }
    for (const std::string& s : call.owned) busy_.erase(s);
    --in_flight_;
    ++completed_;
    cv_.notify_all();
  }

  Engine* const engine_;
  const int id_;
  const uint64_t cycle_seed_;
  const bool bursty_;
  SeededRandom rng_;  // worker thread only
  uint64_t appends_ = 0;
  uint64_t fresh_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, uint64_t> versions_;  // guarded by mu_
  std::unordered_set<std::string> busy_;                // guarded by mu_
  int in_flight_ = 0;                                   // guarded by mu_
  uint64_t completed_ = 0;                              // guarded by mu_
};

// For the test "an index flush persists the metadata mark it waited for": one shard, a budget
// whose memtables the workload never fills (so only the flush the shard asks for persists the
// index), 5,000 streams appended to twice in 10 transactions (their heads ahead of their
// entries), then the flush's time comes: the shard takes a mark, then flushes. Once the flush
// is installed, a few single appends follow; then the child reports "R" and
// waits to be killed. With the mark persisted by the flush, recovery rewrites nothing and
// replays the single appends; had the flush come before the mark, the flushed index would
// hold only the mark taken at open, and recovery would rewrite the 10 transactions' records.
[[noreturn]] void MarkThenFlush(const std::string& dir) {
  testing::ManualClockEnv env(1'800'000'000'000);
  EngineOptions o;
  o.data_dir = dir;
  o.shards = 1;
  o.memory_budget_bytes = 256ull << 20;
  o.env = &env;
  auto engine = Engine::Open(o);
  if (!engine.ok()) Die("open: " + engine.status().ToString());
  Engine* e = engine->get();
  for (uint64_t version = 0; version < 2; ++version) {
    for (int b = 0; b < kMarkStreams; b += 1000) {
      AppendRequest t;
      t.transaction = true;
      for (int i = b; i < b + 1000; ++i) {
        t.clauses.push_back({MarkStream(i),
                             version == 0 ? Expected::NoStream() : Expected::Exact(version),
                             {{"Ev", "x", "", std::nullopt, std::nullopt}}});
      }
      auto r = e->AppendSync(t);
      if (!r.ok()) Die("append: " + r.status().ToString());
    }
  }
  // Past the flush interval: the idle shard's next loop turn takes the mark, then flushes.
  env.manual().Advance(11'000);
  // Well within the parent's wait for "R" (60 s from the start), so that this message is seen.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // A table file counts once the flush is installed (the index's current version holds it).
  while (e->Stats().shards[0].table_reader_bytes == 0) {
    if (std::chrono::steady_clock::now() > deadline) Die("the index was never flushed");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Past the flushed index: replayed after the kill.
  for (uint64_t v = 0; v < kMarkSingles; ++v) {
    auto r = e->AppendSync(
        {false,
         "",
         {{"acme/single/0", Expected::Exact(v), {{"Ev", "y", "", std::nullopt, std::nullopt}}}}});
    if (!r.ok()) Die("append: " + r.status().ToString());
  }
  WriteLine("R\n");
  std::this_thread::sleep_for(std::chrono::seconds(kMaxRunSeconds));
  Die("not killed after " + std::to_string(kMaxRunSeconds) + " s");
}

int Main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[2]) == "mark") {
    g_pipe = std::atoi(argv[3]);
    MarkThenFlush(argv[1]);
  }
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_child <data_dir> <cycle_seed> <pipe_fd>\n");
    return 1;
  }
  const std::string dir = argv[1];
  const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  g_pipe = std::atoi(argv[3]);
  auto engine = Engine::Open(Options(dir));
  if (!engine.ok()) Die("open: " + engine.status().ToString());
  const bool bursty = Mix(seed) % 4 == 0;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(std::make_unique<Worker>(engine->get(), w, seed, bursty));
    workers.back()->LoadVersions();
  }
  WriteLine("R\n");
  for (auto& w : workers) std::thread([&w] { w->Run(); }).detach();
  std::this_thread::sleep_for(std::chrono::seconds(kMaxRunSeconds));
  Die("not killed after " + std::to_string(kMaxRunSeconds) + " s");
}

}  // namespace
}  // namespace cairn::crash

int main(int argc, char** argv) { return cairn::crash::Main(argc, argv); }
