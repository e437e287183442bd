// dupsort_test.cpp — cursor ops on DUPSORT / DUPFIXED tables: dup moves, GET_BOTH(_RANGE),
// bounds, counts, MULTIPLE gets, cursor put/del of single values, positions under changes.
#include <algorithm>
#include <map>
#include <set>

#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class Dupsort : public EnvTest {
 protected:
  static constexpr int kKeys = 6;  // key i has 1 + 3*i values (a single value for key 0)

  void SetUp() override {
    EnvTest::SetUp();
    open();
    dbi_ = table("dup", EMDB_DUPSORT);
    Txn t = write_txn();
    for (int i = 0; i < kKeys; ++i)
      for (int j = 0; j < nvals(i); ++j) {
        ASSERT_OK(put(t, dbi_, key(i), val(j)));
        expect_.emplace_back(key(i), val(j));
      }
    ASSERT_OK(t.commit());
    txn_ = write_txn();
    ASSERT_OK(c_.open(txn_, dbi_));
  }
  void TearDown() override {
    c_.close();
    txn_.abort();
    EnvTest::TearDown();
  }

  static int nvals(int i) { return 1 + 3 * i; }
  static std::string key(int i) { return key_n(uint64_t(i) * 2, 3); }
  static std::string val(int j) { return key_n(uint64_t(j) * 2, 3, "v"); }  // gaps: v000, v002..

  // Positions with an op taking key and data.
  int seek(EMDB_cursor_op op, const std::string& k, const std::string& d, std::string* ok,
           std::string* od) {
    EMDB_val kk = V(k), dd = V(d);
    const int rc = emdb_cursor_get(c_, &kk, &dd, op);
    if (rc == EMDB_SUCCESS || rc == EMDB_RESULT_TRUE) {
      *ok = S(kk);
      *od = S(dd);
    }
    return rc;
  }

  EMDB_dbi dbi_ = 0;
  Pairs expect_;
  Txn txn_;
  Cursor c_;
};

TEST_F(Dupsort, WalkAllPairsBothWays) {
  Pairs fwd, back;
  ASSERT_OK(collect(txn_, dbi_, &fwd));
  EXPECT_EQ(expect_, fwd);
  ASSERT_OK(collect_reverse(txn_, dbi_, &back));
  std::reverse(back.begin(), back.end());
  EXPECT_EQ(expect_, back);
  std::string k, v;
  ASSERT_OK(c_.get(&k, &v, EMDB_FIRST));
  EXPECT_EQ(key(0), k);
  EXPECT_EQ(val(0), v);
  ASSERT_OK(c_.get(&k, &v, EMDB_LAST));
  EXPECT_EQ(key(kKeys - 1), k);
  EXPECT_EQ(val(nvals(kKeys - 1) - 1), v);
}

TEST_F(Dupsort, DupMoves) {
  std::string k, v;
  EMDB_val kk = V0(), dd = V0();
  const std::string k3 = key(3);
  kk = V(k3);
  ASSERT_OK(emdb_cursor_get(c_, &kk, &dd, EMDB_SET));
  EXPECT_EQ(val(0), S(dd));  // SET lands on the first value
  for (int j = 1; j < nvals(3); ++j) {
    ASSERT_OK(c_.get(&k, &v, EMDB_NEXT_DUP)) << j;
    EXPECT_EQ(key(3), k);
    EXPECT_EQ(val(j), v);
  }
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_NEXT_DUP));
  ASSERT_OK(c_.get(&k, &v, EMDB_GET_CURRENT));  // NEXT_DUP at the end did not move
  EXPECT_EQ(key(3), k);
  EXPECT_EQ(val(nvals(3) - 1), v);
  for (int j = nvals(3) - 2; j >= 0; --j) {
    ASSERT_OK(c_.get(&k, &v, EMDB_PREV_DUP)) << j;
    EXPECT_EQ(val(j), v);
  }
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_PREV_DUP));
  ASSERT_OK(c_.get(&k, &v, EMDB_LAST_DUP));
  EXPECT_EQ(key(3), k);
  EXPECT_EQ(val(nvals(3) - 1), v);
  ASSERT_OK(c_.get(&k, &v, EMDB_FIRST_DUP));
  EXPECT_EQ(val(0), v);
  // NEXT_NODUP: first value of the next key; PREV_NODUP: last value of the previous key.
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT_NODUP));
  EXPECT_EQ(key(4), k);
  EXPECT_EQ(val(0), v);
  ASSERT_OK(c_.get(&k, &v, EMDB_PREV_NODUP));
  EXPECT_EQ(key(3), k);
  EXPECT_EQ(val(nvals(3) - 1), v);
  ASSERT_OK(c_.get(&k, &v, EMDB_PREV_NODUP));
  EXPECT_EQ(key(2), k);
  EXPECT_EQ(val(nvals(2) - 1), v);
  // NEXT crosses from the last value of a key to the next key.
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT));
  EXPECT_EQ(key(3), k);
  EXPECT_EQ(val(0), v);
  // PREV crosses back.
  ASSERT_OK(c_.get(&k, &v, EMDB_PREV));
  EXPECT_EQ(key(2), k);
  EXPECT_EQ(val(nvals(2) - 1), v);
  // Ends.
  ASSERT_OK(c_.get(&k, &v, EMDB_LAST));
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_NEXT_NODUP));
  ASSERT_OK(c_.get(&k, &v, EMDB_FIRST));
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_PREV_NODUP));
  // The single-value key.
  ASSERT_OK(c_.get(&k, &v, EMDB_FIRST));
  EXPECT_RC(EMDB_NOTFOUND, c_.get(&k, &v, EMDB_NEXT_DUP));
  ASSERT_OK(c_.get(&k, &v, EMDB_LAST_DUP));
  EXPECT_EQ(val(0), v);
}

