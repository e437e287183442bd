// misc_test.cpp — canary words, emdb_is_dirty, setup_debug.
#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class Misc : public EnvTest {
 protected:
  void SetUp() override {
    EnvTest::SetUp();
    open();
    main_ = table(nullptr);
  }
  EMDB_dbi main_ = 0;
};

bool same(const EMDB_canary& a, const EMDB_canary& b) {
  return a.x == b.x && a.y == b.y && a.z == b.z && a.v == b.v;
}

TEST_F(Misc, CanaryPutGet) {
  EMDB_canary c;
  {
    Txn r = read_txn();
    ASSERT_OK(emdb_canary_get(r, &c));
    EXPECT_EQ(0u, c.x);
    EXPECT_EQ(0u, c.y);
    EXPECT_EQ(0u, c.z);
  }
  uint64_t committed_id = 0;
  {
    Txn w = write_txn();
    const EMDB_canary in = {11, 22, 33, 999};
    ASSERT_OK(emdb_canary_put(w, &in));
    ASSERT_OK(emdb_canary_get(w, &c));
    EXPECT_EQ(11u, c.x);
    EXPECT_EQ(22u, c.y);
    EXPECT_EQ(33u, c.z);
    EXPECT_EQ(emdb_txn_id(w), c.v);  // v is always the txnid, never the caller's
    committed_id = emdb_txn_id(w);
    ASSERT_OK(w.commit());
  }
  {
    Txn r = read_txn();
    ASSERT_OK(emdb_canary_get(r, &c));
    const EMDB_canary expect = {11, 22, 33, committed_id};
    EXPECT_TRUE(same(expect, c)) << c.x << " " << c.y << " " << c.z << " " << c.v;
  }
  // A txn that does not touch the canary leaves it alone.
  {
    Txn w = write_txn();
    ASSERT_OK(put(w, main_, "k", "v"));
    ASSERT_OK(w.commit());
    Txn r = read_txn();
    ASSERT_OK(emdb_canary_get(r, &c));
    EXPECT_EQ(committed_id, c.v);
  }
  // Putting the same x, y, z changes nothing, not even v.
  {
    Txn w = write_txn();
    const EMDB_canary in = {11, 22, 33, 0};
    ASSERT_OK(emdb_canary_put(w, &in));
    ASSERT_OK(emdb_canary_get(w, &c));
    EXPECT_EQ(committed_id, c.v);
    ASSERT_OK(w.commit());
  }
  // NULL: only v moves to the current txnid.
  {
    Txn w = write_txn();
    ASSERT_OK(emdb_canary_put(w, nullptr));
    const uint64_t id = emdb_txn_id(w);
    ASSERT_OK(w.commit());
    Txn r = read_txn();
    ASSERT_OK(emdb_canary_get(r, &c));
    const EMDB_canary expect = {11, 22, 33, id};
    EXPECT_TRUE(same(expect, c)) << c.v << " vs " << id;
    committed_id = id;
  }
  // Aborted changes vanish.
  {
    Txn w = write_txn();
    const EMDB_canary in = {1, 1, 1, 1};
    ASSERT_OK(emdb_canary_put(w, &in));
    ASSERT_OK(w.abort());
    Txn r = read_txn();
    ASSERT_OK(emdb_canary_get(r, &c));
    EXPECT_EQ(11u, c.x);
    EXPECT_EQ(committed_id, c.v);
  }
  // Read-only txns cannot write it.
  {
    Txn r = read_txn();
    const EMDB_canary in = {5, 5, 5, 5};
    EXPECT_RC(EMDB_EACCESS, emdb_canary_put(r, &in));
  }
  // It survives reopening.
  reopen();
  Txn r = read_txn();
  ASSERT_OK(emdb_canary_get(r, &c));
  EXPECT_EQ(11u, c.x);
  EXPECT_EQ(33u, c.z);
  EXPECT_EQ(committed_id, c.v);
}

TEST_F(Misc, IsDirty) {
  {
    Txn w = write_txn();
    ASSERT_OK(put(w, main_, "small", "value"));
    ASSERT_OK(put(w, main_, "large", std::string(20000, 'L')));
    EMDB_val k = V("small", 5), d = V0();
    ASSERT_OK(emdb_get(w, main_, &k, &d));
    EXPECT_EQ(EMDB_RESULT_TRUE, emdb_is_dirty(w, d.iov_base));
    k = V("large", 5);
    ASSERT_OK(emdb_get(w, main_, &k, &d));
    EXPECT_EQ(EMDB_RESULT_TRUE, emdb_is_dirty(w, d.iov_base));
    ASSERT_OK(w.commit());
  }
  {
    Txn w = write_txn();
    EMDB_val k = V("small", 5), d = V0();
    ASSERT_OK(emdb_get(w, main_, &k, &d));
    EXPECT_EQ(EMDB_RESULT_FALSE, emdb_is_dirty(w, d.iov_base));  // clean until touched
    k = V("large", 5);
    ASSERT_OK(emdb_get(w, main_, &k, &d));
    EXPECT_EQ(EMDB_RESULT_FALSE, emdb_is_dirty(w, d.iov_base));
    ASSERT_OK(put(w, main_, "small", "other"));
    k = V("small", 5);
    ASSERT_OK(emdb_get(w, main_, &k, &d));
    EXPECT_EQ(EMDB_RESULT_TRUE, emdb_is_dirty(w, d.iov_base));
  }
  Txn r = read_txn();
  EMDB_val k = V("small", 5), d = V0();
  ASSERT_OK(emdb_get(r, main_, &k, &d));
  EXPECT_EQ(EMDB_RESULT_FALSE, emdb_is_dirty(r, d.iov_base));
}

// Collects log messages (the logger must be callable from any thread).
std::atomic<int> g_log_calls{0};
void counting_logger(EMDB_log_level_t, const char*, int, const char*, va_list) noexcept {
  ++g_log_calls;
}

TEST(Debug, SetupDebugReturnsPreviousSettings) {
  const int before =
      emdb_setup_debug(EMDB_LOG_DONTCHANGE, EMDB_DBG_DONTCHANGE, EMDB_LOGGER_DONTCHANGE);
  ASSERT_GE(before, 0);
  const int level = before >> 16;
  EXPECT_GE(level, EMDB_LOG_FATAL);
  EXPECT_LE(level, EMDB_LOG_EXTRA);
  const int prev = emdb_setup_debug(EMDB_LOG_WARN, EMDB_DBG_DONTCHANGE, &counting_logger);
  EXPECT_EQ(before, prev);
  const int now =
      emdb_setup_debug(EMDB_LOG_DONTCHANGE, EMDB_DBG_DONTCHANGE, EMDB_LOGGER_DONTCHANGE);
  EXPECT_EQ(int(EMDB_LOG_WARN), now >> 16);
  // Restore the default logger and level.
  emdb_setup_debug(EMDB_log_level_t(level), EMDB_debug_flags_t(before & 0xffff), nullptr);
  const int restored =
      emdb_setup_debug(EMDB_LOG_DONTCHANGE, EMDB_DBG_DONTCHANGE, EMDB_LOGGER_DONTCHANGE);
  EXPECT_EQ(before, restored);
}

}  // namespace
}  // namespace emdb_test
