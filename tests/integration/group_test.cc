// Consumer groups (EGROUP) against a real `cairn serve`: COMMIT/OFFSET/LIST/DELETE semantics,
// and durability: acknowledged commits survive SIGKILL and restart on the same data directory,
// also with commits in flight when the server dies, and EWATCH ... GROUP starts right after
// the committed cursor.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "resp_client.h"
#include "server_process.h"
#include "watch_test_util.h"

namespace cairn::testing {
namespace {

void Fill(RespClient* c, const std::string& stream, int events) {
  for (int i = 0; i < events; ++i) {
    RespValue r = ReplyOf(c, {"EAPPEND", stream, "ANY", "EVENT", "E", std::to_string(i)});
    ASSERT_NE(r.Find("last_version"), nullptr) << r.Debug();
  }
}

int64_t Commit(RespClient* c, const std::string& group, const std::string& scope, int64_t cursor) {
  RespValue r = ReplyOf(c, {"EGROUP", "COMMIT", group, scope, std::to_string(cursor)});
  EXPECT_TRUE(r.IsInt()) << r.Debug();
  return r.integer;
}

int64_t Offset(RespClient* c, const std::string& group, const std::string& scope) {
  RespValue r = ReplyOf(c, {"EGROUP", "OFFSET", group, scope});
  EXPECT_TRUE(r.IsInt()) << r.Debug();
  return r.integer;
}

// Each test gets a server of its own (2 shards) and a RESP3 connection to it. Small segments:
// recovery after SIGKILL reads the preallocated tail of each shard's segment, ~10 s for the
// default 256 MiB under ASan.
class GroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.Start()) << server.error() << server.LogTail();
    ASSERT_TRUE(OpenResp3(&c, server.resp_port()));
  }
  ServerProcess server{{"--shards", "2", "--segment-size", "8MiB"}};
  RespClient c;
};

