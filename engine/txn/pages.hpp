// engine/txn/pages.hpp — how a transaction sees, allocates, copies and frees pages.
//
// Thread safety: a write txn's functions run on the writer's thread only; Get() for read txns
// only reads the map.
//
// Invariants (see core/internal.hpp T1, T2):
//  P1. Get() returns the txn's own dirty copy if there is one, else an ancestor's (nested txns),
//      else the page in the map. A page number outside the snapshot is EMDB_CORRUPTED.
//  P2. Touch() gives a page a private copy: a new page number for a committed page (the old
//      one is retired), the same number for a page dirty in an ancestor.
//  P3. Free() of a page allocated by this top-level txn makes it loose (reusable now);
//      of a committed page, retires it (reusable once no snapshot can reach it).
//  P4. Alloc() takes loose pages, then reclaimed ones (lowest page number first; the list is
//      kept sorted descending), then — lazy mode — the pages early reuse finds in the GC
//      records the steady point pins (P5: the hottest ones), then pulls GC records whose
//      txnid <= gc_limit, newest first (LIFO), then — SAFE_NOSYNC — makes a steady point once,
//      then — at upper — asks laggard readers to go (space::KickLaggards), then extends the
//      file (up to the geometry's upper).
//  P5. Early reuse (lazy mode). A GC record R > gc_limit that no reader can see (R <= the
//      oldest snapshot) waits only for the steady point S, because S's snapshot may still
//      reach its pages after a system crash. A page of R that a commit after S wrote (born at
//      B > S) is in no snapshot at or before S; nor in any snapshot from R on, since R retired
//      it. The only other snapshot a crash could fall back to is the pending background flush
//      Q of this process (steady.hpp), so a page born after max(S, Q) is free now: SiftEarly
//      moves such pages into the reclaimed list and leaves the rest in R. Births are known only
//      for this process's weak commits since its last steady point with no other process's
//      commit in between (Env::births): a page of unknown birth is never taken.
#pragma once

#include <vector>

#include "core/internal.hpp"

namespace emdb::pages {

[[nodiscard]] Status Get(const Txn* t, pgno_t pgno, Page** out);
// Get() with the read-only fast path inlined (the read path: no call, no syscall).
[[nodiscard]] inline Status GetFast(const Txn* t, pgno_t pgno, Page** out) {
  if (EMDB_LIKELY(t->rdonly())) {
    const Env* env = t->env;
    if (EMDB_LIKELY(pgno < t->meta.next_pgno && pgno >= format::kNumMetas &&
                    (pgno + 1) * env->psize <= env->map.mapped())) {
      Page* p = reinterpret_cast<Page*>(env->map.base() + size_t(pgno) * env->psize);
      if (EMDB_LIKELY(p->pgno == pgno)) {
        *out = p;
        return 0;
      }
    }
  }
  return Get(t, pgno, out);
}
// Allocates `n` contiguous pages as one dirty buffer; the header's pgno and txnid are set,
// large_count = n when n > 1.
[[nodiscard]] Status Alloc(Txn* t, unsigned n, Page** out);
[[nodiscard]] Status Touch(Txn* t, Page* p, Page** out);
void Free(Txn* t, pgno_t pgno, unsigned n);
bool IsOwnDirty(const Txn* t, pgno_t pgno);
// Returns a dirty buffer to the pool (pages built in place in the WRITEMAP map are left alone).
void ReleaseBuffer(Env* env, Page* p);
Page* NewBuffer(Env* env, unsigned n);
// Grows the file so that `pages` pages exist (EMDB_MAP_FULL past upper).
[[nodiscard]] Status EnsureFileSize(Txn* t, pgno_t pages);
// Takes the newest eligible GC record into txn->reclaimed (the first chunk of the newest
// eligible txnid: LIFO by txnid, lowest pages first within it). false: none eligible.
[[nodiscard]] Status PullGc(Txn* t, bool* got);
// Which GC chunk to take: kNewest as PullGc; kOldest the first record if eligible (incremental
// coalescing, space.cpp).
enum class GcPick { kNewest, kOldest };
[[nodiscard]] Status PullGcChunk(Txn* t, GcPick pick, bool* got);
// Takes the chunk with this GC key (if it exists and is eligible).
[[nodiscard]] Status PullGcKey(Txn* t, const uint8_t* key, bool* got);
// The newest `limit` eligible chunks, newest first, with their largest page numbers.
struct GcChunkRef {
  uint8_t key[format::kGcKeySize];
  pgno_t max_pgno;
};
[[nodiscard]] Status NewestGcChunks(Txn* t, unsigned limit, std::vector<GcChunkRef>* out);
// P5: after a weak commit, records the birth of every page it wrote.
void NoteBirths(const Txn* t);
// P5: forgets every birth (a steady commit, or another process committed).
void ForgetBirths(Env* env);

}  // namespace emdb::pages
