// engine/core/internal.hpp — the state of environments, transactions and cursors.
//
// Data only: the operations live in btree/ (tree and cursor algorithms), txn/ (begin, commit,
// page allocation, dirty pages) and env/ (open, close, metas, tables). Keeping the structures
// in one header lets those folders share them without include cycles.
//
// Thread safety:
//  - Env: immutable after open except where noted (atomics, or guarded by dbi_mu / the writer
//    lock). Any thread may begin read transactions.
//  - Txn: used by one thread at a time (its owner unless EMDB_NOSTICKYTHREADS).
//  - Cursor: belongs to one transaction.
//
// Invariants:
//  T1. A write txn's dirty pages all have page numbers allocated by this top-level txn (copy on
//      write: a committed page is never modified in place).
//  T2. Every page number is, at every moment of a write txn, in exactly one of: reachable from
//      a tree of the txn, a GC record, txn->loose, txn->reclaimed, txn->retired, or >= next_pgno.
//  T3. Before a table changes, every other positioned cursor of it saves its key (and value)
//      and becomes stale; a stale cursor re-seeks that position before moving (cur::Restore).
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/compare.hpp"
#include "base/shared_words.hpp"
#include "base/small_bytes.hpp"
#include "base/status.hpp"
#include "format/layout.hpp"
#include "format/page.hpp"
#include "os/file.hpp"
#include "os/lockfile.hpp"
#include "os/mmap.hpp"

namespace emdb {

using format::Meta;
using format::Page;
using format::pgno_t;
using format::TreeRecord;
using format::txnid_t;

inline constexpr uint32_t kEnvSignature = 0x456e7631;
inline constexpr uint32_t kTxnSignature = 0x54786e31;
inline constexpr uint32_t kCursorSignature = 0x43727331;
inline constexpr uint32_t kDeadSignature = 0xdeadbeef;

inline constexpr EMDB_dbi kGcDbi = 0;
inline constexpr EMDB_dbi kMainDbi = 1;
inline constexpr EMDB_dbi kCoreDbs = 2;

inline constexpr unsigned kTableFlagsMask = EMDB_REVERSEKEY | EMDB_DUPSORT | EMDB_INTEGERKEY |
                                            EMDB_DUPFIXED | EMDB_INTEGERDUP | EMDB_REVERSEDUP;

// Per-handle table description, shared by all transactions of the env.
struct DbiInfo {
  bool used = false;
  std::string name;    // binary name; empty for GC and MAIN
  uint16_t flags = 0;  // table flags
  CmpFn kcmp = CmpLex;
  CmpFn dcmp = CmpLex;
  uint32_t generation = 0;  // bumped when the slot is reused
};

// Per-transaction table state.
enum DbStateBits : uint8_t {
  kDbValid = 0x01,    // rec is loaded
  kDbDirty = 0x02,    // rec changed in this txn (write back at commit)
  kDbCreated = 0x04,  // created in this txn
  kDbFresh = 0x08,    // opened in this txn
  kDbStale = 0x10,    // must be (re)loaded from the main tree before use
  kDbDropped = 0x20,  // deleted in this txn
};

struct DbState {
  TreeRecord rec;
  uint8_t state = 0;
  uint32_t generation = 0;
  uint64_t mod = 0;       // bumped on every change; cursors compare it (T3)
  uint8_t int_ksize = 0;  // INTEGERKEY: the key size of the table once known (4 or 8)
};

// Open-addressing map from page number to the txn's private buffer of that page.
class DirtyTable {
 public:
  Page* Find(pgno_t pgno) const {
    if (count_ == 0) return nullptr;
    size_t mask = slots_.size() - 1;
    for (size_t i = Hash(pgno) & mask;; i = (i + 1) & mask) {
      const Entry& e = slots_[i];
      if (e.page == nullptr) return nullptr;
      if (e.pgno == pgno) return e.page;
    }
  }
  // Inserts or replaces; returns the previous buffer (or nullptr).
  Page* Put(pgno_t pgno, Page* page) {
    if ((count_ + 1) * 4 > slots_.size() * 3) Grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = Hash(pgno) & mask;; i = (i + 1) & mask) {
      Entry& e = slots_[i];
      if (e.page == nullptr) {
        e.pgno = pgno;
        e.page = page;
        count_++;
        return nullptr;
      }
      if (e.pgno == pgno) {
        Page* old = e.page;
        e.page = page;
        return old;
      }
    }
  }
  // Removes; returns the buffer (or nullptr).
  Page* Erase(pgno_t pgno) {
    if (count_ == 0) return nullptr;
    size_t mask = slots_.size() - 1;
    size_t i = Hash(pgno) & mask;
    for (;; i = (i + 1) & mask) {
      if (slots_[i].page == nullptr) return nullptr;
      if (slots_[i].pgno == pgno) break;
    }
    Page* old = slots_[i].page;
    slots_[i].page = nullptr;
    count_--;
    // Backward-shift deletion keeps probe chains intact.
    size_t j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (slots_[j].page == nullptr) break;
      size_t home = Hash(slots_[j].pgno) & mask;
      bool between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
      if (!between) {
        slots_[i] = slots_[j];
        slots_[j].page = nullptr;
        i = j;
      }
    }
    return old;
  }
  size_t size() const { return count_; }
  template <typename F>
  void ForEach(F&& f) const {
    for (const Entry& e : slots_) {
      if (e.page != nullptr) f(e.pgno, e.page);
    }
  }
  void Clear() {
    if (slots_.size() > 4096) {
      std::vector<Entry>().swap(slots_);  // a big txn's table is not kept for small ones
    } else {
      slots_.assign(slots_.size(), Entry{});
    }
    count_ = 0;
  }

 private:
  struct Entry {
    pgno_t pgno = 0;
    Page* page = nullptr;
  };
  static size_t Hash(pgno_t p) { return size_t((p * 0x9E3779B97F4A7C15ull) >> 20); }
  void Grow() {
    std::vector<Entry> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Entry{});
    count_ = 0;
    for (const Entry& e : old) {
      if (e.page != nullptr) Put(e.pgno, e.page);
    }
  }
  std::vector<Entry> slots_;
  size_t count_ = 0;
};

