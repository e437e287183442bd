// The data extras of emdb::txn and emdb::cursor: range estimation, key-range iteration,
// replace / extract / get_with_count, upper_bound, rename_table and tables().
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cpp_test_util.hpp"

namespace {

using emdb_test::code_of;
using emdb_test::key_of;
using emdb_test::value_of;
using DataApi = emdb_test::env_fixture;

std::string k3(int i) {
  std::string s = std::to_string(i);
  return std::string(5 - s.size(), '0') + s;
}

TEST_F(DataApi, EstimatesAndKeyRanges) {
  emdb::txn w = env.begin_write();
  const emdb::table t = w.create_table("t");
  for (int i = 0; i < 2000; i++) w.put(t, k3(i * 2), "v");
  // Small ranges are exact (one or two pages); the whole table is its size.
  EXPECT_EQ(w.estimate_range(t, std::nullopt, std::nullopt), 2000);
  EXPECT_EQ(w.estimate_range(t, k3(10), k3(20)), 5);
  EXPECT_EQ(w.estimate_range(t, k3(20), k3(10)), -5);
  EXPECT_EQ(w.estimate_range(t, k3(10), k3(10)), 1);  // one key: its values
  const double big = double(w.estimate_range(t, k3(100), k3(3100)));
  EXPECT_NEAR(big, 1500.0, 150.0);
  // Cursor pair and moves.
  emdb::cursor a = w.open_cursor(t), b = w.open_cursor(t);
  ASSERT_TRUE(a.lower_bound(k3(100)));
  ASSERT_TRUE(b.lower_bound(k3(110)));
  EXPECT_EQ(a.distance_to(b), 5);
  EXPECT_EQ(b.distance_to(a), -5);
  EXPECT_EQ(a.estimate_move(EMDB_NEXT), 1);
  EXPECT_EQ(key_of(a.current()), k3(100));  // did not move
  EXPECT_FALSE(a.estimate_move(EMDB_SET, "missing").has_value());
  // Key ranges.
  std::vector<std::string> got;
  for (auto [k, v] : w.scan_range(t, k3(7), k3(15))) got.push_back(k.to_string());
  EXPECT_EQ((std::vector<std::string>{k3(8), k3(10), k3(12), k3(14)}), got);
  got.clear();
  for (auto [k, v] : w.scan_range(t, k3(3990), "zzz")) got.push_back(k.to_string());
  EXPECT_EQ((std::vector<std::string>{k3(3990), k3(3992), k3(3994), k3(3996), k3(3998)}), got);
  got.clear();
  for (auto [k, v] : w.scan_range(t, k3(20), k3(10))) got.push_back(k.to_string());
  EXPECT_TRUE(got.empty());
  for (auto [k, v] : w.scan_range(t, k3(20), k3(20))) got.push_back(k.to_string());
  EXPECT_TRUE(got.empty());
  emdb::cursor c = w.open_cursor(t);
  for (auto [k, v] : c.range_between(k3(1), k3(6))) got.push_back(k.to_string());
  EXPECT_EQ((std::vector<std::string>{k3(2), k3(4)}), got);
  EXPECT_EQ(key_of(c.upper_bound(k3(4))), k3(6));
  EXPECT_FALSE(c.upper_bound(k3(3998)).has_value());
  w.commit();
}

TEST_F(DataApi, ReplaceExtractAndCounts) {
  emdb::txn w = env.begin_write();
  const emdb::table t = w.create_table("t");
  const emdb::table d = w.create_table("d", EMDB_DUPSORT);
  EXPECT_FALSE(w.replace(t, "k", "one").has_value());  // inserted
  EXPECT_EQ(w.replace(t, "k", "two"), std::optional<std::string>("one"));
  EXPECT_EQ(w.extract(t, "k"), std::optional<std::string>("two"));
  EXPECT_FALSE(w.extract(t, "k").has_value());
  w.put(d, "k", "a");
  w.put(d, "k", "b");
  w.put(d, "k", "c");
  auto gc = w.get_with_count(d, "k");
  ASSERT_TRUE(gc.has_value());
  EXPECT_EQ(gc->first.to_string(), "a");
  EXPECT_EQ(gc->second, 3u);
  EXPECT_FALSE(w.get_with_count(d, "none").has_value());
  EXPECT_EQ(code_of([&] { (void)w.replace(d, "k", "z"); }), EMDB_EMULTIVAL);
  EXPECT_EQ(w.replace_value(d, "k", "b", "bb"), std::optional<std::string>("b"));
  EXPECT_FALSE(w.replace_value(d, "k", "nope", "x").has_value());
  std::vector<std::string> vals;
  for (auto [k, v] : w.values(d, "k")) vals.push_back(v.to_string());
  EXPECT_EQ((std::vector<std::string>{"a", "bb", "c"}), vals);
  EXPECT_EQ(w.estimate_range(d, emdb::kv_pair{"k", "a"}, emdb::kv_pair{"k", "c"}), 2);
  EXPECT_NE(w.table_state(t) & EMDB_DBI_CREAT, 0u);
  auto v = w.get(d, "k");
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(w.is_dirty(v->data()));
  w.commit();
  emdb::txn r = env.begin_read();
  auto v2 = r.get(d, "k");
  ASSERT_TRUE(v2.has_value());
  EXPECT_FALSE(r.is_dirty(v2->data()));
}

TEST_F(DataApi, RenameAndListTables) {
  {
    emdb::txn w = env.begin_write();
    const emdb::table a = w.create_table("a");
    (void)w.create_table("b", EMDB_DUPSORT);
    w.put(a, "k", "v");
    w.rename_table(a, "c");
    EXPECT_EQ(code_of([&] { w.rename_table(a, "b"); }), EMDB_KEYEXIST);
    auto ts = w.tables();
    ASSERT_EQ(ts.size(), 2u);
    EXPECT_EQ(ts[0].name, "b");
    EXPECT_EQ(ts[0].flags, EMDB_DUPSORT);
    EXPECT_EQ(ts[1].name, "c");
    EXPECT_EQ(ts[1].handle, a);
    EXPECT_EQ(ts[1].stat.ms_entries, 1u);
    w.commit();
  }
  emdb::txn r = env.begin_read();
  EXPECT_FALSE(r.try_open_table("a").has_value());
  const emdb::table c = r.open_table("c");
  EXPECT_EQ(emdb_test::str(r.get(c, "k")), "v");
}

TEST_F(DataApi, MultipleValuesOfDupfixedTables) {
  emdb::txn w = env.begin_write();
  const emdb::table t = w.create_table("f", EMDB_db_flags_t(EMDB_DUPSORT | EMDB_DUPFIXED));
  std::vector<std::uint32_t> vals(3000);
  for (std::uint32_t i = 0; i < vals.size(); i++) vals[i] = __builtin_bswap32(i);  // sorted
  emdb::cursor c = w.open_cursor(t);
  EXPECT_EQ(c.put_multiple("k", vals.data(), 4, vals.size()), vals.size());
  ASSERT_TRUE(c.seek("k"));
  EXPECT_EQ(c.count(), vals.size());
  std::size_t seen = 0;
  for (auto p = c.get_multiple(); p; p = c.next_multiple()) {
    ASSERT_EQ(p->value.size() % 4, 0u);
    std::uint32_t first;
    std::memcpy(&first, p->value.data(), 4);
    EXPECT_EQ(first, vals[seen]);
    seen += p->value.size() / 4;
  }
  EXPECT_EQ(seen, vals.size());
  EXPECT_EQ(w.estimate_range(t, "k", "k"), 3000);
  w.commit();
}

}  // namespace
