// bad_input_test.cpp — misuse of the C API: NULL handles and arguments, environments that are
// not open, bad flag combinations, size limits, writes through read-only txns, wrong dbi handles,
// txns used while blocked (child active, reset, poisoned), calls from the wrong thread, cursor
// misuse. Each call must return the specific code (libmdbx's documented one where it documents
// one), the code must have its own non-empty text, and the database must be left unchanged
// (checked by a checksum of a full cursor walk of every table, inside the txn where the call
// failed and in the committed state).
//
// Freed handles (use after free) are not tested: that is undefined behaviour by contract.
#include <climits>
#include <future>
#include <map>
#include <thread>

#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class BadInput : public EnvTest {
 protected:
  void SetUp() override {
    EnvTest::SetUp();
    EnvOptions o;
    o.maxdbs = 8;
    open(o);
    plain_ = table("plain");
    dup_ = table("dup", EMDB_DUPSORT);
    intk_ = table("intkey", EMDB_INTEGERKEY);
    Txn t = write_txn();
    for (int i = 0; i < 200; ++i) ASSERT_OK(put(t, plain_, key_n(i), value_n(i, 1 + i % 90)));
    ASSERT_OK(put(t, plain_, "large", value_n(9, 50000)));
    for (int i = 0; i < 20; ++i)
      for (int j = 0; j < 5; ++j) ASSERT_OK(put(t, dup_, key_n(i), value_n(j, 6)));
    for (uint64_t i = 0; i < 50; ++i) ASSERT_OK(put(t, intk_, u64_bytes(i * 1000), "n"));
    ASSERT_OK(t.commit());
    baseline_ = committed_checksum();
    ASSERT_NE(0u, baseline_);
    committed_base_ = baseline_;
  }

  void TearDown() override {
    // Every failure code seen must have its own text.
    std::map<std::string, int> by_text;
    for (const auto& [code, text] : texts_) {
      auto [it, inserted] = by_text.emplace(text, code);
      EXPECT_TRUE(inserted) << rc_name(code) << " and " << rc_name(it->second)
                            << " share the text \"" << text << "\"";
    }
    EnvTest::TearDown();
  }

  std::vector<EMDB_dbi> dbis() const { return {plain_, dup_, intk_}; }

  // Checksum of the committed state, read by another thread (so a write txn may be open here).
  uint64_t committed_checksum() {
    return std::async(std::launch::async,
                      [this] {
                        EMDB_txn* r = nullptr;
                        if (emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &r) != EMDB_SUCCESS)
                          return 0ull;
                        int rc = 0;
                        const unsigned long long sum = checksum(r, dbis(), &rc);
                        emdb_txn_abort(r);
                        return rc == EMDB_SUCCESS ? sum : 0ull;
                      })
        .get();
  }

  // The failed call changed nothing: neither the view of `txn` (if given) nor committed data.
  // After a reported change the new state becomes the reference, so one bad call is reported
  // once and does not make every later check fail.
  void expect_unchanged(EMDB_txn* txn, const char* what) {
    if (txn) {
      if (txn != view_txn_) {
        view_txn_ = txn;
        view_base_ = baseline_;
      }
      int rc = 0;
      const uint64_t in_txn = checksum(txn, dbis(), &rc);
      EXPECT_EQ(EMDB_SUCCESS, rc) << what << ": walking the txn failed with " << rc_name(rc);
      EXPECT_EQ(view_base_, in_txn) << what << ": the txn's view changed";
      view_base_ = in_txn;
    }
    const uint64_t now = committed_checksum();
    EXPECT_EQ(committed_base_, now) << what << ": committed data changed";
    committed_base_ = now;
  }

  void note(int rc) {
    if (rc == EMDB_SUCCESS) return;
    const char* s = emdb_strerror(rc);
    EXPECT_TRUE(s && *s) << rc_name(rc) << " has no text";
    if (s) texts_[rc] = s;
  }

  EMDB_dbi plain_ = 0, dup_ = 0, intk_ = 0;
  uint64_t baseline_ = 0, committed_base_ = 0, view_base_ = 0;
  EMDB_txn* view_txn_ = nullptr;
  std::map<int, std::string> texts_;
};

