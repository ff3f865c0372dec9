// io_uring implementation of AsyncDisk: each write is linked to the fdatasync after it
// (IOSQE_IO_LINK), so the sync starts only when the write is done, without a round trip
// through user space. An eventfd read is kept armed on the ring so that Wake() from
// another thread ends a blocking Poll.

#include <liburing.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "base/assert.h"
#include "io/env.h"

namespace cairn {
namespace {

constexpr uint64_t kWakeTag = ~0ull;

class UringDisk final : public AsyncDisk {
 public:
  ~UringDisk() override {
    if (ring_ready_) io_uring_queue_exit(&ring_);
    if (event_fd_ >= 0) ::close(event_fd_);
  }

  Status Init(uint32_t depth) {
    event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_fd_ < 0) return Status::IoError(std::string("eventfd: ") + std::strerror(errno));
    int r = io_uring_queue_init(depth, &ring_, 0);
    if (r < 0) return Status::IoError(std::string("io_uring_queue_init: ") + std::strerror(-r));
    ring_ready_ = true;
    ArmWake();
    return Flush();
  }

  Status SubmitWriteAndSync(int fd, const void* buf, uint32_t len, uint64_t offset,
                            uint64_t token) override {
    CAIRN_ASSERT(token < (1ull << 62));
    io_uring_sqe* w = GetSqe();
    io_uring_prep_write(w, fd, buf, len, offset);
    w->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(w, token << 1);
    io_uring_sqe* s = GetSqe();
    io_uring_prep_fsync(s, fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(s, (token << 1) | 1);
    pending_[token] = Pending{len, 0, 0, false};
    return Flush();
  }

  Status Poll(std::vector<IoCompletion>* out, uint32_t timeout_ms) override {
    io_uring_cqe* cqe = nullptr;
    int r;
    if (timeout_ms == 0) {
      r = io_uring_peek_cqe(&ring_, &cqe);
    } else {
      __kernel_timespec ts{timeout_ms / 1000, static_cast<long long>(timeout_ms % 1000) * 1000000};
      r = io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
    }
    if (r < 0 && r != -ETIME && r != -EAGAIN && r != -EINTR) {
      return Status::IoError(std::string("io_uring wait: ") + std::strerror(-r));
    }
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      Handle(cqe->user_data, cqe->res, out);
    }
    io_uring_cq_advance(&ring_, seen);
    if (rearm_) {
      rearm_ = false;
      ArmWake();
      return Flush();
    }
    return Status::Ok();
  }

  void Wake() override {
    uint64_t one = 1;
    ssize_t r = ::write(event_fd_, &one, sizeof(one));
    (void)r;  // EAGAIN means a wake is already pending: nothing to do.
  }

  uint32_t InFlight() const override { return static_cast<uint32_t>(pending_.size()); }

 private:
  struct Pending {
    uint32_t len;
    int write_res;
    int sync_res;
    bool write_done;
  };

  io_uring_sqe* GetSqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    CAIRN_ASSERT(sqe != nullptr);
    return sqe;
  }

  void ArmWake() {
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_read(sqe, event_fd_, &wake_buf_, sizeof(wake_buf_), 0);
    io_uring_sqe_set_data64(sqe, kWakeTag);
  }

  Status Flush() {
    int r = io_uring_submit(&ring_);
    if (r < 0) return Status::IoError(std::string("io_uring_submit: ") + std::strerror(-r));
    return Status::Ok();
  }

  void Handle(uint64_t tag, int res, std::vector<IoCompletion>* out) {
    if (tag == kWakeTag) {
      rearm_ = true;
      return;
    }
    uint64_t token = tag >> 1;
    auto it = pending_.find(token);
    CAIRN_ASSERT(it != pending_.end());
    Pending& p = it->second;
    if ((tag & 1) == 0) {
      p.write_res = res;
      p.write_done = true;
      return;
    }
    CAIRN_ASSERT(p.write_done);  // linked: the sync completes after the write
    IoCompletion c;
    c.token = token;
    if (p.write_res < 0) {
      c.result = p.write_res;
      c.failed_op = "write";
    } else if (static_cast<uint32_t>(p.write_res) != p.len) {
      c.result = -EIO;
      c.short_write = true;
      c.failed_op = "write";
    } else if (res < 0) {
      c.result = res;
      c.failed_op = "fdatasync";
    }
    out->push_back(c);
    pending_.erase(it);
  }

  io_uring ring_{};
  bool ring_ready_ = false;
  int event_fd_ = -1;
  uint64_t wake_buf_ = 0;
  bool rearm_ = false;
  std::unordered_map<uint64_t, Pending> pending_;
};

class DefaultEnv final : public Env {
 public:
  FileSystem* fs() override { return PosixFileSystem(); }
  Clock* clock() override { return Clock::Real(); }
  Random* random() override { return Random::Real(); }
  Result<std::unique_ptr<AsyncDisk>> NewAsyncDisk() override { return NewUringDisk(64); }
};

}  // namespace

Result<std::unique_ptr<AsyncDisk>> NewUringDisk(uint32_t queue_depth) {
  auto disk = std::make_unique<UringDisk>();
  CAIRN_RETURN_IF_ERROR(disk->Init(queue_depth));
  return std::unique_ptr<AsyncDisk>(std::move(disk));
}

Env* Env::Default() {
  static DefaultEnv env;
  return &env;
}

}  // namespace cairn
