// engine/check/walk.cpp — see walk.hpp. Everything read from a page is validated first (W1).
#include "check/walk.hpp"

#include <cstdarg>
#include <cstdio>

namespace emdb::check {

using namespace format;

namespace {

const char* KindName(EMDB_chk_class_t c) {
  switch (c) {
    case EMDB_CHK_META:
      return "meta";
    case EMDB_CHK_PAGE_RANGE:
      return "page-range";
    case EMDB_CHK_PAGE_DOUBLE:
      return "page-double";
    case EMDB_CHK_PAGE_LOST:
      return "page-lost";
    case EMDB_CHK_PAGE_HEADER:
      return "page-header";
    case EMDB_CHK_KEY_ORDER:
      return "key-order";
    case EMDB_CHK_SEPARATOR:
      return "separator";
    case EMDB_CHK_DEPTH:
      return "depth";
    case EMDB_CHK_LARGE:
      return "large";
    case EMDB_CHK_DUPSORT:
      return "dupsort";
    case EMDB_CHK_TABLE_RECORD:
      return "table-record";
    case EMDB_CHK_GC:
      return "gc";
    case EMDB_CHK_IO:
      return "io";
    default:
      return "unknown";
  }
}

const char* OwnerCodeName(uint8_t o) {
  switch (o) {
    case kOwnMeta:
      return "a meta";
    case kOwnTree:
      return "a tree";
    case kOwnGcList:
      return "a GC record";
    default:
      return "nothing";
  }
}

bool IsInteger(CmpFn f) { return f == CmpInteger; }

}  // namespace

std::string Printable(const void* data, size_t size) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  std::string s;
  size_t n = size < 64 ? size : 64;
  for (size_t i = 0; i < n; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '\'') {
      s.push_back(char(p[i]));
    } else {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02x", p[i]);
      s += b;
    }
  }
  if (n < size) s += "...";
  return s;
}

std::string OwnerLabel(const EMDB_val* table) {
  if (table == EMDB_PGWALK_MAIN) return "main tree";
  if (table == EMDB_PGWALK_GC) return "GC tree";
  if (table == EMDB_PGWALK_META) return "meta";
  return "table '" + Printable(table->iov_base, table->iov_len) + "'";
}

const char* ChkClassName(EMDB_chk_class_t c) { return KindName(c); }

const Page* PageView::Get(pgno_t pg, uint64_t n) const {
  if (n == 0) return nullptr;
  if (dirty != nullptr) {
    for (const Txn* x = dirty; x != nullptr; x = x->parent) {
      if (Page* p = x->dirty.Find(pg)) return p;
    }
  }
  if (pg >= readable || n > readable - pg) return nullptr;
  return reinterpret_cast<const Page*>(base + size_t(pg) * psize);
}

struct Walker::Tree {
  enum Kind { kGc, kMain, kTable, kSub } kind = kMain;
  const EMDB_val* name = EMDB_PGWALK_MAIN;
  CmpFn cmp = CmpLex;
  CmpFn dcmp = CmpLex;
  uint16_t tflags = 0;
  uint32_t dupfix = 0;  // DUPFIXED sub-tree: the value size (0: not known yet)
  TreeCount count;
  Slice prev;
  bool have_prev = false;
  pgno_t prev_pg = 0;
  int leaf_level = -1;
  bool depth_reported = false;
};

Walker::Walker(const PageView& view, bool check_order) : v_(view), check_order_(check_order) {
  pgno_t n = v_.next_pgno;
  if (v_.dirty == nullptr && n > v_.readable) n = v_.readable;
  owners_.assign(size_t(n), kFree);
}

