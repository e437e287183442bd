// engine/os/lockfile.hpp — the lock file (emdb.lck, or <path>-lck with NOSUBDIR): a shared
// mapping holding a versioned header and the reader table, plus kernel locks on byte ranges.
//
// Layout (format version kLockVersion, little-endian, see docs/format.md "Lock file"):
//   [0, 256)        LockHeader
//   [256, ...)      ReaderSlot[max_readers], 64 bytes each (one cache line)
// Locks (Linux open-file-description locks, released by the kernel when a process dies):
//   the writer lock is a robust, process-shared pthread mutex in the header (no syscall when
//   uncontended; the kernel hands it on with EOWNERDEAD when its owner dies)
//   byte 1: reader-slot allocation
//   byte 2: liveness — every user holds it shared; EXCLUSIVE mode and the lock-file
//           initializer hold it exclusively.
//
// Thread safety: slots are claimed under a process mutex plus the byte-1 lock; a claimed slot
// is then written only by its owner (txnid) and read by anyone (atomics).
//
// Invariants:
//  L1. A slot with pid == 0 is free. A slot with txnid == 0 pins no snapshot.
//  L2. A reader publishes its snapshot txnid, then re-reads head_txnid; if it moved, it retries.
//      So a writer that scans slots after a commit never misses a snapshot it must keep.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "base/status.hpp"

namespace emdb::os {

inline constexpr uint64_t kLockMagic = 0x4b434c42444d45ull;  // "EMDBLCK"
inline constexpr uint32_t kLockVersion = 2;
inline constexpr size_t kLockHeaderSize = 256;

struct alignas(64) ReaderSlot {
  std::atomic<uint64_t> txnid;           // snapshot txnid, 0 when idle
  std::atomic<uint32_t> pid;             // owner process, 0 when free
  std::atomic<uint32_t> flags;           // reserved
  std::atomic<uint64_t> tid;             // owner thread (pthread_t)
  std::atomic<uint64_t> snapshot_pages;  // next_pgno of the snapshot (space used)
  uint8_t pad[32];
};
static_assert(sizeof(ReaderSlot) == 64);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

struct LockHeader {
  uint64_t magic;
  uint32_t version;
  uint32_t max_readers;
  uint32_t os_pagesize;
  uint32_t env_mode;                  // sync-mode flags of the first opener (ACCEDE rules)
  std::atomic<uint64_t> head_txnid;   // txnid of the newest committed meta
  std::atomic<uint32_t> readers_hwm;  // slots [0, hwm) may be in use
  std::atomic<uint32_t> reserved32;
  std::atomic<uint64_t> unsync_bytes;  // bytes written since the last steady point
  std::atomic<uint64_t> last_sync_time;
  uint64_t bootid[2];
  pthread_mutex_t writer;  // robust, process-shared
  uint8_t pad[kLockHeaderSize - 72 - sizeof(pthread_mutex_t)];
};
static_assert(sizeof(LockHeader) == kLockHeaderSize);

class LockFile {
 public:
  LockFile() = default;
  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  // Opens or creates the lock file. With rdonly and a read-only location, falls back to a
  // private in-memory table (no other process is then seen). exclusive: fail with EMDB_BUSY if
  // anyone else uses the database.
  [[nodiscard]] Status Open(const std::string& path, bool rdonly, bool exclusive,
                            unsigned max_readers, mode_t mode);
  void Close();
  // True if this process (re)initialized the table: nobody else was using the database, so
  // recovery at open is its job. Until FinishOpen, others wait to join.
  bool initializer() const { return initializer_; }
  // Lets other processes join (the initializer keeps its exclusive liveness lock until then).
  [[nodiscard]] Status FinishOpen();

  LockHeader* header() const { return header_; }
  ReaderSlot* slot(unsigned i) const { return slots_ + i; }
  unsigned max_readers() const { return max_readers_; }
  bool is_private() const { return private_; }

  // Writer lock across threads and processes. try_only: EMDB_BUSY instead of waiting.
  [[nodiscard]] Status LockWriter(bool try_only);
  void UnlockWriter();

  // Claims a free slot for this process (clearing dead ones when the table is full).
  [[nodiscard]] Status AcquireSlot(ReaderSlot** out);
  void ReleaseSlot(ReaderSlot* s);

  // Smallest snapshot txnid pinned by any reader, or `limit` if smaller / none.
  uint64_t OldestReader(uint64_t limit) const;
  // Clears the slots of dead processes; returns how many via *dead.
  [[nodiscard]] Status ReaderCheck(int* dead);
  unsigned CountReaders() const;

 private:
  [[nodiscard]] Status LockRange(int type, off_t start, bool wait);
  void UnlockRange(off_t start);

  int fd_ = -1;
  bool private_ = false;
  bool exclusive_ = false;
  bool initializer_ = false;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::unique_ptr<uint8_t[]> private_mem_;
  LockHeader* header_ = nullptr;
  ReaderSlot* slots_ = nullptr;
  unsigned max_readers_ = 0;
  std::mutex slot_mu_;
};

}  // namespace emdb::os
