#include "reactor/reactor.h"

#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/assert.h"

namespace cairn::reactor {

// Completes when another thread wrote to the eventfd (Post or Stop).
class Reactor::Waker final : public IoHandler {
 public:
  explicit Waker(Reactor* r) : reactor_(r) {}
  void OnIo(int result, uint32_t flags) override {
    if (!reactor_->stopping()) reactor_->ArmWaker();
  }

 private:
  Reactor* reactor_;
};

Reactor::~Reactor() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (event_fd_ >= 0) close(event_fd_);
  delete waker_;
}

Status Reactor::Init() {
  // One thread submits and reaps (Run's): the kernel then runs completion work only when that
  // thread asks for completions (DEFER_TASKRUN) instead of interrupting it for each one. The
  // ring starts disabled so that Run's thread, not the one calling Init, becomes its issuer.
  // Older kernels refuse flags they do not know (EINVAL): fewer flags, then none.
  constexpr unsigned kFlagSets[] = {
      IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
          IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED,
      IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
      0,
  };
  int rc = -EINVAL;
  for (unsigned flags : kFlagSets) {
    io_uring_params params{};
    params.flags = flags;
    rc = io_uring_queue_init_params(ring_entries_, &ring_, &params);
    disabled_ = rc == 0 && (flags & IORING_SETUP_R_DISABLED) != 0;
    if (rc != -EINVAL) break;
  }
  if (rc < 0) return Status::IoError(std::string("io_uring_queue_init: ") + strerror(-rc));
  ring_ready_ = true;
  event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0) return Status::IoError(std::string("eventfd: ") + strerror(errno));
  waker_ = new Waker(this);
  ArmWaker();
  return Status::Ok();
}

io_uring_sqe* Reactor::Sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void Reactor::ArmWaker() {
  io_uring_sqe* sqe = Sqe();
  io_uring_prep_read(sqe, event_fd_, &event_value_, sizeof(event_value_), 0);
  Submit(sqe, waker_);
}

void Reactor::Post(Task* task) {
  Task* head = inbox_.load(std::memory_order_relaxed);
  do {
    task->next_task = head;
  } while (!inbox_.compare_exchange_weak(head, task, std::memory_order_release,
                                         std::memory_order_relaxed));
  // Only the push that makes the inbox non-empty wakes the loop; the loop drains it whole.
  if (head == nullptr) {
    uint64_t one = 1;
    ssize_t n = write(event_fd_, &one, sizeof(one));
    (void)n;  // EAGAIN: the counter is saturated, so the loop is awake anyway
  }
}

void Reactor::Stop() {
  stop_.store(true, std::memory_order_release);
  uint64_t one = 1;
  ssize_t n = write(event_fd_, &one, sizeof(one));
  (void)n;
}

void Reactor::RunInbox() {
  Task* list = inbox_.exchange(nullptr, std::memory_order_acquire);
  // The stack holds the newest first: reverse it to run tasks in posting order.
  Task* ordered = nullptr;
  while (list != nullptr) {
    Task* next = list->next_task;
    list->next_task = ordered;
    ordered = list;
    list = next;
  }
  while (ordered != nullptr) {
    Task* next = ordered->next_task;
    ordered->Run();
    ordered = next;
  }
}

namespace {

uint64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

}  // namespace

void Reactor::Run(const std::function<void()>& tick, uint32_t tick_ms) {
  if (disabled_) {
    // io_uring_enable_rings is missing from some liburing builds: the system call itself.
    long rc =
        syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0);
    CAIRN_ASSERT_MSG(rc == 0, "io_uring_register(ENABLE_RINGS) failed");
    disabled_ = false;
  }
  uint64_t next_tick = NowMs() + tick_ms;
  while (!stopping()) {
    uint64_t now = NowMs();
    uint64_t wait_ms = next_tick > now ? next_tick - now : 0;
    __kernel_timespec ts{};
    ts.tv_sec = static_cast<int64_t>(wait_ms / 1000);
    ts.tv_nsec = static_cast<int64_t>((wait_ms % 1000) * 1000000);
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    (void)rc;  // -ETIME and -EINTR: nothing completed; handled below
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      auto* handler = static_cast<IoHandler*>(io_uring_cqe_get_data(cqe));
      if (handler != nullptr) handler->OnIo(cqe->res, cqe->flags);
    }
    io_uring_cq_advance(&ring_, seen);
    RunInbox();
    now = NowMs();
    if (now >= next_tick) {
      if (tick) tick();
      next_tick = now + tick_ms;
    }
  }
  RunInbox();
}

}  // namespace cairn::reactor
