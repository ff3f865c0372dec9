// Disk faults through the I/O seam, and damage on disk: every fault is detected, nothing is
// acknowledged after it, and recovery (or verify) does the right thing.

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cairn/engine.h"
#include "io/fault_env.h"
#include "testing/manual_clock_env.h"
#include "testing/temp_dir.h"

namespace cairn {
namespace {

std::string Payload(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "payload-%06d", i);
  return std::string(buf) + std::string(40, 'x');
}

AppendRequest OneEvent(const std::string& stream, int i) {
  AppendRequest r;
  r.clauses.push_back(
      {stream, Expected::Any(), {{"Ev", Payload(i), "", std::nullopt, std::nullopt}}});
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void WriteFileAt(const std::string& path, uint64_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> Segments(const std::string& data_dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(data_dir + "/shard-000/log")) {
    if (e.path().extension() == ".log") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class FaultTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> Open(Env* env) {
    EngineOptions o;
    o.data_dir = dir_.Sub("data");
    o.shards = 1;
    o.segment_size_bytes = 1u << 20;
    o.memory_budget_bytes = 64ull << 20;
    o.env = env;
    auto e = Engine::Open(o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }
  // Appends events i in [from, to) to a few streams; returns their results.
  std::map<int, AppendResult> AppendRange(Engine* e, int from, int to) {
    std::map<int, AppendResult> acked;
    for (int i = from; i < to; ++i) {
      auto r = e->AppendSync(OneEvent("acme/s/" + std::to_string(i % 3), i));
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok()) acked[i] = *r;
    }
    return acked;
  }
  // Every event of the shard in position order.
  std::vector<RecordedEvent> ScanAll(Engine* e) {
    std::vector<RecordedEvent> all;
    ScanRequest s;
    s.scope = "#0";
    s.count = 1000;
    for (;;) {
      auto r = e->Scan(s);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok() || r->events.empty()) break;
      all.insert(all.end(), r->events.begin(), r->events.end());
      s.from = *r->next;
    }
    return all;
  }

  testing::TempDir dir_;
};

enum class Fault { kWriteEio, kWriteEnospc, kSyncEio, kShortWrite, kTorn100, kTorn5000 };

class DiskFaultTest : public FaultTest, public ::testing::WithParamInterface<Fault> {};

TEST_P(DiskFaultTest, DetectedNeverAcknowledgedAndRecovered) {
  const Fault fault = GetParam();
  FaultInjectionEnv env(Env::Default());
  auto e = Open(&env);
  ASSERT_NE(e, nullptr);
  std::map<int, AppendResult> acked = AppendRange(e.get(), 0, 20);
  ASSERT_EQ(acked.size(), 20u);
  FaultPlan& p = env.plan();
  switch (fault) {
    case Fault::kWriteEio:
      p.write_errno = EIO;
      break;
    case Fault::kWriteEnospc:
      p.write_errno = ENOSPC;
      break;
    case Fault::kSyncEio:
      p.sync_errno = EIO;
      break;
    case Fault::kShortWrite:
      p.short_write = true;
      break;
    case Fault::kTorn100:
      p.torn_write_bytes = 100;
      break;
    case Fault::kTorn5000:
      p.torn_write_bytes = 5000;
      break;
  }
  // The failing append: 3 events so that "partly there" would be visible, large enough (a
  // write of three blocks) that a short write (its first block) and the 5,000-byte torn write
  // keep part of it only. (The 100-byte tear keeps only bytes already there: the write starts
  // with the partial block of the records before it.)
  auto big = [](int i) { return Payload(i) + std::string(3000, 'y'); };
  AppendRequest failing;
  failing.clauses.push_back({"acme/f/1",
                             Expected::Any(),
                             {{"Ev", big(100), "", std::nullopt, std::nullopt},
                              {"Ev", big(101), "", std::nullopt, std::nullopt},
                              {"Ev", big(102), "", std::nullopt, std::nullopt}}});
  auto f = e->AppendSync(failing);
  ASSERT_FALSE(f.ok());
  // Nothing is acknowledged after the fault: the shard stops accepting writes.
  for (int i = 0; i < 5; ++i) {
    auto later = e->AppendSync(OneEvent("acme/s/0", 200 + i));
    ASSERT_FALSE(later.ok());
    EXPECT_EQ(later.status().code(), StatusCode::kUnavailable) << later.status().ToString();
  }
  EXPECT_EQ(e->DeleteSync({"acme/s/1", Expected::Any(), false}).status().code(),
            StatusCode::kUnavailable);
  EXPECT_TRUE(e->Stats().shards[0].failed);
  // Reads show exactly what was acknowledged.
  if (!p.dead) {
    EXPECT_EQ(ScanAll(e.get()).size(), 20u);
  }
  e.reset();
  // What the fault left on disk: part or all of the failing append for a failed sync, a short
  // write and the 5,000-byte tear, nothing of it otherwise.
  const bool left =
      fault == Fault::kSyncEio || fault == Fault::kShortWrite || fault == Fault::kTorn5000;
  const std::string seg = Segments(dir_.Sub("data")).back();
  EXPECT_EQ(ReadFile(seg).find(Payload(100)) != std::string::npos, left);

  // Restart on a healthy disk.
  p.dead = false;
  e = Open(nullptr);
  ASSERT_NE(e, nullptr);
  std::vector<RecordedEvent> all = ScanAll(e.get());
  // Every acknowledged event is there, unchanged.
  ASSERT_GE(all.size(), 20u);
  for (const auto& [i, r] : acked) {
    const RecordedEvent& ev = all[r.first_position - 1];
    EXPECT_EQ(ev.position, r.first_position);
    EXPECT_EQ(ev.data, Payload(i));
    EXPECT_EQ(ev.version, r.streams[0].first_version);
  }
  // The failed append is entirely absent, or (its bytes reached the disk before the sync
  // failed) entirely present; never in part. Nothing after it exists.
  if (fault == Fault::kSyncEio) {
    ASSERT_EQ(all.size(), 23u) << "the whole write reached the disk, only its sync failed";
    for (int k = 0; k < 3; ++k) EXPECT_EQ(all[20 + k].data, big(100 + k));
  } else {
    EXPECT_EQ(all.size(), 20u);
    EXPECT_EQ(ReadFile(seg).find(Payload(100)), std::string::npos) << "the torn write was cut";
  }
  auto v = e->Verify({0, 1, UINT64_MAX});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->detail;
  EXPECT_EQ(v->checked, all.size());
  // Writes work again and positions continue without a gap.
  auto next = e->AppendSync(OneEvent("acme/s/0", 300));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->first_position, all.size() + 1);
}

INSTANTIATE_TEST_SUITE_P(Faults, DiskFaultTest,
                         ::testing::Values(Fault::kWriteEio, Fault::kWriteEnospc, Fault::kSyncEio,
                                           Fault::kShortWrite, Fault::kTorn100, Fault::kTorn5000));

// Waits up to 10 s for `done`; false if it never held.
template <typename F>
bool WaitFor(F done) {
  for (int i = 0; i < 10000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

// A group commit's index write fails while the next batch's log write is in flight (the
// shard submits it before indexing the batch that just became durable). Both batches' appends
// fail, and the batch in flight keeps its buffer until its write completes: the fault disk
// holds that write and reads its buffer only when it starts it, as the kernel reads it while
// the write runs, so a buffer freed at the failure is a use after free (reported under
// AddressSanitizer; otherwise the write persists whatever the freed memory then holds, which
// the checks after restart catch when it differs). Both batches are durable and unacknowledged;
// recovery indexes them.
TEST_F(FaultTest, IndexWriteFailsWhileTheNextLogWriteIsInFlight) {
  // Declared before the engine, which may still call `done` while it closes.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Status> results;
  auto done = [&](Result<AppendResult> r) {
    std::lock_guard<std::mutex> lock(mu);
    results.push_back(r.status());
    cv.notify_all();
  };
  FaultInjectionEnv env(Env::Default());
  FaultPlan& p = env.plan();
  auto e = Open(&env);
  ASSERT_NE(e, nullptr);
  // Whatever fails below, held writes start before the engine closes (it waits for them).
  struct ReleaseHeld {
    FaultPlan& p;
    ~ReleaseHeld() { p.writes_allowed = -1; }
  } release{p};
  ASSERT_EQ(AppendRange(e.get(), 0, 1).size(), 1u);  // stream acme/s/0's head is now cached
  p.writes_allowed = 0;
  const uint64_t writes = p.log_writes;
  e->Append(OneEvent("acme/s/0", 1), done);  // batch A: submitted, held by the disk
  ASSERT_TRUE(WaitFor([&] { return p.log_writes == writes + 1; }));
  e->Append(OneEvent("acme/s/0", 2), done);  // batch B: gathers behind A
  // Two more polls than when the append was queued: the loop turn before the second began
  // after it, and took it in (the head is cached, so it is encoded at once).
  const uint64_t polls = p.disk_polls;
  ASSERT_TRUE(WaitFor([&] { return p.disk_polls >= polls + 2; }));
  EXPECT_EQ(p.log_writes, writes + 1) << "B waits for A";
  p.index_write_errno = EIO;
  p.writes_allowed = 1;  // A runs; its completion submits B (held), then A's index write fails
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return results.size() == 2; }));
  }
  EXPECT_EQ(p.log_writes, writes + 2) << "B was in flight when A's index write failed";
  for (const Status& st : results) {
    EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
    EXPECT_NE(st.message().find("index write: injected"), std::string::npos) << st.ToString();
  }
  EXPECT_TRUE(e->Stats().shards[0].failed);
  p.writes_allowed = -1;  // B starts now, from its buffer as it is
  e.reset();              // waits for B
  e = Open(nullptr);
  ASSERT_NE(e, nullptr);
  std::vector<RecordedEvent> all = ScanAll(e.get());
  ASSERT_EQ(all.size(), 3u) << "A and B were durable; recovery indexed them";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(all[i].position, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(all[i].version, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(all[i].data, Payload(i));
  }
  auto v = e->Verify({0, 1, UINT64_MAX});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->detail;
}

