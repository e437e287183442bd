// env_test.cpp — environments: create/open/close, geometry, limits, options, flags, info.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class EnvApi : public EnvTest {};

TEST_F(EnvApi, CreateOpenCloseMakesFiles) {
  EMDB_env* env = nullptr;
  ASSERT_OK(emdb_env_create(&env));
  ASSERT_NE(nullptr, env);
  ASSERT_OK(emdb_env_open(env, dir_->path().c_str(), EMDB_ENV_DEFAULTS, 0644));
  EXPECT_TRUE(path_exists(dir_->file("emdb.dat")));
  EXPECT_TRUE(path_exists(dir_->file("emdb.lck")));
  EXPECT_OK(emdb_env_close(env));
}

TEST_F(EnvApi, CloseNeverOpenedEnv) {
  EMDB_env* env = nullptr;
  ASSERT_OK(emdb_env_create(&env));
  EXPECT_OK(emdb_env_close(env));
}

TEST_F(EnvApi, CloseExDontSync) {
  EMDB_env* env = nullptr;
  ASSERT_OK(open_env(&env, db_path()));
  EXPECT_OK(emdb_env_close_ex(env, true));
}

// libmdbx: a non-zero mode lets emdb_env_open create the database and its directory.
TEST_F(EnvApi, OpenCreatesMissingDirectoryWhenModeGiven) {
  const std::string path = dir_->file("newdir");
  ASSERT_FALSE(path_exists(path));
  open();  // db_path() == <tmp>/db, which does not exist yet
  EXPECT_TRUE(path_exists(db_path() + "/emdb.dat"));
  Env other;
  ASSERT_OK(other.open(path));
  EXPECT_TRUE(path_exists(path + "/emdb.dat"));
}

// Mode 0 means "open an existing database, create nothing".
TEST_F(EnvApi, OpenMissingWithModeZeroIsENOENT) {
  EMDB_env* env = nullptr;
  ASSERT_OK(emdb_env_create(&env));
  EXPECT_RC(EMDB_ENOFILE, emdb_env_open(env, dir_->file("missing").c_str(), EMDB_ENV_DEFAULTS, 0));
  EXPECT_FALSE(path_exists(dir_->file("missing")));
  EXPECT_OK(emdb_env_close(env));
}

TEST_F(EnvApi, OpenWithMissingParentFails) {
  EMDB_env* env = nullptr;
  ASSERT_OK(emdb_env_create(&env));
  const std::string path = dir_->file("no/such/parent");
  EXPECT_RC(EMDB_ENOFILE, emdb_env_open(env, path.c_str(), EMDB_ENV_DEFAULTS, 0644));
  EXPECT_OK(emdb_env_close(env));
}

TEST_F(EnvApi, OpenExistingWithModeZero) {
  open();
  ASSERT_OK(env_.close());
  EnvOptions o;
  o.mode = 0;
  open(o);
}

TEST_F(EnvApi, NoSubdirUsesPathAsDataFile) {
  EnvOptions o;
  o.flags = EMDB_NOSUBDIR;
  const std::string path = dir_->file("single.db");
  Env env;
  ASSERT_OK(env.open(path, o));
  struct stat st;
  ASSERT_EQ(0, stat(path.c_str(), &st));
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_TRUE(path_exists(path + "-lck"));
  const char* got = nullptr;
  ASSERT_OK(emdb_env_get_path(env, &got));
  ASSERT_NE(nullptr, got);
  EXPECT_EQ(path, std::string(got));
}

TEST_F(EnvApi, OpeningTheSamePathTwiceIsBusy) {
  open();
  EMDB_env* second = nullptr;
  ASSERT_OK(emdb_env_create(&second));
  EXPECT_RC(EMDB_BUSY, emdb_env_open(second, db_path().c_str(), EMDB_ENV_DEFAULTS, 0644));
  EXPECT_OK(emdb_env_close(second));
  // The first handle still works.
  Txn t = write_txn();
  EMDB_dbi dbi;
  ASSERT_OK(emdb_dbi_open(t, nullptr, EMDB_DB_DEFAULTS, &dbi));
  ASSERT_OK(put(t, dbi, "k", "v"));
  ASSERT_OK(t.commit());
}

