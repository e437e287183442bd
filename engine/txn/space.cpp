// engine/txn/space.cpp — see space.hpp.
#include "txn/space.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "base/log.hpp"
#include "base/shared_words.hpp"
#include "btree/cursor.hpp"
#include "btree/tree.hpp"
#include "txn/compact.hpp"
#include "txn/pages.hpp"
#include "txn/txn.hpp"

namespace emdb::space {

using namespace format;

namespace {

uint64_t SteadyTxnid(Env* env) {
  int head, steady;
  uint64_t txnids[kNumMetas];
  txn::PickMetasLocked(env, &head, &steady, txnids);
  return steady >= 0 ? txnids[steady] : 0;
}

uint64_t SteadyNextPgno(Env* env) {
  int head, steady;
  uint64_t txnids[kNumMetas];
  txn::PickMetasLocked(env, &head, &steady, txnids);
  if (steady < 0) return 0;
  return DecodeMeta(PageData(env->MetaPage(unsigned(steady)))).next_pgno;
}

uint64_t RoundUp(uint64_t v, uint64_t unit) { return (v + unit - 1) / unit * unit; }

}  // namespace

uint64_t OsUnit(const Env* env) {
  uint64_t os = os::SystemPageSize();
  return os > env->psize ? os / env->psize : 1;
}

uint64_t GrowthUnit(const Env* env) {
  return RoundUp(std::max<uint64_t>(env->geo.grow, 1), OsUnit(env));
}

// The geometry field by field: other threads read it (emdb_env_info_ex, emdb_txn_info) while
// the writer changes it.
static void StoreGeo(Env* env, const Geometry& g) {
  StoreShared(env->geo.lower, g.lower);
  StoreShared(env->geo.now, g.now);
  StoreShared(env->geo.upper, g.upper);
  StoreShared(env->geo.grow, g.grow);
  StoreShared(env->geo.shrink, g.shrink);
}

void AdoptGeometry(Env* env, const Geometry& g) {
  uint64_t reserved = env->map.reserved() / env->psize;
  // Field by field: other threads read the geometry (emdb_env_info_ex) while the writer adopts.
  StoreGeo(env, g);
  if (env->geo.upper > reserved) {
    // Another process raised upper past this process's reservation: this process can use only
    // what it reserved at open (the mapping never moves).
    StoreShared(env->geo.upper, std::max<uint64_t>(reserved, g.now));
  }
}

// ---------------------------------------------------------------------------------------------
// Refund and the GC save of a commit

void Refund(Txn* t) {
  if (t->loose.empty() && t->reclaimed.empty()) return;
  std::sort(t->loose.begin(), t->loose.end());
  size_t front = 0;  // reclaimed[0, front) are refunded (the list is descending)
  for (;;) {
    pgno_t top = t->next_pgno - 1;
    if (top < kNumMetas) break;
    if (!t->loose.empty() && t->loose.back() == top) {
      t->loose.pop_back();
      t->next_pgno--;
      continue;
    }
    if (front < t->reclaimed.size() && t->reclaimed[front] == top) {
      front++;
      t->next_pgno--;
      continue;
    }
    break;
  }
  if (front) t->reclaimed.erase(t->reclaimed.begin(), t->reclaimed.begin() + long(front));
}

// The free tail listed in the GC goes back to the unallocated tail: the newest eligible chunks
// (at most kTailScan, read without changing anything) whose largest page lies within
// kTailWindow of the end are pulled, then refunded; repeated while the end moves down. Pages
// freed at the end one commit at a time land in successive records, which is why more than the
// newest chunk is looked at. The work is bounded by the pages refunded plus kTailScan chunks.
//
// When the file could shrink by much (compact::Worthwhile: a shrink threshold is set and at
// least a quarter of the file is free and held by no reader), a commit also takes old eligible
// chunks (Coalesce: all of them while there are at most kCoalesceAllPages free pages, else
// kCoalesceChunks per commit). Their pages join the sorted reclaimed list, where
// allocation takes the lowest first (compaction moves live pages down into them), the free top
// of the file is refunded, and the rest is saved again under a newer txnid. Under ordinary
// churn nothing is coalesced: LIFO reuse keeps taking the hot pages.
constexpr unsigned kTailScan = 8;
constexpr pgno_t kTailWindow = 256;
constexpr unsigned kCoalesceChunks = 4;
constexpr uint64_t kCoalesceAllPages = uint64_t(1) << 18;

static Status RefundTail(Txn* t) {
  std::vector<pages::GcChunkRef> refs;
  refs.reserve(kTailScan);  // one allocation per commit, not one per doubling per scan
  for (;;) {
    Refund(t);
    EMDB_TRY(pages::NewestGcChunks(t, kTailScan, &refs));
    const pgno_t before = t->next_pgno;
    bool pulled = false;
    for (const pages::GcChunkRef& r : refs) {
      if (r.max_pgno + kTailWindow < t->next_pgno) continue;
      bool got = false;
      EMDB_TRY(pages::PullGcKey(t, r.key, &got));
      pulled |= got;
    }
    if (!pulled) return 0;
    Refund(t);
    if (t->next_pgno == before) return 0;
  }
}

Status Coalesce(Txn* t) {
  if (t->coalesced || t->gc_busy) return 0;
  t->coalesced = true;
  const Geometry& g = t->env->geo;
  if (g.shrink == 0 || g.now <= std::max(g.lower, kMinPages) + g.shrink) return 0;
  // Only when the free space is large (compact.hpp C2): under ordinary churn pulling the oldest
  // chunks would trade LIFO reuse of hot pages for cold low ones, and rewrite GC records on
  // every commit. Called during allocation, so only the bound that reads no page is used.
  const uint64_t live = compact::LiveLowerBound(t);
  if (!compact::Worthwhile(t, live)) return 0;
  // While the eligible free pool is at most kCoalesceAllPages, every eligible chunk (one sort
  // of at most that many pages: all free pages meet in the reclaimed list, compaction moves live
  // pages into the lowest, the highest are refunded); beyond, the kCoalesceChunks oldest
  // (constant work: the commit cost must not grow with the GC), so successive commits cycle
  // through it.
  const uint64_t free = t->next_pgno > live ? t->next_pgno - live : 0;
  if (free <= kCoalesceAllPages) {
    t->reclaimed_unsorted = true;
    Status rc = 0;
    while (rc == 0) {
      bool got = false;
      rc = pages::PullGcChunk(t, pages::GcPick::kOldest, &got);
      if (!got) break;
    }
    t->reclaimed_unsorted = false;
    std::sort(t->reclaimed.begin(), t->reclaimed.end(), std::greater<pgno_t>());
    return rc;
  }
  for (unsigned i = 0; i < kCoalesceChunks; i++) {
    bool got = false;
    EMDB_TRY(pages::PullGcChunk(t, pages::GcPick::kOldest, &got));
    if (!got) break;
  }
  return 0;
}

static Status ReclaimTail(Txn* t) {
  EMDB_TRY(RefundTail(t));
  if (!t->coalesced) {
    EMDB_TRY(Coalesce(t));
    EMDB_TRY(RefundTail(t));
  }
  return 0;
}

// Page numbers a GC record holds at most: its value stays inline in a leaf node.
static size_t GcChunkCapacity(const Env* env) {
  return (env->NodeMax() - kNodeHeaderSize - kGcKeySize - sizeof(GcRecordHeader)) / 8;
}

static size_t FreeCount(const Txn* t) {
  return t->retired.size() + t->loose.size() + t->reclaimed.size();
}

namespace {

// One group of GC chunks written by a commit: keys (txnid, base), (txnid, base + 1), ...
struct ChunkGroup {
  txnid_t txnid = 0;
  uint32_t base = 0;
  std::vector<size_t> caps;  // capacity of each reserved chunk
  size_t total = 0;
};

Status ReserveChunk(Txn* t, ChunkGroup* g, size_t n) {
  uint8_t key[kGcKeySize];
  Cursor c;
  bt::CursorInit(&c, t, kGcDbi);
  GcKey(key, g->txnid, uint32_t(g->base + g->caps.size()));
  EMDB_val k{key, kGcKeySize};
  EMDB_val v{nullptr, sizeof(GcRecordHeader) + n * sizeof(pgno_t)};
  EMDB_TRY(cur::Put(&c, &k, &v, EMDB_RESERVE | EMDB_NOOVERWRITE));
  g->caps.push_back(n);
  g->total += n;
  return 0;
}

// Fills the group's reserved chunks in place with `list` (sorted); their leaves are dirty in
// this txn and seeking allocates nothing.
Status FillChunks(Txn* t, const ChunkGroup& g, const std::vector<pgno_t>& list) {
  uint8_t key[kGcKeySize];
  size_t at = 0;
  for (size_t ch = 0; ch < g.caps.size(); ch++) {
    Cursor c;
    bt::CursorInit(&c, t, kGcDbi);
    GcKey(key, g.txnid, uint32_t(g.base + ch));
    bool exact = false;
    EMDB_TRY(bt::Seek(&c, Slice(key, kGcKeySize), &exact));
    if (!exact) return EMDB_PROBLEM;
    Slice kk, vv;
    EMDB_TRY(bt::Current(&c, &kk, &vv, nullptr));
    if (vv.size != sizeof(GcRecordHeader) + g.caps[ch] * sizeof(pgno_t)) return EMDB_PROBLEM;
    uint8_t* dst = const_cast<uint8_t*>(vv.data);
    size_t n = std::min(g.caps[ch], list.size() - at);
    GcRecordHeader h{uint32_t(n), 0};
    std::memcpy(dst, &h, sizeof(h));
    if (n != 0) std::memcpy(dst + sizeof(h), list.data() + at, n * sizeof(pgno_t));
    std::memset(dst + sizeof(h) + n * sizeof(pgno_t), 0, (g.caps[ch] - n) * sizeof(pgno_t));
    at += n;
  }
  return at == list.size() ? 0 : EMDB_PROBLEM;
}

// The first free chunk number of `txnid` (one past its largest existing chunk).
Status NextChunk(Txn* t, txnid_t txnid, uint32_t* out) {
  *out = 0;
  if (t->dbs[kGcDbi].rec.root == kInvalidPgno) return 0;
  Cursor c;
  bt::CursorInit(&c, t, kGcDbi);
  uint8_t key[kGcKeySize];
  GcKey(key, txnid + 1, 0);
  bool exact = false;
  Status rc = bt::Seek(&c, Slice(key, kGcKeySize), &exact);
  if (rc == EMDB_NOTFOUND) {
    rc = bt::Last(&c);
  } else if (rc == 0) {
    rc = bt::Prev(&c);
  }
  if (rc == EMDB_NOTFOUND) return 0;
  EMDB_TRY(rc);
  Slice k, v;
  EMDB_TRY(bt::Current(&c, &k, &v, nullptr));
  if (k.size != kGcKeySize) return EMDB_CORRUPTED;
  if (GcKeyTxnid(k.data) != txnid) return 0;
  uint32_t chunk;
  std::memcpy(&chunk, k.data + 8, 4);
  *out = __builtin_bswap32(chunk) + 1;
  return 0;
}

}  // namespace

// Two groups of records are written:
//  - the pages this txn retired, under (txnid, 0), (txnid, 1), ...: snapshots up to this one
//    may still reach them;
//  - the free pages it took but did not use (reclaimed) and the pages it allocated and freed
//    (loose), under the newest txnid that stays eligible (gc_limit - 1), with chunk numbers
//    after that txnid's existing chunks. They were reusable before this commit and stay reusable:
//    saving them under the new txnid would pin them behind every reader running now (LMDB likewise
//    saves its leftovers under the txnids it consumed).
// Reserving records allocates and frees pages, so only the counts are tracked while reserving
// (each reservation is O(log n)); each list is sorted once, then the chunks are filled in place.
// A 10-million-page free list costs one sort, not one per chunk.
Status SaveGc(Txn* t) {
  EMDB_TRY(ReclaimTail(t));
  if (FreeCount(t) == 0) return 0;
  t->gc_busy = true;
  const size_t cap = GcChunkCapacity(t->env);
  ChunkGroup retired_g, free_g;
  retired_g.txnid = t->txnid;
  const bool old_key = t->gc_limit >= 1 && t->gc_limit < t->txnid;
  // One below gc_limit: the next txn's limit may be one lower than this one's (a weak commit
  // after a steady point keeps the steady point's predecessor, see txn::BeginWrite), and pages
  // saved above it would wait, unusable, for the next steady point.
  free_g.txnid = old_key ? std::max<txnid_t>(1, t->gc_limit - 1) : t->txnid;
  Status rc = 0;
  if (old_key) rc = NextChunk(t, free_g.txnid, &free_g.base);
  while (rc == 0) {
    Refund(t);
    size_t need_free = t->loose.size() + t->reclaimed.size();
    size_t need_retired = t->retired.size();
    if (!old_key) {
      need_retired += need_free;
      need_free = 0;
    }
    // A little slack in the tail chunk absorbs the pages that reserving it frees.
    if (retired_g.total < need_retired) {
      rc = ReserveChunk(t, &retired_g, std::min(cap, need_retired - retired_g.total + 4));
    } else if (free_g.total < need_free) {
      rc = ReserveChunk(t, &free_g, std::min(cap, need_free - free_g.total + 4));
    } else {
      break;
    }
  }
  if (rc == 0) {
    std::vector<pgno_t> list;
    list.reserve(FreeCount(t));
    list.insert(list.end(), t->retired.begin(), t->retired.end());
    if (!old_key) {
      list.insert(list.end(), t->loose.begin(), t->loose.end());
      list.insert(list.end(), t->reclaimed.begin(), t->reclaimed.end());
    }
    std::sort(list.begin(), list.end());
    rc = FillChunks(t, retired_g, list);
    if (rc == 0 && old_key) {
      list.clear();
      list.insert(list.end(), t->loose.begin(), t->loose.end());
      list.insert(list.end(), t->reclaimed.begin(), t->reclaimed.end());
      std::sort(list.begin(), list.end());
      rc = FillChunks(t, free_g, list);
    }
  }
  t->gc_busy = false;
  if (rc != 0) return rc;
  t->retired.clear();
  t->loose.clear();
  t->reclaimed.clear();
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Shrink

uint64_t MaxReaderPages(const Env* env) {
  const os::LockFile& lck = env->lck;
  uint64_t m = 0;
  unsigned hwm = lck.header()->readers_hwm.load(std::memory_order_acquire);
  for (unsigned i = 0; i < hwm && i < lck.max_readers(); i++) {
    const os::ReaderSlot* s = lck.slot(i);
    if (s->txnid.load(std::memory_order_seq_cst) == 0) continue;
    m = std::max<uint64_t>(m, s->snapshot_pages.load(std::memory_order_acquire));
  }
  return m;
}

// The size (pages) the file may shrink to with `next_pgno` in use: at least every reader's
// snapshot (and, unless `durable`, the last steady meta's), rounded up to a growth unit, not
// below lower; `now` when the gain is not above the shrink threshold (unless `forced_to`).
static uint64_t ShrinkTarget(Env* env, uint64_t next_pgno, bool durable, uint64_t forced_to) {
  const Geometry& g = env->geo;
  uint64_t now = g.now;
  const bool forced = forced_to != 0;
  if (g.shrink == 0 && !forced) return now;
  uint64_t keep = next_pgno;
  keep = std::max(keep, MaxReaderPages(env));
  if (!durable) keep = std::max(keep, SteadyNextPgno(env));
  uint64_t target = RoundUp(keep, GrowthUnit(env));
  if (forced) target = std::max(target, forced_to);
  target = std::max(target, RoundUp(std::max(g.lower, kMinPages), OsUnit(env)));
  if (target >= now) return now;
  if (!forced && now - keep <= g.shrink) return now;  // the free tail, as libmdbx counts it
  return target;
}

uint64_t PlanShrink(Txn* t, uint64_t next_pgno, bool durable) {
  if (t->geo_changed && t->shrink_to == 0) return t->env->geo.now;  // a `now` asked for stays
  return ShrinkTarget(t->env, next_pgno, durable, t->shrink_to);
}

uint64_t PlanShrinkAtSteady(Env* env, uint64_t next_pgno) {
  return ShrinkTarget(env, next_pgno, /*durable=*/true, 0);
}

void ApplyShrink(Txn* t, uint64_t now) {
  t->shrink_to = 0;
  TruncateTo(t->env, now);
}

void TruncateTo(Env* env, uint64_t now) {
  if (now >= env->geo.now) return;
  // The head is published: a reader that loaded an older meta either shows in its slot now or
  // retries on the new head (L2). Check the slots again before cutting.
  if (MaxReaderPages(env) > now) return;
  env->lck.header()->file_cuts.fetch_add(1);  // before the cut (txn/steady.hpp A3)
  Status rc = env->file->Truncate(now * env->psize);
  if (rc != 0) {
    EMDB_LOG(EMDB_LOG_WARN, "shrink to %llu pages failed: %d (the file stays larger)",
             (unsigned long long)now, rc);
    return;
  }
  EMDB_LOG(EMDB_LOG_NOTICE, "file shrunk from %llu to %llu pages", (unsigned long long)env->geo.now,
           (unsigned long long)now);
  StoreShared(env->geo.now, now);
}

// ---------------------------------------------------------------------------------------------
// OOM-kick

int ClearDeadReaders(Env* env) {
  int dead = 0;
  if (env->lck.ClearDeadReaders(&dead) != 0) return 0;
  return dead;
}

uint64_t OldestSnapshot(const Env* env) {
  const os::LockFile& lck = env->lck;
  uint64_t m = 0;
  unsigned hwm = lck.header()->readers_hwm.load(std::memory_order_acquire);
  for (unsigned i = 0; i < hwm && i < lck.max_readers(); i++) {
    uint64_t x = lck.slot(i)->txnid.load(std::memory_order_acquire);
    if (x != 0 && (m == 0 || x < m)) m = x;
  }
  return m;
}

// Bytes listed in GC records newer than `laggard` (what the laggard keeps from reuse).
static size_t PinnedBytes(Txn* t, uint64_t laggard) {
  if (t->dbs[kGcDbi].rec.root == kInvalidPgno) return 0;
  Cursor c;
  bt::CursorInit(&c, t, kGcDbi);
  uint8_t seek[kGcKeySize];
  GcKey(seek, laggard + 1, 0);
  bool exact = false;
  uint64_t pages = 0;
  Status rc = bt::Seek(&c, Slice(seek, kGcKeySize), &exact);
  for (unsigned n = 0; rc == 0 && n < 1000000; n++) {
    Slice k, v;
    if (bt::Current(&c, &k, &v, nullptr) != 0 || v.size < sizeof(GcRecordHeader)) break;
    pages += Load32(v.data);
    rc = bt::Next(&c);
  }
  uint64_t bytes = pages * t->env->psize;
  return bytes > SIZE_MAX ? SIZE_MAX : size_t(bytes);
}

Status ParkRead(Txn* t) {
  if (t->ousted) return EMDB_OUSTED;
  if (t->slot->txnid.load(std::memory_order_acquire) != t->txnid) return EMDB_MVCC_RETARDED;
  if (t->parked) return 0;
  t->slot->flags.fetch_or(kSlotParked);
  t->parked = true;
  return 0;
}

Status UnparkRead(Txn* t) {
  if (t->ousted) return EMDB_OUSTED;
  if (!t->parked) return 0;
  uint32_t f = t->slot->flags.load(std::memory_order_acquire);
  while (f & kSlotParked) {
    if (t->slot->flags.compare_exchange_weak(f, f & ~kSlotParked)) {
      t->parked = false;
      return 0;
    }
  }
  t->ousted = true;  // kSlotOusted: the writer won the race
  return EMDB_OUSTED;
}

Status KickLaggards(Txn* t, unsigned n, bool* again) {
  (void)n;
  *again = false;
  Env* env = t->env;
  if (t->gc_busy) return 0;
  os::LockFile& lck = env->lck;
  const uint64_t head = t->meta.txnid_a;
  const bool utterly = (env->flags & EMDB_UTTERLY_NOSYNC) == EMDB_UTTERLY_NOSYNC;
  const uint64_t steady = SteadyTxnid(env);
  const uint32_t me = uint32_t(::getpid());
  int retry = 0;
  bool waited = false;
  uint64_t laggard = 0;
  for (;;) {
    uint64_t oldest = lck.OldestReader(head);
    uint64_t limit = utterly ? oldest : std::min(oldest, steady);
    // As txn::BeginWrite: with unflushed commits, the steady meta's snapshot stays too.
    if (!utterly && steady > 0 && lck.header()->unsync_bytes.load() != 0) {
      limit = std::min(limit, steady - 1);
    }
    if (limit > t->gc_limit) {
      t->gc_limit = limit;
      *again = true;
      break;
    }
    if (oldest >= head) break;                // no reader behind the head
    if (!utterly && steady <= oldest) break;  // the steady meta pins, not a reader
    // The laggard's slot.
    os::ReaderSlot* s = nullptr;
    unsigned hwm = lck.header()->readers_hwm.load(std::memory_order_acquire);
    for (unsigned i = 0; i < hwm && i < lck.max_readers(); i++) {
      if (lck.slot(i)->txnid.load(std::memory_order_acquire) == oldest) {
        s = lck.slot(i);
        break;
      }
    }
    if (s == nullptr) continue;  // it just ended: rescan
    laggard = oldest;
    if (ClearDeadReaders(env) > 0) continue;
    uint32_t f = s->flags.load(std::memory_order_acquire);
    if (f & kSlotParked) {
      // A parked reader promised not to read until it unparks: oust it without asking.
      if (s->flags.compare_exchange_strong(f, (f & ~kSlotParked) | kSlotOusted)) {
        uint64_t expect = oldest;
        s->txnid.compare_exchange_strong(expect, 0);
        EMDB_LOG(EMDB_LOG_NOTICE, "ousted the parked reader of txn %llu",
                 (unsigned long long)oldest);
      }
      continue;
    }
    if (env->hsr == nullptr) break;
    uint32_t pid = s->pid.load(std::memory_order_acquire);
    uint64_t tid = s->tid.load(std::memory_order_acquire);
    uint64_t gap = head - oldest;
    size_t space = PinnedBytes(t, oldest);
    int r = env->hsr(reinterpret_cast<const EMDB_env*>(env), reinterpret_cast<const EMDB_txn*>(t),
                     emdb_pid_t(pid), emdb_tid_t(tid), oldest,
                     gap > UINT_MAX ? UINT_MAX : unsigned(gap), space, retry);
    if (r < 0) {
      // -1: accept growth or EMDB_MAP_FULL; <= -2: an error, the reader was not touched.
      EMDB_LOG(EMDB_LOG_NOTICE, "hsr callback returned %d for the reader of txn %llu", r,
               (unsigned long long)oldest);
      break;
    }
    retry++;
    if (r == 0) {
      waited = true;  // the reader ended or the callback waited: rescan
      continue;
    }
    uint64_t expect = oldest;
    if (s->txnid.compare_exchange_strong(expect, 0)) {
      s->flags.fetch_or(kSlotOusted);
      if (r >= 2 && pid != me) s->pid.store(0, std::memory_order_release);
      EMDB_LOG(EMDB_LOG_NOTICE, "hsr: the reader of txn %llu was %s", (unsigned long long)oldest,
               r == 1 ? "aborted" : "killed");
    }
  }
  if (waited && env->hsr != nullptr) {
    uint64_t gap = head > laggard ? head - laggard : 0;
    (void)env->hsr(reinterpret_cast<const EMDB_env*>(env), reinterpret_cast<const EMDB_txn*>(t), 0,
                   0, laggard, gap > UINT_MAX ? UINT_MAX : unsigned(gap), 0, -retry);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Geometry on an open environment

static Status ResizeNow(Txn* t, uint64_t now) {
  Env* env = t->env;
  if (now > env->geo.now) {
    EMDB_TRY(env->file->Truncate(now * env->psize));
    EMDB_TRY(env->map.Extend(env->file->fd(), size_t(now * env->psize),
                             (env->flags & EMDB_WRITEMAP) != 0));
    StoreShared(env->geo.now, now);
  } else if (now < env->geo.now) {
    t->shrink_to = now;  // applied at commit, when no snapshot reaches past it (S4)
  }
  return 0;
}

static Status ApplyGeometry(Txn* t, intptr_t lower, intptr_t now, intptr_t upper, intptr_t grow,
                            intptr_t shrink, intptr_t psize) {
  Env* env = t->env;
  const uint64_t ps = env->psize;
  const uint64_t unit = OsUnit(env);
  Geometry g = env->geo;
  if (psize > 0 && uint64_t(psize) != ps) {
    EMDB_LOG_ERR("geometry: page size %lld differs from the database's %llu", (long long)psize,
                 (unsigned long long)ps);
    return EMDB_EINVAL;
  }
  auto pages_up = [&](intptr_t bytes) { return RoundUp(RoundUp(uint64_t(bytes), ps) / ps, unit); };
  if (lower >= 0) g.lower = lower == 0 ? kMinPages : std::max(kMinPages, pages_up(lower));
  if (upper >= 0) {
    if (upper > 0 && uint64_t(upper) > uint64_t(EMDB_MAPSIZE_MAX)) {
      EMDB_LOG_ERR("geometry: upper %lld is above EMDB_MAPSIZE_MAX", (long long)upper);
      return EMDB_TOO_LARGE;
    }
    g.upper = upper == 0 ? std::max({g.lower, t->next_pgno, kMinPages})
                         : uint64_t(upper) / ps / unit * unit;
  }
  if (grow >= 0) g.grow = grow == 0 ? unit : pages_up(grow);
  if (shrink >= 0) g.shrink = shrink == 0 ? 0 : pages_up(shrink);
  if (g.upper < g.lower) {
    EMDB_LOG_ERR("geometry: upper (%llu pages) is below lower (%llu pages)",
                 (unsigned long long)g.upper, (unsigned long long)g.lower);
    return EMDB_EINVAL;
  }
  if (g.upper < t->next_pgno) {
    EMDB_LOG_ERR("geometry: upper (%llu pages) is below the pages in use (%llu)",
                 (unsigned long long)g.upper, (unsigned long long)t->next_pgno);
    return EMDB_EINVAL;
  }
  if (g.upper * ps > env->map.reserved()) {
    EMDB_LOG_ERR(
        "geometry: upper (%llu bytes) is beyond the address space reserved at open "
        "(%zu bytes); reopen the environment with the larger upper",
        (unsigned long long)(g.upper * ps), env->map.reserved());
    return EMDB_UNABLE_EXTEND_MAPSIZE;
  }
  uint64_t want_now = env->geo.now;
  if (now >= 0) {
    uint64_t req = now == 0 ? 0 : pages_up(now);
    if (now > 0 && req > g.upper) {
      EMDB_LOG_ERR("geometry: now (%llu pages) is above upper (%llu pages)",
                   (unsigned long long)req, (unsigned long long)g.upper);
      return EMDB_EINVAL;
    }
    want_now = std::max({req, g.lower, RoundUp(t->next_pgno, unit)});
  }
  want_now = std::min(std::max(want_now, g.lower), g.upper);
  if (want_now > env->geo.now && want_now > g.upper) want_now = g.upper;
  uint64_t cur_now = env->geo.now;
  StoreGeo(env, g);
  StoreShared(env->geo.now, cur_now);
  EMDB_TRY(ResizeNow(t, want_now));
  if (env->geo.now > env->geo.upper) StoreShared(env->geo.upper, env->geo.now);
  t->geo_changed = true;
  return 0;
}

Status SetGeometryLive(Env* env, intptr_t lower, intptr_t now, intptr_t upper, intptr_t grow,
                       intptr_t shrink, intptr_t psize) {
  if (env->flags & EMDB_RDONLY) return EMDB_EACCESS;
  Txn* own = env->write_txn.load();
  if (own != nullptr && env->writer_tid.load() == uint64_t(pthread_self())) {
    while (own->child != nullptr) own = own->child;
    Geometry saved = env->geo;
    Status rc = ApplyGeometry(own, lower, now, upper, grow, shrink, psize);
    if (rc != 0) StoreGeo(env, saved);
    return rc;
  }
  Txn t;
  t.env = env;
  t.env_id = env->env_id;
  EMDB_TRY(txn::BeginWrite(env, nullptr, 0, &t));
  env->live_txns.fetch_add(1);
  Status rc = ApplyGeometry(&t, lower, now, upper, grow, shrink, psize);
  if (rc == 0) {
    rc = txn::Commit(&t, nullptr);
  } else {
    txn::Abort(&t);
  }
  env->live_txns.fetch_sub(1);
  return rc;
}

Status PersistOpenGeometry(Env* env) {
  if (env->flags & EMDB_RDONLY) return 0;
  if (env->req_lower < 0 && env->req_upper < 0 && env->req_grow < 0 && env->req_shrink < 0) {
    return 0;
  }
  int head, steady;
  txn::PickMetas(env, &head, &steady);
  if (head < 0) return 0;
  Meta m = DecodeMeta(PageData(env->MetaPage(unsigned(head))));
  const Geometry& g = env->geo;
  if (m.geo.lower == g.lower && m.geo.upper == g.upper && m.geo.grow == g.grow &&
      m.geo.shrink == g.shrink) {
    return 0;
  }
  Geometry want = g;
  Txn t;
  t.env = env;
  t.env_id = env->env_id;
  EMDB_TRY(txn::BeginWrite(env, nullptr, 0, &t));
  env->live_txns.fetch_add(1);
  uint64_t now = env->geo.now;
  StoreGeo(env, want);
  StoreShared(env->geo.now, std::max(now, want.now));
  if (env->geo.upper < env->geo.now) StoreShared(env->geo.upper, env->geo.now);
  t.geo_changed = true;
  Status rc = txn::Commit(&t, nullptr);
  env->live_txns.fetch_sub(1);
  return rc;
}

// S6: what a closing writer leaves behind. Each round makes the head steady (the pages the last
// weak commits freed come free), then commits a txn with no changes of its own: its commit step
// compacts (compact::Run, C2 without the allowance for later churn) and refunds the free tail,
// and the meta it writes carries the smaller `now`. The pages one round moves are retired by it
// and come free at the next round's steady point. Stops when a round changes neither the end of
// the used pages nor the file size, or after kCloseRounds.
Status CompactAtClose(Env* env) {
  constexpr int kCloseRounds = 12;
  if ((env->flags & EMDB_RDONLY) || env->geo.shrink == 0) return 0;
  for (int round = 0; round < kCloseRounds; round++) {
    Status rc = txn::SyncEnv(env, true, false);
    if (rc != 0 && rc != EMDB_RESULT_TRUE) return rc;
    Txn t;
    t.env = env;
    t.env_id = env->env_id;
    EMDB_TRY(txn::BeginWrite(env, nullptr, 0, &t));
    env->live_txns.fetch_add(1);
    t.closing = true;
    // Each round's steady point lets go of the pages the last round moved: a new pass may walk
    // although its boundary is not lower than the last one's (compact.hpp C4).
    env->compact_last_boundary = kInvalidPgno;
    env->compact_exhausted_free = 0;
    const uint64_t next0 = t.next_pgno, now0 = env->geo.now;
    const uint64_t moved0 = env->compact_moved;
    // Only a round that can gain commits: a close with nothing to compact writes nothing.
    uint64_t live = 0;
    rc = compact::LivePages(&t, &live);
    if (rc != 0 || !compact::Worthwhile(&t, live)) {
      txn::Abort(&t);
      env->live_txns.fetch_sub(1);
      if (rc != 0) return rc;
      break;
    }
    rc = txn::Commit(&t, nullptr);
    env->live_txns.fetch_sub(1);
    EMDB_TRY(rc);
    if (env->compact_moved == moved0 && env->geo.now == now0 && t.next_pgno >= next0) break;
  }
  Status rc = txn::SyncEnv(env, true, false);
  return rc == EMDB_RESULT_TRUE ? 0 : rc;
}

// ---------------------------------------------------------------------------------------------
// GC information

Status GcInfo(const Txn* ct, EMDB_gc_info* info) {
  Txn* t = const_cast<Txn*>(ct);
  Env* env = t->env;
  std::memset(info, 0, sizeof(*info));
  int head, steady;
  txn::PickMetas(env, &head, &steady);
  uint64_t head_txnid = 0, steady_txnid = 0;
  if (head >= 0) head_txnid = Load64(PageData(env->MetaPage(unsigned(head))));
  if (steady >= 0) steady_txnid = Load64(PageData(env->MetaPage(unsigned(steady))));
  uint64_t oldest = OldestSnapshot(env);
  bool utterly = (env->flags & EMDB_UTTERLY_NOSYNC) == EMDB_UTTERLY_NOSYNC;
  uint64_t limit = oldest ? std::min(oldest, head_txnid) : head_txnid;
  if (!t->rdonly()) limit = std::min<uint64_t>(limit, t->meta.txnid_a);
  if (!utterly) limit = std::min(limit, steady_txnid);
  const TreeRecord& rec = t->dbs[kGcDbi].rec;
  info->gi_tree_pages = rec.branch_pages + rec.leaf_pages + rec.large_pages;
  if (rec.root != kInvalidPgno) {
    Cursor c;
    bt::CursorInit(&c, t, kGcDbi);
    Status rc = bt::First(&c);
    while (rc == 0) {
      Slice k, v;
      EMDB_TRY(bt::Current(&c, &k, &v, nullptr));
      if (k.size != kGcKeySize || v.size < sizeof(GcRecordHeader)) return EMDB_CORRUPTED;
      uint64_t count = Load32(v.data);
      info->gi_records++;
      info->gi_pages += count;
      if (GcKeyTxnid(k.data) <= limit) info->gi_reclaimable_pages += count;
      rc = bt::Next(&c);
    }
    if (rc != EMDB_NOTFOUND) return rc;
  }
  info->gi_retained_pages = info->gi_pages - info->gi_reclaimable_pages;
  info->gi_last_pgno = t->rdonly() ? t->meta.next_pgno : t->next_pgno;
  uint64_t fsize = 0;
  if (env->file->Size(&fsize) == 0) {
    info->gi_file_pages = fsize / env->psize;
  } else {
    info->gi_file_pages = LoadShared(env->geo.now);
  }
  info->gi_oldest_reader_txnid = oldest;
  info->gi_oldest_reader_lag = oldest && head_txnid > oldest ? head_txnid - oldest : 0;
  info->gi_steady_txnid = steady_txnid;
  return 0;
}

}  // namespace emdb::space
