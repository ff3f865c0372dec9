// Engine semantics against the wire contract: OCC, transactions, idempotency, deletes,
// trims, reads, scans, listings, limits, reopen.

#include "cairn/engine.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>
#include <thread>
#include <utility>

#include "base/clock.h"
#include "io/env.h"
#include "io/file_system.h"
#include "storage/chain.h"
#include "storage/format.h"
#include "storage/manifest.h"
#include "storage/record.h"
#include "storage/segment_files.h"
#include "testing/manual_clock_env.h"
#include "testing/temp_dir.h"

namespace cairn {
namespace {

ProposedEvent Ev(std::string type, std::string data, std::string meta = {}) {
  return ProposedEvent{std::move(type), std::move(data), std::move(meta), std::nullopt,
                       std::nullopt};
}

AppendRequest One(std::string stream, Expected e, std::vector<ProposedEvent> events,
                  std::string key = {}) {
  AppendRequest r;
  r.idempotency_key = std::move(key);
  r.clauses.push_back(AppendClause{std::move(stream), e, std::move(events)});
  return r;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open(uint32_t shards = 2, ShardKey key = ShardKey::kOrg, std::string name = "data") {
    engine_.reset();
    EngineOptions o;
    o.data_dir = dir_.Sub(name);
    o.shards = shards;
    o.shard_key = key;
    o.memory_budget_bytes = 64ull << 20;
    o.segment_size_bytes = 1ull << 20;
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  Result<AppendResult> Append(std::string stream, Expected e, int n, std::string key = {}) {
    std::vector<ProposedEvent> evs;
    for (int i = 0; i < n; ++i)
      evs.push_back(Ev("Ev" + std::to_string(i % 3), "d" + std::to_string(i)));
    return engine_->AppendSync(One(std::move(stream), e, std::move(evs), std::move(key)));
  }
  ReadResult Read(std::string stream, std::optional<uint64_t> from = std::nullopt,
                  uint32_t count = 100, bool backward = false) {
    ReadRequest r;
    r.stream = std::move(stream);
    r.from = from;
    r.count = count;
    r.backward = backward;
    auto res = engine_->Read(r);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? *res : ReadResult{};
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, AppendAssignsVersionsAndGapFreePositions) {
  auto a = Append("acme/order/1", Expected::NoStream(), 3);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->streams.size(), 1u);
  EXPECT_EQ(a->streams[0].first_version, 1u);
  EXPECT_EQ(a->streams[0].last_version, 3u);
  EXPECT_EQ(a->first_position, 1u);
  EXPECT_EQ(a->last_position, 3u);
  EXPECT_FALSE(a->duplicate);
  auto b = Append("acme/order/2", Expected::Any(), 2);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first_position, 4u);
  EXPECT_EQ(b->streams[0].first_version, 1u);
  auto r = Read("acme/order/1");
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.version, 3u);
  EXPECT_FALSE(r.next.has_value());
  EXPECT_EQ(r.events[0].type, "Ev0");
  EXPECT_EQ(r.events[2].data, "d2");
  EXPECT_EQ(r.events[1].position, 2u);
  EXPECT_EQ(r.events[1].timestamp_ms, a->timestamp_ms);
  EXPECT_FALSE(r.events[0].id.IsNil());
}

TEST_F(EngineTest, StatsIncludeEveryAcknowledgedAppend) {
  // The shard publishes its statistics before it acknowledges, so a reader that saw the ack
  // never reads a next position behind it. Checked first inside the callback itself (it runs
  // on the shard's thread, so the order is deterministic), then from the caller's thread.
  for (int i = 0; i < 20; ++i) {
    std::promise<std::pair<uint64_t, uint64_t>> seen;  // (last position, stats next position)
    Engine* engine = engine_.get();
    engine_->Append(
        One("acme/order/cb", Expected::Any(), {Ev("Ev", "d")}),
        [&seen, engine](Result<AppendResult> r) {
          if (!r.ok()) {
            seen.set_value({0, 0});
            return;
          }
          seen.set_value({r->last_position, engine->Stats().shards[r->shard].next_position});
        });
    auto [last, next] = seen.get_future().get();
    ASSERT_NE(last, 0u) << "append " << i << " failed";
    ASSERT_EQ(next, last + 1) << "append " << i;
  }
  for (int i = 0; i < 3000; ++i) {
    auto a = Append("acme/order/" + std::to_string(i % 7), Expected::Any(), 1);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_EQ(engine_->Stats().shards[a->shard].next_position, a->last_position + 1)
        << "append " << i;
  }
  // A request refused at once (a conflict) is answered inside the shard's loop turn: the head
  // lookup it made is already counted when its callback runs.
  auto first = Append("acme/order/conflict", Expected::Any(), 1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const uint32_t shard = first->shard;
  const uint64_t hits = engine_->Stats().shards[shard].head_hits;
  std::promise<std::pair<bool, uint64_t>> refused;  // (conflict, head hits in the callback)
  Engine* engine = engine_.get();
  engine_->Append(One("acme/order/conflict", Expected::NoStream(), {Ev("Ev", "d")}),
                  [&refused, engine, shard](Result<AppendResult> r) {
                    refused.set_value({!r.ok() && r.status().code() == StatusCode::kConflict,
                                       engine->Stats().shards[shard].head_hits});
                  });
  auto [conflict, hits_in_callback] = refused.get_future().get();
  EXPECT_TRUE(conflict);
  EXPECT_EQ(hits_in_callback, hits + 1);
}

TEST_F(EngineTest, ExpectedVersionKinds) {
  auto c = Append("acme/acct/1", Expected::Exists(), 1);
  ASSERT_EQ(c.status().code(), StatusCode::kConflict);
  ASSERT_NE(c.status().conflict(), nullptr);
  EXPECT_EQ(c.status().conflict()->stream, "acme/acct/1");
  EXPECT_EQ(c.status().conflict()->expected, "exists");
  EXPECT_EQ(c.status().conflict()->actual, 0u);
  ASSERT_TRUE(Append("acme/acct/1", Expected::NoStream(), 2).ok());
  auto d = Append("acme/acct/1", Expected::NoStream(), 1);
  ASSERT_EQ(d.status().code(), StatusCode::kConflict);
  EXPECT_EQ(d.status().conflict()->actual, 2u);
  EXPECT_EQ(Append("acme/acct/1", Expected::Exact(1), 1).status().code(), StatusCode::kConflict);
  auto e = Append("acme/acct/1", Expected::Exact(2), 1);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->streams[0].first_version, 3u);
  EXPECT_TRUE(Append("acme/acct/1", Expected::Exists(), 1).ok());
  EXPECT_TRUE(Append("acme/acct/1", Expected::Any(), 1).ok());
  EXPECT_EQ(Read("acme/acct/1").version, 5u);
  // A refused append consumes no position.
  auto f = Append("acme/acct/2", Expected::Any(), 1);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->first_position, 6u);
}

TEST_F(EngineTest, TransactionIsAtomicWithPureConditions) {
  ASSERT_TRUE(Append("acme/acct/a", Expected::Any(), 1).ok());
  AppendRequest t;
  t.transaction = true;
  t.clauses.push_back({"acme/acct/a", Expected::Exact(1), {Ev("Debited", "5")}});
  t.clauses.push_back({"acme/acct/b", Expected::NoStream(), {Ev("Credited", "5")}});
  t.clauses.push_back({"acme/limit/x", Expected::NoStream(), {}});  // pure condition
  auto r = engine_->AppendSync(t);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->first_position, 2u);
  EXPECT_EQ(r->last_position, 3u);
  ASSERT_EQ(r->streams.size(), 2u);
  EXPECT_EQ(r->streams[0].stream, "acme/acct/a");
  EXPECT_EQ(r->streams[0].first_version, 2u);
  EXPECT_EQ(r->streams[1].stream, "acme/acct/b");
  EXPECT_EQ(r->streams[1].first_version, 1u);
  // Same again: the first clause now fails, nothing commits, the conflict names it.
  auto again = engine_->AppendSync(t);
  ASSERT_EQ(again.status().code(), StatusCode::kConflict);
  EXPECT_EQ(again.status().conflict()->stream, "acme/acct/a");
  EXPECT_EQ(Read("acme/acct/b").version, 1u);
  // A failing pure condition blocks the events of the other clauses.
  ASSERT_TRUE(Append("acme/limit/x", Expected::Any(), 1).ok());
  AppendRequest u;
  u.transaction = true;
  u.clauses.push_back({"acme/acct/c", Expected::Any(), {Ev("Opened", "{}")}});
  u.clauses.push_back({"acme/limit/x", Expected::NoStream(), {}});
  auto c = engine_->AppendSync(u);
  ASSERT_EQ(c.status().code(), StatusCode::kConflict);
  EXPECT_EQ(c.status().conflict()->stream, "acme/limit/x");
  EXPECT_EQ(Read("acme/acct/c").version, 0u);
}