// FAIL_RC(expected, txn_or_null, call): exact code, text noted, nothing changed.
#define FAIL_RC(expected, txn, expr)        \
  do {                                      \
    const int fail_rc_ = (expr);            \
    EXPECT_RC(expected, fail_rc_) << #expr; \
    note(fail_rc_);                         \
    expect_unchanged((txn), #expr);         \
  } while (0)
// FAIL_RC_IN(txn, call, codes...): where the code is not pinned down (each use says why).
#define FAIL_RC_IN(txn, expr, ...)                \
  do {                                            \
    const int fail_rc_ = (expr);                  \
    EXPECT_RC_IN(fail_rc_, __VA_ARGS__) << #expr; \
    note(fail_rc_);                               \
    expect_unchanged((txn), #expr);               \
  } while (0)

TEST_F(BadInput, NullEnvironment) {
  EMDB_dbi n = 0;
  unsigned u = 0;
  uint64_t v = 0;
  const char* path = nullptr;
  emdb_filehandle_t fd = -1;
  EMDB_stat st;
  EMDB_envinfo info;
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_create(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_open(nullptr, db_path().c_str(), EMDB_ENV_DEFAULTS, 0644));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_close(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_close_ex(nullptr, false));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_geometry(nullptr, -1, -1, -1, -1, -1, -1));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_maxdbs(nullptr, 4));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_maxdbs(nullptr, &n));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_maxreaders(nullptr, 4));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_maxreaders(nullptr, &u));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_option(nullptr, EMDB_opt_loose_limit, 1));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_option(nullptr, EMDB_opt_loose_limit, &v));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_flags(nullptr, EMDB_SAFE_NOSYNC, true));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_flags(nullptr, &u));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_path(nullptr, &path));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_fd(nullptr, &fd));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_userctx(nullptr, &n));
  EXPECT_EQ(nullptr, emdb_env_get_userctx(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_stat_ex(nullptr, nullptr, &st, sizeof st));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_info_ex(nullptr, nullptr, &info, sizeof info));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_sync(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_sync_ex(nullptr, true, false));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_dbi_close(nullptr, plain_));
  EMDB_txn* t = nullptr;
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_begin(nullptr, nullptr, EMDB_TXN_READWRITE, &t));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_begin_ex(nullptr, nullptr, EMDB_TXN_RDONLY, &t, nullptr));
  EXPECT_EQ(nullptr, t);
}