TEST_F(EnvApi, ReopenKeepsData) {
  open();
  EMDB_dbi main = table(nullptr), named = table("named");
  {
    Txn t = write_txn();
    for (int i = 0; i < 2000; ++i) {
      ASSERT_OK(put(t, main, key_n(i), value_n(i, 1 + i % 300)));
      ASSERT_OK(put(t, named, key_n(i, 5, "n"), value_n(i + 7, 10)));
    }
    ASSERT_OK(t.commit());
  }
  reopen();
  Txn r = read_txn();
  EMDB_dbi m2, n2;
  ASSERT_OK(emdb_dbi_open(r, nullptr, EMDB_DB_DEFAULTS, &m2));
  ASSERT_OK(emdb_dbi_open(r, "named", EMDB_DB_DEFAULTS, &n2));
  for (int i = 0; i < 2000; ++i) {
    std::string v;
    ASSERT_OK(get(r, m2, key_n(i), &v));
    ASSERT_EQ(value_n(i, 1 + i % 300), v) << i;
    ASSERT_OK(get(r, n2, key_n(i, 5, "n"), &v));
    ASSERT_EQ(value_n(i + 7, 10), v) << i;
  }
  EMDB_stat st;
  ASSERT_OK(emdb_dbi_stat(r, n2, &st, sizeof st));
  EXPECT_EQ(2000u, st.ms_entries);
}

TEST_F(EnvApi, GeometryBeforeOpen) {
  EnvOptions o;
  o.size_lower = 1 << 20;
  o.size_upper = 64 << 20;
  o.growth_step = 1 << 20;
  o.pagesize = 4096;
  open(o);
  EMDB_envinfo info;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &info, sizeof info));
  EXPECT_EQ(4096u, info.mi_dxb_pagesize);
  // Sizes are rounded to the allocation granularity; allow 1 MiB of slack.
  EXPECT_GE(info.mi_geo.lower, uint64_t(1) << 19);
  EXPECT_LE(info.mi_geo.lower, uint64_t(2) << 20);
  EXPECT_GE(info.mi_geo.upper, uint64_t(63) << 20);
  EXPECT_LE(info.mi_geo.upper, uint64_t(65) << 20);
  EXPECT_GE(info.mi_geo.current, info.mi_geo.lower);
  EXPECT_LE(info.mi_geo.current, info.mi_geo.upper);
  EXPECT_GE(info.mi_mapsize, info.mi_geo.current);
}

TEST_F(EnvApi, PageSizeIsPersistent) {
  EnvOptions o;
  o.pagesize = 8192;
  open(o);
  EnvOptions d;  // default page size
  reopen(d);
  EMDB_envinfo info;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &info, sizeof info));
  EXPECT_EQ(8192u, info.mi_dxb_pagesize);
  EMDB_stat st;
  ASSERT_OK(emdb_env_stat_ex(env(), nullptr, &st, sizeof st));
  EXPECT_EQ(8192u, st.ms_psize);
}

// libmdbx: an existing database not used by others, opened with a different explicit page size,
// gives EMDB_INCOMPATIBLE.
TEST_F(EnvApi, ReopenWithOtherPageSizeIsIncompatible) {
  EnvOptions o;
  o.pagesize = 8192;
  open(o);
  ASSERT_OK(env_.close());
  o.pagesize = 4096;
  Env e;
  EXPECT_RC(EMDB_INCOMPATIBLE, e.open(db_path(), o));
}

TEST_F(EnvApi, MaxDbs) {
  EMDB_env* env = nullptr;
  ASSERT_OK(emdb_env_create(&env));
  Env owner(env);
  ASSERT_OK(emdb_env_set_maxdbs(env, 7));
  EMDB_dbi n = 0;
  ASSERT_OK(emdb_env_get_maxdbs(env, &n));
  EXPECT_EQ(7u, n);
  ASSERT_OK(emdb_env_open(env, db_path().c_str(), EMDB_ENV_DEFAULTS, 0644));
  ASSERT_OK(emdb_env_get_maxdbs(env, &n));
  EXPECT_EQ(7u, n);
  // Documented: only between create and open.
  EXPECT_RC(EMDB_EPERM, emdb_env_set_maxdbs(env, 9));
  ASSERT_OK(emdb_env_get_maxdbs(env, &n));
  EXPECT_EQ(7u, n);
}

