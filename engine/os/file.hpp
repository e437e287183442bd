// engine/os/file.hpp — the one I/O seam: every write, flush and truncate of the data file goes
// through a File. Tests wrap it (TEST_SetFileWrapper) to inject faults: drop unsynced writes,
// tear pages, fail a write or a flush, run out of space.
//
// Thread safety: a File is used by the single writer of an environment (and by emdb_env_close);
// PRead may be called concurrently.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>

#include "base/status.hpp"

namespace emdb::os {

class File {
 public:
  virtual ~File() = default;
  [[nodiscard]] virtual Status PWrite(const void* buf, size_t n, uint64_t off) = 0;
  [[nodiscard]] virtual Status PWriteV(const struct iovec* iov, int cnt, uint64_t off) = 0;
  [[nodiscard]] virtual Status PRead(void* buf, size_t n, uint64_t off) = 0;
  [[nodiscard]] virtual Status DataSync() = 0;
  [[nodiscard]] virtual Status Truncate(uint64_t size) = 0;
  [[nodiscard]] virtual Status Size(uint64_t* size) = 0;
  // Flushes a range of a writable shared mapping of this file (EMDB_WRITEMAP): `addr` maps the
  // file at offset `off`.
  [[nodiscard]] virtual Status MSync(void* addr, size_t len, uint64_t off) = 0;
  virtual int fd() const = 0;
  // Writes and flushes one range: when it returns, these bytes are durable (what else is, is
  // not promised). The default writes, then flushes the whole file.
  [[nodiscard]] virtual Status PWriteDurable(const void* buf, size_t n, uint64_t off) {
    EMDB_TRY(PWrite(buf, n, off));
    return DataSync();
  }
  // Starts writing back the dirty pages of [off, off + len) without waiting for them, so the
  // disk works while the caller goes on (a hint: a later DataSync still flushes everything).
  virtual void StartWriteback(uint64_t off, uint64_t len) {
    (void)off;
    (void)len;
  }
  // DataSync/MSync may run in one thread while the writer writes in another (txn/steady.hpp).
  virtual bool ConcurrentFlush() const { return false; }
};

// A File over an open descriptor; takes ownership (closes it).
std::unique_ptr<File> MakePosixFile(int fd);

// Test hook: every data file opened after this call is passed through `wrapper`.
using FileWrapper = std::unique_ptr<File> (*)(std::unique_ptr<File>);
void TEST_SetFileWrapper(FileWrapper wrapper);
std::unique_ptr<File> WrapForTests(std::unique_ptr<File> f);

uint32_t SystemPageSize();

}  // namespace emdb::os
