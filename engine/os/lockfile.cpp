// engine/os/lockfile.cpp — see lockfile.hpp.
#include "os/lockfile.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"
#include "os/file.hpp"

namespace emdb::os {

LockFile::~LockFile() { Close(); }

Status LockFile::LockRange(int type, off_t start, bool wait) {
  if (private_) return 0;
  struct flock fl;
  std::memset(&fl, 0, sizeof(fl));
  fl.l_type = short(type);
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = 1;
  for (;;) {
    if (::fcntl(fd_, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) return 0;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EACCES) return EMDB_BUSY;
    return errno;
  }
}

void LockFile::UnlockRange(off_t start) {
  if (private_) return;
  struct flock fl;
  std::memset(&fl, 0, sizeof(fl));
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = 1;
  (void)::fcntl(fd_, F_OFD_SETLK, &fl);
}

Status LockFile::Open(const std::string& path, bool rdonly, bool exclusive, unsigned max_readers,
                      mode_t mode) {
  exclusive_ = exclusive;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, mode);
  if (fd < 0 && rdonly && (errno == EROFS || errno == EACCES || errno == EPERM)) {
    // Read-only location: a private reader table. Other processes are not seen; this is how
    // a read-only copy on a read-only file system is opened.
    private_ = true;
    max_readers_ = max_readers;
    size_t bytes = kLockHeaderSize + sizeof(ReaderSlot) * max_readers;
    private_mem_.reset(new (std::align_val_t(64)) uint8_t[bytes]);
    std::memset(private_mem_.get(), 0, bytes);
    header_ = reinterpret_cast<LockHeader*>(private_mem_.get());
    slots_ = reinterpret_cast<ReaderSlot*>(private_mem_.get() + kLockHeaderSize);
    header_->magic = kLockMagic;
    header_->version = kLockVersion;
    header_->max_readers = max_readers;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    int merr = pthread_mutex_init(&header_->writer, &ma);
    pthread_mutexattr_destroy(&ma);
    return merr;
  }
  if (fd < 0) return errno;
  fd_ = fd;

  // Am I the only user? Then (re)initialize the table.
  Status rc = LockRange(F_WRLCK, 2, false);
  bool initializer = rc == 0;
  if (rc != 0 && rc != EMDB_BUSY) return rc;
  if (!initializer) {
    if (exclusive) return EMDB_BUSY;
    EMDB_TRY(LockRange(F_RDLCK, 2, true));
  }

  struct stat st;
  if (::fstat(fd_, &st) != 0) return errno;
  if (initializer) {
    size_t bytes = kLockHeaderSize + sizeof(ReaderSlot) * max_readers;
    size_t ps = SystemPageSize();
    bytes = (bytes + ps - 1) / ps * ps;
    if (::ftruncate(fd_, 0) != 0 || ::ftruncate(fd_, off_t(bytes)) != 0) return errno;
    max_readers_ = max_readers;
    map_size_ = bytes;
  } else {
    if (size_t(st.st_size) < kLockHeaderSize) return EMDB_INCOMPATIBLE;
    LockHeader h;
    if (::pread(fd_, &h, sizeof(h), 0) != ssize_t(sizeof(h))) return EMDB_INCOMPATIBLE;
    if (h.magic != kLockMagic) return EMDB_INCOMPATIBLE;
    if (h.version != kLockVersion) return EMDB_VERSION_MISMATCH;
    max_readers_ = h.max_readers;
    map_size_ = size_t(st.st_size);
    if (kLockHeaderSize + sizeof(ReaderSlot) * max_readers_ > map_size_) return EMDB_INCOMPATIBLE;
  }
  void* m = ::mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (m == MAP_FAILED) return errno;
  map_ = m;
  header_ = static_cast<LockHeader*>(m);
  slots_ = reinterpret_cast<ReaderSlot*>(static_cast<uint8_t*>(m) + kLockHeaderSize);
  if (initializer) {
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    int merr = pthread_mutex_init(&header_->writer, &ma);
    pthread_mutexattr_destroy(&ma);
    if (merr != 0) return merr;
    header_->magic = kLockMagic;
    header_->version = kLockVersion;
    header_->max_readers = max_readers_;
    header_->os_pagesize = SystemPageSize();
    initializer_ = true;
  }
  return 0;
}

