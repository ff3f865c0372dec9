// A full disk through a real server: appends are refused with UNAVAILABLE (never
// acknowledged), acknowledged events still read back, and the server still stops cleanly.
// The data directory is a small tmpfs (O_DIRECT works on tmpfs); skipped where this process
// may not mount one.

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "resp_client.h"
#include "server_process.h"

namespace cairn::testing {
namespace {

TEST(DiskFullTest, AppendsAnswerUnavailableAndAcknowledgedEventsStay) {
  ServerProcess server({"--shards", "1", "--segment-size", "1MiB"});
  ::mkdir(server.data_dir().c_str(), 0755);
  if (::mount("tmpfs", server.data_dir().c_str(), "tmpfs", 0, "size=6m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs CAP_SYS_ADMIN)";
  }
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{server.data_dir()};
  ASSERT_TRUE(server.Start()) << server.error() << server.LogTail();
  RespClient c(server.resp_port());
  const std::string data(400000, 'x');
  int acked = 0;
  RespValue refused;
  for (int i = 0; i < 40; ++i) {
    RespValue r = c.Call({"EAPPEND", "acme/s/1", "ANY", "EVENT", "T", data});
    if (r.IsError()) {
      refused = r;
      break;
    }
    ASSERT_EQ(r.Find("last_version")->integer, acked + 1) << r.Debug();
    ++acked;
  }
  ASSERT_TRUE(refused.IsError()) << "6 MiB never filled";
  EXPECT_EQ(refused.ErrorCode(), "UNAVAILABLE") << refused.Debug();
  // The shard stays stopped: later writes are refused the same way, reads still work.
  EXPECT_EQ(c.Call({"EAPPEND", "acme/s/2", "ANY", "EVENT", "T", "small"}).ErrorCode(),
            "UNAVAILABLE");
  RespValue read = c.Call({"EREAD", "acme/s/1", "COUNT", "100"});
  ASSERT_FALSE(read.IsError()) << read.Debug();
  const RespValue* events = read.Find("events");
  ASSERT_NE(events, nullptr);
  ASSERT_EQ(static_cast<int>(events->items.size()), acked);
  for (const RespValue& e : events->items) EXPECT_EQ(e.Find("data")->str, data);
  c.Close();
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

}  // namespace
}  // namespace cairn::testing