TEST_F(BadInput, NullTxnAndCursor) {
  EMDB_dbi dbi = 0;
  unsigned flags = 0, state = 0;
  EMDB_stat st;
  uint64_t seq = 0;
  EMDB_txn_info ti;
  const std::string key = key_n(1), value = "v";
  EMDB_val k = V(key), d = V(value), old = V0();
  size_t count = 0;
  EMDB_canary canary;
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_commit(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_commit_ex(nullptr, nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_abort(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_reset(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_renew(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_info(nullptr, &ti, false));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_set_userctx(nullptr, &dbi));
  EXPECT_EQ(nullptr, emdb_txn_get_userctx(nullptr));
  EXPECT_EQ(0u, emdb_txn_id(nullptr));
  EXPECT_EQ(EMDB_TXN_INVALID, emdb_txn_flags(nullptr));
  EXPECT_EQ(nullptr, emdb_txn_env(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_dbi_open(nullptr, "plain", EMDB_DB_DEFAULTS, &dbi));
  EMDB_val name = V("plain", 5);
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_dbi_open2(nullptr, &name, EMDB_DB_DEFAULTS, &dbi));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_dbi_flags_ex(nullptr, plain_, &flags, &state));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_dbi_stat(nullptr, plain_, &st, sizeof st));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_dbi_sequence(nullptr, plain_, &seq, 1));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_drop(nullptr, plain_, false));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_get(nullptr, plain_, &k, &d));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_get_ex(nullptr, plain_, &k, &d, &count));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_get_equal_or_great(nullptr, plain_, &k, &d));
  d = V(value);
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_put(nullptr, plain_, &k, &d, EMDB_UPSERT));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_replace(nullptr, plain_, &k, &d, &old, EMDB_UPSERT));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_del(nullptr, plain_, &k, nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_canary_put(nullptr, &canary));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_canary_get(nullptr, &canary));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_is_dirty(nullptr, &canary));
  EMDB_cursor* c = nullptr;
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_open(nullptr, plain_, &c));
  EXPECT_EQ(nullptr, c);
  c = emdb_cursor_create(nullptr);
  ASSERT_NE(nullptr, c);
  Cursor owner(c);
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_bind(nullptr, c, plain_));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_renew(nullptr, c));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_unbind(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_copy(nullptr, c));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_get(nullptr, &k, &d, EMDB_FIRST));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_put(nullptr, &k, &d, EMDB_UPSERT));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_del(nullptr, EMDB_CURRENT));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_count(nullptr, &count));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_eof(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_on_first(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_on_last(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_on_first_dup(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_on_last_dup(nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_set_userctx(nullptr, &dbi));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_cursor_close2(nullptr));
  EXPECT_EQ(nullptr, emdb_cursor_get_userctx(nullptr));
  EXPECT_EQ(nullptr, emdb_cursor_txn(nullptr));
  emdb_cursor_close(nullptr);  // a no-op, not a crash
}

TEST_F(BadInput, NullOutputArguments) {
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_maxdbs(env(), nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_maxreaders(env(), nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_option(env(), EMDB_opt_loose_limit, nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_flags(env(), nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_path(env(), nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_fd(env(), nullptr));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_stat_ex(env(), nullptr, nullptr, sizeof(EMDB_stat)));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_info_ex(env(), nullptr, nullptr, sizeof(EMDB_envinfo)));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_begin(env(), nullptr, EMDB_TXN_READWRITE, nullptr));

  Txn w = write_txn();
  unsigned state = 0;
  EMDB_stat st;
  const std::string key = key_n(1), value = "new value";
  EMDB_val k = V(key), d = V(value), old = V0();
  FAIL_RC(EMDB_EINVAL, w, emdb_txn_info(w, nullptr, false));
  FAIL_RC(EMDB_EINVAL, w, emdb_dbi_open(w, "plain", EMDB_DB_DEFAULTS, nullptr));
  FAIL_RC(EMDB_EINVAL, w, emdb_dbi_open(w, "fresh", EMDB_CREATE, nullptr));
  FAIL_RC(EMDB_EINVAL, w, emdb_dbi_flags_ex(w, plain_, nullptr, &state));
  FAIL_RC(EMDB_EINVAL, w, emdb_dbi_stat(w, plain_, nullptr, sizeof st));
  FAIL_RC(EMDB_EINVAL, w, emdb_dbi_stat(w, plain_, &st, 7));  // unknown struct size
  FAIL_RC(EMDB_EINVAL, w, emdb_get(w, plain_, nullptr, &d));
  FAIL_RC(EMDB_EINVAL, w, emdb_get(w, plain_, &k, nullptr));
  FAIL_RC(EMDB_EINVAL, w, emdb_get_ex(w, plain_, nullptr, &d, nullptr));
  FAIL_RC(EMDB_EINVAL, w, emdb_get_equal_or_great(w, plain_, &k, nullptr));
  FAIL_RC(EMDB_EINVAL, w, emdb_put(w, plain_, nullptr, &d, EMDB_UPSERT));
  FAIL_RC(EMDB_EINVAL, w, emdb_put(w, plain_, &k, nullptr, EMDB_UPSERT));
  FAIL_RC(EMDB_EINVAL, w, emdb_del(w, plain_, nullptr, nullptr));
  FAIL_RC(EMDB_EINVAL, w, emdb_replace(w, plain_, nullptr, &d, &old, EMDB_UPSERT));
  FAIL_RC(EMDB_EINVAL, w, emdb_replace(w, plain_, &k, &d, nullptr, EMDB_UPSERT));
  FAIL_RC(EMDB_EINVAL, w, emdb_replace(w, plain_, &k, &d, &d, EMDB_UPSERT));  // old == new
  // An old_data buffer with a length but no pointer.
  EMDB_val bogus = V(nullptr, 5);
  FAIL_RC(EMDB_EINVAL, w, emdb_replace(w, plain_, &k, &d, &bogus, EMDB_UPSERT));
  // A selector (CURRENT|NOOVERWRITE) on a table without duplicates: libmdbx says EINVAL; a
  // selector that matches nothing (NOTFOUND) is a fair answer too.
  const std::string sel = value_n(1, 2);
  EMDB_val s = V(sel);
  FAIL_RC_IN(w,
             emdb_replace(w, plain_, &k, &d, &s, EMDB_put_flags_t(EMDB_CURRENT | EMDB_NOOVERWRITE)),
             EMDB_EINVAL, EMDB_NOTFOUND);
  FAIL_RC(EMDB_EINVAL, w, emdb_canary_get(w, nullptr));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_open(w, plain_, nullptr));
  Cursor c;
  ASSERT_OK(c.open(w, plain_));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_count(c, nullptr));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_get(c, nullptr, &d, EMDB_SET));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_get(c, nullptr, &d, EMDB_SET_RANGE));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_get(c, &k, nullptr, EMDB_SET_LOWERBOUND));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_put(c, nullptr, &d, EMDB_UPSERT));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_put(c, &k, nullptr, EMDB_UPSERT));
  Cursor cd;
  ASSERT_OK(cd.open(w, dup_));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_get(cd, &k, nullptr, EMDB_GET_BOTH));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_get(cd, &k, nullptr, EMDB_GET_BOTH_RANGE));
  // After all that the txn is still good and commits.
  EXPECT_EQ(0, emdb_txn_flags(w) & EMDB_TXN_ERROR);
  c.close();
  cd.close();
  ASSERT_OK(w.commit());
  expect_unchanged(nullptr, "commit");
}

TEST_F(BadInput, EnvironmentNotOpen) {
  EMDB_env* e = nullptr;
  ASSERT_OK(emdb_env_create(&e));
  Env owner(e);
  EMDB_txn* t = nullptr;
  // libmdbx answers EPERM for an env that is not open; the spec allows EINVAL for it as well.
  FAIL_RC_IN(nullptr, emdb_txn_begin(e, nullptr, EMDB_TXN_READWRITE, &t), EMDB_EPERM, EMDB_EINVAL);
  EXPECT_EQ(nullptr, t);
  FAIL_RC_IN(nullptr, emdb_txn_begin(e, nullptr, EMDB_TXN_RDONLY, &t), EMDB_EPERM, EMDB_EINVAL);
  emdb_filehandle_t fd = -1;
  FAIL_RC_IN(nullptr, emdb_env_get_fd(e, &fd), EMDB_EPERM, EMDB_EINVAL);
  FAIL_RC_IN(nullptr, emdb_env_sync(e), EMDB_EPERM, EMDB_EINVAL);
  EMDB_stat st;
  FAIL_RC_IN(nullptr, emdb_env_stat_ex(e, nullptr, &st, sizeof st), EMDB_EPERM, EMDB_EINVAL);
  const char* path = nullptr;
  FAIL_RC_IN(nullptr, emdb_env_get_path(e, &path), EMDB_EPERM, EMDB_EINVAL);
  // A failed open leaves a handle that can only be closed (or opened again elsewhere).
  EXPECT_RC(EMDB_ENOFILE,
            emdb_env_open(e, dir_->file("nothing/here").c_str(), EMDB_ENV_DEFAULTS, 0644));
  FAIL_RC_IN(nullptr, emdb_txn_begin(e, nullptr, EMDB_TXN_READWRITE, &t), EMDB_EPERM, EMDB_EINVAL);
  EXPECT_OK(owner.close());
}

