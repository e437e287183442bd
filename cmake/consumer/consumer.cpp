// The C header used from C++20 (what C++ users of the C API compile).
// Usage: consumer_cxx DIR — stores and reads back a pair, prints "ok".
#include <emdb/emdb.h>

#include <cstdio>
#include <filesystem>
#include <string_view>

namespace {
int fail(const char *what, int rc) {
  std::fprintf(stderr, "consumer_cxx: %s: %s (%d)\n", what, emdb_strerror(rc), rc);
  return 1;
}
}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  std::filesystem::create_directories(argv[1]);
  EMDB_env *env = nullptr;
  if (int rc = emdb_env_create(&env); rc != EMDB_SUCCESS) return fail("emdb_env_create", rc);
  if (int rc = emdb_env_set_maxdbs(env, 2); rc != EMDB_SUCCESS)
    return fail("emdb_env_set_maxdbs", rc);
  if (int rc = emdb_env_open(env, argv[1], EMDB_ENV_DEFAULTS, 0644); rc != EMDB_SUCCESS)
    return fail("emdb_env_open", rc);

  EMDB_txn *txn = nullptr;
  EMDB_dbi dbi = 0;
  char key_bytes[] = "key";
  char value_bytes[] = "value";
  EMDB_val key{key_bytes, 3};
  EMDB_val value{value_bytes, 5};
  if (int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn); rc != EMDB_SUCCESS)
    return fail("emdb_txn_begin", rc);
  if (int rc = emdb_dbi_open(txn, "t", EMDB_CREATE | EMDB_DUPSORT, &dbi); rc != EMDB_SUCCESS)
    return fail("emdb_dbi_open", rc);
  if (int rc = emdb_put(txn, dbi, &key, &value, EMDB_UPSERT); rc != EMDB_SUCCESS)
    return fail("emdb_put", rc);
  if (int rc = emdb_txn_commit(txn); rc != EMDB_SUCCESS) return fail("emdb_txn_commit", rc);

  if (int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &txn); rc != EMDB_SUCCESS)
    return fail("emdb_txn_begin(RDONLY)", rc);
  EMDB_val found{};
  if (int rc = emdb_get(txn, dbi, &key, &found); rc != EMDB_SUCCESS) return fail("emdb_get", rc);
  const std::string_view got(static_cast<const char *>(found.iov_base), found.iov_len);
  emdb_txn_abort(txn);
  if (got != "value") {
    std::fprintf(stderr, "consumer_cxx: emdb_get returned a different value\n");
    return 1;
  }
  if (int rc = emdb_env_close(env); rc != EMDB_SUCCESS) return fail("emdb_env_close", rc);
  std::printf("ok: emdb %s (C++)\n", emdb_version());
  return 0;
}
