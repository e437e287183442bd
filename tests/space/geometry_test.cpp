// geometry_test.cpp — growth in steps up to upper (EMDB_MAP_FULL with the txn abortable and the
// data intact), geometry changes on an open environment (applied by a write txn, stored in the
// meta, followed by other processes), and the checks of inconsistent values.
#include <sys/wait.h>
#include <unistd.h>

#include "space/space_util.hpp"

namespace emdb_test {
namespace {

using namespace space;

class Geometry : public EnvTest {};

TEST_F(Geometry, GrowsInStepsAndStopsAtUpperWithMapFull) {
  EnvOptions o;
  o.pagesize = 4096;
  o.size_lower = 64 * KiB;
  o.size_now = 128 * KiB;
  o.size_upper = 4 * MiB;
  o.growth_step = 256 * KiB;
  o.shrink_threshold = 0;
  open(o);
  const EMDB_dbi dbi = table("t");
  EXPECT_EQ(128 * KiB, data_size(db_path()));
  std::vector<long long> sizes;
  uint64_t committed = 0;
  int rc = 0;
  for (int round = 0; round < 1000 && rc == 0; round++) {
    rc = put_range(env(), dbi, committed, 50, 500);
    if (rc == 0) {
      committed += 50;
      sizes.push_back(data_size(db_path()));
    }
  }
  ASSERT_RC(EMDB_MAP_FULL, rc);
  ASSERT_GT(sizes.size(), 4u);
  for (size_t i = 0; i < sizes.size(); i++) {
    // Each size is `now`, a multiple of the step, or upper; never beyond upper.
    EXPECT_TRUE(sizes[i] == 128 * KiB || sizes[i] % (256 * KiB) == 0 || sizes[i] == 4 * MiB)
        << sizes[i];
    EXPECT_LE(sizes[i], 4 * MiB);
    if (i) {
      EXPECT_GE(sizes[i], sizes[i - 1]);
    }
  }
  EXPECT_GT(sizes.back(), 3 * MiB);
  // The failing txn was aborted by put_range; a new one works and sees every committed value.
  {
    Txn t = read_txn();
    EMDB_stat st;
    ASSERT_OK(emdb_dbi_stat(t.get(), dbi, &st, sizeof(st)));
    EXPECT_EQ(committed, st.ms_entries);
    std::string v;
    ASSERT_OK(get(t.get(), dbi, key_n(committed - 1), &v));
    EXPECT_EQ(value_n(committed - 1, 500), v);
  }
  // The txn that hits MAP_FULL stays abortable.
  {
    EMDB_txn* t = nullptr;
    ASSERT_OK(emdb_txn_begin(env(), nullptr, EMDB_TXN_READWRITE, &t));
    int r = 0;
    for (uint64_t i = 0; i < 100000 && r == 0; i++) {
      std::string k = key_n(committed + i), v = value_n(i, 500);
      EMDB_val kv = V(k), vv = V(v);
      r = emdb_put(t, dbi, &kv, &vv, EMDB_UPSERT);
    }
    EXPECT_RC(EMDB_MAP_FULL, r);
    EXPECT_OK(emdb_txn_abort(t));
  }
  // A larger upper (reopen: the address space is reserved at open) makes room again.
  o.size_upper = 8 * MiB;
  reopen(o);
  const EMDB_dbi dbi2 = table("t");
  EXPECT_OK(put_range(env(), dbi2, committed, 50, 500));
  EXPECT_LE(data_size(db_path()), 8 * MiB);
  EXPECT_OK(audit(env()));
}

TEST_F(Geometry, ChangedOnAnOpenEnvironment) {
  EnvOptions o;
  o.pagesize = 4096;
  o.size_lower = 64 * KiB;
  o.size_upper = 64 * MiB;
  o.growth_step = 1 * MiB;
  o.shrink_threshold = 0;
  open(o);
  const EMDB_dbi dbi = table("t");
  ASSERT_OK(put_range(env(), dbi, 0, 1000, 1000));  // ~1.3 MB of leaves
  const long long used = data_size(db_path());
  // A smaller upper (above what is in use), a new step and shrink threshold.
  ASSERT_OK(emdb_env_set_geometry(env(), -1, -1, 32 * MiB, 2 * MiB, 4 * MiB, -1));
  EMDB_envinfo info = env_info(env());
  EXPECT_EQ(uint64_t(32 * MiB), info.mi_geo.upper);
  EXPECT_EQ(uint64_t(2 * MiB), info.mi_geo.grow);
  EXPECT_EQ(uint64_t(4 * MiB), info.mi_geo.shrink);
  // `now` larger: the file grows at once; then growth goes in 2 MiB steps.
  ASSERT_OK(emdb_env_set_geometry(env(), -1, 12 * MiB, -1, -1, -1, -1));
  EXPECT_EQ(12 * MiB, data_size(db_path()));
  // `now` smaller: applied at the commit (no reader reaches past it).
  ASSERT_OK(emdb_env_set_geometry(env(), -1, 4 * MiB, -1, -1, -1, -1));
  EXPECT_EQ(4 * MiB, data_size(db_path()));
  EXPECT_GE(4 * MiB, used);
  // Inside a write txn of this thread: applied by that txn's commit, dropped by its abort.
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_env_set_geometry(env(), -1, -1, 16 * MiB, -1, -1, -1));
    t.abort();
  }
  EXPECT_OK(put_range(env(), dbi, 5000, 1, 10));
  EXPECT_EQ(uint64_t(32 * MiB), env_info(env()).mi_geo.upper);
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_env_set_geometry(env(), -1, -1, 16 * MiB, -1, -1, -1));
    ASSERT_OK(t.commit());
  }
  EXPECT_EQ(uint64_t(16 * MiB), env_info(env()).mi_geo.upper);
  // Bad values: EMDB_EINVAL (with a log line naming the value), nothing changes.
  EXPECT_RC(EMDB_EINVAL, emdb_env_set_geometry(env(), 8 * MiB, -1, 4 * MiB, -1, -1, -1));
  EXPECT_RC(EMDB_EINVAL, emdb_env_set_geometry(env(), -1, -1, 64 * KiB, -1, -1, -1));
  EXPECT_RC(EMDB_EINVAL, emdb_env_set_geometry(env(), -1, 20 * MiB, -1, -1, -1, -1));
  EXPECT_RC(EMDB_EINVAL, emdb_env_set_geometry(env(), -1, -1, -1, -1, -1, 8192));
  EXPECT_RC(EMDB_UNABLE_EXTEND_MAPSIZE,
            emdb_env_set_geometry(env(), -1, -1, 128 * MiB, -1, -1, -1));
  EXPECT_EQ(uint64_t(16 * MiB), env_info(env()).mi_geo.upper);
  // Stored in the meta: a reopen without geometry finds it.
  EnvOptions plain;
  plain.size_upper = -1;
  reopen(plain);
  info = env_info(env());
  EXPECT_EQ(uint64_t(16 * MiB), info.mi_geo.upper);
  EXPECT_EQ(uint64_t(2 * MiB), info.mi_geo.grow);
  EXPECT_EQ(uint64_t(4 * MiB), info.mi_geo.shrink);
  EXPECT_OK(audit(env()));
}