// Appends leave a stream's metadata entry behind its runs. A fail-stop skips the close that
// brings the entries up to date and marks them, but the index is still closed (RocksDB
// flushes it): its checkpoint is past the last mark (taken at open), with every entry behind.
// The reopened shard rewrites them from the records past the mark.
TEST_F(FaultTest, HeadsAheadOfTheIndexSurviveAFailStop) {
  FaultInjectionEnv env(Env::Default());
  constexpr int kStreams = 500;
  constexpr uint64_t kRounds = 40;
  // One transaction appending an event to every stream, each expecting `version`.
  auto round = [&](uint64_t version) {
    AppendRequest t;
    t.transaction = true;
    for (int i = 0; i < kStreams; ++i) {
      t.clauses.push_back({"acme/h/" + std::to_string(i),
                           version == 0 ? Expected::NoStream() : Expected::Exact(version),
                           {{"Ev", Payload(i), "", std::nullopt, std::nullopt}}});
    }
    return t;
  };
  auto e = Open(&env);
  ASSERT_NE(e, nullptr);
  for (uint64_t v = 0; v < kRounds; ++v) {
    auto r = e->AppendSync(round(v));
    ASSERT_TRUE(r.ok()) << v << ": " << r.status().ToString();
  }
  env.plan().write_errno = EIO;
  ASSERT_FALSE(e->AppendSync(round(kRounds)).ok());
  e.reset();
  e = Open(nullptr);
  ASSERT_NE(e, nullptr);
  const EngineStats st = e->Stats();
  EXPECT_EQ(st.recovery_replayed_events, 0u);
  // One record per round past the last mark (the one taken at open, persisted by the close:
  // the first timed flush, which takes a mark, comes 10 s after the open).
  EXPECT_GE(st.recovery_meta_records, kRounds - 5);
  EXPECT_LE(st.recovery_meta_records, kRounds);
  for (int i : {0, 250, 499}) {
    auto info = e->Info("acme/h/" + std::to_string(i));
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->version, kRounds);
  }
  EXPECT_EQ(e->AppendSync(round(kRounds - 1)).status().code(), StatusCode::kConflict);
  auto r = e->AppendSync(round(kRounds));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->streams[0].first_version, kRounds + 1);
}

