/* A minimal emdb user, built against an installed emdb (find_package or pkg-config).
 * Usage: consumer DIR — creates DIR, stores one pair, reads it back, prints "ok". */
#define _POSIX_C_SOURCE 200809L
#include <emdb/emdb.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int fail(const char *what, int rc) {
  fprintf(stderr, "consumer: %s: %s (%d)\n", what, emdb_strerror(rc), rc);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) return fail("mkdir", errno);

  EMDB_env *env = NULL;
  int rc = emdb_env_create(&env);
  if (rc != EMDB_SUCCESS) return fail("emdb_env_create", rc);
  rc = emdb_env_open(env, argv[1], EMDB_ENV_DEFAULTS, 0644);
  if (rc != EMDB_SUCCESS) return fail("emdb_env_open", rc);

  EMDB_txn *txn = NULL;
  EMDB_dbi dbi = 0;
  char key_bytes[] = "hello";
  char value_bytes[] = "world";
  EMDB_val key = {key_bytes, sizeof key_bytes - 1};
  EMDB_val value = {value_bytes, sizeof value_bytes - 1};
  rc = emdb_txn_begin(env, NULL, EMDB_TXN_READWRITE, &txn);
  if (rc != EMDB_SUCCESS) return fail("emdb_txn_begin", rc);
  rc = emdb_dbi_open(txn, NULL, EMDB_DB_DEFAULTS, &dbi);
  if (rc != EMDB_SUCCESS) return fail("emdb_dbi_open", rc);
  rc = emdb_put(txn, dbi, &key, &value, EMDB_UPSERT);
  if (rc != EMDB_SUCCESS) return fail("emdb_put", rc);
  rc = emdb_txn_commit(txn);
  if (rc != EMDB_SUCCESS) return fail("emdb_txn_commit", rc);

  EMDB_val found = {NULL, 0};
  rc = emdb_txn_begin(env, NULL, EMDB_TXN_RDONLY, &txn);
  if (rc != EMDB_SUCCESS) return fail("emdb_txn_begin(RDONLY)", rc);
  rc = emdb_get(txn, dbi, &key, &found);
  if (rc != EMDB_SUCCESS) return fail("emdb_get", rc);
  if (found.iov_len != value.iov_len || memcmp(found.iov_base, value_bytes, found.iov_len) != 0) {
    fprintf(stderr, "consumer: emdb_get returned a different value\n");
    return 1;
  }
  emdb_txn_abort(txn);

  rc = emdb_env_close(env);
  if (rc != EMDB_SUCCESS) return fail("emdb_env_close", rc);
  printf("ok: emdb %s\n", emdb_version());
  return 0;
}
