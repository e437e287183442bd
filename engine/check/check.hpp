// engine/check/check.hpp — the integrity checker (emdb_env_chk) and the page walk of a txn
// (emdb_env_pgwalk), on top of the walker (walk.hpp).
//
// The check, in order:
//   1. the three metas: each empty, valid or not (magic, version, page size, both txnid copies,
//      sign/checksum, page header), steady or weak, geometry sane, txnids distinct; which one
//      is checked (the snapshot's, or the one chosen by meta_selector)
//   2. the walk of the chosen meta's trees (walk.hpp: pages, kinds, bounds, key order,
//      separators, depth, large runs, DUPSORT sub-pages and sub-trees, table records' stats)
//   3. the GC records: key size, txnid not newer than the snapshot, value holds `count` pages,
//      page numbers ascending, in range, not used by a tree nor by another record
//   4. accounting: every page in [3, next_pgno) used exactly once; the rest is reported lost
//
// Thread safety: the caller holds the snapshot (a read txn) or the writer lock (a write txn).
//
// Invariants: the checker never writes to the database (EMDB_CHK_TURN_STEADY is applied by the
// API layer after the check) and never reads outside the map or the file (W1 in walk.hpp).
#pragma once

#include <emdb/emdb.h>

#include "core/internal.hpp"

namespace emdb::check {

// Checks the snapshot of `t` (or the meta `meta_selector` 0..2 read from the map; -1: the
// snapshot's meta). Fills `report`, calls `cb` once per problem. Returns 0 when no problem was
// found, EMDB_RESULT_TRUE when problems were reported, the callback's nonzero value if it
// stopped the check, or an error when the check could not run.
[[nodiscard]] Status Check(Txn* t, unsigned flags, int meta_selector, EMDB_chk_report* report,
                           EMDB_chk_problem_func* cb, void* ctx);

// Visits every page of the snapshot of `t` (a write txn: its current state, dirty pages
// included). Returns 0, the visitor's nonzero value if it stopped the walk, or
// EMDB_CORRUPTED when damaged pages were met (visited as EMDB_page_broken).
[[nodiscard]] Status PgWalk(Txn* t, EMDB_pgvisitor_func* visitor, void* ctx);

}  // namespace emdb::check
