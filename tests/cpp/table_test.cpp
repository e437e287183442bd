// emdb::table and the table calls of emdb::txn: open, create, flags, stat, drop, clear.
#include <string>
#include <type_traits>

#include "cpp_test_util.hpp"

namespace {

using emdb_test::key_of;
using emdb_test::str;
using emdb_test::value_of;

using emdb_test::code_of;
using Table = emdb_test::env_fixture;

static_assert(std::is_trivially_copyable_v<emdb::table>);

TEST(TableHandle, DefaultIsInvalidAndComparesByDbi) {
  const emdb::table none;
  EXPECT_FALSE(none.valid());
  EXPECT_EQ(emdb::table(7).dbi(), 7u);
  EXPECT_TRUE(emdb::table(7).valid());
  EXPECT_EQ(emdb::table(7), emdb::table(7));
  EXPECT_NE(emdb::table(7), emdb::table(8));
}

TEST_F(Table, OpenOfAMissingTableThrowsNotfound) {
  emdb::txn w = env.begin_write();
  EXPECT_EQ(code_of([&] { (void)w.open_table("missing"); }), EMDB_NOTFOUND);
  EXPECT_FALSE(w.try_open_table("missing").has_value());
  const emdb::table t = w.create_table("missing");
  EXPECT_TRUE(t.valid());
  w.commit();
}

TEST_F(Table, CreatedTableIsVisibleAfterCommitWithTheSameHandle) {
  emdb::table created;
  {
    emdb::txn w = env.begin_write();
    created = w.create_table("t", EMDB_DUPSORT);
    w.put(created, "k", "v");
    w.commit();
  }
  emdb::txn r = env.begin_read();
  const emdb::table opened = r.open_table("t", EMDB_DUPSORT);
  EXPECT_EQ(opened, created);
  const auto found = r.try_open_table("t", EMDB_DUPSORT);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, created);
  EXPECT_EQ(r.flags(opened) & EMDB_DUPSORT, EMDB_DUPSORT);
  EXPECT_EQ(str(r.get(created, "k")), "v");  // handles stay valid across transactions
}

TEST_F(Table, AbortedCreationLeavesNoTable) {
  {
    emdb::txn w = env.begin_write();
    (void)w.create_table("gone");
  }
  emdb::txn r = env.begin_read();
  EXPECT_FALSE(r.try_open_table("gone").has_value());
}

TEST_F(Table, OpeningWithOtherFlagsIsIncompatible) {
  emdb::txn w = env.begin_write();
  const emdb::table t = w.create_table("plain");
  w.put(t, "k", "v");
  w.commit();
  emdb::txn w2 = env.begin_write();
  EXPECT_EQ(code_of([&] { (void)w2.open_table("plain", EMDB_DUPSORT); }), EMDB_INCOMPATIBLE);
  // EMDB_DB_ACCEDE opens it with its stored flags
  const emdb::table accepted = w2.open_table("plain", EMDB_DB_ACCEDE);
  EXPECT_EQ(w2.flags(accepted) & EMDB_DUPSORT, 0);
}

TEST_F(Table, MainTableAndNamedTablesAreSeparate) {
  emdb::txn w = env.begin_write();
  const emdb::table main = w.main_table();
  const emdb::table named = w.create_table("named");
  EXPECT_NE(main, named);
  w.put(main, "k", "main");
  w.put(named, "k", "named");
  EXPECT_EQ(str(w.get(main, "k")), "main");
  EXPECT_EQ(str(w.get(named, "k")), "named");
}

TEST_F(Table, StatCountsEntries) {
  emdb::txn w = env.begin_write();
  const emdb::table t = w.create_table("t");
  const emdb::table d = w.create_table("d", EMDB_DUPSORT);
  for (int i = 0; i < 100; ++i) w.put(t, "key" + std::to_string(i), "value");
  for (int i = 0; i < 7; ++i) w.put(d, "one-key", "value" + std::to_string(i));
  const EMDB_stat st = w.stat(t);
  EXPECT_EQ(st.ms_entries, 100u);
  EXPECT_GE(st.ms_depth, 1u);
  EXPECT_EQ(st.ms_psize, env.stat().ms_psize);
  EXPECT_EQ(w.stat(d).ms_entries, 7u);
}

TEST_F(Table, ClearEmptiesAndKeepsTheTable) {
  emdb::txn w = env.begin_write();
  const emdb::table t = w.create_table("t");
  w.put(t, "a", "1");
  w.put(t, "b", "2");
  w.clear(t);
  EXPECT_EQ(w.stat(t).ms_entries, 0u);
  EXPECT_FALSE(w.get(t, "a").has_value());
  w.put(t, "c", "3");  // still usable
  w.commit();
  emdb::txn r = env.begin_read();
  EXPECT_EQ(r.stat(r.open_table("t")).ms_entries, 1u);
}

TEST_F(Table, DropDeletesTheTable) {
  {
    emdb::txn w = env.begin_write();
    const emdb::table t = w.create_table("t");
    w.put(t, "a", "1");
    w.commit();
  }
  {
    emdb::txn w = env.begin_write();
    w.drop(w.open_table("t"));
    w.commit();
  }
  emdb::txn r = env.begin_read();
  EXPECT_FALSE(r.try_open_table("t").has_value());
}

TEST_F(Table, DropInAReadTxnIsRefused) {
  {
    emdb::txn w = env.begin_write();
    (void)w.create_table("t");
    w.commit();
  }
  emdb::txn r = env.begin_read();
  const emdb::table t = r.open_table("t");
  EXPECT_EQ(code_of([&] { r.drop(t); }), EMDB_EACCESS);
  EXPECT_EQ(code_of([&] { r.clear(t); }), EMDB_EACCESS);
}

TEST_F(Table, InvalidHandleIsRejected) {
  emdb::txn w = env.begin_write();
  const int code = code_of([&] { (void)w.get(emdb::table(), "k"); });
  EXPECT_TRUE(code == EMDB_BAD_DBI || code == EMDB_EINVAL) << code;
}

}  // namespace
