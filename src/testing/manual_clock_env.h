#pragma once
// The real disk with a clock the test moves.

#include "base/clock.h"
#include "io/env.h"

namespace cairn::testing {

class ManualClockEnv final : public Env {
 public:
  explicit ManualClockEnv(uint64_t now_ms) : clock_(now_ms) {}
  FileSystem* fs() override { return Env::Default()->fs(); }
  Clock* clock() override { return &clock_; }
  Random* random() override { return Env::Default()->random(); }
  Result<std::unique_ptr<AsyncDisk>> NewAsyncDisk() override {
    return Env::Default()->NewAsyncDisk();
  }
  ManualClock& manual() { return clock_; }

 private:
  ManualClock clock_;
};

}  // namespace cairn::testing
