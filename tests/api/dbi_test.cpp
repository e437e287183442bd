// dbi_test.cpp — named tables: flags and their orderings, create/accede/incompatible, limits,
// drop, stat, sequence, binary names, close.
#include <algorithm>

#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class DbiApi : public EnvTest {
 protected:
  void SetUp() override {
    EnvTest::SetUp();
    EnvOptions o;
    o.maxdbs = 16;
    open(o);
  }
};

std::vector<std::string> keys_of(const Pairs& p) {
  std::vector<std::string> out;
  for (const auto& kv : p) out.push_back(kv.first);
  return out;
}

std::vector<std::string> values_of(const Pairs& p) {
  std::vector<std::string> out;
  for (const auto& kv : p) out.push_back(kv.second);
  return out;
}

TEST_F(DbiApi, FlagsAreStoredExactly) {
  const unsigned all[] = {
      EMDB_DB_DEFAULTS,
      EMDB_REVERSEKEY,
      EMDB_DUPSORT,
      EMDB_INTEGERKEY,
      EMDB_DUPSORT | EMDB_DUPFIXED,
      EMDB_DUPSORT | EMDB_DUPFIXED | EMDB_INTEGERDUP,
      EMDB_DUPSORT | EMDB_REVERSEDUP,
      EMDB_DUPSORT | EMDB_DUPFIXED | EMDB_REVERSEDUP,
      EMDB_REVERSEKEY | EMDB_DUPSORT,
      EMDB_INTEGERKEY | EMDB_DUPSORT | EMDB_DUPFIXED | EMDB_INTEGERDUP,
  };
  std::vector<EMDB_dbi> dbis;
  {
    Txn t = write_txn();
    for (size_t i = 0; i < std::size(all); ++i) {
      EMDB_dbi dbi;
      const std::string name = "t" + std::to_string(i);
      ASSERT_OK(emdb_dbi_open(t, name.c_str(), EMDB_db_flags_t(all[i] | EMDB_CREATE), &dbi));
      unsigned flags = 0, state = 0;
      ASSERT_OK(emdb_dbi_flags_ex(t, dbi, &flags, &state));
      EXPECT_EQ(all[i], flags) << name;
      EXPECT_NE(0u, state & EMDB_DBI_CREAT) << name;
      dbis.push_back(dbi);
    }
    ASSERT_OK(t.commit());
  }
  reopen();
  Txn r = read_txn();
  for (size_t i = 0; i < std::size(all); ++i) {
    EMDB_dbi dbi;
    const std::string name = "t" + std::to_string(i);
    ASSERT_OK(emdb_dbi_open(r, name.c_str(), EMDB_db_flags_t(all[i]), &dbi));
    unsigned flags = 0, state = 0;
    ASSERT_OK(emdb_dbi_flags_ex(r, dbi, &flags, &state));
    EXPECT_EQ(all[i], flags) << name;
    EXPECT_EQ(0u, state & EMDB_DBI_CREAT) << name;
    ASSERT_OK(emdb_dbi_flags(r, dbi, &flags));
    EXPECT_EQ(all[i], flags) << name;
  }
}

// A handle's table record is loaded on first use in each transaction: until then
// emdb_dbi_flags_ex reports EMDB_DBI_STALE (as libmdbx), afterwards it does not.
TEST_F(DbiApi, FlagsExReportsStaleUntilFirstUse) {
  const EMDB_dbi dbi = table("s", EMDB_DUPSORT);
  {
    Txn t = write_txn();
    ASSERT_OK(put(t, dbi, "k", "v"));
    unsigned flags = 0, state = 0;
    ASSERT_OK(emdb_dbi_flags_ex(t, dbi, &flags, &state));
    EXPECT_EQ(0u, state & EMDB_DBI_STALE);
    EXPECT_NE(0u, state & EMDB_DBI_DIRTY);
    ASSERT_OK(t.commit());
  }
  for (bool write : {false, true}) {
    Txn t = write ? write_txn() : read_txn();
    unsigned flags = 0, state = 0;
    ASSERT_OK(emdb_dbi_flags_ex(t, dbi, &flags, &state));
    EXPECT_EQ(unsigned(EMDB_DUPSORT), flags);
    EXPECT_EQ(unsigned(EMDB_DBI_STALE), state) << "write " << write;
    ASSERT_OK(emdb_dbi_flags_ex(t, dbi, &flags, &state));
    EXPECT_EQ(0u, state) << "write " << write;
  }
  // The main table is never stale.
  Txn r = read_txn();
  unsigned flags = 0, state = 0;
  ASSERT_OK(emdb_dbi_flags_ex(r, EMDB_dbi(1), &flags, &state));
  EXPECT_EQ(0u, state & EMDB_DBI_STALE);
}

