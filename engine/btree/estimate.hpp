// engine/btree/estimate.hpp — range estimation: the approximate number of entries between two
// cursor positions of one table, computed from the cursors' paths without visiting any other
// page (emdb_estimate_distance, emdb_estimate_move, emdb_estimate_range).
//
// The rank of a position (how many entries lie before it) is a sum over the levels of its path:
// at level l, the sizes of the subtrees left of ki[l]. Between two positions of the same tree
// every term above the level where the paths part cancels, so the distance is
//
//   (entries after `first` inside its own subtree at the parting level)
//   + (whole subtrees strictly between the two paths at the parting level)
//   + (entries before `last` inside its own subtree)
//
// Every term on the two paths is read from the path pages themselves: the index and the entry
// count of every page at every level, the exact number of entries in the two leaves (for a
// DUPSORT table: the value count of every node of the two leaves, and the position inside the
// current key's values through the sub-cursor). The only unknowns are the sizes of the whole
// sibling subtrees that no path enters; each is estimated by the mean number of entries per
// page at its level:
//   level 1            items / (entries of the root)             exact mean
//   leaf level         items / leaf_pages                        exact mean (not DUPSORT)
//                      mean entries of the two path leaves       (DUPSORT main trees, whose
//                                                                 page counters include the
//                                                                 sub-trees)
//   height 4, level 2  items / (branch_pages - 1 - root entries) exact mean
//   other levels       geometric interpolation between the known levels
// Consequences: the estimate is exact when both positions are in one leaf, or in two leaves
// with no whole leaf between their paths; otherwise the error comes only from how much the
// skipped subtrees differ from their level's mean (libmdbx instead scales the index
// difference at the parting level and the next one by an average fan-out, ignoring the
// positions further down, which allows an error of a whole subtree).
//
// Cost: O(tree depth) arithmetic, plus one pass over the node headers of the two leaves for
// DUPSORT main trees (their value counts; bounded by the page size). No allocation; no page is
// read that is not already on a cursor's path.
//
// Thread safety: as cursors (one thread at a time per txn).
#pragma once

#include <cstddef>

#include "core/internal.hpp"

namespace emdb::bt {

// Estimated signed number of entries from `first` to `last` (positive when `last` is after
// `first`). Both cursors must be main cursors of the same table in the same txn, restored
// (not stale) and positioned (depth > 0). A cursor at eof counts as one past the last entry;
// a leaf index equal to the leaf's entry count (SeekForInsert) as the place before the next
// leaf's first entry. EMDB_PROBLEM if the two paths are inconsistent (different roots).
[[nodiscard]] Status EstimateDistance(const Cursor* first, const Cursor* last, ptrdiff_t* out);

// Positions `c` (a main cursor, with a sub-cursor for DUPSORT tables) at the first entry
// >= (key, data): when every key of the leaf the descent reaches is smaller, on the next
// leaf's first entry, or at eof (one past the last entry) when there is none. `data` (may be null)
// refines the position among the values of `key` in DUPSORT tables and is ignored otherwise.
// Returns EMDB_NOTFOUND only for an empty tree.
[[nodiscard]] Status EstimateSeek(Cursor* c, Slice key, const Slice* data);

// Number of values of the entry under a positioned main cursor (1 for non-DUPSORT tables), read
// from its node.
size_t ValuesOfNode(const uint8_t* node);

// A main cursor and its DUPSORT sub-cursor on the stack: estimation works on copies of cursors
// and must not allocate. The sub-cursor is owned by this object, not by outer.sub.
struct CursorPair {
  Cursor outer;
  Cursor inner;
  CursorPair() { outer.sub.reset(&inner); }
  ~CursorPair() { (void)outer.sub.release(); }
  CursorPair(const CursorPair&) = delete;
  CursorPair& operator=(const CursorPair&) = delete;
};

// Binds p->outer to table `dbi` of txn t (as CursorInit, without allocating).
void PairInit(CursorPair* p, Txn* t, EMDB_dbi dbi);
// Copies the position of `src` (a restored main cursor of the same table) into p->outer.
void PairCopyPosition(CursorPair* p, const Cursor* src);

}  // namespace emdb::bt
