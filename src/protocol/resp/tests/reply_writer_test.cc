#include "protocol/resp/reply_writer.h"

#include <gtest/gtest.h>

#include "protocol/resp/reply_format.h"

namespace cairn::resp {
namespace {

TEST(ReplyWriter, Resp3Shapes) {
  std::string out;
  ReplyWriter w(&out, 3);
  w.Map(1);
  w.KeyBool("ok", true);
  w.Null();
  w.Push(1);
  w.Int(-5);
  w.Verbatim("a");
  EXPECT_EQ(out, "%1\r\n$2\r\nok\r\n#t\r\n_\r\n>1\r\n:-5\r\n=5\r\ntxt:a\r\n");
}

TEST(ReplyWriter, Resp2Shapes) {
  std::string out;
  ReplyWriter w(&out, 2);
  w.Map(1);
  w.KeyBool("ok", false);
  w.Null();
  w.Set(0);
  w.Verbatim("a");
  EXPECT_EQ(out, "*2\r\n$2\r\nok\r\n:0\r\n$-1\r\n*0\r\n$1\r\na\r\n");
}

TEST(ReplyWriter, ErrorsAndSimpleStringsStayOneLine) {
  std::string out;
  ReplyWriter w(&out, 3);
  w.Error("INVALID", "bad\r\nname");
  w.Simple("a\nb");
  EXPECT_EQ(out, "-INVALID bad  name\r\n+a b\r\n");
}

TEST(ReplyFormat, ConflictCarriesTheContractWord) {
  std::string out;
  ReplyWriter w(&out, 3);
  WriteStatus(w, Status::Conflict(ConflictDetail{"a/b/c", "3", 5}));
  EXPECT_EQ(out.rfind("-CONFLICT ", 0), 0u);
  EXPECT_NE(out.find("a/b/c"), std::string::npos);
}

TEST(ReplyFormat, AppendMapHasEveryField) {
  AppendResult r;
  r.shard = 1;
  r.first_position = 7;
  r.last_position = 8;
  r.timestamp_ms = 1000;
  r.streams.push_back({"a/b/c", 1, 2});
  std::string out;
  ReplyWriter w(&out, 3);
  WriteAppend(w, r, false);
  EXPECT_EQ(out.rfind("%8\r\n", 0), 0u);
  for (const char* k : {"stream", "first_version", "last_version", "shard", "first_position",
                        "last_position", "timestamp", "duplicate"}) {
    EXPECT_NE(out.find(k), std::string::npos) << k;
  }
  out.clear();
  ReplyWriter w2(&out, 3);
  WriteAppend(w2, r, true);
  EXPECT_EQ(out.rfind("%6\r\n", 0), 0u);
  EXPECT_NE(out.find("streams"), std::string::npos);
}

}  // namespace
}  // namespace cairn::resp
