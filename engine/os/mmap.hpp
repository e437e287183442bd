// engine/os/mmap.hpp — the data file's memory map. Address space for the geometry's upper
// bound is reserved once at open, so growing the file maps more of the same range and never
// moves the mapping: pointers handed to readers stay valid.
//
// Huge mappings: the reservation starts on a 2 MiB boundary, so the kernel can map the file with
// 2 MiB entries wherever the page cache holds it in 2 MiB folios (one TLB entry instead of 512;
// Linux maps such folios so without being asked). SetHugeAdvice(true) also asks for such folios
// (MADV_HUGEPAGE) on everything mapped from then on: one fault maps 512 pages, where a file that
// grows a step at a time otherwise stays in small folios (readahead stops at the end of the
// file, and emdb's file ends a growth step past the data). It suits only an environment that
// writes through the map and never flushes per commit (EMDB_WRITEMAP with EMDB_UTTERLY_NOSYNC):
// a flush writes back each dirty folio whole, and a pwrite into a 2 MiB folio costs ext4 a walk
// over its 512 block buffers, which is also what a later pwrite-mode open of a file loaded this
// way pays until the pages leave the page cache (docs/geometry.md, "Huge mappings").
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
  // Before the first Extend: advise huge folios (MADV_HUGEPAGE) for what gets mapped.
  void SetHugeAdvice(bool on) { huge_advice_ = on; }
  uint8_t* base() const { return base_; }
  size_t mapped() const { return mapped_.load(std::memory_order_acquire); }
  size_t reserved() const { return reserved_; }

 private:
  uint8_t* base_ = nullptr;
  size_t reserved_ = 0;
  size_t unmap_bytes_ = 0;  // the whole reservation, 2 MiB-aligned part included
  uint8_t* unmap_base_ = nullptr;
  bool huge_advice_ = false;
  std::atomic<size_t> mapped_{0};
  std::mutex mu_;
};

}  // namespace emdb::os
