// Integration tests of `cairn serve` under hostile or unusual clients: malformed bytes on
// both ports from many connections, SIGTERM while clients pipeline appends, the connection
// limit and the idle timeout.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "resp_test_util.h"
#include "server_process.h"

namespace cairn::testing {
namespace {

using namespace std::chrono_literals;

// Inputs that are not valid requests, or are cut short, or claim absurd sizes.
std::vector<std::string> RespJunk(std::mt19937& rng) {
  std::string random(4096, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  return {
      "*-5\r\n",
      "*1\r\n$99999999999\r\n",
      "*2\r\n$4\r\nECHO\r\n$2147483648\r\nab",
      "*99999999999999999999\r\n",
      "*3\r\n$4\r\nPING",        // truncated, then closed
      "*1\r\n$4\r\nPINGXX\r\n",  // bulk longer than its length
      "*1\r\n:5\r\n",            // not a bulk string
      "*x\r\n",
      "$5\r\nxyzzy\r\n",  // a bulk outside an array (inline junk)
      "*2\r\n$-7\r\n",
      std::string("\0\0\0\0\xff\xfe\r\n", 8),
      random,
      std::string(100000, 'A'),             // an inline command with no end
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",  // HTTP on the RESP port
  };
}

std::vector<std::string> HttpJunk(std::mt19937& rng) {
  std::string random(4096, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  return {
      "GARBAGE\r\n\r\n",
      "GET /health HTTP/9.9\r\n\r\n",
      "POST /v1/streams/a/b/c HTTP/1.1\r\nContent-Length: 99999999999999\r\n\r\n",
      "POST /v1/streams/a/b/c HTTP/1.1\r\nContent-Length: -4\r\n\r\n",
      "POST /v1/streams/a/b/c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST /v1/streams/a/b/c HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",  // truncated
      "GET /v1/orgs HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
      "GET /v1/%zz HTTP/1.1\r\nHost: x\r\n\r\n",
      "*1\r\n$4\r\nPING\r\n",  // RESP on the HTTP port
      std::string(70000, 'G'),
      random,
  };
}

// Sends `junk` on a fresh connection and drains whatever comes back until the server
// closes or goes quiet. Returns the reply bytes.
std::string Throw(uint16_t port, const std::string& junk) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return "CONNECT FAILED";
  ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);  // the server then sees the end of the bytes
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    char buf[8192];
    struct timeval tv {
      0, 200000
    };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return got;
}

// Every reply byte the server sent to junk must be well-formed RESP.
void ExpectWellFormedResp(const std::string& reply, const std::string& junk) {
  std::string_view rest = reply;
  while (!rest.empty()) {
    RespValue v;
    size_t used = 0;
    ASSERT_EQ(ParseResp(rest, &used, &v), ParseResult::kOk)
        << "malformed reply to " << junk.substr(0, 40) << ": " << reply.substr(0, 200);
    EXPECT_TRUE(v.IsError() || v.str == "PONG") << v.Debug();
    rest.remove_prefix(used);
  }
}

TEST(RobustnessTest, MalformedInputOnBothPortsLeavesServerAndDataIntact) {
  ServerProcess server({"--shards", "2"});
  ASSERT_TRUE(server.Start()) << server.error();
  Session s(server.resp_port(), 3);
  for (int i = 0; i < 20; ++i) {
    s.Map({"EAPPEND", "safe/t/" + std::to_string(i % 4), "ANY", "EVENT", "A",
           "payload-" + std::to_string(i)});
  }
  std::vector<std::string> before;
  for (int i = 0; i < 4; ++i)
    before.push_back(s.Map({"EREAD", "safe/t/" + std::to_string(i), "WITHHASH"}).Debug());

  constexpr int kThreads = 8;
  constexpr int kRounds = 4;
  std::vector<std::thread> threads;
  std::atomic<int> http_replies{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      for (int round = 0; round < kRounds; ++round) {
        for (const std::string& junk : RespJunk(rng)) {
          ExpectWellFormedResp(Throw(server.resp_port(), junk), junk);
        }
        for (const std::string& junk : HttpJunk(rng)) {
          std::string reply = Throw(server.http_port(), junk);
          if (reply.empty()) continue;  // closed (or waiting for more, then closed by us)
          EXPECT_TRUE(reply.rfind("HTTP/1.1 4", 0) == 0 || reply.rfind("HTTP/1.1 505", 0) == 0)
              << "reply to " << junk.substr(0, 40) << ": " << reply.substr(0, 200);
          http_replies.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GT(http_replies.load(), 0);
  // Still serving, on both ports, and the acknowledged events read back identical.
  Session after(server.resp_port(), 3);
  EXPECT_EQ(after.Call({"PING"}).str, "PONG");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(after.Map({"EREAD", "safe/t/" + std::to_string(i), "WITHHASH"}).Debug(), before[i]);
  }
  HttpConn http(server.http_port());
  EXPECT_EQ(http.Request("GET", "/health").status, 200);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

// SIGTERM while 20 connections pipeline appends: the server finishes what it accepted, exits
// 0, and after a restart every acknowledged append reads back.
TEST(RobustnessTest, GracefulShutdownKeepsEveryAcknowledgedAppend) {
  ServerProcess server({"--shards", "2"});
  ASSERT_TRUE(server.Start()) << server.error();
  constexpr int kClients = 20;
  constexpr int kWindow = 32;
  struct Acked {
    std::vector<std::string> data;  // data of versions 1..n, as acknowledged
    std::string failure;
  };
  std::vector<Acked> acked(kClients);
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      RespClient client(server.resp_port());
      std::string stream = "stop/t/" + std::to_string(c);
      started.fetch_add(1);
      for (int batch = 0;; ++batch) {
        for (int k = 0; k < kWindow; ++k) {
          client.Send({"EAPPEND", stream, "ANY", "EVENT", "A",
                       std::to_string(batch) + "." + std::to_string(k)});
        }
        if (!client.Flush()) return;
        for (int k = 0; k < kWindow; ++k) {
          auto r = client.Read(30000);
          if (!r) return;  // the server closed: what was acknowledged so far counts
          if (r->IsError()) {
            acked[c].failure = "append failed: " + r->Debug();
            return;
          }
          const RespValue* v = r->Find("last_version");
          if (v == nullptr || v->integer != static_cast<int64_t>(acked[c].data.size()) + 1) {
            acked[c].failure = "unexpected reply: " + r->Debug();
            return;
          }
          acked[c].data.push_back(std::to_string(batch) + "." + std::to_string(k));
        }
      }
    });
  }
  while (started.load() < kClients) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
  for (auto& t : threads) t.join();
  EXPECT_NE(server.Log().find("stopped cleanly"), std::string::npos) << server.LogTail();
  size_t total = 0;
  for (const Acked& a : acked) {
    EXPECT_EQ(a.failure, "");
    total += a.data.size();
  }
  EXPECT_GT(total, 0u);
  ASSERT_TRUE(server.Restart()) << server.error();
  Session s(server.resp_port(), 2);
  for (int c = 0; c < kClients; ++c) {
    std::vector<std::string> stored;
    for (std::string from = "1";;) {
      RespValue r = s.Map({"EREAD", "stop/t/" + std::to_string(c), "FROM", from, "COUNT", "5000"});
      for (const RespValue& e : Items(r, "events")) stored.push_back(Str(e, "data"));
      if (Field(r, "next").null || Items(r, "events").empty()) break;
      from = std::to_string(Int(r, "next"));
    }
    // Every acknowledged append is there; an append in flight at the stop may be too.
    ASSERT_GE(stored.size(), acked[c].data.size()) << "client " << c;
    stored.resize(acked[c].data.size());
    EXPECT_EQ(stored, acked[c].data) << "client " << c;
  }
  EXPECT_TRUE(s.Bool(Field(s.Map({"EVERIFY", "#0"}), "ok")));
  EXPECT_TRUE(s.Bool(Field(s.Map({"EVERIFY", "#1"}), "ok")));
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

// Idempotency keys are durable: a retry after a clean restart, and after SIGKILL, still
// returns the first result.
TEST(RobustnessTest, IdempotencyKeysSurviveRestarts) {
  ServerProcess server({"--shards", "1"});
  ASSERT_TRUE(server.Start()) << server.error();
  Args first = {"EAPPEND", "idem/t/1", "ANY", "IDEMPOTENCY", "k1", "EVENT", "A", "1"};
  Args second = {"EAPPEND", "idem/t/1", "ANY", "IDEMPOTENCY", "k2", "EVENT", "A", "2"};
  RespValue a = Session(server.resp_port(), 3).Map(first);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
  ASSERT_TRUE(server.Start()) << server.error();
  Session s(server.resp_port(), 3);
  RespValue a2 = s.Map(first);
  EXPECT_TRUE(s.Bool(Field(a2, "duplicate")));
  EXPECT_EQ(Int(a2, "timestamp"), Int(a, "timestamp"));
  RespValue b = s.Map(second);
  server.Kill();
  ASSERT_TRUE(server.Start()) << server.error();
  Session t(server.resp_port(), 3);
  RespValue b2 = t.Map(second);
  EXPECT_TRUE(t.Bool(Field(b2, "duplicate")));
  EXPECT_EQ(Int(b2, "first_position"), Int(b, "first_position"));
  EXPECT_TRUE(t.Bool(Field(t.Map(first), "duplicate")));
  EXPECT_EQ(Int(t.Map({"EREAD", "idem/t/1"}), "version"), 2);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

// A client that pipelines large reads and does not read the replies for a while: the
// server pauses reading (--max-output-bytes) and resumes when the client drains; every
// reply arrives, whole and in order.
TEST(RobustnessTest, SlowReaderGetsEveryReplyInOrder) {
  ServerProcess server({"--shards", "1", "--max-output-bytes", "64KiB", "--max-pipeline", "64"});
  ASSERT_TRUE(server.Start()) << server.error();
  Session s(server.resp_port(), 3);
  for (int i = 0; i < 4; ++i) {
    s.Map({"EAPPEND", "slow/t/" + std::to_string(i), "ANY", "EVENT", "A",
           std::string(20000, static_cast<char>('a' + i))});
  }
  constexpr int kRequests = 400;  // 8 MB of replies
  RespClient& c = s.client();
  for (int i = 0; i < kRequests; ++i) c.Send({"EREAD", "slow/t/" + std::to_string(i % 4)});
  std::thread writer([&] { EXPECT_TRUE(c.Flush()); });
  std::this_thread::sleep_for(500ms);  // the server's output fills and it stops reading
  for (int i = 0; i < kRequests; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "reply " << i << ": " << c.last_error();
    ASSERT_EQ(Items(*r, "events").size(), 1u) << r->Debug();
    EXPECT_EQ(Str(Items(*r, "events")[0], "data"),
              std::string(20000, static_cast<char>('a' + i % 4)))
        << "reply " << i;
  }
  writer.join();
  EXPECT_EQ(s.Call({"PING"}).str, "PONG");
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

// Shutdown does not wait for connections with nothing in flight: idle ones, and ones holding
// half a request.
TEST(RobustnessTest, ShutdownDoesNotWaitForIdleOrPartialRequests) {
  ServerProcess server({"--shards", "1"});
  ASSERT_TRUE(server.Start()) << server.error();
  RespClient idle_resp(server.resp_port());
  ASSERT_EQ(idle_resp.Call({"PING"}).str, "PONG");
  HttpConn idle_http(server.http_port());
  ASSERT_EQ(idle_http.Request("GET", "/health").status, 200);
  RespClient partial_resp(server.resp_port());
  partial_resp.SendRaw("*3\r\n$7\r\nEAPPEND\r\n$5\r\no/t/1");
  ASSERT_TRUE(partial_resp.Flush());
  HttpConn partial_http(server.http_port());
  ASSERT_TRUE(
      partial_http.SendRaw("POST /v1/streams/o/t/1 HTTP/1.1\r\nHost: x\r\n"
                           "Content-Length: 100\r\n\r\n{\"events\""));
  std::this_thread::sleep_for(100ms);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_TRUE(idle_resp.WaitClosed(1000));
  EXPECT_TRUE(idle_http.WaitClosed(1000));
  EXPECT_TRUE(partial_resp.WaitClosed(1000));
  EXPECT_TRUE(partial_http.WaitClosed(1000));
  // Nothing of the partial requests was written.
  ASSERT_TRUE(server.Start()) << server.error();
  EXPECT_EQ(Int(Session(server.resp_port(), 3).Map({"EINFO", "o/t/1"}), "version"), 0);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

TEST(RobustnessTest, ConnectionsOverTheLimitAreRefused) {
  ServerProcess server({"--shards", "1", "--max-connections", "3"});
  ASSERT_TRUE(server.Start()) << server.error();
  std::vector<RespClient> open;
  for (int i = 0; i < 3; ++i) {
    // Start()'s own PING connection holds a slot until the server has seen it close.
    bool admitted = false;
    for (int attempt = 0; attempt < 100 && !admitted; ++attempt) {
      open.emplace_back(server.resp_port());
      admitted = open.back().Call({"PING"}, 2000).str == "PONG";
      if (!admitted) {
        open.pop_back();
        std::this_thread::sleep_for(20ms);
      }
    }
    ASSERT_TRUE(admitted) << "connection " << i;
  }
  RespClient extra(server.resp_port());
  auto r = extra.Read(5000);
  ASSERT_TRUE(r.has_value()) << extra.last_error();
  EXPECT_EQ(r->ErrorCode(), "ERR") << r->Debug();
  EXPECT_TRUE(extra.WaitClosed());
  // A slot frees when a connection closes.
  open.pop_back();
  bool admitted = false;
  for (int attempt = 0; attempt < 100 && !admitted; ++attempt) {
    RespClient again(server.resp_port());
    admitted = again.Call({"PING"}, 2000).str == "PONG";
    if (!admitted) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(admitted);
  open.clear();
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

// An HTTP connection over the limit gets a complete 503 BUSY response, then the close.
TEST(RobustnessTest, HttpConnectionOverTheLimitGetsA503) {
  ServerProcess server({"--shards", "1", "--max-connections", "1"});
  ASSERT_TRUE(server.Start()) << server.error();
  // The slot of Start()'s own PING connection frees once the server has seen it close.
  std::unique_ptr<RespClient> holder;
  for (int attempt = 0; attempt < 100; ++attempt) {
    holder = std::make_unique<RespClient>(server.resp_port());
    if (holder->Call({"PING"}, 2000).str == "PONG") break;
    holder.reset();
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_NE(holder, nullptr) << "the only connection slot never freed";
  HttpConn http(server.http_port());
  HttpResponse h = http.Read(5000);
  EXPECT_EQ(h.status, 503) << "no complete response: " << http.last_error();
  EXPECT_EQ(h.Header("connection"), "close");
  EXPECT_NE(h.body.find("\"BUSY\""), std::string::npos) << h.body;
  holder->Close();
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

TEST(RobustnessTest, IdleConnectionsAreClosed) {
  ServerProcess server({"--shards", "1", "--idle-timeout-s", "1"});
  ASSERT_TRUE(server.Start()) << server.error();
  RespClient idle(server.resp_port());
  ASSERT_EQ(idle.Call({"PING"}).str, "PONG");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.WaitClosed(5000));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

TEST(RobustnessTest, APortInUseIsRefusedNotShared) {
  // The workers listen with SO_REUSEPORT; a second server on the same port must not join the
  // group and take half the connections: it refuses to start.
  ServerProcess first({"--shards", "1"});
  ASSERT_TRUE(first.Start()) << first.error();
  for (auto flag : {"--resp-port", "--http-port"}) {
    uint16_t port = std::string(flag) == "--resp-port" ? first.resp_port() : first.http_port();
    ServerProcess second({"--shards", "1", flag, std::to_string(port)});
    EXPECT_FALSE(second.Start()) << flag;
    EXPECT_NE(second.Log().find("Address already in use"), std::string::npos)
        << flag << ": " << second.LogTail();
  }
  RespClient c(first.resp_port());
  EXPECT_EQ(c.Call({"PING"}).str, "PONG");
  EXPECT_EQ(first.Stop(), 0) << first.LogTail();
}

}  // namespace
}  // namespace cairn::testing
