// put_get_test.cpp — emdb_put with every flag, emdb_get/get_ex/get_equal_or_great, emdb_del,
// emdb_replace, size limits, zero-length keys and values.
#include <algorithm>
#include <iterator>
#include <map>
#include <random>
#include <set>

#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class PutGet : public EnvTest {
 protected:
  void SetUp() override {
    EnvTest::SetUp();
    open();
    plain_ = table("plain");
    dup_ = table("dup", EMDB_DUPSORT);
    fixed_ = table("fixed", EMDB_DUPSORT | EMDB_DUPFIXED);
  }

  std::vector<std::string> dups(EMDB_txn* txn, EMDB_dbi dbi, const std::string& key) {
    std::vector<std::string> out;
    Cursor c;
    EXPECT_OK(c.open(txn, dbi));
    EMDB_val k = V(key), d = V0();
    int rc = emdb_cursor_get(c, &k, &d, EMDB_SET_KEY);
    while (rc == EMDB_SUCCESS) {
      out.push_back(S(d));
      rc = emdb_cursor_get(c, &k, &d, EMDB_NEXT_DUP);
    }
    EXPECT_TRUE(rc == EMDB_NOTFOUND || out.empty()) << rc_name(rc);
    return out;
  }

  EMDB_dbi plain_ = 0, dup_ = 0, fixed_ = 0;
};

TEST_F(PutGet, UpsertInsertsAndUpdates) {
  Txn t = write_txn();
  ASSERT_OK(put(t, plain_, "k", "v1"));
  ASSERT_OK(put(t, plain_, "k", "value two"));
  std::string v;
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ("value two", v);
  EMDB_stat st;
  ASSERT_OK(emdb_dbi_stat(t, plain_, &st, sizeof st));
  EXPECT_EQ(1u, st.ms_entries);
  // Same value again: a no-op that succeeds.
  ASSERT_OK(put(t, plain_, "k", "value two"));
  EXPECT_RC(EMDB_NOTFOUND, get(t, plain_, "missing", &v));
}

TEST_F(PutGet, NoOverwriteReturnsExistingValue) {
  Txn t = write_txn();
  ASSERT_OK(put(t, plain_, "k", "original", EMDB_NOOVERWRITE));
  EMDB_val k = V("k", 1);
  const std::string attempt = "attempt";
  EMDB_val d = V(attempt);
  EXPECT_RC(EMDB_KEYEXIST, emdb_put(t, plain_, &k, &d, EMDB_NOOVERWRITE));
  EXPECT_EQ("original", S(d));  // data now views the existing value
  std::string v;
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ("original", v);
  ASSERT_OK(t.commit());
  // The same after commit (value in a clean page).
  Txn t2 = write_txn();
  d = V(attempt);
  EXPECT_RC(EMDB_KEYEXIST, emdb_put(t2, plain_, &k, &d, EMDB_NOOVERWRITE));
  EXPECT_EQ("original", S(d));
}

TEST_F(PutGet, NoOverwriteOnDupsortReturnsFirstValue) {
  Txn t = write_txn();
  ASSERT_OK(put(t, dup_, "k", "m"));
  ASSERT_OK(put(t, dup_, "k", "c"));
  ASSERT_OK(put(t, dup_, "k", "x"));
  EMDB_val k = V("k", 1);
  const std::string nv = "new";
  EMDB_val d = V(nv);
  EXPECT_RC(EMDB_KEYEXIST, emdb_put(t, dup_, &k, &d, EMDB_NOOVERWRITE));
  EXPECT_EQ("c", S(d));
  EXPECT_EQ((std::vector<std::string>{"c", "m", "x"}), dups(t, dup_, "k"));
}

TEST_F(PutGet, NoDupData) {
  Txn t = write_txn();
  ASSERT_OK(put(t, dup_, "k", "a", EMDB_NODUPDATA));
  ASSERT_OK(put(t, dup_, "k", "b", EMDB_NODUPDATA));
  EXPECT_RC(EMDB_KEYEXIST, put(t, dup_, "k", "a", EMDB_NODUPDATA));
  EXPECT_RC(EMDB_KEYEXIST, put(t, dup_, "k", "b", EMDB_NODUPDATA));
  // Without the flag a duplicate pair is silently accepted once.
  ASSERT_OK(put(t, dup_, "k", "a"));
  EXPECT_EQ((std::vector<std::string>{"a", "b"}), dups(t, dup_, "k"));
}

