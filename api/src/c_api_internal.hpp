// api/src/c_api_internal.hpp — what the C API's source files share: the public handle types as
// the engine's structures, and the handle checks every entry point starts with.
//
// Thread safety: the checks read handle fields only; they run on the caller's thread.
#pragma once

#include <emdb/emdb.h>
#include <pthread.h>

#include <new>

#include "core/internal.hpp"

struct EMDB_env : emdb::Env {};
struct EMDB_txn : emdb::Txn {};
struct EMDB_cursor : emdb::Cursor {};

namespace emdb::capi {

// Runs f, turning any exception into a status (none crosses the C boundary).
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
