#include "protocol/http/request_bodies.h"

#include <gtest/gtest.h>

namespace cairn::http {
namespace {

TEST(RequestBodies, AppendWithJsonAndBase64Data) {
  AppendRequest r;
  Status st = DecodeAppendBody(
      R"({"expected": 3, "events": [{"type": "A", "data": {"x": [1, 2]}, "metadata": "m"},
          {"type": "B", "data_base64": "AAEC", "id": "0190a0b0-0000-7000-8000-000000000001"}]})",
      "acme/t/1", &r);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(r.clauses.size(), 1u);
  EXPECT_EQ(r.clauses[0].stream, "acme/t/1");
  EXPECT_EQ(r.clauses[0].expected, Expected::Exact(3));
  ASSERT_EQ(r.clauses[0].events.size(), 2u);
  EXPECT_EQ(r.clauses[0].events[0].data, R"({"x":[1,2]})");
  EXPECT_EQ(r.clauses[0].events[0].metadata, R"("m")");
  EXPECT_EQ(r.clauses[0].events[1].data, std::string("\0\1\2", 3));
  EXPECT_TRUE(r.clauses[0].events[1].id.has_value());
}

TEST(RequestBodies, ExpectedKeywordsAndDefault) {
  for (auto [text, want] :
       {std::pair{"\"any\"", Expected::Any()}, std::pair{"\"EXISTS\"", Expected::Exists()},
        std::pair{"\"none\"", Expected::NoStream()}, std::pair{"0", Expected::NoStream()}}) {
    AppendRequest r;
    std::string body =
        std::string(R"({"expected": )") + text + R"(, "events": [{"type": "T", "data": 1}]})";
    ASSERT_TRUE(DecodeAppendBody(body, "a/b/c", &r).ok()) << body;
    EXPECT_EQ(r.clauses[0].expected, want) << body;
  }
  AppendRequest r;
  ASSERT_TRUE(DecodeAppendBody(R"({"events": [{"type": "T"}]})", "a/b/c", &r).ok());
  EXPECT_EQ(r.clauses[0].expected, Expected::Any());
  EXPECT_EQ(r.clauses[0].events[0].data, "");
}

TEST(RequestBodies, RefusalsAreInvalid) {
  const char* bad[] = {
      "",
      "[]",
      "{not json",
      R"({"events": []})",
      R"({"events": {}})",
      R"({"expected": "maybe", "events": [{"type": "T"}]})",
      R"({"expected": -1, "events": [{"type": "T"}]})",
      R"({"events": [{"data": 1}]})",
      R"({"events": [{"type": "T", "data": 1, "data_base64": "AA=="}]})",
      R"({"events": [{"type": "T", "data_base64": "!!"}]})",
      R"({"events": [{"type": "T", "id": "nope"}]})",
      R"({"events": [7]})",
  };
  for (const char* b : bad) {
    AppendRequest r;
    Status st = DecodeAppendBody(b, "a/b/c", &r);
    EXPECT_EQ(st.code(), StatusCode::kInvalid) << b;
  }
}

TEST(RequestBodies, TransactionAndTrim) {
  AppendRequest r;
  Status st = DecodeTransactionBody(
      R"({"streams": [{"stream": "a/b/1", "expected": "none", "events": [{"type": "T"}]},
                      {"stream": "a/b/2", "expected": 4}]})",
      &r);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(r.transaction);
  ASSERT_EQ(r.clauses.size(), 2u);
  EXPECT_TRUE(r.clauses[1].events.empty());
  EXPECT_EQ(r.clauses[1].expected, Expected::Exact(4));
  AppendRequest empty;
  EXPECT_FALSE(DecodeTransactionBody(R"({"streams": []})", &empty).ok());
  uint64_t before = 0;
  ASSERT_TRUE(DecodeTrimBody(R"({"before": 12})", &before).ok());
  EXPECT_EQ(before, 12u);
  EXPECT_FALSE(DecodeTrimBody(R"({"before": "x"})", &before).ok());
}

}  // namespace
}  // namespace cairn::http
