// engine/copy/copy.hpp — consistent copies of a read snapshot (emdb_env_copy and friends).
//
// Two modes, both reading only pages of the snapshot of a read transaction, so a writer may keep
// committing while a copy runs (the reader slot keeps every page of the snapshot unchanged):
//  - plain: the metas, then pages [3, next_pgno) as they are in the file, in big sequential
//    writes straight from the map. Pages free in the snapshot (listed in its GC) are copied too;
//    a writer may be reusing them, so their bytes are arbitrary, which is harmless: the copy's GC
//    lists them as free.
//  - compact: each tree gets a block of page numbers as large as its record says (the main
//    tree first, then the named tables in key order), and is walked breadth first inside its
//    block: every reached page (branch, leaf, large run, DUPSORT sub-tree) gets the block's next
//    number in visit order and is written right away with its child pointers, large-run
//    pointers and table or sub-tree roots rewritten. So every tree is contiguous, level by
//    level in key order; the GC is empty and there are no free pages. The page count is known
//    beforehand from the table records (metas are written first, so the output may be a pipe);
//    a tree that does not match its record fails with EMDB_CORRUPTED.
//
// Invariants of the output:
//  C1. Meta slot 0 holds the snapshot's meta, signed (steady), with its txnid; slots 1 and 2
//      are empty (txnid 0), as in a newly created file. The copy opens at the snapshot.
//  C2. Every page is written with big sequential writes (no per-page syscall); the output fd's
//      position is advanced, so a pipe or a terminal works as well as a file.
//  C3. compact: next_pgno = 3 + the pages of the main tree and of every named table; each tree
//      occupies [base, base + its record's pages); each page's header pgno equals its position.
//  C4. The output is flushed (fdatasync) unless EMDB_CP_DONT_FLUSH; a non-regular output (a
//      pipe) cannot be flushed and is not.
//  C5. Every byte taken from the map is taken while the read txn is unparked, and is written
//      only after its reader slot was seen still pinning the snapshot: a reader kicked by the
//      writer (hsr) fails the copy with EMDB_MVCC_RETARDED, an ousted parked one with
//      EMDB_OUSTED, never a copy of reused pages. EMDB_CP_THROTTLE_MVCC parks the txn while the
//      copy writes what it gathered (4 MiB at a time), so a writer short of space may oust it.
//  C6. A failed copy into a regular output truncates it back to where the copy began (the
//      metas go first, so a partial copy would otherwise open as a steady database).
//      EMDB_CP_RENEW_TXN: a lagging snapshot is renewed before the copy starts, and a copy whose
//      snapshot was taken away (C5) starts again on the newest snapshot from the beginning of a
//      regular output, at most kMaxRestarts times; a pipe cannot be rewound, so there the error
//      stays.
//
// Thread safety: runs on the read transaction's thread; reads only the snapshot (and parks,
// unparks and renews that txn).
#pragma once

#include "core/internal.hpp"

namespace emdb::copy {

// Writes a copy of the snapshot of read txn `t` to `fd` from its current position.
// Flags: EMDB_CP_COMPACT, EMDB_CP_FORCE_DYNAMIC_SIZE, EMDB_CP_DONT_FLUSH,
// EMDB_CP_THROTTLE_MVCC (C5), EMDB_CP_RENEW_TXN (C6; `t` may then end on another snapshot).
// Others are checked by the caller. On return the txn is unparked, or ousted (EMDB_OUSTED).
[[nodiscard]] Status CopyToFd(Txn* t, int fd, unsigned flags);

// Creates `dest` (the data file of the copy; an existing directory gets `dest`/emdb.dat) and
// copies into it. Without EMDB_CP_OVERWRITE an existing file is EEXIST. A failed copy removes
// the file it created.
[[nodiscard]] Status CopyToPath(Txn* t, const char* dest, unsigned flags);

}  // namespace emdb::copy
