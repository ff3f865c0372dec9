// Crash test with real SIGKILLs. Each cycle spawns crash_child (fork + exec: this process
// has RocksDB threads, so the child must not run on a plain fork of it), lets it append
// concurrently for a random moment, kills it, then opens the engine on the same directory
// and checks what survived against what the child reported as acknowledged:
//   - every acknowledged append is there, with the versions and positions it was given,
//     and every event's content is the one its (stream, version) determines;
//   - every append, acknowledged or not, is entirely there or entirely absent (one
//     contiguous run of positions; an unacknowledged one may have been durable before
//     its acknowledgement reached the pipe);
//   - positions are gap-free per shard and versions gap-free per stream; stream reads
//     agree with the shard scan;
//   - no event checked in an earlier cycle changed (its chain hash is kept), and
//     Engine::Verify checks every record, payload hash and chain link of each shard.
// The data accumulates across cycles. CAIRN_CRASH_CYCLES sets the cycle count (default
// 100), CAIRN_SEED replays a run's choices (kill times, workload; not thread timing).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/random.h"
#include "cairn/engine.h"
#include "crash_workload.h"
#include "testing/temp_dir.h"

#ifndef CRASH_CHILD
#error "CRASH_CHILD must name the crash_child executable"
#endif

namespace cairn::crash {
namespace {

using Clock = std::chrono::steady_clock;
using Hash = std::array<uint8_t, 32>;

constexpr uint32_t kPage = 2000;           // events per scan or read call
constexpr uint64_t kRecheckWindow = 64;    // old positions re-read per shard per cycle
constexpr uint32_t kFullVerifyEvery = 10;  // cycles between Verify runs over whole shards
constexpr auto kReadyTimeout = std::chrono::seconds(60);

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 0) : fallback;
}

// What one child run reported.
struct ChildRun {
  bool ready = false;
  std::vector<Ack> acks;
  std::string error;  // empty when the child ran until killed and reported sanely
};

void ParseLines(std::string* buf, ChildRun* run) {
  size_t start = 0;
  for (size_t nl; (nl = buf->find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string line = buf->substr(start, nl - start);
    if (line == "R") {
      run->ready = true;
    } else if (line.rfind("E ", 0) == 0) {
      run->error = "child reported: " + line.substr(2);
    } else if (auto a = ParseAck(line)) {
      run->acks.push_back(std::move(*a));
    } else {
      run->error = "child sent a bad line: " + line;
    }
  }
  buf->erase(0, start);
}

// Reads the child's reports until `deadline`, EOF (returns false) or, with `until_ready`,
// the child's "R".
bool Pump(int fd, Clock::time_point deadline, std::string* buf, ChildRun* run,
          bool until_ready = false) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() < 0) return true;
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    char tmp[65536];
    ssize_t got = ::read(fd, tmp, sizeof(tmp));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buf->append(tmp, static_cast<size_t>(got));
    ParseLines(buf, run);
    if (until_ready && run->ready) return true;
  }
}

// Spawns the child with `mode` (a cycle seed, or "mark"), kills it `delay` after it reports
// the engine open (or after its start, when `early`) and collects its reports.
ChildRun RunChild(const std::string& dir, std::string mode, bool early, Clock::duration delay) {
  ChildRun run;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    run.error = "pipe2 failed";
    return run;
  }
  std::string path = CRASH_CHILD, fd = std::to_string(fds[1]);
  std::vector<char*> argv{path.data(), const_cast<char*>(dir.c_str()), mode.data(), fd.data(),
                          nullptr};
  const auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::fcntl(fds[1], F_SETFD, 0);  // the write end survives exec
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    run.error = "fork failed";
    return run;
  }
  std::string buf;
  bool open = true;
  if (early) {
    open = Pump(fds[0], start + delay, &buf, &run);
  } else {
    open = Pump(fds[0], start + kReadyTimeout, &buf, &run, /*until_ready=*/true);
    if (!run.ready && run.error.empty()) run.error = "child never opened the engine";
    if (open && run.error.empty()) open = Pump(fds[0], Clock::now() + delay, &buf, &run);
  }
  ::kill(pid, SIGKILL);
  while (open) open = Pump(fds[0], Clock::now() + std::chrono::seconds(10), &buf, &run);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!buf.empty() && run.error.empty()) run.error = "child left a partial line: " + buf;
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) && run.error.empty()) {
    run.error = WIFEXITED(status)
                    ? "child exited with status " + std::to_string(WEXITSTATUS(status))
                    : "child died of signal " + std::to_string(WTERMSIG(status));
  }
  return run;
}

