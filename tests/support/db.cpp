#include "support/db.hpp"

namespace emdb_test {

int open_env(EMDB_env** out, const std::string& path, const EnvOptions& o) {
  *out = nullptr;
  EMDB_env* env = nullptr;
  int rc = emdb_env_create(&env);
  if (rc != EMDB_SUCCESS) return rc;
  rc = emdb_env_set_geometry(env, o.size_lower, o.size_now, o.size_upper, o.growth_step,
                             o.shrink_threshold, o.pagesize);
  if (rc == EMDB_SUCCESS && o.maxdbs) rc = emdb_env_set_maxdbs(env, o.maxdbs);
  if (rc == EMDB_SUCCESS && o.maxreaders) rc = emdb_env_set_maxreaders(env, o.maxreaders);
  if (rc == EMDB_SUCCESS)
    rc = emdb_env_open(env, path.c_str(), static_cast<EMDB_env_flags_t>(o.flags), o.mode);
  if (rc != EMDB_SUCCESS) {
    emdb_env_close(env);
    return rc;
  }
  *out = env;
  return EMDB_SUCCESS;
}

static int walk(EMDB_txn* txn, EMDB_dbi dbi, Pairs* out, EMDB_cursor_op first,
                EMDB_cursor_op step) {
  out->clear();
  EMDB_cursor* c = nullptr;
  int rc = emdb_cursor_open(txn, dbi, &c);
  if (rc != EMDB_SUCCESS) return rc;
  EMDB_val k = V0(), d = V0();
  rc = emdb_cursor_get(c, &k, &d, first);
  while (rc == EMDB_SUCCESS) {
    out->emplace_back(S(k), S(d));
    rc = emdb_cursor_get(c, &k, &d, step);
  }
  emdb_cursor_close(c);
  return rc == EMDB_NOTFOUND ? EMDB_SUCCESS : rc;
}

int collect(EMDB_txn* txn, EMDB_dbi dbi, Pairs* out) {
  return walk(txn, dbi, out, EMDB_FIRST, EMDB_NEXT);
}

int collect_reverse(EMDB_txn* txn, EMDB_dbi dbi, Pairs* out) {
  return walk(txn, dbi, out, EMDB_LAST, EMDB_PREV);
}

uint64_t checksum(EMDB_txn* txn, const std::vector<EMDB_dbi>& dbis, int* rc_out) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* p, size_t n) {
    const unsigned char* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  int first_err = EMDB_SUCCESS;
  for (EMDB_dbi dbi : dbis) {
    Pairs pairs;
    const int rc = collect(txn, dbi, &pairs);
    if (rc != EMDB_SUCCESS && first_err == EMDB_SUCCESS) first_err = rc;
    mix(&dbi, sizeof dbi);
    for (const auto& [k, v] : pairs) {
      const uint64_t kl = k.size(), vl = v.size();
      mix(&kl, sizeof kl);
      mix(k.data(), k.size());
      mix(&vl, sizeof vl);
      mix(v.data(), v.size());
    }
  }
  if (rc_out) *rc_out = first_err;
  return first_err == EMDB_SUCCESS ? h : 0;
}

int put(EMDB_txn* txn, EMDB_dbi dbi, const std::string& key, const std::string& value,
        unsigned flags) {
  EMDB_val k = V(key), d = V(value);
  return emdb_put(txn, dbi, &k, &d, static_cast<EMDB_put_flags_t>(flags));
}

int get(EMDB_txn* txn, EMDB_dbi dbi, const std::string& key, std::string* value) {
  EMDB_val k = V(key), d = V0();
  const int rc = emdb_get(txn, dbi, &k, &d);
  if (rc == EMDB_SUCCESS && value) *value = S(d);
  return rc;
}

int del(EMDB_txn* txn, EMDB_dbi dbi, const std::string& key) {
  EMDB_val k = V(key);
  return emdb_del(txn, dbi, &k, nullptr);
}

int del(EMDB_txn* txn, EMDB_dbi dbi, const std::string& key, const std::string& value) {
  EMDB_val k = V(key), d = V(value);
  return emdb_del(txn, dbi, &k, &d);
}

int create_table(EMDB_env* env, const char* name, unsigned flags, EMDB_dbi* dbi) {
  EMDB_txn* txn = nullptr;
  int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn);
  if (rc != EMDB_SUCCESS) return rc;
  rc = emdb_dbi_open(txn, name, static_cast<EMDB_db_flags_t>(flags | EMDB_CREATE), dbi);
  if (rc != EMDB_SUCCESS) {
    emdb_txn_abort(txn);
    return rc;
  }
  return emdb_txn_commit(txn);
}

}  // namespace emdb_test
