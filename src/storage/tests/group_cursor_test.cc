// Consumer group cursors in the engine: forward-only commits, bounds, deletes, listings,
// durability across reopen, and the commit hook that live watches hang on.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "cairn/engine.h"
#include "testing/temp_dir.h"

namespace cairn {
namespace {

class GroupCursorTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open(ShardKey key = ShardKey::kOrg, const std::string& name = "data") {
    engine_.reset();
    EngineOptions o;
    o.data_dir = dir_.Sub(name);
    o.shards = 2;
    o.shard_key = key;
    o.memory_budget_bytes = 64ull << 20;
    o.segment_size_bytes = 1ull << 20;
    o.on_commit = [this](uint32_t shard, uint64_t next) {
      std::lock_guard l(mu_);
      commits_.emplace_back(shard, next);
    };
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  void Append(const std::string& stream, int n) {
    AppendRequest r;
    r.clauses.push_back(AppendClause{stream, Expected::Any(), {}});
    for (int i = 0; i < n; ++i) {
      r.clauses[0].events.push_back({"T", "d", "", std::nullopt, std::nullopt});
    }
    auto res = engine_->AppendSync(std::move(r));
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }
  uint64_t Commit(const std::string& g, const std::string& scope, uint64_t c) {
    auto r = engine_->CommitGroupSync(GroupCursor{g, scope, c});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->cursor : ~0ull;
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::mutex mu_;
  std::vector<std::pair<uint32_t, uint64_t>> commits_;
};

TEST_F(GroupCursorTest, CommitsMoveForwardOnlyAndSurviveReopen) {
  Append("acme/order/1", 10);
  EXPECT_EQ(engine_->GroupOffset("billing", "acme/order/1").value(), 0u);
  EXPECT_EQ(Commit("billing", "acme/order/1", 4), 4u);
  EXPECT_EQ(Commit("billing", "acme/order/1", 2), 4u);  // backwards: the stored one stays
  EXPECT_EQ(Commit("billing", "acme/order/1", 10), 10u);
  EXPECT_EQ(Commit("billing", "acme", 7), 7u);  // another scope, its own cursor
  EXPECT_EQ(Commit("audit", "acme/order/1", 1), 1u);
  EXPECT_EQ(engine_->GroupOffset("billing", "acme/order/1").value(), 10u);
  Open();
  EXPECT_EQ(engine_->GroupOffset("billing", "acme/order/1").value(), 10u);
  EXPECT_EQ(engine_->GroupOffset("billing", "acme").value(), 7u);
  EXPECT_EQ(engine_->GroupOffset("audit", "acme/order/1").value(), 1u);
  auto list = engine_->ListGroups();
  ASSERT_TRUE(list.ok());
  std::vector<GroupCursor> want = {
      {"billing", "acme", 7}, {"audit", "acme/order/1", 1}, {"billing", "acme/order/1", 10}};
  EXPECT_EQ(*list, want);
  auto one = engine_->ListGroups("acme");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
}

TEST_F(GroupCursorTest, CursorBeyondTheScopesEndIsInvalid) {
  Append("acme/order/1", 3);
  auto r = engine_->CommitGroupSync(GroupCursor{"g", "acme/order/1", 4});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
  auto shard = engine_->ParseScope("acme");
  ASSERT_TRUE(shard.ok());
  std::string hash = "#" + std::to_string(shard->shard);
  EXPECT_EQ(Commit("g", hash, 3), 3u);
  r = engine_->CommitGroupSync(GroupCursor{"g", hash, 4});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
}

TEST_F(GroupCursorTest, DeleteRemovesDurablyAndBadInputIsRefused) {
  Append("acme/order/1", 3);
  Commit("g", "acme/order/1", 2);
  auto d = engine_->DeleteGroupSync("g", "acme/order/1");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->existed);
  EXPECT_EQ(d->cursor, 2u);
  d = engine_->DeleteGroupSync("g", "acme/order/1");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->existed);
  Open();
  EXPECT_EQ(engine_->GroupOffset("g", "acme/order/1").value(), 0u);
  EXPECT_EQ(Commit("g", "acme/order/1", 1), 1u);  // a deleted cursor starts again
  for (const char* bad : {"", "a b", "x/"}) {
    EXPECT_FALSE(engine_->CommitGroupSync(GroupCursor{bad, "acme", 0}).ok()) << bad;
  }
  EXPECT_FALSE(engine_->CommitGroupSync(GroupCursor{"g", "#9", 0}).ok());
  EXPECT_FALSE(engine_->CommitGroupSync(GroupCursor{"g", "bad org!", 0}).ok());
}

TEST_F(GroupCursorTest, ScopeSpanningShardsIsInvalid) {
  Open(ShardKey::kStream, "by-stream");
  for (const char* scope : {"acme", "acme/order"}) {
    auto s = engine_->ParseScope(scope);
    ASSERT_FALSE(s.ok()) << scope;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalid);
  }
  auto st = engine_->ParseScope("acme/order/1");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->kind, WatchScope::Kind::kStream);
  auto sh = engine_->ParseScope("#01");
  ASSERT_TRUE(sh.ok());
  EXPECT_EQ(sh->canonical, "#1");
}

TEST_F(GroupCursorTest, CommitHookReportsEveryEventBatchOnce) {
  for (int i = 0; i < 20; ++i) Append("acme/order/" + std::to_string(i), 2);
  Append("zeta/order/1", 1);
  Commit("g", "acme", 1);  // group records take no position and fire no hook
  uint64_t max_next[2] = {0, 0};
  {
    std::lock_guard l(mu_);
    for (auto [shard, next] : commits_) {
      ASSERT_LT(shard, 2u);
      EXPECT_GT(next, max_next[shard]);  // strictly increasing per shard
      max_next[shard] = next;
    }
  }
  auto stats = engine_->Stats();
  for (uint32_t s = 0; s < 2; ++s) {
    if (stats.shards[s].next_position > 1) {
      EXPECT_EQ(max_next[s], stats.shards[s].next_position);
    }
  }
}

}  // namespace
}  // namespace cairn
