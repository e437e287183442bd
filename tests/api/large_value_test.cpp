// large_value_test.cpp — values spanning many pages (1 MiB .. 32 MiB), updates that grow and
// shrink them, and their pages being counted and reused.
#include <map>

#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class LargeValues : public EnvTest, public ::testing::WithParamInterface<int> {
 protected:
  void SetUp() override {
    EnvTest::SetUp();
    EnvOptions o;
    o.pagesize = GetParam();
    o.size_upper = intptr_t(2) << 30;
    o.flags = EMDB_SAFE_NOSYNC;  // these tests are about layout, not durability
    open(o);
    dbi_ = table("big");
  }
  EMDB_dbi dbi_ = 0;
};

TEST_P(LargeValues, StoreReadUpdateDelete) {
  const size_t sizes[] = {size_t(1) << 20, size_t(3) << 20, (size_t(8) << 20) + 12345,
                          size_t(32) << 20};
  {
    Txn t = write_txn();
    for (size_t i = 0; i < std::size(sizes); ++i)
      ASSERT_OK(put(t, dbi_, key_n(i), value_n(i, sizes[i]))) << sizes[i];
    ASSERT_OK(put(t, dbi_, "small", "s"));
    // Readable in the writing txn.
    for (size_t i = 0; i < std::size(sizes); ++i) {
      std::string v;
      ASSERT_OK(get(t, dbi_, key_n(i), &v));
      ASSERT_EQ(sizes[i], v.size());
      ASSERT_TRUE(v == value_n(i, sizes[i])) << "value " << i << " differs";
    }
    ASSERT_OK(t.commit());
  }
  {
    Txn r = read_txn();
    EMDB_stat st;
    ASSERT_OK(emdb_dbi_stat(r, dbi_, &st, sizeof st));
    EXPECT_EQ(std::size(sizes) + 1, st.ms_entries);
    size_t total = 0;
    for (size_t s : sizes) total += s;
    EXPECT_GE(st.ms_overflow_pages * st.ms_psize, total);
    EXPECT_LE(st.ms_overflow_pages * st.ms_psize, total + std::size(sizes) * 2 * st.ms_psize);
    for (size_t i = 0; i < std::size(sizes); ++i) {
      const std::string key = key_n(i);
      EMDB_val k = V(key), d = V0();
      ASSERT_OK(emdb_get(r, dbi_, &k, &d));
      ASSERT_EQ(sizes[i], d.iov_len);
      ASSERT_TRUE(S(d) == value_n(i, sizes[i])) << "value " << i << " differs";
    }
  }
  // Grow one, shrink one (to a small inline value), replace one with the same size.
  {
    Txn t = write_txn();
    ASSERT_OK(put(t, dbi_, key_n(0), value_n(100, sizes[0] * 2)));
    ASSERT_OK(put(t, dbi_, key_n(1), "tiny now"));
    ASSERT_OK(put(t, dbi_, key_n(2), value_n(102, sizes[2])));
    ASSERT_OK(del(t, dbi_, key_n(3)));
    ASSERT_OK(t.commit());
  }
  reopen([] {
    EnvOptions o;
    o.size_upper = intptr_t(2) << 30;
    return o;
  }());
  Txn r = read_txn();
  ASSERT_OK(emdb_dbi_open(r, "big", EMDB_DB_DEFAULTS, &dbi_));  // handles die with the env
  std::string v;
  ASSERT_OK(get(r, dbi_, key_n(0), &v));
  EXPECT_TRUE(v == value_n(100, sizes[0] * 2));
  ASSERT_OK(get(r, dbi_, key_n(1), &v));
  EXPECT_EQ("tiny now", v);
  ASSERT_OK(get(r, dbi_, key_n(2), &v));
  EXPECT_TRUE(v == value_n(102, sizes[2]));
  EXPECT_RC(EMDB_NOTFOUND, get(r, dbi_, key_n(3), &v));
  ASSERT_OK(get(r, dbi_, "small", &v));
  EXPECT_EQ("s", v);
  EMDB_stat st;
  ASSERT_OK(emdb_dbi_stat(r, dbi_, &st, sizeof st));
  EXPECT_EQ(4u, st.ms_entries);
  EXPECT_GE(st.ms_overflow_pages * st.ms_psize, sizes[0] * 2 + sizes[2]);
}

TEST_P(LargeValues, ManyMediumValuesAcrossPages) {
  // Values just over a page, a few pages, and odd sizes, mixed with small ones.
  const size_t ps = size_t(GetParam());
  std::vector<size_t> lens;
  for (size_t m : {ps / 2, ps - 1, ps, ps + 1, 2 * ps + 7, 5 * ps, 17 * ps + 3}) lens.push_back(m);
  {
    Txn t = write_txn();
    for (int i = 0; i < 200; ++i) {
      const size_t len = lens[size_t(i) % lens.size()];
      ASSERT_OK(put(t, dbi_, key_n(i), value_n(i, len)));
    }
    ASSERT_OK(t.commit());
  }
  Txn r = read_txn();
  Pairs p;
  ASSERT_OK(collect(r, dbi_, &p));
  ASSERT_EQ(200u, p.size());
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(key_n(i), p[i].first);
    ASSERT_TRUE(p[i].second == value_n(i, lens[size_t(i) % lens.size()])) << i;
  }
}