// A metadata mark is written a bounded number of entries per loop turn: thousands of heads
// ahead of their entries take several turns, and once the mark is down, a crash rewrites only
// the entries of the records past it.
TEST_F(FaultTest, AMetadataMarkOverSeveralTurnsBoundsWhatRecoveryRewrites) {
  testing::ManualClockEnv clock_env(1'800'000'000'000);
  FaultInjectionEnv env(&clock_env);
  auto e = Open(&env);
  ASSERT_NE(e, nullptr);
  constexpr int kStreams = 5000;  // more than one turn's entries (512)
  auto round = [&](uint64_t version, int streams) {
    for (int b = 0; b < streams; b += 1000) {
      AppendRequest t;
      t.transaction = true;
      for (int i = b; i < b + 1000; ++i) {
        t.clauses.push_back({"acme/m/" + std::to_string(i),
                             version == 0 ? Expected::NoStream() : Expected::Exact(version),
                             {{"Ev", Payload(i), "", std::nullopt, std::nullopt}}});
      }
      auto r = e->AppendSync(t);
      ASSERT_TRUE(r.ok()) << version << ": " << r.status().ToString();
    }
  };
  round(0, kStreams);
  round(1, kStreams);                  // 5,000 heads ahead of their entries (10 records)
  clock_env.manual().Advance(11'000);  // the next loop turns take a mark, then flush the index
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(e->AppendSync(OneEvent("acme/s/0", i)).ok());
  round(2, 3000);  // 3 records past the mark; streams 3000-4999 have none
  env.plan().write_errno = EIO;
  ASSERT_FALSE(e->AppendSync(OneEvent("acme/s/0", 99)).ok());
  e.reset();
  e = Open(nullptr);
  ASSERT_NE(e, nullptr);
  const EngineStats st = e->Stats();
  // Past the mark: the 3 records of the last round and at most the 10 single appends; without
  // the mark, all 23 records since the first.
  EXPECT_GE(st.recovery_meta_records, 3u);
  EXPECT_LE(st.recovery_meta_records, 13u);
  // Streams with no record past the mark have the entries the mark wrote.
  for (int i : {0, 2047, 2048, 2999, 3000, 4999}) {
    auto info = e->Info("acme/m/" + std::to_string(i));
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->version, i < 3000 ? 3u : 2u) << i;
  }
  for (int b = 0; b < kStreams; b += 1000) {  // every head exact
    AppendRequest t;
    t.transaction = true;
    for (int i = b; i < b + 1000; ++i) {
      t.clauses.push_back({"acme/m/" + std::to_string(i),
                           Expected::Exact(i < 3000 ? 3 : 2),
                           {{"Ev", Payload(i), "", std::nullopt, std::nullopt}}});
    }
    auto r = e->AppendSync(t);
    ASSERT_TRUE(r.ok()) << b << ": " << r.status().ToString();
  }
}

