// cursor_test.cpp — every cursor op on a plain table, cursor put/del, state queries, the cursor
// life cycle (create/bind/unbind/renew/copy), and cursors staying correctly positioned while the
// same txn changes the tree through other cursors or emdb_put/emdb_del.
#include <algorithm>
#include <map>
#include <set>

#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class CursorPlain : public EnvTest {
 protected:
  static constexpr int kN = 100;  // keys k00000000..k00000099, even numbers only: 0,2,..,198

  void SetUp() override {
    EnvTest::SetUp();
    open();
    dbi_ = table("plain");
    Txn t = write_txn();
    for (int i = 0; i < kN; ++i) ASSERT_OK(put(t, dbi_, key(i), val(i)));
    ASSERT_OK(t.commit());
    txn_ = write_txn();
    ASSERT_OK(c_.open(txn_, dbi_));
  }
  void TearDown() override {
    c_.close();
    txn_.abort();
    EnvTest::TearDown();
  }

  static std::string key(int i) { return key_n(uint64_t(i) * 2); }  // gaps for SET_RANGE
  static std::string val(int i) { return "v" + std::to_string(i); }

  // Runs op with an input key (and data) and checks the position it lands on.
  void expect_at(int rc_expected, EMDB_cursor_op op, const std::string& in_key, int at,
                 const std::string& in_data = std::string()) {
    EMDB_val k = V(in_key), d = in_data.empty() ? V0() : V(in_data);
    const int rc = emdb_cursor_get(c_, &k, &d, op);
    ASSERT_EQ(rc_expected, rc) << "op " << op << " key " << in_key << ": " << rc_name(rc);
    if (at >= 0) {
      if (op != EMDB_SET) {  // SET leaves the key argument as given
        EXPECT_EQ(key(at), S(k)) << "op " << op;
      }
      EXPECT_EQ(val(at), S(d)) << "op " << op;
    }
  }

  int current() {
    std::string k, v;
    const int rc = c_.get(&k, &v, EMDB_GET_CURRENT);
    if (rc != EMDB_SUCCESS) return -1000 + rc % 1000;
    for (int i = 0; i < kN; ++i)
      if (key(i) == k) return i;
    return -1;
  }

  EMDB_dbi dbi_ = 0;
  Txn txn_;
  Cursor c_;
};

TEST_F(CursorPlain, FirstLastNextPrev) {
  std::string k, v;
  ASSERT_OK(c_.get(&k, &v, EMDB_FIRST));
  EXPECT_EQ(key(0), k);
  EXPECT_EQ(val(0), v);
  for (int i = 1; i < kN; ++i) {
    ASSERT_OK(c_.get(&k, &v, EMDB_NEXT)) << i;
    ASSERT_EQ(key(i), k);
    ASSERT_EQ(val(i), v);
  }
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_NEXT));
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_NEXT));  // stays at the end
  ASSERT_OK(c_.get(&k, &v, EMDB_LAST));
  EXPECT_EQ(key(kN - 1), k);
  for (int i = kN - 2; i >= 0; --i) {
    ASSERT_OK(c_.get(&k, &v, EMDB_PREV)) << i;
    ASSERT_EQ(key(i), k);
  }
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_PREV));
}

TEST_F(CursorPlain, NextAndPrevOnFreshCursor) {
  std::string k, v;
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT));  // like FIRST
  EXPECT_EQ(key(0), k);
  Cursor c2;
  ASSERT_OK(c2.open(txn_, dbi_));
  ASSERT_OK(c2.get(&k, &v, EMDB_PREV));  // like LAST
  EXPECT_EQ(key(kN - 1), k);
}

TEST_F(CursorPlain, PrevAfterRunningOffTheEnd) {
  std::string k, v;
  ASSERT_OK(c_.get(&k, &v, EMDB_LAST));
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_NEXT));
  ASSERT_OK(c_.get(&k, &v, EMDB_PREV));
  EXPECT_EQ(key(kN - 1), k);
  ASSERT_OK(c_.get(&k, &v, EMDB_PREV));
  EXPECT_EQ(key(kN - 2), k);
}

