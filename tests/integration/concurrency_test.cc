// Concurrent clients against a real `cairn serve`: optimistic concurrency over RESP, and
// RESP and HTTP clients appending to the same streams at once. Whatever was acknowledged is
// stored exactly once, at the version it was acknowledged with.

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_test_util.h"
#include "resp_test_util.h"
#include "server_process.h"

namespace cairn::testing {
namespace {

// Reads a whole stream: version -> data.
std::map<int64_t, std::string> ReadAll(Session& s, const std::string& stream) {
  std::map<int64_t, std::string> out;
  for (std::string from = "1";;) {
    RespValue r = s.Map({"EREAD", stream, "FROM", from, "COUNT", "1000"});
    for (const RespValue& e : Items(r, "events")) out[Int(e, "version")] = Str(e, "data");
    if (Field(r, "next").null || Items(r, "events").empty()) break;
    from = std::to_string(Int(r, "next"));
  }
  return out;
}

// Each client reads the stream's version v, then appends with expected v. Exactly one
// client wins each version; the losers get CONFLICT naming the version that won.
TEST(ConcurrencyTest, OptimisticAppendsHaveOneWinnerPerVersion) {
  ServerProcess server({"--shards", "2"});
  ASSERT_TRUE(server.Start()) << server.error();
  constexpr int kClients = 8;
  constexpr int kAttempts = 60;
  std::mutex mu;
  std::map<int64_t, std::string> won;  // version -> data
  int conflicts = 0;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Session s(server.resp_port(), c % 2 ? 3 : 2);
      for (int i = 0; i < kAttempts; ++i) {
        int64_t v = Int(s.Map({"EINFO", "occ/t/1"}), "version");
        std::string data = std::to_string(c) + ":" + std::to_string(i);
        RespValue r = s.Call({"EAPPEND", "occ/t/1", std::to_string(v), "EVENT", "A", data});
        std::lock_guard<std::mutex> lock(mu);
        if (r.IsError()) {
          EXPECT_EQ(r.ErrorCode(), "CONFLICT") << r.Debug();
          ++conflicts;
          continue;
        }
        int64_t got = Int(r, "first_version");
        EXPECT_EQ(got, v + 1);
        EXPECT_TRUE(won.emplace(got, data).second) << "version " << got << " acknowledged twice";
      }
    });
  }
  for (auto& t : threads) t.join();
  Session s(server.resp_port(), 3);
  std::map<int64_t, std::string> stored = ReadAll(s, "occ/t/1");
  EXPECT_EQ(stored, won);
  EXPECT_EQ(static_cast<int>(won.size()) + conflicts, kClients * kAttempts);
  EXPECT_GT(conflicts, 0) << "no contention: the test did not test anything";
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

// RESP and HTTP clients append to the same streams at once (expected ANY). Every
// acknowledged append is stored once at its acknowledged versions; versions have no gaps.
TEST(ConcurrencyTest, RespAndHttpClientsAppendTogether) {
  ServerProcess server({"--shards", "2"});
  ASSERT_TRUE(server.Start()) << server.error();
  constexpr int kClients = 6;  // half RESP, half HTTP
  constexpr int kAppends = 100;
  const std::vector<std::string> streams = {"mix/t/1", "mix/t/2", "other/t/1"};
  std::mutex mu;
  std::map<std::string, std::map<int64_t, std::string>> acked;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Session resp;
      std::unique_ptr<HttpConn> http;
      if (c % 2 == 0) {
        resp.Open(server.resp_port(), 3);
      } else {
        http = std::make_unique<HttpConn>(server.http_port());
      }
      for (int i = 0; i < kAppends; ++i) {
        const std::string& stream = streams[(c + i) % streams.size()];
        std::string data = "c" + std::to_string(c) + "-" + std::to_string(i);
        int64_t version = -1;
        if (http == nullptr) {
          RespValue r = resp.Map({"EAPPEND", stream, "ANY", "EVENT", "A", data});
          version = Int(r, "first_version");
        } else {
          HttpResponse r = http->Request(
              "POST", "/v1/streams/" + stream,
              R"({"events": [{"type": "A", "data_base64": ")" + Base64(data) + "\"}]}");
          ASSERT_EQ(r.status, 201) << r.body;
          version = JInt(Json(r.body).root(), "first_version");
        }
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_TRUE(acked[stream].emplace(version, data).second)
            << stream << " version " << version << " acknowledged twice";
      }
    });
  }
  for (auto& t : threads) t.join();
  Session s(server.resp_port(), 2);
  size_t total = 0;
  for (const std::string& stream : streams) {
    std::map<int64_t, std::string> stored = ReadAll(s, stream);
    EXPECT_EQ(stored, acked[stream]) << stream;
    if (!stored.empty()) {
      EXPECT_EQ(stored.rbegin()->first, static_cast<int64_t>(stored.size())) << stream;
    }
    total += stored.size();
  }
  EXPECT_EQ(total, static_cast<size_t>(kClients * kAppends));
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

// The network threads run the shards' loops; with more shards than threads, one thread runs
// two. Clients on both threads append to streams of all three shards at once: every
// acknowledged append is stored once, versions have no gaps, and the server stops cleanly.
TEST(ConcurrencyTest, MoreShardsThanNetworkThreads) {
  ServerProcess server({"--shards", "3", "--reactors", "2", "--shard-key", "stream"});
  ASSERT_TRUE(server.Start()) << server.error();
  constexpr int kClients = 8;
  constexpr int kAppends = 150;
  constexpr int kStreams = 24;
  std::mutex mu;
  std::map<std::string, std::map<int64_t, std::string>> acked;
  std::map<int64_t, int> shards_seen;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Session s(server.resp_port(), 3);
      for (int i = 0; i < kAppends; ++i) {
        const std::string stream = "many/t/" + std::to_string((c * 5 + i) % kStreams);
        std::string data = "c" + std::to_string(c) + "-" + std::to_string(i);
        RespValue r = s.Map({"EAPPEND", stream, "ANY", "EVENT", "A", data});
        std::lock_guard<std::mutex> lock(mu);
        ++shards_seen[Int(r, "shard")];
        EXPECT_TRUE(acked[stream].emplace(Int(r, "first_version"), data).second)
            << stream << " acknowledged twice";
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(shards_seen.size(), 3u) << "the streams did not reach every shard";
  Session s(server.resp_port(), 2);
  size_t total = 0;
  for (const auto& [stream, versions] : acked) {
    std::map<int64_t, std::string> stored = ReadAll(s, stream);
    EXPECT_EQ(stored, versions) << stream;
    if (!stored.empty()) {
      EXPECT_EQ(stored.rbegin()->first, static_cast<int64_t>(stored.size())) << stream;
    }
    total += stored.size();
  }
  EXPECT_EQ(total, static_cast<size_t>(kClients * kAppends));
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

}  // namespace
}  // namespace cairn::testing
