// engine/os/file.cpp — POSIX implementation of the I/O seam.
#include "os/file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "base/log.hpp"

namespace emdb::os {
namespace {

std::atomic<FileWrapper> g_wrapper{nullptr};

class PosixFile final : public File {
 public:
  explicit PosixFile(int fd) : fd_(fd) {}
  ~PosixFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status PWrite(const void* buf, size_t n, uint64_t off) override {
    const char* p = static_cast<const char*>(buf);
    while (n > 0) {
      ssize_t w = ::pwrite(fd_, p, n, off_t(off));
      if (w < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        EMDB_LOG_ERR("pwrite(%zu bytes at %llu) failed: errno %d", n, (unsigned long long)off, e);
        return e;
      }
      p += w;
      n -= size_t(w);
      off += uint64_t(w);
    }
    return 0;
  }
  Status PWriteV(const struct iovec* iov, int cnt, uint64_t off) override {
    // Fast path: one pwritev; on a short write fall back to piecewise pwrite.
    size_t total = 0;
    for (int i = 0; i < cnt; i++) total += iov[i].iov_len;
    ssize_t w;
    do {
      w = ::pwritev(fd_, iov, cnt, off_t(off));
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
      int e = errno;
      EMDB_LOG_ERR("pwritev(%zu bytes at %llu) failed: errno %d", total, (unsigned long long)off,
                   e);
      return e;
    }
    if (size_t(w) == total) return 0;
    size_t done = size_t(w);
    for (int i = 0; i < cnt; i++) {
      if (done >= iov[i].iov_len) {
        done -= iov[i].iov_len;
        off += iov[i].iov_len;
        continue;
      }
      EMDB_TRY(PWrite(static_cast<const char*>(iov[i].iov_base) + done, iov[i].iov_len - done,
                      off + done));
      off += iov[i].iov_len;
      done = 0;
    }
    return 0;
  }
  Status PRead(void* buf, size_t n, uint64_t off) override {
    char* p = static_cast<char*>(buf);
    while (n > 0) {
      ssize_t r = ::pread(fd_, p, n, off_t(off));
      if (r < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      if (r == 0) return EMDB_ENODATA;
      p += r;
      n -= size_t(r);
      off += uint64_t(r);
    }
    return 0;
  }
  Status DataSync() override {
    while (::fdatasync(fd_) != 0) {
      if (errno == EINTR) continue;
      int e = errno;
      EMDB_LOG_ERR("fdatasync failed: errno %d", e);
      return e;
    }
    return 0;
  }
  Status PWriteDurable(const void* buf, size_t n, uint64_t off) override {
    // RWF_DSYNC: this write alone is flushed (the range, the metadata it needs, the device
    // cache), not every dirty page of the file as fdatasync would.
    while (n > 0) {
      struct iovec v = {const_cast<void*>(buf), n};
      ssize_t r = ::pwritev2(fd_, &v, 1, off_t(off), RWF_DSYNC);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL)
          return File::PWriteDurable(buf, n, off);
        int e = errno;
        EMDB_LOG_ERR("pwritev2(RWF_DSYNC) of %zu bytes at %llu failed: errno %d", n,
                     (unsigned long long)off, e);
        return e;
      }
      buf = static_cast<const uint8_t*>(buf) + r;
      n -= size_t(r);
      off += uint64_t(r);
    }
    return 0;
  }
  void StartWriteback(uint64_t off, uint64_t len) override {
    (void)::sync_file_range(fd_, off_t(off), off_t(len), SYNC_FILE_RANGE_WRITE);
  }
  bool ConcurrentFlush() const override { return true; }
  Status Truncate(uint64_t size) override {
    while (::ftruncate(fd_, off_t(size)) != 0) {
      if (errno == EINTR) continue;
      int e = errno;
      EMDB_LOG_ERR("ftruncate(%llu) failed: errno %d", (unsigned long long)size, e);
      return e;
    }
    return 0;
  }
  Status Size(uint64_t* size) override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return errno;
    *size = uint64_t(st.st_size);
    return 0;
  }
  Status MSync(void* addr, size_t len, uint64_t /*off*/) override {
    if (::msync(addr, len, MS_SYNC) != 0) {
      int e = errno;
      EMDB_LOG_ERR("msync failed: errno %d", e);
      return e;
    }
    return 0;
  }
  int fd() const override { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<File> MakePosixFile(int fd) { return std::make_unique<PosixFile>(fd); }

void TEST_SetFileWrapper(FileWrapper wrapper) { g_wrapper.store(wrapper); }

std::unique_ptr<File> WrapForTests(std::unique_ptr<File> f) {
  FileWrapper w = g_wrapper.load();
  return w ? w(std::move(f)) : std::move(f);
}

uint32_t SystemPageSize() {
  static const uint32_t size = uint32_t(::sysconf(_SC_PAGESIZE));
  return size;
}

}  // namespace emdb::os
