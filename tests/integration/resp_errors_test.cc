// RESP integration tests of the error codes reachable through `cairn serve` (ERR, INVALID,
// TOOLARGE, BUSY here; CONFLICT, DELETED, CROSSSHARD and IDEMPOTENCY with the commands in
// resp_test.cc and resp_read_test.cc): the code word, and that the connection and the data
// are unharmed afterwards.

#include <gtest/gtest.h>

#include <string>

#include "resp_test_util.h"

namespace cairn::testing {
namespace {

class RespErrorsTest : public SharedServerTest {};

INSTANTIATE_TEST_SUITE_P(Resp, RespErrorsTest, ::testing::Values(2, 3),
                         [](const auto& info) { return "RESP" + std::to_string(info.param); });

TEST_P(RespErrorsTest, SyntaxAndUnknownCommandsAreErr) {
  std::string st = Stream("t", "1");
  std::string m = s_.Error({"NOSUCHCOMMAND", "x"}, "ERR");
  EXPECT_NE(m.find("unknown command"), std::string::npos) << m;
  s_.Error({"EREAD", st, "BOGUS"}, "ERR");
  s_.Error({"EREAD", st, "COUNT"}, "ERR");  // option without its value
  s_.Error({"EREAD"}, "ERR");
  s_.Error({"EAPPEND", st, "ANY"}, "ERR");                // no EVENT
  s_.Error({"EAPPEND", st, "ANY", "EVENT", "A"}, "ERR");  // EVENT without data
  s_.Error({"EAPPEND", st, "ANY", "EVNT", "A", "1"}, "ERR");
  s_.Error({"EAPPEND", st}, "ERR");
  s_.Error({"ETXN"}, "ERR");
  s_.Error({"ETXN", "STREAM", st}, "ERR");
  s_.Error({"ETXN", "NOTSTREAM", st, "ANY"}, "ERR");
  s_.Error({"EINFO"}, "ERR");
  s_.Error({"EINFO", st, "extra"}, "ERR");
  s_.Error({"ETYPES"}, "ERR");
  s_.Error({"EORGS", "x"}, "ERR");
  s_.Error({"EDELETE", st}, "ERR");
  s_.Error({"EDELETE", st, "ANY", "SOFTLY"}, "ERR");
  s_.Error({"ETRIM", st}, "ERR");
  s_.Error({"ESCAN"}, "ERR");
  s_.Error({"ESTREAMS", org_, "BEFORE", "x"}, "ERR");
  s_.Error({"EKEY"}, "ERR");
  s_.Error({"EKEY", "BURN", org_}, "ERR");
  s_.Error({"EKEY", "ROTATE", org_, "extra"}, "ERR");
  // Without a key file, key commands are refused as requests, not as syntax.
  m = s_.Error({"EKEY", "ROTATE", org_}, "INVALID");
  EXPECT_NE(m.find("not configured"), std::string::npos) << m;
  s_.Error({"ESCHEMA", "LIST"}, "ERR");
  s_.Error({"ESCHEMA", "DROP", org_, "T"}, "ERR");
  s_.Error({"ESCHEMA", "REGISTER", org_, "T", "1.0.0"}, "ERR");
  s_.Error({"ESCHEMA", "GET", org_}, "ERR");
  s_.Error({"EWATCH", st, "LIVE", "FROM", "1"}, "ERR");
  s_.Error({"EGROUP", "RESET", "g", st}, "ERR");
  // Nothing was written, and the connection still works.
  EXPECT_EQ(Int(s_.Map({"EREAD", st}), "version"), 0);
  EXPECT_EQ(s_.Call({"PING"}).str, "PONG");
}

TEST_P(RespErrorsTest, RuleBreakingArgumentsAreInvalid) {
  std::string st = Stream("t", "1");
  struct Case {
    Args cmd;
    std::string mentions;  // the message names the argument
  };
  std::string long_org(65, 'o');
  std::vector<Case> cases = {
      {{"EAPPEND", "nostream", "ANY", "EVENT", "A", "1"}, "stream"},
      {{"EAPPEND", org_ + "/onlytype", "ANY", "EVENT", "A", "1"}, "stream"},
      {{"EAPPEND", org_ + "/t/", "ANY", "EVENT", "A", "1"}, ""},
      {{"EAPPEND", "bad org/t/1", "ANY", "EVENT", "A", "1"}, "org"},
      {{"EAPPEND", long_org + "/t/1", "ANY", "EVENT", "A", "1"}, "org"},
      {{"EAPPEND", org_ + "/bad*type/1", "ANY", "EVENT", "A", "1"}, "type"},
      {{"EAPPEND", org_ + "/t/line\nbreak", "ANY", "EVENT", "A", "1"}, "id"},
      {{"EAPPEND", org_ + "/t/" + std::string(257, 'i'), "ANY", "EVENT", "A", "1"}, "id"},
      {{"EAPPEND", st, "-1", "EVENT", "A", "1"}, "expected"},
      {{"EAPPEND", st, "MAYBE", "EVENT", "A", "1"}, "expected"},
      {{"EAPPEND", st, "1.5", "EVENT", "A", "1"}, "expected"},
      {{"EAPPEND", st, "ANY", "EVENT", "bad type", "1"}, "type"},
      {{"EAPPEND", st, "ANY", "EVENT", std::string(129, 'T'), "1"}, "type"},
      {{"EAPPEND", st, "ANY", "EVENT", "A", "1", "ID", "not-a-uuid"}, "uuid"},
      {{"ETXN", "STREAM", st, "sometimes", "EVENT", "A", "1"}, "expected"},
      {{"EDELETE", st, "never"}, "expected"},
      {{"EREAD", st, "FROM", "-3"}, "FROM"},
      {{"EREAD", st, "COUNT", "lots"}, "COUNT"},
      {{"EREAD", "a/b"}, "stream"},
      {{"ESCAN", "#x"}, ""},
  };
  for (const Case& c : cases) {
    std::string m = s_.Error(c.cmd, "INVALID");
    std::string lower = m;
    for (char& ch : lower) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    std::string want = c.mentions;
    for (char& ch : want) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    EXPECT_NE(lower.find(want), std::string::npos)
        << Session::Join(c.cmd) << " -> " << m << " (should name " << c.mentions << ")";
  }
  // Limits are inclusive: 64-character org, 128-character type, 256-byte id.
  std::string edge = (org_ + std::string(64, 'o')).substr(0, 64) + "/t/" + std::string(256, 'i');
  EXPECT_EQ(
      Int(s_.Map({"EAPPEND", edge, "ANY", "EVENT", std::string(128, 'T'), "1"}), "last_version"),
      1);
  EXPECT_EQ(Int(s_.Map({"EREAD", st}), "version"), 0);
}

TEST_P(RespErrorsTest, IdempotencyKeyLength) {
  std::string st = Stream("t", "key");
  s_.Error({"EAPPEND", st, "ANY", "IDEMPOTENCY", std::string(129, 'k'), "EVENT", "A", "1"},
           "INVALID");
  Args at_limit = {"EAPPEND", st, "ANY", "IDEMPOTENCY", std::string(128, 'k'), "EVENT", "A", "1"};
  EXPECT_EQ(Int(s_.Map(at_limit), "last_version"), 1);
  EXPECT_TRUE(s_.Bool(Field(s_.Map(at_limit), "duplicate")));
}

// Keys are 1-128 bytes: an empty key is refused, not taken as "no key" (which would append
// again on every retry the client believes idempotent).
TEST_P(RespErrorsTest, EmptyIdempotencyKeyIsInvalid) {
  std::string st = Stream("t", "emptykey");
  s_.Error({"EAPPEND", st, "ANY", "IDEMPOTENCY", "", "EVENT", "A", "1"}, "INVALID");
  s_.Error({"ETXN", "IDEMPOTENCY", "", "STREAM", st, "ANY", "EVENT", "A", "1"}, "INVALID");
  EXPECT_EQ(Int(s_.Map({"EREAD", st}), "version"), 0);
}

TEST_P(RespErrorsTest, TooManyEventsInOneAppend) {
  std::string st = Stream("t", "many");
  Args cmd = {"EAPPEND", st, "ANY"};
  for (int i = 0; i < 10001; ++i) cmd.insert(cmd.end(), {"EVENT", "A", "x"});
  s_.Error(cmd, "TOOLARGE");
  cmd.resize(cmd.size() - 3);
  EXPECT_EQ(Int(s_.Map(cmd), "last_version"), 10000);
}

TEST_P(RespErrorsTest, EventOverOneMebibyteIsTooLarge) {
  std::string st = Stream("t", "big");
  std::string m =
      s_.Error({"EAPPEND", st, "ANY", "EVENT", "A", std::string((1 << 20) + 1, 'x')}, "TOOLARGE");
  EXPECT_NE(m.find("data"), std::string::npos) << m;
  s_.Error({"EAPPEND", st, "ANY", "EVENT", "A", "1", "META", std::string((64 << 10) + 1, 'm')},
           "TOOLARGE");
  // Exactly at the limit is fine, and reads back whole.
  std::string mib(1 << 20, 'y');
  mib[12345] = 'z';
  EXPECT_EQ(Int(s_.Map({"EAPPEND", st, "ANY", "EVENT", "A", mib}), "last_version"), 1);
  RespValue r = s_.Map({"EREAD", st});
  ASSERT_EQ(Items(r, "events").size(), 1u);
  EXPECT_TRUE(Str(Items(r, "events")[0], "data") == mib);
  EXPECT_EQ(s_.Call({"PING"}).str, "PONG");
}

// A server with a small request limit.
TEST(RespLimitsTest, RequestOverMaxRequestBytesIsTooLarge) {
  ServerProcess server({"--shards", "1", "--max-request-bytes", "64KiB"});
  ASSERT_TRUE(server.Start()) << server.error();
  Session s(server.resp_port(), 3);
  // Two events under the event limit, over the request limit together: refused by the engine,
  // the connection stays usable.
  std::string half(40 << 10, 'h');
  std::string m =
      s.Error({"EAPPEND", "o/t/1", "ANY", "EVENT", "A", half, "EVENT", "A", half}, "TOOLARGE");
  EXPECT_NE(m.find("request"), std::string::npos) << m;
  EXPECT_EQ(Int(s.Map({"EAPPEND", "o/t/1", "ANY", "EVENT", "A", half}), "last_version"), 1);
  // A frame far over the limit is refused as soon as its header is read: the server answers
  // TOOLARGE and closes (the frame cannot be skipped safely).
  RespClient raw(server.resp_port());
  raw.SendRaw("*6\r\n$7\r\nEAPPEND\r\n$5\r\no/t/1\r\n$3\r\nANY\r\n$5\r\nEVENT\r\n$1\r\nA\r\n$" +
              std::to_string(8 << 20) + "\r\n");
  ASSERT_TRUE(raw.Flush());
  auto v = raw.Read();
  ASSERT_TRUE(v.has_value()) << raw.last_error();
  EXPECT_EQ(v->ErrorCode(), "TOOLARGE") << v->Debug();
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_EQ(Versions(s.Map({"EREAD", "o/t/1"})), (std::vector<int64_t>{1}));
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

// Back-pressure: with one read thread and one queued read, a deep pipeline of reads gets
// BUSY for some; every request still gets its reply, in order.
TEST(RespLimitsTest, ReadsOverTheQueueLimitAreBusyAndRepliesStayInOrder) {
  ServerProcess server({"--shards", "2", "--max-queued-reads", "1", "--read-threads", "1"});
  ASSERT_TRUE(server.Start()) << server.error();
  Session s(server.resp_port(), 3);
  for (int i = 0; i < 5; ++i) {
    s.Map({"EAPPEND", "busy/t/" + std::to_string(i), "ANY", "EVENT", "A", std::to_string(i)});
  }
  constexpr int kRounds = 600;
  RespClient& c = s.client();
  for (int i = 0; i < kRounds; ++i) {
    if (i % 2 == 0) {
      c.Send({"EREAD", "busy/t/" + std::to_string(i % 5)});
    } else {
      c.Send({"ESCAN", "busy", "COUNT", "100"});
    }
    c.Send({"PING", "m" + std::to_string(i)});
  }
  ASSERT_TRUE(c.Flush());
  int busy = 0, ok = 0;
  for (int i = 0; i < kRounds; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "reply " << i << ": " << c.last_error();
    if (r->IsError()) {
      EXPECT_EQ(r->ErrorCode(), "BUSY") << r->Debug();
      ++busy;
    } else {
      ASSERT_TRUE(r->IsMap()) << r->Debug();
      ++ok;
      const auto& events = Items(*r, "events");
      if (i % 2 == 0) {
        ASSERT_EQ(events.size(), 1u) << r->Debug();
        EXPECT_EQ(Str(events[0], "data"), std::to_string(i % 5)) << "reply " << i;
      } else {
        EXPECT_EQ(events.size(), 5u) << r->Debug();
      }
    }
    auto pong = c.Read();
    ASSERT_TRUE(pong.has_value()) << c.last_error();
    EXPECT_EQ(pong->str, "m" + std::to_string(i)) << "replies out of order at " << i;
  }
  EXPECT_GT(busy, 0) << "no BUSY with --max-queued-reads 1";
  EXPECT_GT(ok, 0);
  // The queue drains: a read later succeeds.
  EXPECT_EQ(Int(s.Map({"EREAD", "busy/t/0"}), "version"), 1);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

// Back-pressure on writes: a deep pipeline of appends over a small shard queue. Appends
// that got BUSY committed nothing; the others got versions 1..k in request order.
TEST(RespLimitsTest, AppendsOverTheShardQueueAreBusyAndCommitNothing) {
  ServerProcess server({"--shards", "1", "--max-queued-per-shard", "16"});
  ASSERT_TRUE(server.Start()) << server.error();
  Session s(server.resp_port(), 2);
  RespClient& c = s.client();
  constexpr int kAppends = 3000;
  for (int i = 0; i < kAppends; ++i) {
    c.Send({"EAPPEND", "wbusy/t/1", "ANY", "EVENT", "A", std::to_string(i)});
  }
  ASSERT_TRUE(c.Flush());
  int busy = 0;
  std::vector<std::string> committed;
  for (int i = 0; i < kAppends; ++i) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "reply " << i << ": " << c.last_error();
    if (r->IsError()) {
      EXPECT_EQ(r->ErrorCode(), "BUSY") << r->Debug();
      ++busy;
      continue;
    }
    committed.push_back(std::to_string(i));
    EXPECT_EQ(Int(*r, "last_version"), static_cast<int64_t>(committed.size())) << "reply " << i;
  }
  EXPECT_GT(busy, 0) << "no BUSY with --max-queued-per-shard 16";
  std::vector<std::string> stored;
  for (std::string from = "1";;) {
    RespValue r = s.Map({"EREAD", "wbusy/t/1", "FROM", from, "COUNT", "1000"});
    for (const RespValue& e : Items(r, "events")) stored.push_back(Str(e, "data"));
    if (Field(r, "next").null || Items(r, "events").empty()) break;
    from = std::to_string(Int(r, "next"));
  }
  EXPECT_EQ(stored, committed);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

}  // namespace
}  // namespace cairn::testing
