// space_util.cpp — see space_util.hpp.
#include "space/space_util.hpp"

#include <time.h>

#include <cstring>

#include "btree/tree.hpp"
#include "core/internal.hpp"
#include "txn/audit.hpp"

namespace emdb_test::space {

int audit(EMDB_env* env) {
  EMDB_txn* t = nullptr;
  int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &t);
  if (rc != 0) return rc;
  // EMDB_txn is the engine's Txn with no members of its own (api/src/c_api.cpp).
  rc = emdb::txn::Audit(reinterpret_cast<emdb::Txn*>(t), {});
  emdb_txn_abort(t);
  return rc;
}

std::vector<uint64_t> gc_record_txnids(EMDB_env* env) {
  std::vector<uint64_t> out;
  for (uint64_t k : gc_record_keys(env)) out.push_back(k >> 32);
  return out;
}

std::vector<uint64_t> gc_record_keys(EMDB_env* env) {
  std::vector<uint64_t> out;
  EMDB_txn* t = nullptr;
  if (emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &t) != 0) return out;
  emdb::Txn* x = reinterpret_cast<emdb::Txn*>(t);
  if (x->dbs[emdb::kGcDbi].rec.root != emdb::format::kInvalidPgno) {
    emdb::Cursor c;
    emdb::bt::CursorInit(&c, x, emdb::kGcDbi);
    emdb::Status rc = emdb::bt::First(&c);
    while (rc == 0) {
      emdb::Slice k, v;
      if (emdb::bt::Current(&c, &k, &v, nullptr) != 0) break;
      uint32_t chunk;
      std::memcpy(&chunk, k.data + 8, 4);
      out.push_back((emdb::format::GcKeyTxnid(k.data) << 32) | __builtin_bswap32(chunk));
      rc = emdb::bt::Next(&c);
    }
  }
  emdb_txn_abort(t);
  return out;
}

long long data_size(const std::string& dir) { return file_size(dir + "/emdb.dat"); }

EMDB_gc_info gc_info(EMDB_env* env) {
  EMDB_gc_info gi{};
  EMDB_txn* t = nullptr;
  EXPECT_EQ(0, emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &t));
  EXPECT_EQ(0, emdb_gc_info(t, &gi, sizeof(gi)));
  emdb_txn_abort(t);
  return gi;
}

EMDB_envinfo env_info(EMDB_env* env) {
  EMDB_envinfo info{};
  EXPECT_EQ(0, emdb_env_info_ex(env, nullptr, &info, sizeof(info)));
  return info;
}

int put_range(EMDB_env* env, EMDB_dbi dbi, uint64_t first, uint64_t count, size_t size,
              uint64_t salt) {
  EMDB_txn* t = nullptr;
  int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &t);
  if (rc != 0) return rc;
  for (uint64_t i = 0; i < count && rc == 0; i++) {
    std::string k = key_n(first + i);
    std::string v = value_n(first + i + salt * 1000003, size);
    EMDB_val kv = V(k), vv = V(v);
    rc = emdb_put(t, dbi, &kv, &vv, EMDB_UPSERT);
  }
  if (rc != 0) {
    emdb_txn_abort(t);
    return rc;
  }
  return emdb_txn_commit(t);
}

uint64_t thread_cpu_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

}  // namespace emdb_test::space
