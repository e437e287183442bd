// api/src/c_api_estimate.cpp — the range estimation entry points (emdb_estimate_distance,
// emdb_estimate_move, emdb_estimate_range). They validate handles and arguments, then work on
// stack copies of cursors (engine/btree/estimate.hpp): no allocation, no cursor of the caller
// moves.
#include <emdb/emdb.h>

#include "btree/estimate.hpp"
#include "btree/tree.hpp"
#include "c_api_internal.hpp"

using namespace emdb;
using namespace emdb::capi;

namespace {

// A caller's cursor, ready to be estimated from: valid, positioned, restored.
int CheckPositioned(const EMDB_cursor* c) {
  if (c == nullptr) return EMDB_EINVAL;
  if (c->signature != kCursorSignature) return EMDB_EBADSIGN;
  if (c->txn == nullptr) return EMDB_EINVAL;
  int rc = CheckTxn(static_cast<EMDB_txn*>(c->txn));
  if (rc) return rc;
  if (!c->txn->env->dbis[c->dbi].used) return EMDB_BAD_DBI;
  EMDB_cursor* m = const_cast<EMDB_cursor*>(c);
  rc = cur::Restore(m);  // re-seeks a stale cursor to the same position
  if (rc) return rc;
  if (m->depth == 0) return EMDB_ENODATA;
  return 0;
}

inline bool IsEpsilon(const EMDB_val* v) { return v == EMDB_EPSILON; }

// Number of values of `key` (0 when absent).
int CountKey(Txn* t, EMDB_dbi dbi, const EMDB_val* key, ptrdiff_t* out) {
  const uint8_t* node = nullptr;
  Slice d;
  int rc = bt::Lookup(t, t->dbs[dbi].rec, t->env->dbis[dbi].kcmp, Slice::Of(key), &node, &d);
  if (rc == EMDB_NOTFOUND) {
    *out = 0;
    return 0;
  }
  if (rc) return rc;
  *out = ptrdiff_t(bt::ValuesOfNode(node));
  return 0;
}

// Values of the first or last key.
int CountEdge(Txn* t, EMDB_dbi dbi, bool last, ptrdiff_t* out) {
  bt::CursorPair p;
  bt::PairInit(&p, t, dbi);
  int rc = last ? bt::Last(&p.outer) : bt::First(&p.outer);
  if (rc) return rc;
  *out = ptrdiff_t(bt::ValuesOfNode(bt::CurrentNode(&p.outer)));
  return 0;
}

}  // namespace