TEST_F(CursorPlain, SetSetKeySetRange) {
  expect_at(EMDB_SUCCESS, EMDB_SET, key(10), 10);
  expect_at(EMDB_SUCCESS, EMDB_SET_KEY, key(11), 11);
  expect_at(EMDB_NOTFOUND, EMDB_SET, key_n(21), -1);  // odd: between keys
  expect_at(EMDB_NOTFOUND, EMDB_SET_KEY, "zzz", -1);
  expect_at(EMDB_SUCCESS, EMDB_SET_RANGE, key(30), 30);
  expect_at(EMDB_SUCCESS, EMDB_SET_RANGE, key_n(61), 31);  // next greater
  expect_at(EMDB_SUCCESS, EMDB_SET_RANGE, "", 0);
  expect_at(EMDB_SUCCESS, EMDB_SET_RANGE, "a", 0);
  expect_at(EMDB_NOTFOUND, EMDB_SET_RANGE, key_n(199), -1);
  // After a SET the cursor moves on from there.
  expect_at(EMDB_SUCCESS, EMDB_SET, key(50), 50);
  std::string k, v;
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT));
  EXPECT_EQ(key(51), k);
  ASSERT_OK(c_.get(&k, &v, EMDB_GET_CURRENT));
  EXPECT_EQ(key(51), k);
  EXPECT_EQ(val(51), v);
  ASSERT_OK(c_.get(&k, &v, EMDB_PREV));
  ASSERT_OK(c_.get(&k, &v, EMDB_PREV));
  EXPECT_EQ(key(49), k);
}

TEST_F(CursorPlain, LowerAndUpperBound) {
  // SET_LOWERBOUND: SUCCESS on an exact match, RESULT_TRUE on a greater key.
  expect_at(EMDB_SUCCESS, EMDB_SET_LOWERBOUND, key(20), 20, "x");
  expect_at(EMDB_RESULT_TRUE, EMDB_SET_LOWERBOUND, key_n(41), 21, "x");
  expect_at(EMDB_NOTFOUND, EMDB_SET_LOWERBOUND, key_n(999), -1, "x");
  // SET_UPPERBOUND: the first key strictly greater.
  expect_at(EMDB_SUCCESS, EMDB_SET_UPPERBOUND, key(20), 21, "x");
  expect_at(EMDB_SUCCESS, EMDB_SET_UPPERBOUND, key_n(41), 21, "x");
  expect_at(EMDB_NOTFOUND, EMDB_SET_UPPERBOUND, key(kN - 1), -1, "x");
  expect_at(EMDB_SUCCESS, EMDB_SET_UPPERBOUND, "", 0, "x");
}

TEST_F(CursorPlain, DupOpsOnPlainTable) {
  std::string k, v;
  ASSERT_OK(c_.get(&k, &v, EMDB_FIRST));
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT));
  // Each key has exactly one value.
  ASSERT_OK(c_.get(&k, &v, EMDB_FIRST_DUP));
  EXPECT_EQ(val(1), v);
  ASSERT_OK(c_.get(&k, &v, EMDB_LAST_DUP));
  EXPECT_EQ(val(1), v);
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_NEXT_DUP));
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_PREV_DUP));
  // NODUP moves are plain moves.
  const std::string sk_key = key(1);
  EMDB_val sk = V(sk_key), sd = V0();
  ASSERT_OK(emdb_cursor_get(c_, &sk, &sd, EMDB_SET_KEY));
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT_NODUP));
  EXPECT_EQ(key(2), k);
  ASSERT_OK(c_.get(&k, &v, EMDB_PREV_NODUP));
  EXPECT_EQ(key(1), k);
  size_t n = 0;
  ASSERT_OK(emdb_cursor_count(c_, &n));
  EXPECT_EQ(1u, n);
  // Ops that need a DUPSORT / DUPFIXED table.
  EMDB_val kk = V(k), dd = V(v);
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_cursor_get(c_, &kk, &dd, EMDB_GET_BOTH));
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_cursor_get(c_, &kk, &dd, EMDB_GET_BOTH_RANGE));
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_cursor_get(c_, &kk, &dd, EMDB_GET_MULTIPLE));
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_cursor_get(c_, &kk, &dd, EMDB_NEXT_MULTIPLE));
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_cursor_get(c_, &kk, &dd, EMDB_PREV_MULTIPLE));
  // The failed ops did not move the cursor.
  EXPECT_EQ(1, current());
}

