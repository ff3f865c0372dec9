// The client against a real redis-server: HELLO 3, PING, deep pipelines, and RESP2 and
// RESP3 replies of each shape. Skipped when redis-server is not installed.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "cairn/client.h"

namespace cairn::client {
namespace {

constexpr const char* kRedisServer = "/usr/bin/redis-server";

uint16_t FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// One redis-server per test suite, on a free loopback port, no persistence.
class RedisTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(kRedisServer, X_OK) != 0) return;
    port_ = FreeLoopbackPort();
    std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ == 0) {
      int null_fd = ::open("/dev/null", O_WRONLY);
      ::dup2(null_fd, STDOUT_FILENO);
      ::dup2(null_fd, STDERR_FILENO);
      ::execl(kRedisServer, kRedisServer, "--port", port.c_str(), "--bind", "127.0.0.1", "--save",
              "", "--appendonly", "no", "--loglevel", "warning", "--dir", "/tmp",
              "--enable-debug-command", "local", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      auto c = Client::Connect(address());
      if (c.ok() && c->Ping().ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  void SetUp() override {
    if (pid_ <= 0) GTEST_SKIP() << kRedisServer << " is not installed";
  }
  static std::string address() { return "127.0.0.1:" + std::to_string(port_); }
  static std::unique_ptr<Connection> Connect(int protocol) {
    ConnectionOptions o;
    o.protocol = protocol;
    auto c = Connection::Connect(address(), o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  static inline pid_t pid_ = -1;
  static inline uint16_t port_ = 0;
};

TEST_F(RedisTest, HelloAndPing) {
  auto c3 = Connect(3);
  ASSERT_NE(c3, nullptr);
  EXPECT_EQ(c3->protocol(), 3);
  auto pong = c3->Call({"PING"});
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(*pong, RespValue::Simple("PONG"));
  auto hello = c3->Call({"HELLO", "3"});
  ASSERT_TRUE(hello.ok());
  ASSERT_EQ(hello->type, RespType::kMap);
  ASSERT_NE(hello->Find("proto"), nullptr);
  EXPECT_EQ(hello->Find("proto")->integer, 3);

  auto c2 = Connect(2);
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->protocol(), 2);
  auto echo = c2->Call({"ECHO", std::string_view("a\r\n\0b", 5)});
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(*echo, RespValue::Bulk(std::string("a\r\n\0b", 5)));

  auto client = Client::Connect(address());
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(client->Ping().ok());
}

TEST_F(RedisTest, PipelinedSetGetThousandDeep) {
  for (int protocol : {2, 3}) {
    auto c = Connect(protocol);
    ASSERT_NE(c, nullptr);
    constexpr int kDepth = 1000;
    std::string prefix = "p" + std::to_string(protocol) + ":";
    for (int i = 0; i < kDepth; ++i) {
      std::string k = prefix + std::to_string(i);
      std::string v(i % 100, static_cast<char>('a' + i % 26));
      c->Queue({"SET", k, v});
    }
    for (int i = 0; i < kDepth; ++i) {
      std::string k = prefix + std::to_string(i);
      c->Queue({"GET", k});
    }
    EXPECT_EQ(c->pending(), 2u * kDepth);
    for (int i = 0; i < kDepth; ++i) {
      auto r = c->ReadReply();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(*r, RespValue::Simple("OK")) << i;
    }
    for (int i = 0; i < kDepth; ++i) {
      auto r = c->ReadReply();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(*r, RespValue::Bulk(std::string(i % 100, static_cast<char>('a' + i % 26)))) << i;
    }
    EXPECT_EQ(c->pending(), 0u);
  }
}

// A pipeline whose replies exceed the socket buffers: the connection reads while it writes.
TEST_F(RedisTest, DeepPipelineOfLargeRepliesDoesNotDeadlock) {
  auto c = Connect(3);
  ASSERT_NE(c, nullptr);
  std::string big(256 << 10, 'z');
  ASSERT_TRUE(c->Call({"SET", "big", big}).ok());
  for (int i = 0; i < 200; ++i) c->Queue({"GET", "big"});
  for (int i = 0; i < 200; ++i) {
    auto r = c->ReadReply();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->str.size(), big.size());
  }
}

TEST_F(RedisTest, MapsArraysSetsDoublesNullsErrors) {
  for (int protocol : {2, 3}) {
    auto c = Connect(protocol);
    ASSERT_NE(c, nullptr);
    std::string h = "hash" + std::to_string(protocol);
    ASSERT_TRUE(c->Call({"DEL", h}).ok());
    auto n = c->Call({"HSET", h, "f1", "v1", "f2", "v2"});
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, RespValue::Integer(2));
    auto all = c->Call({"HGETALL", h});
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->type, protocol == 3 ? RespType::kMap : RespType::kArray);
    EXPECT_EQ(all->elements.size(), 4u);
    ASSERT_NE(all->Find("f2"), nullptr);
    EXPECT_EQ(all->Find("f2")->str, "v2");

    std::string z = "zset" + std::to_string(protocol);
    ASSERT_TRUE(c->Call({"ZADD", z, "1.5", "m"}).ok());
    auto score = c->Call({"ZSCORE", z, "m"});
    ASSERT_TRUE(score.ok());
    if (protocol == 3) {
      EXPECT_EQ(score->type, RespType::kDouble);
      EXPECT_EQ(score->number, 1.5);
    } else {
      EXPECT_EQ(*score, RespValue::Bulk("1.5"));
    }

    std::string s = "set" + std::to_string(protocol);
    ASSERT_TRUE(c->Call({"SADD", s, "x"}).ok());
    auto members = c->Call({"SMEMBERS", s});
    ASSERT_TRUE(members.ok());
    EXPECT_EQ(members->type, protocol == 3 ? RespType::kSet : RespType::kArray);
    ASSERT_EQ(members->elements.size(), 1u);
    EXPECT_EQ(members->elements[0], RespValue::Bulk("x"));

    auto missing = c->Call({"GET", "no-such-key"});
    ASSERT_TRUE(missing.ok());
    EXPECT_TRUE(missing->IsNull());

    auto list = c->Call({"LRANGE", "no-such-list", "0", "-1"});
    ASSERT_TRUE(list.ok());
    EXPECT_EQ(list->type, RespType::kArray);
    EXPECT_TRUE(list->elements.empty());

    auto err = c->Call({"NOSUCHCOMMAND"});
    ASSERT_TRUE(err.ok());
    ASSERT_TRUE(err->IsError());
    EXPECT_TRUE(err->str.starts_with("ERR ")) << err->str;
    Status st = StatusFromErrorReply(err->str);
    EXPECT_EQ(ErrorWord(st), "ERR");

    // Nested: a map of arrays (RESP3) or an array of arrays (RESP2).
    auto info = c->Call({"COMMAND", "INFO", "GET"});
    ASSERT_TRUE(info.ok());
    ASSERT_EQ(info->type, RespType::kArray);
    ASSERT_EQ(info->elements.size(), 1u);
    EXPECT_EQ(info->elements[0].type, RespType::kArray);
    // Still usable after an error reply.
    auto pong = c->Call({"PING"});
    ASSERT_TRUE(pong.ok());
    EXPECT_EQ(*pong, RespValue::Simple("PONG"));
  }
}

TEST_F(RedisTest, VerbatimAndBigNumberInResp3) {
  auto c = Connect(3);
  ASSERT_NE(c, nullptr);
  auto info = c->Call({"INFO", "server"});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->type, RespType::kVerbatim);
  EXPECT_NE(info->str.find("redis_version"), std::string::npos);
  auto big = c->Call({"DEBUG", "PROTOCOL", "bignum"});
  ASSERT_TRUE(big.ok());
  ASSERT_FALSE(big->IsError()) << big->str;
  EXPECT_EQ(big->type, RespType::kBigNumber);
  auto attrib = c->Call({"DEBUG", "PROTOCOL", "attrib"});
  ASSERT_TRUE(attrib.ok());
  ASSERT_FALSE(attrib->IsError()) << attrib->str;
  EXPECT_EQ(attrib->type, RespType::kBulkString);  // the attribute itself is dropped
}

TEST_F(RedisTest, ServerClosingIsUnavailable) {
  auto c = Connect(3);
  ASSERT_NE(c, nullptr);
  auto r = c->Call({"QUIT"});
  ASSERT_TRUE(r.ok());
  auto after = c->Call({"PING"});
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(c->status().ok());
}

}  // namespace
}  // namespace cairn::client