TEST_F(Dupsort, SetKeyAndSetRange) {
  std::string k, v;
  EXPECT_OK(seek(EMDB_SET_KEY, key(2), "", &k, &v));
  EXPECT_EQ(key(2), k);
  EXPECT_EQ(val(0), v);
  EXPECT_RC(EMDB_NOTFOUND, seek(EMDB_SET_KEY, key_n(3, 3), "", &k, &v));
  EXPECT_OK(seek(EMDB_SET_RANGE, key_n(3, 3), "", &k, &v));
  EXPECT_EQ(key(2), k);  // key(2) == "k004" > "k003"
  EXPECT_EQ(val(0), v);
  EXPECT_RC(EMDB_NOTFOUND, seek(EMDB_SET_RANGE, "z", "", &k, &v));
}

TEST_F(Dupsort, GetBothAndRange) {
  std::string k, v;
  EXPECT_OK(seek(EMDB_GET_BOTH, key(4), val(5), &k, &v));
  EXPECT_EQ(key(4), k);
  EXPECT_EQ(val(5), v);
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT_DUP));
  EXPECT_EQ(val(6), v);
  EXPECT_RC(EMDB_NOTFOUND, seek(EMDB_GET_BOTH, key(4), key_n(5, 3, "v"), &k, &v));  // odd value
  EXPECT_RC(EMDB_NOTFOUND, seek(EMDB_GET_BOTH, key_n(5, 3), val(0), &k, &v));
  // The single-value key.
  EXPECT_OK(seek(EMDB_GET_BOTH, key(0), val(0), &k, &v));
  EXPECT_RC(EMDB_NOTFOUND, seek(EMDB_GET_BOTH, key(0), val(1), &k, &v));
  // GET_BOTH_RANGE: this key, first value >= the given one.
  EXPECT_OK(seek(EMDB_GET_BOTH_RANGE, key(4), key_n(5, 3, "v"), &k, &v));
  EXPECT_EQ(key(4), k);
  EXPECT_EQ(val(3), v);  // v006 >= v005
  EXPECT_OK(seek(EMDB_GET_BOTH_RANGE, key(4), val(2), &k, &v));
  EXPECT_EQ(val(2), v);
  EXPECT_OK(seek(EMDB_GET_BOTH_RANGE, key(4), "", &k, &v));
  EXPECT_EQ(val(0), v);
  // Beyond the key's last value: not found (it does not move to the next key).
  EXPECT_RC(EMDB_NOTFOUND, seek(EMDB_GET_BOTH_RANGE, key(4), "w", &k, &v));
  EXPECT_RC(EMDB_NOTFOUND, seek(EMDB_GET_BOTH_RANGE, key_n(5, 3), val(0), &k, &v));
  EXPECT_OK(seek(EMDB_GET_BOTH_RANGE, key(0), "", &k, &v));
  EXPECT_EQ(val(0), v);
  EXPECT_RC(EMDB_NOTFOUND, seek(EMDB_GET_BOTH_RANGE, key(0), val(1), &k, &v));
}

