// RESP integration tests against a real `cairn serve`: the connection commands, and the
// append commands (EAPPEND, ETXN) of the wire contract (docs: shared/design/protocol.md),
// each run over RESP2 and RESP3. One server (4 shards, keyed by org) serves the whole
// suite; each test works in an org of its own.

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>

#include "resp_test_util.h"
#include "server_process.h"

namespace cairn::testing {
namespace {

class RespTest : public SharedServerTest {};

INSTANTIATE_TEST_SUITE_P(Resp, RespTest, ::testing::Values(2, 3),
                         [](const auto& info) { return "RESP" + std::to_string(info.param); });

// --- Connection commands ---------------------------------------------------------------

TEST_P(RespTest, HelloSwitchesProtocolAndDescribesServer) {
  RespValue h3 = s_.client().Call({"HELLO", "3"});
  ASSERT_TRUE(h3.IsMap()) << h3.Debug();
  EXPECT_EQ(Str(h3, "server"), "cairn");
  EXPECT_EQ(Int(h3, "proto"), 3);
  int64_t id = Int(h3, "id");
  RespValue h2 = s_.client().Call({"HELLO", "2"});
  ASSERT_TRUE(h2.IsArray()) << h2.Debug();
  EXPECT_EQ(Int(h2, "proto"), 2);
  EXPECT_EQ(Int(h2, "id"), id);
  // In RESP2 again: a map reply is a flat array.
  EXPECT_TRUE(s_.client().Call({"EINFO", Stream("t", "1")}).IsArray());
  RespValue bad = s_.client().Call({"HELLO", "4"});
  EXPECT_EQ(bad.ErrorCode(), "NOPROTO") << bad.Debug();
  // HELLO without a version answers in the current protocol.
  EXPECT_EQ(Int(s_.client().Call({"HELLO"}), "proto"), 2);
  // AUTH and SETNAME options.
  RespValue auth = s_.client().Call({"HELLO", "3", "AUTH", "user", "token", "SETNAME", "conn1"});
  EXPECT_TRUE(auth.IsMap()) << auth.Debug();
  RespValue name = s_.client().Call({"CLIENT", "GETNAME"});
  EXPECT_EQ(name.str, "conn1") << name.Debug();
}

TEST_P(RespTest, AuthPingEcho) {
  EXPECT_EQ(s_.Call({"AUTH", "token"}).str, "OK");
  EXPECT_EQ(s_.Call({"AUTH", "user", "token"}).str, "OK");
  RespValue pong = s_.Call({"PING"});
  EXPECT_EQ(pong.type, '+');
  EXPECT_EQ(pong.str, "PONG");
  RespValue msg = s_.Call({"PING", "hello there"});
  EXPECT_EQ(msg.type, '$');
  EXPECT_EQ(msg.str, "hello there");
  s_.Error({"PING", "a", "b"}, "ERR");
  std::string binary("a\0b\r\nc", 6);
  RespValue echo = s_.Call({"ECHO", binary});
  EXPECT_EQ(echo.type, '$');
  EXPECT_EQ(echo.str, binary);
  s_.Error({"ECHO"}, "ERR");
  // Commands are case-insensitive.
  EXPECT_EQ(s_.Call({"ping"}).str, "PONG");
}

TEST_P(RespTest, ClientNameAndId) {
  EXPECT_TRUE(s_.IsNull(s_.Call({"CLIENT", "GETNAME"})));
  EXPECT_EQ(s_.Call({"CLIENT", "SETNAME", "worker-7"}).str, "OK");
  EXPECT_EQ(s_.Call({"CLIENT", "GETNAME"}).str, "worker-7");
  RespValue id = s_.Call({"CLIENT", "ID"});
  ASSERT_TRUE(id.IsInt()) << id.Debug();
  Session other(port(), GetParam());
  RespValue id2 = other.Call({"CLIENT", "ID"});
  ASSERT_TRUE(id2.IsInt());
  EXPECT_NE(id.integer, id2.integer);
  EXPECT_TRUE(other.IsNull(other.Call({"CLIENT", "GETNAME"})));
  s_.Error({"CLIENT", "KILL"}, "ERR");
}

TEST_P(RespTest, InfoDescribesServer) {
  RespValue info = s_.Call({"INFO"});
  EXPECT_EQ(info.type, GetParam() == 3 ? '=' : '$') << info.Debug();
  EXPECT_NE(info.str.find("cairn_version:0.1.0"), std::string::npos) << info.str;
  EXPECT_NE(info.str.find("tcp_port:" + std::to_string(port())), std::string::npos) << info.str;
  EXPECT_NE(info.str.find("shards:4"), std::string::npos) << info.str;
  RespValue section = s_.Call({"INFO", "server"});
  EXPECT_NE(section.str.find("cairn_version"), std::string::npos) << section.Debug();
}

TEST_P(RespTest, CommandAnswersForRedisCli) {
  EXPECT_TRUE(s_.Call({"COMMAND"}).IsArray());
  EXPECT_TRUE(s_.Call({"COMMAND", "COUNT"}).IsInt());
  RespValue docs = s_.Call({"COMMAND", "DOCS"});
  EXPECT_TRUE(s_.IsMapShape(docs)) << docs.Debug();
}

TEST_P(RespTest, QuitAnswersOkThenCloses) {
  EXPECT_EQ(s_.Call({"QUIT"}).str, "OK");
  EXPECT_TRUE(s_.client().WaitClosed());
}

// QUIT in a pipeline: the requests before it are answered first; those after it never run.
TEST_P(RespTest, QuitInAPipelineAnswersEarlierRequestsOnly) {
  std::string st = Stream("t", "quit");
  for (int i = 0; i < 10; ++i) s_.client().Send({"EAPPEND", st, "ANY", "EVENT", "A", "x"});
  s_.client().Send({"QUIT"});
  s_.client().Send({"EAPPEND", st, "ANY", "EVENT", "A", "after-quit"});
  ASSERT_TRUE(s_.client().Flush());
  for (int i = 1; i <= 10; ++i) {
    auto r = s_.client().Read();
    ASSERT_TRUE(r.has_value()) << s_.client().last_error();
    EXPECT_EQ(Int(*r, "last_version"), i);
  }
  auto ok = s_.client().Read();
  ASSERT_TRUE(ok.has_value()) << s_.client().last_error();
  EXPECT_EQ(ok->str, "OK");
  EXPECT_TRUE(s_.client().WaitClosed());
  Session fresh(port(), GetParam());
  EXPECT_EQ(Int(fresh.Map({"EREAD", st}), "version"), 10);
}

TEST_P(RespTest, ResetReturnsToResp2AndClearsName) {
  s_.Call({"CLIENT", "SETNAME", "x"});
  s_.client().Call({"HELLO", "3"});
  RespValue reset = s_.client().Call({"RESET"});
  EXPECT_EQ(reset.type, '+');
  EXPECT_EQ(reset.str, "RESET");
  RespValue name = s_.client().Call({"CLIENT", "GETNAME"});
  EXPECT_EQ(name.type, '$');
  EXPECT_TRUE(name.null) << name.Debug();
  EXPECT_TRUE(s_.client().Call({"EINFO", Stream("t", "1")}).IsArray());
}

// --- EAPPEND ---------------------------------------------------------------------------

TEST_P(RespTest, AppendReplyHasEveryFieldOfTheContract) {
  int64_t before = NowMs();
  RespValue a = s_.Map({"EAPPEND", Stream("account", "1"), "ANY", "EVENT", "Opened", "{\"a\":1}",
                        "EVENT", "Deposited", "10", "EVENT", "Deposited", "20"});
  EXPECT_EQ(a.Keys(), (std::vector<std::string>{"stream", "first_version", "last_version", "shard",
                                                "first_position", "last_position", "timestamp",
                                                "duplicate"}));
  EXPECT_EQ(Str(a, "stream"), Stream("account", "1"));
  EXPECT_EQ(Int(a, "first_version"), 1);
  EXPECT_EQ(Int(a, "last_version"), 3);
  EXPECT_EQ(Int(a, "last_position") - Int(a, "first_position"), 2);
  EXPECT_GE(Int(a, "first_position"), 1);
  EXPECT_GE(Int(a, "shard"), 0);
  EXPECT_LT(Int(a, "shard"), 4);
  EXPECT_GE(Int(a, "timestamp"), before - 1000);
  EXPECT_LE(Int(a, "timestamp"), NowMs() + 1000);
  EXPECT_FALSE(s_.Bool(Field(a, "duplicate")));
  // The events read back with consecutive positions and the reply's timestamp.
  RespValue r = s_.Map({"EREAD", Stream("account", "1")});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{1, 2, 3}));
  std::vector<int64_t> want;
  for (int64_t p = Int(a, "first_position"); p <= Int(a, "last_position"); ++p) want.push_back(p);
  EXPECT_EQ(Positions(r), want);
  for (const RespValue& e : Items(r, "events")) {
    EXPECT_EQ(Int(e, "timestamp"), Int(a, "timestamp"));
    EXPECT_EQ(Int(e, "shard"), Int(a, "shard"));
  }
}

