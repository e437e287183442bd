// emdb::env: open and options, RAII close, moves, statistics, sync, flags, limits, remove.
#include <future>
#include <string>
#include <thread>

#include "cpp_test_util.hpp"

namespace {

using emdb_test::key_of;
using emdb_test::str;
using emdb_test::value_of;

using emdb_test::code_of;
using emdb_test::env_fixture;
using emdb_test::temp_dir;

TEST(Env, OpenWriteCloseReopenRead) {
  temp_dir dir;
  {
    emdb::env e = emdb::env::open(dir.sub("db"));
    ASSERT_TRUE(e);
    emdb::txn w = e.begin_write();
    const emdb::table t = w.create_table("t");
    w.put(t, "k", "v");
    w.commit();
  }  // the destructor closes the env
  EXPECT_TRUE(std::filesystem::is_directory(dir.sub("db")));
  emdb::env e = emdb::env::open(dir.sub("db"));
  emdb::txn r = e.begin_read();
  const emdb::table t = r.open_table("t");
  const auto v = r.get(t, "k");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, "v");
}

TEST(Env, DefaultConstructedIsEmpty) {
  const emdb::env e;
  EXPECT_FALSE(e);
  EXPECT_EQ(e.handle(), nullptr);
}

TEST(Env, OpenTwiceInOneProcessIsBusy) {
  temp_dir dir;
  emdb::env first = emdb::env::open(dir.sub("db"));
  EXPECT_EQ(code_of([&] { (void)emdb::env::open(dir.sub("db")); }), EMDB_BUSY);
  // the first handle is unaffected
  emdb::txn w = first.begin_write();
  w.put(w.main_table(), "still", "works");
  w.commit();
}

TEST(Env, MoveTransfersOwnership) {
  temp_dir dir;
  emdb::env a = emdb::env::open(dir.sub("db"));
  EMDB_env *const raw = a.handle();
  emdb::env b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.handle(), raw);
  emdb::env c;
  c = std::move(b);
  EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.handle(), raw);
  emdb::txn w = c.begin_write();
  w.put(w.main_table(), "k", "v");
  w.commit();
  // move-assigning over an open env closes it: the database can be opened again
  c = emdb::env();
  EXPECT_FALSE(c);
  emdb::env again = emdb::env::open(dir.sub("db"));
  emdb::txn r = again.begin_read();
  EXPECT_EQ(r.get(r.main_table(), "k").value_or("missing"), "v");
}

TEST(Env, ReleaseAndAdopt) {
  temp_dir dir;
  emdb::env a = emdb::env::open(dir.sub("db"));
  EMDB_env *raw = a.release();
  EXPECT_FALSE(a);
  ASSERT_NE(raw, nullptr);
  emdb::env b(raw);  // adopts it and closes it at the end
  EXPECT_EQ(b.handle(), raw);
}

TEST(Env, OptionsAreApplied) {
  temp_dir dir;
  emdb::env::options opts;
  opts.max_tables = 5;
  opts.max_readers = 100;
  opts.geometry.lower = 1 << 20;
  opts.geometry.now = 1 << 20;
  opts.geometry.upper = 16 << 20;
  opts.geometry.growth_step = 1 << 20;
  opts.geometry.shrink_threshold = 2 << 20;
  opts.geometry.pagesize = 4096;
  emdb::env e = emdb::env::open(dir.sub("db"), opts);
  EXPECT_EQ(e.max_tables(), 5u);
  EXPECT_GE(e.max_readers(), 100u);
  const EMDB_envinfo info = e.info();
  EXPECT_EQ(info.mi_geo.upper, 16u << 20);
  EXPECT_EQ(info.mi_geo.lower, 1u << 20);
  EXPECT_EQ(info.mi_dxb_pagesize, 4096u);
  EXPECT_EQ(e.stat().ms_psize, 4096u);
}