TEST_F(Dupsort, LowerAndUpperBound) {
  std::string k, v;
  EXPECT_RC(EMDB_SUCCESS, seek(EMDB_SET_LOWERBOUND, key(2), val(3), &k, &v));
  EXPECT_EQ(key(2), k);
  EXPECT_EQ(val(3), v);
  EXPECT_RC(EMDB_RESULT_TRUE, seek(EMDB_SET_LOWERBOUND, key(2), key_n(5, 3, "v"), &k, &v));
  EXPECT_EQ(key(2), k);
  EXPECT_EQ(val(3), v);
  // Past the key's values: the next key's first value.
  EXPECT_RC(EMDB_RESULT_TRUE, seek(EMDB_SET_LOWERBOUND, key(2), "w", &k, &v));
  EXPECT_EQ(key(3), k);
  EXPECT_EQ(val(0), v);
  EXPECT_RC(EMDB_RESULT_TRUE, seek(EMDB_SET_LOWERBOUND, key_n(5, 3), "", &k, &v));
  EXPECT_EQ(key(3), k);
  EXPECT_EQ(val(0), v);
  EXPECT_RC(EMDB_NOTFOUND, seek(EMDB_SET_LOWERBOUND, key(kKeys - 1), "w", &k, &v));
  // SET_UPPERBOUND: strictly greater pair.
  EXPECT_RC(EMDB_SUCCESS, seek(EMDB_SET_UPPERBOUND, key(2), val(3), &k, &v));
  EXPECT_EQ(key(2), k);
  EXPECT_EQ(val(4), v);
  EXPECT_RC(EMDB_SUCCESS, seek(EMDB_SET_UPPERBOUND, key(2), val(nvals(2) - 1), &k, &v));
  EXPECT_EQ(key(3), k);
  EXPECT_EQ(val(0), v);
  EXPECT_RC(EMDB_SUCCESS, seek(EMDB_SET_UPPERBOUND, key(0), val(0), &k, &v));
  EXPECT_EQ(key(1), k);
  EXPECT_EQ(val(0), v);
  EXPECT_RC(EMDB_NOTFOUND,
            seek(EMDB_SET_UPPERBOUND, key(kKeys - 1), val(nvals(kKeys - 1) - 1), &k, &v));
}

TEST_F(Dupsort, CountAndDupPositionQueries) {
  std::string k, v;
  for (int i = 0; i < kKeys; ++i) {
    EMDB_val kk = V0(), dd = V0();
    const std::string ki = key(i);
    kk = V(ki);
    ASSERT_OK(emdb_cursor_get(c_, &kk, &dd, EMDB_SET));
    EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_on_first_dup(c_)) << i;
    EXPECT_EQ(nvals(i) == 1 ? EMDB_RESULT_TRUE : EMDB_RESULT_FALSE, emdb_cursor_on_last_dup(c_))
        << i;
    size_t n = 0;
    ASSERT_OK(emdb_cursor_count(c_, &n));
    EXPECT_EQ(size_t(nvals(i)), n) << i;
    // Counting does not move the cursor.
    ASSERT_OK(c_.get(&k, &v, EMDB_GET_CURRENT)) << i;
    EXPECT_EQ(key(i), k);
    EXPECT_EQ(val(0), v);
    ASSERT_OK(c_.get(&k, &v, EMDB_LAST_DUP));
    EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_on_last_dup(c_));
    EXPECT_EQ(nvals(i) == 1 ? EMDB_RESULT_TRUE : EMDB_RESULT_FALSE, emdb_cursor_on_first_dup(c_));
  }
  ASSERT_OK(c_.get(&k, &v, EMDB_FIRST));
  EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_on_first(c_));
  ASSERT_OK(c_.get(&k, &v, EMDB_LAST));
  EXPECT_EQ(EMDB_RESULT_TRUE, emdb_cursor_on_last(c_));
  ASSERT_OK(c_.get(&k, &v, EMDB_PREV_NODUP));
  EXPECT_EQ(EMDB_RESULT_FALSE, emdb_cursor_on_last(c_));
}

// emdb_cursor_count is a query: the cursor stays where it was, for every next move.
TEST_F(Dupsort, CountDoesNotMoveTheCursor) {
  for (EMDB_cursor_op then :
       {EMDB_GET_CURRENT, EMDB_NEXT, EMDB_NEXT_DUP, EMDB_PREV, EMDB_LAST_DUP}) {
    std::string k, v;
    ASSERT_OK(seek(EMDB_GET_BOTH, key(2), val(3), &k, &v));
    size_t n = 0;
    ASSERT_OK(emdb_cursor_count(c_, &n));
    EXPECT_EQ(size_t(nvals(2)), n);
    ASSERT_OK(c_.get(&k, &v, then)) << "op " << then;
    EXPECT_EQ(key(2), k) << "op " << then;
    const int expect = then == EMDB_GET_CURRENT ? 3
                       : then == EMDB_PREV      ? 2
                       : then == EMDB_LAST_DUP  ? nvals(2) - 1
                                                : 4;
    EXPECT_EQ(val(expect), v) << "op " << then;
  }
}