TEST_F(EnvApi, MaxReaders) {
  EMDB_env* env = nullptr;
  ASSERT_OK(emdb_env_create(&env));
  Env owner(env);
  ASSERT_OK(emdb_env_set_maxreaders(env, 20));
  unsigned n = 0;
  ASSERT_OK(emdb_env_get_maxreaders(env, &n));
  EXPECT_GE(n, 20u);
  ASSERT_OK(emdb_env_open(env, db_path().c_str(), EMDB_ENV_DEFAULTS, 0644));
  ASSERT_OK(emdb_env_get_maxreaders(env, &n));
  EXPECT_GE(n, 20u);  // may be rounded up to fill the lock file
  EMDB_envinfo info;
  ASSERT_OK(emdb_env_info_ex(env, nullptr, &info, sizeof info));
  EXPECT_EQ(n, info.mi_maxreaders);
  EXPECT_RC(EMDB_EPERM, emdb_env_set_maxreaders(env, 30));
}

TEST_F(EnvApi, OptionsGetSet) {
  EMDB_env* env = nullptr;
  ASSERT_OK(emdb_env_create(&env));
  Env owner(env);
  uint64_t v = 0;
  ASSERT_OK(emdb_env_set_option(env, EMDB_opt_max_db, 5));
  ASSERT_OK(emdb_env_get_option(env, EMDB_opt_max_db, &v));
  EXPECT_EQ(5u, v);
  ASSERT_OK(emdb_env_set_option(env, EMDB_opt_max_readers, 33));
  ASSERT_OK(emdb_env_get_option(env, EMDB_opt_max_readers, &v));
  EXPECT_GE(v, 33u);
  ASSERT_OK(emdb_env_open(env, db_path().c_str(), EMDB_ENV_DEFAULTS, 0644));
  ASSERT_OK(emdb_env_get_option(env, EMDB_opt_max_db, &v));
  EXPECT_EQ(5u, v);

  struct Case {
    EMDB_option_t opt;
    uint64_t value;
    const char* name;
  };
  const Case cases[] = {
      {EMDB_opt_sync_bytes, 4u << 20, "sync_bytes"},
      {EMDB_opt_rp_augment_limit, 1000, "rp_augment_limit"},
      {EMDB_opt_loose_limit, 100, "loose_limit"},
      {EMDB_opt_dp_reserve_limit, 500, "dp_reserve_limit"},
      {EMDB_opt_txn_dp_limit, 10000, "txn_dp_limit"},
      {EMDB_opt_txn_dp_initial, 2048, "txn_dp_initial"},
      {EMDB_opt_spill_max_denominator, 5, "spill_max_denominator"},
      {EMDB_opt_spill_min_denominator, 4, "spill_min_denominator"},
      {EMDB_opt_merge_threshold_16dot16_percent, 16384, "merge_threshold"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_OK(emdb_env_set_option(env, c.opt, c.value));
    uint64_t got = ~uint64_t(0);
    ASSERT_OK(emdb_env_get_option(env, c.opt, &got));
    EXPECT_EQ(c.value, got);
  }
  // The sync period is kept in a coarser unit: allow a small rounding error.
  ASSERT_OK(emdb_env_set_option(env, EMDB_opt_sync_period, 65536 * 2));
  ASSERT_OK(emdb_env_get_option(env, EMDB_opt_sync_period, &v));
  EXPECT_NEAR(double(65536 * 2), double(v), 65536 * 0.02);
  // Out of range values are refused and change nothing.
  EXPECT_RC(EMDB_EINVAL, emdb_env_set_option(env, EMDB_opt_loose_limit, 256));
  ASSERT_OK(emdb_env_get_option(env, EMDB_opt_loose_limit, &v));
  EXPECT_EQ(100u, v);
  EXPECT_RC(EMDB_EINVAL, emdb_env_set_option(env, EMDB_opt_merge_threshold_16dot16_percent, 100));
  EXPECT_RC(EMDB_EINVAL, emdb_env_set_option(env, EMDB_opt_spill_max_denominator, 256));
  // max_db and max_readers are fixed once open.
  EXPECT_RC(EMDB_EPERM, emdb_env_set_option(env, EMDB_opt_max_db, 6));
}

TEST_F(EnvApi, FlagsGetSet) {
  EnvOptions o;
  o.flags = EMDB_NOSTICKYTHREADS | EMDB_LIFORECLAIM | EMDB_NORDAHEAD;
  open(o);
  unsigned flags = 0;
  ASSERT_OK(emdb_env_get_flags(env(), &flags));
  EXPECT_EQ(unsigned(EMDB_NOSTICKYTHREADS), flags & EMDB_NOSTICKYTHREADS);
  EXPECT_EQ(unsigned(EMDB_LIFORECLAIM), flags & EMDB_LIFORECLAIM);
  EXPECT_EQ(unsigned(EMDB_NORDAHEAD), flags & EMDB_NORDAHEAD);
  EXPECT_EQ(0u, flags & EMDB_RDONLY);
  EXPECT_EQ(0u, flags & EMDB_SAFE_NOSYNC);

  ASSERT_OK(emdb_env_set_flags(env(), EMDB_SAFE_NOSYNC, true));
  ASSERT_OK(emdb_env_get_flags(env(), &flags));
  EXPECT_EQ(unsigned(EMDB_SAFE_NOSYNC), flags & EMDB_SAFE_NOSYNC);
  ASSERT_OK(emdb_env_set_flags(env(), EMDB_SAFE_NOSYNC, false));
  ASSERT_OK(emdb_env_get_flags(env(), &flags));
  EXPECT_EQ(0u, flags & EMDB_SAFE_NOSYNC);

  ASSERT_OK(emdb_env_set_flags(env(), EMDB_NOMETASYNC, true));
  ASSERT_OK(emdb_env_get_flags(env(), &flags));
  EXPECT_EQ(unsigned(EMDB_NOMETASYNC), flags & EMDB_NOMETASYNC);
  ASSERT_OK(emdb_env_set_flags(env(), EMDB_NOMEMINIT, true));
  ASSERT_OK(emdb_env_get_flags(env(), &flags));
  EXPECT_EQ(unsigned(EMDB_NOMEMINIT), flags & EMDB_NOMEMINIT);
  ASSERT_OK(emdb_env_set_flags(env(), EMDB_NOMEMINIT, false));
  ASSERT_OK(emdb_env_get_flags(env(), &flags));
  EXPECT_EQ(0u, flags & EMDB_NOMEMINIT);

  EMDB_envinfo info;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &info, sizeof info));
  EXPECT_EQ(flags, info.mi_mode);
}

