// emdb::cursor and the iteration adaptors: moves, order, DUPSORT values, writes, binding.
#include <algorithm>
#include <iterator>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

#include "cpp_test_util.hpp"

namespace {

using emdb_test::key_of;
using emdb_test::str;
using emdb_test::value_of;

using emdb_test::code_of;

static_assert(std::ranges::input_range<emdb::cursor_range>);
static_assert(std::input_iterator<emdb::cursor_range::iterator>);
static_assert(std::sentinel_for<std::default_sentinel_t, emdb::cursor_range::iterator>);
static_assert(!std::is_copy_constructible_v<emdb::cursor>);
static_assert(std::is_nothrow_move_constructible_v<emdb::cursor>);
static_assert(!std::is_copy_constructible_v<emdb::txn>);
static_assert(std::is_nothrow_move_constructible_v<emdb::txn>);
static_assert(!std::is_copy_constructible_v<emdb::env>);
static_assert(std::is_nothrow_move_constructible_v<emdb::env>);

using kv = std::pair<std::string, std::string>;

/** Copies every pair of a range (the views die with the txn; the copies do not). */
template <class Range>
std::vector<kv> collect(Range &&range) {
  std::vector<kv> out;
  for (auto [k, v] : range) out.emplace_back(k.to_string(), v.to_string());
  return out;
}

class Cursor : public emdb_test::env_fixture {
 protected:
  void SetUp() override {
    env_fixture::SetUp();
    emdb::txn w = env.begin_write();
    t = w.create_table("t");
    dups = w.create_table("dups", EMDB_DUPSORT);
    empty = w.create_table("empty");
    // inserted out of order; stored in key order
    for (const char *k : {"d", "b", "e", "a", "c"}) w.put(t, k, std::string("v") + k);
    for (const char *v : {"3", "1", "2"}) w.put(dups, "x", v);
    w.put(dups, "w", "only");
    for (const char *v : {"9", "8"}) w.put(dups, "y", v);
    w.commit();
  }
  emdb::table t, dups, empty;
};

TEST_F(Cursor, ForwardAndBackwardOrder) {
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(t);
  EXPECT_TRUE(c);
  std::string forward;
  for (auto p = c.to_first(); p; p = c.to_next()) forward += p->key.view();
  EXPECT_EQ(forward, "abcde");
  EXPECT_TRUE(c.eof());
  std::string backward;
  for (auto p = c.to_last(); p; p = c.to_prev()) backward += p->key.view();
  EXPECT_EQ(backward, "edcba");
}

TEST_F(Cursor, EmptyTable) {
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(empty);
  EXPECT_FALSE(c.to_first().has_value());
  EXPECT_FALSE(c.to_last().has_value());
  EXPECT_TRUE(c.eof());
  EXPECT_TRUE(collect(c.range()).empty());
  EXPECT_TRUE(collect(r.scan(empty)).empty());
  EXPECT_EQ(std::ranges::distance(r.scan(empty)), 0);
}

TEST_F(Cursor, PositionQueries) {
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(t);
  auto first = c.to_first();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->key, "a");
  EXPECT_EQ(first->value, "va");
  EXPECT_TRUE(c.on_first());
  EXPECT_FALSE(c.on_last());
  EXPECT_FALSE(c.eof());
  EXPECT_EQ(c.count(), 1u);
  const emdb::kv_pair cur = c.current();
  EXPECT_EQ(cur.key, "a");
  EXPECT_EQ(cur.value, "va");
  ASSERT_TRUE(c.to_last());
  EXPECT_TRUE(c.on_last());
  EXPECT_FALSE(c.on_first());
  EXPECT_FALSE(c.to_next().has_value());
  EXPECT_TRUE(c.eof());
}

TEST_F(Cursor, SeekAndLowerBound) {
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(t);
  const auto hit = c.seek("c");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->key, "c");
  EXPECT_EQ(hit->value, "vc");
  EXPECT_EQ(key_of(c.to_next()), "d");  // seek positions the cursor
  EXPECT_FALSE(c.seek("cc").has_value());
  const auto lb = c.lower_bound("cc");
  ASSERT_TRUE(lb);
  EXPECT_EQ(lb->key, "d");
  EXPECT_EQ(key_of(c.lower_bound("")), "a");
  EXPECT_FALSE(c.lower_bound("f").has_value());
}

TEST_F(Cursor, CurrentOnAnUnpositionedCursorThrows) {
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(t);
  EXPECT_NE(code_of([&] { (void)c.current(); }), 0);
}

