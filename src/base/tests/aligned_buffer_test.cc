#include "base/aligned_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace cairn {
namespace {

TEST(AlignedBuffer, AlignedGrowsKeepsBytesAndZeroFills) {
  AlignedBuffer b;
  b.Append("", 0);  // nothing to copy into no storage: must not touch memory
  EXPECT_EQ(b.size(), 0u);
  b.Append("abc", 3);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % AlignedBuffer::kAlign, 0u);
  b.Resize(10000);  // grows by copying, zero-fills the new bytes
  EXPECT_EQ(std::string(b.data(), 3), "abc");
  EXPECT_EQ(b.data()[9999], 0);
  EXPECT_GE(b.capacity(), 10000u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % AlignedBuffer::kAlign, 0u);
  char* p = b.Extend(5);
  EXPECT_EQ(p, b.data() + 10000);
  b.clear();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_GE(b.capacity(), 10005u);  // capacity is kept for reuse
  AlignedBuffer moved(std::move(b));
  EXPECT_GE(moved.capacity(), 10005u);
}

}  // namespace
}  // namespace cairn
