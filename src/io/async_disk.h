#pragma once
// Asynchronous durable writes for one shard's log. Owned by the shard's thread: Submit
// and Poll are called only from it; Wake may be called from any thread to interrupt a
// blocking Poll (a new request arrived).

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/status.h"

namespace cairn {

struct IoCompletion {
  uint64_t token = 0;
  // 0 when the write succeeded and is durable (as after an fdatasync); otherwise -errno of
  // the failure (a short write reports -EIO with `short_write` set).
  int result = 0;
  bool short_write = false;
  const char* failed_op = "";  // what failed ("write", "fdatasync", ...) when result < 0
};

class AsyncDisk {
 public:
  virtual ~AsyncDisk() = default;
  // Writes `len` bytes at `offset` and makes them durable (data and the metadata needed to
  // read them back, as a write followed by fdatasync would); one completion.
  // With O_DIRECT files, buf, len and offset must be 4 KiB aligned.
  virtual Status SubmitWriteAndSync(int fd, const void* buf, uint32_t len, uint64_t offset,
                                    uint64_t token) = 0;
  // Appends finished completions to `out`. Blocks up to timeout_ms (0: don't block)
  // until at least one completion or a Wake.
  virtual Status Poll(std::vector<IoCompletion>* out, uint32_t timeout_ms) = 0;
  virtual void Wake() = 0;
  // Writes submitted and not yet completed.
  virtual uint32_t InFlight() const = 0;
  // A descriptor that polls readable when Poll has completions to return, or a Wake is
  // pending (-1: none; then a shard needs a thread of its own to wait in Poll).
  virtual int WaitFd() const { return -1; }
};

}  // namespace cairn
