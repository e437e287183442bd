// engine/env/env.cpp — see env.hpp.
#include "env/env.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/failpoint.hpp"
#include "base/log.hpp"
#include "btree/cursor.hpp"
#include "btree/tree.hpp"
#include "os/bootid.hpp"
#include "txn/pages.hpp"
#include "txn/steady.hpp"
#include "txn/txn.hpp"

namespace emdb::env {

using namespace format;

namespace {

std::mutex g_open_mu;
std::vector<std::pair<dev_t, ino_t>> g_open_files;
std::atomic<uint64_t> g_env_ids{1};

uint64_t RoundUp(uint64_t v, uint64_t unit) { return (v + unit - 1) / unit * unit; }

bool IsPow2(uint64_t v) { return v && !(v & (v - 1)); }

// Geometry in bytes -> pages, with defaults (docs/geometry.md).
Status ResolveGeometry(Env* env, uint32_t psize, Geometry* g) {
  uint64_t unit = std::max<uint64_t>(psize, os::SystemPageSize());
  uint64_t lower = env->req_lower >= 0 ? uint64_t(env->req_lower) : 0;
  uint64_t upper = env->req_upper >= 0 ? uint64_t(env->req_upper) : (uint64_t(64) << 30);
  uint64_t now = env->req_now >= 0 ? uint64_t(env->req_now) : lower;
  uint64_t grow = env->req_grow >= 0 ? uint64_t(env->req_grow) : (uint64_t(16) << 20);
  uint64_t shrink = env->req_shrink >= 0 ? uint64_t(env->req_shrink) : grow * 2;
  uint64_t minbytes = RoundUp(uint64_t(psize) * 16, unit);
  lower = std::max(RoundUp(lower, unit), minbytes);
  if (upper == 0) upper = lower;
  upper = RoundUp(upper, unit);
  if (upper > EMDB_MAPSIZE_MAX) upper = EMDB_MAPSIZE_MAX;
  now = std::max(RoundUp(now, unit), lower);
  if (upper < lower) {
    EMDB_LOG_ERR("geometry: upper (%llu) is below lower (%llu)", (unsigned long long)upper,
                 (unsigned long long)lower);
    return EMDB_EINVAL;
  }
  if (now > upper) now = upper;
  grow = grow ? RoundUp(grow, unit) : unit;
  g->lower = lower / psize;
  g->upper = upper / psize;
  g->now = now / psize;
  g->grow = grow / psize;
  g->shrink = RoundUp(shrink, unit) / psize;
  return 0;
}

Status WriteInitialMetas(Env* env, const Geometry& geo) {
  size_t ps = env->psize;
  std::vector<uint8_t> buf(ps * kNumMetas, 0);
  for (unsigned i = 0; i < kNumMetas; i++) {
    Page* p = reinterpret_cast<Page*>(buf.data() + i * ps);
    p->pgno = i;
    p->flags = kPageMeta;
    Meta m{};
    m.magic = kMagic;
    m.version = kFormatVersion;
    m.pagesize = uint32_t(ps);
    m.geo = geo;
    m.gc = EmptyTree(0);
    m.main = EmptyTree(0);
    m.next_pgno = kNumMetas;
    if (i == 0) {
      m.txnid_a = m.txnid_b = 1;
      p->txnid = 1;
      m.sign = MetaChecksum(m);
    } else {
      m.txnid_a = m.txnid_b = 0;  // an empty slot
      m.sign = kSignNone;
    }
    EncodeMeta(m, PageData(p));
  }
  EMDB_TRY(env->file->Truncate(geo.now * ps));
  EMDB_TRY(env->file->PWrite(buf.data(), buf.size(), 0));
  return env->file->DataSync();
}

// Finds the page size and reads the three metas of an existing file.
Status ProbeFile(Env* env, uint64_t fsize, bool* fresh) {
  *fresh = false;
  uint8_t hdr[kPageHeaderSize + kMetaSize];
  if (fsize < kPageHeaderSize + kMetaSize) {
    *fresh = fsize == 0;
    if (!*fresh) {
      // Shorter than one meta: either an interrupted creation (all zero) or not ours.
      std::vector<uint8_t> b(fsize);
      EMDB_TRY(env->file->PRead(b.data(), b.size(), 0));
      *fresh = std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
      if (!*fresh) return EMDB_INVALID;
    }
    return 0;
  }
  // Try slot 0, then slots 1 and 2 at every page size.
  std::vector<uint32_t> candidates;
  for (uint32_t ps = kMinPageSize; ps <= kMaxPageSize; ps <<= 1) candidates.push_back(ps);
  EMDB_TRY(env->file->PRead(hdr, sizeof(hdr), 0));
  Meta m = DecodeMeta(hdr + kPageHeaderSize);
  bool any_magic = false;
  auto plausible = [&](const Meta& mm) {
    return mm.magic == kMagic && IsPow2(mm.pagesize) && mm.pagesize >= kMinPageSize &&
           mm.pagesize <= kMaxPageSize;
  };
  if (plausible(m)) {
    any_magic = true;
    if (m.version != kFormatVersion) return EMDB_VERSION_MISMATCH;
    env->psize = m.pagesize;
    return 0;
  }
  for (uint32_t ps : candidates) {
    for (unsigned slot = 1; slot < kNumMetas; slot++) {
      if (uint64_t(ps) * slot + sizeof(hdr) > fsize) continue;
      EMDB_TRY(env->file->PRead(hdr, sizeof(hdr), uint64_t(ps) * slot));
      m = DecodeMeta(hdr + kPageHeaderSize);
      if (plausible(m) && m.pagesize == ps) {
        if (m.version != kFormatVersion) return EMDB_VERSION_MISMATCH;
        env->psize = ps;
        return 0;
      }
    }
  }
  (void)any_magic;
  // No meta at all: an interrupted creation leaves only zeros in the meta area.
  std::vector<uint8_t> b(std::min<uint64_t>(fsize, uint64_t(kMaxPageSize) * kNumMetas));
  EMDB_TRY(env->file->PRead(b.data(), b.size(), 0));
  if (std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; })) {
    *fresh = true;
    return 0;
  }
  return EMDB_INVALID;
}

