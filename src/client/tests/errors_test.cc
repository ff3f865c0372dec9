#include <gtest/gtest.h>

#include "cairn/client.h"
#include "client/address.h"

namespace cairn::client {
namespace {

TEST(ErrorsTest, CodeWordsMapToStatusCodes) {
  struct Want {
    const char* line;
    StatusCode code;
    const char* message;
    const char* word;
  };
  const Want cases[] = {
      {"INVALID stream name", StatusCode::kInvalid, "stream name", "INVALID"},
      {"TOOLARGE event over 1 MiB", StatusCode::kTooLarge, "event over 1 MiB", "TOOLARGE"},
      {"CONFLICT whatever", StatusCode::kConflict, "whatever", "CONFLICT"},
      {"DELETED stream is deleted", StatusCode::kDeleted, "stream is deleted", "DELETED"},
      {"CROSSSHARD two shards", StatusCode::kCrossShard, "two shards", "CROSSSHARD"},
      {"IDEMPOTENCY key reused", StatusCode::kIdempotency, "key reused", "IDEMPOTENCY"},
      {"BUSY try later", StatusCode::kBusy, "try later", "BUSY"},
      {"UNAVAILABLE disk failed", StatusCode::kUnavailable, "disk failed", "UNAVAILABLE"},
      {"ERR unknown command 'FOO'", StatusCode::kInvalid, "ERR unknown command 'FOO'", "ERR"},
      {"SCHEMA /a: must be integer", StatusCode::kSchema, "/a: must be integer", "SCHEMA"},
      {"NOAUTH authenticate first", StatusCode::kInvalid, "NOAUTH authenticate first", "NOAUTH"},
      {"NOPERM org acme", StatusCode::kInvalid, "NOPERM org acme", "NOPERM"},
      {"NOTLEADER 10.0.0.2:7379", StatusCode::kUnavailable, "NOTLEADER 10.0.0.2:7379", "NOTLEADER"},
      {"BUSY", StatusCode::kBusy, "", "BUSY"},
      {"WRONGTYPE Operation", StatusCode::kInvalid, "WRONGTYPE Operation", "INVALID"},
  };
  for (const Want& w : cases) {
    Status s = StatusFromErrorReply(w.line);
    EXPECT_EQ(s.code(), w.code) << w.line;
    EXPECT_EQ(s.message(), w.message) << w.line;
    EXPECT_EQ(ErrorWord(s), w.word) << w.line;
    if (std::string_view(w.word) != "INVALID" || std::string_view(w.line).starts_with("INVALID")) {
      EXPECT_EQ(ErrorLine(s), w.line) << w.line;
    }
  }
  EXPECT_EQ(ErrorLine(Status::Unavailable("connect x: refused")), "UNAVAILABLE connect x: refused");
  EXPECT_EQ(ErrorLine(Status::Corruption("bad reply")), "PROTOCOL bad reply");
}

TEST(ErrorsTest, ConflictCarriesItsDetail) {
  Status s = StatusFromErrorReply("CONFLICT stream acme/a/1 expected version 3 but is at 5");
  ASSERT_EQ(s.code(), StatusCode::kConflict);
  ASSERT_NE(s.conflict(), nullptr);
  EXPECT_EQ(s.conflict()->stream, "acme/a/1");
  EXPECT_EQ(s.conflict()->expected, "3");
  EXPECT_EQ(s.conflict()->actual, 5u);
  EXPECT_EQ(s.message(), "stream acme/a/1 expected version 3 but is at 5");
  // An id may hold spaces and the contract's words.
  s = StatusFromErrorReply("CONFLICT stream a/b/x but is at y expected version none but is at 0");
  ASSERT_NE(s.conflict(), nullptr);
  EXPECT_EQ(s.conflict()->stream, "a/b/x but is at y");
  EXPECT_EQ(s.conflict()->expected, "none");
  EXPECT_EQ(StatusFromErrorReply("CONFLICT other wording").conflict(), nullptr);
}

TEST(AddressTest, SplitHostPort) {
  auto hp = SplitHostPort("127.0.0.1:7379");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, "7379");
  hp = SplitHostPort("[::1]:80");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, "80");
  hp = SplitHostPort("localhost");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->port, "7379");
  hp = SplitHostPort(":9000");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "127.0.0.1");
  for (const char* bad : {"h:0", "h:65536", "h:x", "h:", "::1:80", "[::1", "[::1]x"}) {
    EXPECT_FALSE(SplitHostPort(bad).ok()) << bad;
  }
}

TEST(ConnectionTest, RefusedIsUnavailable) {
  // Port 1 on loopback: nothing listens there in a test environment.
  auto c = Client::Connect("127.0.0.1:1");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(ErrorWord(c.status()), "UNAVAILABLE");
}

}  // namespace
}  // namespace cairn::client