TEST_F(DbiApi, ReverseKeyOrdersByLastByteFirst) {
  const EMDB_dbi dbi = table("rev", EMDB_REVERSEKEY);
  Txn t = write_txn();
  for (const char* k : {"ba", "ab", "ca", "a", "zb", "aab", ""}) ASSERT_OK(put(t, dbi, k, k));
  Pairs p;
  ASSERT_OK(collect(t, dbi, &p));
  // Compare reversed strings ("", "a", "ab", "ac", "ba", "baa", "bz"); a shorter common suffix
  // sorts first.
  const std::vector<std::string> expect = {"", "a", "ba", "ca", "ab", "aab", "zb"};
  EXPECT_EQ(expect, keys_of(p));
}

TEST_F(DbiApi, IntegerKeyOrdersNumerically) {
  const EMDB_dbi dbi = table("int", EMDB_INTEGERKEY);
  Txn t = write_txn();
  const uint64_t nums[] = {256, 1, 65536, 2, 0xffffffffffull, 255, 0};
  for (uint64_t n : nums) ASSERT_OK(put(t, dbi, u64_bytes(n), std::to_string(n)));
  Pairs p;
  ASSERT_OK(collect(t, dbi, &p));
  std::vector<uint64_t> got;
  for (auto& kv : p) got.push_back(bytes_u64(kv.first));
  std::vector<uint64_t> expect(std::begin(nums), std::end(nums));
  std::sort(expect.begin(), expect.end());
  EXPECT_EQ(expect, got);
  // 32-bit keys in another table.
  EMDB_dbi dbi32;
  ASSERT_OK(emdb_dbi_open(t, "int32", EMDB_db_flags_t(EMDB_INTEGERKEY | EMDB_CREATE), &dbi32));
  for (uint32_t n : {70000u, 3u, 256u}) ASSERT_OK(put(t, dbi32, u32_bytes(n), "x"));
  ASSERT_OK(collect(t, dbi32, &p));
  ASSERT_EQ(3u, p.size());
  EXPECT_EQ(3u, bytes_u32(p[0].first));
  EXPECT_EQ(256u, bytes_u32(p[1].first));
  EXPECT_EQ(70000u, bytes_u32(p[2].first));
}

TEST_F(DbiApi, ReverseDupAndIntegerDupOrdering) {
  const EMDB_dbi rd = table("revdup", EMDB_DUPSORT | EMDB_REVERSEDUP);
  const EMDB_dbi id = table("intdup", EMDB_DUPSORT | EMDB_DUPFIXED | EMDB_INTEGERDUP);
  Txn t = write_txn();
  for (const char* v : {"ba", "ab", "ca", "a"}) ASSERT_OK(put(t, rd, "k", v));
  for (uint32_t n : {300u, 2u, 65536u, 1u}) ASSERT_OK(put(t, id, "k", u32_bytes(n)));
  Pairs p;
  ASSERT_OK(collect(t, rd, &p));
  EXPECT_EQ((std::vector<std::string>{"a", "ba", "ca", "ab"}), values_of(p));
  ASSERT_OK(collect(t, id, &p));
  std::vector<uint32_t> got;
  for (auto& kv : p) got.push_back(bytes_u32(kv.second));
  EXPECT_EQ((std::vector<uint32_t>{1, 2, 300, 65536}), got);
}

TEST_F(DbiApi, OpenMissingWithoutCreate) {
  Txn t = write_txn();
  EMDB_dbi dbi = 12345;
  EXPECT_RC(EMDB_NOTFOUND, emdb_dbi_open(t, "missing", EMDB_DB_DEFAULTS, &dbi));
  Txn r;
  t.abort();
  r = read_txn();
  EXPECT_RC(EMDB_NOTFOUND, emdb_dbi_open(r, "missing", EMDB_DB_DEFAULTS, &dbi));
  // Creating needs a write txn.
  EXPECT_RC(EMDB_EACCESS, emdb_dbi_open(r, "missing", EMDB_CREATE, &dbi));
}

