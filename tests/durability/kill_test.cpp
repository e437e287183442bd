// kill_test.cpp — process crashes for real: a forked child commits the deterministic workload
// (workload.hpp) and reports each acknowledged commit through a pipe; the parent SIGKILLs it at
// a random moment (often inside a commit), reopens the database and checks that it holds the last
// acknowledged state or the one the child was committing, that every page is accounted for, and
// that a new writer can commit. Every sync mode, with and without WRITEMAP.
//
// EMDB_KILL_RUNS sets the runs per configuration (default 25).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

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
  return OpenTestEnv(dir, c.flags, c.psize, intptr_t(256) << 20, out);
}

// The child: commit forever, writing the number of each acknowledged commit to `fd`.
[[noreturn]] void Child(const std::string& dir, const Config& cfg, uint64_t wseed, int fd) {
  EMDB_env* env = nullptr;
  if (OpenEnv(dir, cfg, &env) != 0) _exit(3);
  Workload w(wseed, cfg.psize);
  Model m;
  for (uint32_t i = 1;; i++) {
    EMDB_txn* txn = nullptr;
    if (emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn) != 0) _exit(4);
    if (w.Next(txn, &m) != 0) _exit(5);
    if (emdb_txn_commit(txn) != 0) _exit(6);
    if (::write(fd, &i, sizeof(i)) != ssize_t(sizeof(i))) _exit(7);
  }
}

class KillTest : public ::testing::TestWithParam<Config> {};

TEST_P(KillTest, KilledWriterLeavesACommittedState) {
  const Config cfg = GetParam();
  const uint64_t seed =
      test_seed_for("kill_" + std::to_string(cfg.flags) + "_" + std::to_string(cfg.psize));
  std::mt19937_64 rng(seed);
  const unsigned runs = unsigned(env_u64("EMDB_KILL_RUNS", 25));
  unsigned mid_commit = 0, total_commits = 0;
  for (unsigned run = 0; run < runs; run++) {
    TempDir dir("kill");
    const uint64_t wseed = rng();
    // Run a first child to completion-free kill, then a second on the same database, so some
    // kills land on an existing database (open, recovery) too.
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(pipefd[0]);
      Child(dir.path(), cfg, wseed, pipefd[1]);
    }
    ::close(pipefd[1]);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 30000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child ended on its own (exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
        << ")";
    uint32_t acked = 0, v = 0;
    while (::read(pipefd[0], &v, sizeof(v)) == ssize_t(sizeof(v))) acked = v;
    ::close(pipefd[0]);
    total_commits += acked;
    SCOPED_TRACE("run " + std::to_string(run) + " wseed " + std::to_string(wseed) + " acked " +
                 std::to_string(acked));
    // Replay the model: states acked and acked + 1.
    Workload w(wseed, cfg.psize);
    Model m;
    for (uint32_t i = 0; i < acked; i++) w.NextModelOnly(&m);
    const uint64_t h_acked = m.Hash();
    w.NextModelOnly(&m);
    const uint64_t h_next = m.Hash();

    EMDB_env* env = nullptr;
    int rc = OpenEnv(dir.path(), cfg, &env);
    ASSERT_EQ(rc, 0) << "reopen after SIGKILL failed: " << emdb_strerror(rc);
    uint64_t hash = 0;
    ASSERT_EQ(HashDatabase(env, &hash), 0);
    ASSERT_TRUE(hash == h_acked || hash == h_next)
        << "content is neither the acknowledged state nor the one being committed";
    if (hash == h_next && h_next != h_acked) mid_commit++;
    // Page accounting, then a new writer commits.
    EMDB_txn* txn = nullptr;
    ASSERT_EQ(AuditDatabase(env), 0);
    ASSERT_EQ(emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn), 0);
    Workload w2(wseed + 1, cfg.psize);
    Model scratch;
    ASSERT_EQ(w2.Next(txn, &scratch), 0);
    ASSERT_EQ(emdb_txn_commit(txn), 0);
    ASSERT_EQ(emdb_env_close(env), 0);
  }
  std::printf(
      "flags %#x ps %u: %u kills, %u commits acknowledged in all, %u killed after the "
      "meta was written but before the acknowledgement\n",
      cfg.flags, cfg.psize, runs, total_commits, mid_commit);
}

std::vector<Config> Configs() {
  std::vector<Config> out;
  for (unsigned mode : {unsigned(EMDB_SYNC_DURABLE), unsigned(EMDB_NOMETASYNC),
                        unsigned(EMDB_SAFE_NOSYNC), unsigned(EMDB_UTTERLY_NOSYNC)}) {
    out.push_back({mode, 4096});
    out.push_back({mode | EMDB_WRITEMAP, mode == EMDB_SAFE_NOSYNC ? 256u : 4096u});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Modes, KillTest, ::testing::ValuesIn(Configs()), [](const auto& info) {
  return "flags" + std::to_string(info.param.flags) + "_ps" + std::to_string(info.param.psize);
});

}  // namespace
}  // namespace emdb_test
