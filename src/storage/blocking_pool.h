#pragma once
// A few threads for calls that may block on the disk (RocksDB point lookups that miss the
// block cache), so that a shard's thread never waits on them.
//
// Owner: a Shard, which submits from its own thread. Jobs run on the pool's threads; they
// must not touch shard state except through the completion they were given. The destructor
// finishes every queued job, then joins.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_name.h"

namespace cairn {

class BlockingPool {
 public:
  BlockingPool(int threads, const std::string& name) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, name] {
        SetThreadName(name);
        Loop();
      });
    }
  }
  ~BlockingPool() {
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // The caller bounds how many jobs it keeps outstanding.
  void Submit(std::function<void()> job) {
    {
      std::lock_guard l(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock l(mu_);
        cv_.wait(l, [&] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, and nothing left to do
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cairn