struct Txn;
struct Cursor;
namespace steady {
struct Flusher;
}

struct Env {
  uint32_t signature = kEnvSignature;
  unsigned flags = 0;  // env flags given at open (+ runtime sync-mode changes)
  bool opened = false;
  std::atomic<bool> panic{false};
  uint64_t env_id = 0;  // unique per process, never reused
  std::string path, data_path, lock_path;
  dev_t dev = 0;
  ino_t ino = 0;

  std::unique_ptr<os::File> file;  // the I/O seam
  os::MapRegion map;
  os::LockFile lck;
  uint32_t psize = 0;
  format::Geometry geo{};  // current geometry in pages (from the head meta / as applied)
  // Requested geometry (bytes; -1 = default/keep) from emdb_env_set_geometry.
  intptr_t req_lower = -1, req_now = -1, req_upper = -1, req_grow = -1, req_shrink = -1,
           req_psize = -1;
  unsigned max_dbs = 0;
  unsigned max_readers = 126;
  uint64_t opt_sync_bytes = 0, opt_sync_period = 0, opt_rp_augment_limit = 256 * 1024,
           opt_loose_limit = 64, opt_dp_reserve_limit = 1024, opt_txn_dp_limit = 65536,
           opt_txn_dp_initial = 1024, opt_spill_max_denominator = 8, opt_spill_min_denominator = 8,
           opt_spill_parent4child_denominator = 0, opt_merge_threshold = 65536 / 4,
           opt_writethrough_threshold = 0, opt_prefault_write = 0, opt_gc_time_limit = 0,
           opt_prefer_waf = 0, opt_subpage_limit = 65535, opt_subpage_room_threshold = 0,
           opt_subpage_reserve_prereq = 0, opt_subpage_reserve_limit = 0;
  void* userctx = nullptr;
  EMDB_hsr_func* hsr = nullptr;  // handle-slow-readers callback (emdb_env_set_hsr)

  std::mutex dbi_mu;
  std::unique_ptr<DbiInfo[]> dbis;  // max_dbs + kCoreDbs entries, fixed after open
  std::atomic<unsigned> num_dbis{kCoreDbs};

  // The writer: one top-level write txn at a time.
  std::atomic<Txn*> write_txn{nullptr};
  std::atomic<uint64_t> writer_tid{0};  // pthread_t of the writer thread, 0 when none
  std::atomic<int> live_txns{0};        // live write txns (top-level and nested)
  // Reader slots handed to threads (sticky mode); guarded by the API's registry mutex.
  std::vector<os::ReaderSlot*> issued_slots;

