/* c_api_test.c — the C API used from C99: create/open, tables, put/get, cursors, commit, reopen,
 * close. Returns 0 when every check passes, 1 otherwise (each failure is printed).
 * The database lives in a fresh directory under $TMPDIR (or /tmp), removed on success. */
#include <dirent.h>
#include <emdb/emdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

#define CHECK_RC(expected, expr)                                                                   \
  do {                                                                                             \
    int rc_ = (expr);                                                                              \
    if (rc_ != (expected)) {                                                                       \
      fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d\n", __FILE__, __LINE__, #expr, rc_, \
              emdb_strerror(rc_), (int)(expected));                                                \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

static EMDB_val val_of(const char *s) {
  EMDB_val v;
  v.iov_base = (void *)s;
  v.iov_len = strlen(s);
  return v;
}

static int val_is(const EMDB_val *v, const char *s) {
  return v->iov_len == strlen(s) && memcmp(v->iov_base, s, v->iov_len) == 0;
}

static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      char path[4096];
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      {
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
          remove_dir(path);
        else
          unlink(path);
      }
    }
    closedir(d);
  }
  rmdir(dir);
}

static int open_env(EMDB_env **env, const char *path) {
  int rc = emdb_env_create(env);
  if (rc != EMDB_SUCCESS) return rc;
  rc = emdb_env_set_maxdbs(*env, 4);
  if (rc == EMDB_SUCCESS) rc = emdb_env_set_geometry(*env, -1, -1, (intptr_t)1 << 28, -1, -1, -1);
  if (rc == EMDB_SUCCESS) rc = emdb_env_open(*env, path, EMDB_ENV_DEFAULTS, 0644);
  if (rc != EMDB_SUCCESS) {
    emdb_env_close(*env);
    *env = NULL;
  }
  return rc;
}

