// Verification end to end: a real server with 1 MiB segments, events until segments are
// sealed; then one byte flipped inside an event of a sealed segment while the server is
// stopped. Offline `cairn verify --data-dir`, EVERIFY, GET /v1/verify and online
// `cairn verify --addr` must all name the same position, segment and byte offset; before
// the damage all of them report ok with the same count and head hash.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "http_client.h"
#include "resp_test_util.h"
#include "server_process.h"

namespace cairn::testing {
namespace {

constexpr int kEvents = 1200;            // of about 1 KiB each: two sealed 1 MiB segments
constexpr int kDamagedEvent = 300;       // inside segment 1
constexpr size_t kEntryFixedSize = 122;  // docs/formats/log.md, event entry

struct CliRun {
  int exit_code = -1;
  std::string out;
};

CliRun RunCli(const std::string& args) {
  CliRun r;
  std::string cmd = std::string(ServerProcess::Binary()) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Marker(int i) {
  char b[32];
  std::snprintf(b, sizeof(b), "event-%06d-", i);
  return b;
}

struct Expected {
  uint64_t position = 0;
  uint64_t segment = 0;
  uint64_t offset = 0;
};

// `cairn verify` text: "shard 0: ok checked=N head_hash=H" and, when damaged,
// "shard 0: first_bad_position=P segment=S offset=O: ...".
void ExpectCliOk(const CliRun& r, uint64_t checked, const std::string& head) {
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("shard 0: ok checked=" + std::to_string(checked) + " head_hash=" + head),
            std::string::npos)
      << r.out;
}

void ExpectCliBad(const CliRun& r, const Expected& e) {
  EXPECT_EQ(r.exit_code, 1) << r.out;
  std::string want = "first_bad_position=" + std::to_string(e.position) +
                     " segment=" + std::to_string(e.segment) +
                     " offset=" + std::to_string(e.offset) + ":";
  EXPECT_NE(r.out.find(want), std::string::npos) << "want " << want << " in " << r.out;
}

class VerifyTest : public ::testing::Test {
 protected:
  VerifyTest() : server_({"--shards", "1", "--segment-size", "1MiB"}) {}

  std::string SegmentPath(uint64_t id) {
    char name[64];
    std::snprintf(name, sizeof(name), "/shard-000/log/%020llu.log",
                  static_cast<unsigned long long>(id));
    return server_.data_dir() + name;
  }

  ServerProcess server_;
};

TEST_F(VerifyTest, ACorruptedByteInASealedSegmentIsFoundOfflineAndOnlineAtItsPosition) {
  ASSERT_TRUE(server_.Start()) << server_.error();
  uint64_t damaged_position = 0;
  {
    Session s(server_.resp_port(), 3);
    std::string pad(1000, 'x');
    for (int i = 1; i <= kEvents; i += 20) {
      Args a{"EAPPEND", "acme/verify/1", "ANY"};
      for (int j = i; j < i + 20; ++j) {
        a.insert(a.end(), {"EVENT", "T", Marker(j) + pad});
      }
      RespValue r = s.Map(a);
      if (kDamagedEvent >= i && kDamagedEvent < i + 20) {
        damaged_position = static_cast<uint64_t>(Int(r, "first_position")) + (kDamagedEvent - i);
      }
    }
  }
  ASSERT_TRUE(std::filesystem::exists(SegmentPath(2))) << "no segment was sealed";

  // Undamaged: the same count and head hash online (EVERIFY, the CLI) and offline.
  std::string head;
  {
    Session s(server_.resp_port(), 3);
    RespValue v = s.Map({"EVERIFY", "#0"});
    EXPECT_TRUE(s.Bool(Field(v, "ok")));
    EXPECT_EQ(Int(v, "checked"), kEvents);
    EXPECT_TRUE(s.IsNull(Field(v, "first_bad_segment")));
    EXPECT_TRUE(s.IsNull(Field(v, "first_bad_offset")));
    head = Str(v, "head_hash");
  }
  std::string addr = "--addr 127.0.0.1:" + std::to_string(server_.resp_port());
  ExpectCliOk(RunCli("verify " + addr), kEvents, head);
  ASSERT_EQ(server_.Stop(), 0);
  ExpectCliOk(RunCli("verify --data-dir " + server_.data_dir()), kEvents, head);

  // Flip one byte inside the data of event kDamagedEvent.
  std::string path = SegmentPath(1);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t at = bytes.find(Marker(kDamagedEvent));
  ASSERT_NE(at, std::string::npos) << "event " << kDamagedEvent << " is not in segment 1";
  Expected e{damaged_position, 1, at - 1 /* type "T" */ - kEntryFixedSize};
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at + 20));
    char c = static_cast<char>(bytes[at + 20] ^ 0x01);
    f.write(&c, 1);
  }

  CliRun offline = RunCli("verify --data-dir " + server_.data_dir());
  ExpectCliBad(offline, e);
  CliRun offline_json = RunCli("verify --json --data-dir " + server_.data_dir());
  EXPECT_EQ(offline_json.exit_code, 1);
  EXPECT_NE(offline_json.out.find("\"first_bad_offset\":" + std::to_string(e.offset)),
            std::string::npos)
      << offline_json.out;

  ASSERT_TRUE(server_.Restart()) << server_.error() << server_.LogTail();
  {
    Session s(server_.resp_port(), 3);
    RespValue v = s.Map({"EVERIFY", "#0"});
    EXPECT_FALSE(s.Bool(Field(v, "ok")));
    EXPECT_EQ(Int(v, "first_bad_position"), static_cast<int64_t>(e.position));
    EXPECT_EQ(Int(v, "first_bad_segment"), static_cast<int64_t>(e.segment));
    EXPECT_EQ(Int(v, "first_bad_offset"), static_cast<int64_t>(e.offset));
    // A range that ends before the damaged record (its events 281..300) still verifies.
    RespValue before = s.Map({"EVERIFY", "#0", "TO", "280"});
    EXPECT_TRUE(s.Bool(Field(before, "ok")));
    EXPECT_EQ(Int(before, "checked"), 280);
  }
  {
    HttpConn http(server_.http_port());
    HttpResponse r = http.Request("GET", "/v1/verify?shard=0");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("\"ok\":false"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"first_bad_position\":" + std::to_string(e.position)),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find("\"first_bad_segment\":1"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"first_bad_offset\":" + std::to_string(e.offset)), std::string::npos)
        << r.body;
  }
  addr = "--addr 127.0.0.1:" + std::to_string(server_.resp_port());
  ExpectCliBad(RunCli("verify " + addr), e);
  CliRun online_json = RunCli("verify --json --shard 0 " + addr);
  EXPECT_EQ(online_json.exit_code, 1);
  EXPECT_NE(online_json.out.find("\"first_bad_offset\":" + std::to_string(e.offset)),
            std::string::npos)
      << online_json.out;
  // Usage: an online and an offline target at once.
  EXPECT_EQ(RunCli("verify --data-dir x " + addr).exit_code, 2);
}

}  // namespace
}  // namespace cairn::testing