TEST_F(CursorPlain, EmptyTable) {
  const EMDB_dbi empty = [&] {
    EMDB_dbi d;
    EXPECT_OK(emdb_dbi_open(txn_, "empty", EMDB_CREATE, &d));
    return d;
  }();
  Cursor c;
  ASSERT_OK(c.open(txn_, empty));
  std::string k, v;
  EXPECT_RC(EMDB_NOTFOUND, c.get(&k, &v, EMDB_FIRST));
  EXPECT_RC(EMDB_NOTFOUND, c.get(&k, &v, EMDB_LAST));
  EXPECT_RC(EMDB_NOTFOUND, c.get(&k, &v, EMDB_NEXT));
  EXPECT_RC(EMDB_NOTFOUND, c.get(&k, &v, EMDB_PREV));
  EMDB_val kk = V("a", 1), dd = V0();
  EXPECT_RC(EMDB_NOTFOUND, emdb_cursor_get(c, &kk, &dd, EMDB_SET));
  EXPECT_RC(EMDB_NOTFOUND, emdb_cursor_get(c, &kk, &dd, EMDB_SET_RANGE));
  EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_eof(c));
}

TEST_F(CursorPlain, StateQueries) {
  EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_eof(c_));  // not positioned
  std::string k, v;
  ASSERT_OK(c_.get(&k, &v, EMDB_FIRST));
  EXPECT_EQ(EMDB_RESULT_FALSE, emdb_cursor_eof(c_));
  EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_on_first(c_));
  EXPECT_EQ(EMDB_RESULT_FALSE, emdb_cursor_on_last(c_));
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT));
  EXPECT_EQ(EMDB_RESULT_FALSE, emdb_cursor_on_first(c_));
  EXPECT_EQ(EMDB_RESULT_FALSE, emdb_cursor_on_last(c_));
  ASSERT_OK(c_.get(&k, &v, EMDB_LAST));
  EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_on_last(c_));
  EXPECT_EQ(EMDB_RESULT_FALSE, emdb_cursor_on_first(c_));
  EXPECT_EQ(EMDB_RESULT_FALSE, emdb_cursor_eof(c_));
  // On a plain table every position is the first and last "dup".
  EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_on_first_dup(c_));
  EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_on_last_dup(c_));
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_NEXT));
  EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_eof(c_));
}