TEST_P(RespTest, AppendExpectedVersions) {
  std::string st = Stream("account", "exp");
  EXPECT_EQ(Int(s_.Map({"EAPPEND", st, "NONE", "EVENT", "A", "1"}), "last_version"), 1);
  std::string m = s_.Error({"EAPPEND", st, "NONE", "EVENT", "A", "x"}, "CONFLICT");
  EXPECT_EQ(Int(s_.Map({"EAPPEND", st, "EXISTS", "EVENT", "A", "2"}), "last_version"), 2);
  EXPECT_EQ(Int(s_.Map({"EAPPEND", st, "2", "EVENT", "A", "3"}), "last_version"), 3);
  s_.Error({"EAPPEND", st, "2", "EVENT", "A", "x"}, "CONFLICT");
  s_.Error({"EAPPEND", st, "0", "EVENT", "A", "x"}, "CONFLICT");
  EXPECT_EQ(Int(s_.Map({"EAPPEND", st, "ANY", "EVENT", "A", "4"}), "last_version"), 4);
  // Keywords are case-insensitive.
  EXPECT_EQ(Int(s_.Map({"EAPPEND", st, "any", "EVENT", "A", "5"}), "last_version"), 5);
  EXPECT_EQ(Int(s_.Map({"EAPPEND", st, "Exists", "EVENT", "A", "6"}), "last_version"), 6);
  EXPECT_EQ(Int(s_.Map({"EAPPEND", Stream("account", "lower"), "none", "EVENT", "A", "1"}),
                "last_version"),
            1);
  // 0 is NONE.
  EXPECT_EQ(
      Int(s_.Map({"EAPPEND", Stream("account", "zero"), "0", "EVENT", "A", "1"}), "last_version"),
      1);
  // EXISTS on a stream that never had events.
  s_.Error({"EAPPEND", Stream("account", "never"), "EXISTS", "EVENT", "A", "1"}, "CONFLICT");
  // Refused appends consumed no versions.
  RespValue r = s_.Map({"EREAD", st});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  std::vector<std::string> data;
  for (const RespValue& e : Items(r, "events")) data.push_back(Str(e, "data"));
  EXPECT_EQ(data, (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
}

TEST_P(RespTest, ConflictMessageNamesStreamExpectedAndActual) {
  std::string st = Stream("account", "c");
  s_.Map({"EAPPEND", st, "ANY", "EVENT", "A", "1", "EVENT", "A", "2", "EVENT", "A", "3"});
  std::string m = s_.Error({"EAPPEND", st, "7", "EVENT", "A", "x"}, "CONFLICT");
  EXPECT_NE(m.find(st), std::string::npos) << m;
  EXPECT_TRUE(std::regex_search(m, std::regex("\\b7\\b"))) << m;
  EXPECT_TRUE(std::regex_search(m, std::regex("\\b3\\b"))) << m;
  m = s_.Error({"EAPPEND", st, "NONE", "EVENT", "A", "x"}, "CONFLICT");
  EXPECT_NE(m.find(st), std::string::npos) << m;
  EXPECT_NE(m.find("none"), std::string::npos) << m;
  m = s_.Error({"EAPPEND", Stream("account", "new"), "EXISTS", "EVENT", "A", "x"}, "CONFLICT");
  EXPECT_NE(m.find("exists"), std::string::npos) << m;
  EXPECT_TRUE(std::regex_search(m, std::regex("\\b0\\b"))) << m;
}

TEST_P(RespTest, AppendIdempotentRetryReturnsTheFirstResult) {
  std::string st = Stream("account", "idem");
  s_.Map({"EAPPEND", st, "ANY", "EVENT", "A", "0"});
  Args req = {"EAPPEND", st, "ANY", "IDEMPOTENCY", "key-1", "EVENT", "A", "1", "EVENT", "B", "2"};
  RespValue first = s_.Map(req);
  EXPECT_FALSE(s_.Bool(Field(first, "duplicate")));
  usleep(20000);  // a later retry must still report the first timestamp
  RespValue again = s_.Map(req);
  EXPECT_TRUE(s_.Bool(Field(again, "duplicate")));
  for (const char* k : {"stream", "first_version", "last_version", "shard", "first_position",
                        "last_position", "timestamp"}) {
    EXPECT_EQ(Field(first, k).Debug(), Field(again, k).Debug()) << k;
  }
  // From another connection too.
  Session other(port(), GetParam());
  RespValue third = other.Map(req);
  EXPECT_TRUE(other.Bool(Field(third, "duplicate")));
  EXPECT_EQ(Int(third, "timestamp"), Int(first, "timestamp"));
  // Nothing more was appended.
  EXPECT_EQ(Int(s_.Map({"EREAD", st}), "version"), 3);
  // The same key with another request.
  s_.Error({"EAPPEND", st, "ANY", "IDEMPOTENCY", "key-1", "EVENT", "A", "other"}, "IDEMPOTENCY");
  s_.Error({"EAPPEND", st, "3", "IDEMPOTENCY", "key-1", "EVENT", "A", "1", "EVENT", "B", "2"},
           "IDEMPOTENCY");
  s_.Error({"EAPPEND", Stream("account", "idem2"), "ANY", "IDEMPOTENCY", "key-1", "EVENT", "A", "1",
            "EVENT", "B", "2"},
           "IDEMPOTENCY");
  EXPECT_EQ(Int(s_.Map({"EREAD", st}), "version"), 3);
  // Keys are scoped to their org: the same key elsewhere is a new request.
  RespValue elsewhere = s_.Map({"EAPPEND", "other-" + org_ + "/account/idem", "ANY", "IDEMPOTENCY",
                                "key-1", "EVENT", "A", "1", "EVENT", "B", "2"});
  EXPECT_FALSE(s_.Bool(Field(elsewhere, "duplicate")));
  EXPECT_EQ(Int(elsewhere, "first_version"), 1);
}

// A retry sent while the first request is still in flight waits for it and returns its
// result: here five copies in one pipeline, and two more from another connection.
TEST_P(RespTest, IdempotentRetriesInFlightGetTheFirstResult) {
  Args req = {"EAPPEND", Stream("account", "inflight"), "ANY", "IDEMPOTENCY", "k", "EVENT", "A",
              "1"};
  Session other(port(), GetParam());
  for (int i = 0; i < 5; ++i) s_.client().Send(req);
  for (int i = 0; i < 2; ++i) other.client().Send(req);
  ASSERT_TRUE(s_.client().Flush());
  ASSERT_TRUE(other.client().Flush());
  std::vector<RespValue> replies;
  for (int i = 0; i < 5; ++i) replies.push_back(s_.client().Read().value_or(RespValue()));
  for (int i = 0; i < 2; ++i) replies.push_back(other.client().Read().value_or(RespValue()));
  int originals = 0;
  for (const RespValue& r : replies) {
    ASSERT_TRUE(s_.IsMapShape(r)) << r.Debug();
    originals += s_.Bool(Field(r, "duplicate")) ? 0 : 1;
    EXPECT_EQ(Int(r, "first_position"), Int(replies[0], "first_position"));
    EXPECT_EQ(Int(r, "timestamp"), Int(replies[0], "timestamp"));
  }
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(Int(s_.Map({"EREAD", Stream("account", "inflight")}), "version"), 1);
}

// Positions are gap-free: refused appends, deletes and trims take none.
TEST_P(RespTest, OnlyCommittedEventsTakePositions) {
  std::string a = Stream("pos", "a"), b = Stream("pos", "b");
  int64_t p = Int(s_.Map({"EAPPEND", a, "ANY", "EVENT", "A", "1"}), "last_position");
  s_.Error({"EAPPEND", a, "NONE", "EVENT", "A", "x"}, "CONFLICT");
  s_.Error({"EAPPEND", a, "ANY", "EVENT", "bad type", "x"}, "INVALID");
  EXPECT_EQ(
      Int(s_.Map({"EAPPEND", b, "ANY", "EVENT", "A", "1", "EVENT", "A", "2"}), "first_position"),
      p + 1);
  s_.Map({"ETRIM", b, "2"});
  s_.Map({"EDELETE", a, "ANY"});
  s_.Error({"ETXN", "STREAM", a, "ANY", "EVENT", "A", "x", "STREAM", b, "9"}, "CONFLICT");
  s_.Map({"EDELETE", b, "ANY", "HARD"});
  EXPECT_EQ(Int(s_.Map({"EAPPEND", a, "ANY", "EVENT", "A", "2"}), "first_position"), p + 3);
}

TEST_P(RespTest, AppendWithIdMetaAndBinaryData) {
  std::string st = Stream("account", "meta");
  std::string uuid = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  std::string binary("\x00\x01\xff\r\n\x00end", 9);
  s_.Map({"EAPPEND", st, "ANY", "EVENT", "A", binary, "ID", uuid, "META", "m\r\n1", "EVENT", "B",
          "plain", "META", "m2", "EVENT", "C", "nometa"});
  RespValue r = s_.Map({"EREAD", st});
  const auto& ev = Items(r, "events");
  ASSERT_EQ(ev.size(), 3u) << r.Debug();
  EXPECT_EQ(ev[0].Keys(), (std::vector<std::string>{"stream", "version", "shard", "position", "id",
                                                    "type", "timestamp", "data", "metadata"}));
  EXPECT_EQ(Str(ev[0], "id"), uuid);
  EXPECT_EQ(Str(ev[0], "type"), "A");
  EXPECT_EQ(Str(ev[0], "data"), binary);
  EXPECT_EQ(Str(ev[0], "metadata"), "m\r\n1");
  EXPECT_EQ(Str(ev[1], "metadata"), "m2");
  EXPECT_EQ(Str(ev[2], "metadata"), "");  // empty metadata is an empty string
  // Generated ids are UUIDv7 in text form.
  std::regex v7("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  EXPECT_TRUE(std::regex_match(Str(ev[1], "id"), v7)) << Str(ev[1], "id");
  EXPECT_NE(Str(ev[1], "id"), Str(ev[2], "id"));
  // An id may contain '/': everything after the second '/' is the id.
  std::string slashed = org_ + "/account/a/b/c";
  EXPECT_EQ(Str(s_.Map({"EAPPEND", slashed, "ANY", "EVENT", "A", "1"}), "stream"), slashed);
  EXPECT_EQ(Str(Items(s_.Map({"EREAD", slashed}), "events").at(0), "stream"), slashed);
}

// A pipeline behaves like the same commands sent one by one: a read pipelined after an
// append of the same connection waits for it (docs/reference/protocol.md).
TEST_P(RespTest, PipelinedReadSeesTheAppendBeforeIt) {
  std::string st = Stream("account", "ryw");
  for (int i = 0; i < 50; ++i) {
    s_.client().Send({"EAPPEND", st, "ANY", "EVENT", "A", std::to_string(i)});
    s_.client().Send({"EINFO", st});
  }
  ASSERT_TRUE(s_.client().Flush());
  for (int i = 0; i < 50; ++i) {
    RespValue a = s_.client().Read().value_or(RespValue());
    RespValue info = s_.client().Read().value_or(RespValue());
    EXPECT_EQ(Int(info, "version"), Int(a, "last_version")) << "request pair " << i;
  }
}

// --- ETXN ------------------------------------------------------------------------------

TEST_P(RespTest, TxnAppendsToSeveralStreamsAtomically) {
  std::string a = Stream("order", "1"), b = Stream("invoice", "1"), c = Stream("order", "2");
  s_.Map({"EAPPEND", c, "ANY", "EVENT", "Placed", "x"});
  RespValue t = s_.Map({"ETXN", "STREAM", a, "NONE", "EVENT", "Placed", "p1", "EVENT", "Paid", "p2",
                        "STREAM", b, "ANY", "EVENT", "Issued", "i1", "STREAM", c, "1"});
  EXPECT_EQ(t.Keys(), (std::vector<std::string>{"shard", "first_position", "last_position",
                                                "timestamp", "duplicate", "streams"}));
  EXPECT_EQ(Int(t, "last_position") - Int(t, "first_position"), 2);
  EXPECT_FALSE(s_.Bool(Field(t, "duplicate")));
  const auto& streams = Items(t, "streams");
  ASSERT_EQ(streams.size(), 2u) << t.Debug();  // the pure condition on c got no events
  EXPECT_TRUE(s_.IsMapShape(streams[0]));
  EXPECT_EQ(streams[0].Keys(),
            (std::vector<std::string>{"stream", "first_version", "last_version"}));
  EXPECT_EQ(Str(streams[0], "stream"), a);
  EXPECT_EQ(Int(streams[0], "first_version"), 1);
  EXPECT_EQ(Int(streams[0], "last_version"), 2);
  EXPECT_EQ(Str(streams[1], "stream"), b);
  EXPECT_EQ(Int(streams[1], "last_version"), 1);
  RespValue ra = s_.Map({"EREAD", a});
  EXPECT_EQ(Versions(ra), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Positions(ra).front(), Int(t, "first_position"));
  RespValue rb = s_.Map({"EREAD", b});
  EXPECT_EQ(Positions(rb), (std::vector<int64_t>{Int(t, "last_position")}));
  EXPECT_EQ(Int(Items(rb, "events").at(0), "timestamp"), Int(t, "timestamp"));
  EXPECT_EQ(Int(s_.Map({"EREAD", c}), "version"), 1);
}

TEST_P(RespTest, TxnFailingConditionCommitsNothing) {
  std::string a = Stream("order", "1"), b = Stream("order", "2"), c = Stream("order", "3");
  RespValue first = s_.Map({"EAPPEND", c, "ANY", "EVENT", "X", "1", "EVENT", "X", "2"});
  int64_t shard = Int(first, "shard");
  int64_t head = Int(first, "last_position");
  std::string m = s_.Error({"ETXN", "STREAM", a, "ANY", "EVENT", "A", "1", "STREAM", b, "NONE",
                            "EVENT", "B", "1", "STREAM", c, "5"},
                           "CONFLICT");
  EXPECT_NE(m.find(c), std::string::npos) << m;
  EXPECT_TRUE(std::regex_search(m, std::regex("\\b5\\b"))) << m;
  EXPECT_TRUE(std::regex_search(m, std::regex("\\b2\\b"))) << m;
  EXPECT_EQ(Int(s_.Map({"EREAD", a}), "version"), 0);
  EXPECT_EQ(Int(s_.Map({"EREAD", b}), "version"), 0);
  // No position was taken: the next append follows the last one directly (nothing else
  // writes to this org; other tests may write to the shard, so scan the org only).
  RespValue next = s_.Map({"EAPPEND", a, "NONE", "EVENT", "A", "1"});
  RespValue scan = s_.Map({"ESCAN", org_ + "/order", "FROM", std::to_string(head + 1)});
  EXPECT_EQ(Positions(scan), (std::vector<int64_t>{Int(next, "first_position")}));
  EXPECT_EQ(Int(next, "shard"), shard);
  // The first failing condition is named, with events or without.
  m = s_.Error({"ETXN", "STREAM", b, "EXISTS", "STREAM", c, "9", "EVENT", "X", "3"}, "CONFLICT");
  EXPECT_NE(m.find(b), std::string::npos) << m;
  EXPECT_EQ(Int(s_.Map({"EREAD", c}), "version"), 2);
}

// Two orgs whose streams live on different shards (the shard key is the org).
std::pair<std::string, std::string> OrgsOnTwoShards(Session& s, const std::string& prefix) {
  std::map<int64_t, std::string> by_shard;
  for (int i = 0; i < 64 && by_shard.size() < 2; ++i) {
    std::string org = prefix + "-" + std::to_string(i);
    RespValue r = s.Map({"EAPPEND", org + "/probe/1", "ANY", "EVENT", "Probe", "x"});
    by_shard.emplace(Int(r, "shard"), org);
  }
  EXPECT_EQ(by_shard.size(), 2u);
  if (by_shard.size() < 2) return {};
  return {by_shard.begin()->second, std::next(by_shard.begin())->second};
}

TEST_P(RespTest, TxnAcrossShardsIsRefused) {
  auto [x, y] = OrgsOnTwoShards(s_, org_);
  ASSERT_FALSE(x.empty());
  std::string m = s_.Error({"ETXN", "STREAM", x + "/t/1", "ANY", "EVENT", "A", "1", "STREAM",
                            y + "/t/1", "ANY", "EVENT", "A", "1"},
                           "CROSSSHARD");
  EXPECT_EQ(Int(s_.Map({"EREAD", x + "/t/1"}), "version"), 0);
  EXPECT_EQ(Int(s_.Map({"EREAD", y + "/t/1"}), "version"), 0);
  // The same org is one shard: accepted.
  RespValue ok = s_.Map({"ETXN", "STREAM", x + "/t/1", "ANY", "EVENT", "A", "1", "STREAM",
                         x + "/u/2", "ANY", "EVENT", "A", "1"});
  EXPECT_EQ(Items(ok, "streams").size(), 2u);
}

TEST_P(RespTest, TxnIdempotentRetry) {
  Args req = {"ETXN",  "IDEMPOTENCY", "tx-1", "STREAM", Stream("a", "1"), "ANY",
              "EVENT", "A",           "1",    "STREAM", Stream("b", "1"), "ANY",
              "EVENT", "B",           "2"};
  RespValue first = s_.Map(req);
  RespValue again = s_.Map(req);
  EXPECT_FALSE(s_.Bool(Field(first, "duplicate")));
  EXPECT_TRUE(s_.Bool(Field(again, "duplicate")));
  for (const char* k : {"shard", "first_position", "last_position", "timestamp", "streams"}) {
    EXPECT_EQ(Field(first, k).Debug(), Field(again, k).Debug()) << k;
  }
  EXPECT_EQ(Int(s_.Map({"EREAD", Stream("a", "1")}), "version"), 1);
  Args different = req;
  different.back() = "3";
  s_.Error(different, "IDEMPOTENCY");
}

}  // namespace
}  // namespace cairn::testing