  // What the writer last verified of each meta slot (guarded by the writer lock): a slot whose
  // txnid copies and sign are unchanged keeps its verdict without a new checksum.
  struct MetaSeen {
    uint64_t txnid_a = 0, txnid_b = 0, sign = 0;
    bool checked = false, valid = false;
  } meta_seen[format::kNumMetas];
  steady::Flusher* flusher = nullptr;  // background steady points (txn/steady.hpp), writer-owned
  std::vector<uint8_t> meta_buf;       // the writer's meta page image (zero beyond the meta)
  // emdb_env_open_for_recovery: the meta slot (0..2) every snapshot is taken from, or -1.
  int recovery_meta = -1;
  std::atomic<Txn*> spare_write{nullptr};  // a finished top-level write txn object, for reuse

  // In-place compaction (txn/compact.hpp), writer only: where a pass stopped by a budget
  // resumes (a main-tree key, and a key inside that table, or "after that table"), and the
  // boundary of the last pass of the current episode (kInvalidPgno: none).
  bool compact_resume = false, compact_after = false;
  std::string compact_table, compact_key;
  format::pgno_t compact_last_boundary = ~format::pgno_t(0);
  uint64_t compact_exhausted_free = 0;  // free-page estimate when a pass ran out of low pages
  uint64_t compact_moved = 0;           // pages compaction copied, in all (space::CompactAtClose)
  // compact::LivePages: every table record of the main tree (name, tree pages) as of snapshot
  // `table_pages_txnid` (0: none). Kept while commits change no named table.
  std::vector<std::pair<std::string, uint64_t>> table_pages;
  uint64_t table_pages_txnid = 0;

  uint64_t pinned_recent = 0;  // compact::PinnedPages, recent maximum (decaying per commit)
  // Lazy mode without readers (compact::NoteCommit): the peak of PinnedPages in the steady cycle
  // under way and in the last complete one, and the lock file's steady_retired when last seen.
  uint64_t pinned_cycle_peak = 0, pinned_prev_peak = 0, pinned_steady_mark = 0;

  // Lazy mode, early reuse (pages::SiftEarly), writer only. `births`: the txnid that wrote
  // each page this process's weak commits wrote, for the commits up to `births_head` with no
  // other process's commit among them (BeginWrite clears it otherwise); entries at or below
  // the steady point are dropped as they are met (`birth_order`, oldest first, may hold
  // entries `births` has since overwritten). `sifted_upto`: GC records up to this txnid have
  // been sifted (what is left in them waits for a steady point).
  std::unordered_map<format::pgno_t, txnid_t> births;
  std::deque<std::pair<txnid_t, format::pgno_t>> birth_order;
  txnid_t births_head = 0;
  txnid_t sifted_upto = 0;

  // Page buffer pool for dirty pages (single writer, no lock needed).
  std::vector<Page*> page_pool;
  // The commit's dirty pages in page order (txn.cpp WritePages; kept to reuse its memory).
  std::vector<std::pair<format::pgno_t, Page*>> write_list;

  // Page operation counters (EMDB_envinfo::mi_pgop_stat): the writer counts, anyone reads.
  struct {
    SharedCounter newly, cow, clone, split, merge, wops, fsync, msync;
  } pgop;

  Page* MetaPage(unsigned i) const {
    return reinterpret_cast<Page*>(map.base() + size_t(i) * psize);
  }
  size_t NodeMax() const { return format::NodeMax(psize); }
};

struct Txn {
  uint32_t signature = kTxnSignature;
  Env* env = nullptr;
  Txn* parent = nullptr;
  Txn* child = nullptr;
  unsigned flags = 0;  // EMDB_TXN_RDONLY ... and state bits (EMDB_TXN_FINISHED ...)
  txnid_t txnid = 0;   // snapshot (read) or the txnid being built (write)
  Meta meta{};         // the snapshot's meta (read) / the head at begin (write)
  std::vector<DbState> dbs;
  pthread_t owner{};
  os::ReaderSlot* slot = nullptr;
  bool slot_per_txn = false;  // NOSTICKYTHREADS: the slot belongs to this txn object
  uint64_t env_id = 0;        // env->env_id at begin (cached read txn objects check it)
  void* userctx = nullptr;
  Cursor* cursors = nullptr;  // every cursor bound to this txn (intrusive list)