TEST_F(EngineTest, TransactionAcrossShardsIsRefused) {
  Open(4, ShardKey::kStream, "by-stream");
  std::string other;
  for (int i = 0; i < 100 && other.empty(); ++i) {
    std::string s = "acme/t/" + std::to_string(i);
    if (engine_->ShardOf(s) != engine_->ShardOf("acme/t/x")) other = s;
  }
  ASSERT_FALSE(other.empty());
  AppendRequest t;
  t.transaction = true;
  t.clauses.push_back({"acme/t/x", Expected::Any(), {Ev("A", "1")}});
  t.clauses.push_back({other, Expected::Any(), {Ev("A", "1")}});
  EXPECT_EQ(engine_->AppendSync(t).status().code(), StatusCode::kCrossShard);
}

TEST_F(EngineTest, IdempotentRetryReturnsTheFirstResult) {
  auto a = Append("acme/order/9", Expected::NoStream(), 2, "key-1");
  ASSERT_TRUE(a.ok());
  auto b = Append("acme/order/9", Expected::NoStream(), 2, "key-1");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(b->duplicate);
  AppendResult expect = *a;
  expect.duplicate = true;
  EXPECT_EQ(*b, expect);
  EXPECT_EQ(Read("acme/order/9").version, 2u);
  // Same key, different request.
  EXPECT_EQ(Append("acme/order/9", Expected::Any(), 1, "key-1").status().code(),
            StatusCode::kIdempotency);
  // Keys are scoped per org.
  auto c = Append("other/order/9", Expected::NoStream(), 2, "key-1");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->duplicate);
  // Survives reopen.
  Open();
  auto d = Append("acme/order/9", Expected::NoStream(), 2, "key-1");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, expect);
}

TEST_F(EngineTest, ConcurrentIdempotentRetriesCommitOnce) {
  std::vector<ProposedEvent> evs{Ev("A", "x")};
  std::atomic<int> done{0};
  std::vector<Result<AppendResult>> results(20, Status::Internal("unset"));
  for (int i = 0; i < 20; ++i) {
    engine_->Append(One("acme/s/1", Expected::Any(), evs, "k"), [&, i](Result<AppendResult> r) {
      results[i] = std::move(r);
      done.fetch_add(1);
    });
  }
  while (done.load() < 20) std::this_thread::yield();
  int firsts = 0;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (!r->duplicate) ++firsts;
    EXPECT_EQ(r->first_position, 1u);
  }
  EXPECT_EQ(firsts, 1);
  EXPECT_EQ(Read("acme/s/1").version, 1u);
}

TEST_F(EngineTest, SoftDeleteHidesAndAppendRecreates) {
  ASSERT_TRUE(Append("acme/cart/1", Expected::Any(), 3).ok());
  auto d = engine_->DeleteSync({"acme/cart/1", Expected::Exact(3), false});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->deleted, DeletedState::kSoft);
  auto r = Read("acme/cart/1");
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.version, 3u);
  EXPECT_EQ(Append("acme/cart/1", Expected::Exists(), 1).status().code(), StatusCode::kConflict);
  EXPECT_EQ(Append("acme/cart/1", Expected::NoStream(), 1).status().code(), StatusCode::kConflict);
  auto a = Append("acme/cart/1", Expected::Exact(3), 1);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->streams[0].first_version, 4u);
  auto r2 = Read("acme/cart/1");
  ASSERT_EQ(r2.events.size(), 1u);
  EXPECT_EQ(r2.events[0].version, 4u);
  auto info = engine_->Info("acme/cart/1");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->deleted, DeletedState::kNone);
  EXPECT_EQ(info->first_version, 4u);
  EXPECT_EQ(info->version, 4u);
}

TEST_F(EngineTest, HardDeleteIsATombstone) {
  ASSERT_TRUE(Append("acme/cart/2", Expected::Any(), 2).ok());
  ASSERT_TRUE(engine_->DeleteSync({"acme/cart/2", Expected::Any(), true}).ok());
  EXPECT_EQ(Append("acme/cart/2", Expected::Any(), 1).status().code(), StatusCode::kDeleted);
  ReadRequest rr;
  rr.stream = "acme/cart/2";
  EXPECT_EQ(engine_->Read(rr).status().code(), StatusCode::kDeleted);
  Open();
  auto info = engine_->Info("acme/cart/2");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->deleted, DeletedState::kHard);
  EXPECT_EQ(Append("acme/cart/2", Expected::Any(), 1).status().code(), StatusCode::kDeleted);
}

TEST_F(EngineTest, TrimHidesOlderVersions) {
  ASSERT_TRUE(Append("acme/log/1", Expected::Any(), 10).ok());
  auto t = engine_->TrimSync({"acme/log/1", 6});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->first_version, 6u);
  auto r = Read("acme/log/1");
  ASSERT_EQ(r.events.size(), 5u);
  EXPECT_EQ(r.events[0].version, 6u);
  auto b = Read("acme/log/1", std::nullopt, 100, true);
  ASSERT_EQ(b.events.size(), 5u);
  EXPECT_EQ(b.events[0].version, 10u);
  EXPECT_EQ(b.events[4].version, 6u);
}

TEST_F(EngineTest, ReadPagingBackwardAndTypes) {
  ASSERT_TRUE(Append("acme/p/1", Expected::Any(), 25).ok());
  auto p1 = Read("acme/p/1", 1, 10);
  ASSERT_EQ(p1.events.size(), 10u);
  ASSERT_TRUE(p1.next.has_value());
  EXPECT_EQ(*p1.next, 11u);
  auto p3 = Read("acme/p/1", 21, 10);
  EXPECT_EQ(p3.events.size(), 5u);
  EXPECT_FALSE(p3.next.has_value());
  auto back = Read("acme/p/1", std::nullopt, 10, true);
  ASSERT_EQ(back.events.size(), 10u);
  EXPECT_EQ(back.events[0].version, 25u);
  ASSERT_TRUE(back.next.has_value());
  EXPECT_EQ(*back.next, 15u);
  ReadRequest typed;
  typed.stream = "acme/p/1";
  typed.types = {"Ev1"};
  auto t = engine_->Read(typed);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->events.size(), 8u);
  for (auto& e : t->events) EXPECT_EQ(e.type, "Ev1");
  EXPECT_EQ(Read("acme/never/1").version, 0u);
}

TEST_F(EngineTest, ScanScopesAndListings) {
  ASSERT_TRUE(Append("acme/order/1", Expected::Any(), 2).ok());
  ASSERT_TRUE(Append("acme/cart/1", Expected::Any(), 2).ok());
  ASSERT_TRUE(Append("acme/order/2", Expected::Any(), 1).ok());
  ScanRequest s;
  s.scope = "acme/order";
  auto r = engine_->Scan(s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->events.size(), 3u);
  EXPECT_EQ(r->events[2].stream, "acme/order/2");
  EXPECT_LT(r->events[0].position, r->events[2].position);
  s.scope = "acme";
  s.count = 2;
  r = engine_->Scan(s);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->events.size(), 2u);
  ASSERT_TRUE(r->next.has_value());
  s.from = *r->next;
  r = engine_->Scan(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->events.size(), 2u);
  s.scope = "#" + std::to_string(engine_->ShardOf("acme/order/1"));
  s.from = 1;
  s.count = 100;
  r = engine_->Scan(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->events.size(), 5u);
  auto streams = engine_->ListStreams({"acme", "", 100});
  ASSERT_TRUE(streams.ok());
  EXPECT_EQ(streams->streams,
            (std::vector<std::string>{"acme/cart/1", "acme/order/1", "acme/order/2"}));
  auto page = engine_->ListStreams({"acme/order", "acme/order/1", 100});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->streams, (std::vector<std::string>{"acme/order/2"}));
  auto types = engine_->ListTypes("acme");
  ASSERT_TRUE(types.ok());
  EXPECT_EQ(*types, (std::vector<std::string>{"cart", "order"}));
  ASSERT_TRUE(Append("beta/x/1", Expected::Any(), 1).ok());
  auto orgs = engine_->ListOrgs();
  ASSERT_TRUE(orgs.ok());
  EXPECT_EQ(*orgs, (std::vector<std::string>{"acme", "beta"}));
}

