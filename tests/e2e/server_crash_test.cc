// End-to-end crash test: writers append over RESP with exact expected versions and record
// every acknowledgement; the server is SIGKILLed and restarted, cycle after cycle. After each
// restart every acknowledged event must read back identical, versions gap-free, and an
// append in flight at the kill either committed whole or not at all.
//
// CAIRN_E2E_CYCLES sets the number of kills (default 20; the slow tier runs 200).

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/server_process.h"

namespace cairn {
namespace {

constexpr int kWriters = 6;
constexpr int kStreamsPerWriter = 20;

struct StreamModel {
  std::string name;
  std::vector<std::string> acked;    // payloads of versions 1..acked.size()
  std::vector<std::string> pending;  // payloads of the append in flight at the kill
};

// A reply map (RESP2 flat array) field as an integer; -1 when absent.
long long Field(const redisReply* r, const char* key) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return -1;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    if (std::string(r->element[i]->str, r->element[i]->len) == key &&
        r->element[i + 1]->type == REDIS_REPLY_INTEGER) {
      return r->element[i + 1]->integer;
    }
  }
  return -1;
}

const redisReply* MapValue(const redisReply* r, const char* key) {
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    if (std::string(r->element[i]->str, r->element[i]->len) == key) return r->element[i + 1];
  }
  return nullptr;
}

// Appends until the connection fails (the kill). Returns the acknowledged count.
uint64_t Writer(uint16_t port, std::vector<StreamModel>* streams, uint32_t seed,
                std::atomic<bool>* failed, std::string* failure) {
  redisContext* ctx = redisConnect("127.0.0.1", port);
  if (ctx == nullptr || ctx->err) {
    if (ctx) redisFree(ctx);
    return 0;
  }
  std::mt19937 rng(seed);
  uint64_t acks = 0;
  for (;;) {
    StreamModel& s = (*streams)[rng() % streams->size()];
    int n = 1 + static_cast<int>(rng() % 3);
    std::vector<std::string> args = {"EAPPEND", s.name, std::to_string(s.acked.size())};
    std::vector<std::string> payloads;
    for (int i = 0; i < n; ++i) {
      payloads.push_back(s.name + "#" + std::to_string(s.acked.size() + 1 + i) + "#" +
                         std::to_string(rng()));
      args.insert(args.end(), {"EVENT", "Tick", payloads.back()});
    }
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    s.pending = payloads;
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (r == nullptr) break;  // the server is gone: `pending` may or may not have committed
    long long first = Field(r, "first_version");
    if (first < 0) {
      *failure = std::string("append refused: ") + (r->str ? r->str : "?");
      failed->store(true);
      freeReplyObject(r);
      break;
    }
    if (static_cast<uint64_t>(first) != s.acked.size() + 1) {
      *failure = s.name + ": acknowledged first_version " + std::to_string(first) + ", expected " +
                 std::to_string(s.acked.size() + 1);
      failed->store(true);
    }
    s.acked.insert(s.acked.end(), payloads.begin(), payloads.end());
    s.pending.clear();
    ++acks;
    freeReplyObject(r);
  }
  redisFree(ctx);
  return acks;
}

// Reads every stream back and reconciles the model; returns a failure or "".
std::string Check(uint16_t port, std::vector<std::vector<StreamModel>>* all) {
  redisContext* ctx = redisConnect("127.0.0.1", port);
  if (ctx == nullptr || ctx->err) return "cannot connect for the check";
  std::string failure;
  for (auto& streams : *all) {
    for (StreamModel& s : streams) {
      // Every event, a page of at most 10,000 (a read's limit) at a time.
      std::vector<redisReply*> pages;
      std::vector<const redisReply*> events;
      for (unsigned long long from = 1;;) {
        auto* r = static_cast<redisReply*>(
            redisCommand(ctx, "EREAD %s FROM %llu COUNT 10000", s.name.c_str(), from));
        if (r == nullptr || r->type != REDIS_REPLY_ARRAY) {
          failure = "EREAD " + s.name + " failed";
          if (r) freeReplyObject(r);
          break;
        }
        pages.push_back(r);
        const redisReply* page = MapValue(r, "events");
        for (size_t i = 0; i < page->elements; ++i) events.push_back(page->element[i]);
        if (page->elements < 10000) break;
        from += page->elements;
      }
      const size_t n = events.size();
      const size_t acked = s.acked.size();
      const bool committed_pending = n == acked + s.pending.size() && !s.pending.empty();
      if (failure.empty() && n != acked && !committed_pending) {
        failure = s.name + ": " + std::to_string(n) + " events after restart, acknowledged " +
                  std::to_string(acked) + " with " + std::to_string(s.pending.size()) +
                  " in flight";
      }
      for (size_t i = 0; i < n && failure.empty(); ++i) {
        const redisReply* e = events[i];
        long long version = Field(e, "version");
        const redisReply* data = MapValue(e, "data");
        std::string got(data->str, data->len);
        const std::string& want = i < acked ? s.acked[i] : s.pending[i - acked];
        if (version != static_cast<long long>(i + 1) || got != want) {
          failure = s.name + " version " + std::to_string(i + 1) + ": read version " +
                    std::to_string(version) + " data '" + got + "', expected '" + want + "'";
        }
      }
      if (committed_pending && failure.empty()) {
        s.acked.insert(s.acked.end(), s.pending.begin(), s.pending.end());
      }
      s.pending.clear();
      for (redisReply* r : pages) freeReplyObject(r);
      if (!failure.empty()) break;
    }
    if (!failure.empty()) break;
  }
  redisFree(ctx);
  return failure;
}

TEST(ServerCrash, AcknowledgedAppendsSurviveSigkill) {
  int cycles = 20;
  if (const char* c = std::getenv("CAIRN_E2E_CYCLES")) cycles = std::atoi(c);
  testing::ServerProcess server({"--shards", "2"});
  ASSERT_TRUE(server.Start()) << server.error() << server.LogTail();
  std::vector<std::vector<StreamModel>> all(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kStreamsPerWriter; ++i) {
      all[w].push_back({"org" + std::to_string(w) + "/acct/" + std::to_string(i), {}, {}});
    }
  }
  std::mt19937 rng(20261125);
  uint64_t total_acks = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    std::atomic<bool> failed{false};
    std::vector<std::string> failures(kWriters);
    std::vector<uint64_t> acks(kWriters);
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        acks[w] = Writer(server.resp_port(), &all[w], rng() + static_cast<uint32_t>(w), &failed,
                         &failures[w]);
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 300));
    server.Kill();
    for (auto& t : writers) t.join();
    for (int w = 0; w < kWriters; ++w) {
      ASSERT_FALSE(failed.load()) << "cycle " << cycle << ": " << failures[w];
      total_acks += acks[w];
    }
    ASSERT_TRUE(server.Restart()) << "cycle " << cycle << ": " << server.error()
                                  << server.LogTail();
    std::string failure = Check(server.resp_port(), &all);
    ASSERT_TRUE(failure.empty()) << "cycle " << cycle << ": " << failure << "\n"
                                 << server.LogTail();
  }
  EXPECT_GT(total_acks, static_cast<uint64_t>(cycles));  // the writers did get work done
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
  std::printf("%d kills, %llu acknowledged appends, all read back\n", cycles,
              static_cast<unsigned long long>(total_acks));
}

}  // namespace
}  // namespace cairn