TEST_F(Dupsort, CursorDelOneValueAndAllDups) {
  std::string k, v;
  ASSERT_OK(seek(EMDB_GET_BOTH, key(3), val(4), &k, &v));
  ASSERT_OK(emdb_cursor_del(c_, EMDB_CURRENT));
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT));
  EXPECT_EQ(key(3), k);
  EXPECT_EQ(val(5), v);
  size_t n = 0;
  ASSERT_OK(emdb_cursor_count(c_, &n));
  EXPECT_EQ(size_t(nvals(3) - 1), n);
  // ALLDUPS: every value of the key at the cursor.
  ASSERT_OK(emdb_cursor_del(c_, EMDB_ALLDUPS));
  EXPECT_RC(EMDB_NOTFOUND, seek(EMDB_SET_KEY, key(3), "", &k, &v));
  ASSERT_OK(seek(EMDB_SET_KEY, key(2), "", &k, &v));
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT_NODUP));
  EXPECT_EQ(key(4), k);
  // Deleting the only value of a key removes the key.
  ASSERT_OK(seek(EMDB_SET_KEY, key(0), "", &k, &v));
  ASSERT_OK(emdb_cursor_del(c_, EMDB_CURRENT));
  ASSERT_OK(c_.get(&k, &v, EMDB_GET_CURRENT));
  EXPECT_EQ(key(1), k);
  EXPECT_EQ(val(0), v);
  EMDB_stat st;
  ASSERT_OK(emdb_dbi_stat(txn_, dbi_, &st, sizeof st));
  EXPECT_EQ(expect_.size() - 1 - size_t(nvals(3)), st.ms_entries);
}

TEST_F(Dupsort, CursorPutVariants) {
  std::string k, v;
  const std::string k2 = key(2), nv = "v001";  // between v000 and v002
  EMDB_val kk = V(k2), dd = V(nv);
  ASSERT_OK(emdb_cursor_put(c_, &kk, &dd, EMDB_UPSERT));
  ASSERT_OK(c_.get(&k, &v, EMDB_GET_CURRENT));
  EXPECT_EQ(key(2), k);
  EXPECT_EQ("v001", v);
  ASSERT_OK(c_.get(&k, &v, EMDB_PREV_DUP));
  EXPECT_EQ(val(0), v);
  // NODUPDATA on an existing pair.
  kk = V(k2);
  dd = V(nv);
  EXPECT_RC(EMDB_KEYEXIST, emdb_cursor_put(c_, &kk, &dd, EMDB_NODUPDATA));
  // NOOVERWRITE on an existing key, even with a new value.
  const std::string other = "v999";
  kk = V(k2);
  dd = V(other);
  EXPECT_RC(EMDB_KEYEXIST, emdb_cursor_put(c_, &kk, &dd, EMDB_NOOVERWRITE));
  // CURRENT replaces the value under the cursor, keeping the order of values.
  ASSERT_OK(seek(EMDB_GET_BOTH, key(2), val(1), &k, &v));
  const std::string repl = "v005x";  // moves between v004 and v006
  kk = V(k2);
  dd = V(repl);
  ASSERT_OK(emdb_cursor_put(c_, &kk, &dd, EMDB_CURRENT));
  std::vector<std::string> got;
  ASSERT_OK(seek(EMDB_SET_KEY, key(2), "", &k, &v));
  do got.push_back(v);
  while (c_.get(&k, &v, EMDB_NEXT_DUP) == EMDB_SUCCESS);
  std::vector<std::string> want = {"v000", "v001", val(2), "v005x", val(3), val(4), val(5), val(6)};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(want, got);
  // RESERVE cannot be used on a DUPSORT table.
  kk = V(k2);
  dd = V(nullptr, 4);
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_cursor_put(c_, &kk, &dd, EMDB_RESERVE));
}