// One append as found in the store: a contiguous run of positions sharing a tag.
struct Group {
  uint32_t shard = 0;
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t count = 0;
  uint64_t declared = 0;
  std::vector<StreamRange> streams;
};

// What the parent knows to be in the store, built from earlier checks.
class Model {
 public:
  // Checks the reopened engine against the model and the child's acks, then extends the
  // model with what this cycle added. Failures are reported through gtest.
  // `full_verify`: Verify whole shards (else from the last checked position on; the chain
  // hash kept for it covers everything before). `full_recheck`: re-read every old event
  // (else a random window and the last one).
  void Check(Engine* engine, const std::vector<Ack>& acks, bool full_verify, bool full_recheck,
             SeededRandom* rng);

  uint64_t events() const { return shards_[0].end + shards_[1].end; }

 private:
  struct ShardModel {
    uint64_t end = 0;          // positions 1..end are checked
    std::vector<Hash> hashes;  // hashes[p - 1]: chain hash of position p
  };

  std::vector<RecordedEvent> ScanRange(Engine* engine, uint32_t shard, uint64_t from, uint64_t to);
  void RecheckOld(Engine* engine, uint32_t shard, bool full, SeededRandom* rng);
  void VerifyShard(Engine* engine, uint32_t shard, uint64_t from, uint64_t end, const Hash& head);
  void CheckNewEvents(Engine* engine, const std::vector<RecordedEvent>& events,
                      std::map<std::string, Group>* groups,
                      std::map<std::string, std::vector<const RecordedEvent*>>* by_stream);
  void CheckStreamReads(Engine* engine,
                        const std::map<std::string, std::vector<const RecordedEvent*>>& by_stream);

  ShardModel shards_[kShards];
  std::unordered_map<std::string, uint64_t> versions_;
};

std::vector<RecordedEvent> Model::ScanRange(Engine* engine, uint32_t shard, uint64_t from,
                                            uint64_t to) {
  std::vector<RecordedEvent> out;
  uint64_t next = from;
  while (next <= to) {
    ScanRequest req;
    req.scope = "#" + std::to_string(shard);
    req.from = next;
    req.count = static_cast<uint32_t>(std::min<uint64_t>(kPage, to - next + 1));
    auto r = engine->Scan(req);
    if (!r.ok()) {
      ADD_FAILURE() << "scan #" << shard << " from " << next << ": " << r.status().ToString();
      return out;
    }
    if (r->events.empty()) {
      ADD_FAILURE() << "shard " << shard << ": positions " << next << ".." << to << " are missing";
      return out;
    }
    for (RecordedEvent& e : r->events) {
      if (e.position > to) break;
      if (e.position != next || e.shard != shard) {
        ADD_FAILURE() << "shard " << shard << ": expected position " << next << ", found "
                      << e.position << " (shard " << e.shard << ")";
        return out;
      }
      ++next;
      out.push_back(std::move(e));
    }
  }
  return out;
}

void Model::RecheckOld(Engine* engine, uint32_t shard, bool full, SeededRandom* rng) {
  ShardModel& m = shards_[shard];
  if (m.end == 0) return;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  if (full) {
    ranges.push_back({1, m.end});
  } else {
    uint64_t from = 1 + rng->Uniform(m.end);
    ranges.push_back({from, std::min(m.end, from + kRecheckWindow - 1)});
    ranges.push_back({m.end, m.end});
  }
  for (auto [from, to] : ranges) {
    for (const RecordedEvent& e : ScanRange(engine, shard, from, to)) {
      if (e.hash != m.hashes[e.position - 1]) {
        ADD_FAILURE() << "shard " << shard << " position " << e.position
                      << ": the event changed since an earlier cycle";
        return;
      }
    }
  }
}