TEST_P(LargeValues, ReserveLarge) {
  const size_t len = size_t(5) << 20;
  Txn t = write_txn();
  const std::string key = "reserved";
  EMDB_val k = V(key), d = V(nullptr, len);
  ASSERT_OK(emdb_put(t, dbi_, &k, &d, EMDB_RESERVE));
  ASSERT_NE(nullptr, d.iov_base);
  ASSERT_EQ(len, d.iov_len);
  const std::string expect = value_n(5, len);
  std::memcpy(d.iov_base, expect.data(), len);
  ASSERT_OK(t.commit());
  Txn r = read_txn();
  std::string v;
  ASSERT_OK(get(r, dbi_, key, &v));
  EXPECT_TRUE(v == expect);
}

// A large value rewritten in a txn (so its pages are dirty), then rewritten again in a nested
// txn that commits: the committed value must be the child's, byte for byte. (Found by the model
// test: the bytes after the first page came back wrong.)
TEST_P(LargeValues, RewriteInNestedTxnAfterDirtyRewrite) {
  const size_t ps = size_t(GetParam());
  const std::string key = "k";
  const std::string v1 = value_n(1, ps * 2), v2 = value_n(2, ps * 6 / 10),
                    v3 = value_n(3, ps * 104 / 100);
  Txn t = write_txn();
  ASSERT_OK(put(t, dbi_, key, v1));
  ASSERT_OK(put(t, dbi_, key, v2));
  {
    Txn child;
    ASSERT_OK(child.begin(env(), EMDB_TXN_READWRITE, t));
    ASSERT_OK(put(child, dbi_, key, v3));
    ASSERT_OK(child.commit());
  }
  std::string v;
  ASSERT_OK(get(t, dbi_, key, &v));
  EXPECT_TRUE(v == v3) << "wrong in the parent";
  ASSERT_OK(t.commit());
  Txn r = read_txn();
  ASSERT_OK(get(r, dbi_, key, &v));
  ASSERT_EQ(v3.size(), v.size());
  size_t first_diff = 0;
  while (first_diff < v.size() && v[first_diff] == v3[first_diff]) ++first_diff;
  EXPECT_EQ(v3.size(), first_diff) << "the committed value differs from byte " << first_diff;
}

// The same shape with random sizes, more keys, several children committed or aborted.
TEST_P(LargeValues, NestedTxnsRewritingLargeValues) {
  const size_t ps = size_t(GetParam());
  std::mt19937_64 rng(test_seed_for("LargeValues.NestedTxnsRewritingLargeValues"));
  std::map<std::string, std::string> committed;
  for (int round = 0; round < 60; ++round) {
    std::map<std::string, std::string> top = committed;
    Txn t = write_txn();
    auto work = [&](EMDB_txn* txn, std::map<std::string, std::string>& m, int n) {
      for (int i = 0; i < n; ++i) {
        const std::string k = "k" + std::to_string(rng() % 6);
        if (rng() % 4 == 0) {
          const int rc = del(txn, dbi_, k);
          ASSERT_TRUE(rc == EMDB_SUCCESS || rc == EMDB_NOTFOUND) << rc_name(rc);
          m.erase(k);
        } else {
          const std::string v = random_bytes(rng, rng() % (4 * ps));
          ASSERT_OK(put(txn, dbi_, k, v));
          m[k] = v;
        }
      }
    };
    work(t, top, 4);
    for (int c = int(rng() % 3); c >= 0; --c) {
      Txn child;
      ASSERT_OK(child.begin(env(), EMDB_TXN_READWRITE, t));
      std::map<std::string, std::string> cm = top;
      work(child, cm, 5);
      if (rng() % 2) {
        ASSERT_OK(child.commit());
        top = cm;
      } else {
        ASSERT_OK(child.abort());
      }
      work(t, top, 2);
    }
    for (const auto& [k, v] : top) {
      std::string got;
      ASSERT_OK(get(t, dbi_, k, &got)) << "round " << round;
      ASSERT_TRUE(got == v) << "round " << round << ": " << k << " wrong inside the txn";
    }
    ASSERT_OK(t.commit());
    committed = top;
    Txn r = read_txn();
    Pairs p;
    ASSERT_OK(collect(r, dbi_, &p));
    ASSERT_EQ(committed.size(), p.size()) << "round " << round;
    size_t i = 0;
    for (const auto& [k, v] : committed) {
      ASSERT_EQ(k, p[i].first) << "round " << round;
      ASSERT_TRUE(v == p[i].second) << "round " << round << ": committed value of " << k
                                    << " differs (" << v.size() << " bytes)";
      ++i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(PageSizes, LargeValues, ::testing::Values(256, 4096, 65536),
                         [](const auto& info) { return "ps" + std::to_string(info.param); });

}  // namespace
}  // namespace emdb_test