TEST_F(EnvApi, PathFdAndUserctx) {
  EMDB_env* env = nullptr;
  ASSERT_OK(emdb_env_create(&env));
  Env owner(env);
  int ctx1 = 1, ctx2 = 2;
  EXPECT_EQ(nullptr, emdb_env_get_userctx(env));
  ASSERT_OK(emdb_env_set_userctx(env, &ctx1));
  EXPECT_EQ(&ctx1, emdb_env_get_userctx(env));
  ASSERT_OK(emdb_env_open(env, db_path().c_str(), EMDB_ENV_DEFAULTS, 0644));
  EXPECT_EQ(&ctx1, emdb_env_get_userctx(env));
  ASSERT_OK(emdb_env_set_userctx(env, &ctx2));
  EXPECT_EQ(&ctx2, emdb_env_get_userctx(env));

  const char* path = nullptr;
  ASSERT_OK(emdb_env_get_path(env, &path));
  ASSERT_NE(nullptr, path);
  EXPECT_EQ(db_path(), std::string(path));

  emdb_filehandle_t fd = -1;
  ASSERT_OK(emdb_env_get_fd(env, &fd));
  ASSERT_GE(fd, 0);
  EXPECT_NE(-1, fcntl(fd, F_GETFD));
  struct stat by_fd, by_name;
  ASSERT_EQ(0, fstat(fd, &by_fd));
  ASSERT_EQ(0, stat((db_path() + "/emdb.dat").c_str(), &by_name));
  EXPECT_EQ(by_name.st_ino, by_fd.st_ino);
  EXPECT_EQ(by_name.st_dev, by_fd.st_dev);
}

class EnvPageSize : public EnvTest, public ::testing::WithParamInterface<int> {};

