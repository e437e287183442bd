// engine/btree/tree.hpp — B+tree algorithms on one tree (a table, the GC, the main tree, or a
// DUPSORT sub-tree / sub-page), driven by a Cursor. Not DUPSORT-aware: btree/cursor.cpp builds
// duplicates on top of these.
//
// Cursor state machine (per tree level, see core/internal.hpp):
//   depth == 0                      unpositioned (or the tree is empty)
//   depth > 0, ki[leaf] < nkeys     on an entry
//   depth > 0, ki[leaf] == nkeys    past the end of the leaf (only transiently, inside Seek)
//   eof                             moved past the first or the last entry
// Thread safety: a cursor and its txn are used by one thread at a time.
//
// Invariants maintained by the write functions:
//  B1. Keys are in strictly increasing order within a tree (by the tree's comparator).
//  B2. Every leaf is at depth `height`; non-root pages hold >= 1 entry; a branch root >= 2.
//  B3. In a branch, entry 0's key is empty; entry i's key is <= every key below child i and
//      > every key below child i-1.
//  B4. tree->{branch,leaf,large}_pages count the pages of the tree (sub-trees included for
//      DUPSORT tables), tree->items its entries.
#pragma once

#include "core/internal.hpp"

namespace emdb::bt {

// Binds c to table `dbi` of txn t (main cursors) and prepares its sub-cursor for DUPSORT.
void CursorInit(Cursor* c, Txn* t, EMDB_dbi dbi, bool with_sub = true);
// Prepares `sub` for the duplicates of the node `node` of the parent cursor's current leaf.
void SubInit(Cursor* parent, const uint8_t* node);

// Point lookup without a cursor (the emdb_get path): the node of `key` in the tree, or
// EMDB_NOTFOUND. *data is the node's value (large values resolved; for DUPSORT nodes the raw
// node data: use FirstDup).
[[nodiscard]] Status Lookup(const Txn* t, const TreeRecord& rec, CmpFn cmp, Slice key,
                            const uint8_t** node, Slice* data);

// The first (smallest) duplicate of a DUPSORT node, without a sub-cursor (no allocation).
[[nodiscard]] Status FirstDup(const Txn* t, const uint8_t* node, Slice* out);

// Positions at the first entry >= key. *exact tells whether it is equal.
// EMDB_NOTFOUND when every entry is < key (cursor then eof) or the tree is empty.
[[nodiscard]] Status Seek(Cursor* c, Slice key, bool* exact);
// As Seek, but when every key of the reached leaf is smaller, stays there with the index one
// past its last entry: the place where `key` must be inserted.
[[nodiscard]] Status SeekForInsert(Cursor* c, Slice key, bool* exact);
[[nodiscard]] Status First(Cursor* c);
[[nodiscard]] Status Last(Cursor* c);
[[nodiscard]] Status Next(Cursor* c);
// Moves from the cursor's leaf to the first entry of the next leaf (EMDB_NOTFOUND at the end).
[[nodiscard]] Status NextLeafFirst(Cursor* c);
[[nodiscard]] Status Prev(Cursor* c);
// The entry under the cursor: key, value (large values resolved), node flags.
[[nodiscard]] Status Current(const Cursor* c, Slice* key, Slice* data, uint16_t* nflags);
inline bool OnEntry(const Cursor* c) {
  return c->depth > 0 && !c->eof && c->ki[c->depth - 1] < format::NumKeys(c->pg[c->depth - 1]);
}
inline const uint8_t* CurrentNode(const Cursor* c) {
  return format::NodeAt(c->pg[c->depth - 1], c->ki[c->depth - 1]);
}

// Inline fast paths of Next/Prev/Current for the common case (stay within the leaf; a plain
// node with inline data); they fall back to the full functions otherwise.
inline Status NextFast(Cursor* c) {
  if (EMDB_LIKELY(c->depth > 0 && !c->eof)) {
    int l = c->depth - 1;
    if (unsigned(c->ki[l]) + 1 < format::NumKeys(c->pg[l])) {
      c->ki[l]++;
      return 0;
    }
  }
  return Next(c);
}
inline Status PrevFast(Cursor* c) {
  if (EMDB_LIKELY(c->depth > 0 && !c->eof)) {
    int l = c->depth - 1;
    if (c->ki[l] > 0) {
      c->ki[l]--;
      return 0;
    }
  }
  return Prev(c);
}
inline Status CurrentFast(const Cursor* c, Slice* key, Slice* data, uint16_t* nflags) {
  if (EMDB_LIKELY(c->depth > 0 && !c->eof && c->subpage == nullptr)) {
    const Page* p = c->pg[c->depth - 1];
    unsigned i = c->ki[c->depth - 1];
    if (EMDB_LIKELY(i < format::NumKeys(p) && !format::IsDupfix(p))) {
      uint16_t off = format::SlotOffset(p, i);
      const uint8_t* n = format::PageData(p) + off;
      const size_t room = format::PageRoom(c->txn->env->psize);
      // The node header must lie in the page before it is read (a damaged slot may point past).
      if (EMDB_UNLIKELY(size_t(off) + format::kNodeHeaderSize > room)) {
        return Current(c, key, data, nflags);
      }
      uint16_t f = format::NodeFlags(n);
      if (EMDB_LIKELY((f & format::kNodeBig) == 0 &&
                      size_t(off) + format::LeafNodeBytes(n) <= room)) {
        *key = Slice(format::NodeKey(n), format::NodeKsize(n));
        *data = Slice(format::NodeData(n), format::NodeDsize(n));
        if (nflags) *nflags = f;
        return 0;
      }
    }
  }
  return Current(c, key, data, nflags);
}

// ---- writing (write txns only; the cursor must be positioned by Seek) ----

// Makes every page on the cursor's path dirty in the txn.
[[nodiscard]] Status TouchPath(Cursor* c);
// Inserts a leaf entry at the cursor's leaf index. `data` may have a null pointer (reserve).
// Values too large for a node go to a large-page run (unless kNodeDup/kNodeTree).
// *data_out receives where the value's bytes are (to fill a reservation).
// *split is set when pages were split (the cursor's stack is then invalid).
[[nodiscard]] Status Insert(Cursor* c, Slice key, Slice data, uint16_t nflags, uint8_t** data_out,
                            bool* split);
// Deletes the leaf entry under the cursor (freeing its large run), then rebalances.
// The cursor's stack is invalid afterwards.
[[nodiscard]] Status Delete(Cursor* c);
// Frees every page of a tree (and of DUPSORT sub-trees under it when `dupsort`).
[[nodiscard]] Status FreeTree(Txn* t, const TreeRecord& rec, bool dupsort);
// Writes a fresh leaf node image (for sub-page builders). Returns its size.
size_t MakeLeafNode(uint8_t* buf, Slice key, uint32_t dsize, uint16_t nflags, const void* data,
                    size_t dbytes);
// In-page primitives, exposed for sub-page building.
void PageInsertRaw(Page* p, unsigned idx, const uint8_t* raw, size_t size);
void PageDeleteRaw(Page* p, unsigned idx);
size_t EntryBytes(const Page* p, unsigned i);
const uint8_t* EntryPtr(const Page* p, unsigned i);
// Bytes a value occupies inline, or 8 when it must go to a large run.
bool NeedsLarge(const Env* env, size_t ksize, size_t dsize);
// Number of pages of a large run holding `bytes` of value.
unsigned LargePages(const Env* env, size_t bytes);

}  // namespace emdb::bt
