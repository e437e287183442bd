// small_bytes_test.cpp — SmallBytes (engine/base/small_bytes.hpp): the byte string the write
// path and cursors use for key and value copies.
//
//   InlineAndHeap        up to kInline bytes stay inline, longer ones on the heap, and back
//   AssignFromItself     a range inside the object's own bytes (inline or heap) is copied right
//   CopiesAreDeep        copy construction and assignment copy the bytes, inline or heap
//   ClearEmpties         clear() leaves an empty string that can be reused
#include "base/small_bytes.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace emdb_test {
namespace {

using emdb::SmallBytes;

std::vector<uint8_t> Bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; i++) v[i] = uint8_t(seed + i * 7);
  return v;
}

std::vector<uint8_t> Contents(const SmallBytes& b) {
  return std::vector<uint8_t>(b.data(), b.data() + b.size());
}

TEST(SmallBytes, InlineAndHeap) {
  SmallBytes b;
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(0u, b.size());
  const uint8_t* inline_at = nullptr;
  for (size_t n : {size_t(1), size_t(16), SmallBytes::kInline, SmallBytes::kInline + 1,
                   size_t(4000), size_t(100), size_t(0), size_t(300)}) {
    SCOPED_TRACE(n);
    const std::vector<uint8_t> want = Bytes(n, uint8_t(n));
    b.assign(want.data(), want.data() + want.size());
    EXPECT_EQ(n, b.size());
    EXPECT_EQ(n == 0, b.empty());
    EXPECT_EQ(want, Contents(b));
    const uint8_t* self = reinterpret_cast<const uint8_t*>(&b);
    const bool inside = b.data() >= self && b.data() < self + sizeof(SmallBytes);
    if (n <= SmallBytes::kInline) {
      EXPECT_TRUE(inside) << "kept inline";
      if (inline_at == nullptr) inline_at = b.data();
      EXPECT_EQ(inline_at, b.data());
    } else {
      EXPECT_FALSE(inside) << "kept on the heap";
    }
  }
}

TEST(SmallBytes, AssignFromItself) {
  // Heap to heap: a sub-range of the heap bytes.
  const std::vector<uint8_t> big = Bytes(400, 3);
  SmallBytes b(big.data(), big.data() + big.size());
  b.assign(b.data() + 50, b.data() + 350);
  EXPECT_EQ(std::vector<uint8_t>(big.begin() + 50, big.begin() + 350), Contents(b));
  // Heap to inline.
  b.assign(b.data() + 10, b.data() + 40);
  EXPECT_EQ(std::vector<uint8_t>(big.begin() + 60, big.begin() + 90), Contents(b));
  // Inline to inline, overlapping.
  b.assign(b.data() + 5, b.data() + 30);
  EXPECT_EQ(std::vector<uint8_t>(big.begin() + 65, big.begin() + 90), Contents(b));
  // The whole of itself.
  b.assign(b.data(), b.data() + b.size());
  EXPECT_EQ(std::vector<uint8_t>(big.begin() + 65, big.begin() + 90), Contents(b));
}

TEST(SmallBytes, CopiesAreDeep) {
  for (size_t n : {size_t(20), size_t(1000)}) {
    SCOPED_TRACE(n);
    const std::vector<uint8_t> want = Bytes(n, 9);
    SmallBytes a(want.data(), want.data() + want.size());
    SmallBytes b(a);
    SmallBytes c;
    c = a;
    a.data()[0] = uint8_t(want[0] + 1);
    EXPECT_NE(a.data(), b.data());
    EXPECT_EQ(want, Contents(b));
    EXPECT_EQ(want, Contents(c));
    c = c;  // self-assignment keeps the bytes
    EXPECT_EQ(want, Contents(c));
  }
}

TEST(SmallBytes, ClearEmpties) {
  const std::vector<uint8_t> big = Bytes(500, 1), small = Bytes(8, 2);
  SmallBytes b(big.data(), big.data() + big.size());
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(0u, b.size());
  b.assign(small.data(), small.data() + small.size());
  EXPECT_EQ(small, Contents(b));
  b.assign(big.data(), big.data() + big.size());
  EXPECT_EQ(big, Contents(b));
}

}  // namespace
}  // namespace emdb_test