TEST_F(CursorPlain, CursorPutAndDel) {
  const std::string nk = key_n(21), nv = "new";
  EMDB_val k = V(nk), d = V(nv);
  ASSERT_OK(emdb_cursor_put(c_, &k, &d, EMDB_UPSERT));
  std::string gk, gv;
  ASSERT_OK(c_.get(&gk, &gv, EMDB_GET_CURRENT));  // positioned at the new item
  EXPECT_EQ(nk, gk);
  EXPECT_EQ(nv, gv);
  ASSERT_OK(c_.get(&gk, &gv, EMDB_NEXT));
  EXPECT_EQ(key(11), gk);
  // CURRENT replaces the value at the cursor; the key must match.
  const std::string cur = key(11), repl = "replaced, longer than before";
  k = V(cur);
  d = V(repl);
  ASSERT_OK(emdb_cursor_put(c_, &k, &d, EMDB_CURRENT));
  ASSERT_OK(c_.get(&gk, &gv, EMDB_GET_CURRENT));
  EXPECT_EQ(cur, gk);
  EXPECT_EQ(repl, gv);
  const std::string other = key(12);
  k = V(other);
  EXPECT_RC(EMDB_EKEYMISMATCH, emdb_cursor_put(c_, &k, &d, EMDB_CURRENT));
  std::string v;
  ASSERT_OK(get(txn_, dbi_, key(12), &v));
  EXPECT_EQ(val(12), v);
  // NOOVERWRITE through a cursor.
  k = V(other);
  const std::string attempt = "attempt";
  d = V(attempt);
  EXPECT_RC(EMDB_KEYEXIST, emdb_cursor_put(c_, &k, &d, EMDB_NOOVERWRITE));
  EXPECT_EQ(val(12), S(d));
  // Delete at the cursor: GET_CURRENT and NEXT both give the following item.
  EMDB_val sk = V(other), sd = V0();
  ASSERT_OK(emdb_cursor_get(c_, &sk, &sd, EMDB_SET_KEY));
  ASSERT_OK(emdb_cursor_del(c_, EMDB_CURRENT));
  EXPECT_RC(EMDB_NOTFOUND, get(txn_, dbi_, key(12), &v));
  ASSERT_OK(c_.get(&gk, &gv, EMDB_GET_CURRENT));
  EXPECT_EQ(key(13), gk);
  ASSERT_OK(c_.get(&gk, &gv, EMDB_NEXT));
  EXPECT_EQ(key(13), gk);
  ASSERT_OK(c_.get(&gk, &gv, EMDB_NEXT));
  EXPECT_EQ(key(14), gk);
  // PREV after a delete gives the item before the deleted one.
  ASSERT_OK(emdb_cursor_del(c_, EMDB_CURRENT));  // deletes key(14)
  ASSERT_OK(c_.get(&gk, &gv, EMDB_PREV));
  EXPECT_EQ(key(13), gk);
  // Deleting the last item, then NEXT: not found.
  ASSERT_OK(c_.get(&gk, &gv, EMDB_LAST));
  ASSERT_OK(emdb_cursor_del(c_, EMDB_CURRENT));
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&gk, &gv, EMDB_NEXT));
  EMDB_stat st;
  ASSERT_OK(emdb_dbi_stat(txn_, dbi_, &st, sizeof st));
  EXPECT_EQ(uint64_t(kN + 1 - 3), st.ms_entries);
}

TEST_F(CursorPlain, DeleteWhileIterating) {
  std::string k, v;
  // Delete every other item in one forward pass.
  int rc = c_.get(&k, &v, EMDB_FIRST);
  int i = 0;
  while (rc == EMDB_SUCCESS) {
    if (i % 2 == 0) {
      ASSERT_OK(emdb_cursor_del(c_, EMDB_CURRENT));
    }
    rc = c_.get(&k, &v, EMDB_NEXT);
    ++i;
  }
  ASSERT_RC(EMDB_NOTFOUND, rc);
  EXPECT_EQ(kN, i);
  Pairs p;
  ASSERT_OK(collect(txn_, dbi_, &p));
  ASSERT_EQ(size_t(kN / 2), p.size());
  for (int j = 0; j < kN / 2; ++j) EXPECT_EQ(key(2 * j + 1), p[j].first);
  // Delete everything from the front.
  while (c_.get(&k, &v, EMDB_FIRST) == EMDB_SUCCESS) ASSERT_OK(emdb_cursor_del(c_, EMDB_CURRENT));
  ASSERT_OK(collect(txn_, dbi_, &p));
  EXPECT_TRUE(p.empty());
  // And the table works again.
  ASSERT_OK(put(txn_, dbi_, "again", "1"));
  ASSERT_OK(c_.get(&k, &v, EMDB_FIRST));
  EXPECT_EQ("again", k);
}

TEST_F(CursorPlain, ReadOnlyCursorRefusesWrites) {
  Txn r;
  txn_.abort();  // one txn per thread
  c_.close();
  r = read_txn();
  Cursor c;
  ASSERT_OK(c.open(r, dbi_));
  std::string k, v;
  ASSERT_OK(c.get(&k, &v, EMDB_FIRST));
  EMDB_val kk = V(k), dd = V(v);
  EXPECT_RC(EMDB_EACCESS, emdb_cursor_put(c, &kk, &dd, EMDB_UPSERT));
  EXPECT_RC(EMDB_EACCESS, emdb_cursor_del(c, EMDB_CURRENT));
}