// Unknown option and cursor-op values use 31: in C++ an enum may only hold values of its range
// (0..31 here), so larger ones would be undefined behaviour in this test itself. c_api_test.c
// passes larger values from C, where that is legal.
TEST_F(BadInput, BadFlagsAndOptions) {
  // Unknown env flag bits.
  {
    EMDB_env* e = nullptr;
    ASSERT_OK(emdb_env_create(&e));
    Env owner(e);
    FAIL_RC(EMDB_EINVAL, nullptr,
            emdb_env_open(e, dir_->file("other").c_str(), EMDB_env_flags_t(0x1), 0644));
    // Page sizes that are not a power of two in [256, 65536].
    FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_geometry(e, -1, -1, -1, -1, -1, 1000));
    FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_geometry(e, -1, -1, -1, -1, -1, 128));
    FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_geometry(e, -1, -1, -1, -1, -1, 131072));
    FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_option(e, EMDB_option_t(31), 1));
    uint64_t v = 0;
    FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_get_option(e, EMDB_option_t(31), &v));
  }
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_option(env(), EMDB_option_t(31), 1));
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_env_set_option(env(), EMDB_opt_loose_limit, 1000));
  // Fixed once open (documented: EPERM).
  FAIL_RC(EMDB_EPERM, nullptr, emdb_env_set_maxdbs(env(), 20));
  FAIL_RC(EMDB_EPERM, nullptr, emdb_env_set_maxreaders(env(), 20));
  // WRITEMAP cannot be switched at run time (libmdbx: EPERM; its docs say EINVAL).
  FAIL_RC_IN(nullptr, emdb_env_set_flags(env(), EMDB_WRITEMAP, true), EMDB_EPERM, EMDB_EINVAL);
  unsigned flags = 0;
  ASSERT_OK(emdb_env_get_flags(env(), &flags));
  EXPECT_EQ(0u, flags & EMDB_WRITEMAP);
  // Unknown txn flags.
  EMDB_txn* t = nullptr;
  FAIL_RC(EMDB_EINVAL, nullptr, emdb_txn_begin(env(), nullptr, EMDB_txn_flags_t(0x1), &t));
  EXPECT_EQ(nullptr, t);

  Txn w = write_txn();
  const std::string key = key_n(3), value = "v";
  EMDB_val k = V(key), d = V(value);
  FAIL_RC(EMDB_EINVAL, w, emdb_put(w, plain_, &k, &d, EMDB_put_flags_t(0x1)));
  d = V(value);
  FAIL_RC(EMDB_EINVAL, w, emdb_put(w, plain_, &k, &d, EMDB_put_flags_t(0x100)));
  // Reset is for read-only txns.
  FAIL_RC(EMDB_EINVAL, w, emdb_txn_reset(w));
  EMDB_dbi dbi;
  FAIL_RC(EMDB_EINVAL, w,
          emdb_dbi_open(w, "x", EMDB_db_flags_t(EMDB_CREATE | EMDB_DUPFIXED), &dbi));
  FAIL_RC(EMDB_EINVAL, w,
          emdb_dbi_open(w, "x", EMDB_db_flags_t(EMDB_CREATE | EMDB_REVERSEKEY | EMDB_INTEGERKEY),
                        &dbi));
  Cursor c;
  ASSERT_OK(c.open(w, plain_));
  EMDB_val ck = V(key), cd = V0();
  ASSERT_OK(emdb_cursor_get(c, &ck, &cd, EMDB_SET_KEY));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_get(c, &ck, &cd, EMDB_cursor_op(31)));
  ck = V(key);
  d = V(value);
  FAIL_RC(EMDB_EINVAL, w,
          emdb_cursor_put(c, &ck, &d, EMDB_put_flags_t(EMDB_CURRENT | EMDB_NOOVERWRITE)));
  d = V(value);
  FAIL_RC(EMDB_EINVAL, w,
          emdb_cursor_put(c, &ck, &d, EMDB_put_flags_t(EMDB_CURRENT | EMDB_APPEND)));
  // The cursor is still where it was.
  EMDB_val gk = V0(), gd = V0();
  ASSERT_OK(emdb_cursor_get(c, &gk, &gd, EMDB_GET_CURRENT));
  EXPECT_EQ(key, S(gk));
  c.close();
  ASSERT_OK(w.commit());
  expect_unchanged(nullptr, "commit");
}

