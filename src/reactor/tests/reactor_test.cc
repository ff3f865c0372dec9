#include "reactor/reactor.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace cairn::reactor {
namespace {

struct CountTask final : Task {
  std::atomic<int>* counter;
  std::vector<int>* order;
  int value;
  void Run() override {
    counter->fetch_add(1);
    order->push_back(value);
    delete this;
  }
};

TEST(Reactor, PostedTasksRunOnTheLoopInOrderPerProducer) {
  Reactor r;
  ASSERT_TRUE(r.Init().ok());
  std::atomic<int> count{0};
  std::vector<int> order;  // touched only by the loop thread
  std::thread loop([&] { r.Run(nullptr, 50); });
  constexpr int kProducers = 4, kEach = 20000;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i) {
        auto* t = new CountTask;
        t->counter = &count;
        t->order = &order;
        t->value = p * kEach + i;
        r.Post(t);
      }
    });
  }
  for (auto& t : producers) t.join();
  while (count.load() < kProducers * kEach) std::this_thread::yield();
  r.Stop();
  loop.join();
  // Each producer's tasks ran in the order it posted them.
  std::vector<int> last(kProducers, -1);
  for (int v : order) {
    int p = v / kEach;
    EXPECT_GT(v, last[p]);
    last[p] = v;
  }
  EXPECT_EQ(order.size(), static_cast<size_t>(kProducers * kEach));
}

TEST(Reactor, TickRunsWhileIdle) {
  Reactor r;
  ASSERT_TRUE(r.Init().ok());
  int ticks = 0;
  std::thread loop([&] {
    r.Run(
        [&] {
          if (++ticks == 3) r.Stop();
        },
        5);
  });
  loop.join();
  EXPECT_EQ(ticks, 3);
}

// A hosted loop with the shard's wake-up protocol: work is queued from any thread, which
// writes the loop's eventfd only if the loop announced it would sleep.
class FakeLoop final : public ShardLoop {
 public:
  FakeLoop() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~FakeLoop() { close(fd_); }
  void Queue() {
    queued_.fetch_add(1);
    if (sleeping_.exchange(false)) {
      uint64_t one = 1;
      (void)!write(fd_, &one, sizeof(one));
    }
  }
  void Attach() override {
    attached_on_ = std::this_thread::get_id();
    attaches_++;
  }
  void Detach() override { detaches_++; }
  void Step() override {
    if (std::this_thread::get_id() != attached_on_) wrong_thread_++;
    uint64_t v;
    (void)!read(fd_, &v, sizeof(v));
    done_.fetch_add(queued_.exchange(0));
  }
  bool PrepareSleep() override {
    sleeping_.store(true);
    if (queued_.load() > 0) {
      sleeping_.store(false);
      return false;
    }
    return true;
  }
  void Awake() override { sleeping_.store(false); }
  int WaitFd() const override { return fd_; }

  int done() const { return done_.load(); }
  std::atomic<int> attaches_{0}, detaches_{0}, wrong_thread_{0};

 private:
  int fd_;
  std::thread::id attached_on_;
  std::atomic<int> queued_{0}, done_{0};
  std::atomic<bool> sleeping_{false};
};

// Waits up to 2 s for `pred`; the reactor's tick is a minute, so only a wake-up ends a wait.
template <typename F>
bool Within2s(F pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(Reactor, HostedLoopsAreWokenByTheirWorkAlone) {
  Reactor r;
  ASSERT_TRUE(r.Init().ok());
  FakeLoop a, b;  // two loops on one reactor, as with more shards than network threads
  r.Host(&a);
  r.Host(&b);
  std::thread loop([&] { r.Run(nullptr, 60000); });
  int lost = 0;
  for (int i = 1; i <= 2000; ++i) {
    FakeLoop& l = i % 3 == 0 ? b : a;
    const int before = l.done();
    l.Queue();
    if (!Within2s([&] { return l.done() > before; })) {
      ++lost;
      break;
    }
    // Now and then a pause, so that the loop is asleep when the next work comes.
    if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(lost, 0) << "work queued while the reactor slept did not wake it";
  r.Stop();
  loop.join();
  for (FakeLoop* l : {&a, &b}) {
    EXPECT_EQ(l->attaches_.load(), 1);
    EXPECT_EQ(l->detaches_.load(), 1);
    EXPECT_EQ(l->wrong_thread_.load(), 0);
  }
}

// A task posted from the loop's own thread writes no eventfd: the loop must still run it before
// it sleeps (here each task posts the next; the tick is a minute).
struct ChainTask final : Task {
  Reactor* r;
  std::atomic<int>* ran;
  int left;
  void Run() override {
    ran->fetch_add(1);
    if (left > 0) {
      auto* next = new ChainTask;
      next->r = r;
      next->ran = ran;
      next->left = left - 1;
      r->Post(next);
    }
    delete this;
  }
};

TEST(Reactor, TasksPostedFromTheLoopRunWithoutAWake) {
  Reactor r;
  ASSERT_TRUE(r.Init().ok());
  FakeLoop idle;  // a hosted loop with nothing to do, so the loop takes the hosted path
  r.Host(&idle);
  std::thread loop([&] { r.Run(nullptr, 60000); });
  std::atomic<int> ran{0};
  auto* first = new ChainTask;
  first->r = &r;
  first->ran = &ran;
  first->left = 999;
  r.Post(first);
  EXPECT_TRUE(Within2s([&] { return ran.load() == 1000; })) << ran.load() << " of 1000 ran";
  r.Stop();
  loop.join();
}

}  // namespace
}  // namespace cairn::reactor
