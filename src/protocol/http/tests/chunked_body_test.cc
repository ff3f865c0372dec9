#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "protocol/http/http_parser.h"
#include "protocol/http/tests/parse_helpers.h"

namespace cairn::http {
namespace {

using testing::ErrorStatus;
using testing::Parse;
using testing::Parsed;

const std::string kHead =
    "POST /v1/transactions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n";

TEST(ChunkedBody, DecodesChunksWithExtensionsAndTrailers) {
  const std::string in = kHead +
                         "4\r\nWiki\r\n"
                         "5;name=value;flag\r\npedia\r\n"
                         "D \t; x=\"quoted ; value\"\r\n in\r\n\r\nchunks\r\n"
                         "000\r\n"
                         "X-Checksum: abc\r\nX-Other: 1\r\n\r\n"
                         "GET /next";
  Parsed p = Parse(in);
  ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error.message;
  EXPECT_TRUE(p.request.chunked);
  EXPECT_EQ(p.request.body, "Wikipedia in\r\n\r\nchunks");
  EXPECT_EQ(p.consumed, in.size() - 9);
  // Trailers are checked and dropped, not added to the headers.
  EXPECT_EQ(p.request.Find("X-Checksum"), "");
  EXPECT_EQ(p.request.head_bytes, kHead.size());
}

TEST(ChunkedBody, EmptyBodyAndHexCase) {
  Parsed empty = Parse(kHead + "0\r\n\r\n");
  ASSERT_EQ(empty.status, ParseStatus::kComplete);
  EXPECT_EQ(empty.request.body, "");
  const std::string ten(10, 'x'), big(0x1f, 'y');
  Parsed hex = Parse(kHead + "a\r\n" + ten + "\r\n1F\r\n" + big + "\r\n0\r\n\r\n");
  ASSERT_EQ(hex.status, ParseStatus::kComplete) << hex.error.message;
  EXPECT_EQ(hex.request.body, ten + big);
}

TEST(ChunkedBody, CopiesAndMovesKeepTheBodyValid) {
  std::string in = kHead + "3\r\nabc\r\n0\r\n\r\n";
  Request copy, moved;
  {
    Parsed p = Parse(in);
    ASSERT_EQ(p.status, ParseStatus::kComplete);
    copy = p.request;
    Request tmp(p.request);
    moved = std::move(tmp);
  }
  std::vector<Request> many(3, copy);  // small bodies live inside the string (SSO)
  EXPECT_EQ(copy.body, "abc");
  EXPECT_EQ(copy.body.data(), copy.body_storage.data());
  EXPECT_EQ(moved.body, "abc");
  EXPECT_EQ(moved.body.data(), moved.body_storage.data());
  for (const Request& r : many) EXPECT_EQ(r.body, "abc");
}

TEST(ChunkedBody, RefusesBadFraming) {
  const std::vector<std::pair<int, std::string>> cases = {
      {400, "zz\r\nab\r\n0\r\n\r\n"},
      {400, "-1\r\n0\r\n\r\n"},
      {400, "0x2\r\nab\r\n0\r\n\r\n"},
      {400, "\r\nab\r\n0\r\n\r\n"},
      {400, " 2\r\nab\r\n0\r\n\r\n"},
      {400, "2x\r\nab\r\n0\r\n\r\n"},
      {400, "2;a\x01\r\nab\r\n0\r\n\r\n"},
      {400, "2\nab\r\n0\r\n\r\n"},
      {400, "2\r\nabc\r\n0\r\n\r\n"},
      {400, "2\r\nab\n0\r\n\r\n"},
      {400, "2\r\nab\r\n0\r\n\n"},
      {400, "2\r\nab\r\n0\r\nBad Trailer: 1\r\n\r\n"},
      {400, "2\r\nab\r\n0\r\nX: 1\r\n folded\r\n\r\n"},
      {400, "2;" + std::string(kMaxChunkLineBytes, 'e') + "\r\nab\r\n0\r\n\r\n"},
      {400, "2;" + std::string(kMaxChunkLineBytes, 'e')},  // refused before the line ends
      {400, "g"},
      {413, "ffffffffffffffffffffffff\r\n"},
      {413, "1010001\r\n"},  // 16 MiB + 64 KiB + 1: over the default, refused before the data
  };
  for (const auto& [status, body] : cases) {
    EXPECT_EQ(ErrorStatus(kHead + body), status) << body;
  }
}

TEST(ChunkedBody, BodyLimitCountsDecodedBytes) {
  Limits limits;
  limits.max_body_bytes = 10;
  EXPECT_EQ(Parse(kHead + "5\r\naaaaa\r\n5\r\nbbbbb\r\n0\r\n\r\n", limits).status,
            ParseStatus::kComplete);
  EXPECT_EQ(ErrorStatus(kHead + "5\r\naaaaa\r\n6\r\n", limits), 413);
  EXPECT_EQ(ErrorStatus(kHead + "b\r\n", limits), 413);
}

TEST(ChunkedBody, FramingIsBoundedByTheDataItCarries) {
  Limits limits;
  limits.max_header_bytes = 256;  // also the framing allowance
  std::string body;
  for (int i = 0; i < 200; ++i) body += "1;padding-padding\r\nx\r\n";
  body += "0\r\n\r\n";
  EXPECT_EQ(ErrorStatus(kHead + body, limits), 413);
  EXPECT_EQ(Parse(kHead + body).status, ParseStatus::kComplete);
}

TEST(ChunkedBody, TrailerLimits) {
  Limits limits;
  limits.max_headers = 2;
  limits.max_header_bytes = 256;
  EXPECT_EQ(ErrorStatus(kHead + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), 431);
  EXPECT_EQ(ErrorStatus(kHead + "0\r\nA: " + std::string(300, 'v') + "\r\n\r\n", limits), 431);
  EXPECT_EQ(ErrorStatus(kHead + "0\r\nA: " + std::string(300, 'v'), limits), 431);
  EXPECT_EQ(Parse(kHead + "0\r\nA: 1\r\nB: 2\r\n\r\n", limits).status, ParseStatus::kComplete);
}

TEST(ChunkedBody, NeedHintWaitsForTheWholeChunk) {
  const std::string in = kHead + "100\r\nabc";
  Parsed p = Parse(in);
  ASSERT_EQ(p.status, ParseStatus::kNeedMore);
  // The chunk's data, its CRLF and at least "0\r\n\r\n".
  EXPECT_EQ(p.need_hint, kHead.size() + 5 + 0x100 + 2 + 5);
}

}  // namespace
}  // namespace cairn::http
