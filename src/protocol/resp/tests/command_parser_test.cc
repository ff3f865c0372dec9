#include "protocol/resp/command_parser.h"

#include <gtest/gtest.h>

namespace cairn::resp {
namespace {

TEST(CommandParser, AppendWithEverything) {
  Args args = {"EAPPEND", "acme/account/42",
               "3",       "idempotency",
               "k1",      "EVENT",
               "Opened",  "{}",
               "ID",      "0190a0b0-0000-7000-8000-000000000001",
               "META",    "m",
               "event",   "Closed",
               "x"};
  AppendRequest req;
  CommandError e;
  ASSERT_TRUE(ParseAppend(args, &req, &e)) << e.message;
  EXPECT_FALSE(req.transaction);
  EXPECT_EQ(req.idempotency_key, "k1");
  ASSERT_EQ(req.clauses.size(), 1u);
  EXPECT_EQ(req.clauses[0].expected, Expected::Exact(3));
  ASSERT_EQ(req.clauses[0].events.size(), 2u);
  EXPECT_EQ(req.clauses[0].events[0].metadata, "m");
  EXPECT_TRUE(req.clauses[0].events[0].id.has_value());
  EXPECT_EQ(req.clauses[0].events[1].type, "Closed");
}

TEST(CommandParser, AppendRefusals) {
  CommandError e;
  AppendRequest req;
  EXPECT_FALSE(ParseAppend({"EAPPEND", "a/b/c"}, &req, &e));
  EXPECT_STREQ(e.code, "ERR");
  EXPECT_FALSE(ParseAppend({"EAPPEND", "a/b/c", "maybe", "EVENT", "T", "d"}, &req, &e));
  EXPECT_STREQ(e.code, "INVALID");
  EXPECT_FALSE(ParseAppend({"EAPPEND", "a/b/c", "ANY"}, &req, &e));
  EXPECT_STREQ(e.code, "ERR");
  EXPECT_FALSE(ParseAppend({"EAPPEND", "a/b/c", "ANY", "EVENT", "T"}, &req, &e));
  EXPECT_FALSE(ParseAppend({"EAPPEND", "a/b/c", "ANY", "EVENT", "T", "d", "ID", "zz"}, &req, &e));
  EXPECT_STREQ(e.code, "INVALID");
  EXPECT_FALSE(ParseAppend({"EAPPEND", "a/b/c", "ANY", "EVENT", "T", "d", "BOGUS"}, &req, &e));
  EXPECT_STREQ(e.code, "ERR");
}

TEST(CommandParser, TransactionClauses) {
  Args args = {"ETXN", "STREAM", "a/b/1", "NONE", "EVENT", "T", "d", "STREAM", "a/b/2", "exists"};
  AppendRequest req;
  CommandError e;
  ASSERT_TRUE(ParseTransaction(args, &req, &e)) << e.message;
  EXPECT_TRUE(req.transaction);
  ASSERT_EQ(req.clauses.size(), 2u);
  EXPECT_EQ(req.clauses[0].events.size(), 1u);
  EXPECT_TRUE(req.clauses[1].events.empty());
  EXPECT_EQ(req.clauses[1].expected, Expected::Exists());
  AppendRequest bad;
  EXPECT_FALSE(ParseTransaction({"ETXN", "STREAM", "a/b/1"}, &bad, &e));
  EXPECT_FALSE(ParseTransaction({"ETXN", "IDEMPOTENCY", "k"}, &bad, &e));
}

TEST(CommandParser, ReadOptions) {
  ReadOptions r;
  CommandError e;
  ASSERT_TRUE(ParseRead(
      {"EREAD", "a/b/c", "from", "5", "COUNT", "7", "TYPES", "A,B,,C", "BACKWARD", "WITHHASH"}, &r,
      &e));
  EXPECT_EQ(r.request.from, 5u);
  EXPECT_EQ(r.request.count, 7u);
  EXPECT_EQ(r.request.types, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_TRUE(r.request.backward);
  EXPECT_TRUE(r.with_hash);
  ReadOptions bad;
  EXPECT_FALSE(ParseRead({"EREAD", "a/b/c", "COUNT", "-1"}, &bad, &e));
  EXPECT_STREQ(e.code, "INVALID");
  EXPECT_FALSE(ParseRead({"EREAD", "a/b/c", "COUNT"}, &bad, &e));
  EXPECT_STREQ(e.code, "ERR");
}

TEST(CommandParser, ScanStreamsDeleteTrimVerify) {
  CommandError e;
  ScanOptions s;
  ASSERT_TRUE(ParseScan({"ESCAN", "#0", "FROM", "9", "COUNT", "2"}, &s, &e));
  EXPECT_EQ(s.request.from, 9u);
  ListStreamsRequest l;
  ASSERT_TRUE(ParseListStreams({"ESTREAMS", "acme", "AFTER", "acme/a/1", "COUNT", "3"}, &l, &e));
  EXPECT_EQ(l.after, "acme/a/1");
  DeleteRequest d;
  ASSERT_TRUE(ParseDelete({"EDELETE", "a/b/c", "ANY", "hard"}, &d, &e));
  EXPECT_TRUE(d.hard);
  EXPECT_FALSE(ParseDelete({"EDELETE", "a/b/c", "ANY", "soft"}, &d, &e));
  TrimRequest t;
  ASSERT_TRUE(ParseTrim({"ETRIM", "a/b/c", "10"}, &t, &e));
  EXPECT_EQ(t.before_version, 10u);
  EXPECT_FALSE(ParseTrim({"ETRIM", "a/b/c", "x"}, &t, &e));
  VerifyRequest v;
  ASSERT_TRUE(ParseVerify({"EVERIFY", "#1", "TO", "5"}, &v, &e));
  EXPECT_EQ(v.shard, 1u);
  EXPECT_EQ(v.to, 5u);
  EXPECT_FALSE(ParseVerify({"EVERIFY", "1"}, &v, &e));
}

TEST(CommandParser, WatchAndGroup) {
  CommandError e;
  WatchOptions w;
  ASSERT_TRUE(ParseWatch({"EWATCH", "acme", "from", "7", "TYPES", "A,B"}, &w, &e));
  EXPECT_EQ(w.scope, "acme");
  EXPECT_EQ(w.start, WatchOptions::Start::kFrom);
  EXPECT_EQ(w.from, 7u);
  EXPECT_EQ(w.types, (std::vector<std::string>{"A", "B"}));
  WatchOptions live;
  ASSERT_TRUE(ParseWatch({"EWATCH", "#0", "LIVE"}, &live, &e));
  EXPECT_EQ(live.start, WatchOptions::Start::kLive);
  WatchOptions g;
  ASSERT_TRUE(ParseWatch({"EWATCH", "a/b/c", "GROUP", "billing"}, &g, &e));
  EXPECT_EQ(g.group, "billing");
  WatchOptions defaults;
  ASSERT_TRUE(ParseWatch({"EWATCH", "a"}, &defaults, &e));
  EXPECT_EQ(defaults.start, WatchOptions::Start::kFrom);
  EXPECT_EQ(defaults.from, 0u);
  WatchOptions bad;
  EXPECT_FALSE(ParseWatch({"EWATCH", "a", "LIVE", "FROM", "1"}, &bad, &e));
  EXPECT_STREQ(e.code, "ERR");
  EXPECT_FALSE(ParseWatch({"EWATCH", "a", "FROM", "x"}, &bad, &e));
  EXPECT_FALSE(ParseWatch({"EWATCH"}, &bad, &e));
  EXPECT_FALSE(ParseWatch({"EWATCH", "a", "GROUP"}, &bad, &e));

  GroupCommand c;
  ASSERT_TRUE(ParseGroup({"EGROUP", "commit", "g", "acme", "12"}, &c, &e));
  EXPECT_EQ(c.op, GroupCommand::Op::kCommit);
  EXPECT_EQ(c.cursor, 12u);
  GroupCommand list;
  ASSERT_TRUE(ParseGroup({"EGROUP", "LIST"}, &list, &e));
  EXPECT_EQ(list.op, GroupCommand::Op::kList);
  EXPECT_TRUE(list.scope.empty());
  ASSERT_TRUE(ParseGroup({"EGROUP", "DELETE", "g", "acme"}, &c, &e));
  EXPECT_EQ(c.op, GroupCommand::Op::kDelete);
  EXPECT_FALSE(ParseGroup({"EGROUP", "COMMIT", "g", "acme"}, &c, &e));
  EXPECT_FALSE(ParseGroup({"EGROUP", "COMMIT", "g", "acme", "-1"}, &c, &e));
  EXPECT_FALSE(ParseGroup({"EGROUP", "RESET", "g", "acme"}, &c, &e));
  EXPECT_FALSE(ParseGroup({"EGROUP"}, &c, &e));
}

}  // namespace
}  // namespace cairn::resp
