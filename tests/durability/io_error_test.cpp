// io_error_test.cpp — failing I/O during commits: EIO and ENOSPC from the N-th write, flush or
// truncate, and from each named failpoint.
//
// After the failure the call returns that error and the database is still at its previous
// committed state: either the environment goes on working (the next transactions commit and the
// content matches the model), or it is in the sticky EMDB_PANIC state (every call returns
// EMDB_PANIC) and a reopen shows the previous state — or the failed commit's state, when the
// failure came after its meta was written. Never a damaged file: every case ends with the page
// accounting audit.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "durability/fault_fs.hpp"
#include "durability/workload.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace emdb_test {
namespace {

struct Config {
  unsigned flags;
  unsigned psize;
};

int OpenEnv(const std::string& dir, const Config& c, EMDB_env** out) {
  return OpenTestEnv(dir, c.flags, c.psize, intptr_t(64) << 20, out);
}

struct Outcome {
  bool failed = false, panicked = false;
};

// Runs `txns` transactions of the workload; the first failure ends the run.
// acked: hash of the last acknowledged state; inflight: the state of a commit that failed.
Outcome RunTxns(EMDB_env* env, Workload* w, Model* m, unsigned txns, uint64_t* acked,
                uint64_t* inflight, bool* in_commit) {
  Outcome out;
  for (unsigned i = 0; i < txns; i++) {
    EMDB_txn* txn = nullptr;
    int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn);
    if (rc != 0) {
      EXPECT_EQ(rc, EMDB_PANIC) << "begin failed with " << emdb_strerror(rc);
      out.failed = out.panicked = true;
      return out;
    }
    Model next = *m;
    rc = w->Next(txn, &next);
    if (rc != 0) {
      EXPECT_TRUE(rc == EIO || rc == ENOSPC || rc == EMDB_PANIC) << emdb_strerror(rc);
      emdb_txn_abort(txn);
      out.failed = true;
      return out;
    }
    *in_commit = true;
    *inflight = next.Hash();
    rc = emdb_txn_commit(txn);
    if (rc != 0) {
      EXPECT_TRUE(rc == EIO || rc == ENOSPC || rc == EMDB_PANIC) << emdb_strerror(rc);
      out.failed = true;
      return out;
    }
    *in_commit = false;
    *m = std::move(next);
    *acked = m->Hash();
  }
  return out;
}

class IoErrorTest : public ::testing::TestWithParam<Config> {};

TEST_P(IoErrorTest, FailedCallLeavesPreviousState) {
  const Config cfg = GetParam();
  const uint64_t seed =
      test_seed_for("io_error_" + std::to_string(cfg.flags) + "_" + std::to_string(cfg.psize));
  std::mt19937_64 rng(seed);
  FaultFs& fs = FaultFs::Get();
  fs.Install();
  static const char* kFailpoints[] = {"commit.before_write",      "commit.before_data_sync",
                                      "commit.before_meta_write", "meta.before_sync",
                                      "sync.before_data_sync",    "sync.before_meta_write"};
  const unsigned cases = unsigned(env_u64("EMDB_IO_ERROR_CASES", 80));
  unsigned panics = 0, survived = 0;
  for (unsigned n = 0; n < cases; n++) {
    TempDir dir("ioerr");
    fs.Reset();
    EMDB_env* env = nullptr;
    ASSERT_EQ(OpenEnv(dir.path(), cfg, &env), 0);
    const int err = (rng() & 1) ? EIO : ENOSPC;
    std::string where;
    if (n % 2 == 0) {
      static const unsigned kinds[] = {kOpWrite, kOpFlush, kOpTruncate, kOpAll};
      fs.FailAt(fs.ops() + 1 + rng() % 40, err, kinds[rng() % 4]);
      where = "op";
    } else {
      where = kFailpoints[rng() % (sizeof(kFailpoints) / sizeof(kFailpoints[0]))];
      fs.FailAtFailpoint(where, 1 + rng() % 8, err);
    }
    SCOPED_TRACE("case " + std::to_string(n) + " at " + where + " errno " + std::to_string(err));
    Workload w(rng(), cfg.psize);
    Model m;
    uint64_t acked = m.Hash(), inflight = 0;
    bool in_commit = false;
    // Some commits are followed by an explicit flush, so the sync failpoints are reached.
    Outcome out;
    for (unsigned round = 0; round < 12 && !out.failed; round++) {
      out = RunTxns(env, &w, &m, 1 + unsigned(rng() % 3), &acked, &inflight, &in_commit);
      if (!out.failed && (cfg.flags & EMDB_SAFE_NOSYNC)) {
        int rc = emdb_env_sync(env);
        if (rc != 0 && rc != EMDB_RESULT_TRUE) {
          EXPECT_TRUE(rc == EIO || rc == ENOSPC) << emdb_strerror(rc);
          out.failed = true;
          out.panicked = true;
        }
      }
    }
    if (!out.failed) {
      ASSERT_EQ(emdb_env_close(env), 0);
      continue;
    }
    uint64_t hash = 0;
    int rc = HashDatabase(env, &hash);
    if (rc == EMDB_PANIC || out.panicked) {
      panics++;
      // Every call now refuses work; a reopen shows a committed state.
      EMDB_txn* txn = nullptr;
      EXPECT_EQ(emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn), EMDB_PANIC);
      emdb_env_close_ex(env, true);
      fs.Reset();
      ASSERT_EQ(OpenEnv(dir.path(), cfg, &env), 0);
      ASSERT_EQ(HashDatabase(env, &hash), 0);
      ASSERT_TRUE(hash == acked || (in_commit && hash == inflight))
          << "after a panic and reopen the content is no committed state";
      if (hash != acked) {
        // The failed commit's meta had been written: the model moves on to it.
        acked = inflight;
      }
    } else {
      survived++;
      ASSERT_EQ(rc, 0);
      ASSERT_EQ(hash, acked) << "a failed call changed the committed state";
    }
    ASSERT_EQ(AuditDatabase(env), 0) << "page accounting failed after the I/O error";
    // The database goes on working.
    fs.Reset();
    Workload w2(rng(), cfg.psize);
    Model m2;
    EMDB_txn* txn = nullptr;
    ASSERT_EQ(emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn), 0);
    ASSERT_EQ(w2.Next(txn, &m2), 0);
    ASSERT_EQ(emdb_txn_commit(txn), 0);
    ASSERT_EQ(AuditDatabase(env), 0);
    ASSERT_EQ(emdb_env_close(env), 0);
  }
  fs.Uninstall();
  std::printf("flags %#x ps %u: %u cases, %u survived the error, %u panicked\n", cfg.flags,
              cfg.psize, cases, survived, panics);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, IoErrorTest,
    ::testing::Values(Config{EMDB_SYNC_DURABLE, 4096}, Config{EMDB_SYNC_DURABLE, 256},
                      Config{EMDB_NOMETASYNC, 4096}, Config{EMDB_SAFE_NOSYNC, 4096},
                      Config{EMDB_SAFE_NOSYNC | EMDB_WRITEMAP, 256},
                      Config{EMDB_SYNC_DURABLE | EMDB_WRITEMAP, 4096},
                      Config{EMDB_UTTERLY_NOSYNC, 4096}),
    [](const auto& info) {
      return "flags" + std::to_string(info.param.flags) + "_ps" + std::to_string(info.param.psize);
    });

}  // namespace
}  // namespace emdb_test
