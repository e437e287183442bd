// engine/txn/txn.cpp — see txn.hpp.
#include "txn/txn.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#include "base/failpoint.hpp"
#include "base/log.hpp"
#include "base/shared_words.hpp"
#include "btree/cursor.hpp"
#include "btree/tree.hpp"
#include "os/bootid.hpp"
#include "txn/audit.hpp"
#include "txn/compact.hpp"
#include "txn/pages.hpp"
#include "txn/space.hpp"
#include "txn/steady.hpp"

namespace emdb::txn {

using namespace format;

namespace {

uint32_t Now16dot16(const struct timespec& a, const struct timespec& b) {
  double s = double(b.tv_sec - a.tv_sec) + double(b.tv_nsec - a.tv_nsec) / 1e9;
  if (s < 0) s = 0;
  double v = s * 65536.0;
  return v > 4294967295.0 ? 0xffffffffu : uint32_t(v);
}

// keep_named: a read txn object reused on a snapshot whose main tree is unchanged keeps the
// named-table records it already loaded (they live in the main tree).
void ResetDbs(Txn* t, bool keep_named = false) {
  Env* env = t->env;
  size_t n = env->max_dbs + kCoreDbs;
  if (t->dbs.size() != n) {
    t->dbs.resize(n);
    keep_named = false;
  }
  for (size_t i = kCoreDbs; i < n; i++) {
    DbState& s = t->dbs[i];
    s.state = (keep_named && (s.state & kDbValid) && !(s.state & kDbDropped)) ? kDbValid : kDbStale;
    s.mod = 0;
    if (!keep_named) s.int_ksize = 0;
  }
  t->dbs[kMainDbi].int_ksize = 0;
  t->dbs[kGcDbi].rec = t->meta.gc;
  t->dbs[kGcDbi].state = kDbValid;
  t->dbs[kGcDbi].mod = 0;
  t->dbs[kMainDbi].rec = t->meta.main;
  t->dbs[kMainDbi].state = kDbValid;
  t->dbs[kMainDbi].mod = 0;
}

}  // namespace

Meta ReadMetaShared(const Env* env, unsigned i) {
  alignas(8) uint8_t buf[kPageHeaderSize + kMetaSize];
  static_assert(sizeof(buf) % 8 == 0 && kPageHeaderSize % 8 == 0);
  CopyFromShared(buf, env->MetaPage(i), sizeof(buf));
  return DecodeMeta(buf + kPageHeaderSize);
}

bool MetaValid(const Env* env, const Meta& m) {
  if (m.magic != kMagic || m.version != kFormatVersion) return false;
  if (m.txnid_a == 0 || m.txnid_a != m.txnid_b) return false;
  if (m.pagesize != env->psize) return false;
  if (m.sign == kSignWeak) return true;
  return m.sign == MetaChecksum(m);
}

void PickMetas(const Env* env, int* head, int* steady) {
  *head = -1;
  *steady = -1;
  if (env->recovery_meta >= 0) {
    // Opened for recovery: the chosen meta is the only one there is.
    Meta m = ReadMetaShared(env, unsigned(env->recovery_meta));
    if (MetaValid(env, m)) *head = *steady = env->recovery_meta;
    return;
  }
  uint64_t ht = 0, st = 0;
  for (int i = 0; i < int(kNumMetas); i++) {
    Meta m = ReadMetaShared(env, unsigned(i));
    if (!MetaValid(env, m)) continue;
    if (m.txnid_a > ht) {
      ht = m.txnid_a;
      *head = i;
    }
    if (m.sign != kSignWeak && m.txnid_a > st) {
      st = m.txnid_a;
      *steady = i;
    }
  }
}

uint64_t GcLimit(const Env* env, uint64_t oldest, uint64_t steady_txnid) {
  // UTTERLY_NOSYNC gives up the steady point (documented: an OS crash may lose the database).
  if ((env->flags & EMDB_UTTERLY_NOSYNC) == EMDB_UTTERLY_NOSYNC) return oldest;
  uint64_t limit = std::min(oldest, steady_txnid);
  // NOMETASYNC (or any unflushed commit): the newest steady meta may not be on disk yet, and
  // the one before it is what a power loss would fall back to; keep that snapshot's pages.
  if (env->lck.header()->unsync_bytes.load() != 0 && steady_txnid > 0) {
    limit = std::min(limit, steady_txnid - 1);
  }
  return limit;
}

void PickMetasLocked(Env* env, int* head, int* steady, uint64_t* txnids) {
  *head = -1;
  *steady = -1;
  uint64_t ht = 0, st = 0;
  for (unsigned i = 0; i < kNumMetas; i++) {
    const uint8_t* raw = PageData(env->MetaPage(i));
    Env::MetaSeen& seen = env->meta_seen[i];
    uint64_t a = Load64(raw), b = Load64(raw + kMetaTxnidB), sign = Load64(raw + kMetaSignedBytes);
    if (!seen.checked || seen.txnid_a != a || seen.txnid_b != b || seen.sign != sign) {
      seen.valid = MetaValid(env, DecodeMeta(raw));
      seen.txnid_a = a;
      seen.txnid_b = b;
      seen.sign = sign;
      seen.checked = true;
    }
    txnids[i] = seen.valid ? a : 0;
    if (!seen.valid) continue;
    if (a > ht) {
      ht = a;
      *head = int(i);
    }
    if (sign != kSignWeak && a > st) {
      st = a;
      *steady = int(i);
    }
  }
}

static bool ReadMeta(const Env* env, unsigned i, Meta* out) {
  *out = ReadMetaShared(env, i);
  std::atomic_thread_fence(std::memory_order_acquire);
  return out->txnid_a == out->txnid_b && out->txnid_a != 0 && out->magic == kMagic;
}

Status LoadDbi(Txn* t, EMDB_dbi dbi) {
  DbState& s = t->dbs[dbi];
  if (s.state & kDbValid) {
    if (s.state & kDbDropped) return EMDB_BAD_DBI;
    return 0;
  }
  Env* env = t->env;
  const DbiInfo& info = env->dbis[dbi];
  Cursor c;
  bt::CursorInit(&c, t, kMainDbi);
  bool exact = false;
  Slice name(info.name.data(), info.name.size());
  Status rc = bt::Seek(&c, name, &exact);
  if (rc == EMDB_NOTFOUND || (rc == 0 && !exact)) return EMDB_BAD_DBI;
  EMDB_TRY(rc);
  Slice k, d;
  uint16_t nf;
  EMDB_TRY(bt::Current(&c, &k, &d, &nf));
  if ((nf & (kNodeTree | kNodeDup)) != kNodeTree || d.size != kTableRecordSize) {
    return EMDB_INCOMPATIBLE;
  }
  s.rec = DecodeTableRecord(d.data);
  if ((s.rec.flags & kTableFlagsMask) != info.flags) return EMDB_INCOMPATIBLE;
  s.state = kDbValid;
  s.generation = info.generation;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Read transactions

Status BeginRead(Env* env, Txn* t) {
  os::LockFile& lck = env->lck;
  // A txn object reused by its thread (api cache) still holds its previous snapshot: when the
  // head has not moved, the decoded meta and the loaded table records are reused as they are.
  const uint64_t prev = t->dbs.size() == env->max_dbs + kCoreDbs ? t->meta.txnid_a : 0;
  bool same = false;
  for (int attempt = 0;; attempt++) {
    uint64_t h = lck.header()->head_txnid.load(std::memory_order_acquire);
    bool found = false;
    same = prev != 0 && h == prev && t->meta.txnid_b == prev;
    if (same) found = true;
    for (unsigned i = 0; i < kNumMetas && !found; i++) {
      // Cheap test of the first txnid copy before decoding the whole meta.
      if (LoadShared(*reinterpret_cast<const uint64_t*>(PageData(env->MetaPage(i)))) != h) {
        continue;
      }
      if (ReadMeta(env, i, &t->meta) && t->meta.txnid_a == h) found = true;
    }
    if (!found && attempt < 64) {
      // The head moved on and its meta slot was reused since we loaded head_txnid: load it
      // again. (Taking the newest meta here would let a reader see a commit whose writer has
      // not published it yet, and the reader's next snapshot would go back to head_txnid.)
      continue;
    }
    if (!found) {
      // head_txnid names no meta at all (a recovery rolled the head back): take the newest.
      int head, steady;
      PickMetas(env, &head, &steady);
      if (head < 0) return EMDB_CORRUPTED;
      if (!ReadMeta(env, unsigned(head), &t->meta)) continue;
      h = t->meta.txnid_a;
    }
    // snapshot_pages first: a writer that sees the txnid also sees the pages (space.hpp S4).
    t->slot->flags.store(0, std::memory_order_relaxed);
    t->slot->snapshot_pages.store(t->meta.next_pgno, std::memory_order_release);
    t->slot->snapshot_retired.store(lck.header()->pages_retired.load(std::memory_order_relaxed),
                                    std::memory_order_relaxed);
    t->slot->txnid.store(h, std::memory_order_seq_cst);
    uint64_t again = lck.header()->head_txnid.load(std::memory_order_seq_cst);
    if (again == h || (!found && again < h)) break;
    if (attempt > 1000) return EMDB_PROBLEM;
  }
  t->txnid = t->meta.txnid_a;
  t->parked = t->autounpark = t->ousted = false;
  if (same) {
    t->flags = (t->flags & ~unsigned(EMDB_TXN_FINISHED | EMDB_TXN_ERROR));
    return 0;
  }
  const TreeRecord& prev_main = t->dbs.size() > kMainDbi ? t->dbs[kMainDbi].rec : t->meta.main;
  bool keep = t->dbs.size() > kMainDbi && prev_main.root == t->meta.main.root &&
              prev_main.mod_txnid == t->meta.main.mod_txnid &&
              prev_main.items == t->meta.main.items;
  size_t need = size_t(t->meta.geo.now) * env->psize;
  if (need > env->map.mapped()) {
    EMDB_TRY(env->map.Extend(env->file->fd(), need, (env->flags & EMDB_WRITEMAP) != 0));
  }
  ResetDbs(t, keep);
  t->flags = (t->flags & ~unsigned(EMDB_TXN_FINISHED | EMDB_TXN_ERROR));
  return 0;
}

void ResetRead(Txn* t) {
  if (t->slot) t->slot->txnid.store(0, std::memory_order_release);
  UnbindCursors(t);
}

// ---------------------------------------------------------------------------------------------
// Write transactions

Status BeginWrite(Env* env, Txn* parent, unsigned flags, Txn* t) {
  t->append_hint.Clear();
  if (parent != nullptr) {
    parent->append_hint.Clear();
    t->parent = parent;
    t->txnid = parent->txnid;
    t->meta = parent->meta;
    t->dbs = parent->dbs;
    t->loose = parent->loose;
    t->reclaimed = parent->reclaimed;
    t->retired = parent->retired;
    t->next_pgno = parent->next_pgno;
    t->gc_limit = parent->gc_limit;
    t->sifted_upto = parent->sifted_upto;
    t->canary_set = parent->canary_set;
    t->flags = flags & ~unsigned(EMDB_TXN_RDONLY);
    t->owner = parent->owner;
    // The parent's cursors must not trust their stacks after the child ends.
    for (Cursor* x = parent->cursors; x != nullptr; x = x->next_in_txn) {
      if (!x->stale && x->depth > 0) cur::SaveOthers(parent, x->dbi, nullptr);
    }
    parent->child = t;
    parent->flags |= EMDB_TXN_HAS_CHILD;
    return 0;
  }
  if (env->recovery_meta >= 0) {
    EMDB_LOG_ERR(
        "%s is open for recovery: no write transactions until "
        "emdb_env_turn_for_recovery",
        env->data_path.c_str());
    return EMDB_EACCESS;
  }
  EMDB_TRY(env->lck.LockWriter((flags & EMDB_TXN_TRY) != 0));
  int head, steady;
  uint64_t txnids[kNumMetas];
  PickMetasLocked(env, &head, &steady, txnids);
  if (head < 0) {
    env->lck.UnlockWriter();
    return EMDB_CORRUPTED;
  }
  t->meta = DecodeMeta(PageData(env->MetaPage(unsigned(head))));
  uint64_t steady_txnid = steady >= 0 ? Load64(PageData(env->MetaPage(unsigned(steady)))) : 0;
  env->lck.header()->head_txnid.store(t->meta.txnid_a, std::memory_order_release);
  // Every process follows the geometry of the newest meta (space.hpp S1): another process may
  // have grown or shrunk the file, or changed the geometry.
  Status rc = 0;
  space::AdoptGeometry(env, t->meta.geo);
  t->geo_changed = false;
  t->coalesced = false;
  t->shrink_to = 0;
  t->gc_pulled = 0;
  if (size_t(env->geo.now * env->psize) > env->map.mapped()) {
    rc = env->map.Extend(env->file->fd(), size_t(env->geo.now * env->psize),
                         (env->flags & EMDB_WRITEMAP) != 0);
    if (rc != 0) {
      env->lck.UnlockWriter();
      return rc;
    }
  }
  t->txnid = t->meta.txnid_a + 1;
  t->next_pgno = t->meta.next_pgno;
  ResetDbs(t);
  t->gc_limit = GcLimit(env, env->lck.OldestReader(t->meta.txnid_a), steady_txnid);
  // Early reuse knows the births of this process's commits only: after another process's
  // commit (which may have requested a steady point of its own) it starts over.
  if (env->births_head != t->meta.txnid_a) pages::ForgetBirths(env);
  t->sifted_upto = env->sifted_upto;
  t->flags = flags & ~unsigned(EMDB_TXN_RDONLY | EMDB_TXN_TRY);
  t->owner = pthread_self();
  env->write_txn = t;
  env->writer_tid.store(uint64_t(t->owner));
  return 0;
}

void UnbindCursors(Txn* t) {
  Cursor* c = t->cursors;
  while (c != nullptr) {
    Cursor* next = c->next_in_txn;
    c->txn = nullptr;
    c->depth = 0;
    c->stale = false;
    c->next_in_txn = c->prev_in_txn = nullptr;
    c = next;
  }
  t->cursors = nullptr;
}

static void ReleaseDirty(Txn* t) {
  Env* env = t->env;
  t->dirty.ForEach([&](pgno_t, Page* p) { pages::ReleaseBuffer(env, p); });
  t->dirty.Clear();
  t->dirty_bytes = 0;
}

static void DropCreatedDbis(Txn* t) {
  Env* env = t->env;
  std::lock_guard<std::mutex> g(env->dbi_mu);
  // Renames first (newest first), so a table created and renamed here is dropped by handle.
  for (auto it = t->renamed.rbegin(); it != t->renamed.rend(); ++it) {
    env->dbis[it->first].name = std::move(it->second);
  }
  t->renamed.clear();
  for (EMDB_dbi d : t->created_dbis) {
    env->dbis[d].used = false;
    env->dbis[d].name.clear();
    env->dbis[d].generation++;
  }
  t->created_dbis.clear();
}

void Abort(Txn* t) {
  Env* env = t->env;
  if (t->child != nullptr) {
    Txn* c = t->child;
    Abort(c);
    c->signature = kDeadSignature;
    env->live_txns.fetch_sub(1);
    delete c;
  }
  UnbindCursors(t);
  if (t->rdonly()) {
    // A reset txn no longer owns its slot's txnid (the slot may even be another's by now).
    if (t->slot && !(t->flags & EMDB_TXN_FINISHED)) {
      t->slot->txnid.store(0, std::memory_order_release);
    }
    t->flags |= EMDB_TXN_FINISHED;
    return;
  }
  ReleaseDirty(t);
  DropCreatedDbis(t);
  if (t->parent != nullptr) {
    t->parent->child = nullptr;
    t->parent->flags &= ~unsigned(EMDB_TXN_HAS_CHILD);
  } else if (env->write_txn == t) {
    env->write_txn = nullptr;
    env->writer_tid.store(0);
    env->lck.UnlockWriter();
  }
  t->flags |= EMDB_TXN_FINISHED;
}

static Status CommitNested(Txn* t) {
  Txn* p = t->parent;
  Env* env = t->env;
  t->dirty.ForEach([&](pgno_t pg, Page* buf) {
    Page* old = p->dirty.Put(pg, buf);
    if (old != nullptr && old != buf) pages::ReleaseBuffer(env, old);
    // A run may cover pages the parent still holds as (freed) single pages: drop them.
    if (IsLarge(buf) && buf->large_count > 1) {
      for (pgno_t i = 1; i < buf->large_count; i++) {
        Page* inner = p->dirty.Erase(pg + i);
        if (inner != nullptr) pages::ReleaseBuffer(env, inner);
      }
    }
  });
  t->dirty.Clear();
  for (pgno_t pg : t->loose) {
    Page* old = p->dirty.Erase(pg);
    if (old != nullptr) pages::ReleaseBuffer(env, old);
  }
  for (pgno_t pg : t->retired) {
    // Retired pages never were dirty in an ancestor (those become loose), nothing to do.
    (void)pg;
  }
  p->loose = std::move(t->loose);
  p->reclaimed = std::move(t->reclaimed);
  p->retired = std::move(t->retired);
  p->next_pgno = t->next_pgno;
  p->sifted_upto = t->sifted_upto;
  p->dbs = t->dbs;
  p->canary_set = t->canary_set;
  p->meta.canary[0] = t->meta.canary[0];
  p->meta.canary[1] = t->meta.canary[1];
  p->meta.canary[2] = t->meta.canary[2];
  p->meta.canary[3] = t->meta.canary[3];
  p->dirty_bytes += t->dirty_bytes;
  p->created_dbis.insert(p->created_dbis.end(), t->created_dbis.begin(), t->created_dbis.end());
  t->created_dbis.clear();
  for (auto& r : t->renamed) p->renamed.push_back(std::move(r));
  t->renamed.clear();
  if (t->flags & EMDB_TXN_DIRTY) p->flags |= EMDB_TXN_DIRTY;
  p->child = nullptr;
  p->flags &= ~unsigned(EMDB_TXN_HAS_CHILD);
  UnbindCursors(t);
  t->flags |= EMDB_TXN_FINISHED;
  return 0;
}

// Writes the records of changed named tables into the main tree.
static Status SaveTableRecords(Txn* t) {
  Env* env = t->env;
  unsigned n = env->num_dbis.load();
  for (EMDB_dbi d = kCoreDbs; d < n; d++) {
    DbState& s = t->dbs[d];
    if (!(s.state & kDbValid) || !(s.state & kDbDirty) || (s.state & kDbDropped)) continue;
    const DbiInfo& info = env->dbis[d];
    Cursor c;
    bt::CursorInit(&c, t, kMainDbi);
    Slice name(info.name.data(), info.name.size());
    bool exact = false;
    Status rc = bt::SeekForInsert(&c, name, &exact);
    if (rc != 0 && rc != EMDB_NOTFOUND) return rc;
    cur::MarkChanged(t, kMainDbi);
    if (c.depth > 0) EMDB_TRY(bt::TouchPath(&c));
    if (exact) {
      uint8_t* node = NodeAt(c.pg[c.depth - 1], c.ki[c.depth - 1]);
      if ((NodeFlags(node) & (kNodeTree | kNodeDup)) != kNodeTree) return EMDB_INCOMPATIBLE;
      EncodeTableRecord(s.rec, NodeData(node));
    } else {
      bool split = false;
      uint8_t enc[kTableRecordSize];
      EncodeTableRecord(s.rec, enc);
      EMDB_TRY(bt::Insert(&c, name, Slice(enc, kTableRecordSize), kNodeTree, nullptr, &split));
    }
  }
  return 0;
}

// One write per page (or per large-value run). Linux sizes the page-cache folio a write
// creates by the write's length: a 64 KiB write of new pages makes 64 KiB folios, and every
// later single-page pwrite into such a folio, and every flush of it, makes ext4 walk all its
// block buffers (16 for 64 KiB, 256 for 1 MiB). Pages are rewritten one at a time far more
// often than they are created, so each is created in a folio of its own; a large value is
// written and freed whole and keeps its run. The extra system calls cost little next to a
// commit's flushes: same-run A/B of a cap of 4 KiB against 64 KiB per write, ledger 1.16-1.18x
// against 0.88-0.93x LMDB, crud in lazy mode 12,200-13,100 against 10,600-10,900 commits/s,
// fillrandom 47,000 against 41,000 puts/s; uncapped runs (up to IOV_MAX pages) gave the ledger
// 0.38-0.51x (docs/performance.md, "Session 7" and "Session 8").
//
// When the commit flushes its data next (`will_flush`: not lazy or nosync), the writeback of
// each 128 KiB written is started at once (sync_file_range), so the disk works on the first
// pages while the writer still writes the rest and the flush waits only for the tail. Smaller
// slices cost more in system calls and unmerged requests than they save (fillrandom in sync
// mode, medians of alternating runs: 48,600 puts/s without slices, 54,400 with 128 KiB ones,
// 46,000 with 32 KiB, 51,000 with 512 KiB; docs/performance.md, "Session 13").
static constexpr size_t kWritebackSlice = size_t(128) << 10;
static Status WritePages(Txn* t, bool will_flush) {
  Env* env = t->env;
  size_t ps = env->psize;
  if (env->flags & EMDB_WRITEMAP) {
    // Pages built in place need nothing; heap shadows (nested txns) are copied in.
    t->dirty.ForEach([&](pgno_t pg, Page* p) {
      uint8_t* dst = env->map.base() + pg * ps;
      if (reinterpret_cast<uint8_t*>(p) == dst) return;
      size_t n = IsLarge(p) && p->large_count > 1 ? p->large_count : 1;
      std::memcpy(dst, p, n * ps);
    });
    return 0;
  }
  // In page order: the file is written front to back, as the disk likes it.
  std::vector<std::pair<pgno_t, Page*>>& list = env->write_list;
  list.clear();
  list.reserve(t->dirty.size());
  t->dirty.ForEach([&](pgno_t pg, Page* p) { list.emplace_back(pg, p); });
  std::sort(list.begin(), list.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  uint64_t next = 0;
  uint64_t slice_from = list.empty() ? 0 : list.front().first;  // first page of this slice
  size_t slice_bytes = 0;                                       // written in this slice
  for (auto& [pg, p] : list) {
    size_t n = IsLarge(p) && p->large_count > 1 ? p->large_count : 1;
    if (pg < next) {
      EMDB_LOG_ERR("commit: dirty page %llu lies inside the run ending at %llu",
                   (unsigned long long)pg, (unsigned long long)next);
      return EMDB_PROBLEM;
    }
    EMDB_TRY(env->file->PWrite(p, n * ps, pg * ps));
    env->pgop.wops++;
    next = pg + n;
    slice_bytes += n * ps;
    if (will_flush && slice_bytes >= kWritebackSlice) {
      env->file->StartWriteback(slice_from * ps, (next - slice_from) * ps);
      slice_from = next;
      slice_bytes = 0;
    }
  }
  return 0;
}

static Status FlushData(Env* env) {
  if (env->flags & EMDB_WRITEMAP) {
    env->pgop.msync++;
    return env->file->MSync(env->map.base(), env->map.mapped(), 0);
  }
  env->pgop.fsync++;
  return env->file->DataSync();
}

static uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// Writes the meta page image `page` into `slot` (pwrite, or memcpy into the writable map) and,
// with `sync`, flushes it.
static Status WriteMetaPage(Env* env, unsigned slot, const uint8_t* page, bool sync) {
  if (env->flags & EMDB_WRITEMAP) {
    // Only the header and the meta: the rest of a meta page is zero from the file's creation and
    // in every image (meta_buf), and 512 shared stores per commit were 3,100 of crud's ~31,000
    // instructions per transaction in nosync mode (callgrind).
    CopyToShared(env->map.base() + size_t(slot) * env->psize, page, kPageHeaderSize + kMetaSize);
    if (!sync) return 0;
    EMDB_TRY(EMDB_FAILPOINT("meta.before_sync"));
    env->pgop.msync++;
    return env->file->MSync(env->map.base(), env->psize * kNumMetas, 0);
  }
  if (!sync) return env->file->PWrite(page, env->psize, uint64_t(slot) * env->psize);
  // One durable write (pwritev2 RWF_DSYNC): the data it points to was flushed before, so
  // flushing just this page is enough, and saves the second fdatasync of the commit.
  EMDB_TRY(EMDB_FAILPOINT("meta.before_sync"));
  env->pgop.fsync++;
  return env->file->PWriteDurable(page, env->psize, uint64_t(slot) * env->psize);
}

// A steady point was made: nothing is unsynced any more. `retired` is the lock file's
// pages_retired as of the steady commit (what it freed is no longer pinned by it).
static void MarkSynced(Env* env, uint64_t retired) {
  env->lck.header()->unsync_bytes.store(0);
  env->lck.header()->steady_retired.store(retired);
  env->lck.header()->last_sync_time.store(MonotonicNs());
}
static void MarkSynced(Env* env) { MarkSynced(env, env->lck.header()->pages_retired.load()); }

// Weak or meta-unsynced commits: is a steady point due (EMDB_opt_sync_bytes/sync_period)?
static bool AutosyncDue(Env* env) {
  uint64_t unsynced = env->lck.header()->unsync_bytes.load();
  if (unsynced == 0) return false;
  if (env->opt_sync_bytes != 0 && unsynced >= env->opt_sync_bytes) return true;
  if (env->opt_sync_period != 0) {
    uint64_t last = env->lck.header()->last_sync_time.load();
    uint64_t now = MonotonicNs();
    if (last == 0) {
      // No flush since the lock file was set up: the period starts now.
      env->lck.header()->last_sync_time.store(now);
      return false;
    }
    uint64_t period_ns = (env->opt_sync_period * 1000000000ull) >> 16;
    if (now - last >= period_ns) return true;
  }
  return false;
}

Status Commit(Txn* t, EMDB_commit_latency* latency) {
  // The clocks are read only for emdb_txn_commit_ex with a latency out-parameter: a plain commit
  // reads none (on some virtual machines a clock read is a system call, and CLOCK_THREAD_CPUTIME_ID
  // always is one).
  struct timespec t0 {
  }, t1{}, t2{}, t3{}, t4{};
  auto stamp = [latency](clockid_t clk, struct timespec* ts) {
    if (latency != nullptr) clock_gettime(clk, ts);
  };
  stamp(CLOCK_MONOTONIC, &t0);
  Env* env = t->env;
  if (latency) std::memset(latency, 0, sizeof(*latency));
  if (t->child != nullptr) {
    Status rc = Commit(t->child, nullptr);
    t->child->signature = kDeadSignature;
    env->live_txns.fetch_sub(1);
    delete t->child;
    t->child = nullptr;
    t->flags &= ~unsigned(EMDB_TXN_HAS_CHILD);
    if (rc != 0) {
      Abort(t);
      return rc;
    }
  }
  if (t->rdonly()) {
    Abort(t);
    return 0;
  }
  if (t->parent != nullptr) return CommitNested(t);
  if (!(t->flags & EMDB_TXN_DIRTY) && !t->canary_set && !t->geo_changed && !t->closing) {
    Abort(t);
    return 0;
  }
  // Latency parts inside the preparation (EMDB_commit_latency): the GC save (wall and this
  // thread's CPU time) and the page-accounting audits.
  struct timespec g0 {
  }, g1{}, c0{}, c1{}, a0{}, a1{};
  uint32_t audit_time = 0;
  // In-place compaction after mass deletes (compact.hpp), then the table records.
  compact::NoteCommit(env);
  Status rc = compact::Run(t);
  if (rc == 0) rc = SaveTableRecords(t);
  if (rc == 0 && AuditEnabled()) {
    stamp(CLOCK_MONOTONIC, &a0);
    rc = Audit(t, {});
    stamp(CLOCK_MONOTONIC, &a1);
    audit_time += Now16dot16(a0, a1);
    if (rc != 0)
      EMDB_LOG_ERR("audit failed before the GC save of txn %llu", (unsigned long long)t->txnid);
  }
  const uint64_t retired_pages = t->retired.size();  // for emdb_reader_list (bytes retained)
  stamp(CLOCK_MONOTONIC, &g0);
  stamp(CLOCK_THREAD_CPUTIME_ID, &c0);
  if (rc == 0) rc = space::SaveGc(t);
  stamp(CLOCK_THREAD_CPUTIME_ID, &c1);
  stamp(CLOCK_MONOTONIC, &g1);
  if (rc == 0 && AuditEnabled()) {
    stamp(CLOCK_MONOTONIC, &a0);
    rc = Audit(t, {});
    stamp(CLOCK_MONOTONIC, &a1);
    audit_time += Now16dot16(a0, a1);
    if (rc != 0)
      EMDB_LOG_ERR("audit failed after the GC save of txn %llu", (unsigned long long)t->txnid);
  }
  stamp(CLOCK_MONOTONIC, &t1);
  if (rc == 0) rc = EMDB_FAILPOINT("commit.before_write");
  unsigned mode = env->flags | (t->flags & (EMDB_TXN_NOSYNC | EMDB_TXN_NOMETASYNC));
  bool weak = (mode & EMDB_SAFE_NOSYNC) != 0;
  if (rc == 0) rc = WritePages(t, !weak);
  stamp(CLOCK_MONOTONIC, &t2);
  bool meta_sync = !weak && !(mode & EMDB_NOMETASYNC);
  if (rc != 0) {
    // Nothing the committed state reaches was touched: the pages written so far were free.
    EMDB_LOG_ERR("commit of txn %llu failed writing its pages: %d", (unsigned long long)t->txnid,
                 rc);
    Abort(t);
    return rc;
  }
  if (!weak) {
    rc = EMDB_FAILPOINT("commit.before_data_sync");
    if (rc == 0) rc = FlushData(env);
    if (rc != 0) {
      // After a failed flush the kernel may have dropped dirty pages it reported clean, among
      // them an earlier unflushed meta: continuing could build on what is not on disk.
      EMDB_LOG_ERR("commit of txn %llu: flushing the data failed: %d; environment panics",
                   (unsigned long long)t->txnid, rc);
      env->panic.store(true);
      Abort(t);
      return rc;
    }
  }
  if (weak && ::emdb::steady::Applies(env, mode)) {
    // A background flush finished: its txn becomes the steady point before this meta plans a
    // shrink (which must keep the steady snapshot's pages) and picks its slot (steady.hpp).
    bool promoted = false;
    rc = ::emdb::steady::Promote(env, &promoted);
    if (rc != 0) {
      Abort(t);
      return rc;
    }
  }
  // The meta.
  Meta m = t->meta;
  m.txnid_a = m.txnid_b = t->txnid;
  m.magic = kMagic;
  m.version = kFormatVersion;
  m.pagesize = env->psize;
  m.geo = env->geo;
  m.gc = t->dbs[kGcDbi].rec;
  m.main = t->dbs[kMainDbi].rec;
  m.next_pgno = t->next_pgno;
  if (t->canary_set) m.canary[3] = t->txnid;
  os::BootId boot = os::CurrentBootId();
  m.bootid[0] = boot.x;
  m.bootid[1] = boot.y;
  m.geo.now = space::PlanShrink(t, m.next_pgno, !weak && meta_sync);
  m.sign = weak ? kSignWeak : MetaChecksum(m);
  int head, steady;
  uint64_t txnids[kNumMetas];
  PickMetasLocked(env, &head, &steady, txnids);
  int slot = -1;
  uint64_t best = ~uint64_t(0);
  for (int i = 0; i < int(kNumMetas); i++) {
    if (i == head || i == steady) continue;
    if (txnids[i] < best) {
      best = txnids[i];
      slot = i;
    }
  }
  EMDB_ENSURE(slot >= 0);
  std::vector<uint8_t>& page = env->meta_buf;
  if (page.size() != std::max<size_t>(env->psize, kMinPageSize)) {
    page.assign(std::max<size_t>(env->psize, kMinPageSize), 0);
  }
  Page* mp = reinterpret_cast<Page*>(page.data());
  mp->pgno = pgno_t(slot);
  mp->txnid = t->txnid;
  mp->flags = kPageMeta;
  EncodeMeta(m, page.data() + kPageHeaderSize);
  rc = EMDB_FAILPOINT("commit.before_meta_write");
  if (rc != 0) {
    EMDB_LOG_ERR("commit of txn %llu failed before the meta: %d", (unsigned long long)t->txnid, rc);
    Abort(t);
    return rc;
  }
  rc = WriteMetaPage(env, unsigned(slot), page.data(), meta_sync);
  stamp(CLOCK_MONOTONIC, &t3);
  if (rc != 0) {
    EMDB_LOG_ERR("commit of txn %llu: writing the meta failed: %d; environment panics",
                 (unsigned long long)t->txnid, rc);
    env->panic.store(true);
    Abort(t);
    return rc;
  }
  // Only the writer adds to pages_retired: this is its value once this commit is counted.
  const uint64_t retired_after =
      env->lck.header()->pages_retired.load(std::memory_order_relaxed) + retired_pages;
  if (weak || !meta_sync) {
    env->lck.header()->unsync_bytes.fetch_add(t->dirty_bytes + env->psize);
    // Lazy mode: once enough is unflushed, a background flush prepares a steady point.
    if (weak && ::emdb::steady::Applies(env, mode))
      ::emdb::steady::MaybeRequest(env, t->txnid, page, retired_after);
  } else {
    MarkSynced(env, retired_after);
  }
  env->lck.header()->pages_retired.fetch_add(retired_pages, std::memory_order_relaxed);
  env->lck.header()->head_txnid.store(t->txnid, std::memory_order_seq_cst);
  // Early reuse (pages::SiftEarly): a weak commit's pages are born after the steady point; a
  // steady commit's are not, nor is anything older.
  if (weak && (mode & EMDB_UTTERLY_NOSYNC) != EMDB_UTTERLY_NOSYNC) {
    pages::NoteBirths(t);
  } else {
    pages::ForgetBirths(env);
  }
  env->births_head = t->txnid;
  env->sifted_upto = t->sifted_upto;
  if (!meta_sync && AutosyncDue(env)) {
    // EMDB_opt_sync_bytes / sync_period: this commit becomes a steady point. The commit itself
    // already succeeded; a failed flush here panics the environment like any failed flush.
    Status src = SteadyHead(env);
    if (src != 0) {
      EMDB_LOG_ERR("autosync after txn %llu failed: %d; environment panics",
                   (unsigned long long)t->txnid, src);
      env->panic.store(true);
    }
  }
  space::ApplyShrink(t, m.geo.now);
  compact::NoteTables(t);
  // Commit succeeded: release.
  UnbindCursors(t);
  ReleaseDirty(t);
  t->created_dbis.clear();
  t->renamed.clear();
  {
    // Dropped tables lose their handles now.
    std::lock_guard<std::mutex> g(env->dbi_mu);
    unsigned n = env->num_dbis.load();
    for (EMDB_dbi d = kCoreDbs; d < n && d < t->dbs.size(); d++) {
      if (t->dbs[d].state & kDbDropped) {
        env->dbis[d].used = false;
        env->dbis[d].name.clear();
        env->dbis[d].generation++;
      }
    }
  }
  env->write_txn = nullptr;
  env->writer_tid.store(0);
  env->lck.UnlockWriter();
  t->flags |= EMDB_TXN_FINISHED;
  stamp(CLOCK_MONOTONIC, &t4);
  if (latency) {
    latency->preparation = Now16dot16(t0, t1);
    latency->gc_wallclock = Now16dot16(g0, g1);
    latency->gc_cputime = Now16dot16(c0, c1);
    latency->audit = audit_time;
    latency->write = Now16dot16(t1, t2);
    latency->sync = Now16dot16(t2, t3);
    latency->ending = Now16dot16(t3, t4);
    latency->whole = Now16dot16(t0, t4);
  }
  return 0;
}

Status SteadyHead(Env* env, bool data_flushed) {
  int head, steady;
  uint64_t txnids[kNumMetas];
  PickMetasLocked(env, &head, &steady, txnids);
  if (head < 0) return EMDB_CORRUPTED;
  EMDB_TRY(EMDB_FAILPOINT("sync.before_data_sync"));
  if (!data_flushed) EMDB_TRY(FlushData(env));
  uint64_t shrink_to = 0;
  if (head != steady) {
    Meta m = DecodeMeta(PageData(env->MetaPage(unsigned(head))));
    os::BootId boot = os::CurrentBootId();
    m.bootid[0] = boot.x;
    m.bootid[1] = boot.y;
    // The weak commits before this steady point may have left a free tail that only the steady
    // point allowed to cut (space.hpp S4): the steady meta records the smaller size.
    if (env->recovery_meta < 0 && m.geo.now == env->geo.now) {
      // A write txn under way (this is called from its allocator or its commit) may already
      // use pages past the head's: they stay.
      uint64_t in_use = m.next_pgno;
      for (Txn* w = env->write_txn.load(); w != nullptr; w = w->child) {
        in_use = std::max<uint64_t>(in_use, w->next_pgno);
      }
      const uint64_t target = space::PlanShrinkAtSteady(env, in_use);
      if (target < m.geo.now) m.geo.now = shrink_to = target;
    }
    m.sign = MetaChecksum(m);
    std::vector<uint8_t> page(std::max<size_t>(env->psize, kMinPageSize), 0);
    std::memcpy(page.data(), env->MetaPage(unsigned(head)), kPageHeaderSize);
    EncodeMeta(m, page.data() + kPageHeaderSize);
    EMDB_TRY(EMDB_FAILPOINT("sync.before_meta_write"));
    EMDB_TRY(WriteMetaPage(env, unsigned(head), page.data(), true));
  } else if (env->flags & EMDB_WRITEMAP) {
    // The head meta itself may sit unflushed in the map (NOMETASYNC).
    env->pgop.msync++;
    EMDB_TRY(env->file->MSync(env->map.base(), env->psize * kNumMetas, 0));
  }
  MarkSynced(env);
  if (shrink_to != 0) space::TruncateTo(env, shrink_to);
  return 0;
}

Status TurnForRecovery(Env* env, unsigned target) {
  if (env->flags & EMDB_RDONLY) return EMDB_EACCESS;
  if (env->writer_tid.load() == uint64_t(pthread_self())) return EMDB_BUSY;
  EMDB_TRY(env->lck.LockWriter(false));
  ::emdb::steady::Stop(env);  // a pending background steady point is not to outlive the turn
  Status rc = [&]() -> Status {
    Meta m = DecodeMeta(PageData(env->MetaPage(target)));
    if (!MetaValid(env, m)) {
      EMDB_LOG_ERR("meta %u is not valid: cannot turn the database to it", target);
      return EMDB_CORRUPTED;
    }
    EMDB_TRY(FlushData(env));
    // Newer metas are wiped first, so a crash in between leaves either the old newest meta or
    // the target as the newest: never a mix.
    std::vector<uint8_t> page(std::max<size_t>(env->psize, kMinPageSize), 0);
    for (unsigned i = 0; i < kNumMetas; i++) {
      if (i == target) continue;
      Meta o = DecodeMeta(PageData(env->MetaPage(i)));
      if (o.txnid_a <= m.txnid_a && o.txnid_b <= m.txnid_a) continue;
      Meta e{};
      e.magic = kMagic;
      e.version = kFormatVersion;
      e.pagesize = env->psize;
      e.geo = m.geo;
      e.gc = EmptyTree(0);
      e.main = EmptyTree(0);
      e.next_pgno = kNumMetas;
      e.sign = kSignNone;
      std::fill(page.begin(), page.end(), 0);
      Page* p = reinterpret_cast<Page*>(page.data());
      p->pgno = i;
      p->flags = kPageMeta;
      EncodeMeta(e, page.data() + kPageHeaderSize);
      EMDB_TRY(WriteMetaPage(env, i, page.data(), true));
    }
    os::BootId boot = os::CurrentBootId();
    m.bootid[0] = boot.x;
    m.bootid[1] = boot.y;
    m.sign = MetaChecksum(m);
    std::fill(page.begin(), page.end(), 0);
    std::memcpy(page.data(), env->MetaPage(target), kPageHeaderSize);
    EncodeMeta(m, page.data() + kPageHeaderSize);
    EMDB_TRY(WriteMetaPage(env, target, page.data(), true));
    for (auto& seen : env->meta_seen) seen.checked = false;
    env->recovery_meta = -1;
    env->lck.header()->head_txnid.store(m.txnid_a);
    MarkSynced(env);
    return 0;
  }();
  env->lck.UnlockWriter();
  return rc;
}

Status SyncEnv(Env* env, bool force, bool nonblock) {
  if (env->flags & EMDB_RDONLY) return EMDB_EACCESS;
  if (env->writer_tid.load() == uint64_t(pthread_self())) return EMDB_BUSY;
  EMDB_TRY(env->lck.LockWriter(nonblock));
  int head, steady;
  uint64_t txnids[kNumMetas];
  PickMetasLocked(env, &head, &steady, txnids);
  bool pending = env->lck.header()->unsync_bytes.load() != 0 || head != steady;
  bool weak_mode = (env->flags & EMDB_SAFE_NOSYNC) != 0;
  Status rc;
  if (head < 0) {
    rc = EMDB_CORRUPTED;
  } else if (!pending) {
    rc = EMDB_RESULT_TRUE;  // nothing to flush
  } else if (!force && weak_mode && !AutosyncDue(env)) {
    rc = EMDB_RESULT_TRUE;  // not due yet (emdb_env_sync_poll, or sync_ex without force)
  } else {
    rc = SteadyHead(env);
    if (rc != 0 && rc != EMDB_CORRUPTED) {
      EMDB_LOG_ERR("sync failed: %d; environment panics", rc);
      env->panic.store(true);
    }
  }
  env->lck.UnlockWriter();
  return rc;
}

}  // namespace emdb::txn