// Orgs and types are listed once however many of their streams are created, in separate
// group commits, and again after the index is rebuilt from the log (the live path and the
// replay each write a listing key once).
TEST_F(EngineTest, ListingsHoldAfterManyNewStreamsAndAnIndexRebuild) {
  // A refused request leaves nothing learned: its streams' org and types are listed when a
  // later request creates one of them.
  AppendRequest refused;
  refused.transaction = true;
  refused.clauses.push_back({"gamma/t/1", Expected::Any(), {Ev("E", "{}")}});
  refused.clauses.push_back({"gamma/u/1", Expected::Exact(5), {Ev("E", "{}")}});
  ASSERT_EQ(engine_->AppendSync(refused).status().code(), StatusCode::kConflict);
  ASSERT_TRUE(Append("gamma/t/2", Expected::NoStream(), 1).ok());
  for (int i = 0; i < 60; ++i) {
    const std::string id = std::to_string(i);
    ASSERT_TRUE(Append("acme/order/" + id, Expected::NoStream(), 1).ok());
    ASSERT_TRUE(Append("acme/cart/" + id, Expected::NoStream(), 1).ok());
    if (i % 20 == 0) {
      ASSERT_TRUE(Append("beta/x/" + id, Expected::NoStream(), 1).ok());
    }
  }
  auto check = [&] {
    auto orgs = engine_->ListOrgs();
    ASSERT_TRUE(orgs.ok()) << orgs.status().ToString();
    EXPECT_EQ(*orgs, (std::vector<std::string>{"acme", "beta", "gamma"}));
    auto types = engine_->ListTypes("acme");
    ASSERT_TRUE(types.ok()) << types.status().ToString();
    EXPECT_EQ(*types, (std::vector<std::string>{"cart", "order"}));
    types = engine_->ListTypes("gamma");
    ASSERT_TRUE(types.ok()) << types.status().ToString();
    EXPECT_EQ(*types, (std::vector<std::string>{"t"}));
    types = engine_->ListTypes("beta");
    ASSERT_TRUE(types.ok()) << types.status().ToString();
    EXPECT_EQ(*types, (std::vector<std::string>{"x"}));
    auto streams = engine_->ListStreams({"beta", "", 100});
    ASSERT_TRUE(streams.ok()) << streams.status().ToString();
    EXPECT_EQ(streams->streams.size(), 3u);
  };
  check();
  engine_.reset();
  int removed = 0;
  for (const auto& d : std::filesystem::directory_iterator(dir_.Sub("data"))) {
    if (d.path().filename().string().rfind("shard-", 0) != 0) continue;
    removed += std::filesystem::remove_all(d.path() / "index") > 0 ? 1 : 0;
  }
  ASSERT_GE(removed, 2);
  Open();
  check();
  // New streams after the rebuild, in a known org and type and in a new type.
  ASSERT_TRUE(Append("beta/x/new", Expected::NoStream(), 1).ok());
  ASSERT_TRUE(Append("beta/y/new", Expected::NoStream(), 1).ok());
  auto types = engine_->ListTypes("beta");
  ASSERT_TRUE(types.ok());
  EXPECT_EQ(*types, (std::vector<std::string>{"x", "y"}));
}

// A record lists its events once in every org and org/type scope it touches, however many
// of its clauses share them, for small and large transactions. Also after a reopen.
TEST_F(EngineTest, TransactionsAreListedOnceInEachScope) {
  auto count = [&](const std::string& scope) {
    ScanRequest s;
    s.scope = scope;
    s.count = 1000;
    auto r = engine_->Scan(s);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->events.size() : size_t{0};
  };
  AppendRequest small;
  small.transaction = true;
  small.clauses.push_back({"acme/order/1", Expected::Any(), {Ev("A", "1")}});
  small.clauses.push_back({"acme/cart/1", Expected::Any(), {Ev("A", "2")}});
  small.clauses.push_back({"acme/order/2", Expected::Any(), {Ev("A", "3"), Ev("A", "4")}});
  ASSERT_TRUE(engine_->AppendSync(small).ok());
  AppendRequest large;
  large.transaction = true;
  for (int i = 0; i < 12; ++i) {
    large.clauses.push_back({"acme/t" + std::to_string(i % 3) + "/" + std::to_string(i),
                             Expected::Any(),
                             {Ev("B", std::to_string(i))}});
  }
  ASSERT_TRUE(engine_->AppendSync(large).ok());
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "written" : "reopened");
    EXPECT_EQ(count("acme"), 16u);
    EXPECT_EQ(count("acme/order"), 3u);
    EXPECT_EQ(count("acme/cart"), 1u);
    EXPECT_EQ(count("acme/t0"), 4u);
    EXPECT_EQ(count("acme/t1"), 4u);
    EXPECT_EQ(count("acme/t2"), 4u);
    Open();
  }
}

TEST_F(EngineTest, LimitsAndBadNamesAreErrorsNotCrashes) {
  EXPECT_EQ(Append("bad", Expected::Any(), 1).status().code(), StatusCode::kInvalid);
  EXPECT_EQ(Append("a/b", Expected::Any(), 1).status().code(), StatusCode::kInvalid);
  EXPECT_EQ(Append("a b/c/d", Expected::Any(), 1).status().code(), StatusCode::kInvalid);
  EXPECT_EQ(Append("acme/x/1", Expected::Any(), 0).status().code(), StatusCode::kInvalid);
  std::string big((1u << 20) + 1, 'x');
  EXPECT_EQ(engine_->AppendSync(One("acme/x/1", Expected::Any(), {Ev("A", big)})).status().code(),
            StatusCode::kTooLarge);
  EXPECT_EQ(
      engine_->AppendSync(One("acme/x/1", Expected::Any(), {Ev("A", "", std::string(65537, 'm'))}))
          .status()
          .code(),
      StatusCode::kTooLarge);
  EXPECT_EQ(Append("acme/x/1", Expected::Any(), 10001).status().code(), StatusCode::kTooLarge);
  EXPECT_EQ(
      engine_->AppendSync(One("acme/x/1", Expected::Any(), {Ev("bad type", "1")})).status().code(),
      StatusCode::kInvalid);
  // Exactly at the limit is fine.
  EXPECT_TRUE(
      engine_->AppendSync(One("acme/x/1", Expected::Any(), {Ev("A", std::string(1u << 20, 'y'))}))
          .ok());
}

TEST_F(EngineTest, ReopenKeepsEverythingAndVerifies) {
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(Append("acme/r/" + std::to_string(i % 7), Expected::Any(), 40).ok());
  auto before = Read("acme/r/3", 1, 1000);
  Open();
  auto after = Read("acme/r/3", 1, 1000);
  EXPECT_EQ(before.events, after.events);
  uint32_t shard = engine_->ShardOf("acme/r/3");
  auto v = engine_->Verify({shard, 1, UINT64_MAX});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->ok) << v->detail;
  EXPECT_EQ(v->checked, 2000u);
  // The last append (i = 49) went to acme/r/0: its last event is the chain head.
  EXPECT_EQ(v->head_hash, Read("acme/r/0", 1, 1000).events.back().hash);
  auto next = Append("acme/r/3", Expected::Any(), 1);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first_position, 2001u);
}

