// engine/btree/tree.cpp — see tree.hpp.
#include "btree/tree.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "base/log.hpp"
#include "txn/pages.hpp"

namespace emdb::bt {

using namespace format;

// ---------------------------------------------------------------------------------------------
// Setup

void CursorInit(Cursor* c, Txn* t, EMDB_dbi dbi, bool with_sub) {
  Env* env = t->env;
  c->txn = t;
  c->dbi = dbi;
  c->tree = &t->dbs[dbi].rec;
  const DbiInfo& info = env->dbis[dbi];
  c->tflags = info.flags;
  c->cmp = info.kcmp;
  c->dcmp = info.dcmp;
  c->is_sub = false;
  c->subpage = nullptr;
  c->subpage_size = 0;
  c->depth = 0;
  c->eof = false;
  c->after_del = false;
  c->stale = false;
  c->sub_active = false;
  c->mod_seen = t->dbs[dbi].mod;
  if ((info.flags & EMDB_DUPSORT) && with_sub) {
    if (!c->sub) c->sub = std::make_unique<Cursor>();
    Cursor* s = c->sub.get();
    s->signature = 0;
    s->txn = t;
    s->dbi = dbi;
    s->tree = &c->subrec;
    s->cmp = info.dcmp;
    s->dcmp = info.dcmp;
    s->tflags = info.flags;
    s->is_sub = true;
    s->depth = 0;
    s->eof = false;
  }
}

void SubInit(Cursor* parent, const uint8_t* node) {
  Cursor* s = parent->sub.get();
  uint16_t nf = NodeFlags(node);
  s->depth = 0;
  s->eof = false;
  s->after_del = false;
  if ((nf & kNodeDup) == 0) {
    parent->sub_active = false;
    return;
  }
  if (nf & kNodeTree) {
    parent->subrec = DecodeTree(NodeData(node));
    s->subpage = nullptr;
    s->subpage_size = 0;
  } else {
    Page* sp = reinterpret_cast<Page*>(const_cast<uint8_t*>(NodeData(node)) - kSubpageSkip);
    s->subpage = sp;
    s->subpage_size = NodeDsize(node) + kSubpageSkip;
    parent->subrec = EmptyTree(parent->tflags);
    parent->subrec.height = 1;
    parent->subrec.items = NumKeys(sp);
    parent->subrec.root = kInvalidPgno;
    parent->subrec.dupfix_size = sp->dupfix_ksize;
  }
  s->tree = &parent->subrec;
  parent->sub_active = true;
}

// ---------------------------------------------------------------------------------------------
// Reading

// The child page number of branch entry `i`, after checking that the entry's node header lies
// within the page (a damaged slot may point past it). A damaged entry yields page 0, a meta,
// which pages::Get rejects as EMDB_CORRUPTED.
static inline pgno_t ChildAt(const Page* p, unsigned i, size_t room) {
  const size_t off = SlotOffset(p, i);
  if (EMDB_UNLIKELY(off + kNodeHeaderSize > room)) return 0;
  return NodeChild(NodeAt(p, i));
}

// Key 0 of a leaf page (or sub-page) of `room` bytes, checked to lie in it.
static Status FirstKeyChecked(const Page* p, size_t room, Slice* out) {
  if (NumKeys(p) == 0 || p->lower > room) return EMDB_CORRUPTED;
  if (IsDupfix(p)) {
    if (p->dupfix_ksize > room) return EMDB_CORRUPTED;
    *out = KeyAt(p, 0);
    return 0;
  }
  const size_t off = SlotOffset(p, 0);
  if (off + kNodeHeaderSize > room || off + kNodeHeaderSize + NodeKsize(PageData(p) + off) > room) {
    return EMDB_CORRUPTED;
  }
  *out = KeyAt(p, 0);
  return 0;
}

Status FirstDup(const Txn* t, const uint8_t* node, Slice* out) {
  uint16_t nf = NodeFlags(node);
  if (!(nf & kNodeDup)) {
    *out = Slice(NodeData(node), NodeDsize(node));
    return 0;
  }
  if (!(nf & kNodeTree)) {
    const Page* sp = reinterpret_cast<const Page*>(NodeData(node) - kSubpageSkip);
    if (NodeDsize(node) < kSubpageHeaderSize) return EMDB_CORRUPTED;
    return FirstKeyChecked(sp, NodeDsize(node) - kSubpageHeaderSize, out);
  }
  TreeRecord rec = DecodeTree(NodeData(node));
  pgno_t pg = rec.root;
  for (unsigned depth = 0; depth < kMaxDepth; depth++) {
    Page* p;
    EMDB_TRY(pages::Get(t, pg, &p));
    if (NumKeys(p) == 0) return EMDB_CORRUPTED;
    if (IsLeaf(p)) return FirstKeyChecked(p, PageRoom(t->env->psize), out);
    if (!IsBranch(p)) return EMDB_CORRUPTED;
    pg = ChildAt(p, 0, PageRoom(t->env->psize));
  }
  return EMDB_CORRUPTED;
}

static inline Status LoadPage(const Cursor* c, pgno_t pgno, Page** out) {
  EMDB_TRY(pages::GetFast(c->txn, pgno, out));
  Page* p = *out;
  const size_t room = PageRoom(c->txn->env->psize);
  if (EMDB_UNLIKELY((p->flags & (kPageBranch | kPageLeaf)) == 0 || p->lower > p->upper ||
                    p->upper > room ||
                    (IsDupfix(p) && size_t(NumKeys(p)) * p->dupfix_ksize > room))) {
    EMDB_LOG_ERR("page %llu: bad kind 0x%x or bounds", (unsigned long long)pgno, p->flags);
    return EMDB_CORRUPTED;
  }
  return 0;
}

static Status LoadRoot(Cursor* c, Page** out) {
  if (c->subpage != nullptr) {
    // An inline sub-page is validated like a page from the map (LoadPage) before any slot of it
    // is read: a leaf, bounds within its own size.
    const Page* sp = c->subpage;
    const size_t size = c->subpage_size;
    if (EMDB_UNLIKELY(size < kPageHeaderSize || !IsLeaf(sp) || IsBranch(sp) ||
                      (IsDupfix(sp)
                           ? size_t(NumKeys(sp)) * sp->dupfix_ksize > size - kPageHeaderSize
                           : (sp->lower > sp->upper || sp->upper > size - kPageHeaderSize)))) {
      EMDB_LOG_ERR("sub-page: bad kind 0x%x or bounds", sp->flags);
      return EMDB_CORRUPTED;
    }
    *out = c->subpage;
    return 0;
  }
  if (c->tree->root == kInvalidPgno) return EMDB_NOTFOUND;
  return LoadPage(c, c->tree->root, out);
}

constexpr size_t kPrefetchPageRoom = 4096 - kPageHeaderSize;

// In-page binary search with prefetch. A page reached on a random lookup is cold: each probe of a
// plain binary search waits for one cache miss (the node it compares), one after the other. At
// each probe the nodes of the next two levels of probes (2 children, 4 grandchildren in the
// implicit search tree) are requested, so the misses of three consecutive probes overlap. The
// slot array itself is small (a few lines) and is in cache after the first probes. A prefetch
// never faults, so a damaged slot offset is harmless here; the compare that follows reads
// through KeyAt as before.
static inline void PrefetchKey(const Page* p, unsigned i) {
  __builtin_prefetch(IsDupfix(p) ? PageData(p) + size_t(i) * p->dupfix_ksize : NodeAt(p, i));
}
// The probes that follow `mid` in [lo, hi): the middles of [lo, mid) and [mid + 1, hi), and of
// their halves.
static inline void PrefetchNextProbes(const Page* p, unsigned lo, unsigned mid, unsigned hi) {
  if (hi - lo <= 2) return;
  const unsigned a = (lo + mid) >> 1, b = (mid + 1 + hi) >> 1;
  PrefetchKey(p, a);
  PrefetchKey(p, b);
  if (hi - lo <= 6) return;
  PrefetchKey(p, (lo + a) >> 1);
  PrefetchKey(p, (a + 1 + mid) >> 1);
  PrefetchKey(p, (mid + 1 + b) >> 1);
  PrefetchKey(p, (b + 1 + hi) >> 1);
}

// Requests every line of a page's node area [upper, room) (of a DUPFIXED leaf, the whole page)
// right after its header arrived. A page met on a random descent is cold: even with the probe
// prefetch above, its binary search waits for two or three misses one after the other, and with
// every node line requested at once those misses overlap. Measured on this project's 2-core EPYC
// VM (random emdb_get on 1M records, 4 KiB pages, tree depth 4): 0.97 us -> 0.70 us per get.
// Only for pages up to 4 KiB: a 64 KiB page has 1,000 lines, far more than a search touches,
// and there the probe prefetch alone is used. Bounds are clamped to the page: a damaged header
// only wastes prefetches (a prefetch never faults).
static inline void PrefetchPage(const Page* p, size_t room) {
  if (room > kPrefetchPageRoom) return;
  const size_t from = IsDupfix(p) ? 0 : std::min<size_t>(p->upper, room) & ~size_t(63);
  const uint8_t* e = PageData(p) + room;
  for (const uint8_t* a = PageData(p) + from; a < e; a += 64) __builtin_prefetch(a);
}

// Requests a child page from its parent, as soon as the child's number is known and before its
// header is read: the header line first, then every other line from the page's end (where the
// nodes are) towards its start. PrefetchPage above waits for the header before it can ask for
// the nodes, so a cold page cost two memory round trips one after the other (the header, then
// the nodes); here both overlap. Measured on the 2-core EPYC VM (random emdb_get on 1M records,
// 4 KiB pages, depth 4, A/B in one window): 1,090 -> 780 ns per get (LMDB 1,140); the same
// lines requested from the start forward: 860 ns (the nodes sit at the end, free space in the
// middle). Read txns only: a write txn's page may be a dirty copy, not the map's, and checking
// the dirty tables first made fillrandom slower (56k -> 50k puts/s). Within the committed,
// mapped range; pages up to 4 KiB (see PrefetchPage).
static inline void PrefetchChild(const Txn* t, pgno_t pg) {
  const Env* env = t->env;
  if (!t->rdonly() || env->psize > kPrefetchPageRoom + kPageHeaderSize) return;
  if (pg >= t->meta.next_pgno || (pg + 1) * env->psize > env->map.mapped()) return;
  const uint8_t* a = env->map.base() + size_t(pg) * env->psize;
  __builtin_prefetch(a);
  for (const uint8_t* b = a + env->psize - 64; b > a; b -= 64) __builtin_prefetch(b);
}

// First index in a leaf with key >= `key`.
template <typename Cmp>
static inline unsigned SearchLeafT(const Page* p, Slice key, bool* exact, Cmp cmp) {
  unsigned lo = 0, hi = NumKeys(p);
  *exact = false;
  while (lo < hi) {
    unsigned mid = (lo + hi) >> 1;
    PrefetchNextProbes(p, lo, mid, hi);
    int r = cmp(KeyAt(p, mid), key);
    if (r < 0) {
      lo = mid + 1;
    } else {
      if (r == 0) {
        *exact = true;
        return mid;
      }
      hi = mid;
    }
  }
  return lo;
}

// Index of the child of a branch whose range holds `key`.
template <typename Cmp>
static inline unsigned SearchBranchT(const Page* p, Slice key, Cmp cmp) {
  unsigned lo = 1, hi = NumKeys(p);  // find first i >= 1 with key_i > key
  while (lo < hi) {
    unsigned mid = (lo + hi) >> 1;
    PrefetchNextProbes(p, lo, mid, hi);
    int r = cmp(KeyAt(p, mid), key);
    if (r <= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo - 1;
}

// The default order is compared inline; other orders through the table's function.
static inline unsigned SearchLeaf(const Cursor* c, const Page* p, Slice key, bool* exact) {
  if (EMDB_LIKELY(c->cmp == CmpLex)) {
    return SearchLeafT(p, key, exact, [](Slice a, Slice b) { return CmpLex(a, b); });
  }
  return SearchLeafT(p, key, exact, c->cmp);
}
static inline unsigned SearchBranch(const Cursor* c, const Page* p, Slice key) {
  if (EMDB_LIKELY(c->cmp == CmpLex)) {
    return SearchBranchT(p, key, [](Slice a, Slice b) { return CmpLex(a, b); });
  }
  return SearchBranchT(p, key, c->cmp);
}

Status Lookup(const Txn* t, const TreeRecord& rec, CmpFn cmp, Slice key, const uint8_t** node,
              Slice* data) {
  if (rec.root == kInvalidPgno) return EMDB_NOTFOUND;
  const Env* env = t->env;
  const size_t room = PageRoom(env->psize);
  pgno_t pg = rec.root;
  const bool lex = cmp == CmpLex;
  auto lexcmp = [](Slice a, Slice b) { return CmpLex(a, b); };
  for (unsigned depth = 0; depth < kMaxDepth; depth++) {
    Page* p;
    EMDB_TRY(pages::GetFast(t, pg, &p));
    unsigned n = NumKeys(p);
    if (EMDB_UNLIKELY(n == 0 || p->lower > p->upper || p->upper > room)) return EMDB_CORRUPTED;
    if (IsBranch(p)) {
      unsigned i = lex ? SearchBranchT(p, key, lexcmp) : SearchBranchT(p, key, cmp);
      pg = ChildAt(p, i, room);
      PrefetchChild(t, pg);
      continue;
    }
    if (!IsLeaf(p) || IsDupfix(p)) return EMDB_CORRUPTED;
    PrefetchPage(p, room);
    bool exact = false;
    unsigned i = lex ? SearchLeafT(p, key, &exact, lexcmp) : SearchLeafT(p, key, &exact, cmp);
    if (!exact) return EMDB_NOTFOUND;
    uint16_t off = SlotOffset(p, i);
    const uint8_t* nd = PageData(p) + off;
    if (EMDB_UNLIKELY(size_t(off) + kNodeHeaderSize > room ||
                      size_t(off) + LeafNodeBytes(nd) > room)) {
      return EMDB_CORRUPTED;
    }
    *node = nd;
    if (NodeFlags(nd) & kNodeBig) {
      Page* lp;
      EMDB_TRY(pages::GetFast(t, Load64(NodeData(nd)), &lp));
      if (!IsLarge(lp) ||
          size_t(lp->large_count) * env->psize < kPageHeaderSize + size_t(NodeDsize(nd))) {
        return EMDB_CORRUPTED;
      }
      *data = Slice(PageData(lp), NodeDsize(nd));
    } else {
      *data = Slice(NodeData(nd), NodeDsize(nd));
    }
    return 0;
  }
  return EMDB_CORRUPTED;
}

// A scan that enters a leaf will next need the leaf beside it (in the scan's direction): its
// page is requested now, from the parent's next (or previous) child, so that its misses overlap
// the scan of this leaf; in PrefetchChild's order (header, then from the end), which scanned
// 1M records in 31-34 ns each instead of 38-44 in address order (readseq, warm map; readreverse
// 29-30 instead of 33-36; LMDB 49-62).
static inline void PrefetchNeighbor(const Cursor* c, int parent_level, bool forward) {
  const Page* parent = c->pg[parent_level];
  const unsigned ki = c->ki[parent_level];
  if (forward ? ki + 1u >= NumKeys(parent) : ki == 0) return;
  const size_t room = PageRoom(c->txn->env->psize);
  if (room > kPrefetchPageRoom) return;
  PrefetchChild(c->txn, ChildAt(parent, forward ? ki + 1 : ki - 1, room));
}

static Status Descend(Cursor* c, Page* p, int level, bool leftmost) {
  for (;;) {
    if (level >= int(kMaxDepth)) return EMDB_CORRUPTED;
    c->pg[level] = p;
    unsigned n = NumKeys(p);
    if (n == 0) return EMDB_CORRUPTED;
    if (IsLeaf(p)) {
      c->ki[level] = uint16_t(leftmost ? 0 : n - 1);
      c->depth = level + 1;
      if (level > 0 && c->txn->rdonly()) PrefetchNeighbor(c, level - 1, leftmost);
      return 0;
    }
    unsigned i = leftmost ? 0 : n - 1;
    c->ki[level] = uint16_t(i);
    EMDB_TRY(LoadPage(c, ChildAt(p, i, PageRoom(c->txn->env->psize)), &p));
    level++;
  }
}

// Positions on the first (leftmost) or last entry of the tree.
static Status Edge(Cursor* c, bool leftmost) {
  Page* root;
  c->eof = false;
  c->after_del = false;
  c->depth = 0;
  Status rc = LoadRoot(c, &root);
  if (rc != 0) return rc;
  return Descend(c, root, 0, leftmost);
}

Status First(Cursor* c) { return Edge(c, true); }
Status Last(Cursor* c) { return Edge(c, false); }

// Moves to the first entry of the next leaf (from a position at or past the end of a leaf).
static Status NextLeaf(Cursor* c) {
  int l = c->depth - 1;
  while (l > 0) {
    l--;
    if (unsigned(c->ki[l]) + 1 < NumKeys(c->pg[l])) {
      c->ki[l]++;
      Page* p;
      EMDB_TRY(LoadPage(c, ChildAt(c->pg[l], c->ki[l], PageRoom(c->txn->env->psize)), &p));
      return Descend(c, p, l + 1, true);
    }
  }
  c->eof = true;
  c->ki[c->depth - 1] = uint16_t(NumKeys(c->pg[c->depth - 1]) - 1);
  return EMDB_NOTFOUND;
}

Status NextLeafFirst(Cursor* c) {
  if (c->depth == 0 || c->eof) return EMDB_NOTFOUND;
  return NextLeaf(c);
}

Status Next(Cursor* c) {
  if (c->depth == 0) return EMDB_NOTFOUND;
  if (c->eof) return EMDB_NOTFOUND;
  int l = c->depth - 1;
  if (unsigned(c->ki[l]) + 1 < NumKeys(c->pg[l])) {
    c->ki[l]++;
    return 0;
  }
  return NextLeaf(c);
}

Status Prev(Cursor* c) {
  if (c->depth == 0) return EMDB_NOTFOUND;
  int l = c->depth - 1;
  if (c->eof) {
    // eof past the end: the cursor sits on the last entry
    c->eof = false;
    return 0;
  }
  if (c->ki[l] > 0) {
    c->ki[l]--;
    return 0;
  }
  while (l > 0) {
    l--;
    if (c->ki[l] > 0) {
      c->ki[l]--;
      Page* p;
      EMDB_TRY(LoadPage(c, ChildAt(c->pg[l], c->ki[l], PageRoom(c->txn->env->psize)), &p));
      return Descend(c, p, l + 1, false);
    }
  }
  return EMDB_NOTFOUND;  // before the first entry: the position does not change
}

static Status SeekImpl(Cursor* c, Slice key, bool* exact, bool normalize);

Status Seek(Cursor* c, Slice key, bool* exact) { return SeekImpl(c, key, exact, true); }
Status SeekForInsert(Cursor* c, Slice key, bool* exact) { return SeekImpl(c, key, exact, false); }

static Status SeekImpl(Cursor* c, Slice key, bool* exact, bool normalize) {
  Page* p;
  c->eof = false;
  c->after_del = false;
  c->depth = 0;
  *exact = false;
  Status rc = LoadRoot(c, &p);
  if (rc != 0) return rc;
  const size_t room = c->subpage ? c->subpage_size - kPageHeaderSize : PageRoom(c->txn->env->psize);
  int level = 0;
  for (;;) {
    if (level >= int(kMaxDepth)) return EMDB_CORRUPTED;
    c->pg[level] = p;
    if (NumKeys(p) == 0) return EMDB_CORRUPTED;
    PrefetchPage(p, room);
    if (IsLeaf(p)) break;
    unsigned i = SearchBranch(c, p, key);
    c->ki[level] = uint16_t(i);
    const pgno_t child = ChildAt(p, i, PageRoom(c->txn->env->psize));
    PrefetchChild(c->txn, child);
    EMDB_TRY(LoadPage(c, child, &p));
    level++;
  }
  unsigned i = SearchLeaf(c, p, key, exact);
  c->ki[level] = uint16_t(i);
  c->depth = level + 1;
  if (i >= NumKeys(p) && normalize) {
    // Every key of this leaf is smaller: the answer is the first key of the next leaf.
    c->ki[level] = uint16_t(NumKeys(p) - 1);
    return NextLeaf(c);
  }
  return 0;
}

Status Current(const Cursor* c, Slice* key, Slice* data, uint16_t* nflags) {
  if (!OnEntry(c)) return EMDB_NOTFOUND;
  const Page* p = c->pg[c->depth - 1];
  unsigned i = c->ki[c->depth - 1];
  if (IsDupfix(p)) {
    *key = KeyAt(p, i);
    *data = Slice();
    if (nflags) *nflags = 0;
    return 0;
  }
  size_t room = c->subpage ? c->subpage_size - kPageHeaderSize : PageRoom(c->txn->env->psize);
  uint16_t off = SlotOffset(p, i);
  const uint8_t* n = PageData(p) + off;
  if (EMDB_UNLIKELY(size_t(off) + kNodeHeaderSize > room ||
                    size_t(off) + LeafNodeBytes(n) > room)) {
    EMDB_LOG_ERR("page %llu: node %u overruns the page", (unsigned long long)p->pgno, i);
    return EMDB_CORRUPTED;
  }
  *key = Slice(NodeKey(n), NodeKsize(n));
  uint16_t f = NodeFlags(n);
  if (nflags) *nflags = f;
  if (f & kNodeBig) {
    Page* lp;
    EMDB_TRY(pages::Get(c->txn, Load64(NodeData(n)), &lp));
    size_t need = kPageHeaderSize + size_t(NodeDsize(n));
    if (!IsLarge(lp) || size_t(lp->large_count) * c->txn->env->psize < need) {
      EMDB_LOG_ERR("large page %llu: bad kind or run length", (unsigned long long)lp->pgno);
      return EMDB_CORRUPTED;
    }
    *data = Slice(PageData(lp), NodeDsize(n));
  } else {
    *data = Slice(NodeData(n), NodeDsize(n));
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// In-page primitives

size_t EntryBytes(const Page* p, unsigned i) {
  if (IsDupfix(p)) return p->dupfix_ksize;
  const uint8_t* n = NodeAt(p, i);
  return IsBranch(p) ? BranchNodeBytes(n) : LeafNodeBytes(n);
}

const uint8_t* EntryPtr(const Page* p, unsigned i) {
  if (IsDupfix(p)) return PageData(p) + size_t(i) * p->dupfix_ksize;
  return NodeAt(p, i);
}

void PageInsertRaw(Page* p, unsigned idx, const uint8_t* raw, size_t size) {
  unsigned n = NumKeys(p);
  uint8_t* d = PageData(p);
  if (IsDupfix(p)) {
    size_t ks = p->dupfix_ksize;
    std::memmove(d + (idx + 1) * ks, d + idx * ks, (n - idx) * ks);
    if (ks) std::memcpy(d + idx * ks, raw, ks);
    p->lower = uint16_t(p->lower + 2);
    return;
  }
  size_t up = p->upper - size;
  std::memcpy(d + up, raw, size);
  std::memmove(d + 2 * (idx + 1), d + 2 * idx, 2 * (n - idx));
  Store16(d + 2 * idx, uint16_t(up));
  p->upper = uint16_t(up);
  p->lower = uint16_t(p->lower + 2);
}

void PageDeleteRaw(Page* p, unsigned idx) {
  unsigned n = NumKeys(p);
  uint8_t* d = PageData(p);
  if (IsDupfix(p)) {
    size_t ks = p->dupfix_ksize;
    std::memmove(d + idx * ks, d + (idx + 1) * ks, (n - idx - 1) * ks);
    p->lower = uint16_t(p->lower - 2);
    return;
  }
  uint16_t off = SlotOffset(p, idx);
  size_t sz = IsBranch(p) ? BranchNodeBytes(d + off) : LeafNodeBytes(d + off);
  // Close the gap: shift the nodes below `off` up by sz.
  std::memmove(d + p->upper + sz, d + p->upper, off - p->upper);
  for (unsigned j = 0; j < n; j++) {
    uint16_t o = Load16(d + 2 * j);
    if (o < off) Store16(d + 2 * j, uint16_t(o + sz));
  }
  std::memmove(d + 2 * idx, d + 2 * (idx + 1), 2 * (n - idx - 1));
  p->lower = uint16_t(p->lower - 2);
  p->upper = uint16_t(p->upper + sz);
}

size_t MakeLeafNode(uint8_t* buf, Slice key, uint32_t dsize, uint16_t nflags, const void* data,
                    size_t dbytes) {
  Store32(buf, dsize);
  Store16(buf + 4, nflags);
  Store16(buf + 6, uint16_t(key.size));
  if (key.size) std::memcpy(buf + kNodeHeaderSize, key.data, key.size);
  if (key.size & 1) buf[kNodeHeaderSize + key.size] = 0;
  size_t doff = kNodeHeaderSize + EvenUp(key.size);
  if (dbytes && data) std::memcpy(buf + doff, data, dbytes);
  if (dbytes & 1) buf[doff + dbytes] = 0;
  return LeafSize(key.size, dbytes);
}

// GCC 12 at -O3 reports a bogus huge memcpy bound after inlining the empty-key case.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#pragma GCC diagnostic ignored "-Wrestrict"
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
static size_t MakeBranchNode(uint8_t* buf, Slice key, pgno_t child) {
  SetNodeChild(buf, child);
  Store16(buf + 6, uint16_t(key.size));
  if (key.size) std::memcpy(buf + kNodeHeaderSize, key.data, key.size);
  size_t sz = kNodeHeaderSize + key.size;
  if (sz & 1) buf[sz] = 0;
  return EvenUp(sz);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

static bool Fits(const Page* p, size_t psize, size_t size) {
  if (IsDupfix(p)) return FreeBytes(p, psize) >= p->dupfix_ksize;
  return FreeBytes(p, psize) >= size + 2;
}

bool NeedsLarge(const Env* env, size_t ksize, size_t dsize) {
  return LeafSize(ksize, dsize) > env->NodeMax();
}

unsigned LargePages(const Env* env, size_t bytes) {
  return unsigned((kPageHeaderSize + bytes + env->psize - 1) / env->psize);
}

// ---------------------------------------------------------------------------------------------
// Writing

Status TouchPath(Cursor* c) {
  if (c->subpage != nullptr) return 0;  // lives inside the parent's (dirty) leaf
  Txn* t = c->txn;
  for (int l = 0; l < c->depth; l++) {
    Page* p = c->pg[l];
    if (t->dirty.Find(p->pgno) == p) continue;  // already this txn's own dirty page
    Page* np;
    EMDB_TRY(pages::Touch(t, p, &np));
    c->pg[l] = np;
    if (np->pgno != p->pgno) {
      if (l == 0) {
        c->tree->root = np->pgno;
      } else {
        SetNodeChild(NodeAt(c->pg[l - 1], c->ki[l - 1]), np->pgno);
      }
    }
  }
  return 0;
}

static bool RightmostPath(const Cursor* c, int level) {
  for (int l = 0; l < level; l++) {
    if (unsigned(c->ki[l]) + 1 != NumKeys(c->pg[l])) return false;
  }
  return true;
}

// Splits the page at `level` while inserting the entry `raw` at index `idx`.
// *landed receives the address of the inserted entry in its final page.
static Status SplitInsert(Cursor* c, int level, unsigned idx, const uint8_t* raw, size_t rawsz,
                          uint8_t** landed) {
  Txn* t = c->txn;
  Env* env = t->env;
  size_t ps = env->psize;
  Page* p = c->pg[level];
  bool branch = IsBranch(p);
  bool fixed = IsDupfix(p);
  unsigned n = NumKeys(p);

  std::unique_ptr<uint8_t[]> scratch(new uint8_t[ps]);
  std::memcpy(scratch.get(), p, ps);
  const Page* sp = reinterpret_cast<const Page*>(scratch.get());

  struct E {
    const uint8_t* ptr;
    size_t sz;
  };
  std::vector<E> es;
  es.reserve(n + 1);
  for (unsigned i = 0; i < n; i++) {
    if (i == idx) es.push_back({raw, rawsz});
    es.push_back({EntryPtr(sp, i), EntryBytes(sp, i)});
  }
  if (idx == n) es.push_back({raw, rawsz});
  size_t slot = fixed ? 0 : 2;
  size_t room = PageRoom(ps);
  size_t total = 0;
  for (const E& e : es) total += e.sz + slot;

  unsigned k = 0;
  if (idx == n && RightmostPath(c, level)) {
    k = n;  // sequential inserts: keep the old page full, start a new one
  } else if (idx == 0 && n > 1 && c->ki[level] == 0) {
    k = 1;
  }
  if (k != 0) {
    size_t left = 0;
    for (unsigned i = 0; i < k; i++) left += es[i].sz + slot;
    if (left > room || total - left > room) k = 0;
  }
  if (k == 0) {
    size_t left = 0, best = ~size_t(0);
    for (unsigned i = 1; i <= n; i++) {
      left += es[i - 1].sz + slot;
      size_t right = total - left;
      if (left > room) break;
      if (right > room) continue;
      size_t diff = left > right ? left - right : right - left;
      if (diff < best) {
        best = diff;
        k = i;
      }
    }
  }
  EMDB_ENSURE(k >= 1 && k <= n);

  Page* rp;
  EMDB_TRY(pages::Alloc(t, 1, &rp));
  uint16_t kind = p->flags;
  uint16_t ks = p->dupfix_ksize;
  InitPage(rp, rp->pgno, kind, ps, t->txnid);
  rp->dupfix_ksize = ks;
  InitPage(p, p->pgno, kind, ps, t->txnid);
  p->dupfix_ksize = ks;

  // Separator: the first key of the right half.
  std::vector<uint8_t> sep;
  {
    Slice sk;
    if (fixed) {
      sk = Slice(es[k].ptr, ks);
    } else {
      sk = Slice(NodeKey(es[k].ptr), NodeKsize(es[k].ptr));
    }
    sep.assign(sk.data, sk.data + sk.size);
  }
  uint8_t* newpos = nullptr;
  std::vector<uint8_t> tmp(branch ? kNodeHeaderSize + 2 : 0);
  for (unsigned i = 0; i <= n; i++) {
    Page* dst = i < k ? p : rp;
    const uint8_t* e = es[i].ptr;
    size_t sz = es[i].sz;
    if (branch && i == k) {
      sz = MakeBranchNode(tmp.data(), Slice(), NodeChild(e));
      e = tmp.data();
    }
    unsigned at = NumKeys(dst);
    PageInsertRaw(dst, at, e, sz);
    if (es[i].ptr == raw) newpos = const_cast<uint8_t*>(EntryPtr(dst, at));
  }
  if (landed) *landed = newpos;
  if (branch) {
    c->tree->branch_pages++;
  } else {
    c->tree->leaf_pages++;
  }
  env->pgop.split++;

  // Link the new page into the parent.
  std::vector<uint8_t> bnode(kNodeHeaderSize + sep.size() + 2);
  size_t bsz = MakeBranchNode(bnode.data(), Slice(sep.data(), sep.size()), rp->pgno);
  if (level == 0) {
    Page* root;
    EMDB_TRY(pages::Alloc(t, 1, &root));
    InitPage(root, root->pgno, kPageBranch, ps, t->txnid);
    uint8_t n0[kNodeHeaderSize + 2];
    size_t n0sz = MakeBranchNode(n0, Slice(), p->pgno);
    PageInsertRaw(root, 0, n0, n0sz);
    PageInsertRaw(root, 1, bnode.data(), bsz);
    c->tree->root = root->pgno;
    c->tree->height++;
    c->tree->branch_pages++;
    return 0;
  }
  Page* parent = c->pg[level - 1];
  unsigned pidx = c->ki[level - 1] + 1u;
  if (Fits(parent, ps, bsz)) {
    PageInsertRaw(parent, pidx, bnode.data(), bsz);
    return 0;
  }
  return SplitInsert(c, level - 1, pidx, bnode.data(), bsz, nullptr);
}

Status Insert(Cursor* c, Slice key, Slice data, uint16_t nflags, uint8_t** data_out, bool* split) {
  Txn* t = c->txn;
  Env* env = t->env;
  *split = false;
  if (data_out) *data_out = nullptr;
  if (c->tree->root == kInvalidPgno) {
    // Empty tree: a new root leaf.
    Page* p;
    EMDB_TRY(pages::Alloc(t, 1, &p));
    uint16_t kind = kPageLeaf;
    if (c->is_sub && (c->tflags & EMDB_DUPFIXED)) kind |= kPageDupfix;
    InitPage(p, p->pgno, kind, env->psize, t->txnid);
    if (kind & kPageDupfix) p->dupfix_ksize = uint16_t(key.size);
    c->tree->root = p->pgno;
    c->tree->height = 1;
    c->tree->leaf_pages++;
    c->pg[0] = p;
    c->ki[0] = 0;
    c->depth = 1;
    c->eof = false;
  }
  EMDB_ENSURE(c->depth > 0);
  int level = c->depth - 1;
  Page* p = c->pg[level];
  unsigned idx = c->ki[level];
  if (c->eof) idx = NumKeys(p);  // positioned past the end
  if (IsDupfix(p)) {
    if (key.size != p->dupfix_ksize) return EMDB_BAD_VALSIZE;
    if (Fits(p, env->psize, key.size)) {
      PageInsertRaw(p, idx, key.data, key.size);
      c->ki[level] = uint16_t(idx);
      c->eof = false;
    } else {
      EMDB_TRY(SplitInsert(c, level, idx, key.data, key.size, nullptr));
      *split = true;
    }
    c->tree->items++;
    return 0;
  }

  // Build the node image.
  size_t dbytes = data.size;
  const void* dsrc = data.data;
  uint64_t large_pgno = 0;
  uint8_t* large_data = nullptr;
  if ((nflags & (kNodeDup | kNodeTree)) == 0 && NeedsLarge(env, key.size, data.size)) {
    unsigned np = LargePages(env, data.size);
    Page* lp;
    EMDB_TRY(pages::Alloc(t, np, &lp));
    lp->flags = kPageLarge;
    lp->large_count = np;
    lp->lower = lp->upper = 0;
    lp->dupfix_ksize = 0;
    large_data = PageData(lp);
    if (data.data) std::memcpy(large_data, data.data, data.size);
    large_pgno = lp->pgno;
    c->tree->large_pages += np;
    nflags |= kNodeBig;
    dbytes = 8;
    dsrc = &large_pgno;
  }
  uint8_t stackbuf[512];
  std::unique_ptr<uint8_t[]> heapbuf;
  size_t need = LeafSize(key.size, dbytes);
  uint8_t* buf = stackbuf;
  if (need > sizeof(stackbuf)) {
    heapbuf.reset(new uint8_t[need]);
    buf = heapbuf.get();
  }
  size_t sz = MakeLeafNode(buf, key, uint32_t(data.size), nflags, dsrc, dbytes);
  uint8_t* node;
  if (Fits(p, env->psize, sz)) {
    PageInsertRaw(p, idx, buf, sz);
    c->ki[level] = uint16_t(idx);
    c->eof = false;
    node = NodeAt(p, idx);
  } else {
    EMDB_TRY(SplitInsert(c, level, idx, buf, sz, &node));
    *split = true;
  }
  c->tree->items++;
  if (data_out) *data_out = large_data ? large_data : NodeData(node);
  return 0;
}

static Status FreeLarge(Txn* t, const uint8_t* node, TreeRecord* tree) {
  Page* lp;
  pgno_t pg = Load64(NodeData(node));
  EMDB_TRY(pages::Get(t, pg, &lp));
  if (!IsLarge(lp) || lp->large_count == 0) return EMDB_CORRUPTED;
  unsigned n = lp->large_count;
  pages::Free(t, pg, n);
  if (tree) tree->large_pages -= n;
  return 0;
}

static void StripFirstKey(Page* p) {
  const uint8_t* n0 = NodeAt(p, 0);
  if (NodeKsize(n0) == 0) return;
  pgno_t child = NodeChild(n0);
  PageDeleteRaw(p, 0);
  uint8_t buf[kNodeHeaderSize + 2];
  size_t sz = MakeBranchNode(buf, Slice(), child);
  PageInsertRaw(p, 0, buf, sz);
}

static Status Rebalance(Cursor* c, int level) {
  Txn* t = c->txn;
  Env* env = t->env;
  size_t ps = env->psize;
  Page* p = c->pg[level];
  unsigned n = NumKeys(p);
  if (level == 0) {
    if (IsLeaf(p) && n == 0) {
      pages::Free(t, p->pgno, 1);
      c->tree->root = kInvalidPgno;
      c->tree->height = 0;
      c->tree->leaf_pages--;
      c->depth = 0;
    } else if (IsBranch(p) && n == 1) {
      pgno_t child = NodeChild(NodeAt(p, 0));
      pages::Free(t, p->pgno, 1);
      c->tree->root = child;
      c->tree->height--;
      c->tree->branch_pages--;
      for (int l = 0; l + 1 < c->depth; l++) {
        c->pg[l] = c->pg[l + 1];
        c->ki[l] = c->ki[l + 1];
      }
      c->depth--;
    }
    return 0;
  }
  size_t room = PageRoom(ps);
  size_t used = UsedBytes(p, ps);
  size_t threshold = room * env->opt_merge_threshold / 65536;
  if (n > 0 && used >= threshold) return 0;

  Page* parent = c->pg[level - 1];
  unsigned pi = c->ki[level - 1];
  if (n == 0) {
    pages::Free(t, p->pgno, 1);
    if (IsBranch(p)) {
      c->tree->branch_pages--;
    } else {
      c->tree->leaf_pages--;
    }
    PageDeleteRaw(parent, pi);
    if (NumKeys(parent) > 0 && pi == 0) StripFirstKey(parent);
    c->depth = level;
    c->ki[level - 1] = uint16_t(pi > 0 ? pi - 1 : 0);
    if (NumKeys(parent) == 0) {
      // The parent lost its only child: it is empty too.
      return Rebalance(c, level - 1);
    }
    return Rebalance(c, level - 1);
  }
  unsigned pn = NumKeys(parent);
  if (pn < 2) return 0;
  unsigned li = pi > 0 ? pi - 1 : 0;
  unsigned ri = li + 1;
  Page* left;
  Page* right;
  if (pi > 0) {
    EMDB_TRY(LoadPage(c, NodeChild(NodeAt(parent, li)), &left));
    right = p;
  } else {
    left = p;
    EMDB_TRY(LoadPage(c, NodeChild(NodeAt(parent, ri)), &right));
  }
  bool branch = IsBranch(left);
  if (branch != IsBranch(right) || IsDupfix(left) != IsDupfix(right)) return EMDB_CORRUPTED;
  size_t extra = 0;
  Slice sepkey = KeyAt(parent, ri);
  if (branch) extra = EvenUp(kNodeHeaderSize + sepkey.size) - BranchNodeBytes(NodeAt(right, 0));
  if (UsedBytes(left, ps) + UsedBytes(right, ps) + extra > room) return 0;
  // Make the left page ours.
  if (!(pages::IsOwnDirty(t, left->pgno) && t->dirty.Find(left->pgno) == left)) {
    Page* nl;
    EMDB_TRY(pages::Touch(t, left, &nl));
    if (nl->pgno != left->pgno) SetNodeChild(NodeAt(parent, li), nl->pgno);
    left = nl;
  }
  unsigned rn = NumKeys(right);
  std::vector<uint8_t> tmp;
  for (unsigned i = 0; i < rn; i++) {
    const uint8_t* e = EntryPtr(right, i);
    size_t sz = EntryBytes(right, i);
    if (branch && i == 0) {
      tmp.resize(kNodeHeaderSize + sepkey.size + 2);
      sz = MakeBranchNode(tmp.data(), sepkey, NodeChild(e));
      e = tmp.data();
    }
    PageInsertRaw(left, NumKeys(left), e, sz);
  }
  pages::Free(t, right->pgno, 1);
  if (branch) {
    c->tree->branch_pages--;
  } else {
    c->tree->leaf_pages--;
  }
  PageDeleteRaw(parent, ri);
  env->pgop.merge++;
  c->depth = level;
  c->ki[level - 1] = uint16_t(li);
  return Rebalance(c, level - 1);
}

Status Delete(Cursor* c) {
  if (!OnEntry(c)) return EMDB_NOTFOUND;
  Txn* t = c->txn;
  int level = c->depth - 1;
  Page* p = c->pg[level];
  unsigned idx = c->ki[level];
  if (!IsDupfix(p)) {
    const uint8_t* node = NodeAt(p, idx);
    if (NodeFlags(node) & kNodeBig) EMDB_TRY(FreeLarge(t, node, c->tree));
  }
  PageDeleteRaw(p, idx);
  c->tree->items--;
  if (c->subpage != nullptr) return 0;  // sub-pages are rebuilt by the caller
  return Rebalance(c, level);
}

Status FreeTree(Txn* t, const TreeRecord& rec, bool dupsort) {
  if (rec.root == kInvalidPgno) return 0;
  std::vector<pgno_t> stack{rec.root};
  while (!stack.empty()) {
    pgno_t pg = stack.back();
    stack.pop_back();
    Page* p;
    EMDB_TRY(pages::Get(t, pg, &p));
    unsigned n = NumKeys(p);
    if (IsBranch(p)) {
      for (unsigned i = 0; i < n; i++) stack.push_back(NodeChild(NodeAt(p, i)));
    } else if (IsLeaf(p) && !IsDupfix(p)) {
      for (unsigned i = 0; i < n; i++) {
        const uint8_t* node = NodeAt(p, i);
        uint16_t f = NodeFlags(node);
        if (f & kNodeBig) EMDB_TRY(FreeLarge(t, node, nullptr));
        if (dupsort && (f & kNodeDup) && (f & kNodeTree)) {
          TreeRecord sub = DecodeTree(NodeData(node));
          EMDB_TRY(FreeTree(t, sub, false));
        }
      }
    } else if (!IsLeaf(p)) {
      return EMDB_CORRUPTED;
    }
    pages::Free(t, pg, 1);
  }
  return 0;
}

}  // namespace emdb::bt