Status LockFile::FinishOpen() {
  if (!initializer_ || exclusive_ || private_ || fd_ < 0) return 0;
  // Downgrade: others may join now.
  return LockRange(F_RDLCK, 2, true);
}

void LockFile::Close() {
  if (map_ != nullptr) {
    ::munmap(map_, map_size_);
    map_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);  // releases the OFD locks of this description
    fd_ = -1;
  }
  private_mem_.reset();
  header_ = nullptr;
  slots_ = nullptr;
}

Status LockFile::LockWriter(bool try_only) {
  int r = try_only ? pthread_mutex_trylock(&header_->writer) : pthread_mutex_lock(&header_->writer);
  if (r == EOWNERDEAD) {
    // The previous writer died holding the lock. Nothing it wrote is visible before its meta,
    // and a meta is judged on its own (txnid copies, sign): the state is consistent.
    EMDB_LOG_WARNING("the previous writer died; taking over the writer lock");
    pthread_mutex_consistent(&header_->writer);
    return 0;
  }
  if (r == EBUSY) return EMDB_BUSY;
  return r;
}

void LockFile::UnlockWriter() { pthread_mutex_unlock(&header_->writer); }

Status LockFile::AcquireSlot(ReaderSlot** out) {
  std::lock_guard<std::mutex> g(slot_mu_);
  EMDB_TRY(LockRange(F_WRLCK, 1, true));
  uint32_t me = uint32_t(::getpid());
  for (int attempt = 0; attempt < 2; attempt++) {
    unsigned hwm = header_->readers_hwm.load(std::memory_order_acquire);
    for (unsigned i = 0; i < max_readers_; i++) {
      ReaderSlot* s = slots_ + i;
      if (s->pid.load(std::memory_order_acquire) == 0) {
        s->txnid.store(0, std::memory_order_relaxed);
        s->tid.store(0, std::memory_order_relaxed);
        s->pid.store(me, std::memory_order_release);
        if (i >= hwm) header_->readers_hwm.store(i + 1, std::memory_order_release);
        UnlockRange(1);
        *out = s;
        return 0;
      }
    }
    // Full: clear slots of dead processes and try once more.
    for (unsigned i = 0; i < max_readers_; i++) {
      uint32_t pid = slots_[i].pid.load(std::memory_order_acquire);
      if (pid != 0 && pid != me && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) {
        slots_[i].txnid.store(0, std::memory_order_release);
        slots_[i].pid.store(0, std::memory_order_release);
      }
    }
  }
  UnlockRange(1);
  return EMDB_READERS_FULL;
}

void LockFile::ReleaseSlot(ReaderSlot* s) {
  s->txnid.store(0, std::memory_order_release);
  s->tid.store(0, std::memory_order_relaxed);
  s->pid.store(0, std::memory_order_release);
}

uint64_t LockFile::OldestReader(uint64_t limit) const {
  uint64_t oldest = limit;
  unsigned hwm = header_->readers_hwm.load(std::memory_order_acquire);
  for (unsigned i = 0; i < hwm && i < max_readers_; i++) {
    uint64_t t = slots_[i].txnid.load(std::memory_order_acquire);
    if (t != 0 && t < oldest) oldest = t;
  }
  return oldest;
}

unsigned LockFile::CountReaders() const {
  unsigned n = 0;
  unsigned hwm = header_->readers_hwm.load(std::memory_order_acquire);
  for (unsigned i = 0; i < hwm && i < max_readers_; i++) {
    if (slots_[i].pid.load(std::memory_order_acquire) != 0) n++;
  }
  return n;
}

Status LockFile::ReaderCheck(int* dead) {
  std::lock_guard<std::mutex> g(slot_mu_);
  EMDB_TRY(LockRange(F_WRLCK, 1, true));
  int n = 0;
  uint32_t me = uint32_t(::getpid());
  for (unsigned i = 0; i < max_readers_; i++) {
    uint32_t pid = slots_[i].pid.load(std::memory_order_acquire);
    if (pid != 0 && pid != me && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH) {
      slots_[i].txnid.store(0, std::memory_order_release);
      slots_[i].pid.store(0, std::memory_order_release);
      n++;
    }
  }
  UnlockRange(1);
  if (dead) *dead = n;
  return 0;
}

}  // namespace emdb::os
