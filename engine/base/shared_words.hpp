// engine/base/shared_words.hpp — 8-byte words that one thread writes while others read them
// without a lock: the meta pages in the map (a WRITEMAP writer stores a new meta into a slot
// that a reader may be scanning) and the current file size in the environment.
//
// Both sides use relaxed atomic accesses word by word, so the C++ memory model (and
// ThreadSanitizer) sees no data race. The protocols around them decide what a torn copy means:
// a reader re-checks head_txnid after taking its snapshot (os/lockfile.hpp, L2) and a meta is
// judged by its two txnid copies and its sign (docs/format.md), so a copy torn by a concurrent
// write is never used.
//
// REQUIRES: pointers 8-byte aligned, sizes multiples of 8.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace emdb {

inline uint64_t LoadShared(const uint64_t& w) {
  return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(w)).load(std::memory_order_relaxed);
}
inline void StoreShared(uint64_t& w, uint64_t v) {
  std::atomic_ref<uint64_t>(w).store(v, std::memory_order_relaxed);
}

// Copies n bytes out of shared memory.
inline void CopyFromShared(void* dst, const void* src, size_t n) {
  const uint64_t* s = static_cast<const uint64_t*>(src);
  uint8_t* d = static_cast<uint8_t*>(dst);
  for (size_t i = 0; i < n / 8; i++) {
    uint64_t v = LoadShared(s[i]);
    std::memcpy(d + 8 * i, &v, 8);
  }
}

// Copies n bytes into shared memory.
inline void CopyToShared(void* dst, const void* src, size_t n) {
  uint64_t* d = static_cast<uint64_t*>(dst);
  const uint8_t* s = static_cast<const uint8_t*>(src);
  for (size_t i = 0; i < n / 8; i++) {
    uint64_t v;
    std::memcpy(&v, s + 8 * i, 8);
    StoreShared(d[i], v);
  }
}

}  // namespace emdb

namespace emdb {

// A statistics counter that one thread (the writer) increments and any thread reads. A single
// writer needs no read-modify-write: a relaxed load and store cost what a plain ++ costs.
class SharedCounter {
 public:
  void operator++(int) {
    v_.store(v_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  operator uint64_t() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

}  // namespace emdb
