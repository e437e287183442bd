// engine/os/lockfile.hpp — the lock file (emdb.lck, or <path>-lck with NOSUBDIR): a shared
// mapping holding a versioned header and the reader table, plus kernel locks on byte ranges.
//
// Layout (format version kLockVersion, host byte order, see docs/format.md "Lock file"):
//   [0, 256)        LockHeader (offsets static_asserted below)
//   [256, ...)      ReaderSlot[max_readers], 64 bytes each (one cache line)
// A lock file in use by another process is checked before it is mapped: a wrong magic or a
// different layout word (sizes of the header, the slot and pthread_mutex_t, byte order) gives
// EMDB_INCOMPATIBLE, another version EMDB_VERSION_MISMATCH. A lock file nobody uses is simply
// re-initialized (it holds no durable state).
//
// Locks:
//   writer      a robust, process-shared pthread mutex in the header (no syscall when
//               uncontended; when its owner dies the kernel hands it on with EOWNERDEAD)
//   byte 2      every user holds it shared; the initializer holds it exclusively while it
//               resets the file, and an EXCLUSIVE opener for its whole life
//   byte 3      every non-exclusive user holds it shared, an EXCLUSIVE opener exclusively: a
//               second opener fails at once with EMDB_BUSY instead of waiting
//   2^32 + pid  each process holds the byte of its own pid exclusively while it has the
//               database open: a slot whose pid has no such lock belongs to a dead process
// All are Linux open-file-description locks: the kernel drops them when the last descriptor of
// the description closes (process death included). After fork() the child shares them.
//
// Thread safety: slots are claimed and cleared with compare-and-swap on `pid` (no lock); a
// claimed slot is then written only by its owner and read by anyone (atomics).
//
// Invariants:
//  L1. A slot with pid == 0 is free and has txnid == 0. A slot with txnid == 0 pins nothing.
//  L2. A reader publishes its snapshot txnid, then re-reads head_txnid; if it moved, it retries.
//      The writer stores head_txnid, then scans the slots (both sequentially consistent), so a
//      writer never misses a snapshot it must keep.
//  L3. Only the process that wins the CAS of `pid` (0 -> its pid to claim; a dead pid ->
//      kClearing|its pid to clear) writes the other fields of a slot. A clearer zeroes txnid
//      before it frees the slot; a clearer that dies mid-way leaves a marker the next clears.
//  L4. readers_hwm only grows (until the file is re-initialized): slots >= hwm are free.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.hpp"

namespace emdb::os {

inline constexpr uint64_t kLockMagic = 0x4b434c42444d45ull;  // "EMDBLCK"
inline constexpr uint32_t kLockVersion = 3;                  // FROZEN per released version
inline constexpr size_t kLockHeaderSize = 256;
inline constexpr off_t kLockByteUsers = 2;
inline constexpr off_t kLockByteExclusive = 3;
inline constexpr off_t kLockPidBase = off_t(1) << 32;
// A slot being cleared by process p has pid == kClearing | p (pids stay below 2^22 on Linux).
inline constexpr uint32_t kClearing = 0x80000000u;

struct alignas(64) ReaderSlot {
  std::atomic<uint64_t> txnid;             // 0: snapshot txnid, 0 when idle
  std::atomic<uint32_t> pid;               // 8: owner process, 0 when free
  std::atomic<uint32_t> flags;             // 12: reserved (0)
  std::atomic<uint64_t> tid;               // 16: owner thread (pthread_t)
  std::atomic<uint64_t> snapshot_pages;    // 24: next_pgno of the snapshot (space used)
  std::atomic<uint64_t> snapshot_retired;  // 32: header pages_retired at the snapshot
  uint8_t reserved[24];                    // 40
};
static_assert(sizeof(ReaderSlot) == 64);
static_assert(offsetof(ReaderSlot, txnid) == 0 && offsetof(ReaderSlot, pid) == 8 &&
              offsetof(ReaderSlot, flags) == 12 && offsetof(ReaderSlot, tid) == 16 &&
              offsetof(ReaderSlot, snapshot_pages) == 24 &&
              offsetof(ReaderSlot, snapshot_retired) == 32);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<uint64_t>) == 8 && sizeof(std::atomic<uint32_t>) == 4);
static_assert(sizeof(pthread_t) <= 8);

inline constexpr size_t kLockMutexSpace = 64;
static_assert(sizeof(pthread_mutex_t) <= kLockMutexSpace);