// A file whose metas were never committed and that holds nothing beyond them is the remains of
// an interrupted creation: it is created again. A damaged real database always has non-zero
// pages after the metas, so it is never mistaken for one.
Status InterruptedCreation(Env* env, const std::vector<uint8_t>& metas, uint64_t fsize, bool* yes) {
  *yes = false;
  size_t ps = env->psize;
  for (unsigned i = 0; i < kNumMetas; i++) {
    Meta m = DecodeMeta(metas.data() + i * ps + kPageHeaderSize);
    if (m.magic == kMagic && (m.txnid_a != 0 || m.txnid_b != 0)) return 0;
  }
  std::vector<uint8_t> buf(1 << 20);
  for (uint64_t off = ps * kNumMetas; off < fsize;) {
    size_t n = size_t(std::min<uint64_t>(buf.size(), fsize - off));
    EMDB_TRY(env->file->PRead(buf.data(), n, off));
    if (!std::all_of(buf.begin(), buf.begin() + long(n), [](uint8_t x) { return x == 0; })) {
      return 0;
    }
    off += n;
  }
  *yes = true;
  return 0;
}

// Recovery at open (docs/durability.md): a weak meta newer than the newest steady one is trusted
// only if it was written in this boot of the system (only a process died since). Otherwise the
// system restarted and its pages may never have reached the disk: the database rolls back to the
// newest steady meta, and the untrusted weak metas are overwritten by empty slots.
// *untrusted receives a bit per slot to purge.
unsigned UntrustedMetas(const Env* env, const std::vector<uint8_t>& metas) {
  size_t ps = env->psize;
  uint64_t steady_txnid = 0;
  Meta m[kNumMetas];
  bool valid[kNumMetas];
  for (unsigned i = 0; i < kNumMetas; i++) {
    m[i] = DecodeMeta(metas.data() + i * ps + kPageHeaderSize);
    valid[i] = txn::MetaValid(env, m[i]);
    if (valid[i] && m[i].sign != kSignWeak) steady_txnid = std::max(steady_txnid, m[i].txnid_a);
  }
  os::BootId boot = os::CurrentBootId();
  unsigned mask = 0;
  for (unsigned i = 0; i < kNumMetas; i++) {
    if (!valid[i] || m[i].sign != kSignWeak || m[i].txnid_a <= steady_txnid) continue;
    bool same_boot = boot.known() && m[i].bootid[0] == boot.x && m[i].bootid[1] == boot.y;
    if (!same_boot) mask |= 1u << i;
  }
  return mask;
}