TEST_F(Cursor, DupsortNavigation) {
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(dups);
  // all pairs, key order then value order
  const std::vector<kv> all = collect(c.range());
  const std::vector<kv> expected{{"w", "only"}, {"x", "1"}, {"x", "2"},
                                 {"x", "3"},    {"y", "8"}, {"y", "9"}};
  EXPECT_EQ(all, expected);

  auto p = c.seek("x");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->value, "1");
  EXPECT_TRUE(c.on_first_dup());
  EXPECT_EQ(value_of(c.to_next_dup()), "2");
  EXPECT_EQ(value_of(c.to_next_dup()), "3");
  EXPECT_TRUE(c.on_last_dup());
  EXPECT_FALSE(c.to_next_dup().has_value());
  EXPECT_EQ(value_of(c.to_first_dup()), "1");
  EXPECT_EQ(value_of(c.to_last_dup()), "3");
  EXPECT_EQ(value_of(c.to_prev_dup()), "2");
  const auto next_key = c.to_next_key();
  ASSERT_TRUE(next_key);
  EXPECT_EQ(next_key->key, "y");
  EXPECT_EQ(next_key->value, "8");
  const auto prev_key = c.to_prev_key();
  ASSERT_TRUE(prev_key);
  EXPECT_EQ(prev_key->key, "x");
  EXPECT_EQ(prev_key->value, "3");  // the last value of the previous key

  const auto exact = c.find("x", "2");
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->key, "x");
  EXPECT_EQ(exact->value, "2");
  EXPECT_FALSE(c.find("x", "4").has_value());
  const auto at_least = c.lower_bound_dup("y", "85");
  ASSERT_TRUE(at_least);
  EXPECT_EQ(at_least->value, "9");
  EXPECT_FALSE(c.lower_bound_dup("w", "p").has_value());

  ASSERT_TRUE(c.seek("x"));
  EXPECT_EQ(c.count(), 3u);
  ASSERT_TRUE(c.seek("w"));
  EXPECT_EQ(c.count(), 1u);
}

// count() is a query: it must not move the cursor or reset its position among the values.
TEST_F(Cursor, CountDoesNotDisturbTheDupPosition) {
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(dups);
  ASSERT_EQ(value_of(c.seek("x")), "1");
  EXPECT_EQ(c.count(), 3u);
  EXPECT_EQ(value_of(c.to_next_dup()), "2");  // then the next value of the same key
  EXPECT_EQ(c.count(), 3u);
  EXPECT_EQ(value_of(c.to_next()), "3");  // NEXT must not skip the remaining values
  EXPECT_EQ(key_of(c.current()), "x");
}

TEST_F(Cursor, ValuesOfOneKey) {
  emdb::txn r = env.begin_read();
  EXPECT_EQ(collect(r.values(dups, "x")), (std::vector<kv>{{"x", "1"}, {"x", "2"}, {"x", "3"}}));
  EXPECT_EQ(collect(r.values(dups, "w")), (std::vector<kv>{{"w", "only"}}));
  EXPECT_TRUE(collect(r.values(dups, "missing")).empty());
  // the key may be a temporary: the range positions its cursor when it is made
  EXPECT_EQ(std::ranges::distance(r.values(dups, std::string("y"))), 2);
  emdb::cursor c = r.open_cursor(dups);
  std::vector<std::string> values;
  for (auto [k, v] : c.values("y")) {
    EXPECT_EQ(k, "y");
    values.push_back(v.to_string());
  }
  EXPECT_EQ(values, (std::vector<std::string>{"8", "9"}));
  // on a table without DUPSORT a key has one value
  EXPECT_EQ(collect(r.values(t, "b")), (std::vector<kv>{{"b", "vb"}}));
}

TEST_F(Cursor, ScanAndRangeAdaptors) {
  emdb::txn r = env.begin_read();
  const std::vector<kv> expected{{"a", "va"}, {"b", "vb"}, {"c", "vc"}, {"d", "vd"}, {"e", "ve"}};
  EXPECT_EQ(collect(r.scan(t)), expected);
  std::size_t n = 0;
  for (auto pair : r.scan(t)) {
    EXPECT_EQ(pair.key, expected[n].first);
    ++n;
  }
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(collect(r.scan_from(t, "bb")),
            (std::vector<kv>{{"c", "vc"}, {"d", "vd"}, {"e", "ve"}}));
  EXPECT_TRUE(collect(r.scan_from(t, "z")).empty());

  emdb::cursor c = r.open_cursor(t);
  EXPECT_EQ(collect(c.range()), expected);
  EXPECT_EQ(collect(c.range_from("d")), (std::vector<kv>{{"d", "vd"}, {"e", "ve"}}));
  std::vector<kv> reversed(expected.rbegin(), expected.rend());
  EXPECT_EQ(collect(c.reverse_range()), reversed);
  // iterators work with the standard algorithms
  auto range = r.scan(t);
  const auto it = std::ranges::find_if(range, [](const emdb::kv_pair &p) { return p.key == "c"; });
  ASSERT_NE(it, range.end());
  EXPECT_EQ(it->value, "vc");
}

TEST_F(Cursor, RawMove) {
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(t);
  const auto p = c.move(EMDB_SET_KEY, "b");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->value, "vb");
  EXPECT_EQ(key_of(c.move(EMDB_NEXT)), "c");
  EXPECT_FALSE(c.move(EMDB_SET_KEY, "zz").has_value());
}