// A delete, trim or revival counts its head as current as soon as it is queued, before its
// batch is durable. A metadata mark taken meanwhile must still write the entry of what the
// index holds: if the batch then fails, the reopened shard reads that entry, not the head.
TEST_F(FaultTest, AMarkTakenWhileAStateChangeIsPendingKeepsTheIndexedEntry) {
  for (int kind = 0; kind < 3; ++kind) {
    SCOPED_TRACE(kind == 0 ? "trim" : kind == 1 ? "soft delete" : "revival");
    testing::ManualClockEnv clock_env(1'800'000'000'000);
    FaultInjectionEnv env(&clock_env);
    FaultPlan& p = env.plan();
    struct ReleaseHeld {
      FaultPlan& p;
      ~ReleaseHeld() { p.writes_allowed = -1; }
    } release{p};
    auto e = Open(&env);  // the same directory each time, a stream of its own
    ASSERT_NE(e, nullptr);
    const std::string x = "acme/x/" + std::to_string(kind);
    uint64_t v = 0;
    auto append = [&](Engine* engine) {
      return engine->AppendSync(
          {false,
           "",
           {{x, Expected::Exact(v), {{"Ev", Payload(0), "", std::nullopt, std::nullopt}}}}});
    };
    for (; v < 5; ++v) ASSERT_TRUE(append(e.get()).ok());  // cached: the entry stays at 1
    if (kind == 2) {
      ASSERT_TRUE(e->DeleteSync({x, Expected::Exact(5), false}).ok());
      for (int i = 0; i < 3000; ++i) {  // push x out: its entry (soft-deleted) is written
        ASSERT_TRUE(
            e->AppendSync(OneEvent("acme/fill" + std::to_string(kind) + "/" + std::to_string(i), i))
                .ok());
      }
    }
    p.writes_allowed = 0;
    const uint64_t writes = p.log_writes;
    std::atomic<int> answered{0};
    if (kind == 0) {
      e->Trim({x, 3}, [&](Result<StreamInfo>) { ++answered; });
    } else if (kind == 1) {
      e->Delete({x, Expected::Exact(5), false}, [&](Result<StreamInfo>) { ++answered; });
    } else {
      e->Append({false,
                 "",
                 {{x, Expected::Exact(5), {{"Ev", Payload(1), "", std::nullopt, std::nullopt}}}}},
                [&](Result<AppendResult>) { ++answered; });
    }
    ASSERT_TRUE(WaitFor([&] { return p.log_writes == writes + 1; }));  // held
    clock_env.manual().Advance(11'000);  // the next loop turns take a metadata mark
    const uint64_t polls = p.disk_polls;
    ASSERT_TRUE(WaitFor([&] { return p.disk_polls >= polls + 3; }));
    p.dead = true;
    p.writes_allowed = -1;  // the held write fails: the change never happened
    ASSERT_TRUE(WaitFor([&] { return answered == 1; }));
    e.reset();
    e = Open(nullptr);
    ASSERT_NE(e, nullptr);
    auto info = e->Info(x);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->version, 5u);
    EXPECT_EQ(info->deleted, kind == 2 ? DeletedState::kSoft : DeletedState::kNone);
    v = 5;
    auto r = append(e.get());  // the head agrees with the index
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->streams[0].first_version, 6u);
  }
}

