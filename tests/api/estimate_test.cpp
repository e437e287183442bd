// estimate_test.cpp — range estimation (emdb_estimate_range, emdb_estimate_distance,
// emdb_estimate_move): accuracy on large tables, exactness inside one page, argument checks.
//
// The accuracy tables are built once per process (EMDB_ESTIMATE_ENTRIES entries each, default
// 1,000,000; the default suite sets 300,000, sanitizer builds 100,000, and the ctest
// emdb_estimate_accuracy_full, label `long`, 1,000,000): filled in random order, in sequential
// order, and filled in random order and then thinned by deleting a random 70%; plus a DUPSORT
// table. For 10,000 random ranges of at least 1,000 true entries (at least a tenth of the table's
// entries in the scaled-down runs) the median absolute relative error must stay below 10% and the
// 99th percentile below 50%. The measured distribution is printed (docs/api.md quotes it).
#include <emdb/emdb.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/internal.hpp"  // white box: which leaf a cursor is on
#include "support/db.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace {

using emdb_test::Cursor;
using emdb_test::Env;
using emdb_test::TempDir;
using emdb_test::Txn;

struct Key {
  uint8_t b[8];
  explicit Key(uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) b[i] = uint8_t(v);
  }
  EMDB_val val() { return EMDB_val{b, sizeof b}; }
};

struct Table {
  std::string name;
  EMDB_dbi dbi = 0;
  bool dupsort = false;
  std::vector<uint64_t> keys;  // sorted; for DUPSORT one entry per (key, value) pair
  std::vector<uint32_t> vals;  // DUPSORT: the value of each pair
};

constexpr int kTables = 4;

struct World {
  std::unique_ptr<TempDir> dir;
  Env env;
  Table t[kTables];
  size_t entries = 0;
  uint64_t seed = 0;
};

int Put(EMDB_txn* txn, EMDB_dbi dbi, uint64_t k, uint32_t v) {
  Key key(k);
  uint8_t vb[16];
  std::memset(vb, 0, sizeof vb);
  for (int i = 0; i < 4; i++) vb[i] = uint8_t(v >> (24 - 8 * i));  // big-endian: sorted order
  EMDB_val kv = key.val(), dv{vb, sizeof vb};
  return emdb_put(txn, dbi, &kv, &dv, EMDB_UPSERT);
}

// Inserts (k, v) pairs in the given order, committing every 100,000.
void Fill(EMDB_env* env, EMDB_dbi dbi, const std::vector<std::pair<uint64_t, uint32_t>>& kvs) {
  Txn txn;
  ASSERT_EQ(txn.begin(env), 0);
  size_t n = 0;
  for (const auto& [k, v] : kvs) {
    ASSERT_EQ(Put(txn, dbi, k, v), 0);
    if (++n % 100000 == 0) {
      ASSERT_EQ(txn.commit(), 0);
      ASSERT_EQ(txn.begin(env), 0);
    }
  }
  ASSERT_EQ(txn.commit(), 0);
}

