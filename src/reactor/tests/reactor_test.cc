#include "reactor/reactor.h"

#include <gtest/gtest.h>

#include <atomic>
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

}  // namespace
}  // namespace cairn::reactor
