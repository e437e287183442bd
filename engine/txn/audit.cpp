// engine/txn/audit.cpp — the page-accounting audit (invariant T2): every page below next_pgno
// is used exactly once by a tree, a large run, a GC record, or one of the txn's free lists.
// Run at commit when the environment variable EMDB_AUDIT=1 is set or EMDB_DBG_AUDIT is on.
#include "txn/audit.hpp"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/log.hpp"
#include "btree/tree.hpp"
#include "txn/pages.hpp"

namespace emdb::txn {

using namespace format;

namespace {

struct Auditor {
  Txn* t;
  std::vector<uint8_t> seen;  // 0 = unused, else an owner code
  Status rc = 0;

  void Mark(pgno_t pg, unsigned n, uint8_t owner, const char* what) {
    for (unsigned i = 0; i < n; i++) {
      pgno_t p = pg + i;
      if (p >= seen.size()) {
        EMDB_LOG_ERR("audit: %s page %llu beyond next_pgno %zu", what, (unsigned long long)p,
                     seen.size());
        rc = EMDB_CORRUPTED;
        continue;
      }
      if (seen[p] != 0) {
        EMDB_LOG_ERR("audit: page %llu used twice (by %s, and before by owner %u)",
                     (unsigned long long)p, what, seen[p]);
        rc = EMDB_CORRUPTED;
      }
      seen[p] = owner;
    }
  }

  void Tree(const TreeRecord& rec, bool dupsort, uint8_t owner, bool main) {
    if (rec.root == kInvalidPgno) return;
    std::vector<pgno_t> stack{rec.root};
    while (!stack.empty() && rc == 0) {
      pgno_t pg = stack.back();
      stack.pop_back();
      Page* p;
      if (pages::Get(t, pg, &p) != 0) {
        rc = EMDB_CORRUPTED;
        return;
      }
      Mark(pg, 1, owner, "tree");
      unsigned n = NumKeys(p);
      if (IsBranch(p)) {
        for (unsigned i = 0; i < n; i++) stack.push_back(NodeChild(NodeAt(p, i)));
        continue;
      }
      if (IsDupfix(p)) continue;
      for (unsigned i = 0; i < n; i++) {
        const uint8_t* node = NodeAt(p, i);
        uint16_t f = NodeFlags(node);
        if (f & kNodeBig) {
          Page* lp;
          pgno_t lpg = Load64(NodeData(node));
          if (pages::Get(t, lpg, &lp) != 0) {
            rc = EMDB_CORRUPTED;
            return;
          }
          Mark(lpg, lp->large_count ? lp->large_count : 1, owner, "large run");
        }
        if ((f & kNodeTree) && (f & kNodeDup))
          Tree(DecodeTree(NodeData(node)), false, owner, false);
        if (main && (f & kNodeTree) && !(f & kNodeDup)) {
          TreeRecord r = DecodeTableRecord(NodeData(node));
          bool ds = (r.flags & EMDB_DUPSORT) != 0;
          Tree(r, ds, uint8_t(owner + 1), false);
        }
      }
    }
    (void)dupsort;
  }
};

}  // namespace

bool AuditEnabled() {
  static const bool on = [] {
    const char* v = std::getenv("EMDB_AUDIT");
    return v != nullptr && *v != '0';
  }();
  return on;
}

Status Audit(Txn* t, const std::vector<pgno_t>& extra_free) {
  Auditor a{t, std::vector<uint8_t>(t->next_pgno, 0)};
  for (pgno_t i = 0; i < kNumMetas && i < t->next_pgno; i++) a.seen[i] = 1;
  a.Tree(t->dbs[kMainDbi].rec, false, 10, true);
  // Named tables changed in this txn: their records in the main tree may be stale.
  a.Tree(t->dbs[kGcDbi].rec, false, 2, false);
  // GC records.
  if (a.rc == 0 && t->dbs[kGcDbi].rec.root != kInvalidPgno) {
    Cursor c;
    bt::CursorInit(&c, t, kGcDbi);
    Status rc = bt::First(&c);
    while (rc == 0) {
      Slice k, v;
      if (bt::Current(&c, &k, &v, nullptr) != 0) break;
      uint32_t count = Load32(v.data);
      for (uint32_t i = 0; i < count; i++) {
        a.Mark(Load64(v.data + sizeof(GcRecordHeader) + 8 * i), 1, 3, "GC record");
      }
      rc = bt::Next(&c);
    }
  }
  for (pgno_t p : t->loose) a.Mark(p, 1, 4, "loose list");
  for (pgno_t p : t->reclaimed) a.Mark(p, 1, 5, "reclaimed list");
  for (pgno_t p : t->retired) a.Mark(p, 1, 6, "retired list");
  for (pgno_t p : extra_free) a.Mark(p, 1, 7, "extra");
  for (pgno_t p = 0; p < a.seen.size(); p++) {
    if (a.seen[p] == 0) {
      EMDB_LOG_ERR("audit: page %llu is lost (not used by anything)", (unsigned long long)p);
      a.rc = EMDB_CORRUPTED;
      break;
    }
  }
  return a.rc;
}

}  // namespace emdb::txn