TEST_F(PutGet, CurrentUpdatesOnlyExistingKeys) {
  Txn t = write_txn();
  EXPECT_RC(EMDB_NOTFOUND, put(t, plain_, "k", "v", EMDB_CURRENT));
  std::string v;
  EXPECT_RC(EMDB_NOTFOUND, get(t, plain_, "k", &v));
  ASSERT_OK(put(t, plain_, "k", "v"));
  ASSERT_OK(put(t, plain_, "k", "longer value", EMDB_CURRENT));
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ("longer value", v);
  ASSERT_OK(put(t, plain_, "k", "s", EMDB_CURRENT));
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ("s", v);
}

TEST_F(PutGet, CurrentOnDupsort) {
  Txn t = write_txn();
  ASSERT_OK(put(t, dup_, "single", "a"));
  ASSERT_OK(put(t, dup_, "single", "z", EMDB_CURRENT));
  EXPECT_EQ((std::vector<std::string>{"z"}), dups(t, dup_, "single"));
  ASSERT_OK(put(t, dup_, "multi", "1"));
  ASSERT_OK(put(t, dup_, "multi", "2"));
  // Documented: CURRENT on a key with several values is ambiguous.
  EXPECT_RC(EMDB_EMULTIVAL, put(t, dup_, "multi", "3", EMDB_CURRENT));
  EXPECT_EQ((std::vector<std::string>{"1", "2"}), dups(t, dup_, "multi"));
  // With ALLDUPS it replaces all of them.
  ASSERT_OK(put(t, dup_, "multi", "9", EMDB_put_flags_t(EMDB_CURRENT | EMDB_ALLDUPS)));
  EXPECT_EQ((std::vector<std::string>{"9"}), dups(t, dup_, "multi"));
  EXPECT_RC(EMDB_NOTFOUND, put(t, dup_, "absent", "1", EMDB_CURRENT));
}

TEST_F(PutGet, AllDupsReplacesEveryValue) {
  Txn t = write_txn();
  for (int i = 0; i < 50; ++i) ASSERT_OK(put(t, dup_, "k", value_n(i, 6)));
  ASSERT_OK(put(t, dup_, "other", "o"));
  ASSERT_OK(put(t, dup_, "k", "only", EMDB_ALLDUPS));
  EXPECT_EQ((std::vector<std::string>{"only"}), dups(t, dup_, "k"));
  EXPECT_EQ((std::vector<std::string>{"o"}), dups(t, dup_, "other"));
  EMDB_stat st;
  ASSERT_OK(emdb_dbi_stat(t, dup_, &st, sizeof st));
  EXPECT_EQ(2u, st.ms_entries);
  // On an absent key ALLDUPS just inserts.
  ASSERT_OK(put(t, dup_, "fresh", "f", EMDB_ALLDUPS));
  EXPECT_EQ((std::vector<std::string>{"f"}), dups(t, dup_, "fresh"));
}

TEST_F(PutGet, ReserveLetsCallerFill) {
  Txn t = write_txn();
  for (size_t len : {size_t(0), size_t(1), size_t(100), size_t(5000), size_t(70000)}) {
    const std::string key = "r" + std::to_string(len);
    const std::string expect = value_n(len, len);
    EMDB_val k = V(key);
    EMDB_val d = V(nullptr, len);
    ASSERT_OK(emdb_put(t, plain_, &k, &d, EMDB_RESERVE));
    ASSERT_EQ(len, d.iov_len);
    if (len) {
      ASSERT_NE(nullptr, d.iov_base);
      std::memcpy(d.iov_base, expect.data(), len);
    }
  }
  ASSERT_OK(t.commit());
  Txn r = read_txn();
  for (size_t len : {size_t(0), size_t(1), size_t(100), size_t(5000), size_t(70000)}) {
    std::string v;
    ASSERT_OK(get(r, plain_, "r" + std::to_string(len), &v));
    EXPECT_EQ(value_n(len, len), v) << len;
  }
}

TEST_F(PutGet, ReserveOverwritesExisting) {
  Txn t = write_txn();
  ASSERT_OK(put(t, plain_, "k", std::string(3000, 'a')));
  EMDB_val k = V("k", 1), d = V(nullptr, 10);
  ASSERT_OK(emdb_put(t, plain_, &k, &d, EMDB_RESERVE));
  std::memcpy(d.iov_base, "0123456789", 10);
  std::string v;
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ("0123456789", v);
}

