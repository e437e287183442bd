// engine/btree/cursor.cpp — see cursor.hpp.
#include "btree/cursor.hpp"

#include <cstring>
#include <memory>
#include <vector>

#include "base/log.hpp"
#include "btree/tree.hpp"
#include "txn/pages.hpp"

namespace emdb::cur {

using namespace format;

namespace {

bool Dupsort(const Cursor* c) { return (c->tflags & EMDB_DUPSORT) != 0; }

EMDB_val ToVal(Slice s) {
  EMDB_val v;
  v.iov_base = const_cast<uint8_t*>(s.data);
  v.iov_len = s.size;
  return v;
}

// SubInit on the current entry once its node was found to lie in its page with data the size
// its flags need (a sub-page header, or a sub-tree record): damaged nodes are EMDB_CORRUPTED.
Status SubInitChecked(Cursor* c) {
  Slice k, d;
  uint16_t f = 0;
  EMDB_TRY(bt::CurrentFast(c, &k, &d, &f));
  if ((f & kNodeDup) && (f & kNodeBig)) return EMDB_CORRUPTED;
  if ((f & kNodeDup) && !(f & kNodeTree) && d.size < kSubpageHeaderSize) return EMDB_CORRUPTED;
  if ((f & kNodeDup) && (f & kNodeTree) && d.size != kDiskTreeSize) return EMDB_CORRUPTED;
  bt::SubInit(c, bt::CurrentNode(c));
  return 0;
}

// Prepares the duplicates of the current main entry, positioned at the first or last value.
Status SetupDupsSlow(Cursor* c, bool last) {
  EMDB_TRY(SubInitChecked(c));
  if (!c->sub_active) return 0;
  Status rc = last ? bt::Last(c->sub.get()) : bt::First(c->sub.get());
  if (rc == EMDB_NOTFOUND) return EMDB_CORRUPTED;  // an empty duplicate set is never stored
  return rc;
}

inline Status SetupDups(Cursor* c, bool last) {
  c->sub_active = false;
  if (EMDB_LIKELY(!Dupsort(c)) || !bt::OnEntry(c)) return 0;
  return SetupDupsSlow(c, last);
}

// key/data of the current position.
inline Status Fetch(Cursor* c, EMDB_val* key, EMDB_val* data) {
  Slice k, d;
  uint16_t nf = 0;
  EMDB_TRY(bt::CurrentFast(c, &k, &d, &nf));
  if (c->sub_active) {
    Slice dk, dd;
    EMDB_TRY(bt::Current(c->sub.get(), &dk, &dd, nullptr));
    d = dk;
  }
  if (key) *key = ToVal(k);
  if (data) *data = ToVal(d);
  return 0;
}

void SaveCursor(Cursor* c) {
  Slice k, d;
  uint16_t nf;
  if (bt::Current(c, &k, &d, &nf) != 0) {
    c->depth = 0;
    return;
  }
  c->saved_key.assign(k.data, k.data + k.size);
  c->saved_has_val = false;
  if (c->sub_active) {
    Slice dk, dd;
    if (bt::Current(c->sub.get(), &dk, &dd, nullptr) == 0) {
      c->saved_val.assign(dk.data, dk.data + dk.size);
      c->saved_has_val = true;
    }
  } else if (Dupsort(c)) {
    c->saved_val.assign(d.data, d.data + d.size);
    c->saved_has_val = true;
  }
  c->stale = true;
}

void SetSaved(Cursor* c, Slice key, const Slice* val) {
  c->saved_key.assign(key.data, key.data + key.size);
  c->saved_has_val = val != nullptr;
  if (val) c->saved_val.assign(val->data, val->data + val->size);
  c->stale = true;
  c->after_del = false;
  if (c->depth == 0) c->depth = 1;  // positioned (restored lazily)
}

}  // namespace

bool IsPositioned(const Cursor* c) { return c->depth > 0 || c->stale; }

void SaveOthers(Txn* t, EMDB_dbi dbi, const Cursor* except) {
  for (Cursor* x = t->cursors; x != nullptr; x = x->next_in_txn) {
    if (x == except || x->dbi != dbi || x->stale || x->depth == 0) continue;
    if (x->eof) {
      // Keep "past the end": restore goes to the end again.
      x->saved_key.clear();
      x->saved_has_val = false;
      x->stale = true;
      continue;
    }
    SaveCursor(x);
  }
}

// A node of the main table that holds a named table's record (not a DUPSORT sub-tree).
inline bool NamesTable(const uint8_t* node) {
  const unsigned f = format::NodeFlags(node);
  return (f & format::kNodeTree) && !(f & format::kNodeDup);
}

void MarkChanged(Txn* t, EMDB_dbi dbi) {
  DbState& s = t->dbs[dbi];
  s.state |= kDbDirty;
  s.mod++;
  s.rec.mod_txnid = t->txnid;
  t->flags |= EMDB_TXN_DIRTY;
}

Status RestoreSlow(Cursor* c) {
  if (!c->stale) return 0;
  c->stale = false;
  if (c->saved_key.empty() && !c->saved_has_val && c->depth > 0 && c->eof) {
    Status rc = bt::Last(c);
    if (rc == 0) c->eof = true;
    return rc == EMDB_NOTFOUND ? 0 : rc;
  }
  bool exact = false;
  Slice key(c->saved_key.data(), c->saved_key.size());
  Status rc = bt::Seek(c, key, &exact);
  if (rc == EMDB_NOTFOUND) {
    c->after_del = true;
    if (c->depth > 0) c->eof = true;
    c->sub_active = false;
    return 0;
  }
  EMDB_TRY(rc);
  if (!exact) {
    EMDB_TRY(SetupDups(c, false));
    c->after_del = true;
    return 0;
  }
  if (!Dupsort(c)) return 0;
  EMDB_TRY(SubInitChecked(c));
  Slice want(c->saved_val.data(), c->saved_val.size());
  if (c->sub_active) {
    if (!c->saved_has_val) return bt::First(c->sub.get());
    bool ex2 = false;
    rc = bt::Seek(c->sub.get(), want, &ex2);
    if (rc == 0) {
      if (!ex2) c->after_del = true;
      return 0;
    }
    if (rc != EMDB_NOTFOUND) return rc;
  } else {
    if (!c->saved_has_val) return 0;
    Slice k, d;
    EMDB_TRY(bt::Current(c, &k, &d, nullptr));
    int r = c->dcmp(d, want);
    if (r == 0) return 0;
    if (r > 0) {
      c->after_del = true;
      return 0;
    }
  }
  // Every duplicate of the key is smaller: the successor is the next key.
  c->after_del = true;
  rc = bt::Next(c);
  if (rc == EMDB_NOTFOUND) {
    c->sub_active = false;
    return 0;
  }
  EMDB_TRY(rc);
  return SetupDups(c, false);
}

Status Count(Cursor* c, size_t* count) {
  EMDB_TRY(Restore(c));
  if (!bt::OnEntry(c)) return c->depth == 0 ? EMDB_EINVAL : EMDB_NOTFOUND;
  if (!Dupsort(c)) {
    *count = 1;
    return 0;
  }
  // Read the count from the node: the sub-cursor's position must not change.
  const uint8_t* node = bt::CurrentNode(c);
  uint16_t nf = NodeFlags(node);
  if (!(nf & kNodeDup)) {
    *count = 1;
  } else if (nf & kNodeTree) {
    *count = size_t(DecodeTree(NodeData(node)).items);
  } else {
    *count = NumKeys(reinterpret_cast<const Page*>(NodeData(node) - kSubpageSkip));
  }
  return 0;
}

// ---- reading ----

static Status MoveNext(Cursor* c, EMDB_cursor_op op) {
  if (c->depth == 0 && !c->stale) {
    EMDB_TRY(bt::First(c));
    return SetupDups(c, false);
  }
  EMDB_TRY(Restore(c));
  if (c->after_del) {
    c->after_del = false;
    if (c->eof || !bt::OnEntry(c)) return EMDB_NOTFOUND;
    if (op == EMDB_NEXT_DUP) return EMDB_NOTFOUND;
    return 0;
  }
  if (c->eof || c->depth == 0) return EMDB_NOTFOUND;
  if (op != EMDB_NEXT_NODUP && c->sub_active) {
    Status rc = bt::Next(c->sub.get());
    if (rc == 0) return 0;
    if (rc != EMDB_NOTFOUND) return rc;
    c->sub.get()->eof = false;
    EMDB_TRY(bt::Last(c->sub.get()));
  }
  if (op == EMDB_NEXT_DUP) return EMDB_NOTFOUND;
  Status rc = bt::NextFast(c);
  if (rc != 0) return rc;
  return SetupDups(c, false);
}

static Status MovePrev(Cursor* c, EMDB_cursor_op op) {
  if (c->depth == 0 && !c->stale) {
    EMDB_TRY(bt::Last(c));
    return SetupDups(c, true);
  }
  EMDB_TRY(Restore(c));
  if (c->after_del) {
    c->after_del = false;
    if (c->eof || c->depth == 0) {
      if (op == EMDB_PREV_DUP) return EMDB_NOTFOUND;
      Status rc = bt::Last(c);
      if (rc != 0) return rc;
      return SetupDups(c, true);
    }
    if (op == EMDB_PREV_DUP) return EMDB_NOTFOUND;
    Status rc = bt::Prev(c);
    if (rc != 0) return rc;
    return SetupDups(c, true);
  }
  if (c->depth == 0) return EMDB_NOTFOUND;
  if (c->eof) {
    if (op == EMDB_PREV_DUP) return EMDB_NOTFOUND;
    c->eof = false;
    return SetupDups(c, true);
  }
  if (op != EMDB_PREV_NODUP && c->sub_active) {
    Status rc = bt::Prev(c->sub.get());
    if (rc == 0) return 0;
    if (rc != EMDB_NOTFOUND) return rc;
  }
  if (op == EMDB_PREV_DUP) return EMDB_NOTFOUND;
  Status rc = bt::PrevFast(c);
  if (rc != 0) return rc;
  return SetupDups(c, true);
}

// Positions on `key` exactly, at its first value.
static Status SeekExact(Cursor* c, Slice key) {
  bool exact = false;
  Status rc = bt::Seek(c, key, &exact);
  if (rc == 0 && !exact) rc = EMDB_NOTFOUND;
  if (rc != 0) {
    c->depth = 0;
    c->eof = false;
    c->sub_active = false;
    return rc;
  }
  return SetupDups(c, false);
}

// Within the current key's values: the first >= (or > when upper) `val`.
// EMDB_NOTFOUND when none; *exact tells equality.
static Status SeekDup(Cursor* c, Slice val, bool upper, bool* exact) {
  *exact = false;
  if (!c->sub_active) {
    Slice k, d;
    EMDB_TRY(bt::Current(c, &k, &d, nullptr));
    int r = c->dcmp(d, val);
    if (r == 0 && !upper) {
      *exact = true;
      return 0;
    }
    return r > 0 ? 0 : EMDB_NOTFOUND;
  }
  Cursor* s = c->sub.get();
  Status rc = bt::Seek(s, val, exact);
  if (rc != 0) return rc;
  if (upper && *exact) {
    *exact = false;
    return bt::Next(s);
  }
  return 0;
}

static Status GetMultiple(Cursor* c, EMDB_val* data, EMDB_cursor_op op) {
  if (!(c->tflags & EMDB_DUPFIXED)) return EMDB_INCOMPATIBLE;
  if (op == EMDB_GET_MULTIPLE) {
    if (!IsPositioned(c)) return EMDB_EINVAL;
    EMDB_TRY(Restore(c));
    if (!bt::OnEntry(c)) return EMDB_NOTFOUND;
  } else if (op == EMDB_NEXT_MULTIPLE) {
    if (!IsPositioned(c)) {
      EMDB_TRY(bt::First(c));
      EMDB_TRY(SetupDups(c, false));
    } else {
      EMDB_TRY(Restore(c));
      if (c->after_del) {
        c->after_del = false;
        if (!bt::OnEntry(c)) return EMDB_NOTFOUND;
      } else {
        if (!bt::OnEntry(c)) return EMDB_NOTFOUND;
        if (!c->sub_active) return EMDB_NOTFOUND;
        Cursor* s = c->sub.get();
        int l = s->depth - 1;
        s->ki[l] = uint16_t(NumKeys(s->pg[l]) - 1);
        EMDB_TRY(bt::Next(s));
      }
    }
  } else {  // PREV_MULTIPLE
    if (!IsPositioned(c)) {
      EMDB_TRY(bt::Last(c));
      EMDB_TRY(SetupDups(c, true));
    } else {
      EMDB_TRY(Restore(c));
      if (!bt::OnEntry(c)) return EMDB_NOTFOUND;
      if (!c->sub_active) return EMDB_NOTFOUND;
      Cursor* s = c->sub.get();
      s->ki[s->depth - 1] = 0;
      EMDB_TRY(bt::Prev(s));
    }
  }
  if (!c->sub_active) {
    // A single value: return it as a one-element array.
    Slice k, d;
    EMDB_TRY(bt::Current(c, &k, &d, nullptr));
    *data = ToVal(d);
    return 0;
  }
  // The whole leaf page of values that holds the position (as LMDB): the cursor then sits on
  // its last value for NEXT_MULTIPLE, or its first for PREV_MULTIPLE.
  Cursor* s = c->sub.get();
  Page* p = s->pg[s->depth - 1];
  unsigned n = NumKeys(p);
  if (!IsDupfix(p) || n == 0) return EMDB_CORRUPTED;
  data->iov_base = PageData(p);
  data->iov_len = size_t(n) * p->dupfix_ksize;
  s->ki[s->depth - 1] = uint16_t(op == EMDB_PREV_MULTIPLE ? 0 : n - 1);
  return 0;
}

Status Get(Cursor* c, EMDB_val* key, EMDB_val* data, EMDB_cursor_op op) {
  Status rc;
  switch (op) {
    case EMDB_FIRST:
      c->stale = false;
      rc = bt::First(c);
      if (rc == 0) rc = SetupDups(c, false);
      break;
    case EMDB_LAST:
      c->stale = false;
      rc = bt::Last(c);
      if (rc == 0) rc = SetupDups(c, true);
      break;
    case EMDB_NEXT:
    case EMDB_NEXT_NODUP:
      rc = MoveNext(c, op);
      break;
    case EMDB_NEXT_DUP:
      if (!IsPositioned(c)) return EMDB_EINVAL;
      rc = MoveNext(c, op);
      break;
    case EMDB_PREV:
    case EMDB_PREV_NODUP:
      rc = MovePrev(c, op);
      break;
    case EMDB_PREV_DUP:
      if (!IsPositioned(c)) return EMDB_EINVAL;
      rc = MovePrev(c, op);
      break;
    case EMDB_FIRST_DUP:
    case EMDB_LAST_DUP:
      if (!IsPositioned(c)) return EMDB_EINVAL;
      EMDB_TRY(Restore(c));
      if (!bt::OnEntry(c)) return EMDB_NOTFOUND;
      c->after_del = false;
      if (c->sub_active) {
        rc = op == EMDB_FIRST_DUP ? bt::First(c->sub.get()) : bt::Last(c->sub.get());
      } else {
        rc = 0;
      }
      break;
    case EMDB_GET_CURRENT:
      if (!IsPositioned(c)) return EMDB_EINVAL;
      EMDB_TRY(Restore(c));
      if (!bt::OnEntry(c)) return EMDB_NOTFOUND;
      rc = 0;
      break;
    case EMDB_SET:
    case EMDB_SET_KEY:
      if (key == nullptr) return EMDB_EINVAL;
      c->stale = false;
      rc = SeekExact(c, Slice::Of(key));
      if (rc == 0) {
        Status frc = Fetch(c, op == EMDB_SET_KEY ? key : nullptr, data);
        return frc;
      }
      return rc;
    case EMDB_SET_RANGE: {
      if (key == nullptr) return EMDB_EINVAL;
      c->stale = false;
      bool exact;
      rc = bt::Seek(c, Slice::Of(key), &exact);
      if (rc == 0) rc = SetupDups(c, false);
      break;
    }
    case EMDB_GET_BOTH:
    case EMDB_GET_BOTH_RANGE: {
      if (key == nullptr || data == nullptr) return EMDB_EINVAL;
      c->stale = false;
      EMDB_TRY(SeekExact(c, Slice::Of(key)));
      bool exact = false;
      if (!Dupsort(c)) {
        Slice k, d;
        EMDB_TRY(bt::Current(c, &k, &d, nullptr));
        int r = CmpLex(d, Slice::Of(data));
        if (op == EMDB_GET_BOTH ? r != 0 : r < 0) return EMDB_NOTFOUND;
        *data = ToVal(d);
        return 0;
      }
      rc = SeekDup(c, Slice::Of(data), false, &exact);
      if (rc == 0 && op == EMDB_GET_BOTH && !exact) rc = EMDB_NOTFOUND;
      if (rc != 0) return rc;
      return Fetch(c, nullptr, data);
    }
    case EMDB_SET_LOWERBOUND:
    case EMDB_SET_UPPERBOUND: {
      if (key == nullptr) return EMDB_EINVAL;
      c->stale = false;
      bool exact = false;
      rc = bt::Seek(c, Slice::Of(key), &exact);
      if (rc != 0) return rc;
      EMDB_TRY(SetupDups(c, false));
      bool upper = op == EMDB_SET_UPPERBOUND;
      bool result_exact = exact;
      if (exact) {
        if (Dupsort(c) && data != nullptr && data->iov_base != nullptr) {
          bool dex = false;
          rc = SeekDup(c, Slice::Of(data), upper, &dex);
          result_exact = dex;
          if (rc == EMDB_NOTFOUND) {
            rc = bt::Next(c);
            if (rc == 0) rc = SetupDups(c, false);
            result_exact = false;
          }
          if (rc != 0) return rc;
        } else if (upper) {
          rc = bt::Next(c);
          if (rc == 0) rc = SetupDups(c, false);
          if (rc != 0) return rc;
          result_exact = false;
        }
      }
      EMDB_TRY(Fetch(c, key, data));
      if (upper) return 0;
      return result_exact ? EMDB_SUCCESS : EMDB_RESULT_TRUE;
    }
    case EMDB_GET_MULTIPLE:
    case EMDB_NEXT_MULTIPLE:
    case EMDB_PREV_MULTIPLE:
      if (data == nullptr) return EMDB_EINVAL;
      rc = GetMultiple(c, data, op);
      if (rc == 0 && key != nullptr) {
        Slice k, d;
        EMDB_TRY(bt::Current(c, &k, &d, nullptr));
        *key = ToVal(k);
      }
      return rc;
    default:
      return EMDB_EINVAL;
  }
  if (rc != 0) return rc;
  return Fetch(c, key, data);
}

// ---- writing ----

namespace {

// Replaces the node under the cursor by (key, data bytes, nflags). Stack may be invalid after.
Status ReplaceNode(Cursor* c, Slice key, Slice data, uint16_t nflags, uint8_t** data_out,
                   bool* split) {
  Page* p = c->pg[c->depth - 1];
  unsigned idx = c->ki[c->depth - 1];
  const uint8_t* node = NodeAt(p, idx);
  if (NodeFlags(node) & kNodeBig) {
    Page* lp;
    EMDB_TRY(pages::Get(c->txn, Load64(NodeData(node)), &lp));
    unsigned n = lp->large_count;
    pages::Free(c->txn, lp->pgno, n);
    c->tree->large_pages -= n;
  }
  // The key may point into the page: copy it first.
  SmallBytes kcopy(key.data, key.data + key.size);
  bt::PageDeleteRaw(p, idx);
  c->tree->items--;
  c->eof = false;
  return bt::Insert(c, Slice(kcopy.data(), kcopy.size()), data, nflags, data_out, split);
}

// Builds the node for a set of >= 2 sorted values: an inline sub-page, or a sub-tree.
Status StoreDups(Cursor* c, Slice key, const std::vector<Slice>& vals, bool* split) {
  Txn* t = c->txn;
  Env* env = t->env;
  bool fixed = (c->tflags & EMDB_DUPFIXED) != 0;
  size_t n = vals.size();
  size_t room = 0;
  for (const Slice& v : vals) room += fixed ? v.size : LeafSize(v.size, 0) + 2;
  size_t nodebytes = LeafSize(key.size, kSubpageHeaderSize + room);
  uint16_t kind = kPageLeaf | (fixed ? kPageDupfix : 0);
  std::vector<uint8_t> kcopy(key.data, key.data + key.size);
  Slice k(kcopy.data(), kcopy.size());
  if (nodebytes <= env->NodeMax() && n <= env->opt_subpage_limit) {
    std::vector<uint8_t> buf(kPageHeaderSize + room + 8);
    Page* vp = reinterpret_cast<Page*>(buf.data());
    InitPage(vp, 0, kind | kPageSubpage, kPageHeaderSize + room, 0);
    if (fixed) vp->dupfix_ksize = uint16_t(vals[0].size);
    std::vector<uint8_t> nb;
    for (size_t i = 0; i < n; i++) {
      if (fixed) {
        bt::PageInsertRaw(vp, unsigned(i), vals[i].data, vals[i].size);
      } else {
        nb.resize(EvenUp(kNodeHeaderSize + vals[i].size) + 2);
        size_t sz = bt::MakeLeafNode(nb.data(), vals[i], 0, 0, nullptr, 0);
        bt::PageInsertRaw(vp, unsigned(i), nb.data(), sz);
      }
    }
    if (fixed) vp->upper = uint16_t(room);
    Slice sub(buf.data() + kSubpageSkip, kSubpageHeaderSize + room);
    return ReplaceNode(c, k, sub, kNodeDup, nullptr, split);
  }
  // A sub-tree with one leaf.
  Page* lp;
  EMDB_TRY(pages::Alloc(t, 1, &lp));
  InitPage(lp, lp->pgno, kind, env->psize, t->txnid);
  if (fixed) lp->dupfix_ksize = uint16_t(vals[0].size);
  std::vector<uint8_t> nb;
  for (size_t i = 0; i < n; i++) {
    if (fixed) {
      bt::PageInsertRaw(lp, unsigned(i), vals[i].data, vals[i].size);
    } else {
      nb.resize(EvenUp(kNodeHeaderSize + vals[i].size) + 2);
      size_t sz = bt::MakeLeafNode(nb.data(), vals[i], 0, 0, nullptr, 0);
      bt::PageInsertRaw(lp, unsigned(i), nb.data(), sz);
    }
  }
  TreeRecord rec = EmptyTree(c->tflags);
  rec.root = lp->pgno;
  rec.height = 1;
  rec.leaf_pages = 1;
  rec.items = n;
  rec.dupfix_size = fixed ? uint32_t(vals[0].size) : 0;
  rec.mod_txnid = t->txnid;
  c->tree->leaf_pages++;
  uint8_t enc[kDiskTreeSize];
  EncodeTree(rec, enc);
  return ReplaceNode(c, k, Slice(enc, kDiskTreeSize), kNodeDup | kNodeTree, nullptr, split);
}

// Adds `val` to the duplicates of the current key. Path must be touched.
Status AddDup(Cursor* c, Slice key, Slice val, unsigned flags, bool* split, bool* added) {
  *added = false;
  const uint8_t* node = bt::CurrentNode(c);
  uint16_t nf = NodeFlags(node);
  if (!(nf & kNodeDup)) {
    Slice old(NodeData(node), NodeDsize(node));
    int r = c->dcmp(val, old);
    if (r == 0) return (flags & EMDB_NODUPDATA) ? EMDB_KEYEXIST : 0;
    if ((flags & EMDB_APPENDDUP) && r < 0) return EMDB_EKEYMISMATCH;
    if ((c->tflags & EMDB_DUPFIXED) && val.size != old.size) return EMDB_BAD_VALSIZE;
    std::vector<uint8_t> ocopy(old.data, old.data + old.size);
    Slice o(ocopy.data(), ocopy.size());
    std::vector<Slice> vals = r < 0 ? std::vector<Slice>{val, o} : std::vector<Slice>{o, val};
    EMDB_TRY(StoreDups(c, key, vals, split));
    c->tree->items++;
    *added = true;
    return 0;
  }
  bt::SubInit(c, node);
  Cursor* s = c->sub.get();
  if (flags & EMDB_APPENDDUP) {
    Slice lk, ld;
    EMDB_TRY(bt::Last(s));
    EMDB_TRY(bt::Current(s, &lk, &ld, nullptr));
    int r = c->dcmp(val, lk);
    if (r < 0) return EMDB_EKEYMISMATCH;
    if (r == 0) return (flags & EMDB_NODUPDATA) ? EMDB_KEYEXIST : 0;
  }
  bool exact = false;
  Status rc = bt::SeekForInsert(s, val, &exact);
  if (rc != 0 && rc != EMDB_NOTFOUND) return rc;
  if (exact) return (flags & EMDB_NODUPDATA) ? EMDB_KEYEXIST : 0;
  if (c->subrec.dupfix_size && val.size != c->subrec.dupfix_size) return EMDB_BAD_VALSIZE;
  if (!(nf & kNodeTree)) {
    // Inline sub-page: rebuild with the new value.
    Page* sp = s->subpage;
    unsigned n = NumKeys(sp);
    unsigned pos = s->ki[0];
    std::vector<std::vector<uint8_t>> copies;
    copies.reserve(n + 1);
    std::vector<Slice> vals;
    vals.reserve(n + 1);
    for (unsigned i = 0; i < n; i++) {
      if (i == pos) vals.push_back(val);
      Slice v = KeyAt(sp, i);
      copies.emplace_back(v.data, v.data + v.size);
      vals.push_back(Slice(copies.back().data(), copies.back().size()));
    }
    if (pos >= n) vals.push_back(val);
    EMDB_TRY(StoreDups(c, key, vals, split));
    c->tree->items++;
    *added = true;
    return 0;
  }
  // Sub-tree.
  EMDB_TRY(bt::TouchPath(s));
  TreeRecord before = c->subrec;
  bool ssplit = false;
  EMDB_TRY(bt::Insert(s, val, Slice(), 0, nullptr, &ssplit));
  c->tree->branch_pages += c->subrec.branch_pages - before.branch_pages;
  c->tree->leaf_pages += c->subrec.leaf_pages - before.leaf_pages;
  c->subrec.mod_txnid = c->txn->txnid;
  EncodeTree(c->subrec, NodeData(const_cast<uint8_t*>(bt::CurrentNode(c))));
  c->tree->items++;
  *added = true;
  return 0;
}

// Overwrites the value of the current (non-DUPSORT) entry. Path must be touched.
Status UpdateValue(Cursor* c, Slice key, EMDB_val* data, unsigned flags, bool* split) {
  Env* env = c->txn->env;
  Page* p = c->pg[c->depth - 1];
  uint8_t* node = NodeAt(p, c->ki[c->depth - 1]);
  uint16_t nf = NodeFlags(node);
  bool reserve = (flags & EMDB_RESERVE) != 0;
  Slice nv(reserve ? nullptr : data->iov_base, data->iov_len);
  if (!(nf & kNodeBig) && !bt::NeedsLarge(env, key.size, nv.size) &&
      LeafSize(NodeKsize(node), nv.size) == LeafNodeBytes(node)) {
    Store32(node, uint32_t(nv.size));
    if (!reserve && nv.size) std::memmove(NodeData(node), nv.data, nv.size);
    if (reserve) data->iov_base = NodeData(node);
    return 0;
  }
  if ((nf & kNodeBig) && bt::NeedsLarge(env, key.size, nv.size)) {
    Page* lp;
    EMDB_TRY(pages::Get(c->txn, Load64(NodeData(node)), &lp));
    if (bt::LargePages(env, nv.size) == lp->large_count && pages::IsOwnDirty(c->txn, lp->pgno)) {
      Store32(node, uint32_t(nv.size));
      if (!reserve && nv.size) std::memmove(PageData(lp), nv.data, nv.size);
      if (reserve) data->iov_base = PageData(lp);
      return 0;
    }
  }
  uint8_t* out = nullptr;
  // The new value may live in the page being rewritten (a view from a get): copy it.
  SmallBytes vcopy;
  if (!reserve && nv.size) {
    vcopy.assign(nv.data, nv.data + nv.size);
    nv = Slice(vcopy.data(), vcopy.size());
  }
  EMDB_TRY(ReplaceNode(c, key, nv, 0, &out, split));
  if (reserve) data->iov_base = out;
  return 0;
}

Status DeleteAllDups(Cursor* c) {
  const uint8_t* node = bt::CurrentNode(c);
  uint16_t nf = NodeFlags(node);
  if (nf & kNodeDup) {
    bt::SubInit(c, node);
    if (nf & kNodeTree) {
      TreeRecord rec = c->subrec;
      EMDB_TRY(bt::FreeTree(c->txn, rec, false));
      c->tree->branch_pages -= rec.branch_pages;
      c->tree->leaf_pages -= rec.leaf_pages;
    }
    c->tree->items -= c->subrec.items - 1;
  }
  c->sub_active = false;
  return bt::Delete(c);
}

}  // namespace

// EMDB_MULTIPLE: adds values data[0] (count data[1].iov_len, each data[0].iov_len bytes) from
// index `from` on to the key under the cursor; data[1].iov_len receives how many were stored.
static Status AddMultiple(Cursor* c, Slice key, EMDB_val* data, unsigned flags, size_t from) {
  size_t count = data[1].iov_len, done = from;
  size_t sz = data[0].iov_len;
  const uint8_t* base = static_cast<const uint8_t*>(data[0].iov_base);
  for (; done < count; done++) {
    bool split = false, added = false;
    c->sub_active = false;
    Status rc = AddDup(c, key, Slice(base + done * sz, sz), flags & ~unsigned(EMDB_MULTIPLE),
                       &split, &added);
    if (rc != 0) {
      data[1].iov_len = done;
      return rc;
    }
    if (split) {
      EMDB_TRY(SeekExact(c, key));
      EMDB_TRY(bt::TouchPath(c));
    }
  }
  data[1].iov_len = done;
  SetSaved(c, key, nullptr);
  return 0;
}

// The append hint (Txn::AppendHint). A plain (not DUPSORT, not sub-tree) table only: after an
// append that did not split, the cursor's path is the table's rightmost path and every page on
// it is this txn's own dirty page (the put touched them). It stays so until the table changes
// in any other way, which bumps dbs[dbi].mod past the one recorded here (Put itself bumps it
// once, before it looks), or the slot is reopened or the txn ends (both clear it).
static void SaveAppendHint(const Cursor* c) {
  // Not the GC tree: the allocator changes it without going through cursor puts.
  if (c->is_sub || c->subpage != nullptr || c->depth <= 0 || c->dbi == kGcDbi) return;
  Txn* t = c->txn;
  const DbState& s = t->dbs[c->dbi];
  Txn::AppendHint& h = t->append_hint;
  h.dbi = c->dbi;
  h.generation = s.generation;
  h.mod = s.mod;
  h.root = s.rec.root;
  h.depth = c->depth;
  for (int l = 0; l < c->depth; l++) {
    h.pg[l] = c->pg[l];
    h.ki[l] = c->ki[l];
  }
}

static bool UseAppendHint(Cursor* c) {
  Txn* t = c->txn;
  const Txn::AppendHint& h = t->append_hint;
  if (h.dbi != c->dbi || c->is_sub || c->subpage != nullptr) return false;
  const DbState& s = t->dbs[c->dbi];
  if (s.mod != h.mod + 1 || s.generation != h.generation || s.rec.root != h.root) return false;
  c->depth = h.depth;
  for (int l = 0; l < h.depth; l++) {
    c->pg[l] = h.pg[l];
    c->ki[l] = h.ki[l];
  }
  c->eof = false;
  c->after_del = false;
  return true;
}

Status Put(Cursor* c, const EMDB_val* keyv, EMDB_val* data, unsigned flags) {
  Txn* t = c->txn;
  Slice key = Slice::Of(keyv);
  bool dupsort = Dupsort(c);
  SaveOthers(t, c->dbi, c);
  MarkChanged(t, c->dbi);
  bool split = false;
  Status rc;
  SmallBytes kcopy;

  if (flags & EMDB_CURRENT) {
    if (!IsPositioned(c)) return EMDB_EINVAL;
    EMDB_TRY(Restore(c));
    if (!bt::OnEntry(c) || c->after_del) return EMDB_NOTFOUND;
    EMDB_val ckv, cdv;
    EMDB_TRY(Fetch(c, &ckv, &cdv));
    if (c->cmp(Slice::Of(&ckv), key) != 0) return EMDB_EKEYMISMATCH;
    if (c->dbi == kMainDbi && NamesTable(bt::CurrentNode(c))) return EMDB_INCOMPATIBLE;
    kcopy.assign(key.data, key.data + key.size);
    key = Slice(kcopy.data(), kcopy.size());
    if (dupsort && c->sub_active && !(flags & EMDB_ALLDUPS)) {
      // Replace the current value: delete it, then add the new one (in its sorted place).
      if (c->dcmp(Slice::Of(&cdv), Slice::Of(data)) == 0) return 0;
      SmallBytes vcopy(static_cast<const uint8_t*>(data->iov_base),
                       static_cast<const uint8_t*>(data->iov_base) + data->iov_len);
      EMDB_TRY(Del(c, 0));
      EMDB_val kv2{kcopy.data(), kcopy.size()};
      EMDB_val dv2{vcopy.data(), vcopy.size()};
      return Put(c, &kv2, &dv2, flags & ~unsigned(EMDB_CURRENT));
    }
    EMDB_TRY(bt::TouchPath(c));
    if (dupsort) {
      bt::SubInit(c, bt::CurrentNode(c));
      if (c->sub_active) {
        EMDB_TRY(DeleteAllDups(c));
        bool exact;
        rc = bt::SeekForInsert(c, key, &exact);
        if (rc != 0 && rc != EMDB_NOTFOUND) return rc;
        EMDB_TRY(bt::TouchPath(c));
        if (c->depth > 0) EMDB_TRY(bt::TouchPath(c));
        EMDB_TRY(bt::Insert(c, key, Slice::Of(data), 0, nullptr, &split));
        Slice v = Slice::Of(data);
        SetSaved(c, key, &v);
        return 0;
      }
      // Single value: overwrite it in place (it stays the only value).
      EMDB_TRY(UpdateValue(c, key, data, flags, &split));
    } else {
      EMDB_TRY(UpdateValue(c, key, data, flags, &split));
    }
    if (split) SetSaved(c, key, nullptr);
    return 0;
  }

  bool exact = false;
  bool hinted = false;  // the path came from t->append_hint: all own dirty pages
  if ((flags & EMDB_APPEND) && UseAppendHint(c)) {
    hinted = true;
    Page* leaf = c->pg[c->depth - 1];
    unsigned n = NumKeys(leaf);
    if (c->cmp(key, KeyAt(leaf, n - 1)) <= 0) return EMDB_EKEYMISMATCH;  // not dupsort
    c->ki[c->depth - 1] = uint16_t(n);
  } else if (flags & EMDB_APPEND) {
    rc = bt::Last(c);
    if (rc == 0) {
      Slice lk, ld;
      EMDB_TRY(bt::Current(c, &lk, &ld, nullptr));
      int r = c->cmp(key, lk);
      if (r < 0 || (r == 0 && !dupsort)) return EMDB_EKEYMISMATCH;
      if (r == 0) {
        exact = true;
      } else {
        c->ki[c->depth - 1] = uint16_t(NumKeys(c->pg[c->depth - 1]));
      }
    } else if (rc != EMDB_NOTFOUND) {
      return rc;
    }
  } else {
    rc = bt::SeekForInsert(c, key, &exact);
    if (rc != 0 && rc != EMDB_NOTFOUND) return rc;
  }
  // Keys of the main table that name tables are not user data.
  if (exact && c->dbi == kMainDbi && NamesTable(bt::CurrentNode(c))) return EMDB_INCOMPATIBLE;
  if (c->depth > 0 && !hinted) EMDB_TRY(bt::TouchPath(c));

  if (!exact) {
    if (dupsort && (flags & EMDB_MULTIPLE)) {
      // The first value creates the key; the rest are added as duplicates.
      const uint8_t* base = static_cast<const uint8_t*>(data[0].iov_base);
      EMDB_TRY(bt::Insert(c, key, Slice(base, data[0].iov_len), 0, nullptr, &split));
      if (split) {
        EMDB_TRY(SeekExact(c, key));
        EMDB_TRY(bt::TouchPath(c));
      }
      return AddMultiple(c, key, data, flags, 1);
    }
    if ((c->tflags & EMDB_DUPFIXED) && c->tree->dupfix_size == 0) {
      c->tree->dupfix_size = uint32_t(data->iov_len);
    }
    uint8_t* out = nullptr;
    bool reserve = (flags & EMDB_RESERVE) != 0;
    Slice v(reserve ? nullptr : data->iov_base, data->iov_len);
    EMDB_TRY(bt::Insert(c, key, v, 0, &out, &split));
    if (reserve) data->iov_base = out;
    c->sub_active = false;
    if ((flags & EMDB_APPEND) && !dupsort && !split) SaveAppendHint(c);
    if (split) {
      Slice* vp = nullptr;
      Slice vv = Slice::Of(data);
      if (dupsort) vp = &vv;
      SetSaved(c, key, vp);
    }
    return 0;
  }

  // The key exists.
  if (flags & EMDB_NOOVERWRITE) {
    EMDB_TRY(SetupDups(c, false));
    EMDB_TRY(Fetch(c, nullptr, data));
    return EMDB_KEYEXIST;
  }
  kcopy.assign(key.data, key.data + key.size);
  key = Slice(kcopy.data(), kcopy.size());
  if (!dupsort) {
    EMDB_TRY(UpdateValue(c, key, data, flags, &split));
    if (split) SetSaved(c, key, nullptr);
    return 0;
  }
  if (flags & EMDB_ALLDUPS) {
    EMDB_TRY(DeleteAllDups(c));
    rc = bt::SeekForInsert(c, key, &exact);
    if (rc != 0 && rc != EMDB_NOTFOUND) return rc;
    if (c->depth > 0) EMDB_TRY(bt::TouchPath(c));
    EMDB_TRY(bt::Insert(c, key, Slice::Of(data), 0, nullptr, &split));
    Slice v = Slice::Of(data);
    SetSaved(c, key, &v);
    return 0;
  }
  if (flags & EMDB_MULTIPLE) return AddMultiple(c, key, data, flags, 0);
  bool added = false;
  rc = AddDup(c, key, Slice::Of(data), flags, &split, &added);
  if (rc != 0) return rc;
  Slice v = Slice::Of(data);
  SetSaved(c, key, &v);
  return 0;
}

Status Del(Cursor* c, unsigned flags) {
  Txn* t = c->txn;
  if (!IsPositioned(c)) return EMDB_EINVAL;
  EMDB_TRY(Restore(c));
  if (!bt::OnEntry(c) || c->after_del) return EMDB_NOTFOUND;
  SaveOthers(t, c->dbi, c);
  MarkChanged(t, c->dbi);
  EMDB_val kv, dv;
  EMDB_TRY(Fetch(c, &kv, &dv));
  Slice k = Slice::Of(&kv), d = Slice::Of(&dv);
  SmallBytes key(k.data, k.data + k.size);
  SmallBytes val;
  bool dupsort = Dupsort(c);
  if (dupsort) val.assign(d.data, d.data + d.size);
  EMDB_TRY(bt::TouchPath(c));
  if (dupsort) bt::SubInit(c, bt::CurrentNode(c));
  // Re-fetch the sub-cursor position (SubInit reset it): find the saved value.
  if (dupsort && c->sub_active && !(flags & EMDB_ALLDUPS)) {
    Cursor* s = c->sub.get();
    bool ex = false;
    EMDB_TRY(bt::Seek(s, Slice(val.data(), val.size()), &ex));
    if (!ex) return EMDB_CORRUPTED;
    const uint8_t* node = bt::CurrentNode(c);
    if (!(NodeFlags(node) & kNodeTree)) {
      Page* sp = s->subpage;
      unsigned n = NumKeys(sp);
      unsigned pos = s->ki[0];
      std::vector<std::vector<uint8_t>> copies;
      std::vector<Slice> vals;
      copies.reserve(n);
      for (unsigned i = 0; i < n; i++) {
        if (i == pos) continue;
        Slice v = KeyAt(sp, i);
        copies.emplace_back(v.data, v.data + v.size);
        vals.push_back(Slice(copies.back().data(), copies.back().size()));
      }
      bool split = false;
      Slice kk(key.data(), key.size());
      if (vals.size() == 1) {
        EMDB_TRY(ReplaceNode(c, kk, vals[0], 0, nullptr, &split));
      } else {
        EMDB_TRY(StoreDups(c, kk, vals, &split));
      }
      c->tree->items--;
    } else {
      EMDB_TRY(bt::TouchPath(s));
      TreeRecord before = c->subrec;
      EMDB_TRY(bt::Delete(s));
      c->tree->branch_pages -= before.branch_pages - c->subrec.branch_pages;
      c->tree->leaf_pages -= before.leaf_pages - c->subrec.leaf_pages;
      if (c->subrec.items == 0) {
        c->sub_active = false;
        EMDB_TRY(bt::Delete(c));
      } else {
        c->subrec.mod_txnid = t->txnid;
        EncodeTree(c->subrec, NodeData(const_cast<uint8_t*>(bt::CurrentNode(c))));
        c->tree->items--;
      }
    }
  } else if (dupsort) {
    EMDB_TRY(DeleteAllDups(c));
  } else {
    EMDB_TRY(bt::Delete(c));
  }
  Slice kk(key.data(), key.size());
  Slice vv(val.data(), val.size());
  c->depth = c->depth > 0 ? c->depth : 1;
  SetSaved(c, kk, dupsort ? &vv : nullptr);
  return 0;
}

}  // namespace emdb::cur