// Info, reads and the expected-version check agree on a stream's state (version, first
// readable version, deleted, update time), with warm heads and with cold ones after a reopen,
// across appends of several sizes, trims, soft deletes and appends after them.
TEST_F(EngineTest, StreamStateAgreesEverywhereAcrossReopens) {
  const std::string s = "acme/state/1";
  uint64_t v0 = 0;
  for (int i = 0; i < 30; ++i) {
    auto a = Append(s, Expected::Exact(v0), 1 + i % 3);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    v0 += 1 + i % 3;
  }
  auto check = [&](uint64_t version, uint64_t first_version, DeletedState deleted) {
    auto info = engine_->Info(s);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->version, version);
    EXPECT_EQ(info->first_version, first_version);
    EXPECT_EQ(info->deleted, deleted);
    auto r = Read(s, std::nullopt, 1000, true);
    EXPECT_EQ(r.version, version);
    if (deleted == DeletedState::kNone && version > 0) {
      ASSERT_FALSE(r.events.empty());
      EXPECT_EQ(r.events.front().version, version);
      EXPECT_EQ(info->updated_ms, r.events.front().timestamp_ms);
      EXPECT_GE(info->updated_ms, info->created_ms);
    }
    // Cold heads come from the same place: a wrong version conflicts, the right one appends.
    EXPECT_EQ(Append(s, Expected::Exact(version - 1), 1).status().code(), StatusCode::kConflict);
  };
  ASSERT_EQ(v0, 60u);
  check(v0, 1, DeletedState::kNone);
  Open();
  check(v0, 1, DeletedState::kNone);
  ASSERT_TRUE(Append(s, Expected::Exact(v0), 2).ok());
  auto t = engine_->TrimSync({s, v0 - 5});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(Append(s, Expected::Exact(v0 + 2), 3).ok());
  check(v0 + 5, v0 - 5, DeletedState::kNone);
  Open();
  check(v0 + 5, v0 - 5, DeletedState::kNone);
  ASSERT_TRUE(engine_->DeleteSync({s, Expected::Exact(v0 + 5), false}).ok());
  check(v0 + 5, 0, DeletedState::kSoft);
  Open();
  check(v0 + 5, 0, DeletedState::kSoft);
  ASSERT_TRUE(Append(s, Expected::Exact(v0 + 5), 1).ok());  // the entry is rewritten: not deleted
  ASSERT_TRUE(Append(s, Expected::Exact(v0 + 6), 1).ok());
  check(v0 + 7, v0 + 6, DeletedState::kNone);
  Open();
  check(v0 + 7, v0 + 6, DeletedState::kNone);
}

TEST_F(EngineTest, DamagedManifestIsRefusedWithAClearError) {
  engine_.reset();
  for (const char* text : {"cairn-data-dir x\nshards 2\nshard_key org\n",
                           "cairn-data-dir 1\nshards 99999999999999999999\nshard_key org\n",
                           "cairn-data-dir 1\nshards 2\nshard_key color\n", "garbage", ""}) {
    std::FILE* f = std::fopen(dir_.Sub("data/MANIFEST").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(text, f);
    std::fclose(f);
    EngineOptions o;
    o.data_dir = dir_.Sub("data");
    auto e = Engine::Open(o);
    ASSERT_FALSE(e.ok()) << text;
    EXPECT_EQ(e.status().code(), StatusCode::kCorruption) << e.status().ToString();
    EXPECT_NE(e.status().message().find("MANIFEST"), std::string::npos) << e.status().ToString();
  }
}

size_t SegmentFilesLimit();

int OpenFdCount() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_F(EngineTest, DescriptorsDoNotGrowWithSegments) {
  // 1 MiB segments and ~100 KiB appends: 800 appends roll over more than 64 segments per
  // shard-worth of files (everything goes to one shard: one org).
  std::vector<ProposedEvent> big;
  for (int i = 0; i < 10; ++i) big.push_back(Ev("Big", std::string(10000, 'b')));
  const int before = OpenFdCount();
  for (int i = 0; i < 800; ++i) {
    ASSERT_TRUE(engine_->AppendSync(One("acme/big/0", Expected::Any(), big)).ok());
  }
  // Writes hold at most the current segment and the one before it; reads keep at most
  // SegmentFiles::kMaxOpenFiles per shard.
  const int bound = before + 2 + static_cast<int>(SegmentFilesLimit());
  EXPECT_LE(OpenFdCount(), bound);
  // Reading everything back (paged: a read returns at most 32 MiB) reopens sealed
  // segments, within the bound.
  ReadRequest r;
  r.stream = "acme/big/0";
  r.count = 10000;
  uint64_t read = 0;
  for (;;) {
    auto page = engine_->Read(r);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const RecordedEvent& e : page->events) ASSERT_EQ(e.version, ++read);
    if (!page->next) break;
    r.from = page->next;
  }
  EXPECT_EQ(read, 8000u);
  EXPECT_LE(OpenFdCount(), bound);
}

// Options for one shard in `dir`, with a small memory budget.
EngineOptions OneShard(const testing::TempDir& dir) {
  EngineOptions o;
  o.data_dir = dir.Sub("data");
  o.shards = 1;
  o.memory_budget_bytes = 64ull << 20;
  return o;
}

TEST(EngineBackPressure, AFullQueueAnswersBusyAndEveryCallbackRuns) {
  testing::TempDir dir;
  EngineOptions o = OneShard(dir);
  o.max_queued_requests_per_shard = 8;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok());
  const int kBurst = 5000;
  std::atomic<int> done{0}, ok{0}, busy{0}, other{0};
  for (int i = 0; i < kBurst; ++i) {
    (*e)->Append(One("acme/q/" + std::to_string(i % 7), Expected::Any(), {Ev("A", "x")}),
                 [&](Result<AppendResult> r) {
                   if (r.ok()) {
                     ok++;
                   } else if (r.status().code() == StatusCode::kBusy) {
                     busy++;
                   } else {
                     other++;
                   }
                   done++;
                 });
  }
  while (done.load() < kBurst) std::this_thread::yield();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(busy.load(), 0) << "a queue of 8 took a burst of 5,000";
  EXPECT_GT(ok.load(), 0);
  // Exactly the acknowledged appends are in the log: BUSY consumed nothing.
  ScanRequest s;
  s.scope = "#0";
  s.count = 10000;
  auto all = (*e)->Scan(s);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->events.size(), static_cast<size_t>(ok.load()));
}

size_t SegmentFilesLimit() { return SegmentFiles::kMaxOpenFiles; }

using testing::ManualClockEnv;