TEST_F(PutGet, AppendInOrder) {
  Txn t = write_txn();
  for (int i = 0; i < 5000; ++i) ASSERT_OK(put(t, plain_, key_n(i), value_n(i, 16), EMDB_APPEND));
  // Out of order: refused, nothing changes.
  EXPECT_RC(EMDB_EKEYMISMATCH, put(t, plain_, key_n(100), "x", EMDB_APPEND));
  EXPECT_RC(EMDB_EKEYMISMATCH, put(t, plain_, "a", "x", EMDB_APPEND));
  std::string v;
  ASSERT_OK(get(t, plain_, key_n(100), &v));
  EXPECT_EQ(value_n(100, 16), v);
  EXPECT_RC(EMDB_NOTFOUND, get(t, plain_, "a", &v));
  ASSERT_OK(put(t, plain_, key_n(9999), "last", EMDB_APPEND));
  ASSERT_OK(t.commit());
  Txn r = read_txn();
  Pairs p;
  ASSERT_OK(collect(r, plain_, &p));
  ASSERT_EQ(5001u, p.size());
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(key_n(i), p[i].first);
  EXPECT_EQ(key_n(9999), p.back().first);
  EXPECT_TRUE(std::is_sorted(p.begin(), p.end()));
}

// Appends start from the path the previous append left (the append hint, cursor.cpp). Every
// other change to the table in between must make the next append descend again: deletes (of the
// last key, emptying the table, merges), updates, appends through a cursor, appends to another
// table, nested transactions committed or aborted, emdb_drop. Checked against a model after
// each step, with small pages so that the tree is several levels deep.
TEST_F(PutGet, AppendAfterOtherChangesMatchesModel) {
  ASSERT_OK(env_.close());
  EnvOptions small;
  small.pagesize = 256;
  ASSERT_OK(env_.open(db_path("small"), small));
  const EMDB_dbi a = table("a"), b = table("b");
  std::map<std::string, std::string> ma, mb;
  std::mt19937_64 rng(7);
  uint64_t next_a = 0, next_b = 0;
  auto check = [&](EMDB_txn* t, EMDB_dbi dbi, const std::map<std::string, std::string>& m,
                   const std::string& where) {
    Pairs p;
    ASSERT_OK(collect(t, dbi, &p));
    ASSERT_EQ(m.size(), p.size()) << where;
    size_t i = 0;
    for (const auto& [k, v] : m) {
      ASSERT_EQ(k, p[i].first) << where;
      ASSERT_EQ(v, p[i].second) << where;
      ++i;
    }
  };
  for (int round = 0; round < 6; ++round) {
    Txn t = write_txn();
    for (int step = 0; step < 3000; ++step) {
      const std::string where = "round " + std::to_string(round) + " step " + std::to_string(step);
      const unsigned op = unsigned(rng() % 100);
      if (op < 70) {  // append to a, sometimes with a large value
        const std::string k = key_n(next_a += 1 + rng() % 3);
        const std::string v = value_n(next_a, rng() % 10 == 0 ? 600 : 20);
        ASSERT_OK(put(t, a, k, v, EMDB_APPEND)) << where;
        ma[k] = v;
      } else if (op < 75) {  // out of order: refused, nothing changes
        if (!ma.empty()) {
          EXPECT_RC(EMDB_EKEYMISMATCH, put(t, a, ma.begin()->first, "x", EMDB_APPEND)) << where;
        }
      } else if (op < 80) {  // delete the last key (the hinted leaf shrinks)
        if (!ma.empty()) {
          ASSERT_OK(del(t, a, std::prev(ma.end())->first)) << where;
          ma.erase(std::prev(ma.end()));
        }
      } else if (op < 84) {  // delete a run of random keys (merges, root changes)
        for (int j = 0; j < 20 && !ma.empty(); ++j) {
          auto it = ma.begin();
          std::advance(it, rng() % ma.size());
          ASSERT_OK(del(t, a, it->first)) << where;
          ma.erase(it);
        }
      } else if (op < 87) {  // update the last key in place, with a new size
        if (!ma.empty()) {
          const std::string k = std::prev(ma.end())->first;
          const std::string v = value_n(rng(), rng() % 2 ? 3 : 90);
          ASSERT_OK(put(t, a, k, v)) << where;
          ma[k] = v;
        }
      } else if (op < 91) {  // append to b (the hint moves to the other table)
        const std::string k = key_n(++next_b);
        ASSERT_OK(put(t, b, k, "b")) << where;
        ASSERT_OK(put(t, b, key_n(++next_b), "bb", EMDB_APPEND)) << where;
        mb[k] = "b";
        mb[key_n(next_b)] = "bb";
      } else if (op < 94) {  // append through a cursor, then step it back
        Cursor c;
        ASSERT_OK(c.open(t, a));
        const std::string k = key_n(next_a += 1);
        const std::string cv = "c";
        EMDB_val kv = V(k), dv = V(cv);
        ASSERT_OK(emdb_cursor_put(c, &kv, &dv, EMDB_APPEND)) << where;
        ma[k] = "c";
        EMDB_val gk = V0(), gd = V0();
        ASSERT_OK(emdb_cursor_get(c, &gk, &gd, EMDB_GET_CURRENT)) << where;
        EXPECT_EQ(k, S(gk)) << where;
      } else if (op < 98) {  // a nested txn that appends and deletes, committed or aborted
        const bool keep = rng() % 2 == 0;
        Txn child;
        ASSERT_OK(child.begin(env(), EMDB_TXN_READWRITE, t)) << where;
        auto ca = ma;
        uint64_t cn = next_a;
        for (int j = 0; j < 40; ++j) {
          const std::string k = key_n(cn += 1);
          ASSERT_OK(put(child, a, k, "n", EMDB_APPEND)) << where;
          ca[k] = "n";
        }
        if (!ca.empty()) {
          ASSERT_OK(del(child, a, ca.begin()->first)) << where;
          ca.erase(ca.begin());
        }
        if (keep) {
          ASSERT_OK(child.commit()) << where;
          ma = ca;
          next_a = cn;
        } else {
          ASSERT_OK(child.abort()) << where;
        }
      } else if (op < 99) {  // empty the table
        ASSERT_OK(emdb_drop(t, a, false)) << where;
        ma.clear();
      } else {
        check(t, a, ma, where);
        check(t, b, mb, where);
      }
    }
    check(t, a, ma, "round end");
    check(t, b, mb, "round end");
    ASSERT_OK(t.commit());
    Txn r = read_txn();
    check(r, a, ma, "after commit");
    check(r, b, mb, "after commit");
  }
}

