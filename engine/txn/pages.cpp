// engine/txn/pages.cpp — see pages.hpp.
#include "txn/pages.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "base/failpoint.hpp"
#include "base/log.hpp"
#include "base/shared_words.hpp"
#include "btree/tree.hpp"
#include "txn/space.hpp"
#include "txn/steady.hpp"
#include "txn/txn.hpp"

namespace emdb::pages {

using namespace format;

Page* NewBuffer(Env* env, unsigned n) {
  if (n == 1 && !env->page_pool.empty()) {
    Page* p = env->page_pool.back();
    env->page_pool.pop_back();
    return p;
  }
  size_t bytes = size_t(n) * env->psize;
  bytes = (bytes + 63) & ~size_t(63);
  void* mem = std::aligned_alloc(64, bytes);
  EMDB_ENSURE(mem != nullptr);
  // A fresh buffer is zeroed once, so no unrelated process memory ever reaches the file;
  // pooled buffers only ever held pages of this database.
  if (!(env->flags & EMDB_NOMEMINIT)) std::memset(mem, 0, bytes);
  Page* p = static_cast<Page*>(mem);
  p->large_count = n > 1 ? n : 0;
  return p;
}

// EMDB_WRITEMAP: a page a write txn allocates is free in every snapshot (readers, steady and
// durable metas), so the txn builds it in place in the writable map and the commit copies
// nothing. Only shadows of pages dirty in an ancestor (nested txns) are heap buffers.
static inline bool InMap(const Env* env, const Page* p) {
  const uint8_t* b = reinterpret_cast<const uint8_t*>(p);
  return b >= env->map.base() && b < env->map.base() + env->map.reserved();
}

void ReleaseBuffer(Env* env, Page* p) {
  if (p == nullptr || InMap(env, p)) return;
  bool single = !IsLarge(p) || p->large_count <= 1;
  if (single && env->page_pool.size() < env->opt_dp_reserve_limit) {
    env->page_pool.push_back(p);
  } else {
    std::free(p);
  }
}

bool IsOwnDirty(const Txn* t, pgno_t pgno) { return t->dirty.Find(pgno) != nullptr; }

static bool IsFresh(const Txn* t, pgno_t pgno) {
  for (const Txn* x = t; x != nullptr; x = x->parent) {
    if (x->dirty.Find(pgno) != nullptr) return true;
  }
  return false;
}

Status Get(const Txn* t, pgno_t pgno, Page** out) {
  pgno_t limit;
  if (!t->rdonly()) {
    for (const Txn* x = t; x != nullptr; x = x->parent) {
      if (Page* p = x->dirty.Find(pgno)) {
        *out = p;
        return 0;
      }
    }
    limit = t->next_pgno;
  } else {
    limit = t->meta.next_pgno;
  }
  const Env* env = t->env;
  if (EMDB_UNLIKELY(pgno >= limit || (pgno + 1) * env->psize > env->map.mapped() ||
                    pgno < kNumMetas)) {
    EMDB_LOG_ERR("page %llu is outside the snapshot (next_pgno %llu)", (unsigned long long)pgno,
                 (unsigned long long)limit);
    return EMDB_CORRUPTED;
  }
  Page* p = reinterpret_cast<Page*>(env->map.base() + size_t(pgno) * env->psize);
  if (EMDB_UNLIKELY(p->pgno != pgno)) {
    EMDB_LOG_ERR("page %llu: header says page %llu", (unsigned long long)pgno,
                 (unsigned long long)p->pgno);
    return EMDB_CORRUPTED;
  }
  *out = p;
  return 0;
}

Status EnsureFileSize(Txn* t, pgno_t pages) {
  Env* env = t->env;
  if (pages <= env->geo.now) return 0;
  if (pages > env->geo.upper) {
    EMDB_LOG(EMDB_LOG_NOTICE, "map full: need %llu pages, upper is %llu", (unsigned long long)pages,
             (unsigned long long)env->geo.upper);
    return EMDB_MAP_FULL;
  }
  uint64_t grow = space::GrowthUnit(env);
  uint64_t now = (pages + grow - 1) / grow * grow;
  if (now > env->geo.upper) now = env->geo.upper;
  EMDB_TRY(env->file->Truncate(now * env->psize));
  EMDB_TRY(env->map.Extend(env->file->fd(), size_t(now * env->psize),
                           (env->flags & EMDB_WRITEMAP) != 0));
  StoreShared(env->geo.now, now);  // env_info reads it from other threads
  return 0;
}

static uint32_t GcKeyChunk(const uint8_t* k) {
  uint32_t c;
  std::memcpy(&c, k + 8, 4);
  return __builtin_bswap32(c);
}

// Finds the newest GC record whose txnid is <= gc_limit; the cursor is left on it.
static Status SeekNewestGc(Txn* t, Cursor* gc, Slice* k, Slice* v, bool* found) {
  *found = false;
  if (t->dbs[kGcDbi].rec.root == kInvalidPgno) return 0;
  bt::CursorInit(gc, t, kGcDbi);
  uint64_t limit = t->gc_limit;
  uint8_t seek[kGcKeySize];
  GcKey(seek, limit + 1, 0);
  bool exact = false;
  Status rc = bt::Seek(gc, Slice(seek, kGcKeySize), &exact);
  if (rc == EMDB_NOTFOUND) {
    rc = bt::Last(gc);
  } else if (rc == 0) {
    rc = bt::Prev(gc);
  }
  if (rc == EMDB_NOTFOUND) return 0;
  EMDB_TRY(rc);
  EMDB_TRY(bt::Current(gc, k, v, nullptr));
  if (k->size != kGcKeySize || v->size < sizeof(GcRecordHeader)) return EMDB_CORRUPTED;
  if (GcKeyTxnid(k->data) > limit) return 0;
  uint32_t count = Load32(v->data);
  if (sizeof(GcRecordHeader) + size_t(count) * 8 > v->size) return EMDB_CORRUPTED;
  *found = true;
  return 0;
}

static Status TakeCurrent(Txn* t, Cursor* cur, Slice v, bool* got);

Status PullGc(Txn* t, bool* got) { return PullGcChunk(t, GcPick::kNewest, got); }

Status PullGcChunk(Txn* t, GcPick pick, bool* got) {
  *got = false;
  if (t->gc_busy) return 0;
  Cursor gc;
  Slice k, v;
  bool found = false;
  if (pick == GcPick::kOldest) {
    if (t->dbs[kGcDbi].rec.root == kInvalidPgno) return 0;
    bt::CursorInit(&gc, t, kGcDbi);
    Status rc = bt::First(&gc);
    if (rc == EMDB_NOTFOUND) return 0;
    EMDB_TRY(rc);
    EMDB_TRY(bt::Current(&gc, &k, &v, nullptr));
    if (k.size != kGcKeySize || v.size < sizeof(GcRecordHeader) ||
        sizeof(GcRecordHeader) + size_t(Load32(v.data)) * 8 > v.size) {
      return EMDB_CORRUPTED;
    }
    if (GcKeyTxnid(k.data) > t->gc_limit) return 0;
  } else {
    EMDB_TRY(SeekNewestGc(t, &gc, &k, &v, &found));
    if (!found) return 0;
  }
  if (pick == GcPick::kNewest && GcKeyChunk(k.data) != 0) {
    // Newest txnid first (LIFO), but within its record the lowest pages first: chunks are
    // slices of one ascending list, so chunk 0 keeps the allocation low in the file and leaves
    // the high end to refund and shrink.
    uint8_t first[kGcKeySize];
    GcKey(first, GcKeyTxnid(k.data), 0);
    bool exact = false;
    EMDB_TRY(bt::Seek(&gc, Slice(first, kGcKeySize), &exact));
    EMDB_TRY(bt::Current(&gc, &k, &v, nullptr));
    if (k.size != kGcKeySize || v.size < sizeof(GcRecordHeader) ||
        sizeof(GcRecordHeader) + size_t(Load32(v.data)) * 8 > v.size) {
      return EMDB_CORRUPTED;
    }
  }
  return TakeCurrent(t, &gc, v, got);
}

Status PullGcKey(Txn* t, const uint8_t* key, bool* got) {
  *got = false;
  if (t->gc_busy || t->dbs[kGcDbi].rec.root == kInvalidPgno) return 0;
  if (GcKeyTxnid(key) > t->gc_limit) return 0;
  Cursor gc;
  bt::CursorInit(&gc, t, kGcDbi);
  bool exact = false;
  Status rc = bt::Seek(&gc, Slice(key, kGcKeySize), &exact);
  if (rc == EMDB_NOTFOUND || (rc == 0 && !exact)) return 0;
  EMDB_TRY(rc);
  Slice k, v;
  EMDB_TRY(bt::Current(&gc, &k, &v, nullptr));
  if (v.size < sizeof(GcRecordHeader) ||
      sizeof(GcRecordHeader) + size_t(Load32(v.data)) * 8 > v.size) {
    return EMDB_CORRUPTED;
  }
  return TakeCurrent(t, &gc, v, got);
}

Status NewestGcChunks(Txn* t, unsigned limit, std::vector<GcChunkRef>* out) {
  out->clear();
  if (t->gc_busy) return 0;
  Cursor gc;
  Slice k, v;
  bool found = false;
  EMDB_TRY(SeekNewestGc(t, &gc, &k, &v, &found));
  while (found && out->size() < limit) {
    GcChunkRef r;
    std::memcpy(r.key, k.data, kGcKeySize);
    uint32_t count = Load32(v.data);
    r.max_pgno = count ? Load64(v.data + sizeof(GcRecordHeader) + size_t(count - 1) * 8) : 0;
    out->push_back(r);
    Status rc = bt::Prev(&gc);
    if (rc == EMDB_NOTFOUND) break;
    EMDB_TRY(rc);
    EMDB_TRY(bt::Current(&gc, &k, &v, nullptr));
    if (k.size != kGcKeySize || v.size < sizeof(GcRecordHeader) ||
        sizeof(GcRecordHeader) + size_t(Load32(v.data)) * 8 > v.size) {
      return EMDB_CORRUPTED;
    }
  }
  return 0;
}

// Moves the record under the cursor into t->reclaimed and deletes it from the GC.
static Status TakeCurrent(Txn* t, Cursor* cur, Slice v, bool* got) {
  Cursor& gc = *cur;
  uint32_t count = Load32(v.data);
  // t->reclaimed is sorted descending (the lowest page is at the back, taken first); the
  // record is ascending, so it is appended reversed and the two sorted ranges are merged:
  // O(reclaimed + count), and the chunk bound keeps count small (no quadratic merge).
  size_t old = t->reclaimed.size();
  t->reclaimed.resize(old + count);
  for (uint32_t i = 0; i < count; i++) {
    pgno_t pg = Load64(v.data + sizeof(GcRecordHeader) + size_t(count - 1 - i) * 8);
    if (pg < kNumMetas || pg >= t->next_pgno) return EMDB_CORRUPTED;
    t->reclaimed[old + i] = pg;
  }
  // A bulk pull (space::Coalesce) sorts once at its end instead.
  if (!t->reclaimed_unsorted) {
    std::inplace_merge(t->reclaimed.begin(), t->reclaimed.begin() + long(old), t->reclaimed.end(),
                       std::greater<pgno_t>());
  }
  t->gc_busy = true;
  Status rc = bt::TouchPath(&gc);
  if (rc == 0) rc = bt::Delete(&gc);
  t->gc_busy = false;
  EMDB_TRY(rc);
  t->dbs[kGcDbi].state |= kDbDirty;
  t->dbs[kGcDbi].mod++;
  t->gc_pulled++;
  *got = true;
  return 0;
}

// A run of n consecutive page numbers in an ascending list (loose pages, sorted first).
static bool TakeRunAsc(std::vector<pgno_t>& list, unsigned n, pgno_t* out) {
  if (list.size() < n) return false;
  for (size_t i = 0; i + n <= list.size(); i++) {
    if (list[i + n - 1] == list[i] + n - 1) {
      *out = list[i];
      list.erase(list.begin() + long(i), list.begin() + long(i + n));
      return true;
    }
  }
  return false;
}

// A run of n consecutive page numbers in the descending reclaimed list; the lowest run wins,
// so the high end of the file is left free for refund and shrink.
static bool TakeRunDesc(std::vector<pgno_t>& list, unsigned n, pgno_t* out) {
  if (list.size() < n) return false;
  for (size_t i = list.size() - n + 1; i-- > 0;) {
    if (list[i] == list[i + n - 1] + n - 1) {
      *out = list[i + n - 1];
      list.erase(list.begin() + long(i), list.begin() + long(i + n));
      return true;
    }
  }
  return false;
}

// Drops the oldest entry of birth_order, and its birth unless a later write replaced it.
static void DropOldestBirth(Env* env) {
  const auto [txnid, pg] = env->birth_order.front();
  env->birth_order.pop_front();
  auto it = env->births.find(pg);
  if (it != env->births.end() && it->second == txnid) env->births.erase(it);
}

void NoteBirths(const Txn* t) {
  Env* env = t->env;
  // A bound on the memory: past it the oldest births go (they are the likeliest to be at or
  // below the next steady point anyway); a forgotten birth only means a page waits.
  const size_t cap = std::max<size_t>(size_t(1) << 16, size_t(env->geo.grow) * 8);
  t->dirty.ForEach([&](pgno_t pg, Page* p) {
    const unsigned n = IsLarge(p) && p->large_count > 1 ? p->large_count : 1;
    for (unsigned i = 0; i < n; i++) {
      env->births[pg + i] = t->txnid;
      env->birth_order.emplace_back(t->txnid, pg + i);
    }
  });
  while (env->birth_order.size() > cap) DropOldestBirth(env);
}

void ForgetBirths(Env* env) {
  env->births.clear();
  env->birth_order.clear();
}

// P5. Called when nothing at or below gc_limit is left; *got: pages were added to reclaimed.
static Status SiftEarly(Txn* t, bool* got) {
  *got = false;
  Env* env = t->env;
  if (t->gc_busy || env->births.empty() || t->dbs[kGcDbi].rec.root == kInvalidPgno) return 0;
  const uint64_t oldest = env->lck.OldestReader(t->meta.txnid_a);
  const uint64_t from = std::max<uint64_t>(t->gc_limit, t->sifted_upto);
  if (from >= oldest) return 0;
  // The newest snapshot a crash could fall back to: the steady meta, or this process's pending
  // background flush. Births at or below it are of no use any more.
  int head, steady;
  uint64_t txnids[kNumMetas];
  txn::PickMetasLocked(env, &head, &steady, txnids);
  const uint64_t fallback =
      std::max<uint64_t>(steady >= 0 ? txnids[steady] : 0, steady::PendingTxnid(env));
  while (!env->birth_order.empty() && env->birth_order.front().first <= fallback) {
    DropOldestBirth(env);
  }
  if (env->births.empty()) return 0;
  uint8_t seek[kGcKeySize];
  GcKey(seek, from + 1, 0);
  std::vector<pgno_t> keep, take;
  for (;;) {
    Cursor gc;
    bt::CursorInit(&gc, t, kGcDbi);
    bool exact = false;
    Status rc = bt::Seek(&gc, Slice(seek, kGcKeySize), &exact);
    if (rc == EMDB_NOTFOUND) break;
    EMDB_TRY(rc);
    Slice k, v;
    EMDB_TRY(bt::Current(&gc, &k, &v, nullptr));
    if (k.size != kGcKeySize || v.size < sizeof(GcRecordHeader)) return EMDB_CORRUPTED;
    const uint64_t rec_txnid = GcKeyTxnid(k.data);
    if (rec_txnid > oldest) break;
    const uint32_t count = Load32(v.data);
    if (sizeof(GcRecordHeader) + size_t(count) * 8 > v.size) return EMDB_CORRUPTED;
    // The next record to look at (the chunk after this one).
    const uint32_t chunk = GcKeyChunk(k.data);
    if (chunk == UINT32_MAX) {
      GcKey(seek, rec_txnid + 1, 0);
    } else {
      GcKey(seek, rec_txnid, chunk + 1);
    }
    keep.clear();
    take.clear();
    for (uint32_t i = 0; i < count; i++) {
      const pgno_t pg = Load64(v.data + sizeof(GcRecordHeader) + size_t(i) * 8);
      if (pg < kNumMetas || pg >= t->next_pgno) return EMDB_CORRUPTED;
      auto it = env->births.find(pg);
      if (it != env->births.end() && it->second > fallback) {
        take.push_back(pg);
      } else {
        keep.push_back(pg);
      }
    }
    if (take.empty()) continue;
    EMDB_TRY(EMDB_FAILPOINT("alloc.early_reuse"));
    // The record ascends, t->reclaimed descends: append the taken pages reversed, then merge.
    const size_t old = t->reclaimed.size();
    t->reclaimed.insert(t->reclaimed.end(), take.rbegin(), take.rend());
    if (!t->reclaimed_unsorted) {
      std::inplace_merge(t->reclaimed.begin(), t->reclaimed.begin() + long(old), t->reclaimed.end(),
                         std::greater<pgno_t>());
    }
    t->gc_busy = true;
    rc = bt::TouchPath(&gc);
    if (rc == 0 && keep.empty()) {
      rc = bt::Delete(&gc);
    } else if (rc == 0) {
      // What is left stays under R, rewritten in place (the value keeps its size; a record
      // may hold fewer pages than it has room for).
      Slice kk, vv;
      rc = bt::Current(&gc, &kk, &vv, nullptr);
      if (rc == 0) {
        uint8_t* dst = const_cast<uint8_t*>(vv.data);
        GcRecordHeader h{uint32_t(keep.size()), 0};
        std::memcpy(dst, &h, sizeof(h));
        std::memcpy(dst + sizeof(h), keep.data(), keep.size() * sizeof(pgno_t));
        std::memset(dst + sizeof(h) + keep.size() * sizeof(pgno_t), 0,
                    vv.size - sizeof(h) - keep.size() * sizeof(pgno_t));
      }
    }
    t->gc_busy = false;
    EMDB_TRY(rc);
    t->dbs[kGcDbi].state |= kDbDirty;
    t->dbs[kGcDbi].mod++;
    *got = true;
  }
  t->sifted_upto = oldest;
  return 0;
}

static Status AllocImpl(Txn* t, unsigned n, Page** out, bool zero) {
  Env* env = t->env;
  pgno_t pg = kInvalidPgno;
  bool from_loose = false;
  for (;;) {
    if (n == 1) {
      for (;;) {
        if (!t->loose.empty()) {
          pg = t->loose.back();
          t->loose.pop_back();
          from_loose = true;
          break;
        }
        if (!t->reclaimed.empty()) {
          pg = t->reclaimed.back();  // the lowest reclaimed page
          t->reclaimed.pop_back();
          break;
        }
        EMDB_TRY(space::Coalesce(t));
        if (!t->reclaimed.empty()) continue;
        bool got = false;
        // Lazy mode: the pages early reuse can take (P5) before older GC records. They are the
        // ones the last commits just replaced, still dirty in the OS cache: rewriting them adds
        // nothing for the next flush to write, where an older free page (cleaned by the last
        // steady point's flush) is one more page to write back. crud in lazy mode: 13,200-14,900
        // -> 14,200-17,100 commits/s, file 272 -> 224 MiB (docs/performance.md, "Session 10").
        if (!env->births.empty() && (env->flags & EMDB_UTTERLY_NOSYNC) != EMDB_UTTERLY_NOSYNC) {
          EMDB_TRY(SiftEarly(t, &got));
          if (got) continue;
        }
        EMDB_TRY(PullGc(t, &got));
        if (!got) break;
      }
    } else {
      EMDB_TRY(space::Coalesce(t));
      std::sort(t->loose.begin(), t->loose.end());
      from_loose = TakeRunAsc(t->loose, n, &pg);
      if (!from_loose) {
        for (;;) {
          if (TakeRunDesc(t->reclaimed, n, &pg)) break;
          // EMDB_opt_rp_augment_limit: stop gathering GC records in search of a run once the
          // reclaimed list is this long, and take the run from the end of the file instead
          // (unless the file cannot grow: then keep looking).
          if (t->reclaimed.size() >= env->opt_rp_augment_limit &&
              t->next_pgno + n <= env->geo.upper) {
            break;
          }
          bool got = false;
          EMDB_TRY(PullGc(t, &got));
          if (!got) break;
        }
      }
    }
    if (pg != kInvalidPgno || t->gc_busy) break;
    if (!env->births.empty() && (env->flags & EMDB_UTTERLY_NOSYNC) != EMDB_UTTERLY_NOSYNC) {
      bool got = false;
      EMDB_TRY(SiftEarly(t, &got));
      if (got) continue;
    }
    // Weak commits (SAFE_NOSYNC): pages freed since the last steady point are pinned by it. When
    // nothing is reclaimable, make the newest commit steady (one flush) and reclaim them, instead
    // of taking new pages, in two cases: before growing the file (as libmdbx does; a little
    // before the tail is used up, so that saving the GC at commit — when nothing can be
    // reclaimed — finds room), and once the unflushed volume reaches a growth step (so the pool
    // freed between two steady points stays about a growth step, and the file does not creep up
    // a step at a time).
    const uint64_t gc_reserve = std::min<uint64_t>(32, env->geo.grow / 2 + 1);
    const uint64_t step_bytes = std::max<uint64_t>(env->geo.grow, 16) * env->psize;
    if (!t->steady_tried && (env->flags & EMDB_UTTERLY_NOSYNC) == EMDB_SAFE_NOSYNC &&
        (t->next_pgno + n + gc_reserve > env->geo.now ||
         env->lck.header()->unsync_bytes.load(std::memory_order_relaxed) >= step_bytes)) {
      uint64_t oldest = env->lck.OldestReader(t->meta.txnid_a);
      if (oldest > t->gc_limit) {
        // A background flush (txn/steady.hpp) may have made an older commit's snapshot durable:
        // promoting it costs one small write. While one is under way and the tail has room,
        // take new pages rather than wait for it; before growing the file, flush here.
        const bool tail = t->next_pgno + n + gc_reserve > env->geo.now;
        bool promoted = false;
        if (steady::Applies(env, env->flags)) EMDB_TRY(steady::Promote(env, &promoted));
        if (promoted) {
          int head, steady;
          uint64_t txnids[kNumMetas];
          txn::PickMetasLocked(env, &head, &steady, txnids);
          const uint64_t limit = txn::GcLimit(env, oldest, steady >= 0 ? txnids[steady] : 0);
          t->gc_limit = std::max(t->gc_limit, limit);
          continue;
        }
        if (tail || !steady::Pending(env)) {
          t->steady_tried = true;  // one synchronous steady point per txn at most
          EMDB_TRY(txn::SteadyHead(env));
          t->gc_limit = oldest;
          continue;
        }
        // A background flush is under way and the tail has room: checked again at the next
        // shortage (its promotion, or the tail running out).
      } else {
        t->steady_tried = true;  // readers pin what a steady point would free
      }
    }
    if (t->next_pgno + n > env->geo.upper) {
      // The file cannot grow: laggard readers may pin reclaimable pages (OOM-kick, HSR).
      bool again = false;
      EMDB_TRY(space::KickLaggards(t, n, &again));
      if (again) continue;
    }
    break;
  }
  if (pg == kInvalidPgno) {
    if (t->next_pgno + n > kMaxPgno) return EMDB_MAP_FULL;
    EMDB_TRY(EnsureFileSize(t, t->next_pgno + n));
    pg = t->next_pgno;
    t->next_pgno += n;
  }
  // In place in the map, except in a nested txn for pages of its loose list: a page it freed
  // may still be live in an ancestor (alone or inside a large run), which needs it back intact
  // if this txn aborts.
  const bool in_place = (env->flags & EMDB_WRITEMAP) && !(from_loose && t->parent != nullptr);
  Page* p = in_place ? reinterpret_cast<Page*>(env->map.base() + size_t(pg) * env->psize)
                     : NewBuffer(env, n);
  (void)zero;
  std::memset(p, 0, kPageHeaderSize);
  p->pgno = pg;
  p->txnid = t->txnid;
  p->large_count = n > 1 ? n : 0;
  if (n > 1) p->flags = kPageLarge;
  Page* old = t->dirty.Put(pg, p);
  ReleaseBuffer(env, old);
  t->dirty_bytes += size_t(n) * env->psize;
  env->pgop.newly++;
  *out = p;
  return 0;
}

Status Alloc(Txn* t, unsigned n, Page** out) { return AllocImpl(t, n, out, true); }

// Copies page `src` into `dst`: for branch and leaf pages only the header with the slot array
// and the node area, not the free gap between them (its bytes mean nothing).
static inline void CopyPage(Page* dst, const Page* src, size_t psize) {
  const unsigned kind = src->flags & (kPageBranch | kPageLeaf | kPageLarge | kPageDupfix);
  if ((kind == kPageBranch || kind == kPageLeaf) && src->lower <= src->upper &&
      kPageHeaderSize + size_t(src->upper) <= psize) {
    auto* d = reinterpret_cast<uint8_t*>(dst);
    auto* s = reinterpret_cast<const uint8_t*>(src);
    const size_t head = kPageHeaderSize + src->lower, tail = kPageHeaderSize + src->upper;
    std::memcpy(d, s, head);
    std::memcpy(d + tail, s + tail, psize - tail);
    return;
  }
  std::memcpy(dst, src, psize);
}

Status Touch(Txn* t, Page* p, Page** out) {
  Env* env = t->env;
  pgno_t pgno = p->pgno;
  if (Page* own = t->dirty.Find(pgno)) {
    *out = own;
    return 0;
  }
  if (IsFresh(t, pgno)) {
    // Dirty in an ancestor (nested txn): shadow it under the same number.
    Page* np = NewBuffer(env, 1);
    CopyPage(np, p, env->psize);
    t->dirty.Put(pgno, np);
    t->dirty_bytes += env->psize;
    env->pgop.clone++;
    *out = np;
    return 0;
  }
  Page* np;
  EMDB_TRY(AllocImpl(t, 1, &np, false));
  pgno_t newpg = np->pgno;
  CopyPage(np, p, env->psize);
  np->pgno = newpg;
  np->txnid = t->txnid;
  t->retired.push_back(pgno);
  env->pgop.cow++;
  *out = np;
  return 0;
}

void Free(Txn* t, pgno_t pgno, unsigned n) {
  if (IsFresh(t, pgno)) {
    Page* own = t->dirty.Erase(pgno);
    if (own != nullptr) {
      ReleaseBuffer(t->env, own);
      t->dirty_bytes -= size_t(n) * t->env->psize;
    }
    for (unsigned i = 0; i < n; i++) t->loose.push_back(pgno + i);
    // EMDB_opt_loose_limit: at most that many loose pages stay in the hot LIFO list; the
    // older ones join the sorted reclaimed list, where they coalesce into runs and can be
    // refunded to the end of the file. Done in batches so the merge cost is amortized.
    // Not in a nested txn: its loose pages may still be live in an ancestor, and with WRITEMAP
    // only the loose list marks them as not to be built in place (AllocImpl).
    size_t limit = t->env->opt_loose_limit;
    if (t->parent == nullptr && t->loose.size() > 2 * limit + 16) {
      size_t move = t->loose.size() - limit;
      std::vector<pgno_t> older(t->loose.begin(), t->loose.begin() + long(move));
      t->loose.erase(t->loose.begin(), t->loose.begin() + long(move));
      std::sort(older.begin(), older.end(), std::greater<pgno_t>());
      size_t old = t->reclaimed.size();
      t->reclaimed.insert(t->reclaimed.end(), older.begin(), older.end());
      std::inplace_merge(t->reclaimed.begin(), t->reclaimed.begin() + long(old), t->reclaimed.end(),
                         std::greater<pgno_t>());
    }
  } else {
    for (unsigned i = 0; i < n; i++) t->retired.push_back(pgno + i);
  }
}

}  // namespace emdb::pages