TEST_F(Dupsort, ManyValuesForOneKey) {
  // Enough values to move the key's values out of its leaf into a sub-tree.
  std::set<std::string> vals;
  std::mt19937_64 rng(test_seed_for("Dupsort.ManyValuesForOneKey"));
  for (int i = 0; i < 5000; ++i) {
    const std::string v = random_bytes(rng, 1 + rng() % 30);
    ASSERT_OK(put(txn_, dbi_, "many", v));
    vals.insert(v);
  }
  size_t count = 0;
  EMDB_val kk = V("many", 4), dd = V0();
  ASSERT_OK(emdb_get_ex(txn_, dbi_, &kk, &dd, &count));
  EXPECT_EQ(vals.size(), count);
  EXPECT_EQ(*vals.begin(), S(dd));
  std::string k, v;
  std::vector<std::string> got;
  ASSERT_OK(seek(EMDB_SET_KEY, "many", "", &k, &v));
  do got.push_back(v);
  while (c_.get(&k, &v, EMDB_NEXT_DUP) == EMDB_SUCCESS);
  EXPECT_EQ(std::vector<std::string>(vals.begin(), vals.end()), got);
  got.clear();
  ASSERT_OK(c_.get(&k, &v, EMDB_LAST_DUP));
  do got.push_back(v);
  while (c_.get(&k, &v, EMDB_PREV_DUP) == EMDB_SUCCESS);
  EXPECT_EQ(std::vector<std::string>(vals.rbegin(), vals.rend()), got);
  // Delete most of them again, one by one.
  int n = 0;
  for (auto it = vals.begin(); it != vals.end();) {
    if (n++ % 10) {
      ASSERT_OK(del(txn_, dbi_, "many", *it));
      it = vals.erase(it);
    } else {
      ++it;
    }
  }
  kk = V("many", 4);
  ASSERT_OK(emdb_get_ex(txn_, dbi_, &kk, &dd, &count));
  EXPECT_EQ(vals.size(), count);
  ASSERT_OK(txn_.commit());
  c_.close();
  Txn r = read_txn();
  Pairs p;
  ASSERT_OK(collect(r, dbi_, &p));
  std::vector<std::string> many;
  for (auto& kv : p)
    if (kv.first == "many") many.push_back(kv.second);
  EXPECT_EQ(std::vector<std::string>(vals.begin(), vals.end()), many);
}

TEST_F(Dupsort, PositionSurvivesChangesToOtherValues) {
  std::string k, v;
  ASSERT_OK(seek(EMDB_GET_BOTH, key(5), val(8), &k, &v));
  // New values before and after the cursor's one.
  ASSERT_OK(put(txn_, dbi_, key(5), "v001"));
  ASSERT_OK(put(txn_, dbi_, key(5), "v999"));
  for (int i = 0; i < 300; ++i) ASSERT_OK(put(txn_, dbi_, key(5), key_n(i, 3, "u")));
  ASSERT_OK(c_.get(&k, &v, EMDB_GET_CURRENT));
  EXPECT_EQ(key(5), k);
  EXPECT_EQ(val(8), v);
  // Delete the value under the cursor through emdb_del: NEXT gives the following value.
  ASSERT_OK(del(txn_, dbi_, key(5), val(8)));
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT));
  EXPECT_EQ(key(5), k);
  EXPECT_EQ(val(9), v);
  // Through another cursor.
  Cursor b;
  ASSERT_OK(b.open(txn_, dbi_));
  EMDB_val bk = V0(), bd = V0();
  const std::string k5 = key(5), v9 = val(9);
  bk = V(k5);
  bd = V(v9);
  ASSERT_OK(emdb_cursor_get(b, &bk, &bd, EMDB_GET_BOTH));
  ASSERT_OK(emdb_cursor_del(b, EMDB_CURRENT));
  ASSERT_OK(c_.get(&k, &v, EMDB_NEXT));
  EXPECT_EQ(val(10), v);
}

class DupFixed : public EnvTest {
 protected:
  void SetUp() override {
    EnvTest::SetUp();
    EnvOptions o;
    o.pagesize = 4096;
    open(o);
    dbi_ = table("fixed", EMDB_DUPSORT | EMDB_DUPFIXED | EMDB_INTEGERDUP);
  }
  EMDB_dbi dbi_ = 0;
};

