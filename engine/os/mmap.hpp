// engine/os/mmap.hpp — the data file's memory map. Address space for the geometry's upper
// bound is reserved once at open, so growing the file maps more of the same range and never
// moves the mapping: pointers handed to readers stay valid.
//
// Thread safety: Extend() is serialized by an internal mutex; base() and mapped() may be read
// from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "base/status.hpp"

namespace emdb::os {

class MapRegion {
 public:
  MapRegion() = default;
  ~MapRegion();
  MapRegion(const MapRegion&) = delete;
  MapRegion& operator=(const MapRegion&) = delete;

  // Reserves `reserve_bytes` of address space (no memory is committed).
  [[nodiscard]] Status Reserve(size_t reserve_bytes);
  // Makes [0, bytes) of the file visible (bytes rounded up to the OS page). Only grows.
  [[nodiscard]] Status Extend(int fd, size_t bytes, bool writable);
  uint8_t* base() const { return base_; }
  size_t mapped() const { return mapped_.load(std::memory_order_acquire); }
  size_t reserved() const { return reserved_; }

 private:
  uint8_t* base_ = nullptr;
  size_t reserved_ = 0;
  std::atomic<size_t> mapped_{0};
  std::mutex mu_;
};

}  // namespace emdb::os