extern "C" {

int emdb_estimate_distance(const EMDB_cursor* first, const EMDB_cursor* last,
                           ptrdiff_t* distance_items) noexcept {
  if (first == nullptr || last == nullptr || distance_items == nullptr) return EMDB_EINVAL;
  *distance_items = 0;
  int rc = CheckPositioned(first);
  if (rc) return rc;
  rc = CheckPositioned(last);
  if (rc) return rc;
  if (first->txn != last->txn) return EMDB_BAD_TXN;
  if (first->dbi != last->dbi) return EMDB_EINVAL;
  return Guard([&] { return bt::EstimateDistance(first, last, distance_items); });
}

int emdb_estimate_move(const EMDB_cursor* cursor, EMDB_val* key, EMDB_val* data,
                       EMDB_cursor_op move_op, ptrdiff_t* distance_items) noexcept {
  const int op = EnumValue(move_op);
  if (cursor == nullptr || distance_items == nullptr || op == EMDB_GET_CURRENT ||
      op == EMDB_GET_MULTIPLE || op < 0 || op > int(EMDB_SET_UPPERBOUND)) {
    return EMDB_EINVAL;
  }
  *distance_items = 0;
  int rc = CheckPositioned(cursor);
  if (rc) return rc;
  // The ops that read `data` or `key` as input need them (as libmdbx).
  const unsigned need_data =
      (1u << EMDB_GET_BOTH) | (1u << EMDB_GET_BOTH_RANGE) | (1u << EMDB_SET_KEY);
  const unsigned need_key = need_data | (1u << EMDB_SET) | (1u << EMDB_SET_RANGE) |
                            (1u << EMDB_SET_LOWERBOUND) | (1u << EMDB_SET_UPPERBOUND);
  if (data == nullptr && ((need_data >> op) & 1u)) return EMDB_EINVAL;
  if (key == nullptr && ((need_key >> op) & 1u)) return EMDB_EINVAL;
  const Env* env = cursor->txn->env;
  const DbiInfo& info = env->dbis[cursor->dbi];
  if ((need_key >> op) & 1u) {
    rc = CheckKey(env, info, key);
    if (rc) return rc;
  }
  if (!(info.flags & EMDB_DUPSORT) && (op == EMDB_GET_BOTH || op == EMDB_GET_BOTH_RANGE ||
                                       op == EMDB_NEXT_MULTIPLE || op == EMDB_PREV_MULTIPLE)) {
    return EMDB_INCOMPATIBLE;
  }
  EMDB_val stub_key{nullptr, 0}, stub_data{nullptr, 0};
  if (key == nullptr) key = &stub_key;
  if (data == nullptr) data = &stub_data;
  return Guard([&] {
    bt::CursorPair next;
    bt::PairInit(&next, cursor->txn, cursor->dbi);
    bt::PairCopyPosition(&next, cursor);
    int r = cur::Get(&next.outer, key, data, EMDB_cursor_op(op));
    if (r == EMDB_RESULT_TRUE) r = 0;  // SET_LOWERBOUND: positioned past the key
    if (r != 0 && (r != EMDB_NOTFOUND || next.outer.depth == 0)) return r;
    if (op == EMDB_LAST) {
      // As libmdbx: the distance to LAST counts to the end of the table.
      next.outer.eof = true;
      next.outer.sub_active = false;
    }
    return bt::EstimateDistance(cursor, &next.outer, distance_items);
  });
}

int emdb_estimate_range(const EMDB_txn* txn, EMDB_dbi dbi, const EMDB_val* begin_key,
                        const EMDB_val* begin_data, const EMDB_val* end_key,
                        const EMDB_val* end_data, ptrdiff_t* distance_items) noexcept {
  EMDB_txn* t = const_cast<EMDB_txn*>(txn);
  int rc = CheckTxn(t);
  if (rc) return rc;
  if (distance_items == nullptr) return EMDB_EINVAL;
  *distance_items = 0;
  if (begin_data != nullptr && (begin_key == nullptr || IsEpsilon(begin_key))) return EMDB_EINVAL;
  if (end_data != nullptr && (end_key == nullptr || IsEpsilon(end_key))) return EMDB_EINVAL;
  if (IsEpsilon(begin_key) && IsEpsilon(end_key)) return EMDB_EINVAL;
  if (begin_data == EMDB_EPSILON || end_data == EMDB_EPSILON) return EMDB_EINVAL;
  rc = CheckDbi(t, dbi);
  if (rc) return rc;
  const Env* env = t->env;
  const DbiInfo& info = env->dbis[dbi];
  for (const EMDB_val* k : {begin_key, end_key}) {
    if (k != nullptr && !IsEpsilon(k)) {
      rc = CheckKey(env, info, k);
      if (rc) return rc;
    }
  }
  for (const EMDB_val* d : {begin_data, end_data}) {
    if (d != nullptr && d->iov_len && d->iov_base == nullptr) return EMDB_EINVAL;
  }
  return Guard([&]() -> int {
    const TreeRecord& rec = t->dbs[dbi].rec;
    if (rec.items == 0) return 0;
    const EMDB_val* bk = begin_key;
    const EMDB_val* ek = end_key;
    if (bk == nullptr) {
      if (ek == nullptr) {
        *distance_items = ptrdiff_t(rec.items);  // FIRST..LAST
        return 0;
      }
      if (IsEpsilon(ek)) return CountEdge(t, dbi, false, distance_items);  // FIRST..+epsilon
    } else if (IsEpsilon(bk)) {
      if (ek == nullptr) return CountEdge(t, dbi, true, distance_items);  // -epsilon..LAST
      bk = ek;                                                            // -epsilon..key
    } else if (IsEpsilon(ek)) {
      ek = bk;  // key..+epsilon
    }
    if (bk != nullptr && ek != nullptr && begin_data == nullptr && end_data == nullptr &&
        (bk == ek || info.kcmp(Slice::Of(bk), Slice::Of(ek)) == 0)) {
      return CountKey(t, dbi, bk, distance_items);  // one key: its number of values
    }
    bt::CursorPair begin, end;
    bt::PairInit(&begin, t, dbi);
    bt::PairInit(&end, t, dbi);
    Slice bd = begin_data ? Slice::Of(begin_data) : Slice();
    Slice ed = end_data ? Slice::Of(end_data) : Slice();
    if (bk == nullptr) {
      int r = bt::First(&begin.outer);
      if (r) return r;
    } else {
      int r = bt::EstimateSeek(&begin.outer, Slice::Of(bk), begin_data ? &bd : nullptr);
      if (r) return r;
    }
    if (ek == nullptr) {
      int r = bt::Last(&end.outer);
      if (r) return r;
      end.outer.eof = true;
    } else {
      int r = bt::EstimateSeek(&end.outer, Slice::Of(ek), end_data ? &ed : nullptr);
      if (r) return r;
    }
    return bt::EstimateDistance(&begin.outer, &end.outer, distance_items);
  });
}

}  // extern "C"