Status PurgeMetas(Env* env, unsigned mask, std::vector<uint8_t>* metas) {
  size_t ps = env->psize;
  for (unsigned i = 0; i < kNumMetas; i++) {
    if (!(mask & (1u << i))) continue;
    uint8_t* page = metas->data() + i * ps;
    Meta old = DecodeMeta(page + kPageHeaderSize);
    EMDB_LOG_WARNING(
        "%s: the system restarted since weak commit %llu (meta %u): rolling back to "
        "the last steady commit",
        env->data_path.c_str(), (unsigned long long)old.txnid_a, i);
    Meta m{};
    m.magic = kMagic;
    m.version = kFormatVersion;
    m.pagesize = uint32_t(ps);
    m.geo = old.geo;
    m.gc = EmptyTree(0);
    m.main = EmptyTree(0);
    m.next_pgno = kNumMetas;
    m.sign = kSignNone;  // txnid 0: an empty slot
    std::memset(page, 0, ps);
    Page* p = reinterpret_cast<Page*>(page);
    p->pgno = i;
    p->flags = kPageMeta;
    EncodeMeta(m, page + kPageHeaderSize);
    EMDB_TRY(EMDB_FAILPOINT("open.before_purge_write"));
    EMDB_TRY(env->file->PWrite(page, ps, uint64_t(i) * ps));
  }
  EMDB_TRY(EMDB_FAILPOINT("open.before_purge_sync"));
  return env->file->DataSync();
}

}  // namespace

uint64_t NextEnvId() { return g_env_ids.fetch_add(1); }

void LockOpenRegistry() { g_open_mu.lock(); }
void UnlockOpenRegistry() { g_open_mu.unlock(); }
void ForgetInheritedLocked(Env* env) {
  auto it = std::find(g_open_files.begin(), g_open_files.end(), std::make_pair(env->dev, env->ino));
  if (it != g_open_files.end()) g_open_files.erase(it);
  env->ino = 0;  // Close must not remove the entry of a database the child opened itself
}

void StatOf(const Env* env, const TreeRecord& rec, EMDB_stat* st) {
  st->ms_psize = env->psize;
  st->ms_depth = rec.height;
  st->ms_branch_pages = rec.branch_pages;
  st->ms_leaf_pages = rec.leaf_pages;
  st->ms_overflow_pages = rec.large_pages;
  st->ms_entries = rec.items;
  st->ms_mod_txnid = rec.mod_txnid;
}