TEST_F(DbiApi, SameNameSameHandle) {
  const EMDB_dbi a = table("a");
  Txn t = write_txn();
  EMDB_dbi again;
  ASSERT_OK(emdb_dbi_open(t, "a", EMDB_DB_DEFAULTS, &again));
  EXPECT_EQ(a, again);
  ASSERT_OK(emdb_dbi_open(t, "a", EMDB_CREATE, &again));
  EXPECT_EQ(a, again);
  EMDB_dbi b;
  ASSERT_OK(emdb_dbi_open(t, "b", EMDB_CREATE, &b));
  EXPECT_NE(a, b);
}

TEST_F(DbiApi, MainTableByNullName) {
  Txn t = write_txn();
  EMDB_dbi m1, m2;
  ASSERT_OK(emdb_dbi_open(t, nullptr, EMDB_DB_DEFAULTS, &m1));
  ASSERT_OK(emdb_dbi_open(t, nullptr, EMDB_CREATE, &m2));
  EXPECT_EQ(m1, m2);
  ASSERT_OK(put(t, m1, "k", "v"));
  std::string v;
  ASSERT_OK(get(t, m2, "k", &v));
  EXPECT_EQ("v", v);
}

TEST_F(DbiApi, IncompatibleAndAccede) {
  const EMDB_dbi d = table("d", EMDB_DUPSORT);
  {
    Txn t = write_txn();
    ASSERT_OK(put(t, d, "k", "1"));
    ASSERT_OK(put(t, d, "k", "2"));
    ASSERT_OK(t.commit());
  }
  reopen();
  Txn t = write_txn();
  EMDB_dbi dbi;
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_dbi_open(t, "d", EMDB_REVERSEKEY, &dbi));
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_dbi_open(t, "d", EMDB_INTEGERKEY, &dbi));
  // Not even with CREATE: the table is not empty.
  EXPECT_RC(EMDB_INCOMPATIBLE,
            emdb_dbi_open(t, "d", EMDB_db_flags_t(EMDB_REVERSEKEY | EMDB_CREATE), &dbi));
  ASSERT_OK(emdb_dbi_open(t, "d", EMDB_DB_ACCEDE, &dbi));
  unsigned flags = 0, state = 0;
  ASSERT_OK(emdb_dbi_flags_ex(t, dbi, &flags, &state));
  EXPECT_EQ(unsigned(EMDB_DUPSORT), flags);
  size_t count = 0;
  EMDB_val k = V("k", 1), v = V0();
  ASSERT_OK(emdb_get_ex(t, dbi, &k, &v, &count));
  EXPECT_EQ(2u, count);
  // Matching flags work too.
  EMDB_dbi same;
  ASSERT_OK(emdb_dbi_open(t, "d", EMDB_DUPSORT, &same));
  EXPECT_EQ(dbi, same);
}

TEST_F(DbiApi, InvalidFlagCombinations) {
  Txn t = write_txn();
  EMDB_dbi dbi;
  const unsigned bad[] = {
      EMDB_DUPFIXED,                      // needs DUPSORT
      EMDB_INTEGERDUP,                    // needs DUPSORT|DUPFIXED
      EMDB_REVERSEDUP,                    // needs DUPSORT
      EMDB_REVERSEKEY | EMDB_INTEGERKEY,  // two key orders
      EMDB_DUPSORT | EMDB_INTEGERDUP,     // INTEGERDUP needs DUPFIXED
      0x01,                               // unknown bit
      0x100,                              // unknown bit
  };
  for (unsigned f : bad) {
    const std::string name = "x" + std::to_string(f);
    EXPECT_RC(EMDB_EINVAL, emdb_dbi_open(t, name.c_str(), EMDB_db_flags_t(f | EMDB_CREATE), &dbi))
        << "flags 0x" << std::hex << f;
    // Nothing was created.
    EXPECT_RC(EMDB_NOTFOUND, emdb_dbi_open(t, name.c_str(), EMDB_DB_ACCEDE, &dbi))
        << "flags 0x" << std::hex << f;
  }
}

TEST_F(DbiApi, DbsFull) {
  reopen([] {
    EnvOptions o;
    o.maxdbs = 3;
    return o;
  }());
  Txn t = write_txn();
  EMDB_dbi dbi;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "t" + std::to_string(i);
    ASSERT_OK(emdb_dbi_open(t, name.c_str(), EMDB_CREATE, &dbi)) << name;
  }
  EXPECT_RC(EMDB_DBS_FULL, emdb_dbi_open(t, "t3", EMDB_CREATE, &dbi));
  // The txn is still usable.
  ASSERT_OK(emdb_dbi_open(t, "t0", EMDB_DB_DEFAULTS, &dbi));
  ASSERT_OK(put(t, dbi, "k", "v"));
  ASSERT_OK(t.commit());
}