TEST_F(Geometry, InconsistentValuesBeforeOpen) {
  EMDB_env* e = nullptr;
  ASSERT_OK(emdb_env_create(&e));
  EXPECT_RC(EMDB_EINVAL, emdb_env_set_geometry(e, 8 * MiB, -1, 4 * MiB, -1, -1, -1));
  EXPECT_RC(EMDB_EINVAL, emdb_env_set_geometry(e, -1, 8 * MiB, 4 * MiB, -1, -1, -1));
  EXPECT_RC(EMDB_EINVAL, emdb_env_set_geometry(e, -1, -1, -1, -1, -1, 3000));
  EXPECT_OK(emdb_env_set_geometry(e, -1, -1, 4 * MiB, -1, -1, 4096));
  emdb_env_close(e);
}

// A second process opening with another geometry stores it in the meta (libmdbx: the geometry
// of the newest meta is the database's); this process follows it at its next write txn.
TEST_F(Geometry, SecondProcessWithOtherGeometry) {
  // The child is forked before this process opens the database (a forked copy of an open
  // environment must not be used), and waits for the go.
  int go[2];
  ASSERT_EQ(0, pipe(go));
  EnvOptions o;
  o.pagesize = 4096;
  o.size_upper = 64 * MiB;
  o.growth_step = 1 * MiB;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(2);
    EnvOptions o2 = o;
    o2.size_upper = 48 * MiB;
    o2.growth_step = 4 * MiB;
    EMDB_env* e2 = nullptr;
    int rc = open_env(&e2, db_path(), o2);
    if (rc == 0) rc = put_range(e2, 1, 100, 1, 100);  // main table: the child has no handle
    if (e2) emdb_env_close(e2);
    _exit(rc == 0 ? 0 : 1);
  }
  close(go[0]);
  open(o);
  const EMDB_dbi dbi = table("t");
  ASSERT_OK(put_range(env(), dbi, 0, 100, 100));
  ASSERT_EQ(1, write(go[1], "g", 1));
  close(go[1]);
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_OK(put_range(env(), dbi, 200, 10, 100));
  EMDB_envinfo info = env_info(env());
  EXPECT_EQ(uint64_t(48 * MiB), info.mi_geo.upper);
  EXPECT_EQ(uint64_t(4 * MiB), info.mi_geo.grow);
  EXPECT_OK(audit(env()));
}

}  // namespace
}  // namespace emdb_test
