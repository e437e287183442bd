// engine/check/check.hpp — the integrity checker (emdb_env_chk) and the page walk of a txn
// (emdb_env_pgwalk), on top of the walker (walk.hpp).
//
// Two entry points share the check: Check runs on the snapshot of a txn of an open env;
// CheckFile runs on a data file that cannot be opened (damaged metas, a truncated file): it
// finds the page size by probing the three meta slots at every legal page size, maps the whole
// pages of the file read-only, and checks the newest valid meta (or the chosen one).
//
// The check, in order:
//   1. the three metas: each empty, valid or not (magic, version, page size, both txnid copies,
//      sign/checksum, page header), steady or weak, geometry sane, txnids distinct; which one
//      is checked (the snapshot's, the newest valid one, or the one chosen by meta_selector);
//      a checked meta that reaches past the end of the file is reported as a truncation
//      (EMDB_CHK_IO) and its trees are walked as far as the file goes
//   2. the walk of the chosen meta's trees (walk.hpp: pages, kinds, bounds, key order,
//      separators, depth, large runs, DUPSORT sub-pages and sub-trees, table records' stats)
//   3. the GC records: key size, txnid not newer than the snapshot, value holds `count` pages,
//      page numbers ascending, in range, not used by a tree nor by another record
//   4. accounting: every page in [3, next_pgno) used exactly once; the rest is reported lost
//
// Thread safety: the caller holds the snapshot (a read txn) or the writer lock (a write txn).
//
// Invariants: the checker never writes to the database (EMDB_CHK_TURN_STEADY is applied by the
// API layer after the check) and never reads outside the map or the file (W1 in walk.hpp);
// CheckFile reads no byte past the last whole page of the file.
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

// Checks the data file at `path` (a database directory or a data file) without opening the
// environment: no lock file, no reader slot, so the file must not be written meanwhile. Flags:
// EMDB_CHK_SKIP_BTREE_TRAVERSAL, EMDB_CHK_SKIP_KV_TRAVERSAL, EMDB_CHK_IGNORE_ORDER,
// EMDB_CHK_PROGRESS. meta_selector -1 checks the newest valid meta. Returns as Check, or
// EMDB_INVALID when no slot holds a meta at any page size, or the errno of open/stat/mmap.
[[nodiscard]] Status CheckFile(const char* path, unsigned flags, int meta_selector,
                               EMDB_chk_report* report, EMDB_chk_problem_func* cb, void* ctx);

// Visits every page of the snapshot of `t` (a write txn: its current state, dirty pages
// included). Returns 0, the visitor's nonzero value if it stopped the walk, or
// EMDB_CORRUPTED when damaged pages were met (visited as EMDB_page_broken).
[[nodiscard]] Status PgWalk(Txn* t, EMDB_pgvisitor_func* visitor, void* ctx);

}  // namespace emdb::check
