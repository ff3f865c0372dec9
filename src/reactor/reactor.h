#pragma once
// One event loop on one io_uring: network I/O (accept, recv, send) completes here, and other
// threads hand work to it through a lock-free inbox.
//
// Owner: the thread that calls Run(); everything but Post() and Stop() must be called from
// that thread. Lifecycle: construct, Init(), Run() until Stop(), destroy after Run returns.
// Handlers registered with an operation must outlive it (until its last completion).

#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "cairn/shard_loop.h"
#include "cairn/status.h"

namespace cairn::reactor {

// Receives the completions of the operations submitted with it as user data.
class IoHandler {
 public:
  virtual void OnIo(int result, uint32_t flags) = 0;

 protected:
  ~IoHandler() = default;
};

// Work handed to a reactor from any thread; runs once on the reactor's thread, which then
// owns it (Run() is responsible for freeing it).
class Task {
 public:
  virtual void Run() = 0;
  Task* next_task = nullptr;

 protected:
  ~Task() = default;
};

class Reactor {
 public:
  explicit Reactor(uint32_t ring_entries = 4096) : ring_entries_(ring_entries) {}
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  Status Init();
  io_uring* ring() { return &ring_; }
  // A submission entry, flushing the queue to the kernel first when it is full.
  io_uring_sqe* Sqe();
  void Submit(io_uring_sqe* sqe, IoHandler* handler) { io_uring_sqe_set_data(sqe, handler); }

  // Runs until Stop(), calling `tick` about every `tick_ms` on this thread.
  void Run(const std::function<void()>& tick, uint32_t tick_ms);
  // Thread-safe: the loop returns after finishing its current turn.
  void Stop();
  bool stopping() const { return stop_.load(std::memory_order_acquire); }

  // Thread-safe, lock-free: `task` runs on this reactor's thread.
  void Post(Task* task);
  // Before Run: `loop` runs on this reactor's thread, which calls Attach when its loop
  // starts, Step every turn after the network completions and the inbox, PrepareSleep before
  // it would sleep (waking when WaitFd() polls readable) and Awake after, and Detach when its
  // loop ends. `loop` must outlive Run.
  void Host(ShardLoop* loop);

 private:
  class Waker;
  class HostWake;
  void ArmWaker();
  void RunInbox();

  uint32_t ring_entries_;
  io_uring ring_{};
  bool ring_ready_ = false;
  bool disabled_ = false;  // created disabled: Run's thread enables it and becomes its issuer
  int event_fd_ = -1;
  std::vector<ShardLoop*> hosted_;
  std::vector<HostWake*> host_wakes_;  // one poll per hosted loop, re-armed; owned
  // The thread running Run(): a Post from it needs no eventfd write (the loop looks at the
  // inbox before it sleeps).
  std::atomic<std::thread::id> owner_{};
  uint64_t event_value_ = 0;
  Waker* waker_ = nullptr;
  std::atomic<Task*> inbox_{nullptr};
  std::atomic<bool> stop_{false};
};

}  // namespace cairn::reactor