TEST_P(EnvPageSize, KeyAndValueLimits) {
  const int ps = GetParam();
  EnvOptions o;
  o.pagesize = ps;
  open(o);
  EMDB_envinfo info;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &info, sizeof info));
  ASSERT_EQ(unsigned(ps), info.mi_dxb_pagesize);

  const int maxkey = emdb_env_get_maxkeysize_ex(env(), EMDB_DB_DEFAULTS);
  const int maxkey_dup = emdb_env_get_maxkeysize_ex(env(), EMDB_DUPSORT);
  const int maxval = emdb_env_get_maxvalsize_ex(env(), EMDB_DB_DEFAULTS);
  const int maxval_dup = emdb_env_get_maxvalsize_ex(env(), EMDB_DUPSORT);
  ASSERT_GT(maxkey, 0);
  ASSERT_GT(maxkey_dup, 0);
  ASSERT_GT(maxval_dup, 0);
  EXPECT_LE(maxkey, ps);
  EXPECT_LE(maxkey_dup, maxkey);
  EXPECT_GT(maxval, maxkey);  // plain values may span many pages
  EXPECT_EQ(maxkey, emdb_limits_keysize_max(ps, EMDB_DB_DEFAULTS));
  EXPECT_EQ(maxkey_dup, emdb_limits_keysize_max(ps, EMDB_DUPSORT));
  EXPECT_EQ(maxval, emdb_limits_valsize_max(ps, EMDB_DB_DEFAULTS));
  EXPECT_EQ(maxval_dup, emdb_limits_valsize_max(ps, EMDB_DUPSORT));
  EXPECT_EQ(maxkey_dup, emdb_env_get_maxkeysize(env()));  // legacy = DUPSORT limit
  EXPECT_EQ(EMDB_MIN_PAGESIZE, emdb_limits_pgsize_min());
  EXPECT_EQ(EMDB_MAX_PAGESIZE, emdb_limits_pgsize_max());
  if (ps > 256) {
    EXPECT_GT(maxkey, emdb_limits_keysize_max(256, EMDB_DB_DEFAULTS));
  }

  // The limits are exact: max accepted, max + 1 refused, for keys and DUPSORT values.
  EMDB_dbi plain = table("plain"), dup = table("dup", EMDB_DUPSORT);
  Txn t = write_txn();
  const std::string k_max(size_t(maxkey), 'k'), k_over(size_t(maxkey) + 1, 'k');
  const std::string dk_max(size_t(maxkey_dup), 'd'), dk_over(size_t(maxkey_dup) + 1, 'd');
  const std::string dv_max(size_t(maxval_dup), 'v'), dv_over(size_t(maxval_dup) + 1, 'v');
  EXPECT_OK(put(t, plain, k_max, "value"));
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, plain, k_over, "value"));
  EXPECT_OK(put(t, dup, dk_max, "value"));
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, dup, dk_over, "value"));
  EXPECT_OK(put(t, dup, "key", dv_max));
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, dup, "key", dv_over));
  ASSERT_OK(t.commit());
  Txn r = read_txn();
  std::string v;
  EXPECT_OK(get(r, plain, k_max, &v));
  EXPECT_EQ("value", v);
  EXPECT_RC(EMDB_NOTFOUND, get(r, plain, k_max.substr(1) + "x", &v));
  EXPECT_OK(get(r, dup, dk_max, &v));
  EXPECT_OK(get(r, dup, "key", &v));
  EXPECT_EQ(dv_max, v);
}

INSTANTIATE_TEST_SUITE_P(PageSizes, EnvPageSize, ::testing::Values(256, 4096, 65536),
                         [](const auto& info) { return "ps" + std::to_string(info.param); });

TEST_F(EnvApi, StatEx) {
  open();
  EMDB_dbi main = table(nullptr), a = table("a");
  {
    Txn t = write_txn();
    for (int i = 0; i < 100; ++i) ASSERT_OK(put(t, main, key_n(i), "v"));
    for (int i = 0; i < 50; ++i) ASSERT_OK(put(t, a, key_n(i), "w"));
    ASSERT_OK(t.commit());
  }
  EMDB_stat st;
  ASSERT_OK(emdb_env_stat_ex(env(), nullptr, &st, sizeof st));
  EMDB_envinfo info;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &info, sizeof info));
  EXPECT_EQ(info.mi_dxb_pagesize, st.ms_psize);
  // The main tree also holds one record per named table.
  EXPECT_GE(st.ms_entries, 150u);
  EXPECT_LE(st.ms_entries, 151u);
  EXPECT_GE(st.ms_depth, 1u);
  EXPECT_GE(st.ms_leaf_pages, 2u);

  Txn t = write_txn();
  for (int i = 100; i < 110; ++i) ASSERT_OK(put(t, main, key_n(i), "v"));
  EMDB_stat in_txn;
  ASSERT_OK(emdb_env_stat_ex(env(), t, &in_txn, sizeof in_txn));
  EXPECT_EQ(st.ms_entries + 10, in_txn.ms_entries);
  EMDB_stat outside;
  ASSERT_OK(emdb_env_stat_ex(env(), nullptr, &outside, sizeof outside));
  EXPECT_EQ(st.ms_entries, outside.ms_entries);  // not committed yet
}