TEST_F(CursorPlain, LifeCycle) {
  int ctx = 0;
  EMDB_cursor* c = emdb_cursor_create(&ctx);
  ASSERT_NE(nullptr, c);
  Cursor owner(c);
  EXPECT_EQ(&ctx, emdb_cursor_get_userctx(c));
  int ctx2 = 0;
  ASSERT_OK(emdb_cursor_set_userctx(c, &ctx2));
  EXPECT_EQ(&ctx2, emdb_cursor_get_userctx(c));
  EXPECT_EQ(nullptr, emdb_cursor_txn(c));
  ASSERT_OK(emdb_cursor_bind(txn_, c, dbi_));
  EXPECT_EQ(txn_.get(), emdb_cursor_txn(c));
  EXPECT_EQ(dbi_, emdb_cursor_dbi(c));
  std::string k, v;
  ASSERT_OK(owner.get(&k, &v, EMDB_LAST));
  EXPECT_EQ(key(kN - 1), k);
  // copy: the destination lands on the same item.
  EMDB_cursor* d = emdb_cursor_create(nullptr);
  Cursor downer(d);
  ASSERT_OK(emdb_cursor_copy(c, d));
  EXPECT_EQ(txn_.get(), emdb_cursor_txn(d));
  EXPECT_EQ(dbi_, emdb_cursor_dbi(d));
  ASSERT_OK(downer.get(&k, &v, EMDB_GET_CURRENT));
  EXPECT_EQ(key(kN - 1), k);
  ASSERT_OK(downer.get(&k, &v, EMDB_PREV));
  EXPECT_EQ(key(kN - 2), k);
  ASSERT_OK(owner.get(&k, &v, EMDB_GET_CURRENT));  // the source did not move
  EXPECT_EQ(key(kN - 1), k);
  // unbind, then bind to another table of the same txn.
  ASSERT_OK(emdb_cursor_unbind(c));
  EXPECT_EQ(nullptr, emdb_cursor_txn(c));
  EMDB_dbi other;
  ASSERT_OK(emdb_dbi_open(txn_, "other", EMDB_CREATE, &other));
  ASSERT_OK(put(txn_, other, "o", "1"));
  ASSERT_OK(emdb_cursor_bind(txn_, c, other));
  EXPECT_EQ(other, emdb_cursor_dbi(c));
  ASSERT_OK(owner.get(&k, &v, EMDB_FIRST));
  EXPECT_EQ("o", k);
  // Rebinding a bound cursor to another table is allowed too.
  ASSERT_OK(emdb_cursor_bind(txn_, c, dbi_));
  ASSERT_OK(owner.get(&k, &v, EMDB_FIRST));
  EXPECT_EQ(key(0), k);
  // renew in a new txn, same table.
  downer.close();
  ASSERT_OK(txn_.commit());
  EXPECT_EQ(nullptr, emdb_cursor_txn(c));
  Txn r = read_txn();
  ASSERT_OK(emdb_cursor_renew(r, c));
  EXPECT_EQ(r.get(), emdb_cursor_txn(c));
  EXPECT_EQ(dbi_, emdb_cursor_dbi(c));
  ASSERT_OK(owner.get(&k, &v, EMDB_FIRST));
  EXPECT_EQ(key(0), k);
  owner.close();
  r.abort();
  // c_ was bound to the committed txn; closing it afterwards (TearDown) is allowed.
}