TEST_F(Cursor, PutInsertErase) {
  emdb::txn w = env.begin_write();
  emdb::cursor c = w.open_cursor(t);
  c.put("bb", "new");
  EXPECT_EQ(c.current().key, "bb");  // put leaves the cursor on the pair
  EXPECT_FALSE(c.insert("bb", "again"));
  EXPECT_TRUE(c.insert("f", "vf"));
  ASSERT_TRUE(c.seek("c"));
  c.put("c", "replaced", EMDB_CURRENT);
  EXPECT_EQ(str(w.get(t, "c")), "replaced");
  ASSERT_TRUE(c.seek("a"));
  c.erase();
  EXPECT_FALSE(w.get(t, "a").has_value());
  EXPECT_EQ(c.current().key, "b");  // the cursor stands on the pair that followed
  w.commit();
  emdb::txn r = env.begin_read();
  std::string keys;
  for (auto [k, v] : r.scan(t)) keys += k.view();
  EXPECT_EQ(keys, "bbbcdef");
}

TEST_F(Cursor, EraseOneDupOrAll) {
  emdb::txn w = env.begin_write();
  emdb::cursor c = w.open_cursor(dups);
  ASSERT_TRUE(c.find("x", "2"));
  c.erase();
  EXPECT_EQ(collect(w.values(dups, "x")), (std::vector<kv>{{"x", "1"}, {"x", "3"}}));
  ASSERT_TRUE(c.seek("y"));
  c.erase(true);
  EXPECT_FALSE(w.get(dups, "y").has_value());
  EXPECT_EQ(w.stat(dups).ms_entries, 3u);  // w:only, x:1, x:3
}

TEST_F(Cursor, WritesThroughAReadTxnCursorAreRefused) {
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(t);
  ASSERT_TRUE(c.to_first());
  EXPECT_EQ(code_of([&] { c.put("k", "v"); }), EMDB_EACCESS);
  EXPECT_EQ(code_of([&] { c.erase(); }), EMDB_EACCESS);
}

TEST_F(Cursor, CloneKeepsThePosition) {
  emdb::txn r = env.begin_read();
  emdb::cursor c = r.open_cursor(t);
  ASSERT_TRUE(c.seek("c"));
  emdb::cursor copy = c.clone();
  EXPECT_EQ(copy.current().key, "c");
  EXPECT_EQ(copy.get_table(), t);
  EXPECT_EQ(key_of(copy.to_next()), "d");
  EXPECT_EQ(c.current().key, "c");  // independent positions
}

TEST_F(Cursor, MoveTransfersOwnership) {
  emdb::txn r = env.begin_read();
  emdb::cursor a = r.open_cursor(t);
  ASSERT_TRUE(a.to_first());
  EMDB_cursor *const raw = a.handle();
  emdb::cursor b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.handle(), raw);
  EXPECT_EQ(b.current().key, "a");
  emdb::cursor c;
  c = std::move(b);
  EXPECT_EQ(key_of(c.to_next()), "b");
  c = r.open_cursor(dups);  // move-assign closes the previous cursor
  EXPECT_EQ(c.get_table(), dups);
  EMDB_cursor *released = c.release();
  EXPECT_FALSE(c);
  emdb::cursor adopted(released);
  EXPECT_EQ(key_of(adopted.to_first()), "w");
}

TEST_F(Cursor, OutlivesItsTxnAndRenews) {
  emdb::cursor c;
  {
    emdb::txn r = env.begin_read();
    c = r.open_cursor(t);
    EXPECT_EQ(key_of(c.to_first()), "a");
  }  // the txn ends first; the cursor is unbound, not freed
  {
    emdb::txn w = env.begin_write();
    w.put(t, "0", "first now");
    w.commit();
  }
  emdb::txn r = env.begin_read();
  c.renew(r);
  EXPECT_EQ(key_of(c.to_first()), "0");
  c.bind(r, dups);
  EXPECT_EQ(c.get_table(), dups);
  EXPECT_EQ(key_of(c.to_first()), "w");
  c.unbind();
  c.bind(r, t);
  EXPECT_EQ(key_of(c.to_last()), "e");
}

TEST_F(Cursor, BindCreatesTheCursor) {
  emdb::txn r = env.begin_read();
  emdb::cursor c;
  EXPECT_FALSE(c);
  c.bind(r, t);
  EXPECT_TRUE(c);
  EXPECT_EQ(key_of(c.to_first()), "a");
  c.close();
  EXPECT_FALSE(c);
}

TEST_F(Cursor, WriteTxnCursorDestroyedAfterCommit) {
  emdb::cursor c;
  {
    emdb::txn w = env.begin_write();
    c = w.open_cursor(t);
    c.put("z", "last");
    w.commit();
  }
  c.close();  // closing an unbound cursor after its txn is allowed
  emdb::txn r = env.begin_read();
  EXPECT_EQ(str(r.get(t, "z")), "last");
}

}  // namespace
