// tables_test.cpp — renaming tables (emdb_dbi_rename, emdb_dbi_rename2) and listing them
// (emdb_enumerate_tables): commit, abort, nested txns, tables created in the txn, errors.
#include <map>

#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class TablesApi : public EnvTest {
 protected:
  void SetUp() override {
    EnvTest::SetUp();
    EnvOptions o;
    o.maxdbs = 16;
    open(o);
  }
  struct Seen {
    EMDB_db_flags_t flags;
    uint64_t entries;
    EMDB_dbi dbi;
  };
  // name -> what the enumeration reported, in the order it reported them.
  static std::vector<std::pair<std::string, Seen>> list(EMDB_txn* txn, int* rc = nullptr) {
    std::vector<std::pair<std::string, Seen>> out;
    int r = emdb_enumerate_tables(
        txn,
        [](void* ctx, const EMDB_txn*, const EMDB_val* name, EMDB_db_flags_t flags,
           const EMDB_stat* st, EMDB_dbi dbi) noexcept -> int {
          auto* v = static_cast<std::vector<std::pair<std::string, Seen>>*>(ctx);
          v->push_back({S(*name), Seen{flags, st->ms_entries, dbi}});
          return 0;
        },
        &out);
    if (rc) *rc = r;
    return out;
  }
  static std::vector<std::string> names(const std::vector<std::pair<std::string, Seen>>& v) {
    std::vector<std::string> out;
    for (const auto& e : v) out.push_back(e.first);
    return out;
  }
};

TEST_F(TablesApi, RenameCommitsAndKeepsTheData) {
  EMDB_dbi a, b;
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_dbi_open(t, "alpha", EMDB_db_flags_t(EMDB_CREATE | EMDB_DUPSORT), &a));
    ASSERT_OK(emdb_dbi_open(t, "beta", EMDB_CREATE, &b));
    ASSERT_OK(put(t, a, "k", "v1"));
    ASSERT_OK(put(t, a, "k", "v2"));
    ASSERT_OK(put(t, b, "x", "y"));
    ASSERT_OK(t.commit());
  }
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_dbi_rename(t, a, "gamma"));
    ASSERT_OK(emdb_dbi_rename(t, a, "gamma"));  // the same name: nothing to do
    std::string v;
    ASSERT_OK(get(t, a, "k", &v));
    EXPECT_EQ("v1", v);
    auto l = list(t);
    EXPECT_EQ((std::vector<std::string>{"beta", "gamma"}), names(l));
    EXPECT_EQ(a, l[1].second.dbi);
    EXPECT_EQ(2u, l[1].second.entries);
    EXPECT_EQ(EMDB_DUPSORT, l[1].second.flags);
    EMDB_dbi again;
    EXPECT_EQ(EMDB_NOTFOUND, emdb_dbi_open(t, "alpha", EMDB_DB_DEFAULTS, &again));
    ASSERT_OK(emdb_dbi_open(t, "gamma", EMDB_DUPSORT, &again));
    EXPECT_EQ(a, again);
    ASSERT_OK(t.commit());
  }
  reopen();
  Txn t = read_txn();
  EMDB_dbi g;
  EXPECT_EQ(EMDB_NOTFOUND, emdb_dbi_open(t, "alpha", EMDB_DB_DEFAULTS, &g));
  ASSERT_OK(emdb_dbi_open(t, "gamma", EMDB_DUPSORT, &g));
  Pairs p;
  ASSERT_OK(collect(t, g, &p));
  EXPECT_EQ(2u, p.size());
  auto l = list(t);
  EXPECT_EQ((std::vector<std::string>{"beta", "gamma"}), names(l));
  EXPECT_EQ(g, l[1].second.dbi);
  EXPECT_EQ(0u, l[0].second.dbi);  // beta has no open handle after the reopen
  EXPECT_EQ(1u, l[0].second.entries);
}