TEST_F(CursorPlain, BigTreeWalksBothWays) {
  std::map<std::string, std::string> model;
  for (int i = 0; i < kN; ++i) model[key(i)] = val(i);
  for (int i = 0; i < 20000; ++i) {
    const std::string k = key_n(uint64_t(i) * 7 + 1, 9, "b");
    const std::string v = value_n(i, i % 50);
    ASSERT_OK(put(txn_, dbi_, k, v));
    model[k] = v;
  }
  Pairs fwd, back;
  ASSERT_OK(collect(txn_, dbi_, &fwd));
  ASSERT_OK(collect_reverse(txn_, dbi_, &back));
  ASSERT_EQ(model.size(), fwd.size());
  std::reverse(back.begin(), back.end());
  EXPECT_EQ(fwd, back);
  size_t i = 0;
  for (const auto& kv : model) {
    ASSERT_EQ(kv.first, fwd[i].first);
    ASSERT_EQ(kv.second, fwd[i].second);
    ++i;
  }
}

// Cursor A keeps pointing at "its" item while the tree changes under it.
TEST_F(CursorPlain, StaysPositionedAcrossInsertsAndSplits) {
  const std::string k_key = key(50);
  EMDB_val k = V(k_key), d = V0();
  ASSERT_OK(emdb_cursor_get(c_, &k, &d, EMDB_SET_KEY));
  // Insert before and after through emdb_put.
  ASSERT_OK(put(txn_, dbi_, key_n(25), "between"));
  ASSERT_OK(put(txn_, dbi_, key_n(151), "between"));
  EXPECT_EQ(50, current());
  // Thousands of inserts around it: pages split, the cursor stays on key(50).
  for (int i = 0; i < 5000; ++i) {
    const std::string kk = key_n(uint64_t(i % 200) * 1000 + 100 + i, 12, "k");
    ASSERT_OK(put(txn_, dbi_, kk, value_n(i, 40)));
  }
  ASSERT_EQ(50, current());
  std::string gk, gv;
  ASSERT_OK(c_.get(&gk, &gv, EMDB_GET_CURRENT));
  EXPECT_EQ(val(50), gv);
  // The walk from here is still in order.
  std::string prev = gk;
  for (int i = 0; i < 500; ++i) {
    if (c_.get(&gk, &gv, EMDB_NEXT) != EMDB_SUCCESS) break;
    ASSERT_LT(prev, gk);
    prev = gk;
  }
  // Through a second cursor too (k was overwritten with a view; rebuild it).
  k = V(k_key);
  ASSERT_OK(emdb_cursor_get(c_, &k, &d, EMDB_SET_KEY));
  Cursor b;
  ASSERT_OK(b.open(txn_, dbi_));
  const std::string bk = key_n(101), bv = "via cursor b";
  EMDB_val kb = V(bk), db = V(bv);
  ASSERT_OK(emdb_cursor_put(b, &kb, &db, EMDB_UPSERT));
  EXPECT_EQ(50, current());
}

TEST_F(CursorPlain, DeletingItemUnderCursorViaOtherCursor) {
  const std::string k_key = key(40);
  EMDB_val k = V(k_key), d = V0();
  ASSERT_OK(emdb_cursor_get(c_, &k, &d, EMDB_SET_KEY));
  Cursor b;
  ASSERT_OK(b.open(txn_, dbi_));
  const std::string kb_key = key(40);
  EMDB_val kb = V(kb_key), db = V0();
  ASSERT_OK(emdb_cursor_get(b, &kb, &db, EMDB_SET_KEY));
  ASSERT_OK(emdb_cursor_del(b, EMDB_CURRENT));
  std::string gk, gv;
  ASSERT_OK(c_.get(&gk, &gv, EMDB_NEXT));
  EXPECT_EQ(key(41), gk);
  EXPECT_EQ(val(41), gv);
  ASSERT_OK(c_.get(&gk, &gv, EMDB_NEXT));
  EXPECT_EQ(key(42), gk);
}