Status Open(Env* env, const char* path, unsigned flags, mode_t mode) {
  bool rdonly = (flags & EMDB_RDONLY) != 0;
  env->flags = flags;
  env->path = path;
  if (flags & EMDB_NOSUBDIR) {
    env->data_path = env->path;
    env->lock_path = env->path + "-lck";
  } else {
    struct stat st;
    if (::stat(path, &st) != 0) {
      // mode 0: open an existing database, create nothing.
      if (errno != ENOENT || rdonly || mode == 0) return errno;
      if (::mkdir(path, (mode & 0777) | ((mode & 0444) >> 2)) != 0 && errno != EEXIST) {
        return errno;
      }
    } else if (!S_ISDIR(st.st_mode)) {
      return EMDB_EINVAL;
    }
    env->data_path = env->path + "/emdb.dat";
    env->lock_path = env->path + "/emdb.lck";
  }
  int oflags = rdonly ? O_RDONLY : (mode == 0 ? O_RDWR : (O_RDWR | O_CREAT));
  int fd = ::open(env->data_path.c_str(), oflags | O_CLOEXEC, mode);
  if (fd < 0) return errno;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return e;
  }
  {
    std::lock_guard<std::mutex> g(g_open_mu);
    for (auto& [d, i] : g_open_files) {
      if (d == st.st_dev && i == st.st_ino) {
        ::close(fd);
        EMDB_LOG_WARNING("%s is already open in this process", env->data_path.c_str());
        return EMDB_BUSY;
      }
    }
    g_open_files.emplace_back(st.st_dev, st.st_ino);
  }
  env->dev = st.st_dev;
  env->ino = st.st_ino;
  env->file = os::WrapForTests(os::MakePosixFile(fd));
  auto fail = [&](Status rc) {
    Close(env);
    return rc;
  };

  Status rc =
      env->lck.Open(env->lock_path, rdonly, (flags & EMDB_EXCLUSIVE) != 0, env->max_readers, mode);
  if (rc != 0) return fail(rc);
  env->max_readers = env->lck.max_readers();
  if (!rdonly) {
    // The sync mode is shared by every writer process: the first one sets it in the lock
    // file; a later one with another mode is refused, or with EMDB_ACCEDE adopts it.
    constexpr unsigned kModeFlags = EMDB_WRITEMAP | EMDB_NOMETASYNC | EMDB_UTTERLY_NOSYNC;
    const uint32_t want = os::kEnvModeSet | (flags & kModeFlags);
    uint32_t cur = 0;
    if (!env->lck.header()->env_mode.compare_exchange_strong(cur, want) && cur != want) {
      if (!(flags & EMDB_ACCEDE)) {
        EMDB_LOG_ERR("%s is in use with mode flags %#x, not %#x (see EMDB_ACCEDE)",
                     env->data_path.c_str(), cur & kModeFlags, flags & kModeFlags);
        return fail(EMDB_INCOMPATIBLE);
      }
      env->flags = (env->flags & ~kModeFlags) | (cur & kModeFlags);
      flags = env->flags;
    }
  }

  uint64_t fsize = 0;
  rc = env->file->Size(&fsize);
  if (rc != 0) return fail(rc);
  bool fresh = false;
  rc = ProbeFile(env, fsize, &fresh);
  if (rc != 0) return fail(rc);
  if (fresh) {
    if (rdonly) return fail(EMDB_ENODATA);
    uint32_t psize = env->req_psize > 0 ? uint32_t(env->req_psize) : 4096;
    if (env->req_psize <= 0 && os::SystemPageSize() >= kMinPageSize &&
        os::SystemPageSize() <= kMaxPageSize) {
      psize = os::SystemPageSize();
    }
    env->psize = psize;
    rc = env->lck.LockWriter(false);
    if (rc != 0) return fail(rc);
    Geometry geo;
    rc = ResolveGeometry(env, psize, &geo);
    if (rc == 0) rc = WriteInitialMetas(env, geo);
    env->lck.UnlockWriter();
    if (rc != 0) return fail(rc);
    rc = env->file->Size(&fsize);
    if (rc != 0) return fail(rc);
  }
  if (!fresh && env->req_psize > 0 && uint32_t(env->req_psize) != env->psize) {
    EMDB_LOG_ERR("%s: page size %u, but %lld was asked for", env->data_path.c_str(), env->psize,
                 (long long)env->req_psize);
    return fail(EMDB_INCOMPATIBLE);
  }
  // Read the metas through pread before the map exists.
  size_t ps = env->psize;
  std::vector<uint8_t> metas(ps * kNumMetas, 0);
  if (fsize < ps * kNumMetas) return fail(EMDB_CORRUPTED);
  rc = env->file->PRead(metas.data(), metas.size(), 0);
  if (rc != 0) return fail(rc);
  int head = -1;
  uint64_t ht = 0;
  auto pick_head = [&] {
    head = -1;
    ht = 0;
    for (unsigned i = 0; i < kNumMetas; i++) {
      Meta m = DecodeMeta(metas.data() + i * ps + kPageHeaderSize);
      if (txn::MetaValid(env, m) && m.txnid_a > ht) {
        ht = m.txnid_a;
        head = int(i);
      }
    }
  };
  pick_head();
  if (head < 0 && !rdonly && env->recovery_meta < 0) {
    bool again = false;
    rc = InterruptedCreation(env, metas, fsize, &again);
    if (rc != 0) return fail(rc);
    if (again) {
      EMDB_LOG_WARNING("%s: an interrupted creation; creating the database again",
                       env->data_path.c_str());
      rc = env->lck.LockWriter(false);
      if (rc != 0) return fail(rc);
      Geometry geo;
      rc = ResolveGeometry(env, uint32_t(ps), &geo);
      if (rc == 0) rc = WriteInitialMetas(env, geo);
      env->lck.UnlockWriter();
      if (rc == 0) rc = env->file->Size(&fsize);
      if (rc == 0) rc = env->file->PRead(metas.data(), metas.size(), 0);
      if (rc != 0) return fail(rc);
      pick_head();
    }
  }
  if (head < 0) {
    EMDB_LOG_ERR("%s: no valid meta page", env->data_path.c_str());
    return fail(EMDB_CORRUPTED);
  }
  if (env->recovery_meta >= 0) {
    // emdb_env_open_for_recovery: every snapshot comes from the chosen meta.
    Meta m = DecodeMeta(metas.data() + size_t(env->recovery_meta) * ps + kPageHeaderSize);
    if (!txn::MetaValid(env, m)) {
      EMDB_LOG_ERR("%s: meta %d is not valid and cannot be opened for recovery",
                   env->data_path.c_str(), env->recovery_meta);
      return fail(EMDB_CORRUPTED);
    }
    head = env->recovery_meta;
    ht = m.txnid_a;
  } else if (unsigned untrusted = UntrustedMetas(env, metas); untrusted != 0) {
    if (rdonly || !env->lck.initializer()) {
      EMDB_LOG_ERR(
          "%s: the system restarted after weak commits; a read-write open must roll "
          "back to the last steady commit first",
          env->data_path.c_str());
      return fail(EMDB_WANNA_RECOVERY);
    }
    rc = PurgeMetas(env, untrusted, &metas);
    if (rc != 0) return fail(rc);
    pick_head();
    if (head < 0) return fail(EMDB_CORRUPTED);
  }
  Meta hm = DecodeMeta(metas.data() + size_t(head) * ps + kPageHeaderSize);
  env->geo = hm.geo;
  if (hm.next_pgno * ps > fsize) {
    EMDB_LOG_ERR("%s: file is shorter (%llu bytes) than its data (%llu pages)",
                 env->data_path.c_str(), (unsigned long long)fsize,
                 (unsigned long long)hm.next_pgno);
    return fail(EMDB_CORRUPTED);
  }
  // Geometry requested for an existing database: upper, growth step and shrink apply now.
  if (!fresh &&
      (env->req_upper >= 0 || env->req_grow >= 0 || env->req_shrink >= 0 || env->req_lower >= 0)) {
    Geometry g;
    rc = ResolveGeometry(env, uint32_t(ps), &g);
    if (rc != 0) return fail(rc);
    if (env->req_upper >= 0) env->geo.upper = std::max<uint64_t>(g.upper, hm.next_pgno);
    if (env->req_grow >= 0) env->geo.grow = g.grow;
    if (env->req_shrink >= 0) env->geo.shrink = g.shrink;
    if (env->req_lower >= 0) env->geo.lower = std::min(g.lower, env->geo.upper);
  }
  if (!rdonly && !fresh) {
    // Whatever an earlier process left unflushed becomes durable before this one reuses pages
    // (the lock file's unsync counter does not survive a re-initialization).
    rc = env->file->DataSync();
    if (rc != 0) return fail(rc);
  }
  uint64_t fpages = fsize / ps;
  env->geo.now = std::max<uint64_t>(env->geo.now, fpages);
  if (env->geo.upper < env->geo.now) env->geo.upper = env->geo.now;
  rc = env->map.Reserve(size_t(std::max(env->geo.upper, env->geo.now) * ps));
  if (rc != 0) return fail(rc);
  // Huge mappings (os/mmap.hpp) where writes go through the map and no commit flushes.
  env->map.SetHugeAdvice(!rdonly && (flags & EMDB_WRITEMAP) &&
                         (flags & EMDB_UTTERLY_NOSYNC) == EMDB_UTTERLY_NOSYNC);
  rc = env->map.Extend(env->file->fd(), size_t(std::min(fpages, env->geo.now) * ps),
                       (flags & EMDB_WRITEMAP) != 0 && !rdonly);
  if (rc != 0) return fail(rc);
  if (env->lck.initializer() || env->recovery_meta >= 0 ||
      env->lck.header()->head_txnid.load() < ht || env->lck.header()->head_txnid.load() == 0) {
    env->lck.header()->head_txnid.store(ht);
  }
  rc = env->lck.FinishOpen();
  if (rc != 0) return fail(rc);
  // Tables.
  env->dbis.reset(new DbiInfo[env->max_dbs + kCoreDbs]);
  env->dbis[kGcDbi].used = true;
  env->dbis[kGcDbi].flags = 0;
  env->dbis[kGcDbi].kcmp = CmpLex;
  env->dbis[kMainDbi].used = true;
  env->dbis[kMainDbi].flags = uint16_t(hm.main.flags & kTableFlagsMask);
  env->dbis[kMainDbi].kcmp = KeyComparator(env->dbis[kMainDbi].flags);
  env->dbis[kMainDbi].dcmp = DupComparator(env->dbis[kMainDbi].flags);
  env->num_dbis.store(kCoreDbs);
  env->env_id = NextEnvId();
  env->opened = true;
  return 0;
}

