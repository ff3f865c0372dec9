// How long one durable 4 KiB log write takes, by the ways the log could make it durable,
// on a freshly allocated file and on one already written with zeros:
//   pwrite + fdatasync           synchronous, one thread
//   io_uring write -> fsync      a write linked (IOSQE_IO_LINK) to an fdatasync
//   io_uring write RWF_DSYNC     one write carrying O_DSYNC (what the log does)
// Each mode writes consecutive 4 KiB blocks with O_DIRECT, one at a time, and the modes
// alternate over several rounds so that a noisy machine affects them alike.
//
//   build/bench/sync_bench [dir] [writes-per-round] [rounds]

#include <fcntl.h>
#include <liburing.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr size_t kBlock = 4096;
constexpr size_t kFileBytes = 256u << 20;

enum Mode { kSyncCall, kLinked, kDsync, kModes };
const char* const kModeNames[kModes] = {"pwrite + fdatasync", "io_uring write -> fsync",
                                        "io_uring write RWF_DSYNC"};

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::exit(1);
}

void Wait(io_uring* ring, int n) {
  for (int i = 0; i < n; ++i) {
    io_uring_cqe* c = nullptr;
    if (io_uring_wait_cqe(ring, &c) != 0) Die("io_uring_wait_cqe");
    if (c->res < 0) {
      errno = -c->res;
      Die("io_uring op");
    }
    io_uring_cqe_seen(ring, c);
  }
}

// Mean microseconds per durable write of `n` blocks starting at block `first`.
double Run(Mode m, int fd, io_uring* ring, char* buf, int n, size_t first) {
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    const off_t off = static_cast<off_t>((first + i) * kBlock);
    if (m == kSyncCall) {
      if (pwrite(fd, buf, kBlock, off) != static_cast<ssize_t>(kBlock)) Die("pwrite");
      if (fdatasync(fd) != 0) Die("fdatasync");
      continue;
    }
    io_uring_sqe* w = io_uring_get_sqe(ring);
    io_uring_prep_write(w, fd, buf, kBlock, off);
    if (m == kDsync) {
      w->rw_flags = RWF_DSYNC;
      io_uring_submit(ring);
      Wait(ring, 1);
      continue;
    }
    w->flags |= IOSQE_IO_LINK;
    io_uring_sqe* s = io_uring_get_sqe(ring);
    io_uring_prep_fsync(s, fd, IORING_FSYNC_DATASYNC);
    io_uring_submit(ring);
    Wait(ring, 2);
  }
  auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / n;
}

}  // namespace

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = argc > 1 ? argv[1] : (tmp && *tmp ? tmp : "/tmp");
  const int n = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  if (n <= 0 || rounds <= 0 || static_cast<size_t>(n) * kModes * rounds * kBlock > kFileBytes) {
    std::fprintf(stderr,
                 "usage: sync_bench [dir] [writes-per-round] [rounds] (at most %zu "
                 "blocks in all)\n",
                 kFileBytes / kBlock);
    return 2;
  }
  char* buf = static_cast<char*>(std::aligned_alloc(kBlock, 1u << 20));
  io_uring ring;
  if (io_uring_queue_init(8, &ring, 0) != 0) Die("io_uring_queue_init");
  std::printf("| file | %s | %s | %s |\n|---|---|---|---|\n", kModeNames[0], kModeNames[1],
              kModeNames[2]);
  for (bool zeroed : {false, true}) {
    const std::string path = dir + "/cairn-sync-bench-" + std::to_string(getpid());
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
    if (fd < 0) Die("open");
    if (posix_fallocate(fd, 0, kFileBytes) != 0) Die("posix_fallocate");
    if (zeroed) {
      std::memset(buf, 0, 1u << 20);
      for (size_t off = 0; off < kFileBytes; off += 1u << 20) {
        if (pwrite(fd, buf, 1u << 20, static_cast<off_t>(off)) != (1 << 20)) Die("pwrite zeros");
      }
      if (fdatasync(fd) != 0) Die("fdatasync");
    }
    std::memset(buf, 'x', kBlock);
    std::vector<std::vector<double>> us(kModes);
    size_t block = 0;
    for (int r = 0; r < rounds; ++r) {
      for (int m = 0; m < kModes; ++m) {
        us[m].push_back(Run(static_cast<Mode>(m), fd, &ring, buf, n, block));
        block += n;
      }
    }
    std::printf("| %s |", zeroed ? "written with zeros" : "allocated (fallocate)");
    for (auto& v : us) {
      std::sort(v.begin(), v.end());
      std::printf(" %.0f µs |", v[v.size() / 2]);
    }
    std::printf("\n");
    close(fd);
    unlink(path.c_str());
  }
  std::printf("(median of %d rounds of %d writes each; mean per write within a round)\n", rounds,
              n);
  io_uring_queue_exit(&ring);
  std::free(buf);
  return 0;
}