TEST_F(BadInput, NestedTxnUnderReadOnlyParent) {
  Txn r = read_txn();
  EMDB_txn* child = nullptr;
  // libmdbx: EINVAL (a read-only txn cannot have children); BAD_TXN is also a fair answer.
  FAIL_RC_IN(r, emdb_txn_begin(env(), r, EMDB_TXN_READWRITE, &child), EMDB_EINVAL, EMDB_BAD_TXN);
  EXPECT_EQ(nullptr, child);
}

TEST_F(BadInput, SizeLimits) {
  Txn w = write_txn();
  const int maxkey = emdb_env_get_maxkeysize_ex(env(), EMDB_DB_DEFAULTS);
  const int maxval_dup = emdb_env_get_maxvalsize_ex(env(), EMDB_DUPSORT);
  const std::string long_key(size_t(maxkey) + 1, 'k'), long_dup(size_t(maxval_dup) + 1, 'v');
  FAIL_RC(EMDB_BAD_VALSIZE, w, put(w, plain_, long_key, "v"));
  FAIL_RC(EMDB_BAD_VALSIZE, w, put(w, plain_, std::string(size_t(maxkey) * 4, 'k'), "v"));
  FAIL_RC(EMDB_BAD_VALSIZE, w, put(w, dup_, key_n(1), long_dup));
  FAIL_RC(EMDB_BAD_VALSIZE, w, put(w, dup_, long_key, "v"));
  FAIL_RC(EMDB_BAD_VALSIZE, w, put(w, intk_, "12345", "v"));
  FAIL_RC(EMDB_BAD_VALSIZE, w, put(w, intk_, u32_bytes(7), "v"));  // table holds 8-byte keys
  FAIL_RC(EMDB_BAD_VALSIZE, w, put(w, intk_, "", "v"));
  std::string out;
  FAIL_RC(EMDB_BAD_VALSIZE, w, get(w, intk_, "12345", &out));
  // An over-long key cannot be present: libmdbx reports NOTFOUND or BAD_VALSIZE.
  FAIL_RC_IN(w, get(w, plain_, long_key, &out), EMDB_NOTFOUND, EMDB_BAD_VALSIZE);
  Cursor c;
  ASSERT_OK(c.open(w, plain_));
  EMDB_val k = V(long_key);
  const std::string value = "v";
  EMDB_val d = V(value);
  FAIL_RC(EMDB_BAD_VALSIZE, w, emdb_cursor_put(c, &k, &d, EMDB_UPSERT));
  EMDB_val rk = V(long_key), nd = V(value), old = V0();
  FAIL_RC(EMDB_BAD_VALSIZE, w, emdb_replace(w, plain_, &rk, &nd, &old, EMDB_UPSERT));
  // Size errors do not poison the txn.
  EXPECT_EQ(0, emdb_txn_flags(w) & EMDB_TXN_ERROR);
  ASSERT_OK(get(w, plain_, key_n(5), &out));
  c.close();
  ASSERT_OK(w.commit());
  expect_unchanged(nullptr, "commit");
}

TEST_F(BadInput, WritesThroughReadOnlyTxn) {
  Txn r = read_txn();
  const std::string key = key_n(1), value = "x";
  EMDB_val k = V(key), d = V(value), old = V0();
  FAIL_RC(EMDB_EACCESS, r, emdb_put(r, plain_, &k, &d, EMDB_UPSERT));
  FAIL_RC(EMDB_EACCESS, r, emdb_del(r, plain_, &k, nullptr));
  d = V(value);
  FAIL_RC(EMDB_EACCESS, r, emdb_replace(r, plain_, &k, &d, &old, EMDB_UPSERT));
  FAIL_RC(EMDB_EACCESS, r, emdb_drop(r, plain_, false));
  FAIL_RC(EMDB_EACCESS, r, emdb_drop(r, plain_, true));
  const EMDB_canary canary = {1, 2, 3, 4};
  FAIL_RC(EMDB_EACCESS, r, emdb_canary_put(r, &canary));
  uint64_t seq = 0;
  FAIL_RC(EMDB_EACCESS, r, emdb_dbi_sequence(r, plain_, &seq, 1));
  EMDB_dbi dbi;
  FAIL_RC(EMDB_EACCESS, r, emdb_dbi_open(r, "new_table", EMDB_CREATE, &dbi));
  Cursor c;
  ASSERT_OK(c.open(r, plain_));
  EMDB_val ck = V(key), cd = V0();
  ASSERT_OK(emdb_cursor_get(c, &ck, &cd, EMDB_SET_KEY));
  d = V(value);
  FAIL_RC(EMDB_EACCESS, r, emdb_cursor_put(c, &ck, &d, EMDB_UPSERT));
  d = V(value);
  FAIL_RC(EMDB_EACCESS, r, emdb_cursor_put(c, &ck, &d, EMDB_CURRENT));
  FAIL_RC(EMDB_EACCESS, r, emdb_cursor_del(c, EMDB_CURRENT));
  // Reads still work.
  std::string out;
  EXPECT_OK(get(r, plain_, key_n(1), &out));
}