TEST_F(CursorPlain, DeletingItemUnderCursorViaDel) {
  const std::string k_key = key(60);
  EMDB_val k = V(k_key), d = V0();
  ASSERT_OK(emdb_cursor_get(c_, &k, &d, EMDB_SET_KEY));
  ASSERT_OK(del(txn_, dbi_, key(60)));
  std::string gk, gv;
  ASSERT_OK(c_.get(&gk, &gv, EMDB_NEXT));
  EXPECT_EQ(key(61), gk);
  // Deleting neighbours does not disturb it.
  ASSERT_OK(del(txn_, dbi_, key(59)));
  ASSERT_OK(del(txn_, dbi_, key(62)));
  EXPECT_EQ(61, current());
  ASSERT_OK(c_.get(&gk, &gv, EMDB_NEXT));
  EXPECT_EQ(key(63), gk);
  ASSERT_OK(c_.get(&gk, &gv, EMDB_PREV));
  EXPECT_EQ(key(61), gk);
  ASSERT_OK(c_.get(&gk, &gv, EMDB_PREV));
  EXPECT_EQ(key(58), gk);
}

TEST_F(CursorPlain, MassDeleteAroundCursor) {
  // Many deletes (page merges) on both sides; the cursor keeps its item.
  const std::string k_key = key(50);
  EMDB_val k = V(k_key), d = V0();
  for (int i = 0; i < 3000; ++i) ASSERT_OK(put(txn_, dbi_, key_n(100000 + i), value_n(i, 100)));
  ASSERT_OK(emdb_cursor_get(c_, &k, &d, EMDB_SET_KEY));
  for (int i = 0; i < kN; ++i)
    if (i != 50) {
      ASSERT_OK(del(txn_, dbi_, key(i)));
    }
  for (int i = 0; i < 3000; i += 2) ASSERT_OK(del(txn_, dbi_, key_n(100000 + i)));
  std::string gk, gv;
  ASSERT_OK(c_.get(&gk, &gv, EMDB_GET_CURRENT));
  EXPECT_EQ(key(50), gk);
  EXPECT_EQ(val(50), gv);
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&gk, &gv, EMDB_PREV));  // it is the first item now
  const std::string k2_key = key(50);
  EMDB_val k2 = V(k2_key), d2 = V0();
  ASSERT_OK(emdb_cursor_get(c_, &k2, &d2, EMDB_SET_KEY));
  ASSERT_OK(c_.get(&gk, &gv, EMDB_NEXT));
  EXPECT_EQ(key_n(100001), gk);
}

TEST_F(CursorPlain, CursorsInNestedTxn) {
  std::string gk, gv;
  ASSERT_OK(c_.get(&gk, &gv, EMDB_FIRST));
  Txn child;
  ASSERT_OK(child.begin(env(), EMDB_TXN_READWRITE, txn_));
  {
    Cursor cc;
    ASSERT_OK(cc.open(child, dbi_));
    ASSERT_OK(cc.get(&gk, &gv, EMDB_LAST));
    EXPECT_EQ(key(kN - 1), gk);
    ASSERT_OK(emdb_cursor_del(cc, EMDB_CURRENT));
  }
  ASSERT_OK(child.abort());
  // The parent's cursor is usable again and the delete is gone.
  ASSERT_OK(c_.get(&gk, &gv, EMDB_GET_CURRENT));
  EXPECT_EQ(key(0), gk);
  ASSERT_OK(c_.get(&gk, &gv, EMDB_LAST));
  EXPECT_EQ(key(kN - 1), gk);
}

}  // namespace
}  // namespace emdb_test