TEST(EngineIdempotencyWindow, KeysExpireAndAreSweptAtAnyRate) {
  testing::TempDir dir;
  ManualClockEnv env(1'800'000'000'000);
  EngineOptions o;
  o.data_dir = dir.Sub("data");
  o.shards = 1;
  o.memory_budget_bytes = 64ull << 20;
  o.idempotency_window_ms = 60'000;
  o.env = &env;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  // More keys than one sweep turn deletes (1,000), so expiry must keep sweeping.
  const int kKeys = 2500;
  for (int i = 0; i < kKeys; ++i) {
    auto r = (*e)->AppendSync(One("acme/k/" + std::to_string(i % 10), Expected::Any(),
                                  {Ev("A", "x")}, "key-" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // Within the window: a retry is a duplicate.
  auto dup = (*e)->AppendSync(One("acme/k/0", Expected::Any(), {Ev("A", "x")}, "key-0"));
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
  // After the window: the same key appends again, even with a different request.
  env.manual().Advance(60'001);
  auto again = (*e)->AppendSync(One("acme/k/0", Expected::Any(), {Ev("B", "y")}, "key-1"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->duplicate);
  // The sweep runs on the shard's loop (every 5 s of the clock, then every turn while behind).
  env.manual().Advance(10'000);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE((*e)->AppendSync(One("acme/tick/1", Expected::Any(), {Ev("T", "t")})).ok());
  }
  e->reset();
  // Reopen: expired keys stay forgotten, the recent one is remembered.
  auto e2 = Engine::Open(o);
  ASSERT_TRUE(e2.ok());
  auto recent = (*e2)->AppendSync(One("acme/k/0", Expected::Any(), {Ev("B", "y")}, "key-1"));
  ASSERT_TRUE(recent.ok());
  EXPECT_TRUE(recent->duplicate);
  auto old = (*e2)->AppendSync(One("acme/k/5", Expected::Any(), {Ev("C", "z")}, "key-5"));
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->duplicate);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// One shard, 1 MiB segments.
EngineOptions OneShardOn(const testing::TempDir& dir, Env* env) {
  EngineOptions o;
  o.data_dir = dir.Sub("data");
  o.shards = 1;
  o.memory_budget_bytes = 64ull << 20;
  o.segment_size_bytes = 1ull << 20;
  o.env = env;
  return o;
}

// Bytes of [0, len) of the file that lie in extents the file system reports as allocated
// but unwritten (FIEMAP); -1 when the file system cannot tell.
int64_t UnwrittenBytes(const std::string& path, uint64_t len) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return -1;
  constexpr int kMax = 256;
  std::vector<char> buf(sizeof(fiemap) + kMax * sizeof(fiemap_extent));
  auto* fm = reinterpret_cast<fiemap*>(buf.data());
  fm->fm_start = 0;
  fm->fm_length = len;
  fm->fm_flags = FIEMAP_FLAG_SYNC;
  fm->fm_extent_count = kMax;
  int r = ::ioctl(fd, FS_IOC_FIEMAP, fm);
  ::close(fd);
  if (r != 0) return -1;
  int64_t unwritten = 0;
  for (uint32_t i = 0; i < fm->fm_mapped_extents; ++i) {
    const fiemap_extent& e = fm->fm_extents[i];
    if ((e.fe_flags & FIEMAP_EXTENT_UNWRITTEN) == 0) continue;
    const uint64_t a = e.fe_logical;
    const uint64_t b = std::min<uint64_t>(e.fe_logical + e.fe_length, len);
    if (b > a) unwritten += static_cast<int64_t>(b - a);
  }
  return unwritten;
}

// With segment_zero_fill (the default) a log write that reaches past the pre-written part of
// the segment carries zeros up to the next MiB boundary and one MiB more, so the blocks the
// next commits write into are already written extents; without it they stay unwritten.
TEST(EngineZeroFillTest, LogWritesPreWriteTheSegmentAheadOfTheirEnd) {
  for (bool zero_fill : {true, false}) {
    testing::TempDir dir;
    EngineOptions o = OneShardOn(dir, nullptr);  // the real disk
    o.segment_size_bytes = 8ull << 20;
    o.segment_zero_fill = zero_fill;
    {
      auto e = Engine::Open(o);
      ASSERT_TRUE(e.ok()) << e.status().ToString();
      AppendRequest r = One("acme/a/1", Expected::Any(), {Ev("T", "x")});
      ASSERT_TRUE((*e)->AppendSync(r).ok());
    }
    const std::string seg = o.data_dir + "/shard-000/log/" + format::SegmentFileName(1);
    const int64_t head = UnwrittenBytes(seg, 2ull << 20);
    if (head < 0) GTEST_SKIP() << "the file system does not report extents (FIEMAP)";
    const int64_t all = UnwrittenBytes(seg, o.segment_size_bytes);
    if (zero_fill) {
      EXPECT_EQ(head, 0) << "the first 2 MiB should be written";
      EXPECT_EQ(all, int64_t{6} << 20) << "the rest stays allocated, unwritten";
    } else if (all == 0) {
      GTEST_SKIP() << "the file system allocates written blocks";
    } else {
      EXPECT_GT(head, int64_t{1} << 20);
    }
    // Reopening and appending goes on from the recovered end.
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    AppendRequest r = One("acme/a/1", Expected::Exact(1), {Ev("T", "y")});
    ASSERT_TRUE((*e)->AppendSync(r).ok());
  }
}

// A log written before chain version 2 (segment format 1) opens, checks, reads and verifies;
// new events go on in its last segment under version 1 until a segment starts, which is
// written in format 2. Recovery replays both kinds from the first segment.
TEST(EngineFormat, ReadsAndExtendsAVersion1Log) {
  testing::TempDir dir;
  EngineOptions o = OneShard(dir);
  o.segment_size_bytes = 1ull << 20;
  { ASSERT_TRUE(Engine::Open(o).ok()); }  // the directory, an empty segment 1, the index
  const std::string log = o.data_dir + "/shard-000/log/";
  const std::string seg1 = log + format::SegmentFileName(1);

  // Segment 1 rewritten in format 1: three events of a new stream, chained under version 1.
  const uint64_t ts = Clock::Real()->NowMillis() - 1000;
  AlignedBuffer buf;
  format::SegmentHeader h;
  h.version = 1;
  h.shard = 0;
  h.segment_id = 1;
  h.first_position = 1;
  format::EncodeSegmentHeader(h, buf.Extend(format::kSegmentHeaderSize));
  EventsRecordBuilder b(&buf, 1, ts, "", Fingerprint{}, false, 1);
  b.BeginClause("acme/old/1", 1, 1, 1, ts, 3, true);
  Hash256 chain{};
  for (uint64_t i = 0; i < 3; ++i) {
    Uuid id{};
    id.bytes[0] = static_cast<uint8_t>(i + 1);
    const std::string data = "old-" + std::to_string(i);
    const Hash256 payload = PayloadHash(data, "");
    chain = ChainStep(kChainV1, chain,
                      ChainFields{1 + i, 1 + i, ts, &id, "acme/old/1", "Old",
                                  static_cast<uint32_t>(data.size()), 0},
                      payload);
    b.AddEvent(1 + i, 1 + i, id, "Old", data, "", payload, chain);
  }
  b.Finish();
  {
    const int fd = ::open(seg1.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, buf.data(), buf.size(), 0), static_cast<ssize_t>(buf.size()));
    ASSERT_EQ(::fsync(fd), 0);
    ::close(fd);
  }
  auto version_of = [&log](uint64_t id) -> uint32_t {
    std::string bytes(format::kSegmentHeaderSize, '\0');
    const int fd = ::open((log + format::SegmentFileName(id)).c_str(), O_RDONLY);
    if (fd < 0) return 0;
    const ssize_t n = ::pread(fd, bytes.data(), bytes.size(), 0);
    ::close(fd);
    auto hdr = format::DecodeSegmentHeader(bytes);
    return n == static_cast<ssize_t>(bytes.size()) && hdr.ok() ? hdr->version : 0;
  };

  // Verify covers the positions the shard has published, which may lag an acknowledgement:
  // checked on a freshly opened engine only.
  auto check = [](Engine* e, uint64_t events) {
    auto v = e->Verify({0, 1, UINT64_MAX});
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(v->ok) << v->detail;
    EXPECT_EQ(v->checked, events);
  };
  uint64_t total = 3;
  {
    auto e = Engine::Open(o);  // replays the version 1 record past the index checkpoint
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    ReadRequest r;
    r.stream = "acme/old/1";
    r.count = 10;
    auto read = (*e)->Read(r);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    ASSERT_EQ(read->events.size(), 3u);
    EXPECT_EQ(read->events[2].data, "old-2");
    EXPECT_EQ(read->events[2].hash, chain);
    // Appended to the version 1 segment: chained under version 1 from its head.
    AppendRequest a = One("acme/old/1", Expected::Exact(3), {Ev("New", "new-4")});
    ASSERT_TRUE((*e)->AppendSync(a).ok());
    ++total;
    // Enough to start segment 2 (1 MiB segments), written in format 2.
    const std::string big(4000, 'b');
    for (int i = 0; i < 40; ++i) {
      std::vector<ProposedEvent> evs(10, Ev("Big", big));
      ASSERT_TRUE(
          (*e)->AppendSync(One("acme/new/" + std::to_string(i % 3), Expected::Any(), evs)).ok());
      total += 10;
    }
  }
  EXPECT_EQ(version_of(1), 1u);
  EXPECT_EQ(version_of(2), 2u);
  {
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    check(e->get(), total);
  }

  // Without its index, the shard replays every segment from the first.
  std::filesystem::remove_all(o.data_dir + "/shard-000/index");
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  check(e->get(), total);
  ReadRequest r;
  r.stream = "acme/old/1";
  r.count = 10;
  auto read = (*e)->Read(r);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->events.size(), 4u);
  EXPECT_EQ(read->events[3].data, "new-4");
  auto next = (*e)->AppendSync(One("acme/old/1", Expected::Exact(4), {Ev("New", "new-5")}));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->first_position, total + 1);
  ++total;
  e->reset();
  // The chain head, from a fresh open (Verify covers published positions only). A segment that
  // does not continue it would be taken for one created ahead of a lost tail and removed.
  Hash256 head_hash{};
  {
    auto reopened = Engine::Open(o);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    auto v = (*reopened)->Verify({0, 1, UINT64_MAX});
    ASSERT_TRUE(v.ok());
    ASSERT_EQ(v->checked, total);
    head_hash = v->head_hash;
  }

  // A format 1 segment after format 2 ones, even one that continues the chain, is refused:
  // logs are only ever written forward.
  uint64_t last = 0;
  for (const auto& f : std::filesystem::directory_iterator(log)) {
    uint64_t id = 0;
    if (format::ParseSegmentFileName(f.path().filename().string(), &id)) last = std::max(last, id);
  }
  ASSERT_EQ(version_of(last), 2u);
  format::SegmentHeader back;
  back.version = 1;
  back.shard = 0;
  back.segment_id = last + 1;
  back.first_position = total + 1;
  back.prev_hash = head_hash;
  AlignedBuffer block;
  block.Resize(format::kBlockSize);
  std::memset(block.data(), 0, block.size());
  format::EncodeSegmentHeader(back, block.data());
  {
    const int fd =
        ::open((log + format::SegmentFileName(last + 1)).c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, block.data(), block.size(), 0), static_cast<ssize_t>(block.size()));
    ::close(fd);
  }
  auto refused = Engine::Open(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("segment format version 1 after version 2"),
            std::string::npos)
      << refused.status().ToString();
}

