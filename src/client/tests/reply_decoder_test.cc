// Round trips: the server's reply writer (src/protocol/resp/reply_format.h) writes a result
// in RESP3 and in RESP2, the client parses and decodes it back to the same value.

#include "client/reply_decoder.h"

#include <gtest/gtest.h>

#include "cairn/resp_reply_parser.h"
#include "client/tests/sample_event.h"
#include "protocol/resp/reply_format.h"

namespace cairn::client {
namespace {

template <typename F>
RespValue Written(int protocol, F write) {
  std::string bytes;
  resp::ReplyWriter w(&bytes, protocol);
  write(w);
  ReplyParser p;
  p.Feed(bytes);
  RespValue v;
  auto r = p.Next(&v);
  EXPECT_TRUE(r.ok() && *r) << bytes;
  EXPECT_EQ(p.buffered(), 0u);
  return v;
}

class DecoderTest : public ::testing::TestWithParam<int> {};

TEST_P(DecoderTest, Append) {
  AppendResult a;
  a.shard = 2;
  a.first_position = 10;
  a.last_position = 12;
  a.timestamp_ms = 1764072000000;
  a.duplicate = true;
  a.streams = {{"acme/account/42", 4, 6}};
  auto got =
      DecodeAppend(Written(GetParam(), [&](auto& w) { resp::WriteAppend(w, a, false); }), false);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, a);

  a.duplicate = false;
  a.streams = {{"acme/account/1", 1, 2}, {"acme/order/9", 7, 7}};
  got = DecodeAppend(Written(GetParam(), [&](auto& w) { resp::WriteAppend(w, a, true); }), true);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, a);
}

TEST_P(DecoderTest, ReadAndScan) {
  for (bool with_hash : {false, true}) {
    ReadResult r;
    r.events = {SampleEvent(1, with_hash), SampleEvent(2, with_hash)};
    r.next = 3;
    r.version = 9;
    auto got = DecodeRead(Written(GetParam(), [&](auto& w) { resp::WriteRead(w, r, with_hash); }));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->events, r.events);
    EXPECT_EQ(got->next, r.next);
    EXPECT_EQ(got->version, r.version);

    r.next.reset();
    r.events.clear();
    got = DecodeRead(Written(GetParam(), [&](auto& w) { resp::WriteRead(w, r, with_hash); }));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(got->events.empty());
    EXPECT_FALSE(got->next.has_value());

    ScanResult s;
    s.events = {SampleEvent(5, with_hash)};
    s.next = 106;
    s.shard = 3;
    auto scan = DecodeScan(Written(GetParam(), [&](auto& w) { resp::WriteScan(w, s, with_hash); }));
    ASSERT_TRUE(scan.ok()) << scan.status().ToString();
    EXPECT_EQ(scan->events, s.events);
    EXPECT_EQ(scan->next, s.next);
    EXPECT_EQ(scan->shard, 3u);
  }
}

TEST_P(DecoderTest, InfoStreamsStrings) {
  for (DeletedState d : {DeletedState::kNone, DeletedState::kSoft, DeletedState::kHard}) {
    StreamInfo i{"acme/account/42", 7, 3, 1, 1000, 2000, d};
    auto got = DecodeInfo(Written(GetParam(), [&](auto& w) { resp::WriteInfo(w, i); }));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, i);
  }
  ListStreamsResult l;
  l.streams = {"acme/a/1", "acme/a/2"};
  l.next = "acme/a/2";
  auto got = DecodeStreams(Written(GetParam(), [&](auto& w) { resp::WriteStreams(w, l); }));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->streams, l.streams);
  EXPECT_EQ(got->next, l.next);
  l.next.reset();
  got = DecodeStreams(Written(GetParam(), [&](auto& w) { resp::WriteStreams(w, l); }));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->next.has_value());

  std::vector<std::string> types = {"account", "order"};
  auto strings = DecodeStrings(Written(GetParam(), [&](auto& w) { resp::WriteStrings(w, types); }));
  ASSERT_TRUE(strings.ok());
  EXPECT_EQ(*strings, types);
}

TEST_P(DecoderTest, VerifyAndShreddedEvent) {
  VerifyResult ok;
  ok.checked = 7;
  ok.head_hash[0] = 0xab;
  auto got = DecodeVerify(Written(GetParam(), [&](auto& w) { resp::WriteVerify(w, ok); }));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->ok);
  EXPECT_EQ(got->checked, 7u);
  EXPECT_EQ(got->head_hash, ok.head_hash);
  EXPECT_FALSE(got->first_bad_segment);

  VerifyResult bad = ok;
  bad.ok = false;
  bad.first_bad_position = 5;
  bad.first_bad_segment = 2;
  bad.first_bad_offset = 4096;
  bad.detail = "event entry checksum mismatch";
  got = DecodeVerify(Written(GetParam(), [&](auto& w) { resp::WriteVerify(w, bad); }));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->ok);
  EXPECT_EQ(got->first_bad_position, 5u);
  EXPECT_EQ(got->first_bad_segment, 2u);
  EXPECT_EQ(got->first_bad_offset, 4096u);
  EXPECT_EQ(got->detail, bad.detail);

  RecordedEvent e = SampleEvent(3, false);
  e.data.clear();
  e.metadata.clear();
  e.shredded = true;
  auto ev = DecodeEvent(Written(GetParam(), [&](auto& w) { resp::WriteEvent(w, e, false); }));
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(*ev, e);
}

INSTANTIATE_TEST_SUITE_P(Resp2And3, DecoderTest, ::testing::Values(2, 3));

TEST(DecoderErrorsTest, MissingOrMistypedFieldsAreCorruption) {
  RespValue map;
  map.type = RespType::kMap;
  map.elements = {RespValue::Bulk("stream"), RespValue::Bulk("a/b/c"), RespValue::Bulk("version"),
                  RespValue::Bulk("x")};
  auto r = DecodeInfo(map);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("version"), std::string::npos) << r.status().message();

  EXPECT_EQ(DecodeRead(RespValue::Integer(1)).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeStrings(RespValue::Bulk("x")).status().code(), StatusCode::kCorruption);
  RespValue negative = map;
  negative.elements[3] = RespValue::Integer(-1);
  EXPECT_EQ(DecodeInfo(negative).status().code(), StatusCode::kCorruption);
}

TEST(DecoderErrorsTest, ExtraFieldsAreIgnored) {
  StreamInfo i{"acme/account/42", 7, 3, 1, 1000, 2000, DeletedState::kNone};
  RespValue v = Written(3, [&](auto& w) { resp::WriteInfo(w, i); });
  v.elements.insert(v.elements.begin(), {RespValue::Bulk("future"), RespValue::Integer(1)});
  auto got = DecodeInfo(v);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, i);
}

}  // namespace
}  // namespace cairn::client
