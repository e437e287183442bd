// api/src/c_api_internal.hpp — what the C API's source files share (not installed): the handle
// types behind the opaque EMDB_env/EMDB_txn/EMDB_cursor, the exception guard of every entry
// point, and the handle checks (signature words, owning env, thread).
#pragma once

#include <emdb/emdb.h>
#include <pthread.h>

#include <cstring>
#include <new>

#include "core/internal.hpp"

struct EMDB_env : emdb::Env {};
struct EMDB_txn : emdb::Txn {};
struct EMDB_cursor : emdb::Cursor {};

namespace emdb::capi {

template <typename F>
int Guard(F&& f) noexcept {
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
int EnumValue(const E& e) {
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

inline int CheckTxn(const EMDB_txn* txn, bool write = false, bool allow_blocked = false) {
  if (txn == nullptr) return EMDB_EINVAL;
  if (txn->signature != kTxnSignature) return EMDB_EBADSIGN;
  if (txn->env == nullptr || txn->env->signature != kEnvSignature) return EMDB_EBADSIGN;
  if (txn->env->panic.load(std::memory_order_relaxed)) return EMDB_PANIC;
  if (!allow_blocked) {
    if (txn->flags & EMDB_TXN_FINISHED) return EMDB_BAD_TXN;
    if (txn->flags & EMDB_TXN_HAS_CHILD) return EMDB_BAD_TXN;
    if (txn->flags & EMDB_TXN_ERROR) return EMDB_BAD_TXN;
  }
  if (!(txn->env->flags & EMDB_NOSTICKYTHREADS) && !pthread_equal(txn->owner, pthread_self())) {
    return EMDB_THREAD_MISMATCH;
  }
  if (write && txn->rdonly()) return EMDB_EACCESS;
  return 0;
}

}  // namespace emdb::capi