// Hosted shards: no thread per shard, the test's threads run the loops (as the server's network
// threads do). Each driver sleeps in poll() on the loop's descriptor, so a wake-up the shard
// failed to signal shows as a poll that times out with work waiting.
class ShardDriver {
 public:
  explicit ShardDriver(ShardLoop* loop)
      : loop_(loop), stop_fd_(::eventfd(0, EFD_CLOEXEC)), thread_([this] { Run(); }) {}
  ~ShardDriver() {
    Stop();
    ::close(stop_fd_);
  }
  void Stop() {
    stop_.store(true);
    uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof(one));
    if (thread_.joinable()) thread_.join();
  }
  int stalls() const { return stalls_.load(); }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  void Run() {
    loop_->Attach();
    while (!stop_.load()) {
      loop_->Step();
      if (loop_->PrepareSleep()) {
        pollfd p[2] = {{loop_->WaitFd(), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
        // 5 s with nothing to do is normal when idle; the test counts it only while appends
        // to this shard are outstanding (`busy`): no durable write takes that long.
        int r = ::poll(p, 2, 5000);
        if (r == 0 && busy.load() > 0) stalls_.fetch_add(1);
      }
      loop_->Awake();
    }
    loop_->Detach();
  }

 public:
  std::atomic<int> busy{0};

 private:
  ShardLoop* loop_;
  std::atomic<bool> stop_{false};
  int stop_fd_;
  std::atomic<int> stalls_{0};
  std::thread thread_;
};

size_t ThreadsNamed(const std::string& prefix) {
  size_t n = 0;
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::FILE* f = std::fopen((t.path() / "comm").c_str(), "r");
    if (f == nullptr) continue;
    char name[32] = {};
    if (std::fgets(name, sizeof(name), f) != nullptr && std::string(name).rfind(prefix, 0) == 0)
      ++n;
    std::fclose(f);
  }
  return n;
}

TEST(EngineHostedShards, CallersThreadsRunTheShardsAndNoWakeUpIsLost) {
  testing::TempDir dir;
  EngineOptions o;
  o.data_dir = dir.Sub("data");
  o.shards = 2;
  o.shard_key = ShardKey::kStream;
  o.memory_budget_bytes = 64ull << 20;
  o.segment_size_bytes = 1ull << 20;  // several segment rolls on the hosts' threads
  o.hosted_shards = true;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Engine& engine = **e;
  EXPECT_EQ(ThreadsNamed("cairn-shard-"), 0u) << "hosted shards start no thread of their own";
  std::vector<std::unique_ptr<ShardDriver>> drivers;
  std::vector<std::thread::id> driver_ids;
  for (uint32_t s = 0; s < 2; ++s) {
    ShardLoop* loop = engine.hosted_shard(s);
    ASSERT_NE(loop, nullptr);
    drivers.push_back(std::make_unique<ShardDriver>(loop));
    driver_ids.push_back(drivers.back()->id());
  }
  // Producers append synchronously from their own threads, with pauses, so that the drivers
  // fall asleep and must be woken by each new request.
  constexpr int kProducers = 4, kPerProducer = 600;
  std::atomic<int> failures{0}, wrong_thread{0};
  auto stalled = [&] {
    for (auto& d : drivers)
      if (d->stalls() > 0) return true;
    return false;
  };
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer && !stalled(); ++i) {
        const std::string stream = "acme/t/" + std::to_string((p * 7919 + i) % 300);
        std::promise<Result<AppendResult>> done;
        ShardDriver& driver = *drivers[engine.ShardOf(stream)];
        driver.busy.fetch_add(1);
        engine.Append(One(stream, Expected::Any(), {Ev("A", std::string(200 + i % 700, 'x'))}),
                      [&](Result<AppendResult> r) {
                        // Acknowledgements run on the driver of the stream's shard.
                        const auto me = std::this_thread::get_id();
                        if (me != driver_ids[0] && me != driver_ids[1]) wrong_thread++;
                        done.set_value(std::move(r));
                      });
        Result<AppendResult> r = done.get_future().get();
        driver.busy.fetch_sub(1);
        if (!r.ok()) failures++;
        if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3));
      }
    });
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(wrong_thread.load(), 0);
  for (auto& d : drivers) EXPECT_EQ(d->stalls(), 0) << "a hosted shard slept through work";
  uint64_t events = 0;
  for (const auto& sh : engine.Stats().shards) events += sh.next_position - 1;
  EXPECT_EQ(events, static_cast<uint64_t>(kProducers * kPerProducer));

  // The hosts leave with appends in flight: Detach finishes the writes its thread submitted
  // (io_uring cancels what an exiting thread left queued to the kernel's workers; writes issued
  // at once complete anyway, so this part passes without that wait too), and Close finishes
  // what is still queued, and what is appended after the hosts left, on its own thread.
  std::atomic<int> late_ok{0}, late_done{0};
  auto late = [&](int i) {
    engine.Append(One("acme/late/" + std::to_string(i), Expected::NoStream(), {Ev("L", "z")}),
                  [&](Result<AppendResult> r) {
                    if (r.ok()) late_ok++;
                    late_done++;
                  });
  };
  for (int i = 0; i < 400; ++i) late(i);
  for (auto& d : drivers) d->Stop();
  EXPECT_LT(late_done.load(), 400) << "every append finished before the hosts left";
  for (int i = 400; i < 450; ++i) late(i);
  e->reset();
  EXPECT_EQ(late_done.load(), 450);
  EXPECT_EQ(late_ok.load(), 450);

  // Everything acknowledged is there after a reopen (by a shard with its own thread).
  o.hosted_shards = false;
  auto again = Engine::Open(o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  events = 0;
  for (const auto& sh : (*again)->Stats().shards) events += sh.next_position - 1;
  EXPECT_EQ(events, static_cast<uint64_t>(kProducers * kPerProducer + 450));
  ReadRequest r;
  r.stream = "acme/late/449";
  auto read = (*again)->Read(r);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->events.size(), 1u);
  EXPECT_EQ(read->events[0].data, "z");
}

// The real disk, clock and randomness; the file-system calls that create log segments can be
// slowed down or made to fail, and those made on one given thread are counted.
class SegmentsEnv final : public Env {
 public:
  class Fs final : public FileSystem {
   public:
    explicit Fs(SegmentsEnv* env) : env_(env), base_(PosixFileSystem()) {}
    Result<int> OpenFile(const std::string& p, int flags, mode_t mode) override {
      if (EndsWith(p, ".log.tmp")) env_->Count();
      return base_->OpenFile(p, flags, mode);
    }
    Status CloseFile(int fd) override { return base_->CloseFile(fd); }
    Result<size_t> ReadAt(int fd, void* buf, size_t n, uint64_t off) override {
      return base_->ReadAt(fd, buf, n, off);
    }
    Status WriteAt(int fd, const void* buf, size_t n, uint64_t off) override {
      return base_->WriteAt(fd, buf, n, off);
    }
    Status SyncData(int fd) override { return base_->SyncData(fd); }
    Status Allocate(int fd, uint64_t len) override {
      env_->Count();
      env_->allocates++;
      if (env_->fail_allocates.load() > 0) {
        env_->fail_allocates--;
        return Status::IoError("injected: no space left on device");
      }
      env_->Pause();
      return base_->Allocate(fd, len);
    }
    Result<uint64_t> FileSize(int fd) override { return base_->FileSize(fd); }
    Status SyncDir(const std::string& p) override {
      if (EndsWith(p, "/log")) {
        env_->Count();
        env_->Pause();
      }
      return base_->SyncDir(p);
    }
    Result<std::vector<std::string>> ListDir(const std::string& p) override {
      return base_->ListDir(p);
    }
    Status CreateDir(const std::string& p) override { return base_->CreateDir(p); }
    Status Rename(const std::string& from, const std::string& to) override {
      if (EndsWith(to, ".log")) {
        env_->Count();
        if (env_->fail_renames.load()) return Status::IoError("injected: rename failed");
      }
      return base_->Rename(from, to);
    }
    Status Remove(const std::string& p) override { return base_->Remove(p); }
    bool Exists(const std::string& p) override { return base_->Exists(p); }
    Result<int> LockFile(const std::string& p) override { return base_->LockFile(p); }