TEST_F(PutGet, AppendDup) {
  Txn t = write_txn();
  for (int k = 0; k < 20; ++k)
    for (int i = 0; i < 100; ++i)
      ASSERT_OK(put(t, dup_, key_n(k), key_n(i, 4, "v"), EMDB_APPENDDUP)) << k << "/" << i;
  EXPECT_RC(EMDB_EKEYMISMATCH, put(t, dup_, key_n(3), key_n(50, 4, "v") + "x", EMDB_APPENDDUP));
  EXPECT_RC(EMDB_EKEYMISMATCH, put(t, dup_, key_n(3), "a", EMDB_APPENDDUP));
  const auto values = dups(t, dup_, key_n(3));
  ASSERT_EQ(100u, values.size());
  EXPECT_TRUE(std::is_sorted(values.begin(), values.end()));
  // APPEND + APPENDDUP together: bulk load of a dupsort table.
  const EMDB_dbi bulk = [&] {
    EMDB_dbi d;
    EXPECT_OK(emdb_dbi_open(t, "bulk", EMDB_db_flags_t(EMDB_CREATE | EMDB_DUPSORT), &d));
    return d;
  }();
  for (int k = 0; k < 50; ++k)
    for (int i = 0; i < 10; ++i)
      ASSERT_OK(
          put(t, bulk, key_n(k), key_n(i, 3, "v"), EMDB_put_flags_t(EMDB_APPEND | EMDB_APPENDDUP)));
  EMDB_stat st;
  ASSERT_OK(emdb_dbi_stat(t, bulk, &st, sizeof st));
  EXPECT_EQ(500u, st.ms_entries);
}