struct LockHeader {
  uint64_t magic;                           // 0
  uint32_t version;                         // 8
  uint32_t max_readers;                     // 12
  uint32_t os_pagesize;                     // 16
  std::atomic<uint32_t> env_mode;           // 20: kEnvModeSet | mode flags of the first writer
  std::atomic<uint64_t> head_txnid;         // 24: txnid of the newest committed meta
  std::atomic<uint32_t> readers_hwm;        // 32: slots [0, hwm) may be in use
  uint32_t layout;                          // 36: kLockLayout of the initializer
  std::atomic<uint64_t> unsync_bytes;       // 40: bytes written since the last steady point
  std::atomic<uint64_t> pages_retired;      // 48: pages freed by all commits since initialization
  uint8_t boot_id[32];                      // 56: reserved for the boot id (durability)
  std::atomic<uint64_t> last_sync_time;     // 88: CLOCK_MONOTONIC ns of the last steady point
  std::atomic<uint64_t> last_reader_check;  // 96: CLOCK_MONOTONIC ns of the last dead-slot scan
  std::atomic<uint64_t> file_cuts;          // 104: times a writer shrank the data file
  std::atomic<uint64_t> steady_retired;     // 112: pages_retired as of the newest steady meta
  uint8_t reserved1[8];                     // 120
  union {                                   // 128: the writer lock
    pthread_mutex_t writer;
    uint8_t writer_space[kLockMutexSpace];
  };
  uint8_t reserved2[64];  // 192
};
static_assert(sizeof(LockHeader) == kLockHeaderSize);
static_assert(offsetof(LockHeader, version) == 8 && offsetof(LockHeader, max_readers) == 12 &&
              offsetof(LockHeader, os_pagesize) == 16 && offsetof(LockHeader, env_mode) == 20 &&
              offsetof(LockHeader, head_txnid) == 24 && offsetof(LockHeader, readers_hwm) == 32 &&
              offsetof(LockHeader, layout) == 36 && offsetof(LockHeader, unsync_bytes) == 40 &&
              offsetof(LockHeader, pages_retired) == 48 && offsetof(LockHeader, boot_id) == 56 &&
              offsetof(LockHeader, last_sync_time) == 88 &&
              offsetof(LockHeader, last_reader_check) == 96 &&
              offsetof(LockHeader, file_cuts) == 104 &&
              offsetof(LockHeader, steady_retired) == 112 && offsetof(LockHeader, writer) == 128);

// env_mode: bit 31 says the word is set; the low bits are the sync-mode flags in use.
inline constexpr uint32_t kEnvModeSet = 0x80000000u;

// The layout word: anything that changes the meaning of the bytes for another build.
inline constexpr uint32_t kLockLayout =
    uint32_t(sizeof(LockHeader) / 8) | uint32_t(sizeof(ReaderSlot) / 8) << 8 |
    uint32_t(sizeof(pthread_mutex_t)) << 16 | uint32_t(sizeof(void*)) << 24 |
    (std::endian::native == std::endian::little ? 0u : 0x80000000u);

// Test hook: when non-zero, opening the lock file fails with this errno (read-only locations
// can then be tested as root, where chmod does not stop writes).
void TEST_SetLockOpenError(int err);

class LockFile {
 public:
  LockFile() = default;
  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  // Opens or creates the lock file. With rdonly and a read-only location, falls back to a
  // private in-memory table (no other process is then seen). exclusive: EMDB_BUSY if anyone
  // else uses the database; otherwise EMDB_BUSY if an EXCLUSIVE process has it open.
  [[nodiscard]] Status Open(const std::string& path, bool rdonly, bool exclusive,
                            unsigned max_readers, mode_t mode);
  // Unmaps and closes. In a fork() child this touches nothing shared (the parent's locks stay).
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
  uint32_t pid() const { return pid_; }

  // Writer lock across threads and processes. try_only: EMDB_BUSY instead of waiting. Takes
  // over the lock of a writer that died (its unfinished commit is invisible: see txn.cpp).
  [[nodiscard]] Status LockWriter(bool try_only);
  void UnlockWriter();

  // Claims a free slot for this process and thread `tid`; when none is free, clears the slots
  // of dead processes and tries again; EMDB_READERS_FULL if still none.
  [[nodiscard]] Status AcquireSlot(ReaderSlot** out, uint64_t tid);
  // REQUIRES: s was claimed by this process and is not used by a live txn.
  void ReleaseSlot(ReaderSlot* s);

  // Smallest snapshot txnid pinned by any reader, or `limit` if smaller / none.
  uint64_t OldestReader(uint64_t limit) const;
  // Clears the slots of dead processes (the writer calls it before growing the file or calling
  // the OOM-kick callback; emdb_reader_check calls it). *cleared (if not null) gets how many.
  // Never blocks; thread-safe; costs one fcntl per distinct foreign pid in the table.
  [[nodiscard]] Status ClearDeadReaders(int* cleared);
  // True if process `pid` has this database open (holds its pid lock) or may have it.
  bool ProcessAlive(uint32_t pid) const;
  unsigned CountReaders() const;

 private:
  [[nodiscard]] Status LockByte(int type, off_t start, bool wait);
  void UnlockByte(off_t start);
  [[nodiscard]] Status OpenPrivate(unsigned max_readers);
  [[nodiscard]] Status InitShared(unsigned max_readers, bool exclusive);
  [[nodiscard]] Status CheckShared();

  int fd_ = -1;
  bool private_ = false;
  uint32_t pid_ = 0;
  bool exclusive_ = false;
  bool initializer_ = false;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  struct alignas(64) CacheLine {
    uint8_t bytes[64];
  };
  std::unique_ptr<CacheLine[]> private_mem_;  // the table without a lock file
  LockHeader* header_ = nullptr;
  ReaderSlot* slots_ = nullptr;
  unsigned max_readers_ = 0;
};

}  // namespace emdb::os
