#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "base/random.h"
#include "cairn/resp_reply_parser.h"

namespace cairn::client {
namespace {

RespValue Agg(RespType t, std::vector<RespValue> elements) {
  RespValue v;
  v.type = t;
  v.elements = std::move(elements);
  return v;
}

RespValue Bool(bool b) {
  RespValue v;
  v.type = RespType::kBoolean;
  v.integer = b;
  return v;
}

RespValue Double(double d) {
  RespValue v;
  v.type = RespType::kDouble;
  v.number = d;
  return v;
}

RespValue Big(std::string digits) {
  RespValue v;
  v.type = RespType::kBigNumber;
  v.str = std::move(digits);
  return v;
}

RespValue Verbatim(std::string text) {
  RespValue v;
  v.type = RespType::kVerbatim;
  v.verbatim_format = {'t', 'x', 't'};
  v.str = std::move(text);
  return v;
}

struct Case {
  std::string bytes;
  RespValue want;
};

// One case per type, and a few shapes of each.
std::vector<Case> Cases() {
  return {
      {"+OK\r\n", RespValue::Simple("OK")},
      {"+\r\n", RespValue::Simple("")},
      {"-ERR unknown command\r\n", RespValue::Error("ERR unknown command")},
      {":0\r\n", RespValue::Integer(0)},
      {":-42\r\n", RespValue::Integer(-42)},
      {":+7\r\n", RespValue::Integer(7)},
      {":9223372036854775807\r\n", RespValue::Integer(INT64_MAX)},
      {":-9223372036854775808\r\n", RespValue::Integer(INT64_MIN)},
      {"$5\r\nhello\r\n", RespValue::Bulk("hello")},
      {"$0\r\n\r\n", RespValue::Bulk("")},
      {std::string("$6\r\na\r\nb\0c\r\n", 12), RespValue::Bulk(std::string("a\r\nb\0c", 6))},
      {"$-1\r\n", RespValue::Null()},
      {"*-1\r\n", RespValue::Null()},
      {"_\r\n", RespValue::Null()},
      {"#t\r\n", Bool(true)},
      {"#f\r\n", Bool(false)},
      {",3.25\r\n", Double(3.25)},
      {",-1e10\r\n", Double(-1e10)},
      {",10\r\n", Double(10)},
      {",inf\r\n", Double(INFINITY)},
      {",-inf\r\n", Double(-INFINITY)},
      {",nan\r\n", Double(NAN)},
      {"(3492890328409238509324850943850943825024385\r\n",
       Big("3492890328409238509324850943850943825024385")},
      {"(-12\r\n", Big("-12")},
      {"=15\r\ntxt:Some string\r\n", Verbatim("Some string")},
      {"!21\r\nSYNTAX invalid syntax\r\n", RespValue::Error("SYNTAX invalid syntax")},
      {"*0\r\n", Agg(RespType::kArray, {})},
      {"*2\r\n:1\r\n$1\r\nx\r\n",
       Agg(RespType::kArray, {RespValue::Integer(1), RespValue::Bulk("x")})},
      {"%2\r\n+a\r\n:1\r\n+b\r\n_\r\n",
       Agg(RespType::kMap, {RespValue::Simple("a"), RespValue::Integer(1), RespValue::Simple("b"),
                            RespValue::Null()})},
      {"%0\r\n", Agg(RespType::kMap, {})},
      {"~2\r\n+x\r\n+y\r\n", Agg(RespType::kSet, {RespValue::Simple("x"), RespValue::Simple("y")})},
      {">3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n",
       Agg(RespType::kPush,
           {RespValue::Simple("message"), RespValue::Simple("chan"), RespValue::Bulk("hi")})},
      // Nested aggregates, empty ones inside, nulls inside.
      {"*3\r\n*0\r\n%1\r\n+k\r\n*1\r\n$-1\r\n~0\r\n",
       Agg(RespType::kArray, {Agg(RespType::kArray, {}),
                              Agg(RespType::kMap, {RespValue::Simple("k"),
                                                   Agg(RespType::kArray, {RespValue::Null()})}),
                              Agg(RespType::kSet, {})})},
      // Attributes are dropped wherever they appear.
      {"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2\r\n:3\r\n",
       Agg(RespType::kArray, {RespValue::Integer(2), RespValue::Integer(3)})},
      {"*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n|0\r\n:2\r\n",
       Agg(RespType::kArray, {RespValue::Integer(1), RespValue::Integer(2)})},
      {"|0\r\n+after-empty-attribute\r\n", RespValue::Simple("after-empty-attribute")},
  };
}

std::vector<RespValue> ParseAll(ReplyParser& p) {
  std::vector<RespValue> out;
  while (true) {
    RespValue v;
    auto r = p.Next(&v);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !*r) return out;
    out.push_back(std::move(v));
  }
}

Status ParseError(std::string_view bytes, const ReplyParser::Limits& limits = {}) {
  ReplyParser p(limits);
  p.Feed(bytes);
  RespValue v;
  while (true) {
    auto r = p.Next(&v);
    if (!r.ok()) return r.status();
    if (!*r) return Status::Ok();
  }
}

TEST(ReplyParserTest, EveryType) {
  for (const Case& c : Cases()) {
    ReplyParser p;
    p.Feed(c.bytes);
    RespValue v;
    auto r = p.Next(&v);
    ASSERT_TRUE(r.ok()) << c.bytes << ": " << r.status().ToString();
    ASSERT_TRUE(*r) << c.bytes;
    EXPECT_EQ(v, c.want) << c.bytes << " parsed as " << v.DebugString();
    EXPECT_EQ(p.buffered(), 0u) << c.bytes;
    auto again = p.Next(&v);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again);
  }
}