TEST_F(FaultTest, TornTailIsTruncated) {
  auto e = Open(nullptr);
  AppendRange(e.get(), 0, 30);
  e.reset();
  // An incomplete last write: bytes of a record that never finished, after the last record.
  const std::string seg = Segments(dir_.Sub("data")).back();
  const std::string bytes = ReadFile(seg);
  size_t end = bytes.find_last_not_of('\0') + 1;
  end = (end + 7) & ~size_t{7};
  std::string garbage = "\x43\x4e\x52\x43garbage-of-a-torn-record";
  WriteFileAt(seg, end, garbage);
  // Recovery re-reads what the index does not cover: drop the index, so all of it.
  std::filesystem::remove_all(dir_.Sub("data/shard-000/index"));
  e = Open(nullptr);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(ScanAll(e.get()).size(), 30u);
  auto next = e->AppendSync(OneEvent("acme/s/0", 99));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first_position, 31u);
  e.reset();
  EXPECT_EQ(ReadFile(seg).find("garbage-of-a-torn-record"), std::string::npos);
}

TEST_F(FaultTest, TornLastWriteWithALostFirstBlockIsCut) {
  auto e = Open(nullptr);
  AppendRange(e.get(), 0, 30);
  e.reset();
  const std::string seg = Segments(dir_.Sub("data")).back();
  const std::string before = ReadFile(seg);
  const size_t end30 = (before.find_last_not_of('\0') + 1 + 7) & ~size_t{7};
  e = Open(nullptr);
  for (int i = 30; i < 40; ++i) {
    AppendRequest r = OneEvent("acme/s/" + std::to_string(i % 5), i);
    r.clauses[0].events[0].metadata = std::string(1500, 'm');  // records span blocks
    ASSERT_TRUE(e->AppendSync(r).ok());
  }
  e.reset();
  // The device kept later blocks of the last write but not its first one: zeros where
  // that write began, then valid records of the same write.
  const size_t block_end = (end30 / 4096 + 1) * 4096;
  WriteFileAt(seg, end30, std::string(block_end - end30, '\0'));
  std::filesystem::remove_all(dir_.Sub("data/shard-000/index"));
  e = Open(nullptr);
  ASSERT_NE(e, nullptr);
  std::vector<RecordedEvent> all = ScanAll(e.get());
  ASSERT_EQ(all.size(), 30u);
  auto next = e->AppendSync(OneEvent("acme/s/0", 99));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first_position, 31u);
  e.reset();
  EXPECT_EQ(ReadFile(seg).find(Payload(39)), std::string::npos) << "the torn write was cut";
}

TEST_F(FaultTest, ZerosFollowedByRecordsBeyondOneWriteRefuseToOpen) {
  EngineOptions o;
  o.data_dir = dir_.Sub("data");
  o.segment_size_bytes = 64u << 20;
  o.max_batch_bytes = 64u << 10;
  o.limits.max_request_bytes = 64u << 10;
  o.limits.max_events_per_append = 10;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok());
  for (int i = 0; i < 400; ++i) {  // ~400 KiB of records: far more than one write
    AppendRequest r = OneEvent("acme/s/" + std::to_string(i % 5), i);
    r.clauses[0].events[0].metadata = std::string(1000, 'm');
    ASSERT_TRUE((*e)->AppendSync(r).ok());
  }
  e->reset();
  const std::string seg = Segments(dir_.Sub("data")).back();
  const std::string bytes = ReadFile(seg);
  const size_t at = bytes.find(Payload(10));
  ASSERT_NE(at, std::string::npos);
  WriteFileAt(seg, at - 64, std::string(4096, '\0'));  // a zeroed block early in the log
  std::filesystem::remove_all(dir_.Sub("data/shard-000/index"));
  auto bad = Engine::Open(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("followed by a valid record"), std::string::npos)
      << bad.status().message();
}

