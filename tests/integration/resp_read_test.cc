// RESP integration tests of the read side of the contract against a real `cairn serve`:
// EREAD, ESCAN, EINFO, ESTREAMS, ETYPES, EORGS, EDELETE, ETRIM and EVERIFY, each over
// RESP2 and RESP3.

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>

#include "resp_test_util.h"

namespace cairn::testing {
namespace {

class RespReadTest : public SharedServerTest {
 protected:
  // Appends events 1..n with types A (odd versions) and B (even) and data "d<version>".
  RespValue Fill(const std::string& stream, int n) {
    Args cmd = {"EAPPEND", stream, "ANY"};
    for (int v = 1; v <= n; ++v) {
      cmd.insert(cmd.end(), {"EVENT", v % 2 ? "A" : "B", "d" + std::to_string(v)});
    }
    return s_.Map(cmd);
  }
  bool IsNullField(const RespValue& m, const char* key) { return s_.IsNull(Field(m, key)); }
};

INSTANTIATE_TEST_SUITE_P(Resp, RespReadTest, ::testing::Values(2, 3),
                         [](const auto& info) { return "RESP" + std::to_string(info.param); });

TEST_P(RespReadTest, ReadForwardInPages) {
  std::string st = Stream("acct", "1");
  Fill(st, 10);
  RespValue r = s_.Map({"EREAD", st, "COUNT", "3"});
  EXPECT_EQ(r.Keys(), (std::vector<std::string>{"events", "next", "version"}));
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(Int(r, "next"), 4);
  EXPECT_EQ(Int(r, "version"), 10);
  r = s_.Map({"EREAD", st, "FROM", "4", "COUNT", "3"});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{4, 5, 6}));
  EXPECT_EQ(Int(r, "next"), 7);
  r = s_.Map({"EREAD", st, "FROM", "8"});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_TRUE(IsNullField(r, "next")) << r.Debug();
  r = s_.Map({"EREAD", st, "FROM", "11"});
  EXPECT_TRUE(Items(r, "events").empty());
  EXPECT_TRUE(IsNullField(r, "next")) << r.Debug();
  EXPECT_EQ(Int(r, "version"), 10);
  // Default: everything (up to 100), data intact.
  r = s_.Map({"EREAD", st});
  ASSERT_EQ(Items(r, "events").size(), 10u);
  EXPECT_EQ(Str(Items(r, "events")[6], "data"), "d7");
  EXPECT_EQ(Str(Items(r, "events")[6], "type"), "A");
  EXPECT_TRUE(IsNullField(r, "next"));
  // Options are case-insensitive.
  EXPECT_EQ(Versions(s_.Map({"EREAD", st, "from", "2", "count", "1"})), (std::vector<int64_t>{2}));
}

TEST_P(RespReadTest, ReadBackwardTypesAndHash) {
  std::string st = Stream("acct", "2");
  Fill(st, 10);
  RespValue r = s_.Map({"EREAD", st, "BACKWARD", "COUNT", "3"});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{10, 9, 8}));
  EXPECT_EQ(Int(r, "next"), 7);
  r = s_.Map({"EREAD", st, "BACKWARD", "FROM", "2"});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{2, 1}));
  EXPECT_TRUE(IsNullField(r, "next"));
  r = s_.Map({"EREAD", st, "TYPES", "B"});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{2, 4, 6, 8, 10}));
  r = s_.Map({"EREAD", st, "TYPES", "A,B", "COUNT", "4"});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{1, 2, 3, 4}));
  r = s_.Map({"EREAD", st, "TYPES", "Nope"});
  EXPECT_TRUE(Items(r, "events").empty());
  r = s_.Map({"EREAD", st, "TYPES", "A", "BACKWARD", "COUNT", "2"});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{9, 7}));
  // WITHHASH adds a hex BLAKE3 chain hash; without it there is no hash field.
  r = s_.Map({"EREAD", st, "WITHHASH", "COUNT", "2"});
  std::set<std::string> hashes;
  for (const RespValue& e : Items(r, "events")) {
    EXPECT_EQ(e.Keys().back(), "hash");
    std::string h = Str(e, "hash");
    EXPECT_TRUE(std::regex_match(h, std::regex("^[0-9a-f]{64}$"))) << h;
    hashes.insert(h);
  }
  EXPECT_EQ(hashes.size(), 2u);
  RespValue plain = s_.Map({"EREAD", st, "COUNT", "2"});  // the items live in `plain`
  for (const RespValue& e : Items(plain, "events")) {
    EXPECT_EQ(e.Find("hash"), nullptr) << e.Debug();
  }
}

