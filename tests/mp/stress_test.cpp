// stress_test.cpp — many processes at once, and processes killed at random moments.
//
//   AccountsInvariant     one writer process moves amounts between 1,000 accounts in random
//                         txns; 4 reader processes and 4 reader threads check in every snapshot
//                         that the total is constant and that txnids never go back.
//                         EMDB_MP_SECONDS (default and ctest 10; the `long` test runs 300).
//   SigkillAtRandomMoments  each round starts a writer and two readers, SIGKILLs them at a random
//                         moment (the writer also kills itself at a random I/O step of its
//                         commits, with half-done multi-page writes), then clears the dead
//                         slots with emdb_reader_check, runs a new writer and checks the page
//                         accounting (EMDB_AUDIT=1 audits every commit) and the total.
//                         EMDB_MP_KILL_ROUNDS (ctest: 300 per mode, `long`: 5000).
// Every process checks with EMDB_AUDIT=1, set before main().
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "mp/mp_util.hpp"
#include "os/file.hpp"
#include "support/fixture.hpp"

namespace {

using namespace emdb_test;
using namespace emdb_mp;

const int g_audit_on = ::setenv("EMDB_AUDIT", "1", 1);

double now_s() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

void sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  ::nanosleep(&ts, nullptr);
}

// One reader pass: a snapshot whose total must be kTotal and whose txnid must not go back.
// Sometimes the snapshot is held while the writer commits and checked again.
int check_snapshot(EMDB_env* env, std::mt19937_64& rng, uint64_t* last_txnid, std::string* why) {
  EMDB_txn* t = nullptr;
  int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &t);
  if (rc) {
    *why = "begin: " + rc_name(rc);
    return rc;
  }
  uint64_t id = emdb_txn_id(t);
  uint64_t sum = 0;
  int count = 0;
  int passes = rng() % 8 == 0 ? 3 : 1;
  for (int p = 0; p < passes && rc == 0; p++) {
    if (p > 0) sleep_us(long(rng() % 3000));
    rc = sum_accounts(t, &sum, &count);
    if (rc == 0 && (sum != kTotal || count != kAccounts)) {
      *why = "snapshot " + std::to_string(id) + ": total " + std::to_string(sum) + " over " +
             std::to_string(count) + " accounts (pass " + std::to_string(p) + ")";
      rc = EMDB_CORRUPTED;
    } else if (rc) {
      *why = "scan: " + rc_name(rc);
    }
  }
  emdb_txn_abort(t);
  if (rc == 0 && id < *last_txnid) {
    *why = "txnid went back from " + std::to_string(*last_txnid) + " to " + std::to_string(id);
    rc = EMDB_CORRUPTED;
  }
  *last_txnid = id;
  return rc;
}