   private:
    static bool EndsWith(const std::string& s, const std::string& end) {
      return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
    }
    SegmentsEnv* env_;
    FileSystem* base_;
  };

  FileSystem* fs() override { return &fs_; }
  Clock* clock() override { return Env::Default()->clock(); }
  Random* random() override { return Env::Default()->random(); }
  Result<std::unique_ptr<AsyncDisk>> NewAsyncDisk() override {
    return Env::Default()->NewAsyncDisk();
  }

  std::atomic<int> pause_ms{0};        // each segment allocation and log directory sync
  std::atomic<int> fail_allocates{0};  // the next n allocations fail
  std::atomic<bool> fail_renames{false};
  std::atomic<int> allocates{0};
  std::atomic<std::thread::id> watched{};  // calls creating segments on it are counted
  std::atomic<int> watched_calls{0};

 private:
  void Pause() {
    if (pause_ms.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  void Count() {
    if (std::this_thread::get_id() == watched.load()) watched_calls++;
  }
  Fs fs_{this};
};

// Log files of shard 0: segments and, with `tmp`, files being prepared.
std::vector<std::string> LogFiles(const std::string& data_dir, bool tmp) {
  std::vector<std::string> names;
  for (const auto& f : std::filesystem::directory_iterator(data_dir + "/shard-000/log")) {
    const std::string n = f.path().filename().string();
    uint64_t id;
    if (format::ParseSegmentFileName(n, &id) || tmp) names.push_back(n);
  }
  return names;
}

// A new segment costs its file's allocation, the sync of its header, its rename and the sync
// of the log directory: all of it happens on the shard's segment thread, never on the thread
// that runs the shard's loop (in the server, a network thread with its connections).
TEST(EngineHostedShards, NewSegmentsArePreparedOffTheHostsThread) {
  testing::TempDir dir;
  SegmentsEnv env;
  EngineOptions o = OneShardOn(dir, &env);
  o.hosted_shards = true;
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Engine& engine = **e;
  ShardLoop* loop = engine.hosted_shard(0);
  ASSERT_NE(loop, nullptr);
  ShardDriver driver(loop);
  env.watched = driver.id();
  env.pause_ms = 200;  // slow allocations and directory syncs: the loop must not wait for them
  // Records of 4,216 bytes, 248 to a 1 MiB segment: 940 fill three segments and more than
  // half of a fourth, so that the fifth's spare is being prepared when the engine closes.
  constexpr int kProducers = 4, kPerProducer = 235;
  std::atomic<int> failures{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        std::promise<Result<AppendResult>> done;
        driver.busy.fetch_add(1);
        engine.Append(One("acme/t/" + std::to_string(p), Expected::Any(),
                          {Ev("A", std::string(4000, static_cast<char>('a' + p)))}),
                      [&](Result<AppendResult> r) { done.set_value(std::move(r)); });
        Result<AppendResult> r = done.get_future().get();
        driver.busy.fetch_sub(1);
        if (!r.ok()) failures++;
      }
    });
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(LogFiles(o.data_dir, false).size(), 4u);
  EXPECT_EQ(env.watched_calls.load(), 0) << "the loop's thread created or opened a segment";
  EXPECT_GE(env.allocates.load(), 4) << "segment 1 and the spares of 2 to 4";
  EXPECT_EQ(driver.stalls(), 0);
  for (int i = 0; i < 500 && LogFiles(o.data_dir, true).size() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(LogFiles(o.data_dir, true).size(), 5u) << "the spare of segment 5";
  driver.Stop();
  e->reset();
  EXPECT_EQ(LogFiles(o.data_dir, true), LogFiles(o.data_dir, false)) << "the spare removed";
  o.hosted_shards = false;
  auto again = Engine::Open(o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->Stats().shards[0].next_position - 1,
            static_cast<uint64_t>(kProducers * kPerProducer));
  for (int p = 0; p < kProducers; ++p) {
    ReadRequest r;
    r.stream = "acme/t/" + std::to_string(p);
    r.count = 1000;
    auto read = (*again)->Read(r);
    ASSERT_TRUE(read.ok());
    ASSERT_EQ(read->events.size(), static_cast<size_t>(kPerProducer));
    for (size_t i = 0; i < read->events.size(); ++i) {
      ASSERT_EQ(read->events[i].version, i + 1);
      ASSERT_EQ(read->events[i].data, std::string(4000, static_cast<char>('a' + p)));
    }
  }
}

// How failures to create the next segment end: a spare that could not be allocated is tried
// again when the log reaches the segment's end; when that fails too, or the new segment
// cannot be renamed, the shard stops accepting writes (as after a failed log write) and keeps
// everything it acknowledged.
TEST(EngineSegments, FailuresCreatingTheNextSegment) {
  struct Case {
    const char* name;
    int fail_allocates;
    bool fail_renames;
    const char* error;  // empty: every append succeeds
  };
  for (const Case& c : {Case{"spare fails once", 1, false, ""},
                        Case{"allocation fails twice", 2, false, "injected: no space left"},
                        Case{"rename fails", 0, true, "injected: rename failed"}}) {
    SCOPED_TRACE(c.name);
    testing::TempDir dir;
    SegmentsEnv env;
    EngineOptions o = OneShardOn(dir, &env);
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    env.fail_allocates = c.fail_allocates;  // from the spare of segment 2 on
    env.fail_renames = c.fail_renames;
    int acked = 0;
    Status failed;
    for (int i = 0; i < 400 && failed.ok(); ++i) {  // 400 records: into segment 2
      auto r = (*e)->AppendSync(
          One("acme/t/1", Expected::Any(), {Ev("A", std::string(4000, 'a' + i % 26))}));
      if (r.ok()) {
        ++acked;
      } else {
        failed = r.status();
      }
    }
    EXPECT_EQ(env.fail_allocates.load(), 0);
    if (std::string(c.error).empty()) {
      EXPECT_TRUE(failed.ok()) << failed.ToString();
      EXPECT_EQ(acked, 400);
    } else {
      ASSERT_FALSE(failed.ok());
      EXPECT_EQ(failed.code(), StatusCode::kUnavailable) << failed.ToString();
      EXPECT_NE(failed.message().find(c.error), std::string::npos) << failed.ToString();
      EXPECT_EQ(acked, 248) << "segment 1 is full";
      auto after = (*e)->AppendSync(One("acme/t/2", Expected::Any(), {Ev("A", "x")}));
      EXPECT_EQ(after.status().code(), StatusCode::kUnavailable) << "writes stay stopped";
    }
    e->reset();  // waits for the segment thread's jobs
    if (std::string(c.error).empty()) {
      EXPECT_EQ(env.allocates.load(), 4) << "1, the failed spare of 2, 2, the spare of 3";
    }
    EXPECT_EQ(LogFiles(o.data_dir, true), LogFiles(o.data_dir, false)) << "nothing left behind";
    env.fail_allocates = 0;
    env.fail_renames = false;
    auto again = Engine::Open(o);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ((*again)->Stats().shards[0].next_position - 1, static_cast<uint64_t>(acked));
  }
}

// Appends do not rewrite a stream's metadata entry; heads that leave the cache write it. With
// a head cache of a few thousand streams, streams appended to after their creation are pushed
// out by new ones and must keep their exact versions, through the heads, the readers and a
// reopen.
TEST(EngineHeads, HeadsAheadOfTheIndexKeepExactVersionsThroughEvictionAndReopen) {
  testing::TempDir dir;
  EngineOptions o = OneShardOn(dir, nullptr);
  o.memory_budget_bytes = 4ull << 20;  // heads: 20%, about 4,000 of them
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::unique_ptr<Engine> engine = std::move(*e);
  auto name = [](const char* type, int i) {
    return "acme/" + std::string(type) + "/" + std::to_string(i);
  };
  // Appends `n` events to each of streams [from, to) of `type`, 1,000 per transaction.
  auto append_all = [&](const char* type, int from, int to, std::function<Expected(int)> expected,
                        int n) {
    for (int b = from; b < to; b += 1000) {
      AppendRequest t;
      t.transaction = true;
      for (int i = b; i < std::min(to, b + 1000); ++i) {
        std::vector<ProposedEvent> evs;
        for (int k = 0; k < n; ++k) evs.push_back(Ev("T", std::to_string(i)));
        t.clauses.push_back({name(type, i), expected(i), std::move(evs)});
      }
      auto r = engine->AppendSync(t);
      ASSERT_TRUE(r.ok()) << type << " " << b << ": " << r.status().ToString();
    }
  };
  auto check = [&](int i, uint64_t version) {
    const std::string s = name("a", i);
    auto info = engine->Info(s);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->version, version) << s;
    ReadRequest rr;
    rr.stream = s;
    rr.backward = true;
    rr.count = 1;
    auto r = engine->Read(rr);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->version, version) << s;
    ASSERT_EQ(r->events.size(), 1u) << s;
    EXPECT_EQ(r->events[0].version, version) << s;
    EXPECT_EQ(info->updated_ms, r->events[0].timestamp_ms) << s;
    rr.backward = false;
    rr.count = 1000;
    r = engine->Read(rr);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->events.size(), version) << s;
  };
  constexpr int kA = 2000;
  append_all(
      "a", 0, kA, [](int) { return Expected::NoStream(); }, 1);
  append_all(
      "a", 0, kA, [](int) { return Expected::Exact(1); }, 2);  // entries left at 1
  for (int i : {0, 999, 1999}) check(i, 3);  // readers follow the runs past the entry
  // 8,000 new streams push the a heads out of the cache.
  append_all(
      "b", 0, 8000, [](int) { return Expected::NoStream(); }, 1);
  auto st = engine->Stats();
  ASSERT_EQ(st.shards.size(), 1u);
  ASSERT_LT(st.shards[0].heads_cached, 8000u) << "no eviction: the test proves nothing";
  // Every a head is looked up again (cold): exact versions, a wrong one conflicts.
  AppendRequest wrong = One(name("a", 7), Expected::Exact(2), {Ev("T", "x")});
  EXPECT_EQ(engine->AppendSync(wrong).status().code(), StatusCode::kConflict);
  append_all(
      "a", 0, kA, [](int) { return Expected::Exact(3); }, 1);
  EXPECT_GE(engine->Stats().shards[0].head_misses - st.shards[0].head_misses, uint64_t{kA});
  for (int i : {0, 7, 1000, 1999}) check(i, 4);
  // Behind again, some evicted (the b streams once more), then a clean reopen.
  append_all(
      "a", 0, kA, [](int) { return Expected::Exact(4); }, 1);
  append_all(
      "b", 0, 8000, [](int) { return Expected::Exact(1); }, 1);
  append_all(
      "a", 0, 100, [](int) { return Expected::Exact(5); }, 1);  // cached and behind
  engine.reset();
  e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  engine = std::move(*e);
  EXPECT_EQ(engine->Stats().recovery_meta_records, 0u) << "the close wrote every entry";
  for (int i : {0, 99}) check(i, 6);
  for (int i : {100, 1999}) check(i, 5);
  append_all(
      "a", 0, 100, [](int) { return Expected::Exact(6); }, 1);
  append_all(
      "a", 100, kA, [](int) { return Expected::Exact(5); }, 1);
  auto v = engine->Verify({0, 1, UINT64_MAX});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->ok) << v->detail;
}