TEST_F(DupFixed, MultipleGetsPageByPage) {
  constexpr uint32_t kCount = 3000;  // several 4 KiB pages of 4-byte values
  std::vector<uint32_t> vals;
  for (uint32_t i = 0; i < kCount; ++i) vals.push_back(i * 3 + 1);
  Txn t = write_txn();
  EMDB_val k = V("key", 3);
  EMDB_val data[2] = {V(vals.data(), sizeof(uint32_t)), V(nullptr, vals.size())};
  ASSERT_OK(emdb_put(t, dbi_, &k, data, EMDB_MULTIPLE));
  ASSERT_EQ(size_t(kCount), data[1].iov_len);
  ASSERT_OK(put(t, dbi_, "other", u32_bytes(5)));
  ASSERT_OK(t.commit());

  Txn r = read_txn();
  Cursor c;
  ASSERT_OK(c.open(r, dbi_));
  k = V("key", 3);
  EMDB_val d = V0();
  ASSERT_OK(emdb_cursor_get(c, &k, &d, EMDB_SET_KEY));
  std::vector<uint32_t> got;
  int pages = 0;
  int rc = emdb_cursor_get(c, &k, &d, EMDB_GET_MULTIPLE);
  while (rc == EMDB_SUCCESS) {
    ++pages;
    ASSERT_EQ(0u, d.iov_len % sizeof(uint32_t));
    ASSERT_GT(d.iov_len, 0u);
    EXPECT_EQ("key", S(k));
    const size_t n = d.iov_len / sizeof(uint32_t);
    for (size_t i = 0; i < n; ++i) {
      uint32_t x;
      std::memcpy(&x, static_cast<const char*>(d.iov_base) + i * 4, 4);
      got.push_back(x);
    }
    rc = emdb_cursor_get(c, &k, &d, EMDB_NEXT_MULTIPLE);
  }
  ASSERT_RC(EMDB_NOTFOUND, rc);
  EXPECT_GE(pages, 2);
  EXPECT_EQ(vals, got);

  // Backwards: LAST_DUP, GET_MULTIPLE (the last page), then PREV_MULTIPLE.
  k = V("key", 3);
  ASSERT_OK(emdb_cursor_get(c, &k, &d, EMDB_SET_KEY));
  ASSERT_OK(emdb_cursor_get(c, &k, &d, EMDB_LAST_DUP));
  std::vector<std::vector<uint32_t>> chunks;
  rc = emdb_cursor_get(c, &k, &d, EMDB_GET_MULTIPLE);
  while (rc == EMDB_SUCCESS) {
    std::vector<uint32_t> chunk(d.iov_len / 4);
    std::memcpy(chunk.data(), d.iov_base, d.iov_len);
    chunks.push_back(chunk);
    rc = emdb_cursor_get(c, &k, &d, EMDB_PREV_MULTIPLE);
  }
  ASSERT_RC(EMDB_NOTFOUND, rc);
  std::vector<uint32_t> back;
  std::string sizes;
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) {
    back.insert(back.end(), it->begin(), it->end());
    sizes += std::to_string(it->size()) + " ";
  }
  EXPECT_EQ(vals.size(), back.size()) << "chunk sizes (first to last): " << sizes;
  size_t first_diff = 0;
  while (first_diff < vals.size() && first_diff < back.size() &&
         vals[first_diff] == back[first_diff])
    ++first_diff;
  EXPECT_EQ(vals.size(), first_diff) << "backward pages differ at item " << first_diff
                                     << "; chunk sizes (first to last): " << sizes;

  // A key with a single value: GET_MULTIPLE returns just it.
  k = V("other", 5);
  ASSERT_OK(emdb_cursor_get(c, &k, &d, EMDB_SET_KEY));
  ASSERT_OK(emdb_cursor_get(c, &k, &d, EMDB_GET_MULTIPLE));
  EXPECT_EQ(u32_bytes(5), S(d));
}

TEST_F(DupFixed, ValuesMustHaveOneSize) {
  Txn t = write_txn();
  ASSERT_OK(put(t, dbi_, "k", u32_bytes(1)));
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, dbi_, "k", u64_bytes(2)));
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, dbi_, "j", std::string(3, 'x')));
  ASSERT_OK(put(t, dbi_, "j", u32_bytes(7)));
  // Numeric order of INTEGERDUP values.
  for (uint32_t x : {1000000u, 3u, 256u}) ASSERT_OK(put(t, dbi_, "k", u32_bytes(x)));
  Pairs p;
  ASSERT_OK(collect(t, dbi_, &p));
  std::vector<uint32_t> ks;
  for (auto& kv : p)
    if (kv.first == "k") ks.push_back(bytes_u32(kv.second));
  EXPECT_EQ((std::vector<uint32_t>{1, 3, 256, 1000000}), ks);
}

}  // namespace
}  // namespace emdb_test
