// engine/os/mmap.cpp — see mmap.hpp.
#include "os/mmap.hpp"

#include <sys/mman.h>

#include <cerrno>

#include "base/log.hpp"
#include "os/file.hpp"

namespace emdb::os {

namespace {
constexpr size_t kHugeAlign = size_t(2) << 20;  // a PMD entry on x86-64 and arm64 (4 KiB pages)
}  // namespace

MapRegion::~MapRegion() {
  if (unmap_base_ != nullptr) ::munmap(unmap_base_, unmap_bytes_);
}

Status MapRegion::Reserve(size_t reserve_bytes) {
  size_t ps = SystemPageSize();
  reserve_bytes = (reserve_bytes + ps - 1) / ps * ps;
  // 2 MiB more than asked, so that the usable part can start on a 2 MiB boundary (file offset 0
  // there, so file offsets and addresses agree modulo 2 MiB, as a huge mapping needs).
  const size_t slack = reserve_bytes >= kHugeAlign && ps < kHugeAlign ? kHugeAlign : 0;
  void* p = ::mmap(nullptr, reserve_bytes + slack, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    int e = errno;
    EMDB_LOG_ERR("cannot reserve %zu bytes of address space: errno %d", reserve_bytes, e);
    return e == ENOMEM ? EMDB_UNABLE_EXTEND_MAPSIZE : e;
  }
  unmap_base_ = static_cast<uint8_t*>(p);
  unmap_bytes_ = reserve_bytes + slack;
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (slack != 0) a = (a + kHugeAlign - 1) & ~uintptr_t(kHugeAlign - 1);
  base_ = reinterpret_cast<uint8_t*>(a);
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
  // Advice only: a kernel without file huge pages refuses it, and nothing changes.
  if (huge_advice_) (void)::madvise(base_ + cur, bytes - cur, MADV_HUGEPAGE);
  mapped_.store(bytes, std::memory_order_release);
  return 0;
}

}  // namespace emdb::os
