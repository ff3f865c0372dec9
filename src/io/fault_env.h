#pragma once
// An Env that injects disk faults on demand, for tests. Wraps a base Env (normally the
// real one) and consults a FaultPlan on every log write, file read and group commit index
// write. The plan may be changed from the test thread while the engine runs.

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

#include "io/env.h"

namespace cairn {

struct FaultPlan {
  // Next log write fails with this errno before touching the disk (EIO, ENOSPC, ...).
  std::atomic<int> write_errno{0};
  // Next log write reaches the disk, then its fdatasync fails with this errno.
  std::atomic<int> sync_errno{0};
  // Next log write persists only its first half (4 KiB aligned) and reports a short write.
  std::atomic<bool> short_write{false};
  // Next log write persists only its first `torn_write_bytes` bytes (any length), then the
  // "machine dies": every later disk operation fails with EIO and nothing completes OK.
  std::atomic<uint32_t> torn_write_bytes{0};
  // Flip bit `flip_bit` of the byte at `flip_offset` in every read of a file whose path
  // ends with flip_path_suffix (empty: off).
  std::mutex flip_mu;
  std::string flip_path_suffix;
  uint64_t flip_offset = 0;
  uint8_t flip_bit = 0;

  // Next group commit's index write fails with this errno, after its log write succeeded
  // (as a RocksDB write does once a background error has stopped the database).
  std::atomic<int> index_write_errno{0};
  // Log writes that may still start (-1: any number). Later ones wait, not started; once the
  // test allows more, they start at the disk's next poll. A waiting write's buffer is read
  // only when it starts, as the kernel reads it while the write runs, so a buffer freed
  // before then is a use after free. A write that starts after the machine died fails.
  std::atomic<int64_t> writes_allowed{-1};

  std::atomic<bool> dead{false};
  std::atomic<uint64_t> log_writes{0};  // log writes seen (counted before faults apply)
  std::atomic<uint64_t> disk_polls{0};  // calls of the disk's Poll (its owner's loop turns)
};

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base);
  ~FaultInjectionEnv() override;
  FaultPlan& plan() { return plan_; }

  FileSystem* fs() override;
  Clock* clock() override { return base_->clock(); }
  Random* random() override { return base_->random(); }
  Result<std::unique_ptr<AsyncDisk>> NewAsyncDisk() override;
  Status BeforeIndexWrite() override;

  // The path a file descriptor was opened with (for reads that flip a bit in one file).
  std::string PathOf(int fd);
  void RememberPath(int fd, const std::string& path);

 private:
  class Fs;
  class Disk;
  Env* base_;
  FaultPlan plan_;
  std::unique_ptr<Fs> fs_;
  std::mutex paths_mu_;
  std::unordered_map<int, std::string> paths_;
};

}  // namespace cairn