TEST_F(TablesApi, RenameErrors) {
  EMDB_dbi a, b;
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_dbi_open(t, "a", EMDB_CREATE, &a));
    ASSERT_OK(emdb_dbi_open(t, "b", EMDB_CREATE, &b));
    ASSERT_OK(put(t, EMDB_dbi(1), "plainkey", "user data in the main table"));
    ASSERT_OK(t.commit());
  }
  {
    Txn t = write_txn();
    EXPECT_EQ(EMDB_KEYEXIST, emdb_dbi_rename(t, a, "b"));
    EXPECT_EQ(EMDB_KEYEXIST, emdb_dbi_rename(t, a, "plainkey"));
    EXPECT_EQ(EMDB_EINVAL, emdb_dbi_rename(t, EMDB_dbi(1), "main"));
    EXPECT_EQ(EMDB_EINVAL, emdb_dbi_rename(t, a, nullptr));
    EXPECT_EQ(EMDB_EINVAL, emdb_dbi_rename2(t, a, nullptr));
    EXPECT_EQ(EMDB_BAD_DBI, emdb_dbi_rename(t, 12, "z"));
    std::string huge(5000, 'n');
    EMDB_val hv = V(huge);
    EXPECT_EQ(EMDB_BAD_VALSIZE, emdb_dbi_rename2(t, a, &hv));
    // The txn is still usable after refused renames.
    ASSERT_OK(put(t, a, "k", "v"));
    ASSERT_OK(t.commit());
  }
  Txn r = read_txn();
  EXPECT_EQ(EMDB_EACCESS, emdb_dbi_rename(r, a, "c"));
  EXPECT_EQ(EMDB_EINVAL, emdb_enumerate_tables(r, nullptr, nullptr));
  EXPECT_EQ(EMDB_EINVAL, emdb_enumerate_tables(nullptr, nullptr, nullptr));
  auto l = list(r);
  EXPECT_EQ((std::vector<std::string>{"a", "b"}), names(l));
}

TEST_F(TablesApi, AbortPutsTheOldNameBack) {
  EMDB_dbi a;
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_dbi_open(t, "a", EMDB_CREATE, &a));
    ASSERT_OK(put(t, a, "k", "v"));
    ASSERT_OK(t.commit());
  }
  {
    Txn t = write_txn();
    ASSERT_OK(emdb_dbi_rename(t, a, "x"));
    ASSERT_OK(emdb_dbi_rename(t, a, "y"));
    ASSERT_OK(t.abort());
  }
  {
    Txn t = write_txn();
    EMDB_dbi d;
    ASSERT_OK(emdb_dbi_open(t, "a", EMDB_DB_DEFAULTS, &d));
    EXPECT_EQ(a, d);
    EXPECT_EQ(EMDB_NOTFOUND, emdb_dbi_open(t, "y", EMDB_DB_DEFAULTS, &d));
    // Nested: the child's rename is undone by its abort, kept by its commit.
    Txn c;
    ASSERT_OK(c.begin(env(), EMDB_TXN_READWRITE, t));
    ASSERT_OK(emdb_dbi_rename(c, a, "child"));
    ASSERT_OK(c.abort());
    EXPECT_EQ((std::vector<std::string>{"a"}), names(list(t)));
    ASSERT_OK(c.begin(env(), EMDB_TXN_READWRITE, t));
    ASSERT_OK(emdb_dbi_rename(c, a, "child"));
    ASSERT_OK(c.commit());
    EXPECT_EQ((std::vector<std::string>{"child"}), names(list(t)));
    ASSERT_OK(t.commit());
  }
  reopen();
  Txn t = read_txn();
  EXPECT_EQ((std::vector<std::string>{"child"}), names(list(t)));
}

TEST_F(TablesApi, CreatedInTheTxnAndEnumerationStops) {
  Txn t = write_txn();
  EMDB_dbi a, b;
  ASSERT_OK(emdb_dbi_open(t, "new1", EMDB_CREATE, &a));
  ASSERT_OK(emdb_dbi_open(t, "new0", EMDB_CREATE, &b));
  ASSERT_OK(put(t, a, "k", "v"));
  EXPECT_EQ((std::vector<std::string>{"new0", "new1"}), names(list(t)));
  ASSERT_OK(emdb_dbi_rename(t, a, "renamed"));
  EXPECT_EQ((std::vector<std::string>{"new0", "renamed"}), names(list(t)));
  int calls = 0;
  EXPECT_EQ(42, emdb_enumerate_tables(
                    t,
                    [](void* ctx, const EMDB_txn*, const EMDB_val*, EMDB_db_flags_t,
                       const EMDB_stat*, EMDB_dbi) noexcept -> int {
                      ++*static_cast<int*>(ctx);
                      return 42;
                    },
                    &calls));
  EXPECT_EQ(1, calls);
  ASSERT_OK(emdb_drop(t, b, true));
  EXPECT_EQ((std::vector<std::string>{"renamed"}), names(list(t)));
  ASSERT_OK(t.commit());
  reopen();
  Txn r = read_txn();
  auto l = list(r);
  ASSERT_EQ((std::vector<std::string>{"renamed"}), names(l));
  EXPECT_EQ(1u, l[0].second.entries);
}

}  // namespace
}  // namespace emdb_test
