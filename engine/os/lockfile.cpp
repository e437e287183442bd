// engine/os/lockfile.cpp — see lockfile.hpp.
#include "os/lockfile.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "base/log.hpp"
#include "os/file.hpp"

namespace emdb::os {

namespace {

std::atomic<int> g_test_open_error{0};

void SleepMicros(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

}  // namespace

void TEST_SetLockOpenError(int err) { g_test_open_error.store(err); }

LockFile::~LockFile() { Close(); }

Status LockFile::LockByte(int type, off_t start, bool wait) {
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

void LockFile::UnlockByte(off_t start) {
  if (private_) return;
  struct flock fl;
  std::memset(&fl, 0, sizeof(fl));
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = 1;
  (void)::fcntl(fd_, F_OFD_SETLK, &fl);
}

Status LockFile::OpenPrivate(unsigned max_readers) {
  // Read-only location: a private reader table. Other processes are not seen; this is how a
  // read-only copy on a read-only file system is opened (as libmdbx does).
  private_ = true;
  max_readers_ = max_readers;
  size_t bytes = kLockHeaderSize + sizeof(ReaderSlot) * max_readers;
  private_mem_.reset(new CacheLine[(bytes + 63) / 64]);  // aligned new, matching delete[]
  uint8_t* mem = reinterpret_cast<uint8_t*>(private_mem_.get());
  std::memset(mem, 0, bytes);
  header_ = reinterpret_cast<LockHeader*>(mem);
  slots_ = reinterpret_cast<ReaderSlot*>(mem + kLockHeaderSize);
  header_->magic = kLockMagic;
  header_->version = kLockVersion;
  header_->layout = kLockLayout;
  header_->max_readers = max_readers;
  header_->os_pagesize = SystemPageSize();
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
  int merr = pthread_mutex_init(&header_->writer, &ma);
  pthread_mutexattr_destroy(&ma);
  return merr;
}

Status LockFile::InitShared(unsigned max_readers, bool exclusive) {
  size_t bytes = kLockHeaderSize + sizeof(ReaderSlot) * max_readers;
  size_t ps = SystemPageSize();
  bytes = (bytes + ps - 1) / ps * ps;
  // Truncating to 0 first zeroes every byte (slots, counters) of a previous life.
  if (::ftruncate(fd_, 0) != 0 || ::ftruncate(fd_, off_t(bytes)) != 0) return errno;
  max_readers_ = max_readers;
  map_size_ = bytes;
  void* m = ::mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (m == MAP_FAILED) return errno;
  map_ = m;
  header_ = static_cast<LockHeader*>(m);
  slots_ = reinterpret_cast<ReaderSlot*>(static_cast<uint8_t*>(m) + kLockHeaderSize);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
  int merr = pthread_mutex_init(&header_->writer, &ma);
  pthread_mutexattr_destroy(&ma);
  if (merr != 0) return merr;
  header_->version = kLockVersion;
  header_->layout = kLockLayout;
  header_->max_readers = max_readers_;
  header_->os_pagesize = uint32_t(ps);
  // The magic is written by FinishOpen, after recovery at open: others wait until then.
  (void)exclusive;
  initializer_ = true;
  return 0;
}

// A lock file another process uses: refuse what this build cannot read, then map it.
Status LockFile::CheckShared() {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return errno;
  uint8_t raw[kLockHeaderSize];
  if (size_t(st.st_size) < kLockHeaderSize ||
      ::pread(fd_, raw, sizeof(raw), 0) != ssize_t(sizeof(raw))) {
    return EMDB_INCOMPATIBLE;
  }
  struct {
    uint64_t magic;
    uint32_t version, max_readers, layout;
  } h;
  std::memcpy(&h.magic, raw + offsetof(LockHeader, magic), 8);
  std::memcpy(&h.version, raw + offsetof(LockHeader, version), 4);
  std::memcpy(&h.max_readers, raw + offsetof(LockHeader, max_readers), 4);
  std::memcpy(&h.layout, raw + offsetof(LockHeader, layout), 4);
  if (h.magic != kLockMagic) {
    EMDB_LOG_ERR("lock file: bad magic (not an emdb lock file, or another byte order)");
    return EMDB_INCOMPATIBLE;
  }
  if (h.version != kLockVersion) {
    EMDB_LOG_ERR("lock file: version %u is in use, this build reads version %u", h.version,
                 kLockVersion);
    return EMDB_VERSION_MISMATCH;
  }
  if (h.layout != kLockLayout) {
    EMDB_LOG_ERR("lock file: layout %#x is in use (another architecture?), this build has %#x",
                 h.layout, kLockLayout);
    return EMDB_INCOMPATIBLE;
  }
  max_readers_ = h.max_readers;
  map_size_ = size_t(st.st_size);
  if (max_readers_ == 0 || kLockHeaderSize + sizeof(ReaderSlot) * max_readers_ > map_size_) {
    return EMDB_INCOMPATIBLE;
  }
  void* m = ::mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (m == MAP_FAILED) return errno;
  map_ = m;
  header_ = static_cast<LockHeader*>(m);
  slots_ = reinterpret_cast<ReaderSlot*>(static_cast<uint8_t*>(m) + kLockHeaderSize);
  return 0;
}

Status LockFile::Open(const std::string& path, bool rdonly, bool exclusive, unsigned max_readers,
                      mode_t mode) {
  pid_ = uint32_t(::getpid());
  exclusive_ = exclusive;
  initializer_ = false;
  int test_err = g_test_open_error.load();
  int fd = -1;
  if (test_err != 0) {
    errno = test_err;
  } else {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, mode == 0 ? 0644 : mode);
  }
  if (fd < 0 && rdonly && (errno == EROFS || errno == EACCES || errno == EPERM)) {
    return OpenPrivate(max_readers);
  }
  if (fd < 0) return errno;
  fd_ = fd;

  if (exclusive) {
    // Nobody else may use it, now or later (byte 3 turns later openers away at once).
    if (LockByte(F_WRLCK, kLockByteExclusive, false) != 0) return EMDB_BUSY;
    if (LockByte(F_WRLCK, kLockByteUsers, false) != 0) return EMDB_BUSY;
    EMDB_TRY(InitShared(max_readers, true));
  } else {
    Status rc = LockByte(F_RDLCK, kLockByteExclusive, false);
    if (rc == EMDB_BUSY) {
      EMDB_LOG_WARNING("%s: the database is open in EXCLUSIVE mode elsewhere", path.c_str());
      return EMDB_BUSY;
    }
    if (rc != 0) return rc;
    for (int attempt = 0;; attempt++) {
      // Am I the only user? Then (re)initialize the table.
      rc = LockByte(F_WRLCK, kLockByteUsers, false);
      if (rc == 0) {
        EMDB_TRY(InitShared(max_readers, false));
        break;
      }
      if (rc != EMDB_BUSY) return rc;
      // Someone uses it, or initializes it right now: wait for the shared lock.
      EMDB_TRY(LockByte(F_RDLCK, kLockByteUsers, true));
      // The others may all have left meanwhile: then this process is the initializer after all
      // (converting its own shared lock to exclusive succeeds only if nobody else holds it).
      if (LockByte(F_WRLCK, kLockByteUsers, false) == 0) {
        EMDB_TRY(InitShared(max_readers, false));
        break;
      }
      uint64_t magic = 0;
      if (::pread(fd_, &magic, sizeof(magic), 0) == ssize_t(sizeof(magic)) && magic != 0) {
        EMDB_TRY(CheckShared());
        break;
      }
      // An initializer died before it finished: let one of the waiters start over.
      UnlockByte(kLockByteUsers);
      if (attempt > 2000) return EMDB_PROBLEM;
      SleepMicros(200 + (long(pid_) * 7919 + attempt * 104729) % 2000);
    }
  }
  // This process is alive while it holds its pid byte (see ProcessAlive).
  Status rc = LockByte(F_WRLCK, kLockPidBase + off_t(pid_), false);
  if (rc != 0) {
    EMDB_LOG_WARNING("lock file: cannot take the pid lock of %u (%d)", pid_, rc);
  }
  return 0;
}

Status LockFile::FinishOpen() {
  if (!initializer_ || private_ || fd_ < 0) return 0;
  // The magic last: a lock file whose initializer died before this point (during recovery at
  // open, say) reads as uninitialized, and the next opener starts over.
  std::atomic_thread_fence(std::memory_order_release);
  header_->magic = kLockMagic;
  if (exclusive_) return 0;
  // Downgrade (atomically: the description converts its own lock): others may join now.
  return LockByte(F_RDLCK, kLockByteUsers, true);
}

void LockFile::Close() {
  if (map_ != nullptr) {
    ::munmap(map_, map_size_);
    map_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);  // releases the locks of this description (unless a fork child shares it)
    fd_ = -1;
  }
  private_mem_.reset();
  private_ = false;
  header_ = nullptr;
  slots_ = nullptr;
}

Status LockFile::LockWriter(bool try_only) {
  int r = try_only ? pthread_mutex_trylock(&header_->writer) : pthread_mutex_lock(&header_->writer);
  if (r == EOWNERDEAD) {
    // The previous writer died holding the lock. Nothing it wrote is reachable before its meta,
    // and a meta is judged on its own (txnid copies, sign): the state is consistent. The next
    // BeginWrite re-reads the metas and republishes head_txnid.
    EMDB_LOG_WARNING("the previous writer died; taking over the writer lock");
    // It may have written a meta without flushing it and died before counting the bytes:
    // count something, so the next commits keep the pages of the last flushed meta until a
    // flush (a conservative reuse limit, see docs/format.md "The GC tree").
    header_->unsync_bytes.fetch_add(1);
    pthread_mutex_consistent(&header_->writer);
    return 0;
  }
  if (r == EBUSY) return EMDB_BUSY;
  return r;
}

void LockFile::UnlockWriter() { pthread_mutex_unlock(&header_->writer); }

bool LockFile::ProcessAlive(uint32_t pid) const {
  if (pid == pid_) return true;
  if (pid == 0) return false;
  if (!private_) {
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = kLockPidBase + off_t(pid);
    fl.l_len = 1;
    if (::fcntl(fd_, F_OFD_GETLK, &fl) == 0) return fl.l_type != F_UNLCK;
  }
  // No lock file to ask: a process that exists may be the owner.
  return ::kill(pid_t(pid), 0) == 0 || errno != ESRCH;
}

Status LockFile::AcquireSlot(ReaderSlot** out, uint64_t tid) {
  for (int attempt = 0; attempt < 2; attempt++) {
    for (unsigned i = 0; i < max_readers_; i++) {
      ReaderSlot* s = slots_ + i;
      uint32_t expected = 0;
      if (s->pid.load(std::memory_order_relaxed) != 0 ||
          !s->pid.compare_exchange_strong(expected, pid_, std::memory_order_acq_rel)) {
        continue;
      }
      s->txnid.store(0, std::memory_order_relaxed);
      s->tid.store(tid, std::memory_order_relaxed);
      s->snapshot_pages.store(0, std::memory_order_relaxed);
      s->snapshot_retired.store(0, std::memory_order_relaxed);
      uint32_t hwm = header_->readers_hwm.load(std::memory_order_relaxed);
      while (hwm < i + 1 &&
             !header_->readers_hwm.compare_exchange_weak(hwm, i + 1, std::memory_order_seq_cst)) {
      }
      *out = s;
      return 0;
    }
    // Full: clear slots of dead processes and try once more, also when this call cleared
    // none: another thread of this process may have cleared them a moment before (it found the
    // table full too), and those slots are free now.
    if (attempt == 0) {
      int cleared = 0;
      EMDB_TRY(ClearDeadReaders(&cleared));
    }
  }
  return EMDB_READERS_FULL;
}

void LockFile::ReleaseSlot(ReaderSlot* s) {
  s->txnid.store(0, std::memory_order_release);
  s->tid.store(0, std::memory_order_relaxed);
  s->pid.store(0, std::memory_order_release);
}

uint64_t LockFile::OldestReader(uint64_t limit) const {
  // L2: the caller stored head_txnid before; this fence pairs with the reader's.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  uint64_t oldest = limit;
  unsigned hwm = header_->readers_hwm.load(std::memory_order_seq_cst);
  for (unsigned i = 0; i < hwm && i < max_readers_; i++) {
    uint64_t t = slots_[i].txnid.load(std::memory_order_seq_cst);
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

Status LockFile::ClearDeadReaders(int* cleared) {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  header_->last_reader_check.store(uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec),
                                   std::memory_order_relaxed);
  int n = 0;
  unsigned hwm = header_->readers_hwm.load(std::memory_order_acquire);
  uint32_t last_dead = 0, last_alive = pid_;
  for (unsigned i = 0; i < hwm && i < max_readers_; i++) {
    ReaderSlot* s = slots_ + i;
    uint32_t p = s->pid.load(std::memory_order_acquire);
    if (p == 0) continue;
    uint32_t owner = p & ~kClearing;
    if (owner == last_alive) continue;
    if (owner != last_dead) {
      if (ProcessAlive(owner)) {
        last_alive = owner;
        continue;
      }
      last_dead = owner;
    }
    // L3: only the winner of this CAS touches the slot.
    if (!s->pid.compare_exchange_strong(p, kClearing | pid_, std::memory_order_acq_rel)) continue;
    s->txnid.store(0, std::memory_order_release);
    s->tid.store(0, std::memory_order_relaxed);
    s->snapshot_pages.store(0, std::memory_order_relaxed);
    s->pid.store(0, std::memory_order_release);
    n++;
  }
  if (n > 0) EMDB_LOG(EMDB_LOG_NOTICE, "reader table: cleared %d slot(s) of dead processes", n);
  if (cleared != nullptr) *cleared = n;
  return 0;
}

}  // namespace emdb::os
