// Integration tests with hiredis (RESP2, as hiredis speaks it): the reply types hiredis
// sees, a pipeline 1,000 deep on one connection, and 10,000 concurrent connections.

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "http_client.h"
#include "server_process.h"

namespace cairn::testing {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

Context Connect(uint16_t port) {
  Context c(redisConnect("127.0.0.1", port));
  EXPECT_TRUE(c != nullptr && c->err == 0) << (c ? c->errstr : "no context");
  return c;
}

Reply Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data())));
}

void Append(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  ASSERT_EQ(redisAppendCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()),
            REDIS_OK);
}

Reply GetReply(redisContext* c) {
  void* r = nullptr;
  if (redisGetReply(c, &r) != REDIS_OK) return nullptr;
  return Reply(static_cast<redisReply*>(r));
}

// A field of a RESP2 map reply (flat array of key, value).
const redisReply* Field(const redisReply* r, const std::string& key) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) return nullptr;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    const redisReply* k = r->element[i];
    if (k->type == REDIS_REPLY_STRING && std::string(k->str, k->len) == key)
      return r->element[i + 1];
  }
  return nullptr;
}

int64_t IntField(const redisReply* r, const std::string& key) {
  const redisReply* v = Field(r, key);
  EXPECT_TRUE(v != nullptr && v->type == REDIS_REPLY_INTEGER) << key;
  return v != nullptr && v->type == REDIS_REPLY_INTEGER ? v->integer : -1;
}

class HiredisTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.error(); }
  void TearDown() override { EXPECT_EQ(server_.Stop(), 0) << server_.LogTail(); }
  ServerProcess server_{{"--shards", "2"}};
};

