// api/src/c_api_internal.hpp — helpers shared by the C entry points of api/src/: the handle
// types behind the opaque C handles, and the validation of handles and arguments (signature
// words, owning thread, finished or blocked transactions, table handles, key and value sizes).
// Internal to the API layer; not installed.
#pragma once

#include <emdb/emdb.h>
#include <pthread.h>

#include <cstring>
#include <new>

#include "btree/cursor.hpp"
#include "core/internal.hpp"
#include "txn/space.hpp"
#include "txn/txn.hpp"

struct EMDB_env : emdb::Env {};
struct EMDB_txn : emdb::Txn {};
struct EMDB_cursor : emdb::Cursor {};

namespace emdb::capi {

template <typename F>
inline int Guard(F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return EMDB_ENOMEM;
  } catch (...) {
    return EMDB_PROBLEM;
  }
}

// Reads an enum argument as its integer without loading an out-of-range enum value (UB).
template <typename E>
inline int EnumValue(const E& e) {
  int v = 0;
  static_assert(sizeof(E) <= sizeof(int));
  std::memcpy(&v, &e, sizeof(E));
  return v;
}

inline int CheckEnv(const EMDB_env* env, bool need_open = true) {
  if (env == nullptr) return EMDB_EINVAL;
  if (env->signature != kEnvSignature) return EMDB_EBADSIGN;
  if (need_open && !env->opened) return EMDB_EPERM;
  if (need_open && env->panic.load(std::memory_order_relaxed)) return EMDB_PANIC;
  return 0;
}

// Unparks a parked read txn (emdb_txn_park). EMDB_OUSTED if the writer took its snapshot
// (engine/txn/space.hpp S5).
inline int Unpark(EMDB_txn* txn) { return space::UnparkRead(txn); }

inline int AutoUnpark(EMDB_txn* txn) {
  if (txn->ousted) return EMDB_OUSTED;
  if (!txn->autounpark) return EMDB_BAD_TXN;  // parked: unpark it first
  return Unpark(txn);
}

inline int CheckTxn(const EMDB_txn* txn, bool write = false, bool allow_blocked = false,
                    bool allow_panic = false) {
  if (txn == nullptr) return EMDB_EINVAL;
  if (txn->signature != kTxnSignature) return EMDB_EBADSIGN;
  if (txn->env == nullptr || txn->env->signature != kEnvSignature) return EMDB_EBADSIGN;
  if (!allow_panic && txn->env->panic.load(std::memory_order_relaxed)) return EMDB_PANIC;
  if (!allow_blocked) {
    if (txn->flags & EMDB_TXN_FINISHED) return EMDB_BAD_TXN;
    if (txn->flags & EMDB_TXN_HAS_CHILD) return EMDB_BAD_TXN;
    if (txn->flags & EMDB_TXN_ERROR) return EMDB_BAD_TXN;
  }
  // With EMDB_NOSTICKYTHREADS read txns may move between threads; write txns never do, since
  // the writer lock is a mutex its owner thread must release.
  if ((!(txn->env->flags & EMDB_NOSTICKYTHREADS) || !txn->rdonly()) &&
      !pthread_equal(txn->owner, pthread_self())) {
    return EMDB_THREAD_MISMATCH;
  }
  if (write && txn->rdonly()) return EMDB_EACCESS;
  if (!allow_blocked && txn->rdonly() && txn->slot != nullptr) {
    if (EMDB_UNLIKELY(txn->parked || txn->ousted)) {
      int rc = AutoUnpark(const_cast<EMDB_txn*>(txn));
      if (rc) return rc;
    }
    // The writer cleared our slot (OOM-kick): the snapshot's pages may be reused.
    if (EMDB_UNLIKELY(txn->slot->txnid.load(std::memory_order_acquire) != txn->txnid)) {
      return EMDB_MVCC_RETARDED;
    }
  }
  return 0;
}

// After a read: if the writer kicked this reader meanwhile, what was read may come from reused
// pages, so it is not returned (engine/txn/space.hpp S5).
inline int ReadDone(const Txn* txn, int rc) {
  if (txn->rdonly() && txn->slot != nullptr && (rc == 0 || rc == EMDB_NOTFOUND) &&
      EMDB_UNLIKELY(txn->slot->txnid.load(std::memory_order_acquire) != txn->txnid)) {
    return EMDB_MVCC_RETARDED;
  }
  return rc;
}

