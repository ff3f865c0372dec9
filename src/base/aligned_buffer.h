#pragma once
// A growable byte buffer whose storage is 4 KiB aligned, for O_DIRECT I/O. Owned by one
// thread at a time.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "base/assert.h"

namespace cairn {

class AlignedBuffer {
 public:
  static constexpr size_t kAlign = 4096;
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t capacity) { Reserve(capacity); }
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept { *this = std::move(o); }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
    return *this;
  }

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  void clear() { size_ = 0; }

  void Reserve(size_t n) {
    if (n <= capacity_) return;
    size_t cap = capacity_ == 0 ? kAlign : capacity_;
    while (cap < n) cap *= 2;
    char* p = static_cast<char*>(std::aligned_alloc(kAlign, cap));
    CAIRN_ASSERT(p != nullptr);
    if (size_ > 0) std::memcpy(p, data_, size_);
    std::free(data_);
    data_ = p;
    capacity_ = cap;
  }
  // Grows to n bytes; new bytes are zero.
  void Resize(size_t n) {
    Reserve(n);
    if (n > size_) std::memset(data_ + size_, 0, n - size_);
    size_ = n;
  }
  void Append(const void* p, size_t n) {
    if (n == 0) return;  // memcpy with a null buffer is undefined even for 0 bytes
    Reserve(size_ + n);
    std::memcpy(data_ + size_, p, n);
    size_ += n;
  }
  // Returns a pointer to n new (uninitialised) bytes at the end.
  char* Extend(size_t n) {
    Reserve(size_ + n);
    char* p = data_ + size_;
    size_ += n;
    return p;
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace cairn
