// api/src/c_api_tables.cpp — table rename and enumeration entry points (emdb_dbi_rename,
// emdb_dbi_rename2, emdb_enumerate_tables); the engine side is engine/env/tables.hpp.
#include <emdb/emdb.h>

#include "c_api_internal.hpp"
#include "env/env.hpp"
#include "env/tables.hpp"

using namespace emdb;
using namespace emdb::capi;

namespace {

struct EnumCtx {
  const EMDB_txn* txn;
  EMDB_table_enum_func* func;
  void* ctx;
};

int Visit(void* p, Slice name, const TreeRecord& rec, EMDB_dbi dbi) {
  const EnumCtx* e = static_cast<const EnumCtx*>(p);
  EMDB_val n{const_cast<uint8_t*>(name.data), name.size};
  EMDB_stat st;
  env::StatOf(e->txn->env, rec, &st);
  return e->func(e->ctx, e->txn, &n, EMDB_db_flags_t(rec.flags & kTableFlagsMask), &st, dbi);
}

}  // namespace

extern "C" {

int emdb_dbi_rename2(EMDB_txn* txn, EMDB_dbi dbi, const EMDB_val* name) noexcept {
  int rc = CheckTxn(txn, true);
  if (rc) return rc;
  if (name == nullptr || (name->iov_len && name->iov_base == nullptr)) return EMDB_EINVAL;
  if (dbi < kCoreDbs) return EMDB_EINVAL;  // the main table and the GC have no name
  rc = CheckDbi(txn, dbi);
  if (rc) return rc;
  if (name->iov_len > MaxKey(txn->env->psize, 0)) return EMDB_BAD_VALSIZE;
  return Guard([&] { return Poison(txn, env::Rename(txn, dbi, Slice::Of(name))); });
}

int emdb_dbi_rename(EMDB_txn* txn, EMDB_dbi dbi, const char* name) noexcept {
  if (name == nullptr) return EMDB_EINVAL;
  EMDB_val v{const_cast<char*>(name), std::strlen(name)};
  return emdb_dbi_rename2(txn, dbi, &v);
}

int emdb_enumerate_tables(const EMDB_txn* txn, EMDB_table_enum_func* func, void* ctx) noexcept {
  if (func == nullptr) return EMDB_EINVAL;
  EMDB_txn* t = const_cast<EMDB_txn*>(txn);
  int rc = CheckTxn(t);
  if (rc) return rc;
  return Guard([&] {
    EnumCtx e{txn, func, ctx};
    return env::EnumerateTables(t, Visit, &e);
  });
}

}  // extern "C"
