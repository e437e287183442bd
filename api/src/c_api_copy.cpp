// api/src/c_api_copy.cpp — the copy entry points (emdb.h, block "Copying"): argument checks,
// then engine/copy/. The env variants copy the snapshot of a read transaction they begin and
// end themselves.
//
// Flags: EMDB_CP_COMPACT, EMDB_CP_FORCE_DYNAMIC_SIZE, EMDB_CP_DONT_FLUSH, EMDB_CP_OVERWRITE
// (path variants), EMDB_CP_DISPOSE_TXN (txn variants: the txn is aborted after the copy, also on
// failure), EMDB_CP_THROTTLE_MVCC (the txn is parked while the copy writes, a writer may oust
// it), EMDB_CP_RENEW_TXN (a lagging or ousted snapshot is renewed and the copy restarted; the
// env variants always renew, as libmdbx's: their txn is their own).
#include <emdb/emdb.h>

#include "c_api_internal.hpp"
#include "copy/copy.hpp"

using namespace emdb;
using namespace emdb::capi;

namespace {

constexpr unsigned kKnownFlags = EMDB_CP_COMPACT | EMDB_CP_FORCE_DYNAMIC_SIZE | EMDB_CP_DONT_FLUSH |
                                 EMDB_CP_THROTTLE_MVCC | EMDB_CP_DISPOSE_TXN | EMDB_CP_RENEW_TXN |
                                 EMDB_CP_OVERWRITE;

// The flags as an integer, without loading an out-of-range enum value (undefined behaviour).
unsigned Bits(const EMDB_copy_flags_t& flags) { return unsigned(EnumValue(flags)); }

int CheckFlags(unsigned f) { return (f & ~kKnownFlags) ? EMDB_EINVAL : 0; }

// Checks a txn given to a txn_copy function: a live read txn of this thread.
int CheckCopyTxn(EMDB_txn* txn) {
  int rc = CheckTxn(txn);
  if (rc) return rc;
  if (!txn->rdonly()) return EMDB_EINVAL;  // a write txn's dirty pages are not in the file
  return 0;
}

void Dispose(EMDB_txn* txn, unsigned flags) {
  if ((flags & EMDB_CP_DISPOSE_TXN) && CheckTxn(txn, false, true) == 0) emdb_txn_abort(txn);
}

template <typename F>
int WithTxn(EMDB_txn* txn, unsigned flags, F&& copy) {
  int rc = CheckFlags(flags);
  if (rc == 0) rc = CheckCopyTxn(txn);
  if (rc == 0) rc = Guard([&] { return copy(); });
  Dispose(txn, flags);
  return rc;
}

template <typename F>
int WithEnvTxn(EMDB_env* env, unsigned flags, F&& copy) {
  int rc = CheckEnv(env);
  if (rc) return rc;
  rc = CheckFlags(flags);
  if (rc) return rc;
  EMDB_txn* txn = nullptr;
  rc = emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &txn);
  if (rc) return rc;
  rc = Guard([&] { return copy(txn, flags | EMDB_CP_RENEW_TXN); });
  emdb_txn_abort(txn);
  return rc;
}

}  // namespace

extern "C" {

int emdb_txn_copy2fd(EMDB_txn* txn, emdb_filehandle_t fd, EMDB_copy_flags_t flags) noexcept {
  const unsigned f = Bits(flags);
  if (fd < 0) {
    Dispose(txn, f);
    return EMDB_EINVAL;
  }
  return WithTxn(txn, f, [&] { return copy::CopyToFd(txn, fd, f); });
}

int emdb_txn_copy2pathname(EMDB_txn* txn, const char* dest, EMDB_copy_flags_t flags) noexcept {
  const unsigned f = Bits(flags);
  if (dest == nullptr || *dest == '\0') {
    Dispose(txn, f);
    return EMDB_EINVAL;
  }
  return WithTxn(txn, f, [&] { return copy::CopyToPath(txn, dest, f); });
}

int emdb_env_copy2fd(EMDB_env* env, emdb_filehandle_t fd, EMDB_copy_flags_t flags) noexcept {
  const unsigned f = Bits(flags);
  if (fd < 0) return EMDB_EINVAL;
  return WithEnvTxn(env, f,
                    [&](EMDB_txn* txn, unsigned ff) { return copy::CopyToFd(txn, fd, ff); });
}

int emdb_env_copy(EMDB_env* env, const char* dest, EMDB_copy_flags_t flags) noexcept {
  const unsigned f = Bits(flags);
  if (dest == nullptr || *dest == '\0') return EMDB_EINVAL;
  return WithEnvTxn(env, f,
                    [&](EMDB_txn* txn, unsigned ff) { return copy::CopyToPath(txn, dest, ff); });
}

}  // extern "C"
