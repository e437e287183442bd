// engine/btree/estimate.cpp — see estimate.hpp.
#include "btree/estimate.hpp"

#include <algorithm>
#include <cmath>

#include "btree/tree.hpp"

namespace emdb::bt {

using namespace format;

size_t ValuesOfNode(const uint8_t* node) {
  uint16_t nf = NodeFlags(node);
  if (!(nf & kNodeDup)) return 1;
  if (nf & kNodeTree) return size_t(DecodeTree(NodeData(node)).items);
  return NumKeys(reinterpret_cast<const Page*>(NodeData(node) - kSubpageSkip));
}

namespace {

// The main tree of a DUPSORT table: a leaf entry stands for all the values of its key.
bool Weighted(const Cursor* c) { return !c->is_sub && (c->tflags & EMDB_DUPSORT) != 0; }

// Leaf index of a position: an eof cursor is one past the last entry of its (last) leaf.
unsigned LeafIndex(const Cursor* c) {
  const Page* p = c->pg[c->depth - 1];
  return c->eof ? NumKeys(p) : c->ki[c->depth - 1];
}

double SubRank(const Cursor* s);

// Entries of a cursor's leaf: in total, and before the position (for a DUPSORT main tree,
// values, including the values of the current key before the sub-cursor's position).
struct LeafPart {
  double before = 0;
  double total = 0;
};

LeafPart LeafOf(const Cursor* c) {
  const Page* p = c->pg[c->depth - 1];
  unsigned n = NumKeys(p);
  unsigned ki = LeafIndex(c);
  LeafPart r;
  if (!Weighted(c) || IsDupfix(p)) {
    r.before = ki;
    r.total = n;
    return r;
  }
  double current = 0;
  for (unsigned j = 0; j < n; j++) {
    double v = double(ValuesOfNode(NodeAt(p, j)));
    if (j < ki) r.before += v;
    if (j == ki) current = v;
    r.total += v;
  }
  if (ki < n && c->sub_active) r.before += std::min(SubRank(c->sub.get()), current);
  return r;
}

// Mean number of entries under one page at each level (m[0] = the whole tree); a and b are the
// two paths (the same cursor for a rank).
void LevelMeans(const Cursor* a, const Cursor* b, int height, double* m) {
  const TreeRecord& rec = *a->tree;
  const double n = double(rec.items);
  m[0] = n;
  if (height < 2) return;
  const double root_entries = double(NumKeys(a->pg[0]));
  m[1] = n / root_entries;
  if (height == 2) return;
  const int leaf = height - 1;
  if (Weighted(a)) {
    // The page counters of a DUPSORT table include its sub-trees: go down from the exact mean of
    // level 1 with the fan-out of the path pages.
    for (int l = 1; l < leaf; l++) {
      const double fanout = (double(NumKeys(a->pg[l])) + double(NumKeys(b->pg[l]))) / 2;
      m[l + 1] = m[l] / fanout;
    }
    return;
  }
  m[leaf] = rec.leaf_pages > 0 ? n / double(rec.leaf_pages) : 1.0;
  if (height == 3) return;
  if (height == 4 && rec.branch_pages > 1 + uint64_t(root_entries)) {
    m[2] = n / double(rec.branch_pages - 1 - uint64_t(root_entries));
    return;
  }
  // Unknown page counts: interpolate geometrically between level 1 and the leaves.
  const double ratio = m[leaf] / m[1];
  for (int l = 2; l < leaf; l++) m[l] = m[1] * std::pow(ratio, double(l - 1) / double(leaf - 1));
}

// Rank of a sub-cursor's position inside its duplicate set (a plain tree).
double SubRank(const Cursor* s) {
  if (s->depth == 0) return 0;
  if (s->eof) return double(s->tree->items);
  const int h = s->depth;
  double m[kMaxDepth];
  LevelMeans(s, s, h, m);
  const unsigned leaf_ki = LeafIndex(s);
  double r = leaf_ki;
  for (int l = 0; l + 1 < h; l++) r += double(s->ki[l]) * m[l + 1];
  // Keep an estimate inside the set: a position on a value is before the last one.
  const double items = double(s->tree->items);
  const bool on_value = leaf_ki < NumKeys(s->pg[h - 1]);
  return std::min(r, on_value ? items - 1 : items);
}

Status TreeDistance(const Cursor* f, const Cursor* l, double* out) {
  *out = 0;
  const int h = f->depth;
  if (h <= 0 || l->depth != h || f->pg[0] != l->pg[0]) return EMDB_PROBLEM;
  // The first level where the paths part.
  int d = 0;
  for (; d < h; d++) {
    if (f->pg[d] != l->pg[d]) return EMDB_PROBLEM;
    unsigned fi = d + 1 == h ? LeafIndex(f) : f->ki[d];
    unsigned li = d + 1 == h ? LeafIndex(l) : l->ki[d];
    if (fi != li) break;
  }
  if (d == h) {
    // Same leaf entry (or both past the end).
    if (!Weighted(f) || LeafIndex(f) >= NumKeys(f->pg[h - 1])) return 0;
    if (f->sub_active && l->sub_active) return TreeDistance(f->sub.get(), l->sub.get(), out);
    double fr = f->sub_active ? SubRank(f->sub.get()) : 0;
    double lr = l->sub_active ? SubRank(l->sub.get()) : 0;
    *out = lr - fr;
    return 0;
  }
  const LeafPart fp = LeafOf(f), lp = LeafOf(l);
  if (d == h - 1) {
    *out = lp.before - fp.before;  // one leaf: exact
    return 0;
  }
  // Parted at branch level d: a is the earlier position, b the later one.
  const bool forward = l->ki[d] > f->ki[d];
  const Cursor* a = forward ? f : l;
  const Cursor* b = forward ? l : f;
  const LeafPart& ap = forward ? fp : lp;
  const LeafPart& bp = forward ? lp : fp;
  double m[kMaxDepth];
  LevelMeans(a, b, h, m);
  double tail = ap.total - ap.before;
  double head = bp.before;
  for (int lv = d + 1; lv + 1 < h; lv++) {
    tail += double(NumKeys(a->pg[lv]) - 1u - a->ki[lv]) * m[lv + 1];
    head += double(b->ki[lv]) * m[lv + 1];
  }
  double mid = double(b->ki[d] - a->ki[d] - 1) * m[d + 1];
  double dist = tail + mid + head;
  *out = forward ? dist : -dist;
  return 0;
}

}  // namespace

Status EstimateDistance(const Cursor* first, const Cursor* last, ptrdiff_t* out) {
  *out = 0;
  double dist = 0;
  EMDB_TRY(TreeDistance(first, last, &dist));
  const double n = double(first->tree->items);
  if (dist > n) dist = n;
  if (dist < -n) dist = -n;
  *out = ptrdiff_t(std::llround(dist));
  return 0;
}

Status EstimateSeek(Cursor* c, Slice key, const Slice* data) {
  c->stale = false;
  c->sub_active = false;
  bool exact = false;
  EMDB_TRY(SeekForInsert(c, key, &exact));
  if (!exact && c->depth > 0 && c->ki[c->depth - 1] >= NumKeys(c->pg[c->depth - 1])) {
    // Past the end of the leaf the descent reached: the position is the next leaf's first
    // entry. Moving there (the page a point lookup would read too) keeps two positions that are
    // neighbours in the table on neighbouring paths, where the distance is exact, instead of
    // counting a whole leaf between them at its level's mean size.
    c->ki[c->depth - 1] = uint16_t(NumKeys(c->pg[c->depth - 1]) - 1);
    Status rc = Next(c);
    if (rc != 0 && rc != EMDB_NOTFOUND) return rc;  // NOTFOUND: eof, one past the last entry
    return 0;
  }
  if (!exact || data == nullptr || !(c->tflags & EMDB_DUPSORT)) return 0;
  const uint8_t* node = CurrentNode(c);
  SubInit(c, node);
  if (!c->sub_active) {
    // A single value: the position is before it, or after the key when it is smaller.
    Slice v(NodeData(node), NodeDsize(node));
    if (c->dcmp(v, *data) < 0) c->ki[c->depth - 1]++;
    return 0;
  }
  bool ex2 = false;
  Status rc = SeekForInsert(c->sub.get(), *data, &ex2);
  return rc == EMDB_NOTFOUND ? EMDB_CORRUPTED : rc;  // a stored duplicate set is never empty
}

void PairInit(CursorPair* p, Txn* t, EMDB_dbi dbi) { CursorInit(&p->outer, t, dbi, true); }

void PairCopyPosition(CursorPair* p, const Cursor* src) {
  Cursor* d = &p->outer;
  for (int i = 0; i < src->depth; i++) {
    d->pg[i] = src->pg[i];
    d->ki[i] = src->ki[i];
  }
  d->depth = src->depth;
  d->eof = src->eof;
  d->after_del = src->after_del;
  d->stale = false;
  d->sub_active = src->sub_active;
  d->subrec = src->subrec;
  if (src->sub && (d->tflags & EMDB_DUPSORT)) {
    Cursor* ds = &p->inner;
    const Cursor* ss = src->sub.get();
    for (int i = 0; i < ss->depth; i++) {
      ds->pg[i] = ss->pg[i];
      ds->ki[i] = ss->ki[i];
    }
    ds->depth = ss->depth;
    ds->eof = ss->eof;
    ds->after_del = ss->after_del;
    ds->subpage = ss->subpage;
    ds->subpage_size = ss->subpage_size;
    ds->tree = &d->subrec;
  }
}

}  // namespace emdb::bt