// An evicted head's metadata entry waits to be written; a delete, trim or revival of that
// stream afterwards must win over it, in the index and in the heads, whatever evicts what.
TEST(EngineHeads, ChangesAfterAnEvictionWinOverTheEvictedEntry) {
  testing::TempDir dir;
  EngineOptions o = OneShardOn(dir, nullptr);
  o.memory_budget_bytes = 4ull << 20;  // about 4,000 heads
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::unique_ptr<Engine> engine = std::move(*e);
  int fillers = 0;
  auto evict = [&] {  // 6,000 new streams, 1,000 per transaction
    for (int b = 0; b < 6; ++b) {
      AppendRequest t;
      t.transaction = true;
      for (int i = 0; i < 1000; ++i) {
        t.clauses.push_back(
            {"acme/fill/" + std::to_string(fillers++), Expected::NoStream(), {Ev("T", "f")}});
      }
      ASSERT_TRUE(engine->AppendSync(t).ok());
    }
  };
  const std::vector<std::string> x = {"acme/x/soft", "acme/x/hard", "acme/x/trim", "acme/x/live"};
  for (const std::string& s : x) {
    for (uint64_t v = 0; v < 5; ++v) {
      ASSERT_TRUE(engine->AppendSync(One(s, Expected::Exact(v), {Ev("T", "x")})).ok()) << s;
    }
  }
  evict();  // every x head leaves the cache 5 versions ahead of its entry
  ASSERT_TRUE(engine->DeleteSync({x[0], Expected::Exact(5), false}).ok());
  ASSERT_TRUE(engine->DeleteSync({x[1], Expected::Exact(5), true}).ok());
  ASSERT_TRUE(engine->TrimSync({x[2], 4}).ok());
  ASSERT_TRUE(engine->AppendSync(One(x[3], Expected::Exact(5), {Ev("T", "x")})).ok());
  evict();
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    auto soft = engine->Info(x[0]);
    ASSERT_TRUE(soft.ok());
    EXPECT_EQ(soft->deleted, DeletedState::kSoft);
    EXPECT_EQ(soft->version, 5u);
    auto hard = engine->Info(x[1]);
    ASSERT_TRUE(hard.ok());
    EXPECT_EQ(hard->deleted, DeletedState::kHard);
    auto trim = engine->Info(x[2]);
    ASSERT_TRUE(trim.ok());
    EXPECT_EQ(trim->first_version, 4u);
    EXPECT_EQ(trim->version, 5u);
    auto live = engine->Info(x[3]);
    ASSERT_TRUE(live.ok());
    EXPECT_EQ(live->version, 6u);
    // The heads agree (cold again after the evictions).
    EXPECT_EQ(engine->AppendSync(One(x[1], Expected::Any(), {Ev("T", "x")})).status().code(),
              StatusCode::kDeleted);
    EXPECT_EQ(engine->AppendSync(One(x[3], Expected::Exact(5), {Ev("T", "x")})).status().code(),
              StatusCode::kConflict);
    EXPECT_EQ(engine->AppendSync(One(x[2], Expected::Exact(4), {Ev("T", "x")})).status().code(),
              StatusCode::kConflict);
  };
  check("after the evictions");
  engine.reset();
  e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  engine = std::move(*e);
  check("after a reopen");
  // A revival after an eviction: the soft-deleted stream appended to, evicted, reopened.
  ASSERT_TRUE(engine->AppendSync(One(x[0], Expected::Exact(5), {Ev("T", "x")})).ok());
  evict();
  auto revived = engine->Info(x[0]);
  ASSERT_TRUE(revived.ok());
  EXPECT_EQ(revived->deleted, DeletedState::kNone);
  EXPECT_EQ(revived->version, 6u);
  EXPECT_EQ(revived->first_version, 6u);
  ASSERT_TRUE(engine->AppendSync(One(x[0], Expected::Exact(6), {Ev("T", "x")})).ok());
}

TEST(EngineFormat, AVersion1DirectoryIsUpgradedAtOpen) {
  testing::TempDir dir;
  EngineOptions o = OneShardOn(dir, nullptr);
  {
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    ASSERT_TRUE((*e)->AppendSync(One("acme/a/1", Expected::NoStream(), {Ev("T", "1")})).ok());
  }
  auto m = ReadManifest(PosixFileSystem(), o.data_dir);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->format_version, kDataDirFormat);
  m->format_version = 1;  // as a version 1 binary left it (its entries are all current)
  ASSERT_TRUE(WriteManifest(PosixFileSystem(), o.data_dir, *m).ok());
  auto e = Engine::Open(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(ReadManifest(PosixFileSystem(), o.data_dir)->format_version, kDataDirFormat);
  EXPECT_TRUE((*e)->AppendSync(One("acme/a/1", Expected::Exact(1), {Ev("T", "2")})).ok());
  e->reset();
  m->format_version = kDataDirFormat + 1;
  ASSERT_TRUE(WriteManifest(PosixFileSystem(), o.data_dir, *m).ok());
  e = Engine::Open(o);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace cairn