TEST_F(DbiApi, DropEmptiesButKeepsTable) {
  const EMDB_dbi d = table("d", EMDB_DUPSORT);
  {
    Txn t = write_txn();
    for (int i = 0; i < 1000; ++i)
      for (int j = 0; j < 3; ++j) ASSERT_OK(put(t, d, key_n(i), value_n(j, 8)));
    ASSERT_OK(t.commit());
  }
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_drop(t, d, false));
    EMDB_stat st;
    ASSERT_OK(emdb_dbi_stat(t, d, &st, sizeof st));
    EXPECT_EQ(0u, st.ms_entries);
    EXPECT_EQ(0u, st.ms_leaf_pages);
    EXPECT_EQ(0u, st.ms_depth);
    std::string v;
    EXPECT_RC(EMDB_NOTFOUND, get(t, d, key_n(1), &v));
    ASSERT_OK(put(t, d, "again", "1"));
    ASSERT_OK(t.commit());
  }
  Txn r = read_txn();
  EMDB_dbi dbi;
  ASSERT_OK(emdb_dbi_open(r, "d", EMDB_DUPSORT, &dbi));
  Pairs p;
  ASSERT_OK(collect(r, dbi, &p));
  ASSERT_EQ(1u, p.size());
  EXPECT_EQ("again", p[0].first);
}

TEST_F(DbiApi, DropDeleteRemovesTable) {
  const EMDB_dbi d = table("d");
  {
    Txn t = write_txn();
    for (int i = 0; i < 100; ++i) ASSERT_OK(put(t, d, key_n(i), "v"));
    ASSERT_OK(t.commit());
  }
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_drop(t, d, true));
    std::string v;
    EXPECT_RC(EMDB_BAD_DBI, get(t, d, key_n(1), &v));
    EMDB_dbi dbi;
    EXPECT_RC(EMDB_NOTFOUND, emdb_dbi_open(t, "d", EMDB_DB_DEFAULTS, &dbi));
    ASSERT_OK(t.commit());
  }
  reopen();
  Txn r = read_txn();
  EMDB_dbi dbi;
  EXPECT_RC(EMDB_NOTFOUND, emdb_dbi_open(r, "d", EMDB_DB_DEFAULTS, &dbi));
}

TEST_F(DbiApi, DropThenAbortKeepsData) {
  const EMDB_dbi d = table("d");
  {
    Txn t = write_txn();
    for (int i = 0; i < 100; ++i) ASSERT_OK(put(t, d, key_n(i), "v"));
    ASSERT_OK(t.commit());
  }
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_drop(t, d, false));
    ASSERT_OK(t.abort());
  }
  Txn r = read_txn();
  EMDB_stat st;
  ASSERT_OK(emdb_dbi_stat(r, d, &st, sizeof st));
  EXPECT_EQ(100u, st.ms_entries);
}

TEST_F(DbiApi, StatCounts) {
  const EMDB_dbi plain = table("plain"), dup = table("dup", EMDB_DUPSORT);
  const EMDB_dbi big = table("big");
  Txn t = write_txn();
  for (int i = 0; i < 1000; ++i) ASSERT_OK(put(t, plain, key_n(i), value_n(i, 20)));
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 5; ++j) ASSERT_OK(put(t, dup, key_n(i), value_n(j, 4)));
  ASSERT_OK(put(t, big, "large", std::string(100000, 'x')));
  EMDB_envinfo info;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &info, sizeof info));
  EMDB_stat st;
  ASSERT_OK(emdb_dbi_stat(t, plain, &st, sizeof st));
  EXPECT_EQ(1000u, st.ms_entries);
  EXPECT_EQ(info.mi_dxb_pagesize, st.ms_psize);
  EXPECT_GE(st.ms_depth, 2u);
  EXPECT_GE(st.ms_branch_pages, 1u);
  EXPECT_GE(st.ms_leaf_pages, 2u);
  EXPECT_EQ(0u, st.ms_overflow_pages);
  ASSERT_OK(emdb_dbi_stat(t, dup, &st, sizeof st));
  EXPECT_EQ(50u, st.ms_entries);
  ASSERT_OK(emdb_dbi_stat(t, big, &st, sizeof st));
  EXPECT_EQ(1u, st.ms_entries);
  EXPECT_GE(st.ms_overflow_pages * info.mi_dxb_pagesize, 100000u);
  for (int i = 0; i < 500; ++i) ASSERT_OK(del(t, plain, key_n(i)));
  ASSERT_OK(del(t, dup, key_n(0), value_n(0, 4)));
  ASSERT_OK(del(t, dup, key_n(1)));
  ASSERT_OK(emdb_dbi_stat(t, plain, &st, sizeof st));
  EXPECT_EQ(500u, st.ms_entries);
  ASSERT_OK(emdb_dbi_stat(t, dup, &st, sizeof st));
  EXPECT_EQ(44u, st.ms_entries);
  ASSERT_OK(t.commit());
  Txn r = read_txn();
  ASSERT_OK(emdb_dbi_stat(r, dup, &st, sizeof st));
  EXPECT_EQ(44u, st.ms_entries);
  EXPECT_EQ(emdb_txn_id(r), st.ms_mod_txnid);
}