TEST_F(PutGet, MultipleStoresAnArray) {
  std::vector<uint32_t> vals;
  for (uint32_t i = 0; i < 300; ++i) vals.push_back(i * 7919u % 100003u);
  Txn t = write_txn();
  EMDB_val k = V("k", 1);
  EMDB_val data[2];
  data[0] = V(vals.data(), sizeof(uint32_t));
  data[1] = V(nullptr, vals.size());
  ASSERT_OK(emdb_put(t, fixed_, &k, data, EMDB_MULTIPLE));
  EXPECT_EQ(vals.size(), data[1].iov_len);  // number actually written
  size_t count = 0;
  EMDB_val d = V0();
  k = V("k", 1);
  ASSERT_OK(emdb_get_ex(t, fixed_, &k, &d, &count));
  EXPECT_EQ(vals.size(), count);
  const auto got = dups(t, fixed_, "k");
  std::vector<std::string> expect;
  for (uint32_t v : vals) expect.push_back(u32_bytes(v));
  std::sort(expect.begin(), expect.end());
  EXPECT_EQ(expect, got);
  // MULTIPLE through a cursor on a table that is not DUPFIXED is refused.
  Cursor c;
  ASSERT_OK(c.open(t, dup_));
  data[0] = V(vals.data(), sizeof(uint32_t));
  data[1] = V(nullptr, vals.size());
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_cursor_put(c, &k, data, EMDB_MULTIPLE));
}

TEST_F(PutGet, ZeroLengthKeysAndValues) {
  Txn t = write_txn();
  ASSERT_OK(put(t, plain_, "", "empty key"));
  ASSERT_OK(put(t, plain_, "nonempty", ""));
  ASSERT_OK(put(t, dup_, "", ""));
  ASSERT_OK(put(t, dup_, "", "x"));
  ASSERT_OK(t.commit());
  Txn r = read_txn();
  std::string v = "junk";
  ASSERT_OK(get(r, plain_, "", &v));
  EXPECT_EQ("empty key", v);
  ASSERT_OK(get(r, plain_, "nonempty", &v));
  EXPECT_EQ("", v);
  Pairs p;
  ASSERT_OK(collect(r, plain_, &p));
  ASSERT_EQ(2u, p.size());
  EXPECT_EQ("", p[0].first);  // the empty key sorts first
  EXPECT_EQ((std::vector<std::string>{"", "x"}), dups(r, dup_, ""));
}

TEST_F(PutGet, IntegerKeySizes) {
  const EMDB_dbi i64 = table("i64", EMDB_INTEGERKEY), i32 = table("i32", EMDB_INTEGERKEY);
  Txn t = write_txn();
  ASSERT_OK(put(t, i64, u64_bytes(42), "a"));
  ASSERT_OK(put(t, i32, u32_bytes(42), "b"));
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, i64, std::string(5, 'x'), "c"));
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, i64, "", "c"));
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, i64, std::string(9, 'x'), "c"));
  // All keys of an INTEGERKEY table have one size.
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, i64, u32_bytes(1), "c"));
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, i32, u64_bytes(1), "c"));
  // Unaligned key buffers are accepted.
  char buf[16];
  const uint64_t n = 77;
  std::memcpy(buf + 1, &n, 8);
  EMDB_val k = V(buf + 1, 8);
  const std::string val = "unaligned";
  EMDB_val d = V(val);
  ASSERT_OK(emdb_put(t, i64, &k, &d, EMDB_UPSERT));
  std::string v;
  ASSERT_OK(get(t, i64, u64_bytes(77), &v));
  EXPECT_EQ("unaligned", v);
}

TEST_F(PutGet, MaxKeyAndDupValueSizes) {
  const int maxkey = emdb_env_get_maxkeysize_ex(env(), EMDB_DB_DEFAULTS);
  const int maxkey_dup = emdb_env_get_maxkeysize_ex(env(), EMDB_DUPSORT);
  const int maxval_dup = emdb_env_get_maxvalsize_ex(env(), EMDB_DUPSORT);
  ASSERT_GT(maxkey, 0);
  ASSERT_GT(maxkey_dup, 0);
  ASSERT_GT(maxval_dup, 0);
  Txn t = write_txn();
  // Several max-size keys (they must fit in branch pages too).
  for (int i = 0; i < 200; ++i) {
    std::string k(size_t(maxkey), char('a' + i % 26));
    std::memcpy(&k[0], key_n(i).data(), 9);
    ASSERT_OK(put(t, plain_, k, value_n(i, 10))) << i;
  }
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, plain_, std::string(size_t(maxkey) + 1, 'z'), "v"));
  for (int i = 0; i < 100; ++i) {
    std::string k(size_t(maxkey_dup), char('a' + i % 26));
    std::memcpy(&k[0], key_n(i).data(), 9);
    std::string v(size_t(maxval_dup), 'v');
    std::memcpy(&v[0], key_n(i).data(), 9);
    ASSERT_OK(put(t, dup_, k, v)) << i;
    ASSERT_OK(put(t, dup_, k, "short")) << i;
  }
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, dup_, std::string(size_t(maxkey_dup) + 1, 'z'), "v"));
  EXPECT_RC(EMDB_BAD_VALSIZE, put(t, dup_, "k", std::string(size_t(maxval_dup) + 1, 'z')));
  ASSERT_OK(t.commit());
  Txn r = read_txn();
  Pairs p;
  ASSERT_OK(collect(r, plain_, &p));
  EXPECT_EQ(200u, p.size());
  ASSERT_OK(collect(r, dup_, &p));
  EXPECT_EQ(200u, p.size());
}