int Walker::Problem(EMDB_chk_class_t cls, pgno_t pg, const EMDB_val* table, const char* fmt, ...) {
  problems[cls]++;
  problems_total++;
  if (problem_ == nullptr || stop_) return stop_;
  char body[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(body, sizeof(body), fmt, ap);
  va_end(ap);
  std::string msg;
  if (table == EMDB_PGWALK_META) {
    msg = body;
  } else if (pg != kInvalidPgno) {
    msg = "page " + std::to_string(pg) + " (" + OwnerLabel(table) + "): " + body;
  } else {
    msg = OwnerLabel(table) + ": " + body;
  }
  msg = std::string("[") + KindName(cls) + "] " + msg;
  stop_ = problem_(problem_ctx_, cls, pg == kInvalidPgno ? 0 : pg, table, msg.c_str());
  return stop_;
}

void Walker::Visit(pgno_t pg, unsigned npages, pgno_t parent, const EMDB_val* table, int depth,
                   EMDB_page_type_t type, size_t n, size_t payload, size_t header, size_t unused) {
  if (visitor_ == nullptr || stop_) return;
  stop_ =
      visitor_(visitor_ctx_, pg, npages, parent, table, depth, type, n, payload, header, unused);
}

bool Walker::Claim(pgno_t pg, uint64_t n, uint8_t owner, const EMDB_val* table, const char* what,
                   pgno_t from) {
  const pgno_t fromr = from == kInvalidPgno ? 0 : from;
  if (pg < kNumMetas && owner != kOwnMeta) {
    Problem(EMDB_CHK_PAGE_RANGE, from, table, "%s %llu (linked from page %llu) is a meta page",
            what, (unsigned long long)pg, (unsigned long long)fromr);
    return false;
  }
  if (pg >= owners_.size() || n > owners_.size() - pg) {
    if (owner == kOwnGcList && pg >= v_.readable && pg < v_.next_pgno) {
      // A free page past the end of a truncated file holds no data: the truncation itself is
      // the problem, reported once by the check.
      return false;
    }
    if (pg < v_.next_pgno && n <= v_.next_pgno - pg) {
      Problem(EMDB_CHK_PAGE_RANGE, from, table,
              "%s %llu+%llu (linked from page %llu) lies beyond the end of the file (%llu "
              "readable pages)",
              what, (unsigned long long)pg, (unsigned long long)n, (unsigned long long)fromr,
              (unsigned long long)v_.readable);
    } else {
      Problem(EMDB_CHK_PAGE_RANGE, from, table,
              "%s %llu+%llu (linked from page %llu) is beyond the allocated pages (next_pgno "
              "%llu)",
              what, (unsigned long long)pg, (unsigned long long)n, (unsigned long long)fromr,
              (unsigned long long)v_.next_pgno);
    }
    return false;
  }
  bool first_ok = true;
  if (progress_ && problem_ != nullptr && !stop_ && ((claimed_ + n) >> 14) != (claimed_ >> 14)) {
    stop_ = problem_(problem_ctx_, EMDB_CHK_CLASS_COUNT, claimed_ + n, nullptr, nullptr);
  }
  claimed_ += n;
  for (uint64_t i = 0; i < n; i++) {
    uint8_t& o = owners_[size_t(pg + i)];
    if (o != kFree) {
      Problem(EMDB_CHK_PAGE_DOUBLE, pg + i, table,
              "used twice: as %s (linked from page %llu) and before by %s", what,
              (unsigned long long)fromr, OwnerCodeName(o));
      if (i == 0) first_ok = false;
      continue;
    }
    o = owner;
  }
  return first_ok;
}

int Walker::Run(const TreeRecord& gc, const TreeRecord& main) {
  for (pgno_t i = 0; i < kNumMetas && i < owners_.size(); i++) owners_[size_t(i)] = kOwnMeta;
  for (pgno_t i = 0; i < kNumMetas; i++) {
    Visit(i, 1, kInvalidPgno, EMDB_PGWALK_META, 0, EMDB_page_meta, 1, kMetaSize, kPageHeaderSize,
          v_.psize - kPageHeaderSize - kMetaSize);
  }
  Tree g;
  g.kind = Tree::kGc;
  g.name = EMDB_PGWALK_GC;
  WalkTree(g, gc, kInvalidPgno, 0);
  gc_count = g.count;
  if (!stop_) CompareCounts(g, gc, g.count, false);
  if (stop_) return stop_;
  if (gc_only_) return 0;
  Tree m;
  m.kind = Tree::kMain;
  m.name = EMDB_PGWALK_MAIN;
  m.tflags = main.flags;
  m.cmp = KeyComparator(main.flags);
  m.dcmp = DupComparator(main.flags);
  WalkTree(m, main, kInvalidPgno, 0);
  main_count = m.count;
  if (!stop_) CompareCounts(m, main, m.count, false);
  return stop_;
}

void Walker::CompareCounts(const Tree& tr, const TreeRecord& rec, const TreeCount& c, bool sub) {
  const EMDB_chk_class_t cls = sub ? EMDB_CHK_DUPSORT : EMDB_CHK_TABLE_RECORD;
  const char* what = sub ? "sub-tree record" : "record";
  struct {
    const char* name;
    uint64_t rec, seen;
  } f[] = {{"branch pages", rec.branch_pages, c.branch},
           {"leaf pages", rec.leaf_pages, c.leaf},
           {"large pages", rec.large_pages, c.large},
           {"entries", rec.items, c.items},
           {"height", rec.height, c.height}};
  for (auto& x : f) {
    if (x.rec != x.seen) {
      Problem(cls, kInvalidPgno, tr.name, "%s says %llu %s, the walk found %llu", what,
              (unsigned long long)x.rec, x.name, (unsigned long long)x.seen);
    }
  }
  if (rec.mod_txnid > v_.txnid) {
    Problem(cls, kInvalidPgno, tr.name, "%s was modified by txn %llu, newer than the snapshot %llu",
            what, (unsigned long long)rec.mod_txnid, (unsigned long long)v_.txnid);
  }
}

int Walker::WalkTree(Tree& tr, const TreeRecord& rec, pgno_t parent, int depth0) {
  if (rec.root == kInvalidPgno) return stop_;
  WalkPage(tr, rec.root, parent, 0, depth0, nullptr, nullptr);
  return stop_;
}

bool Walker::CheckNodes(Tree& tr, const Page* p, pgno_t pg, size_t room, bool branch) {
  const unsigned n = NumKeys(p);
  const size_t lower = p->lower, upper = p->upper;
  if ((lower & 1) || lower > upper || upper > room) {
    Problem(EMDB_CHK_PAGE_HEADER, pg, tr.name,
            "bad bounds: lower %zu, upper %zu, room %zu (want lower even <= upper <= room)", lower,
            upper, room);
    return false;
  }
  const uint8_t* d = PageData(p);
  size_t sum = 0;
  for (unsigned i = 0; i < n; i++) {
    const size_t off = SlotOffset(p, i);
    if (off < upper || off + kNodeHeaderSize > room || (off & 1)) {
      Problem(EMDB_CHK_PAGE_HEADER, pg, tr.name,
              "slot %u points at offset %zu, outside the node area [%zu, %zu) or odd", i, off,
              upper, room);
      return false;
    }
    const uint8_t* node = d + off;
    size_t sz;
    if (branch) {
      sz = BranchNodeBytes(node);
    } else {
      const uint16_t f = NodeFlags(node);
      sz = LeafSize(NodeKsize(node), (f & kNodeBig) ? sizeof(uint64_t) : NodeDsize(node));
    }
    if (sz > room - off) {
      Problem(EMDB_CHK_PAGE_HEADER, pg, tr.name,
              "node %u at offset %zu takes %zu bytes, past the end of the page (%zu)", i, off, sz,
              room);
      return false;
    }
    sum += sz;
  }
  if (sum != room - upper) {
    Problem(EMDB_CHK_PAGE_HEADER, pg, tr.name,
            "the nodes take %zu bytes but the node area holds %zu (overlapping nodes or a gap)",
            sum, room - upper);
  }
  return true;
}

bool Walker::CheckKeys(Tree& tr, const Page* p, pgno_t pg, size_t room, const Slice* lo,
                       const Slice* hi, bool leaf) {
  (void)room;
  const unsigned n = NumKeys(p);
  const unsigned first = leaf ? 0u : 1u;
  const size_t maxkey = (tr.kind == Tree::kSub || (tr.tflags & EMDB_DUPSORT))
                            ? MaxDupKeySize(v_.psize)
                            : MaxKeySize(v_.psize);
  const bool integer = IsInteger(tr.cmp);
  Slice prev;
  for (unsigned i = first; i < n; i++) {
    Slice k = KeyAt(p, i);
    if (k.size > maxkey && tr.kind != Tree::kSub) {
      Problem(EMDB_CHK_PAGE_HEADER, pg, tr.name, "key %u has %zu bytes, above the limit %zu", i,
              k.size, maxkey);
      return false;
    }
    if (!check_order_) continue;
    if (integer && k.size != 4 && k.size != 8) {
      Problem(EMDB_CHK_KEY_ORDER, pg, tr.name, "integer key %u has %zu bytes (want 4 or 8)", i,
              k.size);
      return false;
    }
    if (i > first && tr.cmp(prev, k) >= 0) {
      Problem(EMDB_CHK_KEY_ORDER, pg, tr.name, "keys %u and %u are out of order", i - 1, i);
      return false;
    }
    if (lo != nullptr && tr.cmp(k, *lo) < 0) {
      Problem(EMDB_CHK_SEPARATOR, pg, tr.name,
              "key %u sorts below the separator that leads to this page", i);
      return false;
    }
    if (hi != nullptr && tr.cmp(k, *hi) >= 0) {
      Problem(EMDB_CHK_SEPARATOR, pg, tr.name,
              "key %u does not sort below the next separator of the parent", i);
      return false;
    }
    prev = k;
  }
  if (leaf && check_order_ && n > 0) {
    Slice k0 = KeyAt(p, 0);
    if (tr.have_prev && tr.cmp(tr.prev, k0) >= 0) {
      Problem(EMDB_CHK_KEY_ORDER, pg, tr.name,
              "first key does not sort above the last key of the previous leaf, page %llu",
              (unsigned long long)tr.prev_pg);
    }
    tr.prev = KeyAt(p, n - 1);
    tr.have_prev = true;
    tr.prev_pg = pg;
  }
  return true;
}

void Walker::WalkPage(Tree& tr, pgno_t pg, pgno_t parent, unsigned level, int depth0,
                      const Slice* lo, const Slice* hi) {
  if (stop_) return;
  const int depth = depth0 + int(level);
  if (level >= kMaxDepth) {
    Problem(EMDB_CHK_DEPTH, parent, tr.name, "tree deeper than %u levels", kMaxDepth);
    return;
  }
  if (!Claim(pg, 1, kOwnTree, tr.name, "page", parent)) return;
  const Page* p = v_.Get(pg, 1);
  if (p == nullptr) {
    Problem(EMDB_CHK_PAGE_RANGE, pg, tr.name, "cannot be read (beyond the end of the map/file)");
    return;
  }
  const size_t room = PageRoom(v_.psize);
  const uint16_t f = p->flags;
  const bool sub_dupfix = tr.kind == Tree::kSub && (tr.tflags & EMDB_DUPFIXED);
  char why[200];
  auto broken = [&](EMDB_chk_class_t cls) {
    Problem(cls, pg, tr.name, "%s", why);
    Visit(pg, 1, parent, tr.name, depth, EMDB_page_broken, 0, 0, kPageHeaderSize, 0);
  };
  if (p->pgno != pg) {
    std::snprintf(why, sizeof(why), "header names page %llu (linked from page %llu)",
                  (unsigned long long)p->pgno,
                  (unsigned long long)(parent == kInvalidPgno ? 0 : parent));
    broken(EMDB_CHK_PAGE_HEADER);
    return;
  }
  const bool branch = f == kPageBranch;
  const bool leaf = sub_dupfix ? f == (kPageLeaf | kPageDupfix) : f == kPageLeaf;
  if (!branch && !leaf) {
    std::snprintf(why, sizeof(why), "wrong page kind 0x%x (want branch 0x%x or leaf 0x%x)", f,
                  unsigned(kPageBranch),
                  unsigned(sub_dupfix ? (kPageLeaf | kPageDupfix) : kPageLeaf));
    broken(EMDB_CHK_PAGE_HEADER);
    return;
  }
  if (p->large_count != 0) {
    std::snprintf(why, sizeof(why), "large_count %u on a %s page", p->large_count,
                  branch ? "branch" : "leaf");
    broken(EMDB_CHK_PAGE_HEADER);
    return;
  }
  if (p->txnid > v_.txnid) {
    std::snprintf(why, sizeof(why), "written by txn %llu, newer than the snapshot %llu",
                  (unsigned long long)p->txnid, (unsigned long long)v_.txnid);
    broken(EMDB_CHK_PAGE_HEADER);
    return;
  }
  const unsigned n = NumKeys(p);
  if (n == 0) {
    std::snprintf(why, sizeof(why), "empty %s page", branch ? "branch" : "leaf");
    broken(EMDB_CHK_PAGE_HEADER);
    return;
  }
  if (branch) tr.count.branch++;
  if (leaf) tr.count.leaf++;
  if (leaf && (f & kPageDupfix)) {
    const size_t ks = p->dupfix_ksize;
    if ((p->lower & 1) || size_t(n) * ks > room || ks == 0) {
      std::snprintf(why, sizeof(why), "DUPFIXED leaf of %u keys of %zu bytes does not fit", n, ks);
      broken(EMDB_CHK_PAGE_HEADER);
      return;
    }
    if (tr.dupfix != 0 && ks != tr.dupfix) {
      Problem(EMDB_CHK_DUPSORT, pg, tr.name, "DUPFIXED key size %zu, the sub-tree says %u", ks,
              tr.dupfix);
    }
  } else if (!CheckNodes(tr, p, pg, room, branch)) {
    Visit(pg, 1, parent, tr.name, depth, EMDB_page_broken, n, 0, kPageHeaderSize, 0);
    return;
  }
  if (leaf) {
    if (tr.leaf_level < 0) {
      tr.leaf_level = int(level);
      tr.count.height = level + 1;
    } else if (tr.leaf_level != int(level) && !tr.depth_reported) {
      tr.depth_reported = true;
      Problem(EMDB_CHK_DEPTH, pg, tr.name, "leaf at level %u, other leaves are at level %d", level,
              tr.leaf_level);
      if (level + 1 > tr.count.height) tr.count.height = level + 1;
    }
  }
  if (branch && NodeKsize(NodeAt(p, 0)) != 0) {
    Problem(EMDB_CHK_PAGE_HEADER, pg, tr.name, "entry 0 of a branch has a %u-byte key (want 0)",
            NodeKsize(NodeAt(p, 0)));
  }
  if (branch && level == 0 && n < 2) {
    Problem(EMDB_CHK_PAGE_HEADER, pg, tr.name, "branch root with %u entry (want at least 2)", n);
  }
  const bool keys_ok = CheckKeys(tr, p, pg, room, lo, hi, leaf);
  if (f & kPageDupfix) {
    const size_t used = size_t(n) * p->dupfix_ksize;
    Visit(pg, 1, parent, tr.name, depth, EMDB_page_dupfix_leaf, n, used, kPageHeaderSize,
          room - used);
    tr.count.items += n;
    return;
  }
  Visit(pg, 1, parent, tr.name, depth, branch ? EMDB_page_branch : EMDB_page_leaf, n,
        room - p->upper, kPageHeaderSize + p->lower, size_t(p->upper) - p->lower);
  if (stop_) return;
  if (leaf) {
    LeafNodes(tr, p, pg, level, depth0);
    return;
  }
  for (unsigned i = 0; i < n && !stop_; i++) {
    const uint8_t* node = NodeAt(p, i);
    Slice klo, khi;
    const Slice* clo = lo;
    const Slice* chi = hi;
    if (keys_ok && i > 0) {
      klo = KeyAt(p, i);
      clo = &klo;
    }
    if (keys_ok && i + 1 < n) {
      khi = KeyAt(p, i + 1);
      chi = &khi;
    }
    WalkPage(tr, NodeChild(node), pg, level + 1, depth0, check_order_ ? clo : nullptr,
             check_order_ ? chi : nullptr);
  }
}

void Walker::LargeRun(Tree& tr, pgno_t leaf, const uint8_t* data, size_t dbytes, uint32_t vsize,
                      unsigned level, int depth0, Slice* value_out) {
  if (dbytes < sizeof(uint64_t)) return;
  const pgno_t lpg = Load64(data);
  const uint64_t need = (kPageHeaderSize + uint64_t(vsize) + v_.psize - 1) / v_.psize;
  if (!Claim(lpg, 1, kOwnTree, tr.name, "large page", leaf)) return;
  const Page* lp = v_.Get(lpg, 1);
  if (lp == nullptr) {
    Problem(EMDB_CHK_PAGE_RANGE, lpg, tr.name, "large page cannot be read (beyond the file)");
    return;
  }
  const int depth = depth0 + int(level) + 1;
  if (lp->flags != kPageLarge || lp->pgno != lpg) {
    Problem(EMDB_CHK_LARGE, lpg, tr.name,
            "not the start of a large run (kind 0x%x, header names page %llu; linked from leaf "
            "%llu)",
            lp->flags, (unsigned long long)lp->pgno, (unsigned long long)leaf);
    Visit(lpg, 1, leaf, tr.name, depth, EMDB_page_broken, 0, 0, kPageHeaderSize, 0);
    tr.count.large++;
    return;
  }
  uint64_t n = lp->large_count;
  if (n != need) {
    Problem(EMDB_CHK_LARGE, lpg, tr.name,
            "large run of %llu pages, the %u-byte value needs %llu (linked from leaf %llu)",
            (unsigned long long)n, vsize, (unsigned long long)need, (unsigned long long)leaf);
    if (n < need) n = 1;  // the value does not fit: claim the head page only
  }
  if (lp->txnid > v_.txnid) {
    Problem(EMDB_CHK_LARGE, lpg, tr.name, "written by txn %llu, newer than the snapshot %llu",
            (unsigned long long)lp->txnid, (unsigned long long)v_.txnid);
  }
  if (n > 1 && !Claim(lpg + 1, n - 1, kOwnTree, tr.name, "large run page", leaf)) n = 1;
  tr.count.large += n;
  const Page* whole = n >= need ? v_.Get(lpg, n) : nullptr;
  Visit(lpg, unsigned(n), leaf, tr.name, depth, EMDB_page_large, 1, vsize, kPageHeaderSize,
        size_t(n) * v_.psize - kPageHeaderSize - (whole ? vsize : 0));
  if (whole != nullptr && value_out != nullptr) *value_out = Slice(PageData(whole), vsize);
}

void Walker::SubPage(Tree& tr, const uint8_t* data, size_t dsize, pgno_t pg, unsigned level,
                     int depth0, Slice key) {
  (void)key;
  if (dsize < kSubpageHeaderSize) {
    Problem(EMDB_CHK_DUPSORT, pg, tr.name, "sub-page of %zu bytes is shorter than its header",
            dsize);
    return;
  }
  const Page* sp = reinterpret_cast<const Page*>(data - kSubpageSkip);
  const size_t room = dsize - kSubpageHeaderSize;
  const bool fixed = (tr.tflags & EMDB_DUPFIXED) != 0;
  const uint16_t want = kPageLeaf | kPageSubpage | (fixed ? kPageDupfix : 0);
  if (sp->flags != want) {
    Problem(EMDB_CHK_DUPSORT, pg, tr.name, "sub-page of kind 0x%x (want 0x%x)", sp->flags, want);
    return;
  }
  const unsigned n = NumKeys(sp);
  Tree sub;
  sub.kind = Tree::kSub;
  sub.name = tr.name;
  sub.cmp = tr.dcmp;
  sub.dcmp = tr.dcmp;
  sub.tflags = tr.tflags;
  if (n == 0) {
    Problem(EMDB_CHK_DUPSORT, pg, tr.name, "empty sub-page");
    return;
  }
  size_t used;
  if (fixed) {
    const size_t ks = sp->dupfix_ksize;
    if ((sp->lower & 1) || size_t(n) * ks > room || ks == 0) {
      Problem(EMDB_CHK_DUPSORT, pg, tr.name,
              "DUPFIXED sub-page of %u values of %zu bytes "
              "does not fit its %zu bytes",
              n, ks, room);
      return;
    }
    used = size_t(n) * ks;
  } else {
    const uint64_t before = problems_total;
    if (!CheckNodes(sub, sp, pg, room, false)) return;
    for (unsigned i = 0; i < n; i++) {
      const uint8_t* node = NodeAt(sp, i);
      if (NodeFlags(node) != 0 || NodeDsize(node) != 0) {
        Problem(EMDB_CHK_DUPSORT, pg, tr.name, "sub-page node %u has flags 0x%x and %u data bytes",
                i, NodeFlags(node), NodeDsize(node));
        return;
      }
    }
    (void)before;
    used = room - sp->upper;
  }
  // Order problems inside a sub-page are DUPSORT problems: re-class them.
  const uint64_t order_before = problems[EMDB_CHK_KEY_ORDER];
  CheckKeys(sub, sp, pg, room, nullptr, nullptr, true);
  if (problems[EMDB_CHK_KEY_ORDER] != order_before) {
    Problem(EMDB_CHK_DUPSORT, pg, tr.name, "values of a sub-page are out of order");
  }
  tr.count.items += n;
  Visit(pg, 0, pg, tr.name, depth0 + int(level) + 1,
        fixed ? EMDB_subpage_dupfix_leaf : EMDB_subpage_leaf, n, used,
        kSubpageHeaderSize + (fixed ? 0 : sp->lower), room - used - (fixed ? 0 : sp->lower));
}

void Walker::SubTree(Tree& tr, const uint8_t* data, size_t dsize, pgno_t pg, unsigned level,
                     int depth0, Slice key) {
  (void)key;
  if (dsize != kDiskTreeSize) {
    Problem(EMDB_CHK_DUPSORT, pg, tr.name, "sub-tree record of %zu bytes (want %zu)", dsize,
            kDiskTreeSize);
    return;
  }
  TreeRecord rec = DecodeTree(data);
  Tree sub;
  sub.kind = Tree::kSub;
  sub.name = tr.name;
  sub.cmp = tr.dcmp;
  sub.dcmp = tr.dcmp;
  sub.tflags = tr.tflags;
  sub.dupfix = (tr.tflags & EMDB_DUPFIXED) ? rec.dupfix_size : 0;
  if (rec.flags != tr.tflags) {
    Problem(EMDB_CHK_DUPSORT, pg, tr.name, "sub-tree record has flags 0x%x, the table 0x%x",
            rec.flags, tr.tflags);
  }
  if (rec.root == kInvalidPgno) {
    Problem(EMDB_CHK_DUPSORT, pg, tr.name, "sub-tree record without a root");
    return;
  }
  WalkTree(sub, rec, pg, depth0 + int(level) + 1);
  CompareCounts(sub, rec, sub.count, true);
  tr.count.branch += sub.count.branch;
  tr.count.leaf += sub.count.leaf;
  tr.count.large += sub.count.large;
  tr.count.items += sub.count.items;
}

void Walker::NamedTable(Tree& /*main*/, Slice name, const uint8_t* data, size_t dsize, pgno_t pg) {
  EMDB_val nv{const_cast<uint8_t*>(name.data), name.size};
  if (dsize != kTableRecordSize) {
    Problem(EMDB_CHK_TABLE_RECORD, pg, &nv, "table record of %zu bytes (want %zu)", dsize,
            kTableRecordSize);
    return;
  }
  TreeRecord rec = DecodeTableRecord(data);
  if (override_txn_ != nullptr) {
    const Env* env = override_txn_->env;
    const unsigned nd = env->num_dbis.load(std::memory_order_acquire);
    for (unsigned i = kCoreDbs; i < nd && i < override_txn_->dbs.size(); i++) {
      const DbiInfo& di = env->dbis[i];
      const DbState& s = override_txn_->dbs[i];
      if (di.used && (s.state & kDbValid) && (s.state & kDbDirty) && di.name.size() == name.size &&
          (name.size == 0 || std::memcmp(di.name.data(), name.data, name.size) == 0)) {
        rec = s.rec;
        break;
      }
    }
  }
  tables++;
  Tree t;
  t.kind = Tree::kTable;
  t.name = &nv;
  t.tflags = rec.flags;
  t.cmp = KeyComparator(rec.flags);
  t.dcmp = DupComparator(rec.flags);
  if (rec.flags & ~kTableFlagsMask) {
    Problem(EMDB_CHK_TABLE_RECORD, pg, &nv, "unknown table flags 0x%x", rec.flags);
  }
  if (!(rec.flags & EMDB_DUPSORT) &&
      (rec.flags & (EMDB_DUPFIXED | EMDB_INTEGERDUP | EMDB_REVERSEDUP))) {
    Problem(EMDB_CHK_TABLE_RECORD, pg, &nv, "duplicate flags 0x%x without DUPSORT", rec.flags);
  }
  if (rec.root == kInvalidPgno && (rec.height || rec.items || rec.leaf_pages)) {
    Problem(EMDB_CHK_TABLE_RECORD, pg, &nv, "empty table with height %u and %llu entries",
            rec.height, (unsigned long long)rec.items);
  }
  WalkTree(t, rec, pg, 0);
  if (stop_) return;
  CompareCounts(t, rec, t.count, false);
  table_pages += t.count.branch + t.count.leaf + t.count.large;
  large_pages += t.count.large;
  entries += t.count.items;
}

void Walker::LeafNodes(Tree& tr, const Page* p, pgno_t pg, unsigned level, int depth0) {
  const unsigned n = NumKeys(p);
  const bool dupsort = (tr.tflags & EMDB_DUPSORT) != 0;
  for (unsigned i = 0; i < n && !stop_; i++) {
    const uint8_t* node = NodeAt(p, i);
    const uint16_t nf = NodeFlags(node);
    const Slice key(NodeKey(node), NodeKsize(node));
    const uint8_t* data = NodeData(node);
    const uint32_t dsize = NodeDsize(node);
    const size_t dbytes = (nf & kNodeBig) ? sizeof(uint64_t) : dsize;
    switch (tr.kind) {
      case Tree::kSub:
        if (nf != 0 || dsize != 0) {
          Problem(EMDB_CHK_DUPSORT, pg, tr.name, "sub-tree node %u has flags 0x%x and %u bytes", i,
                  nf, dsize);
          return;
        }
        tr.count.items++;
        continue;
      case Tree::kGc: {
        tr.count.items++;
        if (nf != 0) {
          // GC values are always inline (T2); a large run is still walked and accounted.
          Problem(EMDB_CHK_GC, pg, tr.name, "GC node %u has flags 0x%x (want an inline value)", i,
                  nf);
          if (nf == kNodeBig) LargeRun(tr, pg, data, dbytes, dsize, level, depth0, nullptr);
          continue;
        }
        Slice val(data, dsize);
        gc_records_.push_back({key.data, key.size, val.data, val.size, pg});
        continue;
      }
      case Tree::kMain:
      case Tree::kTable: {
        if (nf & ~(kNodeBig | kNodeTree | kNodeDup)) {
          Problem(EMDB_CHK_PAGE_HEADER, pg, tr.name, "node %u has unknown flags 0x%x", i, nf);
          continue;
        }
        if (nf == kNodeTree && tr.kind == Tree::kMain) {
          tr.count.items++;
          NamedTable(tr, key, data, dsize, pg);
          continue;
        }
        if (nf == 0) {
          tr.count.items++;
          continue;
        }
        if (nf == kNodeBig) {
          tr.count.items++;
          if (dupsort) {
            Problem(EMDB_CHK_DUPSORT, pg, tr.name, "node %u: a large value in a DUPSORT table", i);
          }
          LargeRun(tr, pg, data, dbytes, dsize, level, depth0, nullptr);
          continue;
        }
        if (!dupsort) {
          Problem(EMDB_CHK_PAGE_HEADER, pg, tr.name,
                  "node %u has flags 0x%x, not allowed in a table without DUPSORT", i, nf);
          continue;
        }
        if (nf == kNodeDup) {
          SubPage(tr, data, dsize, pg, level, depth0, key);
        } else if (nf == (kNodeDup | kNodeTree)) {
          SubTree(tr, data, dsize, pg, level, depth0, key);
        } else {
          Problem(EMDB_CHK_DUPSORT, pg, tr.name, "node %u has flags 0x%x", i, nf);
        }
        continue;
      }
    }
  }
}

}  // namespace emdb::check
