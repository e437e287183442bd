// engine/txn/compact.hpp — in-place compaction: after mass deletes, the live pages that sit in
// the upper part of the file are copied down into free pages, so that the top of the file frees
// up and can be refunded and truncated (space.hpp S3, S4). Without it a file whose live pages
// are spread over its whole length (LIFO reuse spreads them) could not shrink after a prune
// until ordinary writes happened to touch every page near the end.
//
// The measure of "free" is next_pgno - LivePages: every page below the end that no tree of the
// head uses (GC records, and pages a reader still holds).
//
// Invariants:
//  C1. Compaction changes pages only the way any write does: a path is copied with
//      bt::TouchPath, a large run is copied whole and its node repointed. Keys, values, order
//      and every tree's page counts stay as they were; the old copies are retired to the GC
//      like any page a commit replaces, so readers keep their snapshots.
//  C2. It runs only where a shrink can follow: a shrink threshold is set, the free pages no
//      reader holds are at least next_pgno / 4 to start an episode (next_pgno / 16 to go on),
//      and those pages plus the file's free tail exceed shrink_threshold + twice what readers
//      and the steady point pinned lately: a maximum that decays by 1/8 per commit without
//      readers, by 1/128 while a reader is live or weak commits are unflushed, and that in lazy
//      mode without readers is at most the larger peak of the last two steady cycles
//      (Worthwhile); at close (space.hpp S6) without that allowance: no commit follows to pin
//      anything again. Under ordinary churn the free pool is small, or it is the pool a long
//      reader or a lazy-mode steady point just let go of and the next snapshot or weak commits
//      are about to pin again, and commits pay nothing but the check.
//  C3. It never moves a page up. The boundary is the lowest page number B such that the
//      reclaimed pages below B can take every page at or above B that is not reclaimed (live,
//      or held by a snapshot), plus a margin (live / 64 + 64 pages) for the branch pages the
//      moves copy and this commit's GC records; and the pass stops at the first copy that lands
//      at or above B anyway (that copy is kept, it is a valid write).
//  C4. Bounded work per commit: at most kMovePages pages copied and kVisitPages leaves looked
//      at; a pass that stops on a budget resumes at the next commit from where it stopped (the
//      table and key are remembered in the Env, as a hint: a resume point that no longer
//      exists only means the pass starts a little early or late). Within one episode (the
//      commits during which compaction is worthwhile) a new pass walks only when its boundary
//      is lower than the last pass's: pages a reader or the steady point held came free. A
//      pass that ran out of low free pages is retried only once more pages are free.
//  C5. The GC tree is not walked: the commit's GC save rewrites it anyway, and allocation
//      reads it while compaction runs.
// Thread safety: the writer's thread, with the writer lock held (commit).
#pragma once

#include "core/internal.hpp"

namespace emdb::compact {

// Pages the trees of txn `t` use: the three metas, the GC tree, the main tree and every table
// (sub-trees and large runs included). Reads the main tree's table records (once, then kept
// while commits change no named table: NoteTables); tables open in the txn count with their
// current records.
[[nodiscard]] Status LivePages(Txn* t, uint64_t* out);
// A lower bound of LivePages that reads no page: the metas, the GC and main trees and the
// tables loaded in the txn. Safe in the middle of a tree operation (allocation calls it).
uint64_t LiveLowerBound(const Txn* t);
// Pages readers and the steady point hold: retired by the commits since the oldest live
// reader's snapshot or, while weak commits are unflushed, since the newest steady meta (from the
// lock file's counters; an estimate, it ignores what the readers' own snapshots freed).
// After a successful top-level commit: keeps LivePages' scan of the table records for the next
// txn unless this one created, renamed, dropped or changed a named table.
void NoteTables(Txn* t);
uint64_t PinnedPages(const Env* env);
// C2: is compaction (or coalescing GC records, space::Coalesce) worth it at this size? Free
// pages that readers hold do not count: they cannot take the moved pages.
bool Worthwhile(const Txn* t, uint64_t live);
// Every top-level commit: feeds the recent maximum of the pages readers pinned (C2).
void NoteCommit(Env* env);
// The commit step (before the table records are saved): moves live pages from the top half of
// the free range down, within the C4 budget.
[[nodiscard]] Status Run(Txn* t);

}  // namespace emdb::compact
