#include <fcntl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "base/aligned_buffer.h"
#include "io/env.h"
#include "testing/temp_dir.h"

namespace cairn {
namespace {

std::vector<IoCompletion> WaitFor(AsyncDisk* disk, size_t n) {
  std::vector<IoCompletion> out;
  for (int i = 0; i < 1000 && out.size() < n; ++i) {
    Status st = disk->Poll(&out, 100);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return out;
}

TEST(UringDisk, WriteAndSyncCompleteOnceWithTheData) {
  testing::TempDir dir;
  FileSystem* fs = Env::Default()->fs();
  auto fd = fs->OpenFile(dir.Sub("f"), O_RDWR | O_CREAT | O_DIRECT, 0644);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  auto disk = Env::Default()->NewAsyncDisk();
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  AlignedBuffer a, b;
  a.Resize(8192);
  b.Resize(4096);
  std::memset(a.data(), 'a', a.size());
  std::memset(b.data(), 'b', b.size());
  ASSERT_TRUE((*disk)->SubmitWriteAndSync(*fd, a.data(), 8192, 0, 11).ok());
  ASSERT_TRUE((*disk)->SubmitWriteAndSync(*fd, b.data(), 4096, 8192, 12).ok());
  auto done = WaitFor(disk->get(), 2);
  ASSERT_EQ(done.size(), 2u);
  for (const IoCompletion& c : done) {
    EXPECT_EQ(c.result, 0) << c.failed_op;
    EXPECT_TRUE(c.token == 11 || c.token == 12);
  }
  EXPECT_NE(done[0].token, done[1].token);
  EXPECT_EQ((*disk)->InFlight(), 0u);
  AlignedBuffer back;
  back.Resize(12288);
  auto got = fs->ReadAt(*fd, back.data(), 12288, 0);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(*got, 12288u);
  EXPECT_EQ(back.data()[0], 'a');
  EXPECT_EQ(back.data()[8191], 'a');
  EXPECT_EQ(back.data()[8192], 'b');
  EXPECT_EQ(back.data()[12287], 'b');
  (void)fs->CloseFile(*fd);
}

TEST(UringDisk, AFailedWriteIsReportedNotRetried) {
  testing::TempDir dir;
  FileSystem* fs = Env::Default()->fs();
  auto fd = fs->OpenFile(dir.Sub("f"), O_RDONLY | O_CREAT, 0644);  // not writable
  ASSERT_TRUE(fd.ok());
  auto disk = Env::Default()->NewAsyncDisk();
  ASSERT_TRUE(disk.ok());
  AlignedBuffer a;
  a.Resize(4096);
  ASSERT_TRUE((*disk)->SubmitWriteAndSync(*fd, a.data(), 4096, 0, 5).ok());
  auto done = WaitFor(disk->get(), 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].token, 5u);
  EXPECT_LT(done[0].result, 0);
  EXPECT_STREQ(done[0].failed_op, "write");
  (void)fs->CloseFile(*fd);
}

TEST(UringDisk, WakeInterruptsABlockingPoll) {
  auto disk = Env::Default()->NewAsyncDisk();
  ASSERT_TRUE(disk.ok());
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (*disk)->Wake();
  });
  auto t0 = std::chrono::steady_clock::now();
  std::vector<IoCompletion> out;
  ASSERT_TRUE((*disk)->Poll(&out, 10000).ok());
  auto waited = std::chrono::steady_clock::now() - t0;
  waker.join();
  EXPECT_TRUE(out.empty());
  EXPECT_LT(waited, std::chrono::seconds(5));
}

}  // namespace
}  // namespace cairn