TEST_P(RespReadTest, NeverExistingStreamReadsEmptyAtVersionZero) {
  RespValue r = s_.Map({"EREAD", Stream("ghost", "1")});
  EXPECT_TRUE(Items(r, "events").empty());
  EXPECT_EQ(Int(r, "version"), 0);
  EXPECT_TRUE(IsNullField(r, "next"));
  RespValue b = s_.Map({"EREAD", Stream("ghost", "1"), "BACKWARD"});
  EXPECT_TRUE(Items(b, "events").empty());
  EXPECT_EQ(Int(b, "version"), 0);
}

TEST_P(RespReadTest, ReadCountLimit) {
  std::string st = Stream("acct", "3");
  Fill(st, 2);
  std::string m = s_.Error({"EREAD", st, "COUNT", "10001"}, "TOOLARGE");
  EXPECT_NE(m.find("10000"), std::string::npos) << m;
  EXPECT_EQ(Versions(s_.Map({"EREAD", st, "COUNT", "10000"})), (std::vector<int64_t>{1, 2}));
  s_.Error({"ESCAN", org_, "COUNT", "10001"}, "TOOLARGE");
}

TEST_P(RespReadTest, ScanByOrgTypeAndShard) {
  // Interleave two types over three streams.
  RespValue first = s_.Map({"EAPPEND", Stream("t1", "a"), "ANY", "EVENT", "E", "1"});
  s_.Map({"EAPPEND", Stream("t2", "b"), "ANY", "EVENT", "E", "2", "EVENT", "F", "3"});
  s_.Map({"EAPPEND", Stream("t1", "c"), "ANY", "EVENT", "E", "4"});
  s_.Map({"EAPPEND", Stream("t2", "b"), "ANY", "EVENT", "E", "5"});
  int64_t shard = Int(first, "shard");
  std::string from = std::to_string(Int(first, "first_position"));
  // The org, page by page: commit order, no gaps within the org's events.
  std::vector<std::string> data;
  std::vector<int64_t> positions;
  std::string cursor = from;
  for (int i = 0; i < 10; ++i) {
    RespValue r = s_.Map({"ESCAN", org_, "FROM", cursor, "COUNT", "2"});
    EXPECT_EQ(r.Keys(), (std::vector<std::string>{"events", "next", "shard"}));
    EXPECT_EQ(Int(r, "shard"), shard);
    if (Items(r, "events").empty()) break;
    for (const RespValue& e : Items(r, "events")) {
      data.push_back(Str(e, "data"));
      positions.push_back(Int(e, "position"));
      EXPECT_EQ(Int(e, "shard"), shard);
    }
    cursor = std::to_string(Int(r, "next"));
    EXPECT_GT(Int(r, "next"), positions.back());
  }
  EXPECT_EQ(data, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_TRUE(std::is_sorted(positions.begin(), positions.end()));
  // org/type.
  RespValue t1 = s_.Map({"ESCAN", org_ + "/t1", "FROM", from});
  std::vector<std::string> t1_data;
  for (const RespValue& e : Items(t1, "events")) t1_data.push_back(Str(e, "data"));
  EXPECT_EQ(t1_data, (std::vector<std::string>{"1", "4"}));
  // TYPES filter.
  RespValue f = s_.Map({"ESCAN", org_, "FROM", from, "TYPES", "F"});
  ASSERT_EQ(Items(f, "events").size(), 1u);
  EXPECT_EQ(Str(Items(f, "events")[0], "data"), "3");
  // #shard: every event of the shard, consecutive positions.
  RespValue all =
      s_.Map({"ESCAN", "#" + std::to_string(shard), "FROM", from, "COUNT", "10000", "WITHHASH"});
  EXPECT_EQ(Int(all, "shard"), shard);
  std::vector<int64_t> p = Positions(all);
  ASSERT_GE(p.size(), 5u);
  for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(p[i], Int(first, "first_position") + int64_t(i));
  for (const RespValue& e : Items(all, "events")) EXPECT_EQ(Str(e, "hash").size(), 64u);
  // Unknown shard.
  s_.Error({"ESCAN", "#4"}, "INVALID");
}

TEST_P(RespReadTest, InfoDescribesAStream) {
  std::string st = Stream("acct", "info");
  int64_t before = NowMs();
  RespValue a = Fill(st, 3);
  RespValue i = s_.Map({"EINFO", st});
  EXPECT_EQ(i.Keys(), (std::vector<std::string>{"stream", "version", "first_version", "shard",
                                                "created", "updated", "deleted"}));
  EXPECT_EQ(Str(i, "stream"), st);
  EXPECT_EQ(Int(i, "version"), 3);
  EXPECT_EQ(Int(i, "first_version"), 1);
  EXPECT_EQ(Int(i, "shard"), Int(a, "shard"));
  EXPECT_GE(Int(i, "created"), before - 1000);
  EXPECT_GE(Int(i, "updated"), Int(i, "created"));
  EXPECT_EQ(Str(i, "deleted"), "false");
  // A stream that never existed: version 0.
  RespValue g = s_.Map({"EINFO", Stream("acct", "ghost")});
  EXPECT_EQ(Int(g, "version"), 0);
  EXPECT_EQ(Str(g, "deleted"), "false");
  s_.Error({"EINFO", "not-a-stream"}, "INVALID");
}

TEST_P(RespReadTest, ListingsPageThroughStreamsTypesAndOrgs) {
  std::vector<std::string> names;
  for (const char* id : {"e", "a", "d", "b", "c"}) {
    s_.Map({"EAPPEND", Stream("user", id), "ANY", "EVENT", "A", "1"});
    names.push_back(Stream("user", id));
  }
  s_.Map({"EAPPEND", Stream("group", "g"), "ANY", "EVENT", "A", "1"});
  std::sort(names.begin(), names.end());
  std::vector<std::string> seen;
  Args cmd = {"ESTREAMS", org_ + "/user", "COUNT", "2"};
  for (int i = 0; i < 5; ++i) {
    RespValue r = s_.Map(cmd);
    EXPECT_EQ(r.Keys(), (std::vector<std::string>{"streams", "next"}));
    std::vector<std::string> page = Strings(Field(r, "streams"));
    EXPECT_LE(page.size(), 2u);
    seen.insert(seen.end(), page.begin(), page.end());
    if (IsNullField(r, "next")) break;
    EXPECT_EQ(Str(r, "next"), page.back());
    cmd = {"ESTREAMS", org_ + "/user", "AFTER", Str(r, "next"), "COUNT", "2"};
  }
  EXPECT_EQ(seen, names);
  // The whole org, sorted; AFTER is exclusive.
  RespValue all = s_.Map({"ESTREAMS", org_});
  std::vector<std::string> every = names;
  every.push_back(Stream("group", "g"));
  std::sort(every.begin(), every.end());
  EXPECT_EQ(Strings(Field(all, "streams")), every);
  EXPECT_TRUE(IsNullField(all, "next"));
  RespValue after = s_.Map({"ESTREAMS", org_ + "/user", "AFTER", names[2]});
  EXPECT_EQ(Strings(Field(after, "streams")), (std::vector<std::string>{names[3], names[4]}));
  // Types and orgs.
  RespValue types = s_.Call({"ETYPES", org_});
  ASSERT_TRUE(types.IsArray()) << types.Debug();
  EXPECT_EQ(Strings(types), (std::vector<std::string>{"group", "user"}));
  RespValue none = s_.Call({"ETYPES", org_ + "-nothing"});
  EXPECT_TRUE(none.IsArray() && none.items.empty()) << none.Debug();
  RespValue orgs = s_.Call({"EORGS"});
  ASSERT_TRUE(orgs.IsArray()) << orgs.Debug();
  std::vector<std::string> o = Strings(orgs);
  EXPECT_NE(std::find(o.begin(), o.end(), org_), o.end()) << orgs.Debug();
  EXPECT_TRUE(std::is_sorted(o.begin(), o.end())) << orgs.Debug();
}

TEST_P(RespReadTest, SoftDeleteHidesEventsAndAppendRecreates) {
  std::string st = Stream("acct", "soft");
  Fill(st, 2);
  RespValue d = s_.Map({"EDELETE", st, "2"});
  EXPECT_EQ(Str(d, "deleted"), "soft");
  RespValue r = s_.Map({"EREAD", st});
  EXPECT_TRUE(Items(r, "events").empty()) << r.Debug();
  EXPECT_EQ(Str(s_.Map({"EINFO", st}), "deleted"), "soft");
  s_.Error({"EAPPEND", st, "EXISTS", "EVENT", "A", "x"}, "CONFLICT");
  s_.Error({"EAPPEND", st, "NONE", "EVENT", "A", "x"}, "CONFLICT");
  // ANY recreates it; versions continue; the earlier events stay hidden.
  RespValue a = s_.Map({"EAPPEND", st, "ANY", "EVENT", "A", "again"});
  EXPECT_EQ(Int(a, "first_version"), 3);
  r = s_.Map({"EREAD", st});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{3}));
  EXPECT_EQ(Int(r, "version"), 3);
  EXPECT_EQ(Str(s_.Map({"EINFO", st}), "deleted"), "false");
  // Deleting with the wrong expected version is a conflict; the exact version recreates.
  s_.Error({"EDELETE", st, "2"}, "CONFLICT");
  s_.Map({"EDELETE", st, "ANY"});
  EXPECT_EQ(Int(s_.Map({"EAPPEND", st, "3", "EVENT", "A", "v4"}), "first_version"), 4);
  EXPECT_EQ(Versions(s_.Map({"EREAD", st})), (std::vector<int64_t>{4}));
  // The hidden events do not come back after a restart-free re-read from version 1.
  EXPECT_EQ(Versions(s_.Map({"EREAD", st, "FROM", "1"})), (std::vector<int64_t>{4}));
}

