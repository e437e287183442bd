// engine/txn/space.hpp — space management: the geometry in force, growth steps, the GC save of
// a commit (split into chunks, never a quadratic merge), refund of free pages at the end of the
// file, shrinking the file, the OOM-kick of laggard readers (handle-slow-readers callback), and
// GC statistics. docs/geometry.md describes the behaviour; this header the rules the code keeps.
//
// Thread safety: everything except GcInfo and the slot helpers runs on the writer's thread with
// the writer lock held.
//
// Invariants:
//  S1. Every process follows the geometry of the newest meta: a write txn adopts it at begin
//      (AdoptGeometry), and emdb_env_set_geometry on an open environment changes it only through
//      a commit (a write txn whose meta carries the new geometry). `upper` is capped by this
//      process's reserved address space, which never moves.
//  S2. The file grows in whole growth units: the growth step rounded up to the OS allocation
//      unit (the OS page), never beyond `upper`.
//  S3. Refund: a free page (loose or reclaimed: reachable from no snapshot) at next_pgno - 1 is
//      given back to the unallocated tail (next_pgno decreases) instead of being written into the
//      GC. Pages listed in GC records are therefore always below next_pgno.
//  S4. Shrink: the file is truncated only after the meta that records the smaller size was
//      written and published, only down to the largest next_pgno any snapshot can still reach
//      (every reader slot of every process, and the last steady meta unless this commit is
//      itself steady and flushed), rounded up to a growth unit, never below `lower`, and only
//      when the free tail (the file's size minus that next_pgno, before the rounding) is larger
//      than `shrink_threshold`.
//  S5. OOM-kick: at `upper`, before EMDB_MAP_FULL, the writer clears dead reader slots, ousts
//      parked readers, then asks the hsr callback about the oldest remaining laggard. A reader
//      whose slot was cleared notices at its next call (EMDB_MVCC_RETARDED, or EMDB_OUSTED when
//      parked) and at the end of each get (a result read while being kicked is not returned).
//  S6. Close: a writable environment with a shrink threshold, closed with a sync, is left as
//      compact as its readers allow: rounds of a steady point and a commit with no changes of
//      its own (compaction, refund and shrink run in its commit step, compact.hpp C2 without
//      the allowance for later churn), while a round moves pages or cuts the file, at most 12
//      (CompactAtClose). Every round is an ordinary commit: a crash or an error in between
//      leaves a consistent database, only larger.
#pragma once

#include "core/internal.hpp"

namespace emdb::space {

// The smallest file, in pages (metas and room for the first trees).
inline constexpr uint64_t kMinPages = 16;

// ReaderSlot::flags bits.
inline constexpr uint32_t kSlotParked = 1;  // the reader parked its txn: it may be ousted
inline constexpr uint32_t kSlotOusted = 2;  // the writer took the snapshot away

// Parking of a read txn (emdb_txn_park, EMDB_CP_THROTTLE_MVCC): a parked reader promises not
// to read its snapshot until it unparks, so the writer may oust it without asking (S5). Both
// run on the reader's thread.
// ParkRead: EMDB_OUSTED when already ousted, EMDB_MVCC_RETARDED when the writer kicked it.
[[nodiscard]] Status ParkRead(Txn* t);
// UnparkRead: 0 with the snapshot intact, or EMDB_OUSTED when the writer took it meanwhile.
[[nodiscard]] Status UnparkRead(Txn* t);

// The growth step in pages, rounded up to the OS allocation unit (S2).
uint64_t GrowthUnit(const Env* env);
// Pages of one OS allocation unit (at least 1).
uint64_t OsUnit(const Env* env);
// S1: the geometry of the head meta becomes the environment's.
void AdoptGeometry(Env* env, const format::Geometry& g);

// Step 2 of the commit protocol: pulls GC records that let the file end be refunded, refunds,
// then writes the txn's retired, loose and unused reclaimed pages into GC records.
[[nodiscard]] Status SaveGc(Txn* t);
// S3: gives free pages at the end back to the unallocated tail.
void Refund(Txn* t);
// Coalescing, once per write txn, before its first GC pull (or at its commit): when the file
// could shrink by much (compact::Worthwhile), every eligible GC chunk joins the reclaimed list.
// Allocation takes the lowest reclaimed page first, so live pages move towards the start of the
// file (compact.hpp moves the rest) and the end frees up for refund and truncation; unused
// pages are saved again under the newest eligible txnid.
[[nodiscard]] Status Coalesce(Txn* t);
// S6, from emdb_env_close: with a shrink threshold set, steady points and commits that compact
// the file and cut its free tail, while they gain something (a few rounds at most), then a last
// steady point. Takes the writer lock; the caller holds no txn.
[[nodiscard]] Status CompactAtClose(Env* env);
// S4, before the meta is written: the file size (pages) the meta records.
uint64_t PlanShrink(Txn* t, uint64_t next_pgno, bool durable);
// S4, after the meta was written and published: truncates to `now` if still allowed.
void ApplyShrink(Txn* t, uint64_t now);
// S4 for a steady point made without a commit (txn::SteadyHead, emdb_env_sync): the size the
// head meta may record once it is steady; then TruncateTo after the meta is on disk.
uint64_t PlanShrinkAtSteady(Env* env, uint64_t next_pgno);
void TruncateTo(Env* env, uint64_t now);

// S5: at upper. *again: a reader was cleared or ousted and gc_limit rose; retry the allocation.
[[nodiscard]] Status KickLaggards(Txn* t, unsigned n, bool* again);
// Clears the reader slots of dead processes; returns how many. (Wraps the lock file's reader
// check until the lock file offers its own dead-slot sweep.)
int ClearDeadReaders(Env* env);
// The largest snapshot next_pgno of any live reader slot (0: none).
uint64_t MaxReaderPages(const Env* env);

// emdb_env_set_geometry on an open environment (S1). Values in bytes, -1 keep, 0 minimal.
[[nodiscard]] Status SetGeometryLive(Env* env, intptr_t lower, intptr_t now, intptr_t upper,
                                     intptr_t grow, intptr_t shrink, intptr_t psize);
// After open: a geometry requested for an existing database is committed into the meta.
[[nodiscard]] Status PersistOpenGeometry(Env* env);

// emdb_gc_info.
[[nodiscard]] Status GcInfo(const Txn* t, EMDB_gc_info* info);
// Oldest snapshot txnid held by any reader slot (0: none).
uint64_t OldestSnapshot(const Env* env);

}  // namespace emdb::space