TEST_F(PutGet, GetExCounts) {
  Txn t = write_txn();
  ASSERT_OK(put(t, plain_, "p", "1"));
  for (int i = 0; i < 37; ++i) ASSERT_OK(put(t, dup_, "d", value_n(i, 5)));
  ASSERT_OK(put(t, dup_, "one", "x"));
  size_t count = 99;
  EMDB_val k = V("p", 1), d = V0();
  ASSERT_OK(emdb_get_ex(t, plain_, &k, &d, &count));
  EXPECT_EQ(1u, count);
  EXPECT_EQ("1", S(d));
  EXPECT_EQ("p", S(k));
  k = V("d", 1);
  ASSERT_OK(emdb_get_ex(t, dup_, &k, &d, &count));
  EXPECT_EQ(37u, count);
  k = V("one", 3);
  ASSERT_OK(emdb_get_ex(t, dup_, &k, &d, &count));
  EXPECT_EQ(1u, count);
  k = V("missing", 7);
  count = 99;
  EXPECT_RC(EMDB_NOTFOUND, emdb_get_ex(t, dup_, &k, &d, &count));
  EXPECT_EQ(0u, count);
  // values_count may be NULL.
  k = V("d", 1);
  ASSERT_OK(emdb_get_ex(t, dup_, &k, &d, nullptr));
}

TEST_F(PutGet, GetEqualOrGreat) {
  Txn t = write_txn();
  for (int i = 0; i < 100; i += 10) ASSERT_OK(put(t, plain_, key_n(i), value_n(i, 3)));
  for (const char* v : {"b", "d", "f"}) ASSERT_OK(put(t, dup_, "k", v));
  ASSERT_OK(put(t, dup_, "m", "a"));

  std::string key = key_n(20), none;
  EMDB_val k = V(key), d = V0();
  ASSERT_OK(emdb_get_equal_or_great(t, plain_, &k, &d));
  EXPECT_EQ(key_n(20), S(k));
  EXPECT_EQ(value_n(20, 3), S(d));
  key = key_n(21);
  k = V(key);
  d = V0();
  ASSERT_RC(EMDB_RESULT_TRUE, emdb_get_equal_or_great(t, plain_, &k, &d));
  EXPECT_EQ(key_n(30), S(k));
  EXPECT_EQ(value_n(30, 3), S(d));
  key = key_n(91);
  k = V(key);
  EXPECT_RC(EMDB_NOTFOUND, emdb_get_equal_or_great(t, plain_, &k, &d));

  // DUPSORT: the value takes part in the comparison.
  const std::string kk = "k", c = "c", dd = "d", z = "z";
  k = V(kk);
  d = V(dd);
  ASSERT_OK(emdb_get_equal_or_great(t, dup_, &k, &d));
  EXPECT_EQ("k", S(k));
  EXPECT_EQ("d", S(d));
  k = V(kk);
  d = V(c);
  ASSERT_RC(EMDB_RESULT_TRUE, emdb_get_equal_or_great(t, dup_, &k, &d));
  EXPECT_EQ("k", S(k));
  EXPECT_EQ("d", S(d));
  k = V(kk);
  d = V(z);
  ASSERT_RC(EMDB_RESULT_TRUE, emdb_get_equal_or_great(t, dup_, &k, &d));
  EXPECT_EQ("m", S(k));
  EXPECT_EQ("a", S(d));
}

