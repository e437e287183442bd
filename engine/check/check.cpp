// engine/check/check.cpp — see check.hpp.
#include "check/check.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "base/log.hpp"
#include "check/walk.hpp"
#include "os/file.hpp"
#include "os/mmap.hpp"

namespace emdb::check {

using namespace format;

namespace {

// Pages that can be read: in the map and in the file. Grows the map to the file when the file
// is larger (the reservation never moves, W1).
pgno_t ReadablePages(Env* env, uint64_t* file_bytes) {
  uint64_t fs = 0;
  if (env->file->Size(&fs) != 0) fs = 0;
  *file_bytes = fs;
  size_t want = size_t(std::min<uint64_t>(fs / env->psize * env->psize, env->map.reserved()));
  if (want > env->map.mapped()) {
    // Best effort: on failure we read what is mapped.
    (void)env->map.Extend(env->file->fd(), want, (env->flags & EMDB_WRITEMAP) != 0);
  }
  const uint64_t mapped = env->map.mapped();
  return pgno_t(std::min<uint64_t>(mapped, fs) / env->psize);
}

struct MetaVerdict {
  Meta m{};
  bool empty = false, valid = false, steady = false;
};

// Judges meta slot `i`, the page at base + i * psize. Every message names the slot, its page
// and the field that is wrong. Truncation is not judged here: a meta that reaches past the end
// of the file is still valid (its pages are checked as far as the file goes, see CheckSource).
MetaVerdict JudgeMeta(Walker& w, const uint8_t* base, size_t psize, unsigned i) {
  MetaVerdict v;
  const Page* p = reinterpret_cast<const Page*>(base + size_t(i) * psize);
  v.m = DecodeMeta(PageData(p));
  const Meta& m = v.m;
  const EMDB_val* who = EMDB_PGWALK_META;
  if (m.txnid_a == 0 && m.txnid_b == 0 && m.sign == kSignNone && m.magic == kMagic) {
    v.empty = true;  // a slot never written since the file was created
    return v;
  }
  bool ok = true;
  if (m.magic != kMagic) {
    w.Problem(EMDB_CHK_META, i, who, "meta %u (page %u): bad magic 0x%08x (want 0x%08x)", i, i,
              m.magic, kMagic);
    return v;
  }
  if (m.version != kFormatVersion) {
    w.Problem(EMDB_CHK_META, i, who, "meta %u (page %u): format version %u (want %u)", i, i,
              m.version, kFormatVersion);
    return v;
  }
  if (m.txnid_a != m.txnid_b) {
    w.Problem(EMDB_CHK_META, i, who, "meta %u (page %u): torn (txnid copies %llu and %llu differ)",
              i, i, (unsigned long long)m.txnid_a, (unsigned long long)m.txnid_b);
    ok = false;
  } else if (m.txnid_a == 0) {
    w.Problem(EMDB_CHK_META, i, who, "meta %u (page %u): txnid 0 with a sign", i, i);
    ok = false;
  }
  if (m.pagesize != psize) {
    w.Problem(EMDB_CHK_META, i, who, "meta %u (page %u): page size %u (the file uses %zu)", i, i,
              m.pagesize, psize);
    ok = false;
  }
  if (m.sign != kSignWeak && m.sign != MetaChecksum(m)) {
    w.Problem(EMDB_CHK_META, i, who, "meta %u (page %u): checksum mismatch (sign %016llx)", i, i,
              (unsigned long long)m.sign);
    ok = false;
  }
  if (p->pgno != i || p->flags != kPageMeta) {
    w.Problem(EMDB_CHK_META, i, who, "meta %u (page %u): page header names page %llu, kind 0x%x", i,
              i, (unsigned long long)p->pgno, p->flags);
    ok = false;
  }
  if (!ok) return v;
  // Geometry and records.
  const Geometry& g = m.geo;
  if (!(g.lower <= g.now && g.now <= g.upper) || g.lower < kNumMetas) {
    w.Problem(EMDB_CHK_META, i, who,
              "meta %u (page %u): geometry lower %llu, now %llu, upper %llu pages is not ordered",
              i, i, (unsigned long long)g.lower, (unsigned long long)g.now,
              (unsigned long long)g.upper);
    ok = false;
  }
  if (m.next_pgno < kNumMetas || m.next_pgno > g.now) {
    w.Problem(EMDB_CHK_META, i, who, "meta %u (page %u): next_pgno %llu outside [3, now %llu]", i,
              i, (unsigned long long)m.next_pgno, (unsigned long long)g.now);
    ok = false;
  }
  for (const TreeRecord* r : {&m.gc, &m.main}) {
    if (r->root != kInvalidPgno && (r->root < kNumMetas || r->root >= m.next_pgno)) {
      w.Problem(EMDB_CHK_META, i, who,
                "meta %u (page %u): %s root %llu outside [3, next_pgno %llu)", i, i,
                r == &m.gc ? "GC" : "main", (unsigned long long)r->root,
                (unsigned long long)m.next_pgno);
      ok = false;
    }
    if (r->mod_txnid > m.txnid_a) {
      w.Problem(EMDB_CHK_META, i, who,
                "meta %u (page %u): %s modified by txn %llu after the meta's %llu", i, i,
                r == &m.gc ? "GC" : "main", (unsigned long long)r->mod_txnid,
                (unsigned long long)m.txnid_a);
      ok = false;
    }
  }
  if ((m.main.flags & ~kTableFlagsMask) || m.gc.flags != 0) {
    w.Problem(EMDB_CHK_META, i, who, "meta %u (page %u): table flags main 0x%x, GC 0x%x", i, i,
              m.main.flags, m.gc.flags);
    ok = false;
  }
  v.valid = ok;
  v.steady = ok && m.sign != kSignWeak;
  return v;
}

void CheckGcRecords(Walker& w, txnid_t snapshot, uint64_t* listed) {
  const EMDB_val* gc = EMDB_PGWALK_GC;
  for (const Walker::GcRecord& r : w.gc_records()) {
    if (w.stopped()) return;
    if (r.ksize != kGcKeySize) {
      w.Problem(EMDB_CHK_GC, r.leaf, gc, "GC record key of %zu bytes (want %zu)", r.ksize,
                kGcKeySize);
      continue;
    }
    const txnid_t id = GcKeyTxnid(r.key);
    if (id == 0 || id > snapshot) {
      w.Problem(EMDB_CHK_GC, r.leaf, gc, "GC record of txn %llu (snapshot %llu)",
                (unsigned long long)id, (unsigned long long)snapshot);
    }
    if (r.vsize < sizeof(GcRecordHeader)) {
      w.Problem(EMDB_CHK_GC, r.leaf, gc, "GC record of txn %llu has a %zu-byte value",
                (unsigned long long)id, r.vsize);
      continue;
    }
    const uint32_t count = Load32(r.val);
    if (sizeof(GcRecordHeader) + uint64_t(count) * 8 > r.vsize) {
      w.Problem(EMDB_CHK_GC, r.leaf, gc,
                "GC record of txn %llu lists %u pages but its value has %zu bytes",
                (unsigned long long)id, count, r.vsize);
      continue;
    }
    pgno_t prev = 0;
    for (uint32_t k = 0; k < count && !w.stopped(); k++) {
      const pgno_t pg = Load64(r.val + sizeof(GcRecordHeader) + 8 * size_t(k));
      if (k > 0 && pg <= prev) {
        w.Problem(EMDB_CHK_GC, r.leaf, gc,
                  "GC record of txn %llu is not sorted: page %llu after %llu",
                  (unsigned long long)id, (unsigned long long)pg, (unsigned long long)prev);
        break;
      }
      prev = pg;
      (*listed)++;
      w.Claim(pg, 1, kOwnGcList, gc, "GC-listed page", r.leaf);
    }
  }
}

// What a check reads: the pages of one file through a map, and the meta to check by default.
struct Source {
  const uint8_t* base = nullptr;
  size_t psize = 0;
  uint64_t file_bytes = 0;
  pgno_t readable = 0;             // pages in both the map and the file (W1)
  const Meta* snapshot = nullptr;  // meta_selector -1: this meta (a txn's); nullptr: the newest
};

Status Finish(const Walker& w, EMDB_chk_report* rep, EMDB_chk_report* report) {
  std::memcpy(rep->problems, w.problems, sizeof(rep->problems));
  rep->problems_total = w.problems_total;
  if (report) *report = *rep;
  return w.stopped() ? w.stop_value() : Status(EMDB_RESULT_TRUE);
}

Status CheckSource(const Source& src, unsigned flags, int meta_selector, EMDB_chk_report* report,
                   EMDB_chk_problem_func* cb, void* ctx) {
  EMDB_chk_report rep{};
  const pgno_t readable = src.readable;
  const uint64_t file_pages = src.file_bytes / src.psize;
  rep.pagesize = src.psize;
  rep.file_pages = file_pages;
  rep.meta_pages = kNumMetas;
  rep.meta_selected = -1;

  PageView view;
  view.base = src.base;
  view.psize = src.psize;
  view.readable = readable;

  // A walker without pages for the meta checks (their problems share its counters).
  Walker metas(view, true);
  metas.SetProblem(cb, ctx);
  if (readable < kNumMetas) {
    metas.Problem(EMDB_CHK_IO, kInvalidPgno, EMDB_PGWALK_META,
                  "the file has %llu pages, fewer than the three metas",
                  (unsigned long long)readable);
    return Finish(metas, &rep, report);
  }
  MetaVerdict mv[kNumMetas];
  for (unsigned i = 0; i < kNumMetas; i++) {
    mv[i] = JudgeMeta(metas, src.base, src.psize, i);
    rep.meta_valid[i] = mv[i].valid;
    rep.meta_steady[i] = mv[i].steady;
    rep.meta_txnid[i] = mv[i].empty ? 0 : mv[i].m.txnid_a;
    if (mv[i].valid && mv[i].m.txnid_a > rep.recent_txnid) rep.recent_txnid = mv[i].m.txnid_a;
    if (mv[i].steady && mv[i].m.txnid_a > rep.steady_txnid) rep.steady_txnid = mv[i].m.txnid_a;
  }
  for (unsigned i = 0; i < kNumMetas; i++) {
    for (unsigned j = i + 1; j < kNumMetas; j++) {
      if (mv[i].valid && mv[j].valid && mv[i].m.txnid_a == mv[j].m.txnid_a) {
        metas.Problem(EMDB_CHK_META, i, EMDB_PGWALK_META, "metas %u and %u share txnid %llu", i, j,
                      (unsigned long long)mv[i].m.txnid_a);
      }
    }
  }
  // The meta to check: the chosen one, the snapshot's, or the newest valid one.
  Meta m;
  if (meta_selector >= 0) {
    rep.meta_selected = meta_selector;
    m = mv[meta_selector].m;
    if (!mv[meta_selector].valid) {
      metas.Problem(EMDB_CHK_META, unsigned(meta_selector), EMDB_PGWALK_META,
                    "meta %d, chosen for the check, is not valid: nothing to walk", meta_selector);
      return Finish(metas, &rep, report);
    }
  } else if (src.snapshot != nullptr) {
    m = *src.snapshot;
    for (unsigned i = 0; i < kNumMetas; i++) {
      if (mv[i].valid && mv[i].m.txnid_a == m.txnid_a) rep.meta_selected = int(i);
    }
  } else {
    for (unsigned i = 0; i < kNumMetas; i++) {
      if (mv[i].valid && (rep.meta_selected < 0 || mv[i].m.txnid_a > m.txnid_a)) {
        m = mv[i].m;
        rep.meta_selected = int(i);
      }
    }
    if (rep.meta_selected < 0) {
      metas.Problem(EMDB_CHK_META, 0, EMDB_PGWALK_META, "no valid meta: nothing to walk");
      return Finish(metas, &rep, report);
    }
  }
  // Metas that reach past the end of the file (truncation): the checked one is walked as far
  // as the file goes; the pages past the end are reported where they are linked.
  for (unsigned i = 0; i < kNumMetas; i++) {
    if (!mv[i].valid || mv[i].m.next_pgno <= file_pages || int(i) == rep.meta_selected) continue;
    metas.Problem(EMDB_CHK_META, i, EMDB_PGWALK_META,
                  "meta %u (page %u): its snapshot reaches page %llu, beyond the end of the file "
                  "(%llu pages)",
                  i, i, (unsigned long long)(mv[i].m.next_pgno - 1),
                  (unsigned long long)file_pages);
  }
  if (m.next_pgno > file_pages) {
    metas.Problem(EMDB_CHK_IO, pgno_t(file_pages), EMDB_PGWALK_META,
                  "the file is truncated: it has %llu pages (%llu bytes), the checked meta %d "
                  "needs %llu pages: %llu page(s) from page %llu are missing",
                  (unsigned long long)file_pages, (unsigned long long)src.file_bytes,
                  rep.meta_selected, (unsigned long long)m.next_pgno,
                  (unsigned long long)(m.next_pgno - file_pages), (unsigned long long)file_pages);
  }
  rep.checked_txnid = m.txnid_a;
  rep.allocated_pages = m.next_pgno;

  view.next_pgno = m.next_pgno;
  view.txnid = m.txnid_a;
  const bool order = !(flags & (EMDB_CHK_IGNORE_ORDER | EMDB_CHK_SKIP_KV_TRAVERSAL));
  Walker w(view, order);
  w.SetProblem(cb, ctx);
  w.SetProgress((flags & EMDB_CHK_PROGRESS) != 0);
  std::memcpy(w.problems, metas.problems, sizeof(w.problems));
  w.problems_total = metas.problems_total;
  const bool trees = !(flags & EMDB_CHK_SKIP_BTREE_TRAVERSAL);
  w.SetGcOnly(!trees);
  int stop = metas.stopped() ? metas.stop_value() : w.Run(m.gc, m.main);
  uint64_t listed = 0;
  if (stop == 0) {
    CheckGcRecords(w, m.txnid_a, &listed);
    stop = w.stop_value();
  }
  // Lost pages, reported as runs. Not in a truncated snapshot: whatever hangs below a page
  // past the end of the file cannot be attributed, so "lost" would only repeat the truncation.
  uint64_t lost = 0;
  if (stop == 0 && trees && m.next_pgno <= file_pages) {
    const auto& own = w.owners();
    size_t i = kNumMetas;
    while (i < own.size() && !w.stopped()) {
      if (own[i] != kFree) {
        i++;
        continue;
      }
      size_t j = i;
      while (j < own.size() && own[j] == kFree) j++;
      lost += j - i;
      w.Problem(EMDB_CHK_PAGE_LOST, pgno_t(i), EMDB_PGWALK_GC,
                "%zu page(s) %zu..%zu are lost: used by no tree and listed in no GC record", j - i,
                i, j - 1);
      i = j;
    }
  }
  rep.gc_tree_pages = w.gc_count.branch + w.gc_count.leaf + w.gc_count.large;
  rep.gc_listed_pages = listed;
  rep.main_pages = w.main_count.branch + w.main_count.leaf + w.main_count.large;
  rep.table_pages = w.table_pages;
  rep.large_pages = w.large_pages + w.main_count.large;
  rep.lost_pages = lost;
  rep.double_pages = w.problems[EMDB_CHK_PAGE_DOUBLE];
  rep.tables = w.tables;
  rep.entries = w.entries + (w.main_count.items >= w.tables ? w.main_count.items - w.tables : 0);
  std::memcpy(rep.problems, w.problems, sizeof(rep.problems));
  rep.problems_total = w.problems_total;
  if (report) *report = rep;
  if (w.stop_value() != 0) return w.stop_value();
  if (stop != 0) return stop;
  return rep.problems_total ? EMDB_RESULT_TRUE : 0;
}

// The page size of a file whose metas may be damaged: every legal size is scored by the slots
// that hold the magic and name that size at their place for it; the best score wins (a tie
// goes to the smaller size). 0: no slot has the magic at any size (not a database).
Status ProbePageSize(os::File* file, uint64_t fsize, uint32_t* psize) {
  *psize = 0;
  unsigned best = 0;
  uint8_t raw[kPageHeaderSize + kMetaSize];
  for (uint32_t ps = kMinPageSize; ps <= kMaxPageSize; ps <<= 1) {
    unsigned score = 0;
    for (unsigned slot = 0; slot < kNumMetas; slot++) {
      const uint64_t off = uint64_t(ps) * slot;
      if (off + sizeof(raw) > fsize) break;
      EMDB_TRY(file->PRead(raw, sizeof(raw), off));
      const Meta m = DecodeMeta(raw + kPageHeaderSize);
      if (m.magic == kMagic && m.pagesize == ps) score++;
    }
    if (score > best) {
      best = score;
      *psize = ps;
    }
  }
  return 0;
}

}  // namespace

Status Check(Txn* t, unsigned flags, int meta_selector, EMDB_chk_report* report,
             EMDB_chk_problem_func* cb, void* ctx) {
  Env* env = t->env;
  Source src;
  src.base = env->map.base();
  src.psize = env->psize;
  src.readable = ReadablePages(env, &src.file_bytes);
  src.snapshot = &t->meta;
  return CheckSource(src, flags, meta_selector, report, cb, ctx);
}

Status CheckFile(const char* path, unsigned flags, int meta_selector, EMDB_chk_report* report,
                 EMDB_chk_problem_func* cb, void* ctx) {
  struct stat st;
  if (::stat(path, &st) != 0) return errno;
  const std::string data =
      S_ISDIR(st.st_mode) ? std::string(path) + "/emdb.dat" : std::string(path);
  const int fd = ::open(data.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  std::unique_ptr<os::File> file = os::MakePosixFile(fd);
  uint64_t fsize = 0;
  EMDB_TRY(file->Size(&fsize));
  uint32_t psize = 0;
  EMDB_TRY(ProbePageSize(file.get(), fsize, &psize));
  if (psize == 0) {
    EMDB_LOG_ERR("%s: no meta page at any page size: not a database", data.c_str());
    return EMDB_INVALID;
  }
  // A read-only map of the whole pages of the file: nothing past its end is ever touched (W1).
  const uint64_t pages = fsize / psize;
  os::MapRegion map;
  if (pages > 0) {
    EMDB_TRY(map.Reserve(size_t(pages * psize)));
    EMDB_TRY(map.Extend(file->fd(), size_t(pages * psize), false));
  }
  Source src;
  src.base = map.base();
  src.psize = psize;
  src.file_bytes = fsize;
  src.readable = pgno_t(pages);
  return CheckSource(src, flags, meta_selector, report, cb, ctx);
}

Status PgWalk(Txn* t, EMDB_pgvisitor_func* visitor, void* ctx) {
  Env* env = t->env;
  uint64_t file_bytes = 0;
  PageView view;
  view.base = env->map.base();
  view.psize = env->psize;
  view.readable = ReadablePages(env, &file_bytes);
  if (t->rdonly()) {
    view.next_pgno = t->meta.next_pgno;
  } else {
    view.next_pgno = t->next_pgno;
    view.dirty = t;
  }
  view.txnid = t->txnid;
  if (view.readable < kNumMetas) return EMDB_CORRUPTED;
  Walker w(view, true);
  w.SetVisitor(visitor, ctx);
  if (!t->rdonly()) w.SetTableOverride(t);
  int rc = w.Run(t->dbs[kGcDbi].rec, t->dbs[kMainDbi].rec);
  if (rc != 0) return rc;
  return w.problems_total ? EMDB_CORRUPTED : 0;
}

}  // namespace emdb::check
