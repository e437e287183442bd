// The C++ snippets of docs/api.md and docs/caveats.md, compiled and run, so that the
// documentation cannot drift from the API. Keep them in sync with the docs by hand.
#include <cassert>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>

#include "cpp_test_util.hpp"

namespace {

using emdb_test::temp_dir;

/** Counts a pair (and uses both views, so that they are not unused). */
int one(emdb::slice k, emdb::slice v) { return k.data() != v.data() ? 1 : 1; }

// docs/caveats.md, "Views die with their transaction"
std::string good_lookup(emdb::env &env, emdb::table t) {
  emdb::txn r = env.begin_read();
  auto v = r.get(t, "k");
  return v ? v->to_string() : "";  // a copy outlives the txn
}

TEST(DocsExamples, ApiMdEnvironment) {
  temp_dir dir;
  emdb::env::options opts;
  opts.geometry.upper = std::intptr_t(1) << 30;  // the file never grows past 1 GiB
  opts.geometry.growth_step = 16 << 20;
  opts.max_tables = 16;               // default 32
  opts.flags = EMDB_NOSTICKYTHREADS;  // any EMDB_env_flags_t
  emdb::env env = emdb::env::open(dir.sub("db"), opts);

  EMDB_stat s = env.stat();     // totals over all tables
  EMDB_envinfo i = env.info();  // geometry, txnids, readers
  env.sync();                   // flush (needed only with lazy sync modes)
  std::size_t k = env.max_key_size();
  EXPECT_EQ(i.mi_geo.upper, std::uint64_t(1) << 30);
  EXPECT_EQ(s.ms_entries, 0u);
  EXPECT_GT(k, 0u);
  EXPECT_EQ(env.max_tables(), 16u);
}

TEST(DocsExamples, ApiMdErrors) {
  temp_dir dir;
  emdb::env env = emdb::env::open(dir.sub("db"));
  int code = 0;
  try {
    emdb::txn r = env.begin_read();
    emdb::table t = r.open_table("missing");  // no EMDB_CREATE
    (void)t;
  } catch (const emdb::error &e) {
    assert(e.code() == EMDB_NOTFOUND);
    code = e.code();
  }
  EXPECT_EQ(code, EMDB_NOTFOUND);
}

TEST(DocsExamples, ApiMdTransactionsTablesDataCursors) {
  temp_dir dir;
  emdb::env env = emdb::env::open(dir.sub("db"));
  bool valid = true;
  emdb::table t;
  {
    emdb::txn w = env.begin_write();
    t = w.create_table("t");
    w.commit();
  }
  [&] {
    emdb::txn w = env.begin_write();  // waits for the writer lock
    w.put(t, "k", "v");
    if (!valid) return;  // the destructor aborts: nothing is written
    w.commit();
  }();
  {
    std::optional<emdb::txn> w = env.try_begin_write();  // nullopt if another writer runs
    ASSERT_TRUE(w);
  }
  {
    emdb::txn w = env.begin_write();
    w.put(t, "a", "1");
    {
      emdb::txn child = w.begin_nested();
      child.put(t, "b", "2");
      // no commit: the child's changes are dropped, "a" stays
    }
    w.commit();
  }
  EXPECT_EQ(good_lookup(env, t), "v");

  // Tables
  emdb::table users, tags;
  {
    emdb::txn w = env.begin_write();
    users = w.create_table("users");  // EMDB_CREATE added
    tags = w.create_table("tags", EMDB_DUPSORT);
    std::uint64_t id = w.sequence(users, 1);  // returns the counter, then adds 1
    EXPECT_EQ(id, 0u);

    // Data and slices
    w.put(users, "alice", "admin");                  // upsert
    bool added = w.insert(users, "alice", "guest");  // false: exists, unchanged
    EXPECT_FALSE(added);
    std::uint64_t n = 42;
    w.put(users, emdb::slice(n), std::string("the answer"));
    std::span<std::byte> room = w.put_reserve(users, "blob", 4096);  // fill it in place
    std::memset(room.data(), 0, room.size());
    w.put(tags, "alice", "admin");
    w.put(tags, "alice", "ops");
    w.commit();
  }
  {
    emdb::txn r = env.begin_read();
    emdb::table same = r.open_table("users");                    // throws EMDB_NOTFOUND if missing
    std::optional<emdb::table> maybe = r.try_open_table("old");  // nullopt if missing
    emdb::table main = r.main_table();
    EMDB_stat st = r.stat(users);  // st.ms_entries pairs
    EXPECT_EQ(same, users);
    EXPECT_FALSE(maybe);
    EXPECT_NE(main, users);
    EXPECT_EQ(st.ms_entries, 3u);

    if (std::optional<emdb::slice> v = r.get(users, "alice")) {
      std::string_view role = *v;         // no copy
      std::string kept = v->to_string();  // a copy that outlives the txn
      EXPECT_EQ(role, "admin");
      EXPECT_EQ(kept, "admin");
    }
    std::optional<emdb::kv_pair> p = r.lower_bound(users, "b");  // first key >= "b"
    ASSERT_TRUE(p);
    EXPECT_EQ(p->key, "blob");

    // Cursors and iteration
    std::ostringstream out;
    emdb::cursor c = r.open_cursor(users);
    for (auto q = c.to_first(); q; q = c.to_next())  // std::optional<kv_pair>
      out << q->key.view() << '\n';
    if (auto q = c.lower_bound("m")) { /* first key >= "m" */
      ADD_FAILURE() << "no key >= m expected";
    }
    if (auto q = c.seek("alice")) { /* exactly "alice" */
      EXPECT_EQ(q->value, "admin");
    }
    emdb::kv_pair here = c.current();
    std::size_t dups = c.count();  // values of the current key
    EXPECT_EQ(here.key, "alice");
    EXPECT_EQ(dups, 1u);
    int n = 0;
    for (auto [k, v] : r.scan(users)) n += one(k, v);            // all pairs, in order
    for (auto [k, v] : r.scan_from(users, "b")) n += one(k, v);  // from the first key >= "b"
    for (auto [k, v] : r.values(tags, "alice")) n += one(k, v);  // the values of one DUPSORT key
    for (auto [k, v] : c.range()) n += one(k, v);                // the same through your own cursor
    for (auto [k, v] : c.reverse_range()) n += one(k, v);        // last to first
    EXPECT_EQ(n, 3 + 1 + 2 + 3 + 3);
    // the 8-byte key 42 starts with '*' (0x2a) and sorts first
    EXPECT_EQ(out.str(), std::string("*\0\0\0\0\0\0\0\n", 9) + "alice\nblob\n");
  }
  {
    emdb::txn w = env.begin_write();
    bool erased = w.erase(users, "alice");  // false if it was absent
    EXPECT_TRUE(erased);
    w.erase(tags, "alice", "admin");  // one pair of a DUPSORT table
    w.clear(users);                   // empty it
    w.drop(tags);                     // delete it
    w.commit();
  }
}

// docs/api.md, "Cursors and iteration": key ranges, bounds and estimates
TEST(DocsExamples, ApiMdKeyRangesAndEstimates) {
  temp_dir dir;
  emdb::env env = emdb::env::open(dir.sub("db"));
  emdb::table users;
  {
    emdb::txn w = env.begin_write();
    users = w.create_table("users");
    for (const char *k : {"alice", "bob", "carol", "mallory", "trent"}) w.put(users, k, "x");
    w.commit();
  }
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(users), other_cursor = r.open_cursor(users);
  ASSERT_TRUE(other_cursor.to_last());
  int seen = 0;
  for (auto [k, v] : r.scan_range(users, "a", "m")) seen += one(k, v);  // "a" <= key < "m"
  EXPECT_EQ(seen, 3);
  for (auto [k, v] : c.range_between("a", "m")) seen += one(k, v);
  EXPECT_EQ(seen, 6);
  if (auto p = c.upper_bound("m")) {
    EXPECT_EQ(p->key.to_string(), "mallory");
  }
  std::ptrdiff_t n = r.estimate_range(users, "a", "m");
  std::ptrdiff_t all = r.estimate_range(users, std::nullopt, std::nullopt);
  std::ptrdiff_t d = c.distance_to(other_cursor);
  std::optional<std::ptrdiff_t> step = c.estimate_move(EMDB_NEXT_NODUP);
  EXPECT_EQ(n, 3);
  EXPECT_EQ(all, 5);
  EXPECT_EQ(d, 1);  // c is on "mallory", other_cursor on "trent"
  EXPECT_EQ(step, std::optional<std::ptrdiff_t>(1));
}

}  // namespace