void Model::VerifyShard(Engine* engine, uint32_t shard, uint64_t from, uint64_t end,
                        const Hash& head) {
  auto v = engine->Verify({shard, from, UINT64_MAX});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->ok) << "shard " << shard << ": " << v->detail << " (first bad position "
                     << v->first_bad_position.value_or(0) << ")";
  EXPECT_EQ(v->checked, end >= from ? end - from + 1 : 0) << "shard " << shard;
  if (end >= from) {
    EXPECT_EQ(v->head_hash, head) << "shard " << shard << ": chain head";
  }
}

void Model::CheckNewEvents(Engine* engine, const std::vector<RecordedEvent>& events,
                           std::map<std::string, Group>* groups,
                           std::map<std::string, std::vector<const RecordedEvent*>>* by_stream) {
  for (const RecordedEvent& e : events) {
    const std::string where = "shard " + std::to_string(e.shard) + " position " +
                              std::to_string(e.position) + " (" + e.stream + "@" +
                              std::to_string(e.version) + ")";
    if (engine->ShardOf(e.stream) != e.shard) ADD_FAILURE() << where << ": wrong shard";
    uint64_t& version = versions_[e.stream];
    if (e.version != version + 1) {
      ADD_FAILURE() << where << ": version gap, the stream was at " << version;
    }
    version = e.version;
    if (e.data != Payload(e.stream, e.version) || e.type != EventType(e.version)) {
      ADD_FAILURE() << where << ": wrong content";
    }
    std::string tag;
    uint64_t declared = 0;
    if (!ParseMetadata(e.metadata, &tag, &declared)) {
      ADD_FAILURE() << where << ": bad metadata " << e.metadata;
      continue;
    }
    auto [it, inserted] = groups->try_emplace(tag);
    Group& g = it->second;
    if (inserted) {
      g.shard = e.shard;
      g.first = e.position;
      g.declared = declared;
    } else if (g.shard != e.shard || e.position != g.last + 1 || g.declared != declared) {
      ADD_FAILURE() << where << ": append " << tag << " is not one contiguous run";
    }
    g.last = e.position;
    ++g.count;
    if (g.streams.empty() || g.streams.back().stream != e.stream) {
      g.streams.push_back({e.stream, e.version, e.version});
    } else {
      g.streams.back().last_version = e.version;
    }
    (*by_stream)[e.stream].push_back(&e);
  }
  for (const auto& [tag, g] : *groups) {
    if (g.count != g.declared) {
      ADD_FAILURE() << "append " << tag << " is partly visible: " << g.count << " of " << g.declared
                    << " events, shard " << g.shard << " positions " << g.first << ".." << g.last;
    }
  }
}

void Model::CheckStreamReads(
    Engine* engine, const std::map<std::string, std::vector<const RecordedEvent*>>& by_stream) {
  for (const auto& [stream, events] : by_stream) {
    ReadRequest req;
    req.stream = stream;
    req.from = events.front()->version;
    req.count = kPage;
    size_t i = 0;
    for (;;) {
      auto r = engine->Read(req);
      if (!r.ok()) {
        ADD_FAILURE() << "read " << stream << ": " << r.status().ToString();
        return;
      }
      if (r->version != versions_[stream]) {
        ADD_FAILURE() << stream << ": read says version " << r->version << ", scan says "
                      << versions_[stream];
      }
      for (const RecordedEvent& e : r->events) {
        if (i >= events.size() || !(e == *events[i])) {
          ADD_FAILURE() << stream << "@" << e.version << ": read disagrees with the scan";
          return;
        }
        ++i;
      }
      if (!r->next) break;
      req.from = r->next;
    }
    if (i != events.size()) {
      ADD_FAILURE() << stream << ": read returned " << i << " new events, scan " << events.size();
    }
  }
  // Streams this cycle did not touch keep their versions.
  for (int w = 0; w < kWorkers; ++w) {
    for (size_t org = 0; org < kOrgCount; ++org) {
      for (int i = 0; i < kStreamsPerOrgPerWorker; ++i) {
        std::string s = OwnedStream(org, w, i);
        auto info = engine->Info(s);
        ASSERT_TRUE(info.ok()) << info.status().ToString();
        auto it = versions_.find(s);
        EXPECT_EQ(info->version, it == versions_.end() ? 0 : it->second) << s;
      }
    }
  }
}