World* BuildWorld() {
  auto* w = new World;
  w->entries = size_t(emdb_test::env_u64("EMDB_ESTIMATE_ENTRIES", 1000000));
  w->seed = emdb_test::test_seed_for("Estimate.world");
  std::mt19937_64 rng(w->seed);
  w->dir = std::make_unique<TempDir>("estimate");
  emdb_test::EnvOptions o;
  o.size_upper = intptr_t(4) << 30;
  o.pagesize = 4096;
  EXPECT_EQ(w->env.open(w->dir->path(), o), 0);
  const char* names[kTables] = {"random", "sequential", "deleted70", "dupsort"};
  {
    Txn txn;
    EXPECT_EQ(txn.begin(w->env), 0);
    for (int i = 0; i < kTables; i++) {
      w->t[i].name = names[i];
      w->t[i].dupsort = i == 3;
      unsigned f = EMDB_CREATE | (w->t[i].dupsort ? EMDB_DUPSORT : 0);
      EXPECT_EQ(emdb_dbi_open(txn, names[i], EMDB_db_flags_t(f), &w->t[i].dbi), 0);
    }
    EXPECT_EQ(txn.commit(), 0);
  }
  const size_t n = w->entries;
  std::vector<std::pair<uint64_t, uint32_t>> kvs(n);
  for (size_t i = 0; i < n; i++) kvs[i] = {uint64_t(i) * 4, 0};
  // Sequential.
  Fill(w->env, w->t[1].dbi, kvs);
  w->t[1].keys.resize(n);
  for (size_t i = 0; i < n; i++) w->t[1].keys[i] = kvs[i].first;
  // Random order.
  std::shuffle(kvs.begin(), kvs.end(), rng);
  Fill(w->env, w->t[0].dbi, kvs);
  w->t[0].keys = w->t[1].keys;
  // Random order, then delete a random 70%.
  Fill(w->env, w->t[2].dbi, kvs);
  {
    std::shuffle(kvs.begin(), kvs.end(), rng);
    size_t del = n * 7 / 10;
    Txn txn;
    EXPECT_EQ(txn.begin(w->env), 0);
    for (size_t i = 0; i < del; i++) {
      Key k(kvs[i].first);
      EMDB_val kv = k.val();
      EXPECT_EQ(emdb_del(txn, w->t[2].dbi, &kv, nullptr), 0);
      if ((i + 1) % 100000 == 0) {
        EXPECT_EQ(txn.commit(), 0);
        EXPECT_EQ(txn.begin(w->env), 0);
      }
    }
    EXPECT_EQ(txn.commit(), 0);
    for (size_t i = del; i < n; i++) w->t[2].keys.push_back(kvs[i].first);
    std::sort(w->t[2].keys.begin(), w->t[2].keys.end());
  }
  // DUPSORT: n / 10 keys in random order, 1..19 values each (sub-pages), every 997th key with
  // 300 values (a sub-tree).
  {
    std::vector<std::pair<uint64_t, uint32_t>> d;
    std::uniform_int_distribution<int> cnt(1, 19);
    for (size_t i = 0; i < n / 10; i++) {
      int c = (i % 997 == 0) ? 300 : cnt(rng);
      for (int j = 0; j < c; j++) d.push_back({uint64_t(i) * 4, uint32_t(j) * 3});
    }
    Table& t = w->t[3];
    for (const auto& [k, v] : d) {
      t.keys.push_back(k);
      t.vals.push_back(v);
    }
    std::shuffle(d.begin(), d.end(), rng);
    Fill(w->env, t.dbi, d);
  }
  return w;
}

World& W() {
  static World* w = BuildWorld();
  return *w;
}

struct Stats {
  double p50, p90, p99, max;
};

Stats Percentiles(std::vector<double> e) {
  std::sort(e.begin(), e.end());
  auto at = [&](double q) { return e[std::min(e.size() - 1, size_t(q * double(e.size())))]; };
  return {at(0.5), at(0.9), at(0.99), e.back()};
}

// Estimates [keys[i], keys[j]) (j == size: to the end) through emdb_estimate_range.
ptrdiff_t RangeEstimate(EMDB_txn* txn, Table& t, size_t i, size_t j) {
  Key bk(t.keys[i]);
  EMDB_val bkv = bk.val();
  ptrdiff_t est = -1;
  if (j >= t.keys.size()) {
    EXPECT_EQ(emdb_estimate_range(txn, t.dbi, &bkv, nullptr, nullptr, nullptr, &est), 0);
    return est;
  }
  Key ek(t.keys[j]);
  EMDB_val ekv = ek.val();
  if (!t.dupsort) {
    EXPECT_EQ(emdb_estimate_range(txn, t.dbi, &bkv, nullptr, &ekv, nullptr, &est), 0);
    return est;
  }
  uint8_t bvb[16] = {}, evb[16] = {};
  for (int b = 0; b < 4; b++) {
    bvb[b] = uint8_t(t.vals[i] >> (24 - 8 * b));
    evb[b] = uint8_t(t.vals[j] >> (24 - 8 * b));
  }
  EMDB_val bdv{bvb, 16}, edv{evb, 16};
  EXPECT_EQ(emdb_estimate_range(txn, t.dbi, &bkv, &bdv, &ekv, &edv, &est), 0);
  return est;
}

// The leaf page a cursor is on (white box).
const void* LeafOf(EMDB_cursor* c) {
  const auto* x = reinterpret_cast<const emdb::Cursor*>(c);
  return x->depth > 0 ? x->pg[x->depth - 1] : nullptr;
}