TEST_F(BadInput, WrongDbi) {
  Txn w = write_txn();
  const std::string key = key_n(1), value = "x";
  EMDB_val k = V(key), d = V(value), old = V0();
  EMDB_stat st;
  unsigned flags = 0, state = 0;
  uint64_t seq = 0;
  EMDB_cursor* c = nullptr;
  for (EMDB_dbi bad : {EMDB_dbi(12345), EMDB_dbi(EMDB_MAX_DBI + 1), EMDB_dbi(~0u)}) {
    SCOPED_TRACE(bad);
    d = V(value);
    FAIL_RC(EMDB_BAD_DBI, w, emdb_put(w, bad, &k, &d, EMDB_UPSERT));
    FAIL_RC(EMDB_BAD_DBI, w, emdb_get(w, bad, &k, &d));
    FAIL_RC(EMDB_BAD_DBI, w, emdb_del(w, bad, &k, nullptr));
    d = V(value);
    FAIL_RC(EMDB_BAD_DBI, w, emdb_replace(w, bad, &k, &d, &old, EMDB_UPSERT));
    FAIL_RC(EMDB_BAD_DBI, w, emdb_dbi_stat(w, bad, &st, sizeof st));
    FAIL_RC(EMDB_BAD_DBI, w, emdb_dbi_flags_ex(w, bad, &flags, &state));
    FAIL_RC(EMDB_BAD_DBI, w, emdb_dbi_sequence(w, bad, &seq, 1));
    FAIL_RC(EMDB_BAD_DBI, w, emdb_drop(w, bad, false));
    FAIL_RC(EMDB_BAD_DBI, w, emdb_cursor_open(w, bad, &c));
    EXPECT_EQ(nullptr, c);
  }
  // Handle 0 is reserved by the engine: never writable through the data API.
  d = V(value);
  FAIL_RC(EMDB_BAD_DBI, w, emdb_put(w, 0, &k, &d, EMDB_UPSERT));
  FAIL_RC(EMDB_BAD_DBI, w, emdb_del(w, 0, &k, nullptr));
  EMDB_cursor* cc = emdb_cursor_create(nullptr);
  Cursor owner(cc);
  FAIL_RC(EMDB_BAD_DBI, w, emdb_cursor_bind(w, cc, 12345));
  FAIL_RC(EMDB_BAD_DBI, nullptr, emdb_dbi_close(env(), 12345));
  EXPECT_EQ(0, emdb_txn_flags(w) & EMDB_TXN_ERROR);
}

TEST_F(BadInput, DbiOfAnotherEnvironment) {
  Env other;
  EnvOptions o;
  o.maxdbs = 8;
  ASSERT_OK(other.open(dir_->file("other"), o));
  EMDB_txn* t = nullptr;
  ASSERT_OK(emdb_txn_begin(other, nullptr, EMDB_TXN_READWRITE, &t));
  Txn ot(t);
  // The other env has opened no named table, so our handles mean nothing there.
  const std::string key = key_n(1), value = "x";
  EMDB_val k = V(key), d = V(value);
  FAIL_RC(EMDB_BAD_DBI, nullptr, emdb_get(ot, plain_, &k, &d));
  d = V(value);
  FAIL_RC(EMDB_BAD_DBI, nullptr, emdb_put(ot, dup_, &k, &d, EMDB_UPSERT));
  EMDB_cursor* c = nullptr;
  FAIL_RC(EMDB_BAD_DBI, nullptr, emdb_cursor_open(ot, intk_, &c));
  EXPECT_EQ(nullptr, c);
  ASSERT_OK(ot.commit());
}

TEST_F(BadInput, ParentUsedWhileChildIsActive) {
  Txn parent = write_txn();
  Txn child;
  ASSERT_OK(child.begin(env(), EMDB_TXN_READWRITE, parent));
  const std::string key = key_n(1), value = "x";
  EMDB_val k = V(key), d = V(value);
  FAIL_RC(EMDB_BAD_TXN, child, emdb_put(parent, plain_, &k, &d, EMDB_UPSERT));
  FAIL_RC(EMDB_BAD_TXN, child, emdb_get(parent, plain_, &k, &d));
  FAIL_RC(EMDB_BAD_TXN, child, emdb_del(parent, plain_, &k, nullptr));
  EMDB_cursor* c = nullptr;
  FAIL_RC(EMDB_BAD_TXN, child, emdb_cursor_open(parent, plain_, &c));
  EMDB_stat st;
  FAIL_RC(EMDB_BAD_TXN, child, emdb_dbi_stat(parent, plain_, &st, sizeof st));
  FAIL_RC(EMDB_BAD_TXN, child, emdb_drop(parent, plain_, false));
  // A second child of the same parent.
  EMDB_txn* second = nullptr;
  FAIL_RC(EMDB_BAD_TXN, child, emdb_txn_begin(env(), parent, EMDB_TXN_READWRITE, &second));
  EXPECT_EQ(nullptr, second);
  ASSERT_OK(child.abort());
  expect_unchanged(parent, "after child abort");
  std::string out;
  EXPECT_OK(get(parent, plain_, key_n(1), &out));
}

