#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/random.h"
#include "cairn/resp_request_encoder.h"
#include "protocol/resp/request_parser.h"

namespace cairn::client {
namespace {

TEST(RequestEncoderTest, ArrayOfBulkStrings) {
  EXPECT_EQ(EncodeRequest({"PING"}), "*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(EncodeRequest({"SET", "k", ""}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  EXPECT_EQ(EncodeRequest({}), "*0\r\n");
  std::string binary("a\r\n\0b", 5);
  EXPECT_EQ(EncodeRequest({binary}), std::string("*1\r\n$5\r\na\r\n\0b\r\n", 15));
}

TEST(RequestEncoderTest, BuilderAppendsToTheSameBuffer) {
  std::string out;
  RequestEncoder e(&out);
  e.Begin(3).Arg("EREAD").Arg("a/b/c").Arg(uint64_t{18446744073709551615ull}).End();
  e.Encode({"PING"});
  EXPECT_EQ(out,
            "*3\r\n$5\r\nEREAD\r\n$5\r\na/b/c\r\n$20\r\n18446744073709551615\r\n"
            "*1\r\n$4\r\nPING\r\n");
}

// Whatever the arguments hold, the server's request parser reads back exactly them.
TEST(RequestEncoderTest, RoundTripsThroughTheServerParser) {
  SeededRandom rng(7);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<std::string> args(1 + rng.Uniform(8));
    for (std::string& a : args) {
      a.resize(rng.Uniform(iter % 10 == 0 ? 5000 : 40));
      for (char& c : a) c = static_cast<char>(rng.Next64());
    }
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    RequestEncoder(&out).Encode(views);
    std::vector<std::string_view> parsed;
    resp::ParseOutcome o = resp::ParseRequest(out, resp::ParserLimits{}, &parsed);
    ASSERT_EQ(o.status, resp::ParseStatus::kComplete) << o.error;
    EXPECT_EQ(o.consumed, out.size());
    ASSERT_EQ(parsed.size(), args.size());
    for (size_t i = 0; i < args.size(); ++i) EXPECT_EQ(parsed[i], args[i]);
  }
}

}  // namespace
}  // namespace cairn::client