int main(void) {
  char root[4096];
  char path[4200];
  const char *tmp = getenv("TMPDIR");
  EMDB_env *env = NULL;
  EMDB_txn *txn = NULL;
  EMDB_dbi plain = 0, dup = 0;
  EMDB_cursor *cur = NULL;
  EMDB_val k, d;
  EMDB_stat st;
  size_t count = 0;
  int i, rc;
  char kbuf[32], vbuf[32];

  snprintf(root, sizeof root, "%s/emdb-c-api-XXXXXX", (tmp && *tmp) ? tmp : "/tmp");
  if (!mkdtemp(root)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(path, sizeof path, "%s/db", root);

  CHECK(emdb_version() != NULL);
  CHECK_RC(EMDB_SUCCESS, open_env(&env, path));
  if (!env) return 1;

  /* Create two tables and fill them. */
  CHECK_RC(EMDB_SUCCESS, emdb_txn_begin(env, NULL, EMDB_TXN_READWRITE, &txn));
  CHECK_RC(EMDB_SUCCESS, emdb_dbi_open(txn, "plain", EMDB_CREATE, &plain));
  CHECK_RC(EMDB_SUCCESS,
           emdb_dbi_open(txn, "dup", (EMDB_db_flags_t)(EMDB_CREATE | EMDB_DUPSORT), &dup));
  for (i = 0; i < 1000; ++i) {
    snprintf(kbuf, sizeof kbuf, "key%05d", i);
    snprintf(vbuf, sizeof vbuf, "value%d", i * 3);
    k = val_of(kbuf);
    d = val_of(vbuf);
    CHECK_RC(EMDB_SUCCESS, emdb_put(txn, plain, &k, &d, EMDB_UPSERT));
  }
  k = val_of("d");
  d = val_of("b");
  CHECK_RC(EMDB_SUCCESS, emdb_put(txn, dup, &k, &d, EMDB_UPSERT));
  d = val_of("a");
  CHECK_RC(EMDB_SUCCESS, emdb_put(txn, dup, &k, &d, EMDB_UPSERT));
  d = val_of("c");
  CHECK_RC(EMDB_SUCCESS, emdb_put(txn, dup, &k, &d, EMDB_NODUPDATA));
  d = val_of("c");
  CHECK_RC(EMDB_KEYEXIST, emdb_put(txn, dup, &k, &d, EMDB_NODUPDATA));
  k = val_of("key00001");
  d = val_of("other");
  CHECK_RC(EMDB_KEYEXIST, emdb_put(txn, plain, &k, &d, EMDB_NOOVERWRITE));
  CHECK(val_is(&d, "value3"));
  CHECK_RC(EMDB_SUCCESS, emdb_txn_commit(txn));
  txn = NULL;

  /* Read back with get and a cursor. */
  CHECK_RC(EMDB_SUCCESS, emdb_txn_begin(env, NULL, EMDB_TXN_RDONLY, &txn));
  k = val_of("key00500");
  CHECK_RC(EMDB_SUCCESS, emdb_get(txn, plain, &k, &d));
  CHECK(val_is(&d, "value1500"));
  k = val_of("nope");
  CHECK_RC(EMDB_NOTFOUND, emdb_get(txn, plain, &k, &d));
  k = val_of("d");
  CHECK_RC(EMDB_SUCCESS, emdb_get_ex(txn, dup, &k, &d, &count));
  CHECK(count == 3);
  CHECK(val_is(&d, "a"));
  CHECK_RC(EMDB_SUCCESS, emdb_dbi_stat(txn, plain, &st, sizeof st));
  CHECK(st.ms_entries == 1000);

  CHECK_RC(EMDB_SUCCESS, emdb_cursor_open(txn, plain, &cur));
  i = 0;
  rc = emdb_cursor_get(cur, &k, &d, EMDB_FIRST);
  while (rc == EMDB_SUCCESS) {
    snprintf(kbuf, sizeof kbuf, "key%05d", i);
    CHECK(val_is(&k, kbuf));
    ++i;
    rc = emdb_cursor_get(cur, &k, &d, EMDB_NEXT);
  }
  CHECK_RC(EMDB_NOTFOUND, rc);
  CHECK(i == 1000);
  k = val_of("key00123x");
  CHECK_RC(EMDB_SUCCESS, emdb_cursor_get(cur, &k, &d, EMDB_SET_RANGE));
  CHECK(val_is(&k, "key00124"));
  CHECK(emdb_cursor_txn(cur) == txn);
  CHECK(emdb_cursor_dbi(cur) == plain);
  emdb_cursor_close(cur);
  cur = NULL;

  CHECK_RC(EMDB_SUCCESS, emdb_cursor_open(txn, dup, &cur));
  k = val_of("d");
  CHECK_RC(EMDB_SUCCESS, emdb_cursor_get(cur, &k, &d, EMDB_SET_KEY));
  CHECK(val_is(&d, "a"));
  CHECK_RC(EMDB_SUCCESS, emdb_cursor_get(cur, &k, &d, EMDB_NEXT_DUP));
  CHECK(val_is(&d, "b"));
  CHECK_RC(EMDB_SUCCESS, emdb_cursor_count(cur, &count));
  CHECK(count == 3);
  CHECK_RC(EMDB_SUCCESS, emdb_cursor_get(cur, &k, &d, EMDB_LAST_DUP));
  CHECK(val_is(&d, "c"));
  emdb_cursor_close(cur);
  cur = NULL;
  CHECK_RC(EMDB_SUCCESS, emdb_txn_abort(txn));
  txn = NULL;

  /* Delete through a cursor in a write txn, then reopen the env. */
  CHECK_RC(EMDB_SUCCESS, emdb_txn_begin(env, NULL, EMDB_TXN_READWRITE, &txn));
  CHECK_RC(EMDB_SUCCESS, emdb_cursor_open(txn, plain, &cur));
  CHECK_RC(EMDB_SUCCESS, emdb_cursor_get(cur, &k, &d, EMDB_FIRST));
  CHECK_RC(EMDB_SUCCESS, emdb_cursor_del(cur, (EMDB_put_flags_t)0));
  CHECK_RC(EMDB_SUCCESS, emdb_cursor_get(cur, &k, &d, EMDB_GET_CURRENT));
  CHECK(val_is(&k, "key00001"));
  emdb_cursor_close(cur);
  cur = NULL;
  k = val_of("d");
  d = val_of("b");
  CHECK_RC(EMDB_SUCCESS, emdb_del(txn, dup, &k, &d));
  CHECK_RC(EMDB_SUCCESS, emdb_txn_commit(txn));
  txn = NULL;
  CHECK_RC(EMDB_SUCCESS, emdb_env_close(env));
  env = NULL;

  CHECK_RC(EMDB_SUCCESS, open_env(&env, path));
  if (!env) return 1;
  CHECK_RC(EMDB_SUCCESS, emdb_txn_begin(env, NULL, EMDB_TXN_RDONLY, &txn));
  CHECK_RC(EMDB_SUCCESS, emdb_dbi_open(txn, "plain", EMDB_DB_DEFAULTS, &plain));
  CHECK_RC(EMDB_SUCCESS, emdb_dbi_open(txn, "dup", EMDB_DUPSORT, &dup));
  CHECK_RC(EMDB_SUCCESS, emdb_dbi_stat(txn, plain, &st, sizeof st));
  CHECK(st.ms_entries == 999);
  k = val_of("key00000");
  CHECK_RC(EMDB_NOTFOUND, emdb_get(txn, plain, &k, &d));
  k = val_of("d");
  CHECK_RC(EMDB_SUCCESS, emdb_get_ex(txn, dup, &k, &d, &count));
  CHECK(count == 2);
  CHECK_RC(EMDB_SUCCESS, emdb_txn_commit(txn));
  txn = NULL;

  /* A few error codes seen from C. C may pass any int as an enum argument: values no
   * enumerator has must be refused cleanly (the library must not load them as C++ enums). */
  CHECK_RC(EMDB_EINVAL, emdb_txn_begin(NULL, NULL, EMDB_TXN_RDONLY, &txn));
  CHECK_RC(EMDB_EINVAL, emdb_env_set_option(env, (EMDB_option_t)999, 1));
  CHECK_RC(EMDB_SUCCESS, emdb_txn_begin(env, NULL, EMDB_TXN_RDONLY, &txn));
  CHECK_RC(EMDB_SUCCESS, emdb_cursor_open(txn, plain, &cur));
  CHECK_RC(EMDB_EINVAL, emdb_cursor_get(cur, &k, &d, (EMDB_cursor_op)99));
  CHECK_RC(EMDB_EINVAL, emdb_cursor_get(cur, &k, &d, (EMDB_cursor_op)-5));
  emdb_cursor_close(cur);
  cur = NULL;
  CHECK_RC(EMDB_SUCCESS, emdb_txn_abort(txn));
  txn = NULL;
  CHECK(emdb_strerror(EMDB_NOTFOUND) != NULL && emdb_strerror(EMDB_NOTFOUND)[0] != '\0');
  CHECK(emdb_liberr2str(EMDB_KEYEXIST) != NULL);

  CHECK_RC(EMDB_SUCCESS, emdb_env_close(env));
  if (failures == 0) {
    remove_dir(root);
    printf("c_api_test: all checks passed\n");
    return 0;
  }
  fprintf(stderr, "c_api_test: %d check(s) failed; database kept in %s\n", failures, root);
  return 1;
}