TEST_F(BadInput, ResetReadTxn) {
  Txn r = read_txn();
  ASSERT_OK(emdb_txn_reset(r));
  const std::string key = key_n(1);
  EMDB_val k = V(key), d = V0();
  FAIL_RC(EMDB_BAD_TXN, nullptr, emdb_get(r, plain_, &k, &d));
  EMDB_cursor* c = nullptr;
  FAIL_RC(EMDB_BAD_TXN, nullptr, emdb_cursor_open(r, plain_, &c));
  EMDB_stat st;
  FAIL_RC(EMDB_BAD_TXN, nullptr, emdb_dbi_stat(r, plain_, &st, sizeof st));
  ASSERT_OK(emdb_txn_renew(r));
  EXPECT_OK(emdb_get(r, plain_, &k, &d));
}

TEST_F(BadInput, KeyExistAndMismatchChangeNothing) {
  Txn w = write_txn();
  const std::string k1 = key_n(1), k0 = "a", v = "x";
  EMDB_val k = V(k1), d = V(v);
  FAIL_RC(EMDB_KEYEXIST, w, emdb_put(w, plain_, &k, &d, EMDB_NOOVERWRITE));
  const std::string existing = value_n(0, 6);
  const std::string dk = key_n(3);
  k = V(dk);
  d = V(existing);
  FAIL_RC(EMDB_KEYEXIST, w, emdb_put(w, dup_, &k, &d, EMDB_NODUPDATA));
  k = V(k0);
  d = V(v);
  FAIL_RC(EMDB_EKEYMISMATCH, w, emdb_put(w, plain_, &k, &d, EMDB_APPEND));
  const std::string low = "0";  // below the key's largest value ("4:...")
  k = V(dk);
  d = V(low);
  FAIL_RC(EMDB_EKEYMISMATCH, w, emdb_put(w, dup_, &k, &d, EMDB_APPENDDUP));
  FAIL_RC(EMDB_NOTFOUND, w, del(w, plain_, "absent"));
  FAIL_RC(EMDB_NOTFOUND, w, del(w, dup_, key_n(3), "absent"));
  k = V(k0);
  d = V(v);
  FAIL_RC(EMDB_NOTFOUND, w, emdb_put(w, plain_, &k, &d, EMDB_CURRENT));
  Cursor c;
  ASSERT_OK(c.open(w, plain_));
  EMDB_val ck = V(k1), cd = V0();
  ASSERT_OK(emdb_cursor_get(c, &ck, &cd, EMDB_SET_KEY));
  const std::string other = key_n(2);
  ck = V(other);
  d = V(v);
  FAIL_RC(EMDB_EKEYMISMATCH, w, emdb_cursor_put(c, &ck, &d, EMDB_CURRENT));
  EXPECT_EQ(0, emdb_txn_flags(w) & EMDB_TXN_ERROR);
  c.close();
  ASSERT_OK(w.commit());
  expect_unchanged(nullptr, "commit");
}

TEST_F(BadInput, CursorMisuse) {
  Txn w = write_txn();
  EMDB_cursor* c = emdb_cursor_create(nullptr);
  ASSERT_NE(nullptr, c);
  Cursor owner(c);
  const std::string key = key_n(1), value = "x";
  EMDB_val k = V(key), d = V(value);
  size_t n = 0;
  // Never bound: documented EINVAL for the data calls, BAD_DBI for renew.
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_get(c, &k, &d, EMDB_FIRST));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_put(c, &k, &d, EMDB_UPSERT));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_del(c, EMDB_CURRENT));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_count(c, &n));
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_eof(c));
  FAIL_RC(EMDB_BAD_DBI, w, emdb_cursor_renew(w, c));
  EMDB_cursor* dest = emdb_cursor_create(nullptr);
  Cursor downer(dest);
  FAIL_RC(EMDB_EINVAL, w, emdb_cursor_copy(c, dest));
  EXPECT_EQ(nullptr, emdb_cursor_txn(c));
  // Bound but not positioned.
  ASSERT_OK(emdb_cursor_bind(w, c, plain_));
  // libmdbx answers ENODATA here; the docs say nothing, EINVAL and NOTFOUND are fair too.
  FAIL_RC_IN(w, emdb_cursor_get(c, &k, &d, EMDB_GET_CURRENT), EMDB_ENODATA, EMDB_EINVAL,
             EMDB_NOTFOUND);
  FAIL_RC_IN(w, emdb_cursor_del(c, EMDB_CURRENT), EMDB_ENODATA, EMDB_EINVAL, EMDB_NOTFOUND);
  d = V(value);
  FAIL_RC_IN(w, emdb_cursor_put(c, &k, &d, EMDB_CURRENT), EMDB_ENODATA, EMDB_EINVAL, EMDB_NOTFOUND);
  // After running off the end.
  EMDB_val gk = V0(), gd = V0();
  ASSERT_OK(emdb_cursor_get(c, &gk, &gd, EMDB_LAST));
  FAIL_RC(EMDB_NOTFOUND, w, emdb_cursor_get(c, &gk, &gd, EMDB_NEXT));
  // The unbound cursor of a committed txn can be closed (Cursor does it).
  EXPECT_EQ(0, emdb_txn_flags(w) & EMDB_TXN_ERROR);
}

