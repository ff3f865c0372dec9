#pragma once
// A bounded lock-free multi-producer queue (Vyukov's bounded MPMC array queue, used with
// one consumer). Push fails when full: callers turn that into BUSY. Capacity is a power
// of two.

#include <atomic>
#include <cstddef>
#include <memory>

#include "base/assert.h"

namespace cairn {

template <typename T>
class MpscQueue {
 public:
  explicit MpscQueue(size_t capacity) {
    size_t cap = 2;
    while (cap < capacity) cap <<= 1;
    mask_ = cap - 1;
    cells_ = std::make_unique<Cell[]>(cap);
    for (size_t i = 0; i < cap; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }

  bool TryPush(T&& v) {
    size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& c = cells_[pos & mask_];
      size_t seq = c.seq.load(std::memory_order_acquire);
      intptr_t diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          c.value = std::move(v);
          c.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // full
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // Single consumer.
  bool TryPop(T* out) {
    size_t pos = head_.load(std::memory_order_relaxed);
    Cell& c = cells_[pos & mask_];
    size_t seq = c.seq.load(std::memory_order_acquire);
    if (static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos + 1) < 0) return false;
    *out = std::move(c.value);
    c.seq.store(pos + mask_ + 1, std::memory_order_release);
    head_.store(pos + 1, std::memory_order_relaxed);
    return true;
  }

  bool Empty() const {
    size_t pos = head_.load(std::memory_order_acquire);
    const Cell& c = cells_[pos & mask_];
    return static_cast<intptr_t>(c.seq.load(std::memory_order_acquire)) -
               static_cast<intptr_t>(pos + 1) <
           0;
  }

 private:
  struct Cell {
    std::atomic<size_t> seq;
    T value;
  };
  size_t mask_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<size_t> tail_{0};
  alignas(64) std::atomic<size_t> head_{0};
};

}  // namespace cairn
