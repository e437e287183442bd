// engine/txn/compact.cpp — in-place compaction (compact.hpp has the rules C1-C5).
#include "txn/compact.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.hpp"
#include "btree/cursor.hpp"
#include "btree/tree.hpp"
#include "txn/pages.hpp"
#include "txn/space.hpp"

namespace emdb::compact {

using namespace format;

namespace {

constexpr uint64_t kMovePages = 4096;    // C4: pages copied per commit at most
constexpr uint64_t kVisitPages = 65536;  // C4: leaves looked at per commit at most
constexpr pgno_t kSlackPages = 64;       // C3: room above the live size

uint64_t TreePages(const TreeRecord& r) { return r.branch_pages + r.leaf_pages + r.large_pages; }

// The tables open and loaded in this txn, by name (their records are newer than the main
// tree's until the commit saves them).
struct OpenTables {
  std::vector<std::pair<std::string_view, EMDB_dbi>> by_name;  // sorted by name

  explicit OpenTables(const Txn* t) {
    const Env* env = t->env;
    const unsigned n = std::min<unsigned>(env->num_dbis.load(), unsigned(t->dbs.size()));
    for (EMDB_dbi d = kCoreDbs; d < n; d++) {
      const DbState& s = t->dbs[d];
      if (!env->dbis[d].used || !(s.state & kDbValid) || (s.state & kDbDropped)) continue;
      by_name.emplace_back(std::string_view(env->dbis[d].name), d);
    }
    std::sort(by_name.begin(), by_name.end());
  }
  // The open table named `name`, or 0.
  EMDB_dbi Find(Slice name) const {
    std::string_view k(reinterpret_cast<const char*>(name.data), name.size);
    auto it = std::lower_bound(by_name.begin(), by_name.end(), std::make_pair(k, EMDB_dbi(0)));
    return it != by_name.end() && it->first == k ? it->second : 0;
  }
};

bool IsTableRecord(uint16_t nflags, size_t dsize) {
  return (nflags & (kNodeTree | kNodeDup)) == kNodeTree && dsize == kTableRecordSize;
}

struct Pass {
  pgno_t boundary = 0;
  uint64_t moved = 0, visited = 0;
  bool stop = false;       // a budget ran out or no low page is left
  bool exhausted = false;  // C3: a copy landed at or above the boundary
};

// Copies every page on the cursor's path that is not yet this txn's own (TouchPath), and
// accounts the copies (C3).
Status TouchCounted(Cursor* c, Pass* ps) {
  pgno_t before[kMaxDepth];
  for (int l = 0; l < c->depth; l++) before[l] = c->pg[l]->pgno;
  EMDB_TRY(bt::TouchPath(c));
  for (int l = 0; l < c->depth; l++) {
    if (c->pg[l]->pgno == before[l]) continue;
    ps->moved++;
    if (c->pg[l]->pgno >= ps->boundary) ps->exhausted = ps->stop = true;
  }
  if (ps->moved >= kMovePages) ps->stop = true;
  return 0;
}

// Moves the cursor's path when a page on it lies at or above the boundary.
Status MovePath(Cursor* c, Pass* ps) {
  const Txn* t = c->txn;
  for (int l = 0; l < c->depth; l++) {
    const Page* p = c->pg[l];
    if (p->pgno >= ps->boundary && t->dirty.Find(p->pgno) != p) return TouchCounted(c, ps);
  }
  return 0;
}

Status WalkTree(Cursor* c, Pass* ps, bool* changed, Slice resume_key);

// What a leaf node carries besides its key: a large run or a DUPSORT sub-tree to move.
Status MoveNodeLoad(Cursor* c, Pass* ps) {
  Txn* t = c->txn;
  Env* env = t->env;
  const uint8_t* node = bt::CurrentNode(c);
  const uint16_t f = NodeFlags(node);
  if (f & kNodeBig) {
    const pgno_t old = Load64(NodeData(node));
    if (old < ps->boundary) return 0;
    Page* lp;
    EMDB_TRY(pages::Get(t, old, &lp));
    if (t->dirty.Find(old) == lp) return 0;  // copied by this txn already
    if (!IsLarge(lp)) return EMDB_CORRUPTED;
    const unsigned n = std::max<unsigned>(1, lp->large_count);
    EMDB_TRY(TouchCounted(c, ps));  // the leaf must be this txn's to repoint the node
    Page* np;
    EMDB_TRY(pages::Alloc(t, n, &np));
    const pgno_t newpg = np->pgno;
    std::memcpy(np, lp, size_t(n) * env->psize);
    np->pgno = newpg;
    np->txnid = t->txnid;
    Store64(NodeData(const_cast<uint8_t*>(bt::CurrentNode(c))), newpg);
    pages::Free(t, old, n);
    ps->moved += n;
    if (newpg >= ps->boundary) ps->exhausted = ps->stop = true;
    if (ps->moved >= kMovePages) ps->stop = true;
    return 0;
  }
  if ((f & kNodeTree) && (f & kNodeDup)) {
    Slice k, d;
    uint16_t nf;
    EMDB_TRY(bt::Current(c, &k, &d, &nf));
    if (d.size != kDiskTreeSize) return EMDB_CORRUPTED;
    TreeRecord sub = DecodeTree(d.data);
    Cursor sc;
    bt::CursorInit(&sc, t, c->dbi, false);
    sc.tree = &sub;
    sc.is_sub = true;
    bool sub_changed = false;
    const Status wrc = WalkTree(&sc, ps, &sub_changed, Slice());
    if (sub_changed) {
      const bool was_stopped = ps->stop;
      EMDB_TRY(TouchCounted(c, ps));
      ps->stop |= was_stopped;
      EncodeTree(sub, NodeData(const_cast<uint8_t*>(bt::CurrentNode(c))));
    }
    return wrc;
  }
  return 0;
}

// Walks the leaves of the cursor's tree from `resume_key` (or the first), moving high pages.
// *changed: some page of this tree was copied (its root, or a node record, may have changed).
// Table records met in the main tree are handled by `WalkMain`; here only node loads.
Status WalkTree(Cursor* c, Pass* ps, bool* changed, Slice resume_key) {
  Status rc;
  if (resume_key.data != nullptr) {
    bool exact = false;
    rc = bt::Seek(c, resume_key, &exact);
  } else {
    rc = bt::First(c);
  }
  if (rc == EMDB_NOTFOUND) return 0;
  EMDB_TRY(rc);
  for (;;) {
    const uint64_t moved0 = ps->moved;
    // On an error the tree may be half moved (each step is a complete copy-on-write, so it is
    // consistent): *changed makes the caller record the root it has now.
    rc = MovePath(c, ps);
    const int leaf = c->depth - 1;
    if (rc == 0 && !IsDupfix(c->pg[leaf])) {
      const unsigned n = NumKeys(c->pg[leaf]);
      for (unsigned i = c->ki[leaf]; i < n && !ps->stop && rc == 0; i++) {
        c->ki[leaf] = uint16_t(i);
        rc = MoveNodeLoad(c, ps);
      }
    }
    if (rc != 0) {
      *changed = true;
      return rc;
    }
    if (ps->moved != moved0) *changed = true;
    ps->visited++;
    // The visit budget stops top-level walks only: a sub-tree is always walked to its end (or
    // the move budget), so a resume point never falls inside one.
    if (!c->is_sub && ps->visited >= kVisitPages) ps->stop = true;
    if (ps->stop) return 0;
    c->ki[leaf] = uint16_t(NumKeys(c->pg[leaf]) - 1);
    rc = bt::NextLeafFirst(c);
    if (rc == EMDB_NOTFOUND) return 0;
    EMDB_TRY(rc);
  }
}

// The main tree: its own pages and loads, and every table it records. Sets env->compact_* to
// resume where a budget stopped the pass.
Status WalkMain(Txn* t, Pass* ps, bool* done) {
  Env* env = t->env;
  const OpenTables open(t);
  Cursor mc;
  bt::CursorInit(&mc, t, kMainDbi, false);
  Status rc;
  std::string resume_table = env->compact_table, resume_key = env->compact_key;
  const bool resuming = env->compact_resume, resume_after = env->compact_after;
  env->compact_resume = env->compact_after = false;
  if (resuming) {
    bool exact = false;
    rc = bt::Seek(&mc, Slice(resume_table.data(), resume_table.size()), &exact);
  } else {
    rc = bt::First(&mc);
  }
  *done = false;
  if (rc == EMDB_NOTFOUND) {
    *done = true;
    return 0;
  }
  EMDB_TRY(rc);
  bool main_changed = false;
  // A failed step leaves the main tree consistent; MarkChanged records its current root.
  struct MarkMain {
    Txn* t;
    bool* changed;
    ~MarkMain() {
      if (*changed) cur::MarkChanged(t, kMainDbi);
    }
  } mark{t, &main_changed};
  for (;;) {
    const uint64_t moved0 = ps->moved;
    rc = MovePath(&mc, ps);
    if (rc != 0 || ps->moved != moved0) main_changed = true;
    EMDB_TRY(rc);
    const int leaf = mc.depth - 1;
    const unsigned n = NumKeys(mc.pg[leaf]);
    for (unsigned i = mc.ki[leaf]; i < n && !ps->stop; i++) {
      mc.ki[leaf] = uint16_t(i);
      Slice k, d;
      uint16_t nf;
      EMDB_TRY(bt::Current(&mc, &k, &d, &nf));
      if (!IsTableRecord(nf, d.size)) {
        const uint64_t m0 = ps->moved;
        rc = MoveNodeLoad(&mc, ps);
        if (rc != 0 || ps->moved != m0) main_changed = true;
        EMDB_TRY(rc);
        continue;
      }
      Slice from;
      if (resuming && k.size == resume_table.size() &&
          std::memcmp(k.data, resume_table.data(), k.size) == 0) {
        if (resume_after) continue;  // this table was finished by the previous commit
        if (!resume_key.empty()) from = Slice(resume_key.data(), resume_key.size());
      }
      const std::string name(reinterpret_cast<const char*>(k.data), k.size);
      bool changed = false;
      Cursor tc;
      if (EMDB_dbi dbi = open.Find(k)) {
        bt::CursorInit(&tc, t, dbi, false);
        const Status wrc = WalkTree(&tc, ps, &changed, from);
        if (changed) cur::MarkChanged(t, dbi);
        EMDB_TRY(wrc);
      } else {
        TreeRecord rec = DecodeTableRecord(d.data);
        bt::CursorInit(&tc, t, kMainDbi, false);
        tc.tree = &rec;
        tc.tflags = rec.flags;
        tc.cmp = KeyComparator(rec.flags);
        const Status wrc = WalkTree(&tc, ps, &changed, from);
        if (changed) {
          const bool was_stopped = ps->stop;
          EMDB_TRY(TouchCounted(&mc, ps));
          ps->stop |= was_stopped;
          EncodeTableRecord(rec, NodeData(const_cast<uint8_t*>(bt::CurrentNode(&mc))));
          main_changed = true;
        }
        EMDB_TRY(wrc);
      }
      if (ps->stop) {
        if (!ps->exhausted) {
          // C4: a budget ran out inside this table: resume in it, at the first key of the leaf
          // the walk stopped on (or after it, when the walk had reached its end).
          env->compact_resume = true;
          env->compact_table = name;
          env->compact_key.clear();
          const bool inside = tc.depth > 0 && !tc.eof;
          env->compact_after = !inside;
          if (inside && NumKeys(tc.pg[tc.depth - 1]) > 0 && !IsDupfix(tc.pg[tc.depth - 1])) {
            const Slice first = KeyAt(tc.pg[tc.depth - 1], 0);
            env->compact_key.assign(reinterpret_cast<const char*>(first.data), first.size);
          }
        }
        break;
      }
    }
    ps->visited++;
    if (ps->stop) break;
    if (ps->visited >= kVisitPages) {
      // C4 in the main tree itself: resume at this leaf's first key.
      const Slice first = KeyAt(mc.pg[leaf], 0);
      env->compact_resume = true;
      env->compact_after = false;
      env->compact_table.assign(reinterpret_cast<const char*>(first.data), first.size);
      env->compact_key.clear();
      break;
    }
    mc.ki[leaf] = uint16_t(NumKeys(mc.pg[leaf]) - 1);
    rc = bt::NextLeafFirst(&mc);
    if (rc == EMDB_NOTFOUND) {
      *done = true;
      break;
    }
    EMDB_TRY(rc);
  }
  return 0;
}

// C3: the lowest boundary B such that the free pages below B can take every page at or above
// B that is not free (live, or held by a snapshot: counted as taken), plus a margin for the
// branch pages the moves copy and the GC records of this commit. With `free` free pages below
// `end`, for any B: pages to move = (end - B) - free_above, room = free - free_above, so B is
// acceptable when B >= end + margin - free, wherever the free pages lie.
pgno_t Boundary(const Txn* t, uint64_t live, uint64_t free) {
  const uint64_t margin = live / 64 + kSlackPages;
  const uint64_t end = t->next_pgno;
  const pgno_t floor = std::max<pgno_t>(t->env->geo.lower, kNumMetas);
  if (end + margin <= free + floor) return floor;
  return std::min<pgno_t>(end, end + margin - free);
}

}  // namespace

// Called on every commit (and allocation pass): no allocation, one pass over the handles.
uint64_t LiveLowerBound(const Txn* t) {
  uint64_t live = kNumMetas + TreePages(t->dbs[kGcDbi].rec) + TreePages(t->dbs[kMainDbi].rec);
  const Env* env = t->env;
  const unsigned n = std::min<unsigned>(env->num_dbis.load(), unsigned(t->dbs.size()));
  for (EMDB_dbi d = kCoreDbs; d < n; d++) {
    const DbState& s = t->dbs[d];
    if (env->dbis[d].used && (s.state & kDbValid) && !(s.state & kDbDropped)) {
      live += TreePages(s.rec);
    }
  }
  return live;
}

// The geometry allows a shrink worth a pass at all (the first, cheapest test of Worthwhile).
static bool CanShrink(const Txn* t) {
  const Geometry& g = t->env->geo;
  return g.shrink != 0 && t->next_pgno > std::max(g.lower, space::kMinPages) + g.shrink;
}

Status LivePages(Txn* t, uint64_t* out) {
  Env* env = t->env;
  uint64_t live = LiveLowerBound(t);
  const OpenTables open(t);
  // The tables not open in this txn are as in its snapshot. Their sizes come from one scan of
  // the main tree's table records, kept while no commit changes a named table (NoteTables): a
  // main table holding a million records of its own is not scanned at every commit.
  if (env->table_pages_txnid != t->meta.txnid_a || t->meta.txnid_a == 0) {
    env->table_pages.clear();
    env->table_pages_txnid = 0;
    if (t->dbs[kMainDbi].rec.root != kInvalidPgno) {
      Cursor mc;
      bt::CursorInit(&mc, t, kMainDbi, false);
      Status rc = bt::First(&mc);
      while (rc == 0) {
        Slice k, d;
        uint16_t nf;
        EMDB_TRY(bt::Current(&mc, &k, &d, &nf));
        if (IsTableRecord(nf, d.size)) {
          env->table_pages.emplace_back(std::string(reinterpret_cast<const char*>(k.data), k.size),
                                        TreePages(DecodeTableRecord(d.data)));
        }
        rc = bt::Next(&mc);
      }
      if (rc != EMDB_NOTFOUND) return rc;
    }
    env->table_pages_txnid = t->meta.txnid_a;
  }
  for (const auto& [name, pages] : env->table_pages) {
    if (open.Find(Slice(name.data(), name.size())) == 0) live += pages;
  }
  *out = live;
  return 0;
}

void NoteTables(Txn* t) {
  Env* env = t->env;
  if (env->table_pages_txnid == 0 || env->table_pages_txnid + 1 != t->txnid) {
    env->table_pages_txnid = 0;  // computed for another snapshot
    return;
  }
  bool changed = !t->created_dbis.empty() || !t->renamed.empty();
  const unsigned n = std::min<unsigned>(env->num_dbis.load(), unsigned(t->dbs.size()));
  for (EMDB_dbi d = kCoreDbs; d < n && !changed; d++) {
    changed = (t->dbs[d].state & (kDbDirty | kDbDropped)) != 0;
  }
  // A changed table record (or a stale one read before this commit saved it) starts over.
  if (changed) {
    env->table_pages_txnid = 0;
  } else {
    env->table_pages_txnid = t->txnid;
  }
}

uint64_t PinnedPages(const Env* env) {
  const os::LockFile& lck = env->lck;
  const uint64_t retired = lck.header()->pages_retired.load(std::memory_order_relaxed);
  uint64_t oldest = retired;
  const unsigned hwm = lck.header()->readers_hwm.load(std::memory_order_acquire);
  for (unsigned i = 0; i < hwm && i < lck.max_readers(); i++) {
    const os::ReaderSlot* s = lck.slot(i);
    if (s->txnid.load(std::memory_order_acquire) == 0) continue;
    oldest = std::min(oldest, s->snapshot_retired.load(std::memory_order_relaxed));
  }
  // Weak commits since the newest steady point: what they freed is pinned by that point
  // (reusable only after the next one), free in no useful sense.
  if (lck.header()->unsync_bytes.load(std::memory_order_relaxed) != 0) {
    oldest = std::min(oldest, lck.header()->steady_retired.load(std::memory_order_relaxed));
  }
  return retired - std::min(oldest, retired);
}

bool Worthwhile(const Txn* t, uint64_t live) {
  const Env* env = t->env;
  const Geometry& g = env->geo;
  if (!CanShrink(t)) return false;
  uint64_t free = t->next_pgno > live ? t->next_pgno - live : 0;
  const uint64_t pinned = PinnedPages(env);
  free = free > pinned ? free - pinned : 0;
  // Churn with long readers: a reader that renews a long-held snapshot frees a large pool at
  // once, which the next commits use up while the new snapshot pins their garbage again. Only
  // a pool that is large next to what readers pinned lately is worth compacting for.
  // The same holds for the steady point of lazy mode: each one releases what the weak commits
  // since the last one freed, and the commits up to the next one take that pool and pin as much
  // again. Twice the recent pin is the working set of free pages the file keeps in any case;
  // only a shrink threshold's worth beyond it is worth moving pages for (compaction under a
  // 160-commit steady cycle copied 4,096 pages per episode and never shrank the file).
  // Hysteresis: an episode starts at a quarter of the file and goes on down to a sixteenth.
  const bool going = env->compact_resume || env->compact_last_boundary != kInvalidPgno;
  const uint64_t share = going ? t->next_pgno / 16 : t->next_pgno / 4;
  // The free tail past next_pgno counts toward the shrink a pass makes possible.
  const uint64_t tail = g.now > t->next_pgno ? g.now - t->next_pgno : 0;
  // At close (space::CompactAtClose) no commit follows to pin anything again.
  const uint64_t working_set = t->closing ? 0 : 2 * env->pinned_recent;
  return free >= share && free + tail > g.shrink + working_set;
}

void NoteCommit(Env* env) {
  // A maximum that decays by an eighth per commit (to a tenth in about 17 commits) while no
  // reader is live, by 1/128 while one is (to half in about 90 commits): a reader that renews
  // its snapshot every few dozen commits lets the pool go and pins it again, over and over, and
  // compacting in between only copies pages whose old copies the next snapshot pins (ledger
  // workload: 20% of the writer's time, and a larger peak file). Weak commits (lazy mode) are
  // such a reader too: each steady point lets go of what they freed since the last one, and the
  // next weak commits pin as much again (crud in lazy mode: a steady point every ~850 commits,
  // each followed by an episode that copied 4,096 pages, a third of the writer's time).
  const uint64_t pinned = PinnedPages(env);
  const os::LockHeader* h = env->lck.header();
  // A steady cycle ends at each steady point: its peak is what the weak commits of one cycle pin.
  const uint64_t mark = h->steady_retired.load(std::memory_order_relaxed);
  if (mark != env->pinned_steady_mark) {
    env->pinned_steady_mark = mark;
    env->pinned_prev_peak = env->pinned_cycle_peak;
    env->pinned_cycle_peak = 0;
  }
  env->pinned_cycle_peak = std::max(env->pinned_cycle_peak, pinned);
  const bool reader = env->lck.OldestReader(UINT64_MAX) != UINT64_MAX;
  const bool weak = h->unsync_bytes.load(std::memory_order_relaxed) != 0;
  const uint64_t decay = env->pinned_recent / (reader || weak ? 128 : 8);
  uint64_t recent = env->pinned_recent - decay;
  if (weak && !reader) {
    // Only steady points pin: the next cycle will pin about what the last two did. A phase of
    // large commits (a prune) is forgotten two steady points after it ends, not hundreds of
    // commits (ledger: its 30 small tail blocks kept the prune's maximum and never compacted).
    recent = std::min(recent, std::max(env->pinned_prev_peak, env->pinned_cycle_peak));
  }
  env->pinned_recent = std::max(pinned, recent);
}

Status Run(Txn* t) {
  Env* env = t->env;
  if (t->parent != nullptr) return 0;
  uint64_t live = 0;
  // The cheap tests first: the main tree's table records are read only when they leave room.
  if (CanShrink(t) && Worthwhile(t, LiveLowerBound(t))) EMDB_TRY(LivePages(t, &live));
  if (live == 0 || !Worthwhile(t, live)) {
    // The episode (if any) is over: the next one starts from scratch.
    env->compact_resume = false;
    env->compact_last_boundary = kInvalidPgno;
    env->compact_exhausted_free = 0;
    return 0;
  }
  Pass ps;
  // The oldest GC chunks join the reclaimed list first (space::Coalesce), where the moves take
  // the lowest pages.
  EMDB_TRY(space::Coalesce(t));
  // The free pages the moves can use: those pulled (all of them while the GC is not huge, see
  // space::Coalesce), else an estimate.
  const uint64_t pinned = PinnedPages(env);
  uint64_t free = t->next_pgno > live + pinned ? t->next_pgno - live - pinned : 0;
  free = std::min<uint64_t>(free, std::max<uint64_t>(t->reclaimed.size(), free / 2));
  ps.boundary = Boundary(t, live, free);
  // A walk only when there is something to gain: pages above the boundary, and a boundary
  // lower than the last complete pass's (pages a reader or the steady point held have come
  // free since), or a pass to resume or retry (the last one ran out of low pages: this commit
  // has pulled other GC chunks).
  if (ps.boundary + kSlackPages >= t->next_pgno) return 0;
  if (!env->compact_resume && ps.boundary + kSlackPages >= env->compact_last_boundary) return 0;
  // After a pass that ran out of low free pages, the next waits until more have come free (GC
  // chunks pulled or pages freed since), instead of walking the same trees again per commit.
  if (!env->compact_resume && env->compact_exhausted_free != 0 &&
      free <= env->compact_exhausted_free) {
    return 0;
  }
  bool done = false;
  Status rc = WalkMain(t, &ps, &done);
  if (rc == EMDB_MAP_FULL) {
    // Only when every free page is held by a reader and the file is at `upper`: what was moved
    // stays moved (each step is complete) and the commit goes on.
    env->compact_resume = false;
    return 0;
  }
  EMDB_TRY(rc);
  if (ps.exhausted) {
    env->compact_resume = false;  // starts over once more pages are free (above)
    env->compact_exhausted_free = std::max<uint64_t>(free, 1);
  } else if (done) {
    env->compact_resume = false;
    env->compact_last_boundary = ps.boundary;
    env->compact_exhausted_free = 0;
  }
  env->compact_moved += ps.moved;
  if (ps.moved != 0) {
    EMDB_LOG(EMDB_LOG_VERBOSE, "compaction: txn %llu moved %llu pages below page %llu",
             (unsigned long long)t->txnid, (unsigned long long)ps.moved,
             (unsigned long long)ps.boundary);
  }
  return 0;
}

}  // namespace emdb::compact
