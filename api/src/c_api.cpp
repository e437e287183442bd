// api/src/c_api.cpp — the C API entry points (emdb.h). Each validates its handles (signature
// words, owning env, thread) and arguments, then calls the engine. No exception crosses this
// boundary: every entry point is noexcept and catches std::bad_alloc as EMDB_ENOMEM.
#include <emdb/emdb.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/log.hpp"
#include "base/shared_words.hpp"
#include "btree/cursor.hpp"
#include "btree/tree.hpp"
#include "c_api_internal.hpp"
#include "core/internal.hpp"
#include "env/env.hpp"
#include "os/bootid.hpp"
#include "txn/pages.hpp"
#include "txn/space.hpp"
#include "txn/txn.hpp"

using namespace emdb;
using namespace emdb::capi;

namespace {

// ---- registry of live environments (thread-local reader slots, fork) ----
// g_live_mu guards g_live_envs and every Env::issued_slots. Each thread keeps, per environment,
// the reader slot it claimed at its first read txn (TlsSlots below): later begins and ends use
// it with no lock, no syscall and no allocation. The slot is released when the thread exits,
// calls emdb_thread_unregister, or the environment closes.
std::mutex g_live_mu;
std::unordered_map<uint64_t, Env*> g_live_envs;

// fork(): the child gets a copy of every open environment, sharing the parent's lock file
// mapping and locks. It must not touch them: its copies are marked panicked (every call then
// returns EMDB_PANIC, at no cost to the parent's hot paths) and closing them only frees memory.
void ForkPrepare() {
  g_live_mu.lock();
  env::LockOpenRegistry();
}
void ForkParent() {
  env::UnlockOpenRegistry();
  g_live_mu.unlock();
}
void ForkChild() {
  for (auto& [id, e] : g_live_envs) {
    e->panic.store(true);
    env::ForgetInheritedLocked(e);
  }
  env::UnlockOpenRegistry();
  g_live_mu.unlock();
}
// True when `env` was opened by another process (this is a fork child of its opener).
bool Inherited(const Env* env) { return env->lck.pid() != uint32_t(::getpid()); }

struct TlsSlots {
  struct E {
    uint64_t env_id;
    Env* env;
    os::ReaderSlot* slot;
  };
  std::vector<E> v;
  Txn* cached_txn = nullptr;
  ~TlsSlots() {
    std::lock_guard<std::mutex> g(g_live_mu);
    for (E& e : v) {
      if (g_live_envs.count(e.env_id) && !Inherited(e.env)) {
        e.env->lck.ReleaseSlot(e.slot);
        auto& is = e.env->issued_slots;
        for (size_t i = 0; i < is.size(); i++) {
          if (is[i] == e.slot) {
            is[i] = is.back();
            is.pop_back();
            break;
          }
        }
      }
    }
    delete cached_txn;
  }
};
thread_local TlsSlots tls;

void LinkCursor(Txn* t, Cursor* c) {
  c->prev_in_txn = nullptr;
  c->next_in_txn = t->cursors;
  if (t->cursors) t->cursors->prev_in_txn = c;
  t->cursors = c;
}

void UnlinkCursor(Cursor* c) {
  Txn* t = c->txn;
  if (t == nullptr) return;
  if (c->prev_in_txn) {
    c->prev_in_txn->next_in_txn = c->next_in_txn;
  } else if (t->cursors == c) {
    t->cursors = c->next_in_txn;
  }
  if (c->next_in_txn) c->next_in_txn->prev_in_txn = c->prev_in_txn;
  c->next_in_txn = c->prev_in_txn = nullptr;
  c->txn = nullptr;
}

// The slow path of a thread's first read txn in `env`: claims its slot and remembers it.
int ClaimThreadSlot(Env* env, os::ReaderSlot** out) {
  os::ReaderSlot* s;
  int rc = env->lck.AcquireSlot(&s, uint64_t(pthread_self()));
  if (rc != 0) return rc;
  {
    std::lock_guard<std::mutex> g(g_live_mu);
    env->issued_slots.push_back(s);
    // Forget the slots of environments closed since (their memory is gone).
    std::erase_if(tls.v, [](const TlsSlots::E& e) { return g_live_envs.count(e.env_id) == 0; });
  }
  tls.v.push_back({env->env_id, env, s});
  *out = s;
  return 0;
}

// A reader slot for this thread (sticky) or for this txn (NOSTICKYTHREADS).
int GetSlot(Env* env, Txn* t) {
  if (env->flags & EMDB_NOSTICKYTHREADS) {
    if (t->slot == nullptr || !t->slot_per_txn) {
      os::ReaderSlot* s;
      int rc = env->lck.AcquireSlot(&s, uint64_t(pthread_self()));
      if (rc != 0) return rc;
      s->tid.store(uint64_t(pthread_self()), std::memory_order_relaxed);
      t->slot = s;
      t->slot_per_txn = true;
    }
    return 0;
  }
  for (auto& e : tls.v) {
    if (e.env_id == env->env_id) {
      t->slot = e.slot;
      t->slot_per_txn = false;
      return 0;
    }
  }
  int rc = ClaimThreadSlot(env, &t->slot);
  t->slot_per_txn = false;
  return rc;
}

void FreeTxn(Txn* t) {
  Env* env = t->env;
  if (!t->rdonly()) env->live_txns.fetch_sub(1);
  if (t->slot_per_txn && t->slot) {
    env->lck.ReleaseSlot(t->slot);
    t->slot = nullptr;
  }
  if (t->rdonly() && t->parent == nullptr && tls.cached_txn == nullptr && !t->slot_per_txn) {
    t->signature = kDeadSignature;
    tls.cached_txn = t;
    return;
  }
  if (!t->rdonly() && t->parent == nullptr && t->child == nullptr) {
    // Keep one write txn object (its vectors keep their capacity) for the next writer.
    t->signature = kDeadSignature;
    t->dirty.Clear();
    t->loose.clear();
    t->reclaimed.clear();
    t->retired.clear();
    t->created_dbis.clear();
    t->cursors = nullptr;
    t->userctx = nullptr;
    t->flags = 0;
    t->canary_set = t->steady_tried = t->gc_busy = false;
    t->dirty_bytes = 0;
    Txn* expected = nullptr;
    if (env->spare_write.compare_exchange_strong(expected, t)) return;
  }
  t->signature = kDeadSignature;
  delete static_cast<EMDB_txn*>(t);
}

EMDB_txn* NewTxn(Env* env, bool rdonly) {
  if (rdonly && tls.cached_txn != nullptr && !(env->flags & EMDB_NOSTICKYTHREADS)) {
    Txn* t = tls.cached_txn;
    tls.cached_txn = nullptr;
    if (t->env_id == env->env_id) {
      t->signature = kTxnSignature;
      t->parent = t->child = nullptr;
      t->cursors = nullptr;
      t->userctx = nullptr;
      return static_cast<EMDB_txn*>(t);
    }
    delete static_cast<EMDB_txn*>(t);
  }
  EMDB_txn* t = new EMDB_txn();
  t->env = env;
  t->env_id = env->env_id;
  return t;
}

}  // namespace