TEST(Estimate, AccuracyOnLargeTables) {
  World& w = W();
  Txn txn;
  ASSERT_EQ(txn.begin(w.env, EMDB_TXN_RDONLY), 0);
  std::mt19937_64 rng(emdb_test::test_seed_for("Estimate.AccuracyOnLargeTables"));
  const size_t ranges = 10000;
  std::printf("range estimation, %zu ranges per table, table size %zu (seed %" PRIu64 ")\n", ranges,
              w.entries, w.seed);
  std::printf("%-12s %9s %7s %7s %7s %7s %7s %7s\n", "table", "entries", "depth", "leaves", "p50",
              "p90", "p99", "max");
  for (Table& t : w.t) {
    const size_t n = t.keys.size();
    const size_t min_len = std::min<size_t>(1000, n / 10);
    std::vector<double> err;
    err.reserve(ranges);
    std::uniform_real_distribution<double> u(0, 1);
    for (size_t r = 0; r < ranges; r++) {
      // Log-uniform length in [min_len, n], then a uniform start.
      size_t len = size_t(double(min_len) * std::pow(double(n) / double(min_len), u(rng)));
      len = std::clamp(len, min_len, n);
      size_t i = std::uniform_int_distribution<size_t>(0, n - len)(rng);
      ptrdiff_t est = RangeEstimate(txn, t, i, i + len);
      err.push_back(std::fabs(double(est) - double(len)) / double(len));
    }
    EMDB_stat st;
    ASSERT_EQ(emdb_dbi_stat(txn, t.dbi, &st, sizeof st), 0);
    EXPECT_EQ(st.ms_entries, n);
    Stats s = Percentiles(err);
    std::printf("%-12s %9zu %7u %7" PRIu64 " %6.2f%% %6.2f%% %6.2f%% %6.2f%%\n", t.name.c_str(), n,
                st.ms_depth, uint64_t(st.ms_leaf_pages), 100 * s.p50, 100 * s.p90, 100 * s.p99,
                100 * s.max);
    EXPECT_LT(s.p50, 0.10) << t.name;
    EXPECT_LT(s.p99, 0.50) << t.name;
  }
}

// Ranges whose ends lie in one leaf, or in two leaves with no whole leaf between them, are
// counted exactly; the cursor pair gives the same answer as the key pair.
TEST(Estimate, ExactInsideOnePage) {
  World& w = W();
  Txn txn;
  ASSERT_EQ(txn.begin(w.env, EMDB_TXN_RDONLY), 0);
  std::mt19937_64 rng(emdb_test::test_seed_for("Estimate.ExactInsideOnePage"));
  size_t same_leaf = 0, adjacent = 0;
  for (Table& t : w.t) {
    if (t.dupsort) continue;
    Cursor b, e;
    ASSERT_EQ(b.open(txn, t.dbi), 0);
    ASSERT_EQ(e.open(txn, t.dbi), 0);
    const size_t n = t.keys.size();
    for (int r = 0; r < 3000; r++) {
      size_t len = std::uniform_int_distribution<size_t>(1, 300)(rng);
      size_t i = std::uniform_int_distribution<size_t>(0, n - 1 - len)(rng);
      Key bk(t.keys[i]), ek(t.keys[i + len]);
      EMDB_val bkv = bk.val(), ekv = ek.val(), d;
      ASSERT_EQ(emdb_cursor_get(b.get(), &bkv, &d, EMDB_SET), 0);
      ASSERT_EQ(emdb_cursor_get(e.get(), &ekv, &d, EMDB_SET), 0);
      ptrdiff_t est = RangeEstimate(txn, t, i, i + len);
      ptrdiff_t dist = 0;
      ASSERT_EQ(emdb_estimate_distance(b.get(), e.get(), &dist), 0);
      EXPECT_EQ(dist, est);
      ptrdiff_t back = 0;
      ASSERT_EQ(emdb_estimate_distance(e.get(), b.get(), &back), 0);
      EXPECT_EQ(back, -dist);
      const auto* bc = reinterpret_cast<const emdb::Cursor*>(b.get());
      const auto* ec = reinterpret_cast<const emdb::Cursor*>(e.get());
      if (LeafOf(b.get()) == LeafOf(e.get())) {
        same_leaf++;
        EXPECT_EQ(est, ptrdiff_t(len)) << t.name << " same leaf, start " << i;
      } else {
        const int lb = bc->depth - 1, le = ec->depth - 1;
        size_t edge = emdb::format::NumKeys(bc->pg[lb]) - bc->ki[lb] + ec->ki[le];
        if (edge == len) {
          adjacent++;
          EXPECT_EQ(est, ptrdiff_t(len)) << t.name << " adjacent leaves, start " << i;
        }
      }
    }
  }
  EXPECT_GT(same_leaf, 100u);
  EXPECT_GT(adjacent, 10u);
}