TEST_F(BadInput, CallsFromTheWrongThread) {
  Txn w = write_txn();
  Txn r;
  const std::string key = key_n(1), value = "from another thread";
  auto in_thread = [](auto fn) { return std::async(std::launch::async, fn).get(); };
  FAIL_RC(EMDB_THREAD_MISMATCH, nullptr, in_thread([&] {
            EMDB_val k = V(key), d = V(value);
            return emdb_put(w, plain_, &k, &d, EMDB_UPSERT);
          }));
  FAIL_RC(EMDB_THREAD_MISMATCH, nullptr, in_thread([&] {
            EMDB_val k = V(key), d = V0();
            return emdb_get(w, plain_, &k, &d);
          }));
  FAIL_RC(EMDB_THREAD_MISMATCH, nullptr, in_thread([&] {
            EMDB_cursor* c = nullptr;
            const int rc = emdb_cursor_open(w, plain_, &c);
            if (c) emdb_cursor_close(c);
            return rc;
          }));
  // Documented: commit/abort from another thread leave the txn alive.
  FAIL_RC(EMDB_THREAD_MISMATCH, nullptr, in_thread([&] { return emdb_txn_commit(w.get()); }));
  FAIL_RC(EMDB_THREAD_MISMATCH, nullptr, in_thread([&] { return emdb_txn_abort(w.get()); }));
  // The owner thread still can use and commit it.
  EXPECT_EQ(0, emdb_txn_flags(w) & (EMDB_TXN_ERROR | EMDB_TXN_FINISHED));
  expect_unchanged(w, "owner view");
  ASSERT_OK(w.commit());
  expect_unchanged(nullptr, "commit");
  // Read txns are bound to their thread too (without EMDB_NOSTICKYTHREADS).
  r = read_txn();
  FAIL_RC(EMDB_THREAD_MISMATCH, nullptr, in_thread([&] {
            EMDB_val k = V(key), d = V0();
            return emdb_get(r, plain_, &k, &d);
          }));
  EXPECT_OK(in_thread([&] {
    EMDB_txn* own = nullptr;
    int rc = emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &own);
    if (rc == EMDB_SUCCESS) rc = emdb_txn_abort(own);
    return rc;
  }));
}

TEST_F(BadInput, PoisonedTxnAfterMapFull) {
  // A small, fixed-size database (1 MiB) that one txn can overflow.
  Env small;
  EnvOptions o;
  o.pagesize = 4096;
  o.size_lower = 1 << 20;
  o.size_now = 1 << 20;
  o.size_upper = 1 << 20;
  o.growth_step = 0;
  o.shrink_threshold = 0;
  ASSERT_OK(small.open(dir_->file("small"), o));
  EMDB_dbi dbi;
  ASSERT_OK(create_table(small, "t", 0, &dbi));
  {
    EMDB_txn* t = nullptr;
    ASSERT_OK(emdb_txn_begin(small, nullptr, EMDB_TXN_READWRITE, &t));
    Txn tt(t);
    ASSERT_OK(put(tt, dbi, "keep", "me"));
    ASSERT_OK(tt.commit());
  }
  EMDB_txn* t = nullptr;
  ASSERT_OK(emdb_txn_begin(small, nullptr, EMDB_TXN_READWRITE, &t));
  Txn tt(t);
  int rc = EMDB_SUCCESS;
  int i = 0;
  for (; i < 1000 && rc == EMDB_SUCCESS; ++i) rc = put(tt, dbi, key_n(i), value_n(i, 10000));
  ASSERT_RC(EMDB_MAP_FULL, rc) << "after " << i << " puts";
  note(rc);
  EXPECT_NE(0, emdb_txn_flags(tt) & EMDB_TXN_ERROR);
  // Only abort is allowed now.
  std::string out;
  EXPECT_RC(EMDB_BAD_TXN, put(tt, dbi, "more", "x"));
  EXPECT_RC(EMDB_BAD_TXN, get(tt, dbi, "keep", &out));
  EXPECT_RC(EMDB_BAD_TXN, del(tt, dbi, "keep"));
  EMDB_cursor* c = nullptr;
  EXPECT_RC(EMDB_BAD_TXN, emdb_cursor_open(tt, dbi, &c));
  EXPECT_EQ(nullptr, c);
  note(EMDB_BAD_TXN);
  ASSERT_OK(tt.abort());
  // Nothing of the failed txn is visible; the env works on.
  EMDB_txn* r = nullptr;
  ASSERT_OK(emdb_txn_begin(small, nullptr, EMDB_TXN_RDONLY, &r));
  Txn rr(r);
  Pairs p;
  ASSERT_OK(collect(rr, dbi, &p));
  ASSERT_EQ(1u, p.size());
  EXPECT_EQ("keep", p[0].first);
  rr.abort();
  ASSERT_OK(emdb_txn_begin(small, nullptr, EMDB_TXN_READWRITE, &t));
  Txn again(t);
  ASSERT_OK(put(again, dbi, "after", "ok"));
  ASSERT_OK(again.commit());
}

}  // namespace
}  // namespace emdb_test