TEST(Env, MaxTablesLimitsNamedTables) {
  temp_dir dir;
  emdb::env::options opts;
  opts.max_tables = 2;
  emdb::env e = emdb::env::open(dir.sub("db"), opts);
  emdb::txn w = e.begin_write();
  (void)w.create_table("one");
  (void)w.create_table("two");
  EXPECT_EQ(code_of([&] { (void)w.create_table("three"); }), EMDB_DBS_FULL);
}

TEST(Env, NoSubdirUsesThePathAsTheDataFile) {
  temp_dir dir;
  emdb::env::options opts;
  opts.flags = EMDB_NOSUBDIR;
  {
    emdb::env e = emdb::env::open(dir.sub("data.emdb"), opts);
    emdb::txn w = e.begin_write();
    w.put(w.main_table(), "k", "v");
    w.commit();
    EXPECT_EQ(e.path(), dir.sub("data.emdb").string());
  }
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.sub("data.emdb")));
}

TEST(Env, ReadOnlyEnvRefusesWrites) {
  temp_dir dir;
  {
    emdb::env e = emdb::env::open(dir.sub("db"));
    emdb::txn w = e.begin_write();
    w.put(w.main_table(), "k", "v");
    w.commit();
  }
  emdb::env::options opts;
  opts.flags = EMDB_RDONLY;
  emdb::env e = emdb::env::open(dir.sub("db"), opts);
  EXPECT_NE(e.flags() & EMDB_RDONLY, 0);
  {
    emdb::txn r = e.begin_read();
    EXPECT_EQ(r.get(r.main_table(), "k").value_or("missing"), "v");
  }
  EXPECT_EQ(code_of([&] { (void)e.begin_write(); }), EMDB_EACCESS);
}

TEST_F(env_fixture, PathIsTheOneGivenToOpen) { EXPECT_EQ(env.path(), dir.sub("db").string()); }

TEST_F(env_fixture, StatCountsEntriesAndInfoTracksCommits) {
  const std::uint64_t txnid_before = env.info().mi_recent_txnid;
  emdb::txn w = env.begin_write();
  const emdb::table main = w.main_table();
  for (int i = 0; i < 10; ++i) w.put(main, "key" + std::to_string(i), "value");
  w.commit();
  EXPECT_EQ(env.stat().ms_entries, 10u);
  EXPECT_GT(env.stat().ms_leaf_pages, 0u);
  EXPECT_GT(env.info().mi_recent_txnid, txnid_before);
  EXPECT_GT(env.info().mi_geo.current, 0u);
}

TEST_F(env_fixture, SyncSucceeds) {
  emdb::txn w = env.begin_write();
  w.put(w.main_table(), "k", "v");
  w.commit();
  EXPECT_TRUE(env.sync());
  EXPECT_TRUE(env.sync(false));
  EXPECT_TRUE(env.sync(true, true));
}

TEST_F(env_fixture, RuntimeFlagsAndOptions) {
  env.set_flags(EMDB_SAFE_NOSYNC, true);
  EXPECT_EQ(env.flags() & EMDB_SAFE_NOSYNC, EMDB_SAFE_NOSYNC);
  env.set_flags(EMDB_SAFE_NOSYNC, false);
  EXPECT_EQ(env.flags() & EMDB_SAFE_NOSYNC, 0);
  env.set_option(EMDB_opt_sync_bytes, 1u << 20);
  EXPECT_EQ(env.get_option(EMDB_opt_sync_bytes), 1u << 20);
}

TEST_F(env_fixture, SizeLimits) {
  const std::size_t key_max = env.max_key_size();
  EXPECT_GT(key_max, 0u);
  EXPECT_LT(key_max, std::size_t(env.stat().ms_psize));
  EXPECT_GE(env.max_value_size(), key_max);
  EXPECT_GT(env.max_key_size(EMDB_DUPSORT), 0u);
  // a key one byte too long is refused with EMDB_BAD_VALSIZE
  emdb::txn w = env.begin_write();
  const emdb::table t = w.main_table();
  const std::string longest(key_max, 'k');
  EXPECT_NO_THROW(w.put(t, longest, "v"));
  const std::string too_long(key_max + 1, 'k');
  EXPECT_EQ(code_of([&] { w.put(t, too_long, "v"); }), EMDB_BAD_VALSIZE);
}