  // ---- write transactions ----
  DirtyTable dirty;
  std::vector<pgno_t> loose;      // free now (allocated and freed within this txn)
  std::vector<pgno_t> reclaimed;  // taken from GC records, sorted descending (lowest at back)
  std::vector<pgno_t> retired;    // committed pages freed by this txn
  pgno_t next_pgno = 0;
  txnid_t gc_limit = 0;     // GC records with key <= gc_limit may be reclaimed
  txnid_t sifted_upto = 0;  // lazy mode: GC records up to here were sifted (pages::SiftEarly)
  bool gc_busy = false;     // the GC tree is being modified: no pulls
  bool canary_set = false;
  bool steady_tried = false;        // SAFE_NOSYNC: made a steady point to free space once
  bool geo_changed = false;         // emdb_env_set_geometry inside this txn: commit writes the meta
  uint64_t gc_pulled = 0;           // GC records pulled by this txn (emdb_txn_info, tests)
  uint64_t shrink_to = 0;           // emdb_env_set_geometry asked for a smaller `now` (pages)
  bool coalesced = false;           // space::Coalesce ran in this txn
  bool closing = false;             // space::CompactAtClose's txn: no later churn to allow for
  bool reclaimed_unsorted = false;  // a bulk GC pull is appending to `reclaimed` (sorted after)

  // The rightmost path that the last plain EMDB_APPEND put of this txn left behind (cursor.cpp,
  // "append hint"): every page on it is this txn's own dirty page, and the table has not changed
  // since, as long as dbs[dbi].mod == mod (the put bumps it once more before looking). The next
  // append to the same table starts from it instead of descending and touching the path again.
  // Cleared when a write txn begins (txn::BeginWrite), and in the parent when a child begins;
  // read txns never put.
  struct AppendHint {
    EMDB_dbi dbi = ~EMDB_dbi(0);  // ~0: none
    uint32_t generation = 0;      // dbs[dbi].generation when saved
    uint64_t mod = 0;             // dbs[dbi].mod when saved
    pgno_t root = 0;              // dbs[dbi].rec.root when saved
    int depth = 0;
    Page* pg[format::kMaxDepth];
    uint16_t ki[format::kMaxDepth];
    void Clear() { dbi = ~EMDB_dbi(0); }
  } append_hint;

  // ---- read transactions (space management) ----
  bool parked = false;      // emdb_txn_park: the writer may oust it
  bool autounpark = false;  // the next read call unparks it
  bool ousted = false;      // the writer ousted it while parked
  uint64_t dirty_bytes = 0;
  std::vector<EMDB_dbi> created_dbis;
  // Tables renamed by this txn, with their previous names, in order (undone on abort).
  std::vector<std::pair<EMDB_dbi, std::string>> renamed;

  bool rdonly() const { return (flags & EMDB_TXN_RDONLY) != 0; }
};

struct Cursor {
  uint32_t signature = kCursorSignature;
  Txn* txn = nullptr;
  EMDB_dbi dbi = 0;
  Cursor* next_in_txn = nullptr;
  Cursor* prev_in_txn = nullptr;
  void* userctx = nullptr;

  // Tree context.
  TreeRecord* tree = nullptr;  // txn->dbs[dbi].rec, or &subrec for a sub-cursor
  CmpFn cmp = CmpLex;          // key comparator of this tree
  CmpFn dcmp = CmpLex;         // DUPSORT value comparator
  uint16_t tflags = 0;         // table flags
  bool is_sub = false;
  size_t subpage_size = 0;  // sub-cursor on an inline sub-page: its logical page size
  Page* subpage = nullptr;  // sub-cursor on an inline sub-page: the page (see page.hpp)

  // Position: pages and indexes from the root (level 0) to the leaf (level depth-1).
  Page* pg[format::kMaxDepth];
  uint16_t ki[format::kMaxDepth];
  int depth = 0;  // 0: not positioned
  bool eof = false;
  bool after_del = false;  // positioned on the successor of a deleted item

  // DUPSORT.
  std::unique_ptr<Cursor> sub;
  TreeRecord subrec{};
  bool sub_active = false;  // sub-cursor describes the current key's duplicates

  // Revalidation (T3).
  uint64_t mod_seen = 0;
  bool stale = false;
  SmallBytes saved_key, saved_val;
  bool saved_has_val = false;
};

}  // namespace emdb