TEST_F(GroupTest, Semantics) {
  Fill(&c, "gs/t/1", 10);
  // Forward only: a lower cursor keeps (and answers) the stored one.
  EXPECT_EQ(Offset(&c, "g1", "gs/t/1"), 0);
  EXPECT_EQ(Commit(&c, "g1", "gs/t/1", 5), 5);
  EXPECT_EQ(Commit(&c, "g1", "gs/t/1", 3), 5);
  EXPECT_EQ(Offset(&c, "g1", "gs/t/1"), 5);
  EXPECT_EQ(Commit(&c, "g1", "gs/t/1", 10), 10);
  // Beyond the scope's end: the stream's version, the shard's last position.
  EXPECT_EQ(ReplyOf(&c, {"EGROUP", "COMMIT", "g1", "gs/t/1", "11"}).ErrorCode(), "INVALID");
  EXPECT_EQ(Offset(&c, "g1", "gs/t/1"), 10);
  RespValue info = ReplyOf(&c, {"EINFO", "gs/t/1"});
  ASSERT_NE(info.Find("shard"), nullptr) << info.Debug();
  std::string shard = "#" + std::to_string(info.Find("shard")->integer);
  RespValue scan = ReplyOf(&c, {"ESCAN", shard, "FROM", "1", "COUNT", "1000"});
  int64_t end = scan.Find("events")->items.back().Find("position")->integer;
  EXPECT_EQ(Commit(&c, "g2", "gs", end), end);
  EXPECT_EQ(ReplyOf(&c, {"EGROUP", "COMMIT", "g2", "gs", std::to_string(end + 1)}).ErrorCode(),
            "INVALID");
  EXPECT_EQ(Commit(&c, "g2", shard, end - 1), end - 1);
  EXPECT_EQ(Commit(&c, "a", "gs/t/1", 1), 1);
  // Group names: 1-128 of A-Z a-z 0-9 _ . : -.
  for (const std::string& bad : {std::string(""), std::string("a b"), std::string("x/y"),
                                 std::string(129, 'g'), std::string("é")}) {
    EXPECT_EQ(ReplyOf(&c, {"EGROUP", "COMMIT", bad, "gs/t/1", "1"}).ErrorCode(), "INVALID")
        << "'" << bad << "'";
    EXPECT_EQ(ReplyOf(&c, {"EGROUP", "OFFSET", bad, "gs/t/1"}).ErrorCode(), "INVALID");
  }
  EXPECT_EQ(Commit(&c, std::string(128, 'g'), "gs/t/1", 2), 2);
  EXPECT_EQ(Commit(&c, "A.z:0_-", "gs/t/1", 2), 2);
  EXPECT_EQ(ReplyOf(&c, {"EGROUP", "COMMIT", "g", "a//b", "1"}).ErrorCode(), "INVALID");
  EXPECT_EQ(ReplyOf(&c, {"EGROUP", "COMMIT", "g", "gs/t/1", "-1"}).IsError(), true);
  // LIST: sorted by scope, then group.
  RespValue list = ReplyOf(&c, {"EGROUP", "LIST"});
  ASSERT_TRUE(list.IsArray()) << list.Debug();
  std::vector<std::string> rows;
  for (const RespValue& m : list.items) {
    ASSERT_TRUE(m.IsMap()) << m.Debug();
    EXPECT_EQ(m.Keys(), (std::vector<std::string>{"group", "scope", "cursor"}));
    rows.push_back(m.Find("scope")->str + " " + m.Find("group")->str + " " +
                   std::to_string(m.Find("cursor")->integer));
  }
  std::vector<std::string> want = {shard + " g2 " + std::to_string(end - 1),
                                   "gs g2 " + std::to_string(end),
                                   "gs/t/1 A.z:0_- 2",
                                   "gs/t/1 a 1",
                                   "gs/t/1 g1 10",
                                   "gs/t/1 " + std::string(128, 'g') + " 2"};
  EXPECT_EQ(rows, want);
  RespValue one = ReplyOf(&c, {"EGROUP", "LIST", "gs"});
  ASSERT_EQ(one.items.size(), 1u) << one.Debug();
  EXPECT_EQ(ReplyOf(&c, {"EGROUP", "LIST", "none"}).items.size(), 0u);
  // DELETE: 1 when a cursor went, 0 when none; then OFFSET is 0 and commits start again.
  EXPECT_EQ(ReplyOf(&c, {"EGROUP", "DELETE", "g1", "gs/t/1"}).integer, 1);
  EXPECT_EQ(ReplyOf(&c, {"EGROUP", "DELETE", "g1", "gs/t/1"}).integer, 0);
  EXPECT_EQ(Offset(&c, "g1", "gs/t/1"), 0);
  EXPECT_EQ(Commit(&c, "g1", "gs/t/1", 2), 2);
  // RESP2 answers the same.
  RespClient c2(server.resp_port());
  EXPECT_EQ(c2.Call({"EGROUP", "OFFSET", "g1", "gs/t/1"}).integer, 2);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

// The first frame of EWATCH <scope> GROUP <group>: the event after the committed cursor.
int64_t FirstWatchedCursor(uint16_t port, const std::string& scope, const std::string& group,
                           bool stream_scope) {
  RespClient c;
  if (!OpenResp3(&c, port)) return -1;
  RespValue id = ReplyOf(&c, {"EWATCH", scope, "GROUP", group});
  EXPECT_TRUE(id.IsInt()) << id.Debug();
  std::optional<RespValue> v = c.Read(5000);
  Frame f;
  if (!v || !AsFrame(*v, stream_scope, &f)) {
    ADD_FAILURE() << (v ? v->Debug() : c.last_error());
    return -1;
  }
  return f.kind == "event" ? f.cursor : -f.cursor;  // a live frame first: negative
}

TEST_F(GroupTest, CommitsSurviveSigkill) {
  Fill(&c, "gk/t/1", 20);
  Fill(&c, "gk/t/2", 20);
  EXPECT_EQ(Commit(&c, "g", "gk/t/1", 7), 7);
  EXPECT_EQ(Commit(&c, "g", "gk", 9), 9);
  server.Kill();
  ASSERT_TRUE(server.Restart()) << server.error() << server.LogTail();
  ASSERT_TRUE(OpenResp3(&c, server.resp_port()));
  EXPECT_EQ(Offset(&c, "g", "gk/t/1"), 7);
  EXPECT_EQ(Offset(&c, "g", "gk"), 9);
  EXPECT_EQ(FirstWatchedCursor(server.resp_port(), "gk/t/1", "g", true), 8);
  EXPECT_EQ(FirstWatchedCursor(server.resp_port(), "gk", "g", false), 10);
  EXPECT_EQ(FirstWatchedCursor(server.resp_port(), "gk/t/2", "nogroup", true), 1);

  // Commits in flight when the server dies: every acknowledged one survives.
  const std::vector<std::string> scopes = {"gk/t/1", "gk/t/2"};
  std::map<std::string, int64_t> acked;  // "group scope" -> highest acknowledged cursor
  std::atomic<int> in_flight{0};         // commits cut by a kill
  for (int cycle = 0; cycle < 5; ++cycle) {
    // Room to commit into: 4,000 more events per stream.
    for (const auto& s : scopes) {
      std::vector<std::string> args = {"EAPPEND", s, "ANY"};
      for (int i = 0; i < 500; ++i) args.insert(args.end(), {"EVENT", "E", "x"});
      for (int i = 0; i < 8; ++i) ASSERT_NE(ReplyOf(&c, args).Find("last_version"), nullptr);
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> committers;
    std::vector<std::map<std::string, int64_t>> got(4);
    for (int t = 0; t < 4; ++t) {
      committers.emplace_back([&, t] {
        RespClient w;
        if (!w.Connect(server.resp_port())) return;
        const std::string group = "k" + std::to_string(t);
        const std::string& scope = scopes[t % 2];
        int64_t cursor = acked.count(group + " " + scope) ? acked[group + " " + scope] : 0;
        while (!stop) {
          ++cursor;
          RespValue r = w.Call({"EGROUP", "COMMIT", group, scope, std::to_string(cursor)}, 5000);
          if (!r.IsInt()) {
            // The server died with this commit in flight (or the stream's end was reached).
            in_flight += r.ErrorCode() == "CLIENT";
            return;
          }
          got[t][group + " " + scope] = r.integer;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + 37 * cycle));
    server.Kill();
    stop = true;
    for (auto& t : committers) t.join();
    for (const auto& g : got) {
      for (const auto& [k, v] : g) acked[k] = std::max(acked[k], v);
    }
    ASSERT_TRUE(server.Restart()) << server.error() << server.LogTail();
    ASSERT_TRUE(OpenResp3(&c, server.resp_port()));
    for (const auto& [k, v] : acked) {
      size_t space = k.find(' ');
      EXPECT_GE(Offset(&c, k.substr(0, space), k.substr(space + 1)), v)
          << k << " after kill " << cycle;
    }
  }
  EXPECT_GE(acked.size(), 4u);
  EXPECT_GE(in_flight.load(), 10) << "the kills did not cut commits in flight";
  for (const auto& [k, v] : acked) std::cout << k << " acknowledged up to " << v << "\n";
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

}  // namespace
}  // namespace cairn::testing