TEST(ReplyParserTest, IncompleteNeedsMore) {
  for (const Case& c : Cases()) {
    for (size_t n = 0; n < c.bytes.size(); ++n) {
      ReplyParser p;
      p.Feed(std::string_view(c.bytes).substr(0, n));
      RespValue v;
      auto r = p.Next(&v);
      ASSERT_TRUE(r.ok()) << c.bytes << " cut at " << n;
      EXPECT_FALSE(*r) << c.bytes << " cut at " << n;
    }
  }
}

TEST(ReplyParserTest, SplitAtEveryByteBoundary) {
  std::string all;
  std::vector<RespValue> want;
  for (const Case& c : Cases()) {
    all += c.bytes;
    want.push_back(c.want);
  }
  for (size_t split = 0; split <= all.size(); ++split) {
    ReplyParser p;
    std::vector<RespValue> got;
    p.Feed(std::string_view(all).substr(0, split));
    for (RespValue& v : ParseAll(p)) got.push_back(std::move(v));
    p.Feed(std::string_view(all).substr(split));
    for (RespValue& v : ParseAll(p)) got.push_back(std::move(v));
    ASSERT_EQ(got.size(), want.size()) << "split at " << split;
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "split at " << split;
  }
}

TEST(ReplyParserTest, OneByteAtATime) {
  std::string all;
  std::vector<RespValue> want;
  for (const Case& c : Cases()) {
    all += c.bytes;
    want.push_back(c.want);
  }
  ReplyParser p;
  std::vector<RespValue> got;
  for (char c : all) {
    p.Feed(std::string_view(&c, 1));
    for (RespValue& v : ParseAll(p)) got.push_back(std::move(v));
  }
  EXPECT_EQ(got, want);
}

TEST(ReplyParserTest, ZeroCopyWrite) {
  ReplyParser p;
  std::string bytes = "*2\r\n$3\r\nabc\r\n:5\r\n";
  std::span<char> w = p.PrepareWrite(bytes.size());
  ASSERT_GE(w.size(), bytes.size());
  std::copy(bytes.begin(), bytes.end(), w.begin());
  p.Commit(bytes.size());
  auto got = ParseAll(p);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], Agg(RespType::kArray, {RespValue::Bulk("abc"), RespValue::Integer(5)}));
}