TEST(MpStress, AccountsInvariant) {
  ASSERT_EQ(0, g_audit_on);
  const double seconds = double(env_u64("EMDB_MP_SECONDS", 10));
  const uint64_t seed = test_seed_for("MpStress.AccountsInvariant");
  TempDir dir("mp-invariant");
  const std::string path = dir.file("db");
  {
    Env e;
    ASSERT_OK(e.open(path));
    ASSERT_OK(create_accounts(e));
  }
  const double end = now_s() + seconds;
  std::vector<pid_t> kids;
  // The writer process.
  kids.push_back(spawn([&] {
    EMDB_env* e = nullptr;
    if (open_env(&e, path) != 0) return 10;
    std::mt19937_64 rng(seed);
    long commits = 0;
    while (now_s() < end) {
      int rc = random_transfer(e, rng);
      if (rc != 0) {
        std::fprintf(stderr, "writer: %s\n", rc_name(rc).c_str());
        return 11;
      }
      ++commits;
    }
    std::fprintf(stderr, "writer: %ld txns\n", commits);
    return emdb_env_close(e) == 0 ? 0 : 12;
  }));
  // Four reader processes.
  for (int p = 0; p < 4; ++p) {
    kids.push_back(spawn([&, p] {
      EMDB_env* e = nullptr;
      EnvOptions o;
      if (p == 3) o.flags = EMDB_RDONLY;
      if (open_env(&e, path, o) != 0) return 20;
      std::mt19937_64 rng(seed + 100 + uint64_t(p));
      uint64_t last = 0;
      long n = 0;
      std::string why;
      while (now_s() < end) {
        if (check_snapshot(e, rng, &last, &why) != 0) {
          std::fprintf(stderr, "reader process %d: %s\n", p, why.c_str());
          return 21;
        }
        ++n;
      }
      std::fprintf(stderr, "reader process %d: %ld snapshots, last txnid %llu\n", p, n,
                   (unsigned long long)last);
      return emdb_env_close(e) == 0 ? 0 : 22;
    }));
  }
  // Four reader threads in this process.
  Env env;
  ASSERT_OK(env.open(path));
  std::atomic<int> errors{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::thread> threads;
  std::atomic<long> snapshots{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937_64 rng(seed + 200 + uint64_t(i));
      uint64_t last = 0;
      std::string why;
      while (now_s() < end) {
        if (check_snapshot(env, rng, &last, &why) != 0) {
          std::lock_guard<std::mutex> g(mu);
          if (first_error.empty()) first_error = "reader thread: " + why;
          ++errors;
          return;
        }
        ++snapshots;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (pid_t k : kids) EXPECT_EQ(0, reap(k)) << "child " << k;
  EXPECT_EQ(0, errors.load()) << first_error;
  EXPECT_GT(snapshots.load(), 0);
  Txn w;
  ASSERT_OK(w.begin(env));  // an audited commit of the final state
  ASSERT_OK(put(w, 1, "final", "1"));
  ASSERT_OK(w.commit());
}

// ---- SIGKILL at random moments ----

// The writer child's data file: kills the process at its n-th write, flush or truncate, maybe
// after doing only part of a multi-page write (as a kill inside the kernel can).
class KillingFile : public emdb::os::File {
 public:
  explicit KillingFile(std::unique_ptr<emdb::os::File> f) : f_(std::move(f)) {}
  static inline long countdown = -1;  // ops left before the kill; -1: never
  static inline uint64_t seed = 0;

  emdb::Status PWrite(const void* buf, size_t n, uint64_t off) override {
    if (Step()) {
      if (seed % 2) (void)f_->PWrite(buf, n / 2 / 512 * 512, off);
      Die();
    }
    return f_->PWrite(buf, n, off);
  }
  emdb::Status PWriteV(const struct iovec* iov, int cnt, uint64_t off) override {
    if (Step()) {
      if (cnt > 1 && seed % 2) (void)f_->PWriteV(iov, cnt / 2, off);
      Die();
    }
    return f_->PWriteV(iov, cnt, off);
  }
  emdb::Status PRead(void* buf, size_t n, uint64_t off) override { return f_->PRead(buf, n, off); }
  emdb::Status DataSync() override {
    if (Step()) Die();
    return f_->DataSync();
  }
  emdb::Status Truncate(uint64_t size) override {
    if (Step()) Die();
    return f_->Truncate(size);
  }
  emdb::Status Size(uint64_t* size) override { return f_->Size(size); }
  emdb::Status MSync(void* addr, size_t len, uint64_t off) override {
    if (Step()) Die();
    return f_->MSync(addr, len, off);
  }
  int fd() const override { return f_->fd(); }

  static std::unique_ptr<emdb::os::File> Wrap(std::unique_ptr<emdb::os::File> f) {
    return std::make_unique<KillingFile>(std::move(f));
  }

 private:
  static bool Step() { return countdown >= 0 && countdown-- == 0; }
  [[noreturn]] static void Die() {
    ::raise(SIGKILL);
    ::_exit(1);
  }
  std::unique_ptr<emdb::os::File> f_;
};

class MpKill : public ::testing::TestWithParam<unsigned> {};

TEST_P(MpKill, SigkillAtRandomMoments) {
  ASSERT_EQ(0, g_audit_on);
  const unsigned flags = GetParam();
  const long rounds = long(env_u64("EMDB_MP_KILL_ROUNDS", 150));
  const uint64_t seed = test_seed_for("MpKill.SigkillAtRandomMoments." + std::to_string(flags));
  std::mt19937_64 rng(seed);
  TempDir dir("mp-kill");
  const std::string path = dir.file("db");
  EnvOptions o;
  o.flags = flags;
  o.maxreaders = 16;
  Env env;
  ASSERT_OK(env.open(path, o));
  ASSERT_OK(create_accounts(env));
  long cleared_total = 0, child_commits = 0;
  auto head_txnid = [&] {
    Txn r;
    return r.begin(env, EMDB_TXN_RDONLY) == 0 ? emdb_txn_id(r) : 0;
  };
  for (long round = 0; round < rounds; ++round) {
    const uint64_t rs = rng();
    const uint64_t before = head_txnid();
    std::vector<pid_t> kids;
    kids.push_back(spawn([&] {
      std::mt19937_64 r(rs);
      if (r() % 2) {
        KillingFile::countdown = long(r() % 40);
        KillingFile::seed = r();
        emdb::os::TEST_SetFileWrapper(&KillingFile::Wrap);
      }
      EMDB_env* e = nullptr;
      if (open_env(&e, path, o) != 0) return 10;
      for (;;) {
        int rc = random_transfer(e, r);
        if (rc != 0) {
          std::fprintf(stderr, "writer: %s\n", rc_name(rc).c_str());
          return 11;
        }
      }
    }));
    for (int p = 0; p < 2; ++p) {
      kids.push_back(spawn([&, p] {
        EMDB_env* e = nullptr;
        if (open_env(&e, path, o) != 0) return 20;
        std::mt19937_64 r(rs + 1 + uint64_t(p));
        uint64_t last = 0;
        std::string why;
        for (;;) {
          if (check_snapshot(e, r, &last, &why) != 0) {
            std::fprintf(stderr, "reader: %s\n", why.c_str());
            return 21;
          }
        }
      }));
    }
    sleep_us(long(rng() % 15000));
    // Kill in a random order, sometimes the readers first.
    if (rng() % 2) std::swap(kids[0], kids[1 + rng() % 2]);
    for (pid_t k : kids) {
      int st = kill_and_reap(k);
      ASSERT_EQ(128 + SIGKILL, st)
          << "round " << round << ": a child failed (exit " << st << "), see its message above";
    }
    child_commits += long(head_txnid() - before);
    int dead = 0;
    int rc = emdb_reader_check(env, &dead);
    ASSERT_TRUE(rc == 0 || rc == EMDB_RESULT_TRUE) << rc_name(rc);
    cleared_total += dead;
    // No slot of a dead child survives the check.
    std::vector<emdb_pid_t> pids;
    emdb_reader_list(
        env,
        [](void* ctx, int, int, emdb_pid_t pid, emdb_tid_t, uint64_t, uint64_t, size_t,
           size_t) noexcept -> int {
          static_cast<std::vector<emdb_pid_t>*>(ctx)->push_back(pid);
          return 0;
        },
        &pids);
    for (emdb_pid_t p : pids) ASSERT_EQ(::getpid(), p) << "round " << round;
    // A new writer gets the lock at once and its commit passes the page audit.
    Txn w;
    ASSERT_OK(w.begin(env, EMDB_TXN_TRY)) << "round " << round;
    ASSERT_OK(put(w, 1, "round", std::to_string(round)));
    ASSERT_OK(w.commit()) << "round " << round << ": the audit failed?";
    std::mt19937_64 r2(rs ^ 0x5555);
    int trc = random_transfer(env, r2);
    ASSERT_OK(trc) << "round " << round;
    uint64_t last = 0;
    std::string why;
    ASSERT_OK(check_snapshot(env, r2, &last, &why)) << why;
  }
  std::fprintf(stderr, "%ld rounds, %ld dead slots cleared, %ld commits by killed writers\n",
               rounds, cleared_total, child_commits);
}

INSTANTIATE_TEST_SUITE_P(Modes, MpKill,
                         ::testing::Values(unsigned(EMDB_ENV_DEFAULTS),
                                           unsigned(EMDB_WRITEMAP | EMDB_SAFE_NOSYNC)),
                         [](const ::testing::TestParamInfo<unsigned>& i) {
                           return i.param == 0 ? std::string("Durable")
                                               : std::string("WritemapNosync");
                         });

}  // namespace
