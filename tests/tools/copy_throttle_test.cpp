// copy_throttle_test.cpp — EMDB_CP_THROTTLE_MVCC and EMDB_CP_RENEW_TXN: each flag copies right
// (the copy holds the snapshot's content and passes the checker); a copy whose parked read
// transaction a writer ousts (the writer is short of space; its hsr callback would kick an
// unparked reader too) fails with EMDB_OUSTED and leaves nothing behind, or with RENEW_TXN
// starts again on the newest snapshot and succeeds; RENEW_TXN renews a lagging snapshot first.
//
// The ousting is made deterministic with the failpoint [copy.parked]: the writer runs (in its
// own thread, joined) the first time the copy has parked its txn.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "base/failpoint.hpp"
#include "support/fixture.hpp"
#include "support/temp_dir.hpp"

namespace emdb_test {
namespace {

constexpr uint64_t kKeys = 300;
constexpr size_t kValueSize = 1000;

// A database that fills up fast: a writer rewriting every value a few times must reuse the
// pages a reader pins, and so must oust a parked reader (as in tests/space/hsr_test.cpp).
EnvOptions SmallEnv() {
  EnvOptions o;
  o.pagesize = 4096;
  o.size_lower = 64 << 10;
  o.size_upper = 2 << 20;
  o.growth_step = 256 << 10;
  o.shrink_threshold = 0;
  return o;
}

// Puts value_n(i + salt * 1000003) under key_n(i) for every key, in one txn.
int PutAll(EMDB_env* env, EMDB_dbi dbi, uint64_t salt) {
  Txn t;
  int rc = t.begin(env, EMDB_TXN_READWRITE);
  for (uint64_t i = 0; rc == 0 && i < kKeys; i++) {
    rc = put(t.get(), dbi, key_n(i), value_n(i + salt * 1000003, kValueSize));
  }
  return rc ? rc : t.commit();
}

Pairs Expected(uint64_t salt) {
  Pairs p;
  for (uint64_t i = 0; i < kKeys; i++)
    p.emplace_back(key_n(i), value_n(i + salt * 1000003, kValueSize));
  return p;
}

// The content of table "t" of the copy at `file` (a NOSUBDIR data file), after a clean check.
Pairs ReadCheckedCopy(const std::string& file) {
  EnvOptions o = SmallEnv();
  o.flags = EMDB_NOSUBDIR | EMDB_RDONLY;
  Env env;
  EXPECT_OK(env.open(file, o)) << file;
  if (env.get() == nullptr) return {};
  EMDB_chk_report rep{};
  EXPECT_OK(emdb_env_chk(env, EMDB_CHK_DEFAULTS, -1, &rep, nullptr, nullptr)) << file;
  EXPECT_EQ(0u, rep.problems_total) << file;
  Txn t;
  EXPECT_OK(t.begin(env, EMDB_TXN_RDONLY));
  EMDB_dbi dbi = 0;
  EXPECT_OK(emdb_dbi_open(t.get(), "t", EMDB_DB_DEFAULTS, &dbi));
  Pairs out;
  EXPECT_OK(collect(t.get(), dbi, &out));
  return out;
}

// The hsr callback of the writer: kick whatever reader is in the way (a parked one is ousted
// before it is asked).
std::atomic<int> g_hsr_calls{0};
int KickingHsr(const EMDB_env*, const EMDB_txn*, emdb_pid_t, emdb_tid_t, uint64_t, unsigned, size_t,
               int retry) noexcept {
  if (retry < 0) return 0;
  g_hsr_calls++;
  return 1;
}

// The failpoint hook: at the first [copy.parked], runs g_on_parked once; every hit returns
// g_parked_status (an I/O error there stands for a failed write while parked).
std::function<void()> g_on_parked;
std::atomic<int> g_parked_hits{0};
std::atomic<int> g_parked_status{0};
emdb::Status Hook(const char* name) {
  if (std::string(name) != "copy.parked") return 0;
  if (g_parked_hits++ == 0 && g_on_parked) g_on_parked();
  return g_parked_status.load();
}

class CopyThrottle : public EnvTest {
 protected:
  void SetUp() override {
    EnvTest::SetUp();
    open(SmallEnv());
    ASSERT_OK(create_table(env(), "t", EMDB_CREATE, &dbi_));
    ASSERT_OK(PutAll(env(), dbi_, 0));
    ASSERT_OK(emdb_env_set_hsr(env(), KickingHsr));
    g_parked_hits = 0;
    g_hsr_calls = 0;
    emdb::fp::TEST_SetHook(&Hook);
  }
  void TearDown() override {
    emdb::fp::TEST_SetHook(nullptr);
    g_on_parked = nullptr;
    g_parked_status = 0;
    EnvTest::TearDown();
  }
  // At the first park of the copy: a writer in another thread rewrites every value `rounds`
  // times (salts 1..rounds), which needs the pages the copy's snapshot pins.
  void OustAtFirstPark(int rounds) {
    g_on_parked = [this, rounds] {
      std::thread w([this, rounds] {
        for (int r = 1; r <= rounds; r++)
          writer_rc_ = writer_rc_ ? writer_rc_ : PutAll(env(), dbi_, uint64_t(r));
      });
      w.join();
    };
  }
  EMDB_dbi dbi_ = 0;
  int writer_rc_ = 0;
};

TEST_F(CopyThrottle, EachFlagCopiesTheSnapshotAndPassesTheCheck) {
  const unsigned kFlags[] = {unsigned(EMDB_CP_THROTTLE_MVCC), unsigned(EMDB_CP_RENEW_TXN),
                             unsigned(EMDB_CP_THROTTLE_MVCC | EMDB_CP_RENEW_TXN),
                             unsigned(EMDB_CP_THROTTLE_MVCC | EMDB_CP_COMPACT),
                             unsigned(EMDB_CP_THROTTLE_MVCC | EMDB_CP_RENEW_TXN | EMDB_CP_COMPACT)};
  int n = 0;
  for (const unsigned f : kFlags) {
    SCOPED_TRACE(f);
    const std::string txn_dest = db_path("txn" + std::to_string(n));
    const std::string env_dest = db_path("env" + std::to_string(n++));
    {
      Txn t = read_txn();
      ASSERT_OK(emdb_txn_copy2pathname(t.get(), txn_dest.c_str(), EMDB_copy_flags_t(f)));
      // The txn is usable afterwards (unparked), on its snapshot.
      std::string v;
      EXPECT_OK(get(t.get(), dbi_, key_n(7), &v));
      EXPECT_EQ(value_n(7, kValueSize), v);
    }
    ASSERT_OK(emdb_env_copy(env(), env_dest.c_str(), EMDB_copy_flags_t(f)));
    EXPECT_TRUE(Expected(0) == ReadCheckedCopy(txn_dest));
    EXPECT_TRUE(Expected(0) == ReadCheckedCopy(env_dest));
  }
  EXPECT_GT(g_parked_hits.load(), 0) << "THROTTLE_MVCC parked the txn";
  // To a descriptor (the env variant, throttled).
  const std::string fd_dest = db_path("fd.emdb");
  const int fd = ::open(fd_dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  EXPECT_OK(emdb_env_copy2fd(env(), fd, EMDB_CP_THROTTLE_MVCC));
  ::close(fd);
  EXPECT_TRUE(Expected(0) == ReadCheckedCopy(fd_dest));
}

// Without RENEW_TXN an ousted copy fails with EMDB_OUSTED: the path variant removes its file,
// the fd variant cuts a regular file back to where the copy began; the txn stays ousted.
TEST_F(CopyThrottle, OustedCopyFailsAndLeavesNothing) {
  for (const unsigned extra : {0u, unsigned(EMDB_CP_COMPACT)}) {
    SCOPED_TRACE(extra);
    g_parked_hits = 0;
    OustAtFirstPark(6);
    const std::string dest = db_path("ousted" + std::to_string(extra) + ".emdb");
    Txn t = read_txn();
    EXPECT_RC(EMDB_OUSTED,
              emdb_txn_copy2pathname(t.get(), dest.c_str(),
                                     EMDB_copy_flags_t(EMDB_CP_THROTTLE_MVCC | extra)));
    ASSERT_OK(writer_rc_) << "the writer got its space by ousting the copy";
    EXPECT_FALSE(path_exists(dest)) << "no partial copy is left";
    std::string v;
    EXPECT_RC(EMDB_OUSTED, get(t.get(), dbi_, key_n(1), &v)) << "the txn was ousted";
    t.abort();

    // The same into a descriptor that already holds 6 bytes: they are all that is left.
    g_parked_hits = 0;
    OustAtFirstPark(6);
    const std::string fd_dest = db_path("ousted-fd" + std::to_string(extra));
    const int fd = ::open(fd_dest.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(6, ::write(fd, "HEADER", 6));
    Txn t2 = read_txn();
    EXPECT_RC(EMDB_OUSTED,
              emdb_txn_copy2fd(t2.get(), fd, EMDB_copy_flags_t(EMDB_CP_THROTTLE_MVCC | extra)));
    ASSERT_OK(writer_rc_);
    struct stat st;
    ASSERT_EQ(0, ::fstat(fd, &st));
    EXPECT_EQ(6, st.st_size) << "the failed copy was cut off";
    char head[6];
    EXPECT_EQ(6, ::pread(fd, head, 6, 0));
    EXPECT_EQ(std::string("HEADER"), std::string(head, 6));
    ::close(fd);
  }
}

// With RENEW_TXN the ousted copy starts again on the newest snapshot and succeeds; the copy
// holds the writer's last values; the env variants always renew.
TEST_F(CopyThrottle, OustedCopyRestartsWithRenewTxn) {
  for (const unsigned extra : {0u, unsigned(EMDB_CP_COMPACT)}) {
    SCOPED_TRACE(extra);
    g_parked_hits = 0;
    OustAtFirstPark(6);
    const std::string dest = db_path("renewed" + std::to_string(extra) + ".emdb");
    Txn t = read_txn();
    const uint64_t before = emdb_txn_id(t.get());
    ASSERT_OK(emdb_txn_copy2pathname(
        t.get(), dest.c_str(),
        EMDB_copy_flags_t(EMDB_CP_THROTTLE_MVCC | EMDB_CP_RENEW_TXN | extra)));
    ASSERT_OK(writer_rc_);
    EXPECT_GE(g_parked_hits.load(), 2) << "parked again after the restart";
    EXPECT_GT(emdb_txn_id(t.get()), before) << "the txn was renewed";
    // The writer's rounds use salts 1..6: the newest values are those of salt 6.
    std::string v;
    EXPECT_OK(get(t.get(), dbi_, key_n(3), &v));
    EXPECT_EQ(value_n(3 + 6 * 1000003, kValueSize), v);
    t.abort();
    EXPECT_TRUE(Expected(6) == ReadCheckedCopy(dest));
  }
  // emdb_env_copy with THROTTLE_MVCC alone: its own txn is renewed and the copy restarted.
  g_parked_hits = 0;
  OustAtFirstPark(6);
  const std::string env_dest = db_path("renewed-env.emdb");
  ASSERT_OK(emdb_env_copy(env(), env_dest.c_str(), EMDB_CP_THROTTLE_MVCC));
  ASSERT_OK(writer_rc_);
  EXPECT_GE(g_parked_hits.load(), 2);
  EXPECT_TRUE(Expected(6) == ReadCheckedCopy(env_dest));
}

// RENEW_TXN renews a lagging snapshot before copying; without it the old snapshot is copied.
TEST_F(CopyThrottle, RenewTxnCopiesTheNewestSnapshot) {
  Txn t = read_txn();
  ASSERT_OK(PutAll(env(), dbi_, 9));
  ASSERT_OK(emdb_txn_copy2pathname(t.get(), db_path("old.emdb").c_str(), EMDB_CP_DEFAULTS));
  EXPECT_TRUE(Expected(0) == ReadCheckedCopy(db_path("old.emdb")));
  ASSERT_OK(emdb_txn_copy2pathname(t.get(), db_path("new.emdb").c_str(), EMDB_CP_RENEW_TXN));
  EXPECT_TRUE(Expected(9) == ReadCheckedCopy(db_path("new.emdb")));
  std::string v;
  EXPECT_OK(get(t.get(), dbi_, key_n(4), &v));
  EXPECT_EQ(value_n(4 + 9 * 1000003, kValueSize), v) << "the txn now reads the newest snapshot";
}

// An error while the txn is parked (here at the failpoint, as a failed write would be): the copy
// fails with it, leaves no file, and hands the txn back unparked on its snapshot.
TEST_F(CopyThrottle, ErrorWhileParkedHandsTheTxnBackUnparked) {
  g_parked_status = EIO;
  const std::string dest = db_path("eio.emdb");
  Txn t = read_txn();
  ASSERT_OK(PutAll(env(), dbi_, 5));  // the txn lags: without RENEW_TXN it keeps its snapshot
  for (const unsigned extra : {0u, unsigned(EMDB_CP_COMPACT)}) {
    EXPECT_RC(EIO, emdb_txn_copy2pathname(t.get(), dest.c_str(),
                                          EMDB_copy_flags_t(EMDB_CP_THROTTLE_MVCC | extra)));
    EXPECT_FALSE(path_exists(dest));
    std::string v;
    EXPECT_OK(get(t.get(), dbi_, key_n(2), &v)) << "unparked";
    EXPECT_EQ(value_n(2, kValueSize), v);
  }
}

// Through a pipe an ousted copy cannot start again: EMDB_OUSTED even with RENEW_TXN.
TEST_F(CopyThrottle, PipeCannotRestart) {
  OustAtFirstPark(6);
  int fds[2];
  ASSERT_EQ(0, ::pipe(fds));
  std::thread reader([&] {
    char buf[65536];
    while (::read(fds[0], buf, sizeof buf) > 0) {
    }
    ::close(fds[0]);
  });
  Txn t = read_txn();
  const int rc = emdb_txn_copy2fd(t.get(), fds[1],
                                  EMDB_copy_flags_t(EMDB_CP_THROTTLE_MVCC | EMDB_CP_RENEW_TXN));
  ::close(fds[1]);
  reader.join();
  EXPECT_RC(EMDB_OUSTED, rc);
  ASSERT_OK(writer_rc_);
}

}  // namespace
}  // namespace emdb_test