TEST_P(RespReadTest, HardDeleteIsATombstone) {
  std::string st = Stream("acct", "hard");
  Fill(st, 2);
  RespValue d = s_.Map({"EDELETE", st, "ANY", "HARD"});
  EXPECT_EQ(Str(d, "deleted"), "hard");
  for (const char* expected : {"ANY", "EXISTS", "NONE", "2", "3"}) {
    s_.Error({"EAPPEND", st, expected, "EVENT", "A", "x"}, "DELETED");
  }
  s_.Error({"EREAD", st}, "DELETED");
  s_.Error({"ETXN", "STREAM", st, "ANY", "EVENT", "A", "x"}, "DELETED");
  RespValue i = s_.Map({"EINFO", st});
  EXPECT_EQ(Str(i, "deleted"), "hard");
  EXPECT_EQ(Int(i, "version"), 2);
  // A soft-deleted stream can be hard-deleted too.
  std::string st2 = Stream("acct", "hard2");
  Fill(st2, 1);
  s_.Map({"EDELETE", st2, "1"});
  EXPECT_EQ(Str(s_.Map({"EDELETE", st2, "ANY", "HARD"}), "deleted"), "hard");
  s_.Error({"EAPPEND", st2, "ANY", "EVENT", "A", "x"}, "DELETED");
}