TEST_F(DbiApi, Sequence) {
  const EMDB_dbi d = table("seq");
  {
    Txn r = read_txn();
    uint64_t v = 99;
    ASSERT_OK(emdb_dbi_sequence(r, d, &v, 0));
    EXPECT_EQ(0u, v);
    EXPECT_RC(EMDB_EACCESS, emdb_dbi_sequence(r, d, &v, 1));
  }
  {
    Txn t = write_txn();
    uint64_t v = 99;
    ASSERT_OK(emdb_dbi_sequence(t, d, &v, 5));
    EXPECT_EQ(0u, v);
    ASSERT_OK(emdb_dbi_sequence(t, d, &v, 3));
    EXPECT_EQ(5u, v);
    ASSERT_OK(emdb_dbi_sequence(t, d, nullptr, 2));
    ASSERT_OK(emdb_dbi_sequence(t, d, &v, 0));
    EXPECT_EQ(10u, v);
    ASSERT_OK(t.commit());
  }
  {
    Txn t = write_txn();
    uint64_t v = 0;
    ASSERT_OK(emdb_dbi_sequence(t, d, &v, 100));
    EXPECT_EQ(10u, v);
    ASSERT_OK(t.abort());  // discarded
  }
  {
    Txn t = write_txn();
    uint64_t v = 0;
    // An increment that would overflow is refused and changes nothing.
    EXPECT_RC(EMDB_RESULT_TRUE, emdb_dbi_sequence(t, d, &v, ~uint64_t(0)));
    ASSERT_OK(emdb_dbi_sequence(t, d, &v, 0));
    EXPECT_EQ(10u, v);
  }
}

TEST_F(DbiApi, BinaryNames) {
  const std::string n1("a\0b", 3), n2("a\0c", 3), n3("\xff\x00\x01", 3);
  EMDB_dbi d1, d2, d3;
  {
    Txn t = write_txn();
    EMDB_val v1 = V(n1), v2 = V(n2), v3 = V(n3);
    ASSERT_OK(emdb_dbi_open2(t, &v1, EMDB_CREATE, &d1));
    ASSERT_OK(emdb_dbi_open2(t, &v2, EMDB_CREATE, &d2));
    ASSERT_OK(emdb_dbi_open2(t, &v3, EMDB_db_flags_t(EMDB_CREATE | EMDB_DUPSORT), &d3));
    EXPECT_NE(d1, d2);
    EXPECT_NE(d2, d3);
    ASSERT_OK(put(t, d1, "k", "one"));
    ASSERT_OK(put(t, d2, "k", "two"));
    ASSERT_OK(put(t, d3, "k", "three"));
    // "a" (a prefix of the binary names) is a different table.
    EMDB_dbi da;
    EXPECT_RC(EMDB_NOTFOUND, emdb_dbi_open(t, "a", EMDB_DB_DEFAULTS, &da));
    ASSERT_OK(t.commit());
  }
  reopen();
  Txn r = read_txn();
  EMDB_val v1 = V(n1), v2 = V(n2), v3 = V(n3);
  ASSERT_OK(emdb_dbi_open2(r, &v1, EMDB_DB_DEFAULTS, &d1));
  ASSERT_OK(emdb_dbi_open2(r, &v2, EMDB_DB_DEFAULTS, &d2));
  ASSERT_OK(emdb_dbi_open2(r, &v3, EMDB_DUPSORT, &d3));
  std::string v;
  ASSERT_OK(get(r, d1, "k", &v));
  EXPECT_EQ("one", v);
  ASSERT_OK(get(r, d2, "k", &v));
  EXPECT_EQ("two", v);
  ASSERT_OK(get(r, d3, "k", &v));
  EXPECT_EQ("three", v);
}