TEST(ReplyParserTest, LargeBulkInChunks) {
  std::string payload(1 << 20, 'x');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 31);
  std::string bytes = "$" + std::to_string(payload.size()) + "\r\n" + payload + "\r\n+next\r\n";
  ReplyParser p;
  std::vector<RespValue> got;
  for (size_t i = 0; i < bytes.size(); i += 4093) {
    p.Feed(std::string_view(bytes).substr(i, 4093));
    for (RespValue& v : ParseAll(p)) got.push_back(std::move(v));
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].str, payload);
  EXPECT_EQ(got[1], RespValue::Simple("next"));
}

TEST(ReplyParserTest, MalformedInput) {
  const std::vector<std::string> bad = {
      "?\r\n",           "x\r\n",          "+OK\rX",
      ":\r\n",           ":12a\r\n",       ":99999999999999999999\r\n",
      ":1.5\r\n",        "$\r\n",          "$-2\r\n",
      "$abc\r\n",        "$3\r\nabcd\r\n", "$3\r\nab\r\n\r\n",
      "!-1\r\n",         "=-1\r\n",        "=3\r\ntxt\r\n",
      "=5\r\ntxt!a\r\n", "*-2\r\n",        "%-1\r\n",
      "~x\r\n",          "_x\r\n",         "#x\r\n",
      "#true\r\n",       ",\r\n",          ",1.5.5\r\n",
      ",abc\r\n",        "(\r\n",          "(12x\r\n",
      "(-\r\n",          "$?\r\n",         "*?\r\n",
      "*1\r\n?\r\n",
  };
  for (const std::string& b : bad) {
    Status s = ParseError(b);
    EXPECT_EQ(s.code(), StatusCode::kInvalid) << b;
  }
}

TEST(ReplyParserTest, ErrorIsStickyUntilReset) {
  ReplyParser p;
  p.Feed("x\r\n+OK\r\n");
  RespValue v;
  EXPECT_FALSE(p.Next(&v).ok());
  p.Feed("+OK\r\n");
  EXPECT_FALSE(p.Next(&v).ok());
  p.Reset();
  p.Feed("+OK\r\n");
  auto r = p.Next(&v);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(*r);
  EXPECT_EQ(v, RespValue::Simple("OK"));
}

TEST(ReplyParserTest, DepthLimit) {
  ReplyParser::Limits limits;
  limits.max_depth = 8;
  auto nested = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "*1\r\n";
    return s + ":1\r\n";
  };
  EXPECT_TRUE(ParseError(nested(8), limits).ok());
  EXPECT_EQ(ParseError(nested(9), limits).code(), StatusCode::kInvalid);
  // The default limit holds against a deep hostile reply without recursion.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "*1\r\n";
  EXPECT_EQ(ParseError(deep).code(), StatusCode::kInvalid);
  // Attributes count towards depth too.
  std::string attrs;
  for (int i = 0; i < 9; ++i) attrs += "|1\r\n";
  EXPECT_EQ(ParseError(attrs, limits).code(), StatusCode::kInvalid);
}

TEST(ReplyParserTest, SizeLimits) {
  ReplyParser::Limits limits;
  limits.max_bulk_bytes = 10;
  limits.max_line_bytes = 16;
  limits.max_aggregate_length = 4;
  limits.max_reply_bytes = 64;
  EXPECT_TRUE(ParseError("$10\r\n0123456789\r\n", limits).ok());
  // Refused from the header alone, before the payload arrives.
  EXPECT_EQ(ParseError("$11\r\n", limits).code(), StatusCode::kInvalid);
  EXPECT_EQ(ParseError("!11\r\n", limits).code(), StatusCode::kInvalid);
  EXPECT_EQ(ParseError("$99999999999999\r\n", limits).code(), StatusCode::kInvalid);
  EXPECT_TRUE(ParseError("+0123456789abcdef\r\n", limits).ok());
  EXPECT_EQ(ParseError("+0123456789abcdefg\r\n", limits).code(), StatusCode::kInvalid);
  // A line that never ends is refused once it passes the limit.
  EXPECT_EQ(ParseError("+0123456789abcdefg", limits).code(), StatusCode::kInvalid);
  EXPECT_TRUE(ParseError("+0123456789abcdef", limits).ok());
  EXPECT_TRUE(ParseError("*4\r\n", limits).ok());
  EXPECT_EQ(ParseError("*5\r\n", limits).code(), StatusCode::kInvalid);
  EXPECT_TRUE(ParseError("%4\r\n", limits).ok());  // a map's length counts pairs
  EXPECT_EQ(ParseError("%5\r\n", limits).code(), StatusCode::kInvalid);
  EXPECT_EQ(ParseError("~5\r\n", limits).code(), StatusCode::kInvalid);
  // One reply of more than 64 bytes in total.
  std::string big = "*4\r\n";
  for (int i = 0; i < 4; ++i) big += "$10\r\n0123456789\r\n";
  EXPECT_EQ(ParseError(big, limits).code(), StatusCode::kInvalid);
  // Many small replies are fine: the limit is per reply.
  std::string many;
  for (int i = 0; i < 100; ++i) many += "$10\r\n0123456789\r\n";
  EXPECT_TRUE(ParseError(many, limits).ok());
}

