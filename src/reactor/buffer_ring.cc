#include "reactor/buffer_ring.h"

#include <sys/mman.h>

#include <cstring>
#include <string>

#include "base/assert.h"

namespace cairn::reactor {

BufferRing::BufferRing(io_uring* ring, uint16_t group_id, uint32_t count, uint32_t size_bytes)
    : ring_(ring), group_id_(group_id), count_(count), size_bytes_(size_bytes) {
  CAIRN_ASSERT(count > 0 && (count & (count - 1)) == 0 && count <= 32768);
}

BufferRing::~BufferRing() {
  if (registered_) io_uring_unregister_buf_ring(ring_, group_id_);
  if (br_ != nullptr) munmap(br_, br_bytes_);
}

Status BufferRing::Init() {
  br_bytes_ = count_ * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, br_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return Status::IoError("mmap of the receive buffer ring failed");
  br_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br_);
  reg.ring_entries = count_;
  reg.bgid = group_id_;
  int rc = io_uring_register_buf_ring(ring_, &reg, 0);
  if (rc < 0) {
    return Status::IoError(std::string("io_uring_register_buf_ring: ") + strerror(-rc));
  }
  registered_ = true;
  memory_ = std::make_unique<char[]>(static_cast<size_t>(count_) * size_bytes_);
  io_uring_buf_ring_init(br_);
  int mask = io_uring_buf_ring_mask(count_);
  for (uint32_t i = 0; i < count_; ++i) {
    io_uring_buf_ring_add(br_, memory_.get() + static_cast<size_t>(i) * size_bytes_, size_bytes_,
                          static_cast<uint16_t>(i), mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(br_, static_cast<int>(count_));
  return Status::Ok();
}

std::string_view BufferRing::Data(uint32_t cqe_flags, int length) const {
  uint32_t bid = cqe_flags >> IORING_CQE_BUFFER_SHIFT;
  CAIRN_ASSERT(bid < count_ && length >= 0 && static_cast<uint32_t>(length) <= size_bytes_);
  return {memory_.get() + static_cast<size_t>(bid) * size_bytes_, static_cast<size_t>(length)};
}

void BufferRing::Recycle(uint32_t cqe_flags) {
  uint32_t bid = cqe_flags >> IORING_CQE_BUFFER_SHIFT;
  CAIRN_ASSERT(bid < count_);
  io_uring_buf_ring_add(br_, memory_.get() + static_cast<size_t>(bid) * size_bytes_, size_bytes_,
                        static_cast<uint16_t>(bid), io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(br_, 1);
}

}  // namespace cairn::reactor