TEST_P(RespReadTest, TrimHidesEarlierEvents) {
  std::string st = Stream("acct", "trim");
  Fill(st, 5);
  RespValue t = s_.Map({"ETRIM", st, "3"});
  EXPECT_EQ(Int(t, "first_version"), 3);
  RespValue r = s_.Map({"EREAD", st});
  EXPECT_EQ(Versions(r), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(Int(r, "version"), 5);
  EXPECT_EQ(Versions(s_.Map({"EREAD", st, "FROM", "1", "COUNT", "2"})),
            (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(Versions(s_.Map({"EREAD", st, "BACKWARD"})), (std::vector<int64_t>{5, 4, 3}));
  EXPECT_EQ(Int(s_.Map({"EINFO", st}), "first_version"), 3);
  // Appends continue after the last version.
  EXPECT_EQ(Int(s_.Map({"EAPPEND", st, "5", "EVENT", "A", "x"}), "first_version"), 6);
  s_.Error({"ETRIM", st, "x"}, "INVALID");
}

TEST_P(RespReadTest, VerifyShard) {
  RespValue a = Fill(Stream("acct", "verify"), 3);
  std::string shard = "#" + std::to_string(Int(a, "shard"));
  RespValue v = s_.Map({"EVERIFY", "#0"});
  EXPECT_EQ(v.Keys(), (std::vector<std::string>{"ok", "checked", "head_hash", "first_bad_position",
                                                "first_bad_segment", "first_bad_offset"}));
  EXPECT_TRUE(s_.Bool(Field(v, "ok")));
  EXPECT_TRUE(IsNullField(v, "first_bad_position"));
  EXPECT_TRUE(std::regex_match(Str(v, "head_hash"), std::regex("^[0-9a-f]{64}$")));
  RespValue w = s_.Map({"EVERIFY", shard});
  EXPECT_TRUE(s_.Bool(Field(w, "ok")));
  EXPECT_GE(Int(w, "checked"), Int(a, "last_position"));
  RespValue range = s_.Map({"EVERIFY", shard, "FROM", "1", "TO", "2"});
  EXPECT_TRUE(s_.Bool(Field(range, "ok")));
  EXPECT_EQ(Int(range, "checked"), 2);
  s_.Error({"EVERIFY", "0"}, "INVALID");
  s_.Error({"EVERIFY", "#99"}, "INVALID");
}

}  // namespace
}  // namespace cairn::testing