inline int CheckDbi(EMDB_txn* txn, EMDB_dbi dbi) {
  Env* env = txn->env;
  if (dbi >= env->num_dbis.load(std::memory_order_acquire) || !env->dbis[dbi].used ||
      dbi == kGcDbi) {
    return EMDB_BAD_DBI;
  }
  DbState& s = txn->dbs[dbi];
  if ((s.state & kDbValid) && s.generation != env->dbis[dbi].generation && dbi >= kCoreDbs) {
    if (s.state & (kDbDirty | kDbCreated)) return EMDB_BAD_DBI;
    s.state = kDbStale;  // the handle now names another table: load it
    s.int_ksize = 0;
  }
  if (EMDB_LIKELY(s.state & kDbValid) && !(s.state & kDbDropped)) return 0;
  return txn::LoadDbi(txn, dbi);
}

// Poisons a write txn after an error that may have left it half-done.
inline int Poison(EMDB_txn* txn, int rc) {
  switch (rc) {
    case 0:
    case EMDB_RESULT_TRUE:
    case EMDB_NOTFOUND:
    case EMDB_KEYEXIST:
    case EMDB_EKEYMISMATCH:
    case EMDB_BAD_VALSIZE:
    case EMDB_EINVAL:
    case EMDB_INCOMPATIBLE:
    case EMDB_EMULTIVAL:
    case EMDB_BAD_DBI:
    case EMDB_EACCESS:
      return rc;
    default:
      if (!txn->rdonly()) txn->flags |= EMDB_TXN_ERROR;
      return rc;
  }
}

inline size_t MaxKey(uint32_t psize, unsigned flags) {
  return (flags & EMDB_DUPSORT) ? format::MaxDupKeySize(psize) : format::MaxKeySize(psize);
}
inline size_t MaxVal(uint32_t psize, unsigned flags) {
  return (flags & EMDB_DUPSORT) ? format::MaxDupKeySize(psize) : size_t(EMDB_MAXDATASIZE);
}

inline int CheckKey(const Env* env, const DbiInfo& info, const EMDB_val* key) {
  if (key == nullptr) return EMDB_EINVAL;
  if (key->iov_len && key->iov_base == nullptr) return EMDB_EINVAL;
  if (key->iov_len > MaxKey(env->psize, info.flags)) return EMDB_BAD_VALSIZE;
  if ((info.flags & EMDB_INTEGERKEY) && key->iov_len != 4 && key->iov_len != 8) {
    return EMDB_BAD_VALSIZE;
  }
  return 0;
}

inline int CheckVal(const Env* env, const DbiInfo& info, const TreeRecord& rec,
                    const EMDB_val* data, unsigned flags) {
  if (data == nullptr) return EMDB_EINVAL;
  if (data->iov_len && data->iov_base == nullptr && !(flags & EMDB_RESERVE)) return EMDB_EINVAL;
  if (data->iov_len > MaxVal(env->psize, info.flags)) return EMDB_BAD_VALSIZE;
  if ((info.flags & EMDB_DUPSORT) && (info.flags & EMDB_INTEGERDUP) && data->iov_len != 4 &&
      data->iov_len != 8) {
    return EMDB_BAD_VALSIZE;
  }
  if ((info.flags & EMDB_DUPFIXED) && rec.dupfix_size && data->iov_len != rec.dupfix_size) {
    return EMDB_BAD_VALSIZE;
  }
  return 0;
}

inline int CheckCursor(const EMDB_cursor* cursor, bool write) {
  if (cursor == nullptr) return EMDB_EINVAL;
  if (cursor->signature != kCursorSignature) return EMDB_EBADSIGN;
  if (cursor->txn == nullptr) return EMDB_EINVAL;
  int rc = CheckTxn(static_cast<EMDB_txn*>(cursor->txn), write);
  if (rc) return rc;
  const Env* env = cursor->txn->env;
  if (!env->dbis[cursor->dbi].used) return EMDB_BAD_DBI;
  return 0;
}

}  // namespace emdb::capi