TEST_F(env_fixture, CloseWithALiveWriteTxnIsBusyAndKeepsTheEnv) {
  emdb::txn w = env.begin_write();
  w.put(w.main_table(), "k", "v");
  EXPECT_EQ(code_of([&] { env.close(); }), EMDB_BUSY);
  EXPECT_TRUE(env);
  w.commit();
  env.close();
  EXPECT_FALSE(env);
}

// emdb.h: "All transactions of the environment must have ended (else EMDB_BUSY and nothing is
// closed)" — a read transaction counts too.
TEST_F(env_fixture, CloseWithALiveReadTxnIsBusyAndKeepsTheEnv) {
  emdb::txn r = env.begin_read();
  EXPECT_EQ(code_of([&] { env.close(); }), EMDB_BUSY);
  if (!env) {
    // the engine closed the env under the live txn: do not touch the txn again
    (void)r.release();
    return;
  }
  EXPECT_FALSE(r.get(r.main_table(), "k").has_value());
  r.abort();
  env.close();
  EXPECT_FALSE(env);
}

TEST_F(env_fixture, OneReadTxnPerThreadUnlessNoStickyThreads) {
  {
    emdb::txn r = env.begin_read();
    EXPECT_EQ(code_of([&] { (void)env.begin_read(); }), EMDB_TXN_OVERLAPPING);
    // another thread may read at the same time
    emdb_test::in_other_thread([&] { EXPECT_TRUE(env.begin_read()); });
  }
  env.close();
  emdb::env::options opts;
  opts.flags = EMDB_NOSTICKYTHREADS;
  env = emdb::env::open(dir.sub("db"), opts);
  emdb::txn r1 = env.begin_read();
  emdb::txn r2 = env.begin_read();
  EXPECT_TRUE(r1.is_readonly());
  EXPECT_TRUE(r2.is_readonly());
}

TEST_F(env_fixture, CloseTableThenOpenItAgain) {
  emdb::txn w = env.begin_write();
  const emdb::table t = w.create_table("t");
  w.put(t, "k", "v");
  w.commit();
  env.close_table(t);
  emdb::txn r = env.begin_read();
  const emdb::table again = r.open_table("t");
  EXPECT_EQ(str(r.get(again, "k")), "v");
}

TEST_F(env_fixture, TryBeginWriteWhileAnotherThreadWrites) {
  std::promise<void> writer_started;
  std::promise<void> may_finish;
  std::thread writer([&] {
    emdb::txn w = env.begin_write();
    writer_started.set_value();
    may_finish.get_future().wait();
    w.abort();
  });
  writer_started.get_future().wait();
  const std::optional<emdb::txn> busy = env.try_begin_write();
  EXPECT_FALSE(busy.has_value());
  may_finish.set_value();
  writer.join();
  std::optional<emdb::txn> later = env.try_begin_write();
  ASSERT_TRUE(later.has_value());
  EXPECT_FALSE(later->is_readonly());
}

TEST(Env, RemoveDeletesTheFiles) {
  temp_dir dir;
  {
    emdb::env e = emdb::env::open(dir.sub("db"));
    emdb::txn w = e.begin_write();
    w.put(w.main_table(), "k", "v");
    w.commit();
  }
  EXPECT_TRUE(emdb::env::remove(dir.sub("db")));
  EXPECT_FALSE(std::filesystem::exists(dir.sub("db") / "emdb.dat"));
  EXPECT_FALSE(emdb::env::remove(dir.sub("db")));
}

}  // namespace
