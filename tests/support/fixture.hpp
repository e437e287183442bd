// fixture.hpp — GoogleTest glue for the black-box C API tests.
//
// EnvTest gives each test a fresh TempDir (kept on failure, removed on success) and helpers to
// open environments in it. The ASSERT_RC/EXPECT_RC macros print return codes by name.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "support/db.hpp"
#include "support/kv.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

// ASSERT_RC(EMDB_KEYEXIST, emdb_put(...)) << "context": exact return code, printed by name.
#define ASSERT_RC(expected, expr) ASSERT_PRED_FORMAT2(::emdb_test::RcEq, expected, expr)
#define EXPECT_RC(expected, expr) EXPECT_PRED_FORMAT2(::emdb_test::RcEq, expected, expr)
#define ASSERT_OK(expr) ASSERT_RC(EMDB_SUCCESS, expr)
#define EXPECT_OK(expr) EXPECT_RC(EMDB_SUCCESS, expr)

// EXPECT_RC_IN(expr, EMDB_EPERM, EMDB_EINVAL): one of several acceptable codes. Used only where
// libmdbx's documentation and its behaviour leave the exact code open; each use says why.
#define EXPECT_RC_IN(expr, ...) \
  EXPECT_PRED_FORMAT2(::emdb_test::RcIn, (::emdb_test::RcSet{__VA_ARGS__}), expr)
#define ASSERT_RC_IN(expr, ...) \
  ASSERT_PRED_FORMAT2(::emdb_test::RcIn, (::emdb_test::RcSet{__VA_ARGS__}), expr)

namespace emdb_test {

inline ::testing::AssertionResult RcEq(const char*, const char* expr_text, int expected,
                                       int actual) {
  if (expected == actual) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << expr_text << " returned " << rc_name(actual) << ", expected " << rc_name(expected);
}

struct RcSet {
  std::vector<int> codes;
  RcSet(std::initializer_list<int> c) : codes(c) {}
};

inline ::testing::AssertionResult RcIn(const char*, const char* expr_text, const RcSet& set,
                                       int actual) {
  for (int c : set.codes)
    if (c == actual) return ::testing::AssertionSuccess();
  std::string names;
  for (int c : set.codes) names += rc_name(c) + " ";
  return ::testing::AssertionFailure()
         << expr_text << " returned " << rc_name(actual) << ", expected one of " << names;
}

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string tag = std::string(info->test_suite_name()) + "." + info->name();
    dir_ = std::make_unique<TempDir>(tag);
  }

  void TearDown() override {
    env_.close();
    if (HasFailure()) dir_->keep();
    dir_.reset();
  }

  // <tempdir>/db (a sub-directory the engine creates), or another name.
  std::string db_path(const std::string& name = "db") const { return dir_->file(name); }

  // Opens env_ at db_path() with the given options; asserts success.
  void open(const EnvOptions& opts = EnvOptions()) {
    ASSERT_OK(env_.open(db_path(), opts)) << "path " << db_path();
  }
  void reopen(const EnvOptions& opts = EnvOptions()) {
    ASSERT_OK(env_.close());
    open(opts);
  }

  EMDB_env* env() const { return env_.get(); }

  // A write txn (asserts success).
  Txn write_txn() {
    Txn t;
    const int rc = t.begin(env_.get(), EMDB_TXN_READWRITE);
    EXPECT_EQ(EMDB_SUCCESS, rc) << "write txn: " << rc_name(rc);
    return t;
  }
  Txn read_txn() {
    Txn t;
    const int rc = t.begin(env_.get(), EMDB_TXN_RDONLY);
    EXPECT_EQ(EMDB_SUCCESS, rc) << "read txn: " << rc_name(rc);
    return t;
  }

  // Opens/creates a table in its own committed write txn.
  EMDB_dbi table(const char* name, unsigned flags = 0) {
    EMDB_dbi dbi = 0;
    const int rc = create_table(env_.get(), name, flags, &dbi);
    EXPECT_EQ(EMDB_SUCCESS, rc) << "create_table(" << (name ? name : "<main>")
                                << "): " << rc_name(rc);
    return dbi;
  }

  std::unique_ptr<TempDir> dir_;
  Env env_;
};

}  // namespace emdb_test