TEST_F(FaultTest, CorruptionFollowedByGoodRecordsRefusesToOpenNamingSegmentAndOffset) {
  auto e = Open(nullptr);
  AppendRange(e.get(), 0, 30);
  e.reset();
  const std::string seg = Segments(dir_.Sub("data")).back();
  const std::string bytes = ReadFile(seg);
  // Damage event 10's payload: its record fails its CRC; records after it are good.
  const size_t at = bytes.find(Payload(10));
  ASSERT_NE(at, std::string::npos);
  WriteFileAt(seg, at, "P");
  std::filesystem::remove_all(dir_.Sub("data/shard-000/index"));
  EngineOptions o;
  o.data_dir = dir_.Sub("data");
  o.segment_size_bytes = 1u << 20;
  auto bad = Engine::Open(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  const std::string msg = bad.status().message();
  EXPECT_NE(msg.find(std::filesystem::path(seg).filename().string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("offset "), std::string::npos) << msg;
  EXPECT_NE(msg.find("followed by a valid record"), std::string::npos) << msg;
  // The offset named is the damaged record's: at most one record before the payload.
  const size_t off_at = msg.find("offset ") + 7;
  const uint64_t offset = std::stoull(msg.substr(off_at));
  EXPECT_LT(offset, at);
  EXPECT_GT(offset + 300, at);
}

TEST_F(FaultTest, BitFlipInASealedSegmentIsFoundByVerifyAtItsPosition) {
  auto e = Open(nullptr);
  // ~1 KiB per append with 1 MiB segments: several sealed segments.
  std::map<int, AppendResult> acked;
  for (int i = 0; i < 3000; ++i) {
    AppendRequest r = OneEvent("acme/s/" + std::to_string(i % 5), i);
    r.clauses[0].events[0].metadata = std::string(900, 'm');
    auto res = e->AppendSync(r);
    ASSERT_TRUE(res.ok());
    acked[i] = *res;
  }
  e.reset();
  std::vector<std::string> segs = Segments(dir_.Sub("data"));
  ASSERT_GE(segs.size(), 3u);
  // Event 500 lives in the first, sealed segment.
  const std::string bytes = ReadFile(segs.front());
  const size_t at = bytes.find(Payload(500));
  ASSERT_NE(at, std::string::npos);
  std::string flipped(1, static_cast<char>(bytes[at + 3] ^ 0x10));
  WriteFileAt(segs.front(), at + 3, flipped);

  e = Open(nullptr);  // the index covers the damaged record: the open succeeds
  ASSERT_NE(e, nullptr);
  auto v = e->Verify({0, 1, UINT64_MAX});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_FALSE(v->ok);
  ASSERT_TRUE(v->first_bad_position.has_value());
  EXPECT_EQ(*v->first_bad_position, acked[500].first_position);
  EXPECT_NE(v->detail.find(std::filesystem::path(segs.front()).filename().string()),
            std::string::npos)
      << v->detail;
  EXPECT_EQ(v->checked, acked[500].first_position - 1) << "checked stops before the damage";
  // A range that ends before the damage verifies.
  auto before = e->Verify({0, 1, acked[499].first_position});
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->ok) << before->detail;
}

TEST_F(FaultTest, BitFlipSeenThroughTheSeamIsFoundByVerify) {
  FaultInjectionEnv env(Env::Default());
  auto e = Open(&env);
  std::map<int, AppendResult> acked = AppendRange(e.get(), 0, 50);
  e.reset();
  const std::string seg = Segments(dir_.Sub("data")).back();
  const size_t at = ReadFile(seg).find(Payload(33));
  ASSERT_NE(at, std::string::npos);
  e = Open(&env);
  {
    std::lock_guard<std::mutex> l(env.plan().flip_mu);
    env.plan().flip_path_suffix = std::filesystem::path(seg).filename().string();
    env.plan().flip_offset = at + 1;
    env.plan().flip_bit = 0;
  }
  auto v = e->Verify({0, 1, UINT64_MAX});
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  ASSERT_TRUE(v->first_bad_position.has_value());
  EXPECT_EQ(*v->first_bad_position, acked[33].first_position);
}

}  // namespace
}  // namespace cairn
