// hsr_test.cpp — the OOM-kick: at upper, with a laggard reader pinning the pages the writer
// needs, the hsr callback is called with libmdbx's parameters, and each return code has its
// effect (<= -2 and -1: EMDB_MAP_FULL, reader untouched; 0: rescan after the reader ended, then
// a call with a negative retry; 1: the reader's slot is cleared and its next call returns
// EMDB_MVCC_RETARDED; >= 2: the reader's process was killed and its slot is reset). Readers in
// threads and in forked processes. Parked readers are ousted without asking (EMDB_OUSTED).
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "space/space_util.hpp"

namespace emdb_test {
namespace {

using namespace space;

struct HsrCall {
  emdb_pid_t pid;
  emdb_tid_t tid;
  uint64_t laggard;
  unsigned gap;
  size_t space;
  int retry;
};

// The callback's state (a C function pointer has no context argument).
struct HsrState {
  int code = -1;
  std::mutex mu;
  std::vector<HsrCall> calls;
  std::function<void()> on_first;  // run at the first call (before returning)
};
HsrState* g_hsr = nullptr;

int Hsr(const EMDB_env*, const EMDB_txn*, emdb_pid_t pid, emdb_tid_t tid, uint64_t laggard,
        unsigned gap, size_t space, int retry) noexcept {
  bool first;
  {
    std::lock_guard<std::mutex> g(g_hsr->mu);
    g_hsr->calls.push_back({pid, tid, laggard, gap, space, retry});
    first = g_hsr->calls.size() == 1;
  }
  if (retry < 0) return 0;  // end-of-loop notification
  if (first && g_hsr->on_first) g_hsr->on_first();
  return g_hsr->code;
}

EnvOptions SmallEnv() {
  EnvOptions o;
  o.pagesize = 4096;
  o.size_lower = 64 * KiB;
  o.size_upper = 2 * MiB;
  o.growth_step = 256 * KiB;
  o.shrink_threshold = 0;
  return o;
}

constexpr uint64_t kKeys = 300;

// Rewrites every value `rounds` times; returns the first error.
int Rewrite(EMDB_env* env, EMDB_dbi dbi, int rounds, uint64_t salt0) {
  for (int r = 0; r < rounds; r++) {
    int rc = put_range(env, dbi, 0, kKeys, 1000, salt0 + uint64_t(r));
    if (rc) return rc;
  }
  return 0;
}

class HsrThreads : public EnvTest, public ::testing::WithParamInterface<int> {};

TEST_P(HsrThreads, ReturnCode) {
  const int code = GetParam();
  HsrState st;
  st.code = code;
  g_hsr = &st;
  open(SmallEnv());
  ASSERT_OK(emdb_env_set_hsr(env(), Hsr));
  EXPECT_EQ(&Hsr, emdb_env_get_hsr(env()));
  const EMDB_dbi dbi = table("t");
  ASSERT_OK(put_range(env(), dbi, 0, kKeys, 1000));

  std::atomic<int> cmd{0}, state{0};
  uint64_t reader_txnid = 0, reader_tid = 0;
  int reader_rc = -12345;
  std::string reader_val;
  std::thread reader([&] {
    EMDB_txn* t = nullptr;
    ASSERT_OK(emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &t));
    reader_txnid = emdb_txn_id(t);
    reader_tid = uint64_t(pthread_self());
    state = 1;
    for (;;) {
      int c = cmd.load();
      if (c == 1) {  // end the txn (code 0: the callback waits for this)
        emdb_txn_abort(t);
        state = 2;
        return;
      }
      if (c == 2) {  // read after the writer is done
        reader_rc = get(t, dbi, key_n(5), &reader_val);
        emdb_txn_abort(t);
        state = 3;
        return;
      }
      std::this_thread::yield();
    }
  });
  while (state.load() != 1) std::this_thread::yield();
  if (code == 0) {
    st.on_first = [&] {
      cmd = 1;
      while (state.load() != 2) std::this_thread::yield();
    };
  }
  int rc = Rewrite(env(), dbi, 20, 1);
  if (code == 0 || code >= 1) {
    EXPECT_OK(rc) << "the kicked reader's pages are reused";
  } else {
    EXPECT_RC(EMDB_MAP_FULL, rc);
  }
  if (code != 0) cmd = 2;
  reader.join();
  ASSERT_FALSE(st.calls.empty()) << "the callback was never called";
  const HsrCall& c0 = st.calls.front();
  EXPECT_EQ(emdb_pid_t(getpid()), c0.pid);
  EXPECT_EQ(emdb_tid_t(reader_tid), c0.tid);
  EXPECT_EQ(reader_txnid, c0.laggard);
  EXPECT_GE(c0.gap, 1u);
  EXPECT_GT(c0.space, 0u);
  EXPECT_EQ(0, c0.retry);
  if (code == 0) {
    EXPECT_LT(st.calls.back().retry, 0) << "a negative retry ends the loop";
  } else if (code >= 1) {
    EXPECT_RC(EMDB_MVCC_RETARDED, reader_rc) << "the kicked reader must not read reused pages";
  } else {
    EXPECT_OK(reader_rc);
    EXPECT_EQ(value_n(5, 1000), reader_val) << "the reader still sees its snapshot";
  }
  EXPECT_OK(audit(env()));
  g_hsr = nullptr;
}

INSTANTIATE_TEST_SUITE_P(Codes, HsrThreads, ::testing::Values(-2, -1, 0, 1, 2));

// A reader in another process. The child is forked before this process opens the database.
class HsrProcess : public EnvTest, public ::testing::WithParamInterface<int> {};

struct Child {
  pid_t pid = -1;
  int to[2], from[2];
  void send(char c) { ASSERT_EQ(1, write(to[1], &c, 1)); }
  int64_t recv() {
    int64_t v = 0;
    if (read(from[0], &v, sizeof v) != sizeof v) return -99999;
    return v;
  }
};

TEST_P(HsrProcess, ReturnCode) {
  const int code = GetParam();
  Child ch;
  ASSERT_EQ(0, pipe(ch.to));
  ASSERT_EQ(0, pipe(ch.from));
  ch.pid = fork();
  ASSERT_GE(ch.pid, 0);
  if (ch.pid == 0) {
    close(ch.to[1]);
    close(ch.from[0]);
    auto reply = [&](int64_t v) {
      if (write(ch.from[1], &v, sizeof v) != sizeof v) _exit(3);
    };
    char c;
    if (read(ch.to[0], &c, 1) != 1) _exit(2);
    EMDB_env* e = nullptr;
    if (open_env(&e, db_path(), SmallEnv()) != 0) _exit(4);
    EMDB_txn* t = nullptr;
    if (emdb_txn_begin(e, nullptr, EMDB_TXN_RDONLY, &t) != 0) _exit(5);
    EMDB_dbi dbi = 0;
    if (emdb_dbi_open(t, "t", EMDB_DB_DEFAULTS, &dbi) != 0) _exit(6);
    reply(int64_t(emdb_txn_id(t)));
    while (read(ch.to[0], &c, 1) == 1) {
      if (c == 'e') {
        emdb_txn_abort(t);
        t = nullptr;
        reply(0);
      } else if (c == 'g') {
        std::string v;
        int rc = get(t, dbi, key_n(5), &v);
        if (rc == 0 && v != value_n(5, 1000)) rc = -77777;  // stale or foreign data
        reply(rc);
      } else {
        break;
      }
    }
    if (t) emdb_txn_abort(t);
    emdb_env_close(e);
    _exit(0);
  }
  close(ch.to[0]);
  close(ch.from[1]);
  HsrState st;
  st.code = code;
  g_hsr = &st;
  open(SmallEnv());
  ASSERT_OK(emdb_env_set_hsr(env(), Hsr));
  const EMDB_dbi dbi = table("t");
  ASSERT_OK(put_range(env(), dbi, 0, kKeys, 1000));
  ch.send('b');
  const int64_t child_txnid = ch.recv();
  ASSERT_GT(child_txnid, 0);
  bool killed = false;
  if (code == 0) {
    st.on_first = [&] {
      ch.send('e');
      ch.recv();
    };
  } else if (code >= 2) {
    st.on_first = [&] {
      kill(ch.pid, SIGKILL);
      int status;
      waitpid(ch.pid, &status, 0);
      killed = true;
    };
  }
  const unsigned readers_before = env_info(env()).mi_numreaders;
  int rc = Rewrite(env(), dbi, 20, 1);
  if (code >= 0) {
    EXPECT_OK(rc);
  } else {
    EXPECT_RC(EMDB_MAP_FULL, rc);
  }
  ASSERT_FALSE(st.calls.empty());
  EXPECT_EQ(emdb_pid_t(ch.pid), st.calls.front().pid);
  EXPECT_EQ(uint64_t(child_txnid), st.calls.front().laggard);
  EXPECT_GT(st.calls.front().space, 0u);
  if (!killed) {
    if (code != 0) {
      ch.send('g');
      int64_t got = ch.recv();
      if (code == 1) {
        EXPECT_EQ(EMDB_MVCC_RETARDED, got) << rc_name(int(got));
      } else {
        EXPECT_EQ(0, got) << rc_name(int(got));
      }
    }
    ch.send('q');
    int status = 0;
    ASSERT_EQ(ch.pid, waitpid(ch.pid, &status, 0));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  } else {
    EXPECT_EQ(readers_before - 1, env_info(env()).mi_numreaders)
        << "the killed reader's slot was reset";
  }
  close(ch.to[1]);
  close(ch.from[0]);
  EXPECT_OK(audit(env()));
  g_hsr = nullptr;
}

INSTANTIATE_TEST_SUITE_P(Codes, HsrProcess, ::testing::Values(-2, -1, 0, 1, 2));

// A parked reader is ousted without the callback; unpark says EMDB_OUSTED, or renews.
TEST(Park, ParkedReaderIsOustedAndCanRestart) {
  TempDir dir("Park.Ousted");
  Env e;
  ASSERT_OK(e.open(dir.file("db"), SmallEnv()));
  EMDB_dbi dbi = 0;
  ASSERT_OK(create_table(e.get(), "t", 0, &dbi));
  ASSERT_OK(put_range(e.get(), dbi, 0, kKeys, 1000));
  std::atomic<int> state{0};
  int rc_after = 0, rc_unpark = 0, rc_restart = 0, rc_get = 0;
  std::string val;
  std::thread reader([&] {
    EMDB_txn* t = nullptr;
    ASSERT_OK(emdb_txn_begin(e.get(), nullptr, EMDB_TXN_RDONLY, &t));
    ASSERT_OK(emdb_txn_park(t, false));
    std::string v;
    rc_after = get(t, dbi, key_n(1), &v);  // parked without autounpark: not usable
    state = 1;
    while (state.load() != 2) std::this_thread::yield();
    rc_unpark = emdb_txn_unpark(t, false);
    rc_restart = emdb_txn_unpark(t, true);
    rc_get = get(t, dbi, key_n(5), &val);
    emdb_txn_abort(t);
  });
  while (state.load() != 1) std::this_thread::yield();
  EXPECT_OK(Rewrite(e.get(), dbi, 20, 1)) << "the parked reader is ousted, its pages reused";
  state = 2;
  reader.join();
  EXPECT_RC(EMDB_BAD_TXN, rc_after);
  EXPECT_RC(EMDB_OUSTED, rc_unpark);
  EXPECT_RC(EMDB_RESULT_TRUE, rc_restart);
  EXPECT_OK(rc_get);
  EXPECT_EQ(value_n(5 + 20 * 1000003, 1000), val) << "renewed on the newest snapshot";
  EXPECT_OK(audit(e.get()));
}

TEST(Park, UnparkedInTimeKeepsItsSnapshot) {
  TempDir dir("Park.InTime");
  Env e;
  ASSERT_OK(e.open(dir.file("db"), SmallEnv()));
  EMDB_dbi dbi = 0;
  ASSERT_OK(create_table(e.get(), "t", 0, &dbi));
  ASSERT_OK(put_range(e.get(), dbi, 0, 10, 100));
  EMDB_txn* t = nullptr;
  ASSERT_OK(emdb_txn_begin(e.get(), nullptr, EMDB_TXN_RDONLY, &t));
  ASSERT_OK(emdb_txn_park(t, true));
  ASSERT_OK(put_range(e.get(), dbi, 0, 10, 100, 7));
  std::string v;
  ASSERT_OK(get(t, dbi, key_n(3), &v));  // autounpark
  EXPECT_EQ(value_n(3, 100), v);
  EMDB_txn_info ti;
  ASSERT_OK(emdb_txn_info(t, &ti, true));
  EXPECT_EQ(1u, ti.txn_reader_lag);
  EXPECT_EQ(1, emdb_txn_straggler(t, nullptr));
  EXPECT_OK(emdb_txn_unpark(t, false));
  emdb_txn_abort(t);
  EMDB_txn* w = nullptr;
  ASSERT_OK(emdb_txn_begin(e.get(), nullptr, EMDB_TXN_READWRITE, &w));
  EXPECT_EQ(-1, emdb_txn_straggler(w, nullptr));
  emdb_txn_abort(w);
  EXPECT_OK(audit(e.get()));
}

}  // namespace
}  // namespace emdb_test