TEST_F(PutGet, DeleteKeysAndPairs) {
  Txn t = write_txn();
  ASSERT_OK(put(t, plain_, "a", "1"));
  ASSERT_OK(put(t, plain_, "b", "2"));
  for (const char* v : {"x", "y", "z"}) ASSERT_OK(put(t, dup_, "k", v));
  ASSERT_OK(put(t, dup_, "j", "1"));

  EXPECT_RC(EMDB_NOTFOUND, del(t, plain_, "missing"));
  // A value that does not match on a plain table: not found, nothing deleted.
  EXPECT_RC(EMDB_NOTFOUND, del(t, plain_, "a", "wrong"));
  ASSERT_OK(del(t, plain_, "a", "1"));
  ASSERT_OK(del(t, plain_, "b"));
  std::string v;
  EXPECT_RC(EMDB_NOTFOUND, get(t, plain_, "a", &v));
  EXPECT_RC(EMDB_NOTFOUND, get(t, plain_, "b", &v));

  ASSERT_OK(del(t, dup_, "k", "y"));
  EXPECT_EQ((std::vector<std::string>{"x", "z"}), dups(t, dup_, "k"));
  EXPECT_RC(EMDB_NOTFOUND, del(t, dup_, "k", "y"));
  EXPECT_RC(EMDB_NOTFOUND, del(t, dup_, "nokey", "y"));
  ASSERT_OK(del(t, dup_, "k"));  // all values
  EXPECT_TRUE(dups(t, dup_, "k").empty());
  ASSERT_OK(del(t, dup_, "j", "1"));  // the last value removes the key
  EXPECT_RC(EMDB_NOTFOUND, get(t, dup_, "j", &v));
  EMDB_stat st;
  ASSERT_OK(emdb_dbi_stat(t, dup_, &st, sizeof st));
  EXPECT_EQ(0u, st.ms_entries);
}

TEST_F(PutGet, ReplaceUpdateReturnsOldValue) {
  {
    Txn t = write_txn();
    ASSERT_OK(put(t, plain_, "k", "old value"));
    ASSERT_OK(t.commit());
  }
  Txn t = write_txn();
  const std::string nv = "new";
  EMDB_val k = V("k", 1), n = V(nv), old = V0();
  // The old value lives in a clean page: it is returned as a view, no buffer needed.
  ASSERT_OK(emdb_replace(t, plain_, &k, &n, &old, EMDB_UPSERT));
  EXPECT_EQ("old value", S(old));
  std::string v;
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ("new", v);
}

TEST_F(PutGet, ReplaceDirtyValueNeedsBuffer) {
  Txn t = write_txn();
  const std::string old_value(100, 'o');
  ASSERT_OK(put(t, plain_, "k", old_value));  // now in a dirty page
  const std::string nv = "replacement";
  EMDB_val k = V("k", 1), n = V(nv);
  EMDB_val old = V0();
  // No buffer: EMDB_RESULT_TRUE with the size needed, nothing changed.
  ASSERT_RC(EMDB_RESULT_TRUE, emdb_replace(t, plain_, &k, &n, &old, EMDB_UPSERT));
  EXPECT_EQ(old_value.size(), old.iov_len);
  std::string v;
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ(old_value, v);
  // Too small a buffer: the same.
  char small[10];
  old = V(small, sizeof small);
  ASSERT_RC(EMDB_RESULT_TRUE, emdb_replace(t, plain_, &k, &n, &old, EMDB_UPSERT));
  EXPECT_EQ(old_value.size(), old.iov_len);
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ(old_value, v);
  // Big enough: the old value is copied out and the new one stored.
  std::vector<char> buf(200);
  old = V(buf.data(), buf.size());
  ASSERT_OK(emdb_replace(t, plain_, &k, &n, &old, EMDB_UPSERT));
  EXPECT_EQ(old_value, S(old));
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ(nv, v);
}