TEST_F(HiredisTest, Resp2ReplyTypes) {
  Context c = Connect(server_.resp_port());
  ASSERT_TRUE(c);
  Reply pong = Command(c.get(), {"PING"});
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->type, REDIS_REPLY_STATUS);
  EXPECT_STREQ(pong->str, "PONG");
  Reply a = Command(c.get(), {"EAPPEND", "h/t/1", "ANY", "EVENT", "A", "x", "EVENT", "B", "y"});
  ASSERT_TRUE(a);
  ASSERT_EQ(a->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(a->elements, 16u);
  EXPECT_EQ(IntField(a.get(), "last_version"), 2);
  const redisReply* dup = Field(a.get(), "duplicate");
  ASSERT_NE(dup, nullptr);
  EXPECT_EQ(dup->type, REDIS_REPLY_INTEGER);
  EXPECT_EQ(dup->integer, 0);
  Reply r = Command(c.get(), {"EREAD", "h/t/1"});
  ASSERT_TRUE(r);
  const redisReply* events = Field(r.get(), "events");
  ASSERT_NE(events, nullptr);
  ASSERT_EQ(events->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(events->elements, 2u);
  EXPECT_EQ(events->element[1]->type, REDIS_REPLY_ARRAY);
  const redisReply* data = Field(events->element[1], "data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(std::string(data->str, data->len), "y");
  const redisReply* next = Field(r.get(), "next");
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->type, REDIS_REPLY_NIL);
  Reply conflict = Command(c.get(), {"EAPPEND", "h/t/1", "NONE", "EVENT", "A", "x"});
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(std::string(conflict->str).rfind("CONFLICT ", 0), 0u) << conflict->str;
  Reply name = Command(c.get(), {"CLIENT", "GETNAME"});
  ASSERT_TRUE(name);
  EXPECT_EQ(name->type, REDIS_REPLY_NIL);
  Reply info = Command(c.get(), {"INFO"});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, REDIS_REPLY_STRING);
  Reply orgs = Command(c.get(), {"EORGS"});
  ASSERT_TRUE(orgs);
  ASSERT_EQ(orgs->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(orgs->elements, 1u);
  EXPECT_STREQ(orgs->element[0]->str, "h");
  Reply verify = Command(c.get(), {"EVERIFY", "#0"});
  ASSERT_TRUE(verify);
  EXPECT_EQ(IntField(verify.get(), "ok"), 1);
}

// 1,000 requests written before any reply is read: EAPPEND, EREAD and PING mixed. Replies
// come back in request order; the appends get versions 1..N in order.
TEST_F(HiredisTest, PipelineOneThousandDeep) {
  Context c = Connect(server_.resp_port());
  ASSERT_TRUE(c);
  constexpr int kDepth = 1000;
  for (int i = 0; i < kDepth; ++i) {
    switch (i % 3) {
      case 0:
        Append(c.get(), {"EAPPEND", "pipe/t/1", "ANY", "EVENT", "E", "e" + std::to_string(i)});
        break;
      case 1:
        Append(c.get(), {"EREAD", "pipe/t/1", "COUNT", "1"});
        break;
      default:
        Append(c.get(), {"PING", "p" + std::to_string(i)});
    }
  }
  int64_t appends = 0;
  for (int i = 0; i < kDepth; ++i) {
    Reply r = GetReply(c.get());
    ASSERT_TRUE(r) << "reply " << i << ": " << c->errstr;
    ASSERT_NE(r->type, REDIS_REPLY_ERROR) << "reply " << i << ": " << r->str;
    switch (i % 3) {
      case 0:
        ++appends;
        EXPECT_EQ(IntField(r.get(), "first_version"), appends) << "reply " << i;
        break;
      case 1:
        EXPECT_NE(Field(r.get(), "events"), nullptr) << "reply " << i;
        EXPECT_NE(Field(r.get(), "version"), nullptr) << "reply " << i;
        break;
      default:
        ASSERT_EQ(r->type, REDIS_REPLY_STRING) << "reply " << i;
        EXPECT_EQ(std::string(r->str, r->len), "p" + std::to_string(i));
    }
  }
  // Every append is there with its data, in order.
  Reply all = Command(c.get(), {"EREAD", "pipe/t/1", "COUNT", "10000"});
  ASSERT_TRUE(all);
  const redisReply* events = Field(all.get(), "events");
  ASSERT_NE(events, nullptr);
  ASSERT_EQ(static_cast<int64_t>(events->elements), appends);
  for (size_t k = 0; k < events->elements; ++k) {
    const redisReply* data = Field(events->element[k], "data");
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(std::string(data->str, data->len), "e" + std::to_string(3 * k));
  }
}

// 10,000 connections open at once, each answers PING; a sample appends.
TEST(HiredisManyTest, TenThousandConcurrentConnections) {
  constexpr int kConnections = 10000;
  uint64_t limit = RaiseFileLimit();
  ASSERT_GE(limit, static_cast<uint64_t>(kConnections + 200))
      << "RLIMIT_NOFILE hard limit too low for this test";
  ServerProcess server({"--shards", "2"});
  ASSERT_TRUE(server.Start()) << server.error();
  std::vector<Context> conns;
  conns.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    Context c(redisConnect("127.0.0.1", server.resp_port()));
    ASSERT_TRUE(c != nullptr && c->err == 0)
        << "connection " << i << ": " << (c ? c->errstr : "no context");
    conns.push_back(std::move(c));
  }
  // Every connection sends before any reads, so all are open and busy at once.
  for (int i = 0; i < kConnections; ++i) {
    if (i % 100 == 0) {
      Append(conns[i].get(),
             {"EAPPEND", "many/t/" + std::to_string(i), "NONE", "EVENT", "A", std::to_string(i)});
    } else {
      Append(conns[i].get(), {"PING"});
    }
    int done = 0;
    ASSERT_EQ(redisBufferWrite(conns[i].get(), &done), REDIS_OK);
    ASSERT_EQ(done, 1);
  }
  for (int i = 0; i < kConnections; ++i) {
    Reply r = GetReply(conns[i].get());
    ASSERT_TRUE(r) << "connection " << i << ": " << conns[i]->errstr;
    if (i % 100 == 0) {
      EXPECT_EQ(IntField(r.get(), "last_version"), 1) << "connection " << i;
    } else {
      ASSERT_EQ(r->type, REDIS_REPLY_STATUS) << "connection " << i;
      EXPECT_STREQ(r->str, "PONG");
    }
  }
  // The server counts them all.
  HttpConn http(server.http_port());
  HttpResponse m = http.Request("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  size_t at = m.body.find("\ncairn_connections ");
  ASSERT_NE(at, std::string::npos) << m.body;
  EXPECT_GE(std::stoll(m.body.substr(at + 19)), kConnections) << "the connections gauge";
  conns.clear();
  // Closed connections leave the gauge.
  int64_t open = -1;
  for (int attempt = 0; attempt < 100; ++attempt) {
    HttpResponse g = http.Request("GET", "/metrics");
    size_t pos = g.body.find("\ncairn_connections ");
    open = pos == std::string::npos ? -1 : std::stoll(g.body.substr(pos + 19));
    if (open == 1) break;
    usleep(50000);
  }
  EXPECT_EQ(open, 1) << "connections still counted after every client closed";
  Context c = Connect(server.resp_port());
  ASSERT_TRUE(c);
  Reply streams = Command(c.get(), {"ESTREAMS", "many", "COUNT", "1000"});
  ASSERT_TRUE(streams);
  const redisReply* names = Field(streams.get(), "streams");
  ASSERT_NE(names, nullptr);
  EXPECT_EQ(names->elements, static_cast<size_t>(kConnections / 100));
  c.reset();
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

}  // namespace
}  // namespace cairn::testing