TEST(Estimate, MoveMatchesTheMove) {
  World& w = W();
  Txn txn;
  ASSERT_EQ(txn.begin(w.env, EMDB_TXN_RDONLY), 0);
  Table& t = w.t[0];
  Cursor c;
  ASSERT_EQ(c.open(txn, t.dbi), 0);
  const size_t n = t.keys.size();
  size_t mid = n / 2;
  Key mk(t.keys[mid]);
  EMDB_val k = mk.val(), d;
  ASSERT_EQ(emdb_cursor_get(c.get(), &k, &d, EMDB_SET), 0);
  ptrdiff_t dist = 0;
  EMDB_val k2, d2;
  ASSERT_EQ(emdb_estimate_move(c.get(), &k2, &d2, EMDB_NEXT, &dist), 0);
  EXPECT_EQ(dist, 1);
  ASSERT_EQ(emdb_estimate_move(c.get(), &k2, &d2, EMDB_PREV, &dist), 0);
  EXPECT_EQ(dist, -1);
  // The cursor did not move.
  EMDB_val ck, cd;
  ASSERT_EQ(emdb_cursor_get(c.get(), &ck, &cd, EMDB_GET_CURRENT), 0);
  ASSERT_EQ(ck.iov_len, 8u);
  EXPECT_EQ(std::memcmp(ck.iov_base, mk.b, 8), 0);
  // FIRST and LAST: the distances to the ends add up to the table's size.
  ptrdiff_t to_first = 0, to_last = 0;
  ASSERT_EQ(emdb_estimate_move(c.get(), nullptr, nullptr, EMDB_FIRST, &to_first), 0);
  ASSERT_EQ(emdb_estimate_move(c.get(), nullptr, nullptr, EMDB_LAST, &to_last), 0);
  EXPECT_LT(to_first, 0);
  EXPECT_GT(to_last, 0);
  EXPECT_LT(std::fabs(double(to_last - to_first) - double(n)), 0.05 * double(n));
  EXPECT_LT(std::fabs(double(-to_first) - double(mid)), 0.1 * double(mid));
  // A key a few entries ahead: exact.
  Key ahead(t.keys[mid + 5]);
  EMDB_val ak = ahead.val();
  ASSERT_EQ(emdb_estimate_move(c.get(), &ak, nullptr, EMDB_SET_RANGE, &dist), 0);
  if (dist != 5) {
    // Only when a whole leaf lies between (cannot be: 5 entries), so this is a failure.
    ADD_FAILURE() << "estimate_move(SET_RANGE, +5) = " << dist;
  }
  // Past the end: SET_RANGE to a key above every key counts to the end.
  Key beyond(uint64_t(1) << 62);
  EMDB_val bk = beyond.val();
  ASSERT_EQ(emdb_estimate_move(c.get(), &bk, nullptr, EMDB_SET_RANGE, &dist), 0);
  EXPECT_EQ(dist, to_last);
  // SET of a missing key: the move fails, and so does the estimate.
  Key missing(t.keys[mid] + 1);
  EMDB_val mkv = missing.val();
  EXPECT_EQ(emdb_estimate_move(c.get(), &mkv, nullptr, EMDB_SET, &dist), EMDB_NOTFOUND);
}