// A hostile header must not allocate up front: 16M elements announced, none sent.
TEST(ReplyParserTest, HugeAggregateHeaderDoesNotAllocate) {
  ReplyParser p;
  p.Feed("*16777216\r\n*16777216\r\n%8388608\r\n");
  RespValue v;
  auto r = p.Next(&v);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

// Random bytes and mutated valid replies: never a crash, only values or errors.
TEST(ReplyParserTest, RandomBytesAreSafe) {
  SeededRandom rng(42);
  std::string all;
  for (const Case& c : Cases()) all += c.bytes;
  const std::string alphabet = "+-:$_#,(=!*%~>|\r\n0123456789-?tfx";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    if (iter % 2 == 0) {
      size_t len = rng.Uniform(64);
      for (size_t i = 0; i < len; ++i) s += alphabet[rng.Uniform(alphabet.size())];
    } else {
      s = all.substr(rng.Uniform(all.size()), 200);
      for (int m = 0; m < 3; ++m) s[rng.Uniform(s.size())] = static_cast<char>(rng.Next64());
    }
    ReplyParser::Limits limits;
    limits.max_depth = 4;
    limits.max_bulk_bytes = 100;
    ReplyParser p(limits);
    size_t cut = rng.Uniform(s.size() + 1);
    p.Feed(std::string_view(s).substr(0, cut));
    RespValue v;
    for (int k = 0; k < 100; ++k) {
      auto r = p.Next(&v);
      if (!r.ok() || !*r) break;
    }
    p.Feed(std::string_view(s).substr(cut));
    for (int k = 0; k < 100; ++k) {
      auto r = p.Next(&v);
      if (!r.ok() || !*r) break;
    }
  }
}

TEST(RespValueTest, FindInMapAndFlatArray) {
  RespValue map = Agg(RespType::kMap, {RespValue::Bulk("a"), RespValue::Integer(1),
                                       RespValue::Simple("b"), RespValue::Integer(2)});
  ASSERT_NE(map.Find("b"), nullptr);
  EXPECT_EQ(map.Find("b")->integer, 2);
  EXPECT_EQ(map.Find("c"), nullptr);
  RespValue flat = map;
  flat.type = RespType::kArray;
  ASSERT_NE(flat.Find("a"), nullptr);
  EXPECT_EQ(flat.Find("a")->integer, 1);
  flat.elements.pop_back();
  EXPECT_EQ(flat.Find("a"), nullptr);  // odd length: not a map
  EXPECT_EQ(RespValue::Integer(1).Find("a"), nullptr);
}

TEST(RespValueTest, DebugString) {
  RespValue v =
      Agg(RespType::kMap, {RespValue::Bulk("k"), RespValue::Bulk(std::string("a\0\"", 3))});
  EXPECT_EQ(v.DebugString(), "{\"k\": \"a\\x00\\\"\"}");
  EXPECT_EQ(RespValue::Bulk(std::string(100, 'x')).DebugString(10), "\"xxxxxxxxx...");
}

}  // namespace
}  // namespace cairn::client
