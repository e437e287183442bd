// emdb_make_test_db PATH [RECORDS] — creates a database with the randomized workload of
// workload.hpp (plain, DUPSORT, DUPFIXED and INTEGERKEY tables, free pages in the GC) for the
// shell tests of the CLI. The seed comes from EMDB_TEST_SEED (printed).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "support/seed.hpp"
#include "workload.hpp"

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s PATH [RECORDS]\n", argv[0]);
    return 2;
  }
  const uint64_t records = argc == 3 ? std::strtoull(argv[2], nullptr, 10) : 20000;
  const uint64_t seed = emdb_test::test_seed();
  EMDB_env *env = nullptr;
  int rc = emdb_env_create(&env);
  if (rc == EMDB_SUCCESS) rc = emdb_env_set_maxdbs(env, 16);
  if (rc == EMDB_SUCCESS) rc = emdb_env_open(env, argv[1], EMDB_ENV_DEFAULTS, 0644);
  if (rc == EMDB_SUCCESS) rc = emdb_test::run_workload(env, seed, records, 6);
  if (env != nullptr) emdb_env_close(env);
  if (rc != EMDB_SUCCESS) {
    std::fprintf(stderr, "%s: %s\n", argv[1], emdb_strerror(rc));
    return 1;
  }
  return 0;
}
