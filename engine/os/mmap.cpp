// engine/os/mmap.cpp — see mmap.hpp.
#include "os/mmap.hpp"

#include <sys/mman.h>

#include <cerrno>

#include "base/log.hpp"
#include "os/file.hpp"

namespace emdb::os {

MapRegion::~MapRegion() {
  if (base_ != nullptr) ::munmap(base_, reserved_);
}

Status MapRegion::Reserve(size_t reserve_bytes) {
  size_t ps = SystemPageSize();
  reserve_bytes = (reserve_bytes + ps - 1) / ps * ps;
  void* p =
      ::mmap(nullptr, reserve_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    int e = errno;
    EMDB_LOG_ERR("cannot reserve %zu bytes of address space: errno %d", reserve_bytes, e);
    return e == ENOMEM ? EMDB_UNABLE_EXTEND_MAPSIZE : e;
  }
  base_ = static_cast<uint8_t*>(p);
  reserved_ = reserve_bytes;
  return 0;
}

Status MapRegion::Extend(int fd, size_t bytes, bool writable) {
  size_t ps = SystemPageSize();
  bytes = (bytes + ps - 1) / ps * ps;
  if (bytes > reserved_) return EMDB_UNABLE_EXTEND_MAPSIZE;
  std::lock_guard<std::mutex> g(mu_);
  size_t cur = mapped_.load(std::memory_order_relaxed);
  if (bytes <= cur) return 0;
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* p = ::mmap(base_ + cur, bytes - cur, prot, MAP_SHARED | MAP_FIXED, fd, off_t(cur));
  if (p == MAP_FAILED) {
    int e = errno;
    EMDB_LOG_ERR("mmap of %zu bytes at offset %zu failed: errno %d", bytes - cur, cur, e);
    return e;
  }
  mapped_.store(bytes, std::memory_order_release);
  return 0;
}

}  // namespace emdb::os