// =============================================================================================
extern "C" {

const char* emdb_version(void) noexcept { return "0.1.0"; }

const char* emdb_liberr2str(int errnum) noexcept {
  switch (errnum) {
    case EMDB_SUCCESS:
      return "EMDB_SUCCESS: Successful";
    case EMDB_RESULT_TRUE:
      return "EMDB_RESULT_TRUE: Successful, with the 'true' result";
    case EMDB_KEYEXIST:
      return "EMDB_KEYEXIST: The key/data pair already exists";
    case EMDB_NOTFOUND:
      return "EMDB_NOTFOUND: No matching key/data pair found";
    case EMDB_PAGE_NOTFOUND:
      return "EMDB_PAGE_NOTFOUND: A requested page was not found (corruption?)";
    case EMDB_CORRUPTED:
      return "EMDB_CORRUPTED: The database is corrupted (a page has a wrong kind, bounds or "
             "number)";
    case EMDB_PANIC:
      return "EMDB_PANIC: The environment had a fatal error and must be reopened";
    case EMDB_VERSION_MISMATCH:
      return "EMDB_VERSION_MISMATCH: The file was written by an incompatible emdb format version";
    case EMDB_INVALID:
      return "EMDB_INVALID: The file is not an emdb database";
    case EMDB_MAP_FULL:
      return "EMDB_MAP_FULL: The database reached the upper bound of its geometry";
    case EMDB_DBS_FULL:
      return "EMDB_DBS_FULL: Too many tables are open (see emdb_env_set_maxdbs)";
    case EMDB_READERS_FULL:
      return "EMDB_READERS_FULL: The reader table is full (see emdb_env_set_maxreaders)";
    case EMDB_TXN_FULL:
      return "EMDB_TXN_FULL: The transaction has too many dirty pages";
    case EMDB_CURSOR_FULL:
      return "EMDB_CURSOR_FULL: The cursor stack is too deep (corruption?)";
    case EMDB_PAGE_FULL:
      return "EMDB_PAGE_FULL: A page has no room (internal error)";
    case EMDB_UNABLE_EXTEND_MAPSIZE:
      return "EMDB_UNABLE_EXTEND_MAPSIZE: The memory map cannot be extended";
    case EMDB_INCOMPATIBLE:
      return "EMDB_INCOMPATIBLE: The operation or flags do not fit the table or environment";
    case EMDB_BAD_RSLOT:
      return "EMDB_BAD_RSLOT: Invalid reuse of a reader slot";
    case EMDB_BAD_TXN:
      return "EMDB_BAD_TXN: The transaction is finished, failed, or has an active child";
    case EMDB_BAD_VALSIZE:
      return "EMDB_BAD_VALSIZE: The key or value size is out of the allowed range";
    case EMDB_BAD_DBI:
      return "EMDB_BAD_DBI: The table handle is invalid, closed, or was dropped";
    case EMDB_PROBLEM:
      return "EMDB_PROBLEM: An unexpected internal problem; the transaction should be aborted";
    case EMDB_BUSY:
      return "EMDB_BUSY: The environment or resource is in use";
    case EMDB_EMULTIVAL:
      return "EMDB_EMULTIVAL: The key has several values; the operation needs exactly one";
    case EMDB_EBADSIGN:
      return "EMDB_EBADSIGN: The handle is not valid (wrong signature: closed or foreign)";
    case EMDB_WANNA_RECOVERY:
      return "EMDB_WANNA_RECOVERY: The database must be recovered by a read-write open";
    case EMDB_EKEYMISMATCH:
      return "EMDB_EKEYMISMATCH: The key does not fit the position or order (APPEND, CURRENT)";
    case EMDB_TOO_LARGE:
      return "EMDB_TOO_LARGE: The database is too large for the system or geometry";
    case EMDB_THREAD_MISMATCH:
      return "EMDB_THREAD_MISMATCH: The transaction belongs to another thread";
    case EMDB_TXN_OVERLAPPING:
      return "EMDB_TXN_OVERLAPPING: This thread already runs a transaction of this environment";
    case EMDB_BACKLOG_DEPLETED:
      return "EMDB_BACKLOG_DEPLETED: The GC backlog is exhausted";
    case EMDB_DUPLICATED_CLK:
      return "EMDB_DUPLICATED_CLK: Another process uses the same lock file in another way";
    case EMDB_DANGLING_DBI:
      return "EMDB_DANGLING_DBI: A table handle is left from an aborted transaction";
    case EMDB_OUSTED:
      return "EMDB_OUSTED: The parked read transaction was ousted by the writer";
    case EMDB_MVCC_RETARDED:
      return "EMDB_MVCC_RETARDED: The read transaction's snapshot was reclaimed (too old)";
    default:
      return nullptr;
  }
}

const char* emdb_strerror_r(int errnum, char* buf, size_t buflen) noexcept {
  const char* s = emdb_liberr2str(errnum);
  if (s != nullptr) return s;
  if (buf == nullptr || buflen == 0) return "emdb: unknown error";
  char* r = strerror_r(errnum, buf, buflen);  // GNU variant
  return r;
}

const char* emdb_strerror(int errnum) noexcept {
  static thread_local char buf[256];
  return emdb_strerror_r(errnum, buf, sizeof(buf));
}

int emdb_setup_debug(EMDB_log_level_t level, EMDB_debug_flags_t flags,
                     EMDB_debug_func* logger) noexcept {
  return Guard([&] { return log::SetupDebug(level, flags, logger); });
}

// ---- environment ----

int emdb_env_create(EMDB_env** penv) noexcept {
  if (penv == nullptr) return EMDB_EINVAL;
  return Guard([&] {
    *penv = new EMDB_env();
    (*penv)->max_dbs = 0;
    return 0;
  });
}

int emdb_env_open(EMDB_env* env, const char* pathname, EMDB_env_flags_t flags,
                  emdb_mode_t mode) noexcept {
  int rc = CheckEnv(env, false);
  if (rc) return rc;
  if (pathname == nullptr || *pathname == 0) return EMDB_EINVAL;
  if (env->opened) return EMDB_EPERM;
  const unsigned known = EMDB_VALIDATION | EMDB_NOSUBDIR | EMDB_RDONLY | EMDB_EXCLUSIVE |
                         EMDB_ACCEDE | EMDB_WRITEMAP | EMDB_NOSTICKYTHREADS | EMDB_NORDAHEAD |
                         EMDB_NOMEMINIT | EMDB_COALESCE | EMDB_LIFORECLAIM | EMDB_PAGEPERTURB |
                         EMDB_NOMETASYNC | EMDB_UTTERLY_NOSYNC;
  if (unsigned(flags) & ~known) return EMDB_EINVAL;
  if ((flags & EMDB_RDONLY) && (flags & (EMDB_WRITEMAP)))
    flags = EMDB_env_flags_t(flags & ~EMDB_WRITEMAP);
  return Guard([&] {
    static std::once_flag atfork_once;
    std::call_once(atfork_once, [] { pthread_atfork(ForkPrepare, ForkParent, ForkChild); });
    int r = env::Open(env, pathname, unsigned(flags) | EMDB_LIFORECLAIM, mode);
    if (r == 0) {
      std::lock_guard<std::mutex> g(g_live_mu);
      g_live_envs.emplace(env->env_id, env);
    }
    // A geometry requested for an existing database goes into its meta (docs/geometry.md).
    if (r == 0) r = space::PersistOpenGeometry(env);
    if (r != 0 && env->opened) {
      EMDB_LOG_ERR("open: storing the requested geometry failed: %d", r);
    }
    return r;
  });
}

int emdb_env_close_ex(EMDB_env* env, bool dont_sync) noexcept {
  int rc = CheckEnv(env, false);
  if (rc) return rc;
  return Guard([&] {
    if (env->opened && Inherited(env)) {
      // A fork child closing its inherited copy: free this process's memory and mappings only.
      // The parent's slots, locks and writer state stay as they are.
      {
        std::lock_guard<std::mutex> g(g_live_mu);
        g_live_envs.erase(env->env_id);
        env->issued_slots.clear();
      }
      env->write_txn = nullptr;
      env::Close(env);
    } else if (env->opened) {
      if (env->write_txn != nullptr || env->live_txns.load() > 0) return int(EMDB_BUSY);
      // A read txn of this process still holds a snapshot.
      {
        uint32_t me = env->lck.pid();
        for (unsigned i = 0; i < env->lck.max_readers(); i++) {
          const os::ReaderSlot* s = env->lck.slot(i);
          if (s->pid.load() == me && s->txnid.load() != 0) return int(EMDB_BUSY);
        }
      }
      if (!dont_sync && !(env->flags & EMDB_RDONLY) && !env->panic.load()) {
        // The file is left compact where a shrink threshold allows it (space.hpp S6), then
        // steady. Close goes on whatever these return: every step is a complete commit.
        const int crc = space::CompactAtClose(env);
        if (crc != 0) EMDB_LOG(EMDB_LOG_WARN, "close: compaction stopped: %d", crc);
        (void)txn::SyncEnv(env, true, false);
      }
      {
        std::lock_guard<std::mutex> g(g_live_mu);
        g_live_envs.erase(env->env_id);
        for (os::ReaderSlot* s : env->issued_slots) env->lck.ReleaseSlot(s);
        env->issued_slots.clear();
      }
      env::Close(env);
    } else {
      env::Close(env);
    }
    delete static_cast<EMDB_txn*>(env->spare_write.exchange(nullptr));
    env->signature = kDeadSignature;
    delete env;
    return 0;
  });
}

int emdb_env_close(EMDB_env* env) noexcept { return emdb_env_close_ex(env, false); }

int emdb_env_set_geometry(EMDB_env* env, intptr_t size_lower, intptr_t size_now,
                          intptr_t size_upper, intptr_t growth_step, intptr_t shrink_threshold,
                          intptr_t pagesize) noexcept {
  int rc = CheckEnv(env, false);
  if (rc) return rc;
  if (env->opened) {
    // Applied by a write txn whose meta carries the new geometry (docs/geometry.md).
    if (env->panic.load()) return EMDB_PANIC;
    return Guard([&] {
      return space::SetGeometryLive(env, size_lower, size_now, size_upper, growth_step,
                                    shrink_threshold, pagesize);
    });
  }
  if (pagesize != -1 && pagesize != 0) {
    if (pagesize < EMDB_MIN_PAGESIZE || pagesize > EMDB_MAX_PAGESIZE ||
        (pagesize & (pagesize - 1)) != 0) {
      EMDB_LOG_ERR("geometry: page size %lld is not a power of two in [256, 65536]",
                   (long long)pagesize);
      return EMDB_EINVAL;
    }
  }
  if (size_lower > 0 && size_upper > 0 && size_upper < size_lower) {
    EMDB_LOG_ERR("geometry: upper %lld < lower %lld", (long long)size_upper, (long long)size_lower);
    return EMDB_EINVAL;
  }
  if (size_now > 0 && size_upper > 0 && size_now > size_upper) {
    EMDB_LOG_ERR("geometry: now %lld > upper %lld", (long long)size_now, (long long)size_upper);
    return EMDB_EINVAL;
  }
  if (size_upper > 0 && uint64_t(size_upper) > EMDB_MAPSIZE_MAX) {
    EMDB_LOG_ERR("geometry: upper %lld is above EMDB_MAPSIZE_MAX", (long long)size_upper);
    return EMDB_TOO_LARGE;
  }
  if (size_lower != -1) env->req_lower = size_lower;
  if (size_now != -1) env->req_now = size_now;
  if (size_upper != -1) env->req_upper = size_upper;
  if (growth_step != -1) env->req_grow = growth_step;
  if (shrink_threshold != -1) env->req_shrink = shrink_threshold;
  if (pagesize != -1) env->req_psize = pagesize == 0 ? EMDB_MIN_PAGESIZE : pagesize;
  return 0;
}

// The four below are the EMDB_opt_max_db / EMDB_opt_max_readers options.
int emdb_env_set_maxdbs(EMDB_env* env, EMDB_dbi dbs) noexcept {
  return emdb_env_set_option(env, EMDB_opt_max_db, dbs);
}

int emdb_env_get_maxdbs(const EMDB_env* env, EMDB_dbi* dbs) noexcept {
  if (env != nullptr && dbs == nullptr) return EMDB_EINVAL;
  uint64_t v = 0;
  int rc = emdb_env_get_option(env, EMDB_opt_max_db, &v);
  if (rc == 0) *dbs = EMDB_dbi(v);
  return rc;
}

int emdb_env_set_maxreaders(EMDB_env* env, unsigned readers) noexcept {
  return emdb_env_set_option(env, EMDB_opt_max_readers, readers);
}

int emdb_env_get_maxreaders(const EMDB_env* env, unsigned* readers) noexcept {
  if (env != nullptr && readers == nullptr) return EMDB_EINVAL;
  uint64_t v = 0;
  int rc = emdb_env_get_option(env, EMDB_opt_max_readers, &v);
  if (rc == 0) *readers = unsigned(v);
  return rc;
}

namespace {

// Every runtime option: where it lives, its valid range, and whether it is fixed after open.
struct OptionSpec {
  uint64_t Env::*field;  // nullptr: stored as max_dbs / max_readers (unsigned)
  uint64_t min, max;
  bool before_open_only;
};

const OptionSpec* FindOption(int opt) {
  static const OptionSpec kSpecs[] = {
      /* max_db */ {nullptr, 0, EMDB_MAX_DBI, true},
      /* max_readers */ {nullptr, 1, 32767, true},
      /* sync_bytes */ {&Env::opt_sync_bytes, 0, UINT64_MAX, false},
      /* sync_period */ {&Env::opt_sync_period, 0, UINT64_MAX, false},
      /* rp_augment_limit */ {&Env::opt_rp_augment_limit, 0, UINT64_MAX, false},
      /* loose_limit */ {&Env::opt_loose_limit, 0, 255, false},
      /* dp_reserve_limit */ {&Env::opt_dp_reserve_limit, 0, UINT64_MAX, false},
      /* txn_dp_limit */ {&Env::opt_txn_dp_limit, 32, UINT64_MAX, false},
      /* txn_dp_initial */ {&Env::opt_txn_dp_initial, 32, UINT64_MAX, false},
      /* spill_max_denominator */ {&Env::opt_spill_max_denominator, 0, 255, false},
      /* spill_min_denominator */ {&Env::opt_spill_min_denominator, 0, 255, false},
      /* spill_parent4child_denominator */
      {&Env::opt_spill_parent4child_denominator, 0, 255, false},
      /* merge_threshold_16dot16_percent */ {&Env::opt_merge_threshold, 8192, 32768, false},
      /* writethrough_threshold */ {&Env::opt_writethrough_threshold, 0, UINT64_MAX, false},
      /* prefault_write_enable */ {&Env::opt_prefault_write, 0, 1, false},
      /* gc_time_limit */ {&Env::opt_gc_time_limit, 0, UINT64_MAX, false},
      /* prefer_waf_insteadof_balance */ {&Env::opt_prefer_waf, 0, 1, false},
      /* subpage_limit */ {&Env::opt_subpage_limit, 0, 65535, false},
      /* subpage_room_threshold */ {&Env::opt_subpage_room_threshold, 0, UINT64_MAX, false},
      /* subpage_reserve_prereq */ {&Env::opt_subpage_reserve_prereq, 0, UINT64_MAX, false},
      /* subpage_reserve_limit */ {&Env::opt_subpage_reserve_limit, 0, UINT64_MAX, false},
  };
  static_assert(sizeof(kSpecs) / sizeof(kSpecs[0]) == EMDB_opt_subpage_reserve_limit + 1);
  if (opt < 0 || opt > int(EMDB_opt_subpage_reserve_limit)) return nullptr;
  return &kSpecs[opt];
}

}  // namespace

int emdb_env_set_option(EMDB_env* env, const EMDB_option_t option, uint64_t value) noexcept {
  int rc = CheckEnv(env, false);
  if (rc) return rc;
  const int opt = EnumValue(option);
  const OptionSpec* spec = FindOption(opt);
  if (spec == nullptr) return EMDB_EINVAL;
  if (spec->before_open_only && env->opened) return EMDB_EPERM;
  if (value < spec->min || value > spec->max) return EMDB_EINVAL;
  if (opt == EMDB_opt_max_db) {
    env->max_dbs = unsigned(value);
  } else if (opt == EMDB_opt_max_readers) {
    env->max_readers = unsigned(value);
  } else if (opt == EMDB_opt_subpage_limit) {
    env->opt_subpage_limit = value < 2 ? 2 : value;
  } else {
    env->*(spec->field) = value;
  }
  return 0;
}

int emdb_env_get_option(const EMDB_env* env, const EMDB_option_t option,
                        uint64_t* pvalue) noexcept {
  int rc = CheckEnv(env, false);
  if (rc) return rc;
  if (pvalue == nullptr) return EMDB_EINVAL;
  const int opt = EnumValue(option);
  const OptionSpec* spec = FindOption(opt);
  if (spec == nullptr) return EMDB_EINVAL;
  if (opt == EMDB_opt_max_db) {
    *pvalue = env->max_dbs;
  } else if (opt == EMDB_opt_max_readers) {
    *pvalue = env->max_readers;
  } else {
    *pvalue = env->*(spec->field);
  }
  return 0;
}

int emdb_env_set_flags(EMDB_env* env, EMDB_env_flags_t flags, bool onoff) noexcept {
  int rc = CheckEnv(env, false);
  if (rc) return rc;
  const unsigned changeable = EMDB_NOMETASYNC | EMDB_UTTERLY_NOSYNC | EMDB_NOMEMINIT |
                              EMDB_PAGEPERTURB | EMDB_COALESCE | EMDB_LIFORECLAIM | EMDB_VALIDATION;
  if (unsigned(flags) & ~changeable) return EMDB_EINVAL;
  if (env->opened && env->write_txn != nullptr) return EMDB_BUSY;
  if (onoff) {
    env->flags |= unsigned(flags);
  } else {
    env->flags &= ~unsigned(flags);
  }
  return 0;
}

int emdb_env_get_flags(const EMDB_env* env, unsigned* flags) noexcept {
  int rc = CheckEnv(env, false);
  if (rc) return rc;
  if (flags == nullptr) return EMDB_EINVAL;
  *flags = env->flags;
  return 0;
}

int emdb_env_get_path(const EMDB_env* env, const char** dest) noexcept {
  int rc = CheckEnv(env);
  if (rc) return rc;
  if (dest == nullptr) return EMDB_EINVAL;
  *dest = env->path.c_str();
  return 0;
}

int emdb_env_get_fd(const EMDB_env* env, emdb_filehandle_t* fd) noexcept {
  int rc = CheckEnv(env);
  if (rc) return rc;
  if (fd == nullptr) return EMDB_EINVAL;
  *fd = env->file->fd();
  return 0;
}

int emdb_env_set_userctx(EMDB_env* env, void* ctx) noexcept {
  int rc = CheckEnv(env, false);
  if (rc) return rc;
  env->userctx = ctx;
  return 0;
}

void* emdb_env_get_userctx(const EMDB_env* env) noexcept {
  return CheckEnv(env, false) == 0 ? env->userctx : nullptr;
}

intptr_t emdb_limits_pgsize_min(void) noexcept { return EMDB_MIN_PAGESIZE; }
intptr_t emdb_limits_pgsize_max(void) noexcept { return EMDB_MAX_PAGESIZE; }

intptr_t emdb_limits_keysize_max(intptr_t pagesize, EMDB_db_flags_t flags) noexcept {
  if (pagesize < 1) pagesize = 4096;
  if (pagesize < EMDB_MIN_PAGESIZE || pagesize > EMDB_MAX_PAGESIZE || (pagesize & (pagesize - 1))) {
    return -1;
  }
  return intptr_t(MaxKey(uint32_t(pagesize), flags));
}

intptr_t emdb_limits_valsize_max(intptr_t pagesize, EMDB_db_flags_t flags) noexcept {
  if (pagesize < 1) pagesize = 4096;
  if (pagesize < EMDB_MIN_PAGESIZE || pagesize > EMDB_MAX_PAGESIZE || (pagesize & (pagesize - 1))) {
    return -1;
  }
  return intptr_t(MaxVal(uint32_t(pagesize), flags));
}

int emdb_env_get_maxkeysize_ex(const EMDB_env* env, EMDB_db_flags_t flags) noexcept {
  if (env == nullptr) return int(emdb_limits_keysize_max(4096, flags));
  if (CheckEnv(env, false) != 0) return -1;
  intptr_t ps = env->opened ? env->psize : (env->req_psize > 0 ? env->req_psize : 4096);
  return int(emdb_limits_keysize_max(ps, flags));
}

int emdb_env_get_maxvalsize_ex(const EMDB_env* env, EMDB_db_flags_t flags) noexcept {
  if (env == nullptr) return int(emdb_limits_valsize_max(4096, flags));
  if (CheckEnv(env, false) != 0) return -1;
  intptr_t ps = env->opened ? env->psize : (env->req_psize > 0 ? env->req_psize : 4096);
  return int(emdb_limits_valsize_max(ps, flags));
}

int emdb_env_get_maxkeysize(const EMDB_env* env) noexcept {
  return emdb_env_get_maxkeysize_ex(env, EMDB_DUPSORT);
}

int emdb_env_stat_ex(const EMDB_env* env, const EMDB_txn* txn, EMDB_stat* st,
                     size_t bytes) noexcept {
  if (st == nullptr || bytes < sizeof(EMDB_stat)) return EMDB_EINVAL;
  EMDB_txn* t = const_cast<EMDB_txn*>(txn);
  EMDB_env* e = const_cast<EMDB_env*>(env);
  if (t != nullptr) {
    int rc = CheckTxn(t);
    if (rc) return rc;
    if (e != nullptr && t->env != e) return EMDB_EINVAL;
    e = static_cast<EMDB_env*>(t->env);
  } else {
    int rc = CheckEnv(e);
    if (rc) return rc;
  }
  return Guard([&] {
    EMDB_txn* rt = t;
    bool own = false;
    if (rt == nullptr) {
      int rc = emdb_txn_begin(e, nullptr, EMDB_TXN_RDONLY, &rt);
      if (rc) return rc;
      own = true;
    }
    TreeRecord sum = rt->dbs[kMainDbi].rec;
    // Add every named table: walk the main tree's table records.
    Cursor c;
    bt::CursorInit(&c, rt, kMainDbi);
    Status rc = bt::First(&c);
    while (rc == 0) {
      Slice k, d;
      uint16_t nf;
      rc = bt::Current(&c, &k, &d, &nf);
      if (rc) break;
      if ((nf & (format::kNodeTree | format::kNodeDup)) == format::kNodeTree &&
          d.size == format::kTableRecordSize) {
        TreeRecord r = format::DecodeTableRecord(d.data);
        sum.branch_pages += r.branch_pages;
        sum.leaf_pages += r.leaf_pages;
        sum.large_pages += r.large_pages;
        sum.items += r.items;
      }
      rc = bt::Next(&c);
    }
    if (own) emdb_txn_abort(rt);
    if (rc != EMDB_NOTFOUND && rc != 0) return rc;
    env::StatOf(e, sum, st);
    return 0;
  });
}

int emdb_env_info_ex(const EMDB_env* env, const EMDB_txn* txn, EMDB_envinfo* info,
                     size_t bytes) noexcept {
  if (info == nullptr || bytes < sizeof(EMDB_envinfo)) return EMDB_EINVAL;
  const Env* e = env;
  if (txn != nullptr) {
    int rc = CheckTxn(txn);
    if (rc) return rc;
    e = txn->env;
  } else {
    int rc = CheckEnv(env);
    if (rc) return rc;
  }
  std::memset(info, 0, sizeof(*info));
  uint64_t ps = e->psize;
  info->mi_geo.lower = LoadShared(e->geo.lower) * ps;
  info->mi_geo.upper = LoadShared(e->geo.upper) * ps;
  info->mi_geo.current = LoadShared(e->geo.now) * ps;  // the writer may be growing it
  info->mi_geo.shrink = LoadShared(e->geo.shrink) * ps;
  info->mi_geo.grow = LoadShared(e->geo.grow) * ps;
  info->mi_mapsize = e->map.reserved();
  int head, steady;
  txn::PickMetas(e, &head, &steady);
  Meta hm{};
  if (head >= 0) hm = txn::ReadMetaShared(e, unsigned(head));
  info->mi_last_pgno = txn && !txn->rdonly() ? txn->next_pgno - 1 : hm.next_pgno - 1;
  info->mi_recent_txnid = hm.txnid_a;
  for (unsigned i = 0; i < format::kNumMetas; i++) {
    Meta m = txn::ReadMetaShared(e, i);
    info->mi_meta_txnid[i] = m.txnid_a;
    info->mi_meta_sign[i] = m.sign;
    info->mi_bootid.meta[i].x = m.bootid[0];
    info->mi_bootid.meta[i].y = m.bootid[1];
  }
  uint64_t oldest = const_cast<Env*>(e)->lck.OldestReader(hm.txnid_a);
  info->mi_latter_reader_txnid = oldest;
  uint64_t self_oldest = hm.txnid_a;
  for (unsigned i = 0; i < e->lck.max_readers(); i++) {
    const os::ReaderSlot* s = e->lck.slot(i);
    uint64_t tx = s->txnid.load(std::memory_order_acquire);
    if (s->pid.load(std::memory_order_relaxed) == e->lck.pid() && tx != 0 && tx < self_oldest) {
      self_oldest = tx;
    }
  }
  info->mi_self_latter_reader_txnid = self_oldest;
  info->mi_maxreaders = e->lck.max_readers();
  info->mi_numreaders = e->lck.CountReaders();
  info->mi_dxb_pagesize = e->psize;
  info->mi_sys_pagesize = os::SystemPageSize();
  info->mi_unsync_volume = e->lck.header()->unsync_bytes.load();
  info->mi_autosync_threshold = e->opt_sync_bytes;
  info->mi_autosync_period_seconds16dot16 = uint32_t(e->opt_sync_period);
  {
    os::BootId boot = os::CurrentBootId();
    info->mi_bootid.current.x = boot.x;
    info->mi_bootid.current.y = boot.y;
    uint64_t last = e->lck.header()->last_sync_time.load();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
    if (last != 0 && now > last) {
      uint64_t v = ((now - last) << 16) / 1000000000ull;
      info->mi_since_sync_seconds16dot16 = v > 0xffffffffull ? 0xffffffffu : uint32_t(v);
    }
    uint64_t checked = e->lck.header()->last_reader_check.load(std::memory_order_relaxed);
    if (checked != 0 && now > checked) {
      uint64_t v = ((now - checked) << 16) / 1000000000ull;
      info->mi_since_reader_check_seconds16dot16 = v > 0xffffffffull ? 0xffffffffu : uint32_t(v);
    }
  }
  info->mi_mode = e->flags;
  info->mi_pgop_stat.newly = e->pgop.newly;
  info->mi_pgop_stat.cow = e->pgop.cow;
  info->mi_pgop_stat.clone = e->pgop.clone;
  info->mi_pgop_stat.split = e->pgop.split;
  info->mi_pgop_stat.merge = e->pgop.merge;
  info->mi_pgop_stat.wops = e->pgop.wops;
  info->mi_pgop_stat.fsync = e->pgop.fsync;
  info->mi_pgop_stat.msync = e->pgop.msync;
  return 0;
}

int emdb_env_sync_ex(EMDB_env* env, bool force, bool nonblock) noexcept {
  int rc = CheckEnv(env);
  if (rc) return rc;
  return Guard([&] { return txn::SyncEnv(env, force, nonblock); });
}

int emdb_env_sync(EMDB_env* env) noexcept { return emdb_env_sync_ex(env, true, false); }

int emdb_env_sync_poll(EMDB_env* env) noexcept { return emdb_env_sync_ex(env, false, true); }

// ---- recovery (docs/durability.md) ----

int emdb_env_open_for_recovery(EMDB_env* env, const char* pathname, unsigned target_meta,
                               bool writeable) noexcept {
  int rc = CheckEnv(env, false);
  if (rc) return rc;
  if (pathname == nullptr || *pathname == 0 || target_meta >= format::kNumMetas) {
    return EMDB_EINVAL;
  }
  if (env->opened) return EMDB_EPERM;
  env->recovery_meta = int(target_meta);
  // Recovery works on the whole database: nobody else may use it meanwhile.
  unsigned flags =
      EMDB_EXCLUSIVE | (writeable ? 0u : unsigned(EMDB_RDONLY)) | (env->flags & EMDB_NOSUBDIR);
  rc = emdb_env_open(env, pathname, EMDB_env_flags_t(flags), 0);
  if (rc != 0) env->recovery_meta = -1;
  return rc;
}

int emdb_env_turn_for_recovery(EMDB_env* env, unsigned target_meta) noexcept {
  int rc = CheckEnv(env);
  if (rc) return rc;
  if (target_meta >= format::kNumMetas) return EMDB_EINVAL;
  if (!(env->flags & EMDB_EXCLUSIVE)) return EMDB_EPERM;
  if (env->live_txns.load() > 0) return EMDB_BUSY;
  return Guard([&] { return txn::TurnForRecovery(env, target_meta); });
}

int emdb_preopen_snapinfo(const char* pathname, EMDB_envinfo* info, size_t bytes) noexcept {
  if (pathname == nullptr || *pathname == 0 || info == nullptr || bytes < sizeof(EMDB_envinfo)) {
    return EMDB_EINVAL;
  }
  return Guard([&] { return env::SnapInfo(pathname, info); });
}

int emdb_env_delete(const char* pathname, EMDB_env_delete_mode_t mode_arg) noexcept {
  if (pathname == nullptr) return EMDB_EINVAL;
  int mv = EnumValue(mode_arg);
  if (mv < 0 || mv > int(EMDB_ENV_WAIT_FOR_UNUSED)) return EMDB_EINVAL;
  const EMDB_env_delete_mode_t mode = EMDB_env_delete_mode_t(mv);
  return Guard([&] {
    std::string p(pathname);
    struct stat st;
    bool dir = ::stat(pathname, &st) == 0 && S_ISDIR(st.st_mode);
    std::string dat = dir ? p + "/emdb.dat" : p;
    std::string lck = dir ? p + "/emdb.lck" : p + "-lck";
    if (mode != EMDB_ENV_JUST_DELETE) {
      // Refuse when another process (or this one) holds the database open.
      EMDB_env* probe = nullptr;
      emdb_env_create(&probe);
      int rc = emdb_env_open(probe, pathname,
                             EMDB_env_flags_t(EMDB_EXCLUSIVE | (dir ? 0 : EMDB_NOSUBDIR)), 0644);
      emdb_env_close_ex(probe, true);
      if (rc == EMDB_BUSY) return int(EMDB_BUSY);
    }
    bool any = false;
    if (::unlink(dat.c_str()) == 0) any = true;
    if (::unlink(lck.c_str()) == 0) any = true;
    if (dir && ::rmdir(pathname) == 0) any = true;
    return any ? 0 : int(EMDB_RESULT_TRUE);
  });
}

// ---- transactions ----

int emdb_txn_begin_ex(EMDB_env* env, EMDB_txn* parent, EMDB_txn_flags_t flags, EMDB_txn** txn,
                      void* context) noexcept {
  if (txn == nullptr) return EMDB_EINVAL;
  *txn = nullptr;
  int rc = CheckEnv(env);
  if (rc) return rc;
  const unsigned known = EMDB_TXN_RDONLY | EMDB_TXN_RDONLY_PREPARE | EMDB_TXN_TRY |
                         EMDB_TXN_NOMETASYNC | EMDB_TXN_NOSYNC;
  if (unsigned(flags) & ~known) return EMDB_EINVAL;
  bool rdonly = (flags & EMDB_TXN_RDONLY) != 0;
  if (!rdonly && (env->flags & EMDB_RDONLY)) return EMDB_EACCESS;
  if (parent != nullptr) {
    rc = CheckTxn(parent, false);
    if (rc) return rc;
    if (parent->env != env) return EMDB_EINVAL;
    if (rdonly || parent->rdonly()) return EMDB_EINVAL;
  }
  return Guard([&] {
    if (rdonly) {
      EMDB_txn* t = NewTxn(env, true);
      t->flags = EMDB_TXN_RDONLY;
      t->owner = pthread_self();
      t->userctx = context;
      int r = GetSlot(env, t);
      if (r == 0 && !t->slot_per_txn && t->slot->txnid.load(std::memory_order_relaxed) != 0) {
        r = EMDB_TXN_OVERLAPPING;
      }
      if (r == 0) r = txn::BeginRead(env, t);
      if (r != 0) {
        if (t->slot_per_txn && t->slot) env->lck.ReleaseSlot(t->slot);
        t->slot = nullptr;
        delete t;
        return r;
      }
      *txn = t;
      return 0;
    }
    if (parent == nullptr && env->writer_tid.load() == uint64_t(pthread_self())) {
      return int(EMDB_BUSY);  // this thread already runs the write txn
    }
    EMDB_txn* t = nullptr;
    if (parent == nullptr) t = static_cast<EMDB_txn*>(env->spare_write.exchange(nullptr));
    if (t != nullptr) {
      t->signature = kTxnSignature;
      t->parent = t->child = nullptr;
    } else {
      t = new EMDB_txn();
    }
    t->env = env;
    t->env_id = env->env_id;
    t->userctx = context;
    int r = txn::BeginWrite(env, parent, unsigned(flags), t);
    if (r != 0) {
      delete t;
      return r;
    }
    env->live_txns.fetch_add(1);
    *txn = t;
    return 0;
  });
}

int emdb_txn_begin(EMDB_env* env, EMDB_txn* parent, EMDB_txn_flags_t flags,
                   EMDB_txn** txn) noexcept {
  return emdb_txn_begin_ex(env, parent, flags, txn, nullptr);
}

int emdb_txn_commit_ex(EMDB_txn* txn, EMDB_commit_latency* latency) noexcept {
  int rc = CheckTxn(txn, false, true);
  if (rc) return rc;
  if (txn->flags & EMDB_TXN_FINISHED) return EMDB_BAD_TXN;
  return Guard([&] {
    if (txn->flags & EMDB_TXN_ERROR) {
      txn::Abort(txn);
      FreeTxn(txn);
      return int(EMDB_BAD_TXN);
    }
    int r = txn::Commit(txn, latency);
    if (txn->parent == nullptr || (txn->flags & EMDB_TXN_FINISHED)) {
      if (!(txn->flags & EMDB_TXN_FINISHED)) txn::Abort(txn);
      FreeTxn(txn);
    }
    return r;
  });
}

int emdb_txn_commit(EMDB_txn* txn) noexcept { return emdb_txn_commit_ex(txn, nullptr); }

int emdb_txn_abort(EMDB_txn* txn) noexcept {
  // A txn of an environment that panicked while it ran (a flush failed under it) is still
  // released, so that the environment can be closed; a fork child's inherited copies stay as
  // they are (their locks are the parent's).
  int rc = CheckTxn(txn, false, true);
  if (rc == EMDB_PANIC && !Inherited(txn->env)) rc = CheckTxn(txn, false, true, true);
  if (rc) return rc;
  return Guard([&] {
    if (!(txn->flags & EMDB_TXN_FINISHED) || txn->rdonly()) txn::Abort(txn);
    FreeTxn(txn);
    return 0;
  });
}

int emdb_txn_reset(EMDB_txn* txn) noexcept {
  int rc = CheckTxn(txn, false, true);
  if (rc) return rc;
  if (!txn->rdonly()) return EMDB_EINVAL;
  txn::ResetRead(txn);
  txn->flags |= EMDB_TXN_FINISHED;
  return 0;
}

int emdb_txn_renew(EMDB_txn* txn) noexcept {
  int rc = CheckTxn(txn, false, true);
  if (rc) return rc;
  if (!txn->rdonly()) return EMDB_EINVAL;
  return Guard([&] {
    if (!(txn->flags & EMDB_TXN_FINISHED)) txn::ResetRead(txn);
    Env* env = txn->env;
    txn->owner = pthread_self();
    int r = GetSlot(env, txn);
    if (r) return r;
    if (!txn->slot_per_txn && txn->slot->txnid.load(std::memory_order_relaxed) != 0) {
      return int(EMDB_TXN_OVERLAPPING);  // this thread's slot serves another live read txn
    }
    r = txn::BeginRead(env, txn);
    if (r == 0) txn->flags &= ~unsigned(EMDB_TXN_FINISHED);
    return r;
  });
}

uint64_t emdb_txn_id(const EMDB_txn* txn) noexcept {
  if (txn == nullptr || txn->signature != kTxnSignature) return 0;
  if (txn->flags & EMDB_TXN_FINISHED) return 0;
  return txn->txnid;
}

EMDB_txn_flags_t emdb_txn_flags(const EMDB_txn* txn) noexcept {
  if (txn == nullptr || txn->signature != kTxnSignature) return EMDB_TXN_INVALID;
  return EMDB_txn_flags_t(txn->flags);
}

EMDB_env* emdb_txn_env(const EMDB_txn* txn) noexcept {
  if (txn == nullptr || txn->signature != kTxnSignature) return nullptr;
  return static_cast<EMDB_env*>(txn->env);
}

int emdb_txn_info(const EMDB_txn* txn, EMDB_txn_info* info, bool scan_rlt) noexcept {
  int rc = CheckTxn(txn, false, false);
  if (rc) return rc;
  if (info == nullptr) return EMDB_EINVAL;
  const Env* e = txn->env;
  std::memset(info, 0, sizeof(*info));
  info->txn_id = txn->txnid;
  uint64_t ps = e->psize;
  info->txn_space_limit_soft = LoadShared(e->geo.now) * ps;
  info->txn_space_limit_hard = LoadShared(e->geo.upper) * ps;
  if (txn->rdonly()) {
    uint64_t head = e->lck.header()->head_txnid.load();
    info->txn_reader_lag = head > txn->txnid ? head - txn->txnid : 0;
    info->txn_space_used = txn->meta.next_pgno * ps;
    // What this reader keeps from reuse: the pages the GC lists under newer txnids (needs a
    // walk of the GC, so only with scan_rlt), as seen from this snapshot's own GC plus what
    // the file grew by since (pages allocated after the snapshot).
    if (scan_rlt) {
      EMDB_gc_info gi;
      rc = Guard([&] { return space::GcInfo(txn, &gi); });
      if (rc) return rc;
      info->txn_space_retired = gi.gi_retained_pages * ps;
      info->txn_space_leftover = (LoadShared(e->geo.upper) > txn->meta.next_pgno
                                      ? LoadShared(e->geo.upper) - txn->meta.next_pgno
                                      : 0) *
                                 ps;
    }
  } else {
    info->txn_space_used = txn->next_pgno * ps;
    info->txn_space_retired = txn->retired.size() * ps;
    info->txn_space_dirty = txn->dirty_bytes;
    uint64_t limit = e->opt_txn_dp_limit * ps;
    info->txn_space_leftover = limit > txn->dirty_bytes ? limit - txn->dirty_bytes : 0;
  }
  return 0;
}

// ---- space: slow readers, parked transactions, GC information ----

int emdb_env_set_hsr(EMDB_env* env, EMDB_hsr_func* hsr_callback) noexcept {
  int rc = CheckEnv(env, false);
  if (rc) return rc;
  env->hsr = hsr_callback;
  return 0;
}

EMDB_hsr_func* emdb_env_get_hsr(const EMDB_env* env) noexcept {
  if (CheckEnv(env, false) != 0) return nullptr;
  return env->hsr;
}

int emdb_txn_straggler(const EMDB_txn* txn, int* percent) noexcept {
  int rc = CheckTxn(txn, false, false);
  if (rc) return rc < 0 ? rc : -rc;
  const Env* e = txn->env;
  int head, steady;
  txn::PickMetas(e, &head, &steady);
  if (head < 0) return EMDB_CORRUPTED;
  Meta hm = format::DecodeMeta(format::PageData(e->MetaPage(unsigned(head))));
  if (percent != nullptr) {
    uint64_t now = std::max<uint64_t>(hm.geo.now, 1);
    *percent = int((hm.next_pgno * 100 + now / 2) / now);
  }
  if (!txn->rdonly()) return -1;
  uint64_t lag = hm.txnid_a > txn->txnid ? hm.txnid_a - txn->txnid : 0;
  return lag > uint64_t(INT_MAX) ? INT_MAX : int(lag);
}

int emdb_txn_park(EMDB_txn* txn, bool autounpark) noexcept {
  int rc = CheckTxn(txn, false, true);
  if (rc) return rc;
  if (!txn->rdonly()) return EMDB_TXN_INVALID;
  if (txn->flags & (EMDB_TXN_FINISHED | EMDB_TXN_ERROR)) return EMDB_BAD_TXN;
  if (txn->ousted) return EMDB_OUSTED;
  if (txn->slot->txnid.load(std::memory_order_acquire) != txn->txnid) return EMDB_MVCC_RETARDED;
  txn->autounpark = autounpark;
  return space::ParkRead(txn);
}

int emdb_txn_unpark(EMDB_txn* txn, bool restart_if_ousted) noexcept {
  int rc = CheckTxn(txn, false, true);
  if (rc) return rc;
  if (!txn->rdonly()) return EMDB_TXN_INVALID;
  if (txn->flags & (EMDB_TXN_FINISHED | EMDB_TXN_ERROR)) return EMDB_BAD_TXN;
  if (!txn->parked && !txn->ousted) return 0;
  rc = Unpark(txn);
  if (rc == EMDB_OUSTED && restart_if_ousted) {
    return Guard([&] {
      txn::ResetRead(txn);
      int r = txn::BeginRead(txn->env, txn);
      return r ? r : int(EMDB_RESULT_TRUE);
    });
  }
  return rc;
}

int emdb_gc_info(const EMDB_txn* txn, EMDB_gc_info* info, size_t bytes) noexcept {
  int rc = CheckTxn(txn, false, false);
  if (rc) return rc;
  if (info == nullptr || bytes < sizeof(EMDB_gc_info)) return EMDB_EINVAL;
  return Guard([&] { return space::GcInfo(txn, info); });
}

int emdb_txn_set_userctx(EMDB_txn* txn, void* ctx) noexcept {
  int rc = CheckTxn(txn, false, true);
  if (rc) return rc;
  txn->userctx = ctx;
  return 0;
}

void* emdb_txn_get_userctx(const EMDB_txn* txn) noexcept {
  if (txn == nullptr || txn->signature != kTxnSignature) return nullptr;
  return txn->userctx;
}

// ---- tables ----

int emdb_dbi_open2(EMDB_txn* txn, const EMDB_val* name, EMDB_db_flags_t flags,
                   EMDB_dbi* dbi) noexcept {
  if (dbi == nullptr) return EMDB_EINVAL;
  int rc = CheckTxn(txn);
  if (rc) return rc;
  const unsigned known = kTableFlagsMask | EMDB_CREATE | EMDB_DB_ACCEDE;
  if (unsigned(flags) & ~known) return EMDB_EINVAL;
  unsigned tf = unsigned(flags) & kTableFlagsMask;
  if ((tf & (EMDB_DUPFIXED | EMDB_INTEGERDUP | EMDB_REVERSEDUP)) && !(tf & EMDB_DUPSORT)) {
    return EMDB_EINVAL;
  }
  if ((tf & EMDB_INTEGERDUP) && !(tf & EMDB_DUPFIXED)) return EMDB_EINVAL;
  if ((tf & EMDB_REVERSEKEY) && (tf & EMDB_INTEGERKEY)) return EMDB_EINVAL;
  if ((tf & EMDB_REVERSEDUP) && (tf & EMDB_INTEGERDUP)) return EMDB_EINVAL;
  if ((flags & EMDB_CREATE) && txn->rdonly() && name != nullptr) {
    // CREATE in a read txn works if the table exists (checked inside).
  }
  return Guard([&] {
    if (name == nullptr) return env::DbiOpen(txn, nullptr, unsigned(flags), dbi);
    Slice s = Slice::Of(name);
    if (s.size > MaxKey(txn->env->psize, 0)) return int(EMDB_BAD_VALSIZE);
    return env::DbiOpen(txn, &s, unsigned(flags), dbi);
  });
}

int emdb_dbi_open(EMDB_txn* txn, const char* name, EMDB_db_flags_t flags, EMDB_dbi* dbi) noexcept {
  if (name == nullptr) return emdb_dbi_open2(txn, nullptr, flags, dbi);
  EMDB_val v{const_cast<char*>(name), std::strlen(name)};
  return emdb_dbi_open2(txn, &v, flags, dbi);
}

int emdb_dbi_close(EMDB_env* env, EMDB_dbi dbi) noexcept {
  int rc = CheckEnv(env);
  if (rc) return rc;
  if (dbi < kCoreDbs) return dbi == kMainDbi ? 0 : EMDB_BAD_DBI;
  std::lock_guard<std::mutex> g(env->dbi_mu);
  if (dbi >= env->num_dbis.load() || !env->dbis[dbi].used) return EMDB_BAD_DBI;
  env->dbis[dbi].used = false;
  env->dbis[dbi].name.clear();
  env->dbis[dbi].generation++;
  return 0;
}

int emdb_dbi_flags_ex(const EMDB_txn* txn, EMDB_dbi dbi, unsigned* flags,
                      unsigned* state) noexcept {
  EMDB_txn* t = const_cast<EMDB_txn*>(txn);
  int rc = CheckTxn(t);
  if (rc) return rc;
  if (flags == nullptr) return EMDB_EINVAL;
  // A named table's record is loaded from the main tree on first use in a transaction; until
  // then the handle is stale (libmdbx's MDBX_DBI_STALE). CheckDbi loads it, so look first.
  const bool stale = dbi >= kCoreDbs && dbi < t->dbs.size() && !(t->dbs[dbi].state & kDbValid);
  rc = CheckDbi(t, dbi);
  if (rc) return rc;
  *flags = t->env->dbis[dbi].flags;
  if (state) {
    unsigned st = stale ? unsigned(EMDB_DBI_STALE) : 0u;
    uint8_t s = t->dbs[dbi].state;
    if (s & kDbDirty) st |= EMDB_DBI_DIRTY;
    if (s & kDbFresh) st |= EMDB_DBI_FRESH;
    if (s & kDbCreated) st |= EMDB_DBI_CREAT;
    *state = st;
  }
  return 0;
}

int emdb_dbi_flags(const EMDB_txn* txn, EMDB_dbi dbi, unsigned* flags) noexcept {
  return emdb_dbi_flags_ex(txn, dbi, flags, nullptr);
}

int emdb_dbi_stat(const EMDB_txn* txn, EMDB_dbi dbi, EMDB_stat* st, size_t bytes) noexcept {
  EMDB_txn* t = const_cast<EMDB_txn*>(txn);
  int rc = CheckTxn(t);
  if (rc) return rc;
  if (st == nullptr || bytes < sizeof(EMDB_stat)) return EMDB_EINVAL;
  rc = CheckDbi(t, dbi);
  if (rc) return rc;
  env::StatOf(t->env, t->dbs[dbi].rec, st);
  return 0;
}

int emdb_dbi_sequence(EMDB_txn* txn, EMDB_dbi dbi, uint64_t* result, uint64_t increment) noexcept {
  int rc = CheckTxn(txn);
  if (rc) return rc;
  rc = CheckDbi(txn, dbi);
  if (rc) return rc;
  TreeRecord& r = txn->dbs[dbi].rec;
  if (result) *result = r.sequence;
  if (increment == 0) return 0;
  if (txn->rdonly()) return EMDB_EACCESS;
  if (r.sequence + increment < r.sequence) return EMDB_RESULT_TRUE;
  r.sequence += increment;
  cur::MarkChanged(txn, dbi);
  return 0;
}

int emdb_drop(EMDB_txn* txn, EMDB_dbi dbi, bool del) noexcept {
  int rc = CheckTxn(txn, true);
  if (rc) return rc;
  rc = CheckDbi(txn, dbi);
  if (rc) return rc;
  return Guard([&] { return Poison(txn, env::Drop(txn, dbi, del)); });
}

// ---- data ----

int emdb_get(const EMDB_txn* txn, EMDB_dbi dbi, const EMDB_val* key, EMDB_val* data) noexcept {
  EMDB_txn* t = const_cast<EMDB_txn*>(txn);
  int rc = CheckTxn(t);
  if (rc) return rc;
  if (key == nullptr || data == nullptr) return EMDB_EINVAL;
  rc = CheckDbi(t, dbi);
  if (rc) return rc;
  const DbiInfo& info = t->env->dbis[dbi];
  rc = CheckKey(t->env, info, key);
  if (rc) return rc;
  const uint8_t* node;
  Slice d;
  rc = bt::Lookup(t, t->dbs[dbi].rec, info.kcmp, Slice::Of(key), &node, &d);
  if (rc) return rc;
  uint16_t nf = format::NodeFlags(node);
  if (nf & format::kNodeDup) {
    rc = bt::FirstDup(t, node, &d);
    if (rc) return rc;
  } else if ((nf & format::kNodeTree) && dbi == kMainDbi) {
    return EMDB_INCOMPATIBLE;
  }
  data->iov_base = const_cast<uint8_t*>(d.data);
  data->iov_len = d.size;
  return ReadDone(t, 0);
}

int emdb_get_ex(const EMDB_txn* txn, EMDB_dbi dbi, EMDB_val* key, EMDB_val* data,
                size_t* values_count) noexcept {
  EMDB_txn* t = const_cast<EMDB_txn*>(txn);
  int rc = CheckTxn(t);
  if (rc) return rc;
  if (key == nullptr || data == nullptr) return EMDB_EINVAL;
  rc = CheckDbi(t, dbi);
  if (rc) return rc;
  return Guard([&] {
    Cursor c;
    bt::CursorInit(&c, t, dbi);
    int r = cur::Get(&c, key, data, EMDB_SET_KEY);
    if (r == 0 && values_count) {
      r = cur::Count(&c, values_count);
    } else if (r != 0 && values_count) {
      *values_count = 0;
    }
    return r;
  });
}

int emdb_get_equal_or_great(const EMDB_txn* txn, EMDB_dbi dbi, EMDB_val* key,
                            EMDB_val* data) noexcept {
  EMDB_txn* t = const_cast<EMDB_txn*>(txn);
  int rc = CheckTxn(t);
  if (rc) return rc;
  if (key == nullptr || data == nullptr) return EMDB_EINVAL;
  rc = CheckDbi(t, dbi);
  if (rc) return rc;
  return Guard([&] {
    Cursor c;
    bt::CursorInit(&c, t, dbi);
    return cur::Get(&c, key, data, EMDB_SET_LOWERBOUND);
  });
}

static int PutImpl(EMDB_txn* txn, EMDB_dbi dbi, Cursor* c, const EMDB_val* key, EMDB_val* data,
                   EMDB_put_flags_t flags) {
  const DbiInfo& info = txn->env->dbis[dbi];
  const unsigned known = EMDB_NOOVERWRITE | EMDB_NODUPDATA | EMDB_CURRENT | EMDB_ALLDUPS |
                         EMDB_RESERVE | EMDB_APPEND | EMDB_APPENDDUP | EMDB_MULTIPLE;
  if (unsigned(flags) & ~known) return EMDB_EINVAL;
  bool dupsort = (info.flags & EMDB_DUPSORT) != 0;
  if (!dupsort && (flags & (EMDB_NODUPDATA | EMDB_APPENDDUP | EMDB_MULTIPLE))) {
    if (flags & (EMDB_NODUPDATA | EMDB_MULTIPLE)) return EMDB_EINVAL;
  }
  if (dupsort && (flags & EMDB_RESERVE)) return EMDB_INCOMPATIBLE;
  if ((flags & EMDB_CURRENT) && (flags & (EMDB_NOOVERWRITE | EMDB_APPEND | EMDB_APPENDDUP))) {
    return EMDB_EINVAL;
  }
  if ((flags & EMDB_MULTIPLE) && !(info.flags & EMDB_DUPFIXED)) return EMDB_INCOMPATIBLE;
  int rc = CheckKey(txn->env, info, key);
  if (rc) return rc;
  DbState& ds = txn->dbs[dbi];
  if (info.flags & EMDB_INTEGERKEY) {
    // Every key of an INTEGERKEY table has the size of the first one.
    if (ds.int_ksize == 0 && ds.rec.items > 0) {
      Cursor probe;
      bt::CursorInit(&probe, txn, dbi);
      Slice pk, pd;
      if (bt::First(&probe) == 0 && bt::Current(&probe, &pk, &pd, nullptr) == 0) {
        ds.int_ksize = uint8_t(pk.size);
      }
    }
    if (ds.int_ksize != 0 && key->iov_len != ds.int_ksize) return EMDB_BAD_VALSIZE;
  }
  if (flags & EMDB_MULTIPLE) {
    if (data == nullptr) return EMDB_EINVAL;
    if (data[1].iov_len == 0) return 0;
    EMDB_val one{data[0].iov_base, data[0].iov_len};
    rc = CheckVal(txn->env, info, txn->dbs[dbi].rec, &one, 0);
    if (rc) return rc;
  } else {
    rc = CheckVal(txn->env, info, txn->dbs[dbi].rec, data, unsigned(flags));
    if (rc) return rc;
  }
  // (Keys of the main table that name tables are refused by cur::Put: EMDB_INCOMPATIBLE.)
  rc = Poison(txn, cur::Put(c, key, data, unsigned(flags)));
  if (rc == 0 && (info.flags & EMDB_INTEGERKEY)) ds.int_ksize = uint8_t(key->iov_len);
  return rc;
}

int emdb_put(EMDB_txn* txn, EMDB_dbi dbi, const EMDB_val* key, EMDB_val* data,
             EMDB_put_flags_t flags) noexcept {
  int rc = CheckTxn(txn, true);
  if (rc) return rc;
  rc = CheckDbi(txn, dbi);
  if (rc) return rc;
  if (key == nullptr || data == nullptr) return EMDB_EINVAL;
  return Guard([&] {
    Cursor c;
    bt::CursorInit(&c, txn, dbi);
    if (flags & EMDB_CURRENT) {
      // Position on the key first; with several values only ALLDUPS may replace them.
      EMDB_val k = *key, d;
      int r = cur::Get(&c, &k, &d, EMDB_SET);
      if (r) return r;
      size_t n = 1;
      r = cur::Count(&c, &n);
      if (r) return r;
      if (n > 1 && !(flags & EMDB_ALLDUPS)) return int(EMDB_EMULTIVAL);
    }
    return PutImpl(txn, dbi, &c, key, data, flags);
  });
}

int emdb_replace(EMDB_txn* txn, EMDB_dbi dbi, const EMDB_val* key, EMDB_val* new_data,
                 EMDB_val* old_data, EMDB_put_flags_t flags) noexcept {
  int rc = CheckTxn(txn, true);
  if (rc) return rc;
  rc = CheckDbi(txn, dbi);
  if (rc) return rc;
  if (key == nullptr || old_data == nullptr || old_data == new_data) return EMDB_EINVAL;
  if (old_data->iov_base == nullptr && old_data->iov_len) return EMDB_EINVAL;
  if (flags & (EMDB_APPEND | EMDB_APPENDDUP | EMDB_MULTIPLE)) return EMDB_EINVAL;
  return Guard([&] {
    const DbiInfo& info = txn->env->dbis[dbi];
    bool dupsort = (info.flags & EMDB_DUPSORT) != 0;
    int r = CheckKey(txn->env, info, key);
    if (r) return r;
    Cursor c;
    bt::CursorInit(&c, txn, dbi);
    EMDB_val k = *key, present;
    unsigned f = unsigned(flags);
    const bool select = dupsort && (f & EMDB_CURRENT) && (f & EMDB_NOOVERWRITE);
    if (!dupsort && (f & EMDB_CURRENT) && (f & EMDB_NOOVERWRITE)) return int(EMDB_EINVAL);
    if (select) {
      // DUPSORT: old_data names the one value to replace or delete.
      present = *old_data;
      r = cur::Get(&c, &k, &present, EMDB_GET_BOTH);
      if (r) return r;
      f &= ~unsigned(EMDB_NOOVERWRITE);
    } else {
      r = cur::Get(&c, &k, &present, EMDB_SET_KEY);
      if (r == EMDB_NOTFOUND) {
        if (new_data == nullptr || (f & EMDB_CURRENT)) return int(EMDB_NOTFOUND);
        old_data->iov_base = nullptr;
        old_data->iov_len = 0;
        return PutImpl(txn, dbi, &c, key, new_data, EMDB_put_flags_t(f));
      }
      if (r) return r;
      if (f & EMDB_NOOVERWRITE) {
        *old_data = present;
        return int(EMDB_KEYEXIST);
      }
      if (dupsort && !(f & EMDB_ALLDUPS)) {
        size_t n = 1;
        r = cur::Count(&c, &n);
        if (r) return r;
        if (n > 1) return int(EMDB_EMULTIVAL);
      }
    }
    // Hand back the old value; a value in a dirty page changes under the put: copy it out.
    Env* e = txn->env;
    const uint8_t* pv = static_cast<const uint8_t*>(present.iov_base);
    bool in_map = pv >= e->map.base() && pv < e->map.base() + e->map.reserved() &&
                  !(e->flags & EMDB_WRITEMAP);
    if (select) {
      // old_data already holds these bytes (the selected value equals them): nothing to copy,
      // and the caller's selector may be read-only memory.
    } else if (!in_map) {
      if (old_data->iov_base == nullptr || old_data->iov_len < present.iov_len) {
        old_data->iov_len = present.iov_len;
        return int(EMDB_RESULT_TRUE);
      }
      std::memmove(old_data->iov_base, present.iov_base, present.iov_len);
      old_data->iov_len = present.iov_len;
    } else {
      *old_data = present;
    }
    if (new_data == nullptr) {
      return Poison(
          txn,
          cur::Del(&c, (dupsort && !select && (f & EMDB_ALLDUPS)) ? unsigned(EMDB_ALLDUPS) : 0u));
    }
    return PutImpl(txn, dbi, &c, key, new_data, EMDB_put_flags_t(f | unsigned(EMDB_CURRENT)));
  });
}

int emdb_del(EMDB_txn* txn, EMDB_dbi dbi, const EMDB_val* key, const EMDB_val* data) noexcept {
  int rc = CheckTxn(txn, true);
  if (rc) return rc;
  rc = CheckDbi(txn, dbi);
  if (rc) return rc;
  if (key == nullptr) return EMDB_EINVAL;
  const DbiInfo& info = txn->env->dbis[dbi];
  rc = CheckKey(txn->env, info, key);
  if (rc) return rc;
  return Guard([&] {
    Cursor c;
    bt::CursorInit(&c, txn, dbi);
    EMDB_val k = *key, d;
    bool dupsort = (info.flags & EMDB_DUPSORT) != 0;
    int r;
    if (data != nullptr) {
      // DUPSORT: that one pair; otherwise the value must match too.
      d = *data;
      r = cur::Get(&c, &k, &d, EMDB_GET_BOTH);
    } else {
      r = cur::Get(&c, &k, &d, EMDB_SET);
    }
    if (r) return r;
    if (dbi == kMainDbi && !dupsort) {
      uint16_t nf = format::NodeFlags(bt::CurrentNode(&c));
      if ((nf & format::kNodeTree) && !(nf & format::kNodeDup)) return int(EMDB_INCOMPATIBLE);
    }
    return Poison(txn, cur::Del(&c, (dupsort && data != nullptr) ? 0u : unsigned(EMDB_ALLDUPS)));
  });
}

// ---- cursors ----

EMDB_cursor* emdb_cursor_create(void* context) noexcept {
  try {
    EMDB_cursor* c = new EMDB_cursor();
    c->userctx = context;
    return c;
  } catch (...) {
    return nullptr;
  }
}

int emdb_cursor_set_userctx(EMDB_cursor* cursor, void* ctx) noexcept {
  if (cursor == nullptr) return EMDB_EINVAL;
  if (cursor->signature != kCursorSignature) return EMDB_EBADSIGN;
  cursor->userctx = ctx;
  return 0;
}

void* emdb_cursor_get_userctx(const EMDB_cursor* cursor) noexcept {
  if (cursor == nullptr || cursor->signature != kCursorSignature) return nullptr;
  return cursor->userctx;
}

int emdb_cursor_bind(const EMDB_txn* txn, EMDB_cursor* cursor, EMDB_dbi dbi) noexcept {
  if (cursor == nullptr) return EMDB_EINVAL;
  if (cursor->signature != kCursorSignature) return EMDB_EBADSIGN;
  EMDB_txn* t = const_cast<EMDB_txn*>(txn);
  int rc = CheckTxn(t);
  if (rc) return rc;
  rc = CheckDbi(t, dbi);
  if (rc) return rc;
  return Guard([&] {
    UnlinkCursor(cursor);
    bt::CursorInit(cursor, t, dbi);
    LinkCursor(t, cursor);
    return 0;
  });
}

int emdb_cursor_unbind(EMDB_cursor* cursor) noexcept {
  if (cursor == nullptr) return EMDB_EINVAL;
  if (cursor->signature != kCursorSignature) return EMDB_EBADSIGN;
  UnlinkCursor(cursor);
  cursor->depth = 0;
  return 0;
}

int emdb_cursor_open(const EMDB_txn* txn, EMDB_dbi dbi, EMDB_cursor** cursor) noexcept {
  if (cursor == nullptr) return EMDB_EINVAL;
  *cursor = nullptr;
  EMDB_cursor* c = emdb_cursor_create(nullptr);
  if (c == nullptr) return EMDB_ENOMEM;
  int rc = emdb_cursor_bind(txn, c, dbi);
  if (rc) {
    c->signature = kDeadSignature;
    delete c;
    return rc;
  }
  *cursor = c;
  return 0;
}

int emdb_cursor_close2(EMDB_cursor* cursor) noexcept {
  if (cursor == nullptr) return EMDB_EINVAL;
  if (cursor->signature != kCursorSignature) return EMDB_EBADSIGN;
  UnlinkCursor(cursor);
  cursor->signature = kDeadSignature;
  delete cursor;
  return 0;
}

void emdb_cursor_close(EMDB_cursor* cursor) noexcept { (void)emdb_cursor_close2(cursor); }

int emdb_cursor_renew(const EMDB_txn* txn, EMDB_cursor* cursor) noexcept {
  if (cursor == nullptr) return EMDB_EINVAL;
  if (cursor->signature != kCursorSignature) return EMDB_EBADSIGN;
  return emdb_cursor_bind(txn, cursor, cursor->dbi);
}

int emdb_cursor_copy(const EMDB_cursor* src, EMDB_cursor* dest) noexcept {
  if (src == nullptr || dest == nullptr) return EMDB_EINVAL;
  if (src->signature != kCursorSignature || dest->signature != kCursorSignature) {
    return EMDB_EBADSIGN;
  }
  if (src->txn == nullptr) return EMDB_EINVAL;
  int rc = emdb_cursor_bind(static_cast<EMDB_txn*>(src->txn), dest, src->dbi);
  if (rc) return rc;
  return Guard([&] {
    for (int i = 0; i < src->depth; i++) {
      dest->pg[i] = src->pg[i];
      dest->ki[i] = src->ki[i];
    }
    dest->depth = src->depth;
    dest->eof = src->eof;
    dest->after_del = src->after_del;
    dest->stale = src->stale;
    dest->saved_key = src->saved_key;
    dest->saved_val = src->saved_val;
    dest->saved_has_val = src->saved_has_val;
    dest->sub_active = src->sub_active;
    dest->subrec = src->subrec;
    if (src->sub && dest->sub) {
      Cursor* ds = dest->sub.get();
      const Cursor* ss = src->sub.get();
      for (int i = 0; i < ss->depth; i++) {
        ds->pg[i] = ss->pg[i];
        ds->ki[i] = ss->ki[i];
      }
      ds->depth = ss->depth;
      ds->eof = ss->eof;
      ds->subpage = ss->subpage;
      ds->subpage_size = ss->subpage_size;
      ds->tree = &dest->subrec;
    }
    return 0;
  });
}

EMDB_txn* emdb_cursor_txn(const EMDB_cursor* cursor) noexcept {
  if (cursor == nullptr || cursor->signature != kCursorSignature) return nullptr;
  return static_cast<EMDB_txn*>(cursor->txn);
}

EMDB_dbi emdb_cursor_dbi(const EMDB_cursor* cursor) noexcept {
  if (cursor == nullptr || cursor->signature != kCursorSignature) return ~EMDB_dbi(0);
  return cursor->dbi;
}

int emdb_cursor_get(EMDB_cursor* cursor, EMDB_val* key, EMDB_val* data,
                    EMDB_cursor_op op_arg) noexcept {
  const int opv = EnumValue(op_arg);
  // Fast path of a scan: NEXT/PREV inside a leaf of a plain table.
  if (EMDB_LIKELY((opv == EMDB_NEXT || opv == EMDB_PREV) && cursor != nullptr &&
                  cursor->signature == kCursorSignature && cursor->txn != nullptr)) {
    const Txn* t = cursor->txn;
    const Env* e = t->env;
    if (EMDB_LIKELY(
            t->signature == kTxnSignature &&
            !(t->flags & (EMDB_TXN_FINISHED | EMDB_TXN_ERROR | EMDB_TXN_HAS_CHILD)) &&
            !e->panic.load(std::memory_order_relaxed) && e->dbis[cursor->dbi].used &&
            ((e->flags & EMDB_NOSTICKYTHREADS) || pthread_equal(t->owner, pthread_self())))) {
      int rc = cur::StepFast(cursor, key, data, opv == EMDB_NEXT);
      if (EMDB_LIKELY(rc != cur::kSlowPath)) {
        if (t->rdonly() && (t->parked || t->ousted))
          return CheckTxn(static_cast<const EMDB_txn*>(t));
        return ReadDone(t, rc);
      }
    }
  }
  if (opv < 0 || opv > int(EMDB_SET_UPPERBOUND)) return EMDB_EINVAL;
  const EMDB_cursor_op op = EMDB_cursor_op(opv);
  int rc = CheckCursor(cursor, false);
  if (rc) return rc;
  if (unsigned(op) > unsigned(EMDB_SET_UPPERBOUND)) return EMDB_EINVAL;
  // Ops whose data argument is an input (or an output array) need it.
  constexpr unsigned kNeedData = (1u << EMDB_GET_BOTH) | (1u << EMDB_GET_BOTH_RANGE) |
                                 (1u << EMDB_GET_MULTIPLE) | (1u << EMDB_NEXT_MULTIPLE) |
                                 (1u << EMDB_PREV_MULTIPLE) | (1u << EMDB_SET_LOWERBOUND) |
                                 (1u << EMDB_SET_UPPERBOUND);
  if (data == nullptr && ((kNeedData >> unsigned(op)) & 1u)) return EMDB_EINVAL;
  if (key != nullptr &&
      (op == EMDB_SET || op == EMDB_SET_KEY || op == EMDB_SET_RANGE || op == EMDB_GET_BOTH ||
       op == EMDB_GET_BOTH_RANGE || op == EMDB_SET_LOWERBOUND || op == EMDB_SET_UPPERBOUND)) {
    rc = CheckKey(cursor->txn->env, cursor->txn->env->dbis[cursor->dbi], key);
    if (rc) return rc;
  }
  if (!(cursor->tflags & EMDB_DUPSORT) &&
      (op == EMDB_GET_BOTH || op == EMDB_GET_BOTH_RANGE || op == EMDB_GET_MULTIPLE ||
       op == EMDB_NEXT_MULTIPLE || op == EMDB_PREV_MULTIPLE)) {
    return EMDB_INCOMPATIBLE;
  }
  bool dup_op = op == EMDB_FIRST_DUP || op == EMDB_LAST_DUP || op == EMDB_NEXT_DUP ||
                op == EMDB_PREV_DUP || op == EMDB_GET_BOTH || op == EMDB_GET_BOTH_RANGE;
  if (dup_op && !(cursor->tflags & EMDB_DUPSORT) &&
      (op == EMDB_FIRST_DUP || op == EMDB_LAST_DUP || op == EMDB_NEXT_DUP || op == EMDB_PREV_DUP)) {
    // libmdbx: on a non-DUPSORT table these move within the single value.
    if (op == EMDB_NEXT_DUP || op == EMDB_PREV_DUP) {
      if (!cur::IsPositioned(cursor)) return EMDB_EINVAL;
      return EMDB_NOTFOUND;
    }
  }
  return Guard([&] { return ReadDone(cursor->txn, cur::Get(cursor, key, data, op)); });
}

int emdb_cursor_put(EMDB_cursor* cursor, const EMDB_val* key, EMDB_val* data,
                    EMDB_put_flags_t flags) noexcept {
  int rc = CheckCursor(cursor, true);
  if (rc) return rc;
  if (key == nullptr || data == nullptr) return EMDB_EINVAL;
  return Guard([&] {
    return PutImpl(static_cast<EMDB_txn*>(cursor->txn), cursor->dbi, cursor, key, data, flags);
  });
}

int emdb_cursor_del(EMDB_cursor* cursor, EMDB_put_flags_t flags) noexcept {
  int rc = CheckCursor(cursor, true);
  if (rc) return rc;
  if (unsigned(flags) & ~unsigned(EMDB_ALLDUPS | EMDB_NODUPDATA | EMDB_CURRENT)) return EMDB_EINVAL;
  return Guard([&] {
    unsigned f = (flags & (EMDB_ALLDUPS | EMDB_NODUPDATA)) ? unsigned(EMDB_ALLDUPS) : 0u;
    return Poison(static_cast<EMDB_txn*>(cursor->txn), cur::Del(cursor, f));
  });
}

int emdb_cursor_count(const EMDB_cursor* cursor, size_t* count) noexcept {
  int rc = CheckCursor(cursor, false);
  if (rc) return rc;
  if (count == nullptr) return EMDB_EINVAL;
  return Guard([&] { return cur::Count(const_cast<EMDB_cursor*>(cursor), count); });
}

int emdb_cursor_eof(const EMDB_cursor* cursor) noexcept {
  if (cursor == nullptr) return EMDB_EINVAL;
  if (cursor->signature != kCursorSignature) return EMDB_EBADSIGN;
  if (cursor->txn == nullptr) return EMDB_EINVAL;
  EMDB_cursor* c = const_cast<EMDB_cursor*>(cursor);
  if (cur::Restore(c) != 0) return EMDB_RESULT_TRUE;
  return (!bt::OnEntry(c) || c->after_del) ? EMDB_RESULT_TRUE : EMDB_RESULT_FALSE;
}

static int OnEdge(const EMDB_cursor* cursor, bool first, bool dup) {
  if (cursor == nullptr) return EMDB_EINVAL;
  if (cursor->signature != kCursorSignature) return EMDB_EBADSIGN;
  if (cursor->txn == nullptr) return EMDB_EINVAL;
  EMDB_cursor* c = const_cast<EMDB_cursor*>(cursor);
  int rc = cur::Restore(c);
  if (rc) return rc;
  if (!bt::OnEntry(c)) return c->depth == 0 ? EMDB_RESULT_TRUE : EMDB_RESULT_FALSE;
  const Cursor* x = c;
  if (dup) {
    if (!c->sub_active) return EMDB_RESULT_TRUE;
    x = c->sub.get();
  }
  for (int l = 0; l < x->depth; l++) {
    unsigned n = format::NumKeys(x->pg[l]);
    if (first ? x->ki[l] != 0 : unsigned(x->ki[l]) + 1 != n) return EMDB_RESULT_FALSE;
  }
  if (!dup && c->sub_active) {
    const Cursor* s = c->sub.get();
    for (int l = 0; l < s->depth; l++) {
      unsigned n = format::NumKeys(s->pg[l]);
      if (first ? s->ki[l] != 0 : unsigned(s->ki[l]) + 1 != n) return EMDB_RESULT_FALSE;
    }
  }
  return EMDB_RESULT_TRUE;
}

int emdb_cursor_on_first(const EMDB_cursor* cursor) noexcept { return OnEdge(cursor, true, false); }
int emdb_cursor_on_last(const EMDB_cursor* cursor) noexcept { return OnEdge(cursor, false, false); }
int emdb_cursor_on_first_dup(const EMDB_cursor* cursor) noexcept {
  return OnEdge(cursor, true, true);
}
int emdb_cursor_on_last_dup(const EMDB_cursor* cursor) noexcept {
  return OnEdge(cursor, false, true);
}

// ---- misc ----

int emdb_canary_put(EMDB_txn* txn, const EMDB_canary* canary) noexcept {
  int rc = CheckTxn(txn, true);
  if (rc) return rc;
  if (canary != nullptr) {
    if (txn->meta.canary[0] == canary->x && txn->meta.canary[1] == canary->y &&
        txn->meta.canary[2] == canary->z) {
      return 0;  // unchanged: v keeps the txnid of the last change
    }
    txn->meta.canary[0] = canary->x;
    txn->meta.canary[1] = canary->y;
    txn->meta.canary[2] = canary->z;
  }
  txn->meta.canary[3] = txn->txnid;
  txn->canary_set = true;
  txn->flags |= EMDB_TXN_DIRTY;
  return 0;
}

int emdb_canary_get(const EMDB_txn* txn, EMDB_canary* canary) noexcept {
  int rc = CheckTxn(txn);
  if (rc) return rc;
  if (canary == nullptr) return EMDB_EINVAL;
  canary->x = txn->meta.canary[0];
  canary->y = txn->meta.canary[1];
  canary->z = txn->meta.canary[2];
  canary->v = txn->meta.canary[3];
  return 0;
}

int emdb_is_dirty(const EMDB_txn* txn, const void* ptr) noexcept {
  int rc = CheckTxn(txn);
  if (rc) return rc;
  if (txn->rdonly()) return EMDB_RESULT_FALSE;
  const Env* e = txn->env;
  const uint8_t* p = static_cast<const uint8_t*>(ptr);
  if (p >= e->map.base() && p < e->map.base() + e->map.reserved()) {
    if (!(e->flags & EMDB_WRITEMAP)) return EMDB_RESULT_FALSE;
  }
  // Search the dirty pages of the txn and its ancestors.
  bool found = false;
  for (const Txn* x = txn; x && !found; x = x->parent) {
    x->dirty.ForEach([&](pgno_t, Page* pg) {
      size_t n = format::IsLarge(pg) && pg->large_count > 1 ? pg->large_count : 1;
      const uint8_t* b = reinterpret_cast<const uint8_t*>(pg);
      if (p >= b && p < b + n * e->psize) found = true;
    });
  }
  return found ? EMDB_RESULT_TRUE : EMDB_RESULT_FALSE;
}

// ---- concurrency: the reader table ----

int emdb_reader_list(const EMDB_env* env, EMDB_reader_list_func* func, void* ctx) noexcept {
  int rc = CheckEnv(env);
  if (rc) return rc;
  if (func == nullptr) return EMDB_EINVAL;
  return Guard([&] {
    const os::LockFile& lck = env->lck;
    const uint64_t head = lck.header()->head_txnid.load(std::memory_order_acquire);
    const uint64_t retired = lck.header()->pages_retired.load(std::memory_order_relaxed);
    const unsigned hwm = lck.header()->readers_hwm.load(std::memory_order_acquire);
    int num = 0;
    for (unsigned i = 0; i < hwm && i < lck.max_readers(); i++) {
      const os::ReaderSlot* s = lck.slot(i);
      uint32_t pid = s->pid.load(std::memory_order_acquire);
      if (pid == 0 || (pid & os::kClearing)) continue;
      uint64_t tid = s->tid.load(std::memory_order_relaxed);
      uint64_t txnid = s->txnid.load(std::memory_order_acquire);
      uint64_t pages = s->snapshot_pages.load(std::memory_order_relaxed);
      uint64_t at = s->snapshot_retired.load(std::memory_order_relaxed);
      uint64_t lag = 0, used = 0, kept = 0;
      if (txnid != 0) {
        lag = head > txnid ? head - txnid : 0;
        used = pages * env->psize;
        kept = retired > at ? (retired - at) * env->psize : 0;
      }
      emdb_tid_t thread{};
      std::memcpy(&thread, &tid, std::min(sizeof(thread), sizeof(tid)));
      int r =
          func(ctx, ++num, int(i), emdb_pid_t(pid), thread, txnid, lag, size_t(used), size_t(kept));
      if (r != 0) return r;
    }
    return num == 0 ? int(EMDB_RESULT_TRUE) : 0;
  });
}

int emdb_reader_check(EMDB_env* env, int* dead) noexcept {
  if (dead != nullptr) *dead = 0;
  int rc = CheckEnv(env);
  if (rc) return rc;
  return Guard([&] {
    int n = 0;
    int r = env->lck.ClearDeadReaders(&n);
    if (dead != nullptr) *dead = n;
    if (r != 0) return r;
    return n > 0 ? int(EMDB_RESULT_TRUE) : 0;
  });
}

int emdb_thread_register(const EMDB_env* env) noexcept {
  int rc = CheckEnv(env);
  if (rc) return rc;
  if (env->flags & EMDB_NOSTICKYTHREADS) return EMDB_EINVAL;  // slots belong to txns then
  return Guard([&] {
    for (auto& e : tls.v) {
      if (e.env_id == env->env_id) return int(EMDB_RESULT_TRUE);
    }
    os::ReaderSlot* s = nullptr;
    return ClaimThreadSlot(const_cast<EMDB_env*>(env), &s);
  });
}

int emdb_thread_unregister(const EMDB_env* env) noexcept {
  int rc = CheckEnv(env);
  if (rc) return rc;
  if (env->flags & EMDB_NOSTICKYTHREADS) return EMDB_EINVAL;
  return Guard([&] {
    for (size_t i = 0; i < tls.v.size(); i++) {
      if (tls.v[i].env_id != env->env_id) continue;
      os::ReaderSlot* s = tls.v[i].slot;
      if (s->txnid.load(std::memory_order_acquire) != 0) return int(EMDB_BUSY);
      Env* e = const_cast<EMDB_env*>(env);
      {
        std::lock_guard<std::mutex> g(g_live_mu);
        auto& is = e->issued_slots;
        for (size_t j = 0; j < is.size(); j++) {
          if (is[j] == s) {
            is[j] = is.back();
            is.pop_back();
            break;
          }
        }
      }
      e->lck.ReleaseSlot(s);
      tls.v.erase(tls.v.begin() + ptrdiff_t(i));
      return 0;
    }
    return int(EMDB_RESULT_TRUE);
  });
}

}  // extern "C"
