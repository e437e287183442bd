// workload.cpp — see workload.hpp.
#include "durability/workload.hpp"

#include <vector>

#include "core/internal.hpp"
#include "txn/audit.hpp"

namespace emdb_test {
namespace {

struct Hasher {
  uint64_t h = 1469598103934665603ull;
  void Bytes(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
  }
  void Str(const std::string& s) {
    uint64_t n = s.size();
    Bytes(&n, sizeof(n));
    Bytes(s.data(), s.size());
  }
};

EMDB_val Val(const std::string& s) {
  EMDB_val v;
  v.iov_base = const_cast<char*>(s.data());
  v.iov_len = s.size();
  return v;
}

}  // namespace

uint64_t Model::Hash() const {
  Hasher h;
  h.Str("kv");
  for (auto& [k, v] : kv) {
    h.Str(k);
    h.Str(v);
  }
  h.Str("dup");
  for (auto& [k, v] : dup) {
    h.Str(k);
    h.Str(v);
  }
  return h.h;
}

void Workload::Generate(std::vector<Op>* ops) {
  ops->clear();
  size_t n = 1 + rng_() % 24;
  for (size_t i = 0; i < n; i++) {
    Op op;
    op.kind = int(rng_() % 10);
    op.kind = op.kind < 5 ? 0 : op.kind < 7 ? 1 : op.kind < 9 ? 2 : 3;
    uint64_t key = rng_() % 160;
    op.k = "key" + std::to_string(key);
    if (op.kind == 0) {
      // Mostly small values, some spanning several (large) pages.
      size_t len = (rng_() % 8 == 0) ? size_t(psize_ + rng_() % (3 * psize_)) : rng_() % 80;
      op.v.resize(len);
      uint64_t x = rng_();
      for (size_t j = 0; j < len; j++) op.v[j] = char('a' + (x + j * 7) % 26);
    } else if (op.kind == 2 || op.kind == 3) {
      op.k = "d" + std::to_string(key % 12);
      op.v = "v" + std::to_string(rng_() % 40);
      if (op.kind == 3 && rng_() % 4 == 0) op.kind = 4;
    }
    ops->push_back(std::move(op));
  }
}

void Workload::NextModelOnly(Model* m) {
  std::vector<Op> ops;
  Generate(&ops);
  for (auto& op : ops) {
    switch (op.kind) {
      case 0:
        m->kv[op.k] = op.v;
        break;
      case 1:
        m->kv.erase(op.k);
        break;
      case 2:
        m->dup.insert({op.k, op.v});
        break;
      case 3:
        m->dup.erase({op.k, op.v});
        break;
      case 4: {
        auto it = m->dup.lower_bound({op.k, std::string()});
        while (it != m->dup.end() && it->first == op.k) it = m->dup.erase(it);
        break;
      }
    }
  }
}

int Workload::Next(EMDB_txn* txn, Model* m) {
  std::vector<Op> ops;
  Generate(&ops);
  EMDB_dbi kv = 0, dup = 0;
  int rc = emdb_dbi_open(txn, "kv", EMDB_CREATE, &kv);
  if (rc == 0) rc = emdb_dbi_open(txn, "dup", EMDB_CREATE | EMDB_DUPSORT, &dup);
  if (rc != 0) return rc;
  for (auto& op : ops) {
    EMDB_val k = Val(op.k), v = Val(op.v);
    switch (op.kind) {
      case 0:
        rc = emdb_put(txn, kv, &k, &v, EMDB_UPSERT);
        m->kv[op.k] = op.v;
        break;
      case 1:
        rc = emdb_del(txn, kv, &k, nullptr);
        if (rc == EMDB_NOTFOUND && !m->kv.count(op.k)) rc = 0;
        m->kv.erase(op.k);
        break;
      case 2:
        rc = emdb_put(txn, dup, &k, &v, EMDB_UPSERT);
        m->dup.insert({op.k, op.v});
        break;
      case 3:
        rc = emdb_del(txn, dup, &k, &v);
        if (rc == EMDB_NOTFOUND && !m->dup.count({op.k, op.v})) rc = 0;
        m->dup.erase({op.k, op.v});
        break;
      case 4: {
        rc = emdb_del(txn, dup, &k, nullptr);
        auto it = m->dup.lower_bound({op.k, std::string()});
        bool had = it != m->dup.end() && it->first == op.k;
        if (rc == EMDB_NOTFOUND && !had) rc = 0;
        while (it != m->dup.end() && it->first == op.k) it = m->dup.erase(it);
        break;
      }
    }
    if (rc != 0) return rc;
  }
  return 0;
}

int HashDatabase(EMDB_env* env, uint64_t* hash) {
  EMDB_txn* txn = nullptr;
  int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &txn);
  if (rc != 0) return rc;
  Hasher h;
  for (const char* name : {"kv", "dup"}) {
    h.Str(name);
    EMDB_dbi dbi = 0;
    rc = emdb_dbi_open(txn, name, name[0] == 'd' ? EMDB_DUPSORT : EMDB_DB_DEFAULTS, &dbi);
    if (rc == EMDB_NOTFOUND) {
      rc = 0;
      continue;
    }
    if (rc != 0) break;
    EMDB_cursor* c = nullptr;
    rc = emdb_cursor_open(txn, dbi, &c);
    if (rc != 0) break;
    EMDB_val k, v;
    for (rc = emdb_cursor_get(c, &k, &v, EMDB_FIRST); rc == 0;
         rc = emdb_cursor_get(c, &k, &v, EMDB_NEXT)) {
      h.Str(std::string(static_cast<const char*>(k.iov_base), k.iov_len));
      h.Str(std::string(static_cast<const char*>(v.iov_base), v.iov_len));
    }
    emdb_cursor_close(c);
    if (rc != EMDB_NOTFOUND) break;
    rc = 0;
  }
  emdb_txn_abort(txn);
  *hash = h.h;
  return rc;
}

int OpenTestEnv(const std::string& dir, unsigned flags, unsigned psize, intptr_t upper_bytes,
                EMDB_env** out) {
  EMDB_env* env = nullptr;
  int rc = emdb_env_create(&env);
  if (rc) return rc;
  rc = emdb_env_set_maxdbs(env, 4);
  if (rc == 0) {
    rc = emdb_env_set_geometry(env, -1, -1, upper_bytes, intptr_t(psize) * 16, -1, intptr_t(psize));
  }
  if (rc == 0) rc = emdb_env_open(env, dir.c_str(), EMDB_env_flags_t(flags), 0644);
  if (rc != 0) {
    emdb_env_close_ex(env, true);
    return rc;
  }
  *out = env;
  return 0;
}

int AuditDatabase(EMDB_env* env) {
  EMDB_txn* txn = nullptr;
  int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn);
  if (rc) return rc;
  rc = emdb::txn::Audit(reinterpret_cast<emdb::Txn*>(txn), {});
  emdb_txn_abort(txn);
  return rc;
}

}  // namespace emdb_test
