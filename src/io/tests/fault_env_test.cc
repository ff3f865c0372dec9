#include "io/fault_env.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/aligned_buffer.h"
#include "testing/temp_dir.h"

namespace cairn {
namespace {

class FaultEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fd = env_.fs()->OpenFile(dir_.Sub("seg.log"), O_RDWR | O_CREAT | O_DIRECT, 0644);
    ASSERT_TRUE(fd.ok()) << fd.status().ToString();
    fd_ = *fd;
    auto disk = env_.NewAsyncDisk();
    ASSERT_TRUE(disk.ok());
    disk_ = std::move(*disk);
    buf_.Resize(16384);
    for (size_t i = 0; i < buf_.size(); ++i) buf_.data()[i] = static_cast<char>('A' + i % 26);
  }
  void TearDown() override { (void)env_.fs()->CloseFile(fd_); }

  IoCompletion WriteOnce(uint64_t token) {
    EXPECT_TRUE(disk_->SubmitWriteAndSync(fd_, buf_.data(), 16384, 0, token).ok());
    std::vector<IoCompletion> out;
    for (int i = 0; i < 100 && out.empty(); ++i) EXPECT_TRUE(disk_->Poll(&out, 100).ok());
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? IoCompletion{} : out[0];
  }
  // What reached the file, read with a buffered descriptor.
  std::string FileBytes() {
    FileSystem* fs = PosixFileSystem();
    auto fd = fs->OpenFile(dir_.Sub("seg.log"), O_RDONLY, 0);
    EXPECT_TRUE(fd.ok());
    std::string s(32768, '\0');
    auto n = fs->ReadAt(*fd, s.data(), s.size(), 0);
    (void)fs->CloseFile(*fd);
    s.resize(n.ok() ? *n : 0);
    return s;
  }

  testing::TempDir dir_;
  FaultInjectionEnv env_{Env::Default()};
  int fd_ = -1;
  std::unique_ptr<AsyncDisk> disk_;
  AlignedBuffer buf_;
};

TEST_F(FaultEnvTest, NoFaultWritesEverything) {
  IoCompletion c = WriteOnce(1);
  EXPECT_EQ(c.result, 0);
  EXPECT_EQ(FileBytes(), std::string(buf_.data(), 16384));
  EXPECT_EQ(env_.plan().log_writes.load(), 1u);
}

TEST_F(FaultEnvTest, WriteErrnoFailsBeforeTheDisk) {
  env_.plan().write_errno = ENOSPC;
  IoCompletion c = WriteOnce(2);
  EXPECT_EQ(c.token, 2u);
  EXPECT_EQ(c.result, -ENOSPC);
  EXPECT_STREQ(c.failed_op, "write");
  EXPECT_TRUE(FileBytes().empty());
  EXPECT_EQ(WriteOnce(3).result, 0);  // one-shot
}

TEST_F(FaultEnvTest, SyncErrnoLandsTheBytesButFailsTheSync) {
  env_.plan().sync_errno = EIO;
  IoCompletion c = WriteOnce(4);
  EXPECT_EQ(c.result, -EIO);
  EXPECT_STREQ(c.failed_op, "fdatasync");
  EXPECT_EQ(FileBytes(), std::string(buf_.data(), 16384));
}

TEST_F(FaultEnvTest, ShortWritePersistsTheFirstHalf) {
  env_.plan().short_write = true;
  IoCompletion c = WriteOnce(5);
  EXPECT_LT(c.result, 0);
  EXPECT_TRUE(c.short_write);
  EXPECT_EQ(FileBytes(), std::string(buf_.data(), 8192));
}

TEST_F(FaultEnvTest, TornWritePersistsAPrefixThenTheMachineIsDown) {
  env_.plan().torn_write_bytes = 1000;
  IoCompletion c = WriteOnce(6);
  EXPECT_LT(c.result, 0);
  EXPECT_EQ(FileBytes(), std::string(buf_.data(), 1000));
  EXPECT_TRUE(env_.plan().dead.load());
  EXPECT_LT(WriteOnce(7).result, 0);  // nothing completes any more
  AlignedBuffer r;
  r.Resize(4096);
  EXPECT_FALSE(env_.fs()->ReadAt(fd_, r.data(), 4096, 0).ok());
}

TEST_F(FaultEnvTest, BitFlipOnReadsOfAMatchingPath) {
  ASSERT_EQ(WriteOnce(8).result, 0);
  {
    std::lock_guard<std::mutex> l(env_.plan().flip_mu);
    env_.plan().flip_path_suffix = "seg.log";
    env_.plan().flip_offset = 5000;
    env_.plan().flip_bit = 3;
  }
  AlignedBuffer r;
  r.Resize(8192);
  auto n = env_.fs()->ReadAt(fd_, r.data(), 8192, 4096);
  ASSERT_TRUE(n.ok());
  for (size_t i = 0; i < 8192; ++i) {
    char want = buf_.data()[4096 + i];
    if (4096 + i == 5000) want = static_cast<char>(want ^ (1 << 3));
    ASSERT_EQ(r.data()[i], want) << "byte " << 4096 + i;
  }
  // The file itself is intact.
  EXPECT_EQ(FileBytes(), std::string(buf_.data(), 16384));
}

}  // namespace
}  // namespace cairn