TEST_F(DbiApi, CloseHandle) {
  const EMDB_dbi d = table("d");
  {
    Txn t = write_txn();
    ASSERT_OK(put(t, d, "k", "v"));
    ASSERT_OK(t.commit());
  }
  ASSERT_OK(emdb_dbi_close(env(), d));
  {
    Txn r = read_txn();
    std::string v;
    EXPECT_RC(EMDB_BAD_DBI, get(r, d, "k", &v));
    EMDB_dbi again;
    ASSERT_OK(emdb_dbi_open(r, "d", EMDB_DB_DEFAULTS, &again));
    ASSERT_OK(get(r, again, "k", &v));
    EXPECT_EQ("v", v);
  }
  EXPECT_RC(EMDB_BAD_DBI, emdb_dbi_close(env(), 30000));
}

TEST_F(DbiApi, TableCreatedInAbortedTxnIsGone) {
  EMDB_dbi d;
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_dbi_open(t, "temp", EMDB_CREATE, &d));
    ASSERT_OK(put(t, d, "k", "v"));
    ASSERT_OK(t.abort());
  }
  Txn t = write_txn();
  std::string v;
  EXPECT_RC(EMDB_BAD_DBI, get(t, d, "k", &v));
  EMDB_dbi again;
  EXPECT_RC(EMDB_NOTFOUND, emdb_dbi_open(t, "temp", EMDB_DB_DEFAULTS, &again));
}

TEST_F(DbiApi, ManyTables) {
  reopen([] {
    EnvOptions o;
    o.maxdbs = 200;
    return o;
  }());
  std::vector<EMDB_dbi> dbis;
  {
    Txn t = write_txn();
    for (int i = 0; i < 150; ++i) {
      EMDB_dbi d;
      const std::string name = "tbl" + std::to_string(i);
      ASSERT_OK(emdb_dbi_open(t, name.c_str(), EMDB_CREATE, &d));
      ASSERT_OK(put(t, d, "id", std::to_string(i)));
      dbis.push_back(d);
    }
    ASSERT_OK(t.commit());
  }
  reopen([] {
    EnvOptions o;
    o.maxdbs = 200;
    return o;
  }());
  Txn r = read_txn();
  for (int i = 149; i >= 0; --i) {
    EMDB_dbi d;
    const std::string name = "tbl" + std::to_string(i);
    ASSERT_OK(emdb_dbi_open(r, name.c_str(), EMDB_DB_DEFAULTS, &d));
    std::string v;
    ASSERT_OK(get(r, d, "id", &v));
    EXPECT_EQ(std::to_string(i), v);
  }
}

// A key of the main table that names a table is not user data: writing it through the main
// table is refused with EMDB_INCOMPATIBLE (checked inside the put itself, so a put to any other
// key costs no extra lookup), and the table stays intact.
TEST_F(DbiApi, MainTableKeyNamingATableIsNotWritable) {
  const EMDB_dbi d = table("tbl");
  {
    Txn t = write_txn();
    ASSERT_OK(put(t, d, "k", "v"));
    ASSERT_OK(t.commit());
  }
  Txn t = write_txn();
  EMDB_dbi main_dbi;
  ASSERT_OK(emdb_dbi_open(t, nullptr, EMDB_DB_DEFAULTS, &main_dbi));
  EMDB_val k = V("tbl", 3), v = V("x", 1);
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_put(t, main_dbi, &k, &v, EMDB_UPSERT));
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_put(t, main_dbi, &k, &v, EMDB_NOOVERWRITE));
  EMDB_cursor* c = nullptr;
  ASSERT_OK(emdb_cursor_open(t, main_dbi, &c));
  EMDB_val ck = V("tbl", 3), cv;
  ASSERT_OK(emdb_cursor_get(c, &ck, &cv, EMDB_SET));
  EXPECT_RC(EMDB_INCOMPATIBLE, emdb_cursor_put(c, &k, &v, EMDB_CURRENT));
  emdb_cursor_close(c);
  // Other keys of the main table are ordinary data.
  EMDB_val k2 = V("other", 5);
  ASSERT_OK(emdb_put(t, main_dbi, &k2, &v, EMDB_UPSERT));
  ASSERT_OK(t.commit());
  Txn r = write_txn();
  EMDB_val gk = V("k", 1), gv;
  ASSERT_OK(emdb_get(r, d, &gk, &gv));
  EXPECT_EQ("v", S(gv));
}

}  // namespace
}  // namespace emdb_test
