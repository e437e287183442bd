// api/src/c_api_check.cpp — the C entry points of the page walker and the checker
// (emdb_env_pgwalk, emdb_env_chk, emdb_preopen_chk). They validate handles and arguments, take
// the snapshot (a read txn, or a write txn to lock writers out) or, for a database that cannot
// be opened, check its file directly, and call engine/check/.
#include <emdb/emdb.h>

#include "c_api_internal.hpp"
#include "check/check.hpp"

using namespace emdb;
using namespace emdb::capi;

extern "C" {

int emdb_env_pgwalk(EMDB_txn* txn, EMDB_pgvisitor_func* visitor, void* ctx,
                    EMDB_pgwalk_flags_t flags) noexcept {
  int rc = CheckTxn(txn);
  if (rc) return rc;
  if (visitor == nullptr || EnumValue(flags) != EMDB_PGWALK_DEFAULTS) return EMDB_EINVAL;
  return Guard([&] { return check::PgWalk(txn, visitor, ctx); });
}

int emdb_env_chk(EMDB_env* env, EMDB_chk_flags_t flags, int meta_selector, EMDB_chk_report* report,
                 EMDB_chk_problem_func* problem_callback, void* ctx) noexcept {
  int rc = CheckEnv(env);
  if (rc) return rc;
  const unsigned known = EMDB_CHK_READWRITE | EMDB_CHK_SKIP_BTREE_TRAVERSAL |
                         EMDB_CHK_SKIP_KV_TRAVERSAL | EMDB_CHK_IGNORE_ORDER | EMDB_CHK_TURN_STEADY |
                         EMDB_CHK_PROGRESS;
  const unsigned f = unsigned(EnumValue(flags));
  if (f & ~known) return EMDB_EINVAL;
  if (meta_selector < -1 || meta_selector > 2) return EMDB_EINVAL;
  // Turning needs a chosen meta; it goes through emdb_env_turn_for_recovery, which needs an
  // env opened with EMDB_EXCLUSIVE (emdb_env_open_for_recovery) and no live transaction.
  if ((f & EMDB_CHK_TURN_STEADY) && meta_selector < 0) return EMDB_EINVAL;
  EMDB_chk_report local{};
  if (report == nullptr) report = &local;
  return Guard([&] {
    EMDB_txn* txn = nullptr;
    const bool rw = (f & EMDB_CHK_READWRITE) != 0;
    int r = emdb_txn_begin(env, nullptr, rw ? EMDB_TXN_READWRITE : EMDB_TXN_RDONLY, &txn);
    if (r != 0) return r;
    try {
      r = check::Check(txn, f, meta_selector, report, problem_callback, ctx);
    } catch (...) {
      emdb_txn_abort(txn);
      throw;
    }
    emdb_txn_abort(txn);
    // Turn only a valid meta whose trees were found clean, and only when it is not already the
    // newest steady meta.
    const int m = meta_selector;
    if (r == 0 && (f & EMDB_CHK_TURN_STEADY) && report->meta_valid[m] &&
        !(report->meta_steady[m] && report->meta_txnid[m] == report->recent_txnid)) {
      r = emdb_env_turn_for_recovery(env, unsigned(m));
    }
    return r;
  });
}

int emdb_preopen_chk(const char* pathname, EMDB_chk_flags_t flags, int meta_selector,
                     EMDB_chk_report* report, EMDB_chk_problem_func* problem_callback,
                     void* ctx) noexcept {
  if (pathname == nullptr || *pathname == '\0') return EMDB_EINVAL;
  // No env: no writer lock to take and nothing to turn.
  const unsigned known = EMDB_CHK_SKIP_BTREE_TRAVERSAL | EMDB_CHK_SKIP_KV_TRAVERSAL |
                         EMDB_CHK_IGNORE_ORDER | EMDB_CHK_PROGRESS;
  const unsigned f = unsigned(EnumValue(flags));
  if (f & ~known) return EMDB_EINVAL;
  if (meta_selector < -1 || meta_selector > 2) return EMDB_EINVAL;
  EMDB_chk_report local{};
  if (report == nullptr) report = &local;
  return Guard(
      [&] { return check::CheckFile(pathname, f, meta_selector, report, problem_callback, ctx); });
}

}  // extern "C"
