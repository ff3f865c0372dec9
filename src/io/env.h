#pragma once
// Everything nondeterministic the engine touches: disk, clock, randomness. The engine
// takes an Env at construction; tests pass fault-injecting or deterministic ones.

#include <memory>

#include "base/clock.h"
#include "base/random.h"
#include "io/async_disk.h"
#include "io/file_system.h"

namespace cairn {

class Env {
 public:
  virtual ~Env() = default;
  virtual FileSystem* fs() = 0;
  virtual Clock* clock() = 0;
  virtual Random* random() = 0;
  virtual Result<std::unique_ptr<AsyncDisk>> NewAsyncDisk() = 0;
  // Consulted before each group commit's index write; an error fails that write as one from
  // RocksDB would (fault-injecting Envs in tests). The real Env never fails it.
  virtual Status BeforeIndexWrite() { return Status::Ok(); }
  // Real disk (io_uring), real clock, OS randomness.
  static Env* Default();
};

// io_uring-backed AsyncDisk.
Result<std::unique_ptr<AsyncDisk>> NewUringDisk(uint32_t queue_depth);

}  // namespace cairn
