#pragma once
// A ring of receive buffers provided to the kernel (io_uring buffer selection): a connection
// owns receive memory only while it holds unparsed bytes, so idle connections cost none and
// receive memory is bounded per reactor (count x size) whatever the number of connections.
//
// Owner: one Reactor's thread. Buffers taken by a completion must be given back with
// Recycle() once their bytes have been consumed or copied.

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "cairn/status.h"

namespace cairn::reactor {

class BufferRing {
 public:
  BufferRing(io_uring* ring, uint16_t group_id, uint32_t count, uint32_t size_bytes);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  Status Init();
  uint16_t group_id() const { return group_id_; }
  // The bytes a completion with IORING_CQE_F_BUFFER delivered.
  std::string_view Data(uint32_t cqe_flags, int length) const;
  void Recycle(uint32_t cqe_flags);

 private:
  io_uring* ring_;
  uint16_t group_id_;
  uint32_t count_;
  uint32_t size_bytes_;
  io_uring_buf_ring* br_ = nullptr;
  size_t br_bytes_ = 0;
  std::unique_ptr<char[]> memory_;
  bool registered_ = false;
};

}  // namespace cairn::reactor