TEST(Estimate, RangeEdgesAndEpsilon) {
  World& w = W();
  Txn txn;
  ASSERT_EQ(txn.begin(w.env, EMDB_TXN_RDONLY), 0);
  Table& t = w.t[3];  // DUPSORT
  const ptrdiff_t n = ptrdiff_t(t.keys.size());
  ptrdiff_t est = -1;
  ASSERT_EQ(emdb_estimate_range(txn, t.dbi, nullptr, nullptr, nullptr, nullptr, &est), 0);
  EXPECT_EQ(est, n);
  // One key: its number of values, exactly.
  auto values_of = [&](uint64_t k) {
    return ptrdiff_t(std::upper_bound(t.keys.begin(), t.keys.end(), k) -
                     std::lower_bound(t.keys.begin(), t.keys.end(), k));
  };
  for (uint64_t k : {t.keys[0], t.keys[n / 2], t.keys[n - 1], uint64_t(0)}) {
    Key key(k);
    EMDB_val kv = key.val();
    ASSERT_EQ(emdb_estimate_range(txn, t.dbi, &kv, nullptr, &kv, nullptr, &est), 0);
    EXPECT_EQ(est, values_of(k));
    ASSERT_EQ(emdb_estimate_range(txn, t.dbi, &kv, nullptr, EMDB_EPSILON, nullptr, &est), 0);
    EXPECT_EQ(est, values_of(k));
    ASSERT_EQ(emdb_estimate_range(txn, t.dbi, EMDB_EPSILON, nullptr, &kv, nullptr, &est), 0);
    EXPECT_EQ(est, values_of(k));
  }
  ASSERT_EQ(emdb_estimate_range(txn, t.dbi, nullptr, nullptr, EMDB_EPSILON, nullptr, &est), 0);
  EXPECT_EQ(est, values_of(t.keys[0]));
  ASSERT_EQ(emdb_estimate_range(txn, t.dbi, EMDB_EPSILON, nullptr, nullptr, nullptr, &est), 0);
  EXPECT_EQ(est, values_of(t.keys[n - 1]));
  Key missing(1);
  EMDB_val mk = missing.val();
  ASSERT_EQ(emdb_estimate_range(txn, t.dbi, &mk, nullptr, &mk, nullptr, &est), 0);
  EXPECT_EQ(est, 0);
  // Bad arguments.
  EMDB_val v{nullptr, 0};
  EXPECT_EQ(emdb_estimate_range(txn, t.dbi, EMDB_EPSILON, nullptr, EMDB_EPSILON, nullptr, &est),
            EMDB_EINVAL);
  EXPECT_EQ(emdb_estimate_range(txn, t.dbi, nullptr, &v, nullptr, nullptr, &est), EMDB_EINVAL);
  EXPECT_EQ(emdb_estimate_range(txn, t.dbi, &mk, nullptr, EMDB_EPSILON, &v, &est), EMDB_EINVAL);
  EXPECT_EQ(emdb_estimate_range(txn, t.dbi, nullptr, nullptr, nullptr, nullptr, nullptr),
            EMDB_EINVAL);
  EXPECT_EQ(emdb_estimate_range(txn, 999, nullptr, nullptr, nullptr, nullptr, &est), EMDB_BAD_DBI);
  EXPECT_EQ(emdb_estimate_range(nullptr, t.dbi, nullptr, nullptr, nullptr, nullptr, &est),
            EMDB_EINVAL);
  uint8_t shortkey[3] = {1, 2, 3};
  EMDB_val sk{shortkey, 3};
  (void)sk;
  // Unpositioned cursors and mismatched cursors.
  Cursor a, b, other;
  ASSERT_EQ(a.open(txn, t.dbi), 0);
  ASSERT_EQ(b.open(txn, t.dbi), 0);
  ASSERT_EQ(other.open(txn, w.t[0].dbi), 0);
  ptrdiff_t dist = 0;
  EXPECT_EQ(emdb_estimate_distance(a.get(), b.get(), &dist), EMDB_ENODATA);
  EMDB_val k, d;
  ASSERT_EQ(emdb_cursor_get(a.get(), &k, &d, EMDB_FIRST), 0);
  ASSERT_EQ(emdb_cursor_get(b.get(), &k, &d, EMDB_LAST), 0);
  ASSERT_EQ(emdb_cursor_get(other.get(), &k, &d, EMDB_LAST), 0);
  EXPECT_EQ(emdb_estimate_distance(a.get(), other.get(), &dist), EMDB_EINVAL);
  EXPECT_EQ(emdb_estimate_distance(a.get(), b.get(), nullptr), EMDB_EINVAL);
  EXPECT_EQ(emdb_estimate_distance(a.get(), nullptr, &dist), EMDB_EINVAL);
  ASSERT_EQ(emdb_estimate_distance(a.get(), b.get(), &dist), 0);
  // FIRST..LAST entry: everything but the last key's values.
  EXPECT_LT(std::fabs(double(dist) - double(n - values_of(t.keys[n - 1]))), 0.1 * double(n));
  EXPECT_EQ(emdb_estimate_move(a.get(), nullptr, nullptr, EMDB_GET_CURRENT, &dist), EMDB_EINVAL);
  EXPECT_EQ(emdb_estimate_move(a.get(), nullptr, nullptr, EMDB_SET, &dist), EMDB_EINVAL);
  EXPECT_EQ(emdb_estimate_move(a.get(), nullptr, nullptr, EMDB_NEXT, nullptr), EMDB_EINVAL);
  // Values of one key: NEXT_DUP moves by one value.
  ASSERT_EQ(emdb_estimate_move(a.get(), nullptr, nullptr, EMDB_NEXT_NODUP, &dist), 0);
  EXPECT_EQ(dist, values_of(t.keys[0]));
  // Inside one key with many values (a sub-tree): exact within one page of values.
  uint64_t big = 0;  // key 0 has 300 values
  Key bk(big);
  EMDB_val bkv = bk.val();
  uint8_t v1[16] = {}, v2[16] = {};
  v1[3] = 30;  // value 30 = index 10
  v2[2] = 1;   // value 256 ~ index 85.3 -> lower bound index 86 (value 258)
  EMDB_val d1{v1, 16}, d2{v2, 16};
  ASSERT_EQ(emdb_estimate_range(txn, t.dbi, &bkv, &d1, &bkv, &d2, &est), 0);
  EXPECT_NEAR(double(est), 76.0, 15.0);
}