TEST_F(EnvApi, InfoExTracksCommits) {
  open();
  EMDB_dbi main = table(nullptr);
  EMDB_envinfo before;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &before, sizeof before));
  for (int i = 0; i < 3; ++i) {
    Txn t = write_txn();
    ASSERT_OK(put(t, main, key_n(i), "value"));
    ASSERT_OK(t.commit());
  }
  EMDB_envinfo after;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &after, sizeof after));
  EXPECT_EQ(before.mi_recent_txnid + 3, after.mi_recent_txnid);
  EXPECT_GT(after.mi_last_pgno, 0u);
  EXPECT_GE(after.mi_geo.current, (after.mi_last_pgno + 1) * after.mi_dxb_pagesize);
  EXPECT_EQ(uint32_t(sysconf(_SC_PAGESIZE)), after.mi_sys_pagesize);
  EXPECT_GE(after.mi_maxreaders, 1u);
  // One of the three metas holds the last txnid.
  const uint64_t last = after.mi_recent_txnid;
  EXPECT_TRUE(after.mi_meta_txnid[0] == last || after.mi_meta_txnid[1] == last ||
              after.mi_meta_txnid[2] == last);

  Txn r = read_txn();
  EMDB_envinfo with_reader;
  ASSERT_OK(emdb_env_info_ex(env(), r, &with_reader, sizeof with_reader));
  EXPECT_EQ(last, with_reader.mi_recent_txnid);
  EXPECT_GE(with_reader.mi_numreaders, 1u);
}

TEST_F(EnvApi, SyncAfterNoSyncCommit) {
  EnvOptions o;
  o.flags = EMDB_SAFE_NOSYNC;
  open(o);
  EMDB_dbi main = table(nullptr);
  Txn t = write_txn();
  ASSERT_OK(put(t, main, "k", "v"));
  ASSERT_OK(t.commit());
  EXPECT_OK(emdb_env_sync(env()));                    // something to flush
  EXPECT_RC(EMDB_RESULT_TRUE, emdb_env_sync(env()));  // nothing left
  EXPECT_RC_IN(emdb_env_sync_ex(env(), false, true), EMDB_SUCCESS, EMDB_RESULT_TRUE);
}

TEST_F(EnvApi, SyncDurable) {
  open();
  EMDB_dbi main = table(nullptr);
  Txn t = write_txn();
  ASSERT_OK(put(t, main, "k", "v"));
  ASSERT_OK(t.commit());
  EXPECT_RC_IN(emdb_env_sync(env()), EMDB_SUCCESS, EMDB_RESULT_TRUE);
  EXPECT_RC(EMDB_RESULT_TRUE, emdb_env_sync_ex(env(), true, false));
}