void Model::Check(Engine* engine, const std::vector<Ack>& acks, bool full_verify, bool full_recheck,
                  SeededRandom* rng) {
  std::vector<RecordedEvent> fresh;
  uint64_t ends[kShards];
  for (uint32_t s = 0; s < kShards; ++s) {
    ShardModel& m = shards_[s];
    const uint64_t end = engine->Stats().shards[s].next_position - 1;
    ends[s] = end;
    ASSERT_GE(end, m.end) << "shard " << s << " lost checked positions";
    RecheckOld(engine, s, full_recheck, rng);
    std::vector<RecordedEvent> added = ScanRange(engine, s, m.end + 1, end);
    ASSERT_EQ(added.size(), end - m.end) << "shard " << s;
    Hash head = added.empty() ? (m.end > 0 ? m.hashes[m.end - 1] : Hash{}) : added.back().hash;
    VerifyShard(engine, s, full_verify ? 1 : std::max<uint64_t>(m.end, 1), end, head);
    for (RecordedEvent& e : added) fresh.push_back(std::move(e));
  }
  std::map<std::string, Group> groups;
  std::map<std::string, std::vector<const RecordedEvent*>> by_stream;
  CheckNewEvents(engine, fresh, &groups, &by_stream);
  for (const Ack& a : acks) {
    auto it = groups.find(a.tag);
    if (it == groups.end()) {
      ADD_FAILURE() << "acknowledged append " << a.tag << " is lost (shard " << a.result.shard
                    << " positions " << a.result.first_position << ".." << a.result.last_position
                    << ")";
      continue;
    }
    const Group& g = it->second;
    EXPECT_TRUE(g.shard == a.result.shard && g.first == a.result.first_position &&
                g.last == a.result.last_position && g.streams == a.result.streams)
        << "acknowledged append " << a.tag << " differs: acknowledged "
        << FormatAck(a.tag, a.result) << "found shard " << g.shard << " positions " << g.first
        << ".." << g.last;
  }
  CheckStreamReads(engine, by_stream);
  for (uint32_t s = 0; s < kShards; ++s) shards_[s].end = ends[s];
  for (const RecordedEvent& e : fresh) shards_[e.shard].hashes.push_back(e.hash);
}

// An index flush persists the metadata mark it waited for: killed after a flush that
// followed a mark, the shard rewrites no entry from the records before the flush, and the
// marked entries are current (crash_child's "mark" mode says what it does).
TEST(CrashTest, AnIndexFlushPersistsTheMarkTakenBeforeIt) {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("data");
  ChildRun run = RunChild(dir, "mark", /*early=*/false, Clock::duration::zero());
  ASSERT_TRUE(run.ready && run.error.empty()) << run.error;
  EngineOptions o;
  o.data_dir = dir;
  o.shards = 1;
  auto engine = Engine::Open(o);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Engine* e = engine->get();
  const EngineStats st = e->Stats();
  EXPECT_EQ(st.recovery_meta_records, 0u) << "the flushed index holds the mark taken before it";
  EXPECT_EQ(st.recovery_replayed_events, kMarkSingles) << "the appends after the flush";
  for (int i : {0, 511, 512, 2500, kMarkStreams - 1}) {
    auto info = e->Info(MarkStream(i));
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->version, 2u) << i;
  }
  auto single = e->Info("acme/single/0");
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(single->version, kMarkSingles);
  // Stream info follows a lagging entry's runs; the heads read the entries as they are, so
  // appends expecting the exact versions check every entry the mark wrote.
  for (int b = 0; b < kMarkStreams; b += 1000) {
    AppendRequest t;
    t.transaction = true;
    for (int i = b; i < b + 1000; ++i) {
      t.clauses.push_back(
          {MarkStream(i), Expected::Exact(2), {{"Ev", "z", "", std::nullopt, std::nullopt}}});
    }
    auto r = e->AppendSync(t);
    ASSERT_TRUE(r.ok()) << b << ": " << r.status().ToString();
  }
}