namespace emdb_test {
namespace {

// Many cursors parked on items while thousands of inserts and deletes (page splits and merges)
// happen around them in the same txn: each must still stand on its item, with the right
// neighbours on both sides.
class CursorTracking : public EnvTest, public ::testing::WithParamInterface<int> {};

TEST_P(CursorTracking, ManyCursorsKeepTheirItems) {
  const bool dup = GetParam() != 0;
  EnvOptions o;
  o.pagesize = 256;  // small pages: many splits and merges
  open(o);
  const EMDB_dbi dbi = table("t", dup ? EMDB_DUPSORT : 0);
  std::mt19937_64 rng(test_seed_for(dup ? "CursorTracking.dup" : "CursorTracking.plain"));
  std::set<Pair> model;  // (key, value); plain tables have one value per key
  auto kname = [](uint64_t i) { return key_n(i, 6); };
  Txn t = write_txn();
  for (int i = 0; i < 600; ++i) {
    const std::string k = kname(rng() % 2000);
    const std::string v = dup ? key_n(rng() % 4, 2, "v") : value_n(i, 8);
    if (!dup)
      for (auto it = model.lower_bound(Pair(k, "")); it != model.end() && it->first == k;)
        it = model.erase(it);
    ASSERT_OK(put(t, dbi, k, v));
    model.emplace(k, v);
  }
  // Park 40 cursors on random items; their items are never deleted below.
  std::vector<Cursor> cursors(40);
  std::vector<Pair> parked;
  for (auto& c : cursors) {
    auto it = model.begin();
    std::advance(it, long(rng() % model.size()));
    ASSERT_OK(c.open(t, dbi));
    EMDB_val k = V(it->first), d = V(it->second);
    ASSERT_OK(emdb_cursor_get(c, &k, &d, dup ? EMDB_GET_BOTH : EMDB_SET_KEY));
    parked.push_back(*it);
  }
  const std::set<Pair> protect(parked.begin(), parked.end());
  for (int step = 0; step < 4000; ++step) {
    const std::string k = kname(rng() % 2000);
    if (rng() % 2) {
      const std::string v = dup ? key_n(rng() % 4, 2, "v") : value_n(step, rng() % 40);
      if (!dup) {
        auto it = model.lower_bound(Pair(k, ""));
        if (it != model.end() && it->first == k) {
          if (protect.count(*it)) continue;  // would change a parked item's value
          model.erase(it);
        }
      }
      ASSERT_OK(put(t, dbi, k, v)) << step;
      model.emplace(k, v);
    } else {
      auto it = model.lower_bound(Pair(k, ""));
      if (it == model.end() || protect.count(*it)) continue;
      ASSERT_OK(dup ? del(t, dbi, it->first, it->second) : del(t, dbi, it->first)) << step;
      model.erase(it);
    }
  }
  for (size_t i = 0; i < cursors.size(); ++i) {
    SCOPED_TRACE("cursor " + std::to_string(i) + " parked at " + parked[i].first + "/" +
                 parked[i].second);
    std::string k, v;
    ASSERT_OK(cursors[i].get(&k, &v, EMDB_GET_CURRENT));
    EXPECT_EQ(parked[i], Pair(k, v));
    auto it = model.find(parked[i]);
    ASSERT_NE(model.end(), it);
    auto next = std::next(it);
    if (next == model.end()) {
      EXPECT_RC(EMDB_NOTFOUND, cursors[i].get(&k, &v, EMDB_NEXT));
      // Past the end now (PREV would give the last item itself): stand on the item again.
      EMDB_val sk = V(parked[i].first), sd = V(parked[i].second);
      ASSERT_OK(emdb_cursor_get(cursors[i], &sk, &sd, dup ? EMDB_GET_BOTH : EMDB_SET_KEY));
    } else {
      ASSERT_OK(cursors[i].get(&k, &v, EMDB_NEXT));
      EXPECT_EQ(*next, Pair(k, v));
      ASSERT_OK(cursors[i].get(&k, &v, EMDB_PREV));
      EXPECT_EQ(parked[i], Pair(k, v));
    }
    if (it == model.begin()) {
      EXPECT_RC(EMDB_NOTFOUND, cursors[i].get(&k, &v, EMDB_PREV));
    } else {
      ASSERT_OK(cursors[i].get(&k, &v, EMDB_PREV));
      EXPECT_EQ(*std::prev(it), Pair(k, v));
    }
  }
  for (auto& c : cursors) c.close();
  Pairs all;
  ASSERT_OK(collect(t, dbi, &all));
  EXPECT_EQ(std::vector<Pair>(model.begin(), model.end()), all);
}

INSTANTIATE_TEST_SUITE_P(Tables, CursorTracking, ::testing::Values(0, 1),
                         [](const auto& info) { return info.param ? "dupsort" : "plain"; });

}  // namespace
}  // namespace emdb_test