TEST(Estimate, WriteTxnAndSmallTables) {
  TempDir dir("estimate-small");
  Env env;
  ASSERT_EQ(env.open(dir.path()), 0);
  Txn txn;
  ASSERT_EQ(txn.begin(env), 0);
  EMDB_dbi dbi;
  ASSERT_EQ(emdb_dbi_open(txn, "t", EMDB_CREATE, &dbi), 0);
  ptrdiff_t est = -1;
  ASSERT_EQ(emdb_estimate_range(txn, dbi, nullptr, nullptr, nullptr, nullptr, &est), 0);
  EXPECT_EQ(est, 0);
  for (uint64_t i = 0; i < 50; i++) ASSERT_EQ(Put(txn, dbi, i * 2, 1), 0);
  for (uint64_t a = 0; a < 100; a += 7) {
    for (uint64_t b = 0; b < 100; b += 5) {
      Key ka(a), kb(b);
      EMDB_val va = ka.val(), vb = kb.val();
      ASSERT_EQ(emdb_estimate_range(txn, dbi, &va, nullptr, &vb, nullptr, &est), 0);
      ptrdiff_t want = ptrdiff_t((b + 1) / 2) - ptrdiff_t((a + 1) / 2);
      if (a == b) want = (a % 2 == 0) ? 1 : 0;  // one key: its values
      EXPECT_EQ(est, want) << a << ".." << b;
    }
  }
  // A cursor positioned by the write txn and one after a delete.
  Cursor c1, c2;
  ASSERT_EQ(c1.open(txn, dbi), 0);
  ASSERT_EQ(c2.open(txn, dbi), 0);
  EMDB_val k, d;
  ASSERT_EQ(emdb_cursor_get(c1.get(), &k, &d, EMDB_FIRST), 0);
  ASSERT_EQ(emdb_cursor_get(c2.get(), &k, &d, EMDB_LAST), 0);
  ptrdiff_t dist = 0;
  ASSERT_EQ(emdb_estimate_distance(c1.get(), c2.get(), &dist), 0);
  EXPECT_EQ(dist, 49);
  ASSERT_EQ(emdb_cursor_del(c1.get(), EMDB_CURRENT), 0);
  ASSERT_EQ(emdb_estimate_distance(c1.get(), c2.get(), &dist), 0);
  EXPECT_EQ(dist, 48);
  ASSERT_EQ(emdb_cursor_get(c2.get(), &k, &d, EMDB_NEXT), EMDB_NOTFOUND);
  ASSERT_EQ(emdb_estimate_distance(c1.get(), c2.get(), &dist), 0);
  EXPECT_EQ(dist, 49);  // eof counts as one past the last
}

}  // namespace