// With EMDB_WRITEMAP a commit stores only the header and the 224-byte meta (256 bytes) into its
// meta slot in the map; the rest of a meta page stays zero (docs/format.md, "Meta pages"). After
// commits in both WRITEMAP modes: every meta page's tail is zero, the newest slot's header
// carries the newest txnid, and a reopen without WRITEMAP reads every commit back.
TEST_F(EnvApi, WritemapCommitsWriteHeaderAndMetaOnly) {
  constexpr size_t kPs = 4096, kUsed = 32 + 224;
  for (unsigned mode : {unsigned(EMDB_WRITEMAP), unsigned(EMDB_WRITEMAP | EMDB_UTTERLY_NOSYNC)}) {
    SCOPED_TRACE(mode);
    const std::string path = db_path("wm" + std::to_string(mode));
    EnvOptions o;
    o.flags = mode;
    o.pagesize = kPs;
    ASSERT_OK(env_.open(path, o));
    EMDB_dbi main = table(nullptr);
    for (int i = 0; i < 10; ++i) {
      Txn t = write_txn();
      ASSERT_OK(put(t, main, key_n(i), value_n(i, 100)));
      ASSERT_OK(t.commit());
    }
    EMDB_envinfo info;
    ASSERT_OK(emdb_env_info_ex(env(), nullptr, &info, sizeof info));
    const uint64_t newest = info.mi_recent_txnid;
    ASSERT_OK(env_.close());

    const int fd = ::open((path + "/emdb.dat").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    std::vector<uint8_t> page(kPs);
    uint64_t top = 0;
    for (unsigned slot = 0; slot < 3; ++slot) {
      ASSERT_EQ(ssize_t(kPs), ::pread(fd, page.data(), kPs, off_t(slot * kPs)));
      for (size_t b = kUsed; b < kPs; ++b)
        ASSERT_EQ(0, page[b]) << "slot " << slot << " byte " << b;
      uint64_t txnid;
      std::memcpy(&txnid, page.data(), 8);
      top = std::max(top, txnid);
    }
    ::close(fd);
    EXPECT_EQ(newest, top);

    EnvOptions plain;
    plain.pagesize = kPs;
    ASSERT_OK(env_.open(path, plain));
    {
      EMDB_dbi reopened = table(nullptr);
      Txn r = read_txn();
      for (int i = 0; i < 10; ++i) {
        std::string v;
        ASSERT_OK(get(r, reopened, key_n(i), &v));
        EXPECT_EQ(value_n(i, 100), v) << i;
      }
    }
    ASSERT_OK(env_.close());
  }
}

TEST_F(EnvApi, ReadOnlyEnv) {
  open();
  EMDB_dbi main = table(nullptr);
  {
    Txn t = write_txn();
    ASSERT_OK(put(t, main, "k", "v"));
    ASSERT_OK(t.commit());
  }
  EnvOptions o;
  o.flags = EMDB_RDONLY;
  o.size_upper = -1;  // geometry cannot be changed through a read-only env
  reopen(o);
  unsigned flags = 0;
  ASSERT_OK(emdb_env_get_flags(env(), &flags));
  EXPECT_EQ(unsigned(EMDB_RDONLY), flags & EMDB_RDONLY);
  Txn r = read_txn();
  EMDB_dbi dbi;
  ASSERT_OK(emdb_dbi_open(r, nullptr, EMDB_DB_DEFAULTS, &dbi));
  std::string v;
  ASSERT_OK(get(r, dbi, "k", &v));
  EXPECT_EQ("v", v);
  r.abort();
  EMDB_txn* w = nullptr;
  EXPECT_RC(EMDB_EACCESS, emdb_txn_begin(env(), nullptr, EMDB_TXN_READWRITE, &w));
  EXPECT_EQ(nullptr, w);
  EXPECT_RC(EMDB_EACCESS, emdb_env_sync(env()));
}

TEST_F(EnvApi, EnvDelete) {
  open();
  EMDB_dbi main = table(nullptr);
  {
    Txn t = write_txn();
    ASSERT_OK(put(t, main, "k", "v"));
    ASSERT_OK(t.commit());
  }
  ASSERT_OK(env_.close());
  ASSERT_TRUE(path_exists(db_path() + "/emdb.dat"));
  EXPECT_OK(emdb_env_delete(db_path().c_str(), EMDB_ENV_JUST_DELETE));
  EXPECT_FALSE(path_exists(db_path() + "/emdb.dat"));
  EXPECT_FALSE(path_exists(db_path() + "/emdb.lck"));
  EXPECT_RC(EMDB_RESULT_TRUE, emdb_env_delete(db_path().c_str(), EMDB_ENV_JUST_DELETE));
  // A fresh database can be created at the same place and is empty.
  open();
  Txn r = read_txn();
  EMDB_dbi dbi;
  ASSERT_OK(emdb_dbi_open(r, nullptr, EMDB_DB_DEFAULTS, &dbi));
  std::string v;
  EXPECT_RC(EMDB_NOTFOUND, get(r, dbi, "k", &v));
}

TEST_F(EnvApi, EnvDeleteNoSubdir) {
  EnvOptions o;
  o.flags = EMDB_NOSUBDIR;
  const std::string path = dir_->file("f.db");
  {
    Env e;
    ASSERT_OK(e.open(path, o));
  }
  EXPECT_OK(emdb_env_delete(path.c_str(), EMDB_ENV_ENSURE_UNUSED));
  EXPECT_FALSE(path_exists(path));
  EXPECT_FALSE(path_exists(path + "-lck"));
}

TEST_F(EnvApi, VersionString) {
  const char* v = emdb_version();
  ASSERT_NE(nullptr, v);
  const std::string expect = std::to_string(EMDB_VERSION_MAJOR) + "." +
                             std::to_string(EMDB_VERSION_MINOR) + "." +
                             std::to_string(EMDB_VERSION_PATCH);
  EXPECT_EQ(expect, std::string(v));
}

}  // namespace
}  // namespace emdb_test