TEST_F(PutGet, ReplaceDeleteAndInsert) {
  {
    Txn t = write_txn();
    ASSERT_OK(put(t, plain_, "k", "v"));
    ASSERT_OK(t.commit());
  }
  Txn t = write_txn();
  EMDB_val k = V("k", 1), old = V0();
  std::vector<char> buf(64);
  old = V(buf.data(), buf.size());
  // new_data NULL with CURRENT: delete and return the old value.
  ASSERT_OK(emdb_replace(t, plain_, &k, nullptr, &old, EMDB_CURRENT));
  EXPECT_EQ("v", S(old));
  std::string v;
  EXPECT_RC(EMDB_NOTFOUND, get(t, plain_, "k", &v));
  old = V(buf.data(), buf.size());
  EXPECT_RC(EMDB_NOTFOUND, emdb_replace(t, plain_, &k, nullptr, &old, EMDB_CURRENT));
  // An absent key without CURRENT is inserted; old_data comes back empty.
  const std::string nv = "inserted";
  EMDB_val n = V(nv);
  old = V(buf.data(), buf.size());
  ASSERT_OK(emdb_replace(t, plain_, &k, &n, &old, EMDB_UPSERT));
  EXPECT_EQ(0u, old.iov_len);
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ("inserted", v);
  // CURRENT on an absent key: not found.
  EMDB_val k2 = V("k2", 2);
  old = V(buf.data(), buf.size());
  EXPECT_RC(EMDB_NOTFOUND, emdb_replace(t, plain_, &k2, &n, &old, EMDB_CURRENT));
  // NOOVERWRITE on a present key: KEYEXIST and the present value.
  const std::string other = "other";
  EMDB_val o = V(other);
  old = V(buf.data(), buf.size());
  EXPECT_RC(EMDB_KEYEXIST, emdb_replace(t, plain_, &k, &o, &old, EMDB_NOOVERWRITE));
  EXPECT_EQ("inserted", S(old));
  ASSERT_OK(get(t, plain_, "k", &v));
  EXPECT_EQ("inserted", v);
}

TEST_F(PutGet, ReplaceSelectsOneDuplicate) {
  Txn t = write_txn();
  for (const char* v : {"a", "c", "e"}) ASSERT_OK(put(t, dup_, "k", v));
  std::vector<char> buf(16);
  EMDB_val k = V("k", 1);
  // Several values and no selector: ambiguous.
  const std::string nv = "z";
  EMDB_val n = V(nv);
  EMDB_val old = V(buf.data(), buf.size());
  EXPECT_RC(EMDB_EMULTIVAL, emdb_replace(t, dup_, &k, &n, &old, EMDB_CURRENT));
  EXPECT_EQ((std::vector<std::string>{"a", "c", "e"}), dups(t, dup_, "k"));
  // CURRENT|NOOVERWRITE: old_data selects the value to replace.
  const std::string sel = "c";
  old = V(sel);
  ASSERT_OK(emdb_replace(t, dup_, &k, &n, &old, EMDB_put_flags_t(EMDB_CURRENT | EMDB_NOOVERWRITE)));
  EXPECT_EQ((std::vector<std::string>{"a", "e", "z"}), dups(t, dup_, "k"));
  // ... or to delete.
  const std::string sel2 = "a";
  old = V(sel2);
  ASSERT_OK(
      emdb_replace(t, dup_, &k, nullptr, &old, EMDB_put_flags_t(EMDB_CURRENT | EMDB_NOOVERWRITE)));
  EXPECT_EQ((std::vector<std::string>{"e", "z"}), dups(t, dup_, "k"));
  const std::string missing = "q";
  old = V(missing);
  EXPECT_RC(EMDB_NOTFOUND, emdb_replace(t, dup_, &k, nullptr, &old,
                                        EMDB_put_flags_t(EMDB_CURRENT | EMDB_NOOVERWRITE)));
}

TEST_F(PutGet, RandomKeysAgainstStdMap) {
  std::mt19937_64 rng(test_seed_for("PutGet.RandomKeysAgainstStdMap"));
  std::map<std::string, std::string> model;
  Txn t = write_txn();
  for (int i = 0; i < 20000; ++i) {
    const std::string k = random_bytes(rng, 1 + rng() % 24);
    const std::string v = random_bytes(rng, rng() % 200);
    ASSERT_OK(put(t, plain_, k, v));
    model[k] = v;
  }
  ASSERT_OK(t.commit());
  t = write_txn();
  int n = 0;
  for (auto it = model.begin(); it != model.end();) {
    if (n++ % 2 == 0) {
      ASSERT_OK(del(t, plain_, it->first));
      it = model.erase(it);
    } else {
      ++it;
    }
  }
  ASSERT_OK(t.commit());
  Txn r = read_txn();
  Pairs p;
  ASSERT_OK(collect(r, plain_, &p));
  ASSERT_EQ(model.size(), p.size());
  size_t i = 0;
  for (const auto& [k, v] : model) {
    ASSERT_EQ(k, p[i].first) << i;
    ASSERT_EQ(v, p[i].second) << i;
    ++i;
  }
}

}  // namespace
}  // namespace emdb_test