Status SnapInfo(const char* path, EMDB_envinfo* info) {
  struct stat st;
  if (::stat(path, &st) != 0) return errno;
  std::string data = S_ISDIR(st.st_mode) ? std::string(path) + "/emdb.dat" : std::string(path);
  int fd = ::open(data.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  Env tmp;
  tmp.data_path = data;
  tmp.file = os::MakePosixFile(fd);
  uint64_t fsize = 0;
  EMDB_TRY(tmp.file->Size(&fsize));
  bool fresh = false;
  EMDB_TRY(ProbeFile(&tmp, fsize, &fresh));
  if (fresh) return EMDB_ENODATA;
  size_t ps = tmp.psize;
  if (fsize < ps * kNumMetas) return EMDB_CORRUPTED;
  std::vector<uint8_t> metas(ps * kNumMetas);
  EMDB_TRY(tmp.file->PRead(metas.data(), metas.size(), 0));
  std::memset(info, 0, sizeof(*info));
  int head = -1;
  uint64_t ht = 0;
  for (unsigned i = 0; i < kNumMetas; i++) {
    Meta m = DecodeMeta(metas.data() + i * ps + kPageHeaderSize);
    bool valid = txn::MetaValid(&tmp, m);
    info->mi_meta_txnid[i] = valid ? m.txnid_a : 0;
    info->mi_meta_sign[i] = m.sign;
    info->mi_bootid.meta[i].x = m.bootid[0];
    info->mi_bootid.meta[i].y = m.bootid[1];
    if (valid && m.txnid_a > ht) {
      ht = m.txnid_a;
      head = int(i);
    }
  }
  os::BootId boot = os::CurrentBootId();
  info->mi_bootid.current.x = boot.x;
  info->mi_bootid.current.y = boot.y;
  info->mi_dxb_pagesize = uint32_t(ps);
  info->mi_sys_pagesize = os::SystemPageSize();
  if (head < 0) return EMDB_CORRUPTED;
  Meta hm = DecodeMeta(metas.data() + size_t(head) * ps + kPageHeaderSize);
  info->mi_geo.lower = hm.geo.lower * ps;
  info->mi_geo.upper = hm.geo.upper * ps;
  info->mi_geo.current = std::max<uint64_t>(hm.geo.now * ps, fsize / ps * ps);
  info->mi_geo.shrink = hm.geo.shrink * ps;
  info->mi_geo.grow = hm.geo.grow * ps;
  info->mi_mapsize = hm.geo.upper * ps;
  info->mi_last_pgno = hm.next_pgno - 1;
  info->mi_recent_txnid = hm.txnid_a;
  return 0;
}

void Close(Env* env) {
  env->opened = false;
  steady::Stop(env);  // before the file and the map go (steady.hpp A5)
  env->map.~MapRegion();
  new (&env->map) os::MapRegion();
  env->lck.Close();
  env->file.reset();
  for (Page* p : env->page_pool) std::free(p);
  env->page_pool.clear();
  if (env->ino != 0) {
    std::lock_guard<std::mutex> g(g_open_mu);
    auto it =
        std::find(g_open_files.begin(), g_open_files.end(), std::make_pair(env->dev, env->ino));
    if (it != g_open_files.end()) g_open_files.erase(it);
    env->ino = 0;
  }
}

Status DbiOpen(Txn* t, const Slice* name, unsigned flags, EMDB_dbi* out) {
  Env* env = t->env;
  unsigned tflags = flags & kTableFlagsMask;
  bool accede = (flags & EMDB_DB_ACCEDE) != 0;
  if (name == nullptr) {
    DbState& s = t->dbs[kMainDbi];
    DbiInfo& info = env->dbis[kMainDbi];
    if (tflags != info.flags && !accede) {
      if (s.rec.items == 0 && s.rec.root == kInvalidPgno && !t->rdonly() && (flags & EMDB_CREATE)) {
        std::lock_guard<std::mutex> g(env->dbi_mu);
        info.flags = uint16_t(tflags);
        info.kcmp = KeyComparator(tflags);
        info.dcmp = DupComparator(tflags);
        s.rec.flags = uint16_t(tflags);
        cur::MarkChanged(t, kMainDbi);
      } else if (tflags != 0 || s.rec.items != 0) {
        return EMDB_INCOMPATIBLE;
      }
    }
    *out = kMainDbi;
    return 0;
  }
  std::lock_guard<std::mutex> g(env->dbi_mu);
  unsigned n = env->num_dbis.load();
  for (EMDB_dbi d = kCoreDbs; d < n; d++) {
    DbiInfo& info = env->dbis[d];
    if (!info.used || info.name.size() != name->size ||
        (name->size && std::memcmp(info.name.data(), name->data, name->size) != 0)) {
      continue;
    }
    DbState& s = t->dbs[d];
    if (!(s.state & kDbValid)) {
      Status rc = txn::LoadDbi(t, d);
      if (rc == EMDB_BAD_DBI) break;  // gone in this snapshot: look it up again below
      EMDB_TRY(rc);
    }
    if (s.state & kDbDropped) break;
    if (tflags != info.flags && !accede) return EMDB_INCOMPATIBLE;
    s.state |= kDbFresh;
    *out = d;
    return 0;
  }
  // Not open yet: look it up in the main tree.
  if (env->dbis[kMainDbi].flags & EMDB_DUPSORT) return EMDB_INCOMPATIBLE;
  TreeRecord rec{};
  bool found = false;
  {
    Cursor c;
    bt::CursorInit(&c, t, kMainDbi);
    bool exact = false;
    Status rc = bt::Seek(&c, *name, &exact);
    if (rc != 0 && rc != EMDB_NOTFOUND) return rc;
    if (rc == 0 && exact) {
      Slice k, d;
      uint16_t nf;
      EMDB_TRY(bt::Current(&c, &k, &d, &nf));
      if ((nf & (kNodeTree | kNodeDup)) != kNodeTree || d.size != kTableRecordSize) {
        return EMDB_INCOMPATIBLE;
      }
      rec = DecodeTableRecord(d.data);
      found = true;
    }
  }
  unsigned stored = found ? (rec.flags & kTableFlagsMask) : tflags;
  if (found && tflags != stored && !accede) return EMDB_INCOMPATIBLE;
  if (!found) {
    if (!(flags & EMDB_CREATE)) return EMDB_NOTFOUND;
    if (t->rdonly()) return EMDB_EACCESS;
  }
  // Find a free handle slot (a slot of a table this txn dropped is not reused).
  EMDB_dbi slot = 0;
  for (EMDB_dbi d = kCoreDbs; d < env->max_dbs + kCoreDbs; d++) {
    if (!env->dbis[d].used && !(d < t->dbs.size() && (t->dbs[d].state & kDbDropped))) {
      slot = d;
      break;
    }
  }
  if (slot == 0) return EMDB_DBS_FULL;
  DbiInfo& info = env->dbis[slot];
  info.used = true;
  info.name.assign(reinterpret_cast<const char*>(name->data), name->size);
  info.flags = uint16_t(stored);
  info.kcmp = KeyComparator(stored);
  info.dcmp = DupComparator(stored);
  if (slot >= env->num_dbis.load()) env->num_dbis.store(slot + 1);
  DbState& s = t->dbs[slot];
  s.generation = info.generation;
  s.mod = 0;
  if (t->append_hint.dbi == slot) t->append_hint.Clear();
  if (found) {
    s.rec = rec;
    s.state = kDbValid | kDbFresh;
  } else {
    s.rec = EmptyTree(uint16_t(stored));
    s.rec.mod_txnid = t->txnid;
    s.state = kDbValid | kDbFresh | kDbCreated | kDbDirty;
    t->flags |= EMDB_TXN_DIRTY;
    t->created_dbis.push_back(slot);
  }
  *out = slot;
  return 0;
}

Status Drop(Txn* t, EMDB_dbi dbi, bool del) {
  EMDB_TRY(txn::LoadDbi(t, dbi));
  DbState& s = t->dbs[dbi];
  cur::SaveOthers(t, dbi, nullptr);
  for (Cursor* x = t->cursors; x != nullptr; x = x->next_in_txn) {
    if (x->dbi == dbi) {
      x->depth = 0;
      x->stale = false;
      x->eof = false;
    }
  }
  bool dupsort = (s.rec.flags & EMDB_DUPSORT) != 0;
  if (dbi == kMainDbi) {
    // Emptying the main table keeps the named-table records: delete user entries only.
    Cursor c;
    bt::CursorInit(&c, t, kMainDbi);
    Status rc = bt::First(&c);
    while (rc == 0) {
      Slice k, d;
      uint16_t nf;
      EMDB_TRY(bt::Current(&c, &k, &d, &nf));
      if ((nf & (kNodeTree | kNodeDup)) == kNodeTree) {
        rc = bt::Next(&c);
        continue;
      }
      std::vector<uint8_t> key(k.data, k.data + k.size);
      cur::MarkChanged(t, kMainDbi);
      EMDB_TRY(bt::TouchPath(&c));
      if (dupsort && (nf & kNodeDup) && (nf & kNodeTree)) {
        TreeRecord sub = DecodeTree(d.data);
        EMDB_TRY(bt::FreeTree(t, sub, false));
        c.tree->branch_pages -= sub.branch_pages;
        c.tree->leaf_pages -= sub.leaf_pages;
        c.tree->items -= sub.items - 1;
      } else if (dupsort && (nf & kNodeDup)) {
        c.tree->items -= NumKeys(reinterpret_cast<const Page*>(d.data - kSubpageSkip)) - 1;
      }
      EMDB_TRY(bt::Delete(&c));
      bool exact;
      rc = bt::Seek(&c, Slice(key.data(), key.size()), &exact);
    }
    if (rc != EMDB_NOTFOUND) return rc;
    return 0;
  }
  EMDB_TRY(bt::FreeTree(t, s.rec, dupsort));
  uint16_t flags = s.rec.flags;
  uint32_t dfs = s.rec.dupfix_size;
  s.rec = EmptyTree(flags);
  s.rec.dupfix_size = (flags & EMDB_DUPFIXED) ? dfs : 0;
  cur::MarkChanged(t, dbi);
  if (!del) return 0;
  // Remove the table's record from the main tree.
  const DbiInfo& info = t->env->dbis[dbi];
  Cursor c;
  bt::CursorInit(&c, t, kMainDbi);
  bool exact = false;
  Slice name(info.name.data(), info.name.size());
  Status rc = bt::Seek(&c, name, &exact);
  if (rc == 0 && exact) {
    cur::SaveOthers(t, kMainDbi, nullptr);
    cur::MarkChanged(t, kMainDbi);
    EMDB_TRY(bt::TouchPath(&c));
    EMDB_TRY(bt::Delete(&c));
  } else if (rc != 0 && rc != EMDB_NOTFOUND) {
    return rc;
  }
  s.state |= kDbDropped;
  // A table created and dropped in the same txn simply disappears.
  auto it = std::find(t->created_dbis.begin(), t->created_dbis.end(), dbi);
  if (it != t->created_dbis.end()) {
    t->created_dbis.erase(it);
    t->dbs[dbi].state = kDbStale;
    std::lock_guard<std::mutex> g(t->env->dbi_mu);
    t->env->dbis[dbi].used = false;
    t->env->dbis[dbi].name.clear();
    t->env->dbis[dbi].generation++;
  }
  return 0;
}

}  // namespace emdb::env
