#include "protocol/resp/request_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::resp {
namespace {

TEST(RequestParser, ParsesArrayOfBulks) {
  std::vector<std::string_view> args;
  std::string in = "*2\r\n$4\r\nPING\r\n$5\r\nhello\r\n";
  ParseOutcome o = ParseRequest(in, ParserLimits{}, &args);
  ASSERT_EQ(o.status, ParseStatus::kComplete);
  EXPECT_EQ(o.consumed, in.size());
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[0], "PING");
  EXPECT_EQ(args[1], "hello");
}

TEST(RequestParser, BinarySafeBulks) {
  std::vector<std::string_view> args;
  std::string in("*1\r\n$5\r\na\r\n\0b\r\n", 16);
  ParseOutcome o = ParseRequest(in, ParserLimits{}, &args);
  ASSERT_EQ(o.status, ParseStatus::kComplete);
  EXPECT_EQ(args[0], std::string_view("a\r\n\0b", 5));
}

TEST(RequestParser, EveryPrefixNeedsMoreThenCompletes) {
  std::string one = "*3\r\n$7\r\nEAPPEND\r\n$13\r\nacme/a/1\r\nxyz\r\n$3\r\nANY\r\n";
  std::string in = one + "PING\r\n";
  for (size_t cut = 0; cut < one.size(); ++cut) {
    std::vector<std::string_view> args;
    ParseOutcome o = ParseRequest(std::string_view(in).substr(0, cut), ParserLimits{}, &args);
    ASSERT_EQ(o.status, ParseStatus::kNeedMore) << cut;
    if (o.need_bytes != 0) {
      EXPECT_LE(o.need_bytes, one.size()) << cut;
    }
  }
  std::vector<std::string_view> args;
  ParseOutcome o = ParseRequest(in, ParserLimits{}, &args);
  ASSERT_EQ(o.status, ParseStatus::kComplete);
  EXPECT_EQ(o.consumed, one.size());
  EXPECT_EQ(args[1], "acme/a/1\r\nxyz");
  o = ParseRequest(std::string_view(in).substr(o.consumed), ParserLimits{}, &args);
  ASSERT_EQ(o.status, ParseStatus::kComplete);
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0], "PING");
}

TEST(RequestParser, InlineCommands) {
  std::vector<std::string_view> args;
  ParseOutcome o = ParseRequest("  ECHO   hi\there \r\n", ParserLimits{}, &args);
  ASSERT_EQ(o.status, ParseStatus::kComplete);
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[2], "here");
  o = ParseRequest("\r\n", ParserLimits{}, &args);
  ASSERT_EQ(o.status, ParseStatus::kComplete);
  EXPECT_TRUE(args.empty());
  EXPECT_EQ(ParseRequest("PING", ParserLimits{}, &args).status, ParseStatus::kNeedMore);
}

TEST(RequestParser, MalformedFramesAreErrors) {
  const char* bad[] = {"*x\r\n",
                       "*1\r\n+PING\r\n",
                       "*1\r\n$-1\r\n",
                       "*1\r\n$3\r\nabcd\r\n",
                       "*1\r\n$3x\r\n",
                       "*1\r\n$\r\n",
                       "*99999999999999999999999\r\n",
                       "*1\n$1\r\na\r\n"};
  for (const char* b : bad) {
    std::vector<std::string_view> args;
    EXPECT_EQ(ParseRequest(b, ParserLimits{}, &args).status, ParseStatus::kError) << b;
  }
}

TEST(RequestParser, LimitsAreEnforced) {
  ParserLimits limits;
  limits.max_args = 2;
  limits.max_bulk_bytes = 4;
  limits.max_inline_bytes = 8;
  std::vector<std::string_view> args;
  ParseOutcome o = ParseRequest("*3\r\n", limits, &args);
  EXPECT_EQ(o.status, ParseStatus::kError);
  EXPECT_TRUE(o.too_large);
  o = ParseRequest("*1\r\n$5\r\n", limits, &args);
  EXPECT_EQ(o.status, ParseStatus::kError);
  EXPECT_TRUE(o.too_large);
  o = ParseRequest("123456789", limits, &args);
  EXPECT_EQ(o.status, ParseStatus::kError);
  // A large announced bulk tells the caller how much to wait for.
  o = ParseRequest("*1\r\n$4\r\nab", limits, &args);
  EXPECT_EQ(o.status, ParseStatus::kNeedMore);
  EXPECT_EQ(o.need_bytes, 14u);
}

TEST(RequestParser, NullArrayIsSkipped) {
  std::vector<std::string_view> args;
  ParseOutcome o = ParseRequest("*-1\r\n", ParserLimits{}, &args);
  ASSERT_EQ(o.status, ParseStatus::kComplete);
  EXPECT_EQ(o.consumed, 5u);
  EXPECT_TRUE(args.empty());
}

}  // namespace
}  // namespace cairn::resp
