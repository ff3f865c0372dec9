#include "reactor/reactor.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

// Completes when a hosted loop's descriptor polls readable: its only job is to end the wait.
// A one-shot poll, armed again at each completion (a poll on another io_uring's descriptor is
// one-shot in the kernel anyway, to rule out wake-up loops between rings).
class Reactor::HostWake final : public IoHandler {
 public:
  HostWake(Reactor* r, int fd) : reactor_(r), fd_(fd) {}
  void Arm() {
    io_uring_sqe* sqe = reactor_->Sqe();
    io_uring_prep_poll_add(sqe, fd_, POLLIN);
    reactor_->Submit(sqe, this);
  }
  void OnIo(int result, uint32_t /*flags*/) override {
    if (result < 0) {
      // Not expected (the descriptor lives as long as the loop). Armed again it would fail at
      // once every turn: the loop is left to the reactor's tick instead, and it says so.
      std::fprintf(stderr, "cairn: reactor: poll of a hosted loop failed: %s\n",
                   std::strerror(-result));
      return;
    }
    if (!reactor_->stopping()) Arm();
  }

 private:
  Reactor* reactor_;
  int fd_;
};

Reactor::~Reactor() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (event_fd_ >= 0) close(event_fd_);
  delete waker_;
  for (HostWake* w : host_wakes_) delete w;
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

void Reactor::Host(ShardLoop* loop) {
  CAIRN_ASSERT(loop->WaitFd() >= 0);
  hosted_.push_back(loop);
}

void Reactor::Post(Task* task) {
  Task* head = inbox_.load(std::memory_order_relaxed);
  do {
    task->next_task = head;
  } while (!inbox_.compare_exchange_weak(head, task, std::memory_order_release,
                                         std::memory_order_relaxed));
  // Only the push that makes the inbox non-empty wakes the loop; the loop drains it whole.
  // The loop's own thread (a hosted shard's acknowledgement) is awake already.
  if (head == nullptr && owner_.load(std::memory_order_relaxed) != std::this_thread::get_id()) {
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
  owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  for (ShardLoop* h : hosted_) {
    h->Attach();
    host_wakes_.push_back(new HostWake(this, h->WaitFd()));
    host_wakes_.back()->Arm();
  }
  uint64_t next_tick = NowMs() + tick_ms;
  while (!stopping()) {
    uint64_t now = NowMs();
    uint64_t wait_ms = next_tick > now ? next_tick - now : 0;
    // Sleep only if no hosted loop has work ready (each announces the sleep as it answers, so
    // work arriving later wakes the ring) and nothing waits in the inbox (a task may have
    // posted to it from this thread, which writes no eventfd).
    bool sleep = wait_ms > 0;
    for (size_t i = 0; sleep && i < hosted_.size(); ++i) sleep = hosted_[i]->PrepareSleep();
    if (inbox_.load(std::memory_order_acquire) != nullptr) sleep = false;
    if (!sleep) wait_ms = 0;
    __kernel_timespec ts{};
    ts.tv_sec = static_cast<int64_t>(wait_ms / 1000);
    ts.tv_nsec = static_cast<int64_t>((wait_ms % 1000) * 1000000);
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    (void)rc;  // -ETIME and -EINTR: nothing completed; handled below
    for (ShardLoop* h : hosted_) h->Awake();
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      auto* handler = static_cast<IoHandler*>(io_uring_cqe_get_data(cqe));
      if (handler != nullptr) handler->OnIo(cqe->res, cqe->flags);
    }
    io_uring_cq_advance(&ring_, seen);
    RunInbox();
    if (!hosted_.empty()) {
      // Requests the network completions handed to a hosted shard join its next write now;
      // the acknowledgements it posts to this reactor go out in the same turn.
      for (ShardLoop* h : hosted_) h->Step();
      RunInbox();
    }
    now = NowMs();
    if (now >= next_tick) {
      if (tick) tick();
      next_tick = now + tick_ms;
    }
  }
  for (ShardLoop* h : hosted_) h->Detach();
  RunInbox();
  owner_.store(std::thread::id(), std::memory_order_relaxed);
}

}  // namespace cairn::reactor