TEST(CrashTest, SigkillDuringConcurrentAppends) {
  const uint64_t cycles = EnvU64("CAIRN_CRASH_CYCLES", 100);
  const uint64_t seed =
      EnvU64("CAIRN_SEED", std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32));
  std::printf("crash_test: seed %llu, %llu cycles (CAIRN_SEED=%llu replays)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(cycles),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("data");
  SeededRandom rng(seed);
  Model model;
  {
    auto engine = Engine::Open(Options(dir));
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    std::set<uint32_t> used;
    for (const char* org : kOrgs) used.insert((*engine)->ShardOf(std::string(org) + "/a/b"));
    ASSERT_EQ(used.size(), kShards) << "the workload's orgs must cover every shard";
  }
  const auto t0 = Clock::now();
  uint64_t acks = 0;
  uint64_t meta_records = 0;   // records whose metadata entries a reopen rewrote
  Clock::duration phase[4]{};  // child run, reopen, checks, close
  for (uint64_t cycle = 1; cycle <= cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle) + ", CAIRN_SEED=" + std::to_string(seed) +
                 ", data " + dir);
    const uint64_t cycle_seed = rng.Next64();
    auto t = Clock::now();
    // Most kills come 0-150 ms after the engine is open (appends in flight, or a bursty child
    // idle); one in eight comes 0-50 ms after the start, usually during the child's recovery.
    const bool early = rng.Uniform(8) == 0;
    const auto delay = std::chrono::milliseconds(rng.Uniform(early ? 51 : 151));
    ChildRun run = RunChild(dir, std::to_string(cycle_seed), early, delay);
    ASSERT_TRUE(run.error.empty()) << run.error;
    acks += run.acks.size();
    phase[0] += Clock::now() - t;
    t = Clock::now();
    auto engine = Engine::Open(Options(dir));
    ASSERT_TRUE(engine.ok()) << "reopen after kill: " << engine.status().ToString();
    meta_records += (*engine)->Stats().recovery_meta_records;
    phase[1] += Clock::now() - t;
    t = Clock::now();
    const bool last = cycle == cycles;
    model.Check(engine->get(), run.acks, last || cycle % kFullVerifyEvery == 0, last, &rng);
    phase[2] += Clock::now() - t;
    t = Clock::now();
    engine->reset();
    phase[3] += Clock::now() - t;
    if (::testing::Test::HasFailure()) {
      std::printf(
          "crash_test: failed in cycle %llu; rerun with CAIRN_SEED=%llu "
          "(CAIRN_KEEP_TEST_DIRS=1 keeps %s)\n",
          static_cast<unsigned long long>(cycle), static_cast<unsigned long long>(seed),
          dir.c_str());
      return;
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  auto ms = [&](int i) {
    return static_cast<long long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(phase[i]).count());
  };
  std::printf(
      "crash_test: %llu cycles, %llu acknowledged appends, %llu events, %.1f s "
      "(child %lld ms, reopen %lld ms, checks %lld ms, close %lld ms); stream metadata of "
      "%llu records rewritten by reopens\n",
      static_cast<unsigned long long>(cycles), static_cast<unsigned long long>(acks),
      static_cast<unsigned long long>(model.events()), secs, ms(0), ms(1), ms(2), ms(3),
      static_cast<unsigned long long>(meta_records));
}

}  // namespace
}  // namespace cairn::crash
