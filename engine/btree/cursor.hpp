// engine/btree/cursor.hpp — the user-visible cursor: every EMDB_cursor_op, puts with every
// put flag and deletes, with DUPSORT duplicates (inline sub-pages and sub-trees) built on the
// single-tree algorithms of tree.hpp.
//
// Duplicates of one key (DUPSORT tables), by count:
//   1 value       a plain leaf node holding the value
//   2+ values     kNodeDup: an inline sub-page (a small leaf whose keys are the values) while
//                 the node fits in NodeMax; beyond that kNodeDup|kNodeTree: a sub-tree record
//
// Cursor revalidation (core/internal.hpp T3): before any change to a table, every other
// positioned cursor of that table in the txn saves its key/value and becomes stale; a stale
// cursor re-seeks before its next move. A cursor whose item vanished sits on the successor
// with `after_del`, so NEXT returns the successor and PREV the predecessor.
//
// Thread safety: one thread at a time per cursor and txn.
#pragma once

#include "core/internal.hpp"

namespace emdb::cur {

[[nodiscard]] Status Get(Cursor* c, EMDB_val* key, EMDB_val* data, EMDB_cursor_op op);
[[nodiscard]] Status Put(Cursor* c, const EMDB_val* key, EMDB_val* data, unsigned flags);
[[nodiscard]] Status Del(Cursor* c, unsigned flags);
[[nodiscard]] Status Count(Cursor* c, size_t* count);
// Re-seeks a stale cursor.
[[nodiscard]] Status RestoreSlow(Cursor* c);
[[nodiscard]] inline Status Restore(Cursor* c) {
  return EMDB_LIKELY(!c->stale) ? 0 : RestoreSlow(c);
}
// Saves the positions of the other cursors of `dbi` before `except` changes the table.
void SaveOthers(Txn* t, EMDB_dbi dbi, const Cursor* except);
// Marks the table changed (dirty, new modification number).
void MarkChanged(Txn* t, EMDB_dbi dbi);

bool IsPositioned(const Cursor* c);

// Returned by StepFast when the step needs the general path.
inline constexpr Status kSlowPath = -0x7fff0001;

// NEXT/PREV within the current leaf of a plain (non-DUPSORT) table, on a cursor that is
// positioned, not stale, not past either end: the hot loop of a scan. Anything else returns
// kSlowPath without changing the cursor.
inline Status StepFast(Cursor* c, EMDB_val* key, EMDB_val* data, bool next) {
  if (EMDB_UNLIKELY(c->stale || c->after_del || c->depth == 0 || c->eof ||
                    (c->tflags & EMDB_DUPSORT))) {
    return kSlowPath;
  }
  const int l = c->depth - 1;
  const Page* p = c->pg[l];
  unsigned ki = c->ki[l];
  if (next) {
    if (EMDB_UNLIKELY(ki + 1 >= format::NumKeys(p))) return kSlowPath;
    ki++;
  } else {
    if (EMDB_UNLIKELY(ki == 0)) return kSlowPath;
    ki--;
  }
  if (EMDB_UNLIKELY(format::IsDupfix(p))) return kSlowPath;
  const uint16_t off = format::SlotOffset(p, ki);
  const uint8_t* n = format::PageData(p) + off;
  // The node header must lie in the page before it is read (a damaged slot may point past it).
  if (EMDB_UNLIKELY(size_t(off) + format::kNodeHeaderSize > format::PageRoom(c->txn->env->psize) ||
                    (format::NodeFlags(n) & format::kNodeBig) != 0 ||
                    size_t(off) + format::LeafNodeBytes(n) >
                        format::PageRoom(c->txn->env->psize))) {
    return kSlowPath;
  }
  c->ki[l] = uint16_t(ki);
  if (key) {
    key->iov_base = const_cast<uint8_t*>(format::NodeKey(n));
    key->iov_len = format::NodeKsize(n);
  }
  if (data) {
    data->iov_base = const_cast<uint8_t*>(format::NodeData(n));
    data->iov_len = format::NodeDsize(n);
  }
  return 0;
}

}  // namespace emdb::cur
