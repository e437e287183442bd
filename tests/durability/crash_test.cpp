// crash_test.cpp — randomized crash tests of the commit protocol, in-process.
//
// For every sync mode x WRITEMAP on/off x page size 256 and 4096, many crash points: a fresh
// database runs the deterministic workload (workload.hpp) through the fault-injecting file layer
// (fault_fs.hpp), which crashes at a random I/O operation or a random named failpoint. The file
// a crash leaves is then written back — all writes kept (a process crash) or only the flushed
// ones plus a random subset of sectors of the rest (a power loss, with a new boot id) — and the
// database is reopened. It must open, pass the page-accounting audit, and hold exactly one
// committed state: for a process crash the last acknowledged commit (or the one in flight when
// the crash came inside its commit); for a power loss at least the last state its sync mode made
// durable. UTTERLY_NOSYNC promises nothing across a power loss, so it gets process crashes only.
//
// EMDB_CRASH_POINTS sets the crash points per configuration (default 120; the `long` label runs
// the same binary with many more).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "durability/fault_fs.hpp"
#include "durability/workload.hpp"
#include "os/bootid.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace emdb_test {
namespace {

struct Config {
  unsigned mode;  // EMDB_SYNC_DURABLE, EMDB_NOMETASYNC, EMDB_SAFE_NOSYNC, EMDB_UTTERLY_NOSYNC
  bool writemap;
  unsigned psize;
};

int OpenEnv(const std::string& dir, const Config& c, EMDB_env** out) {
  return OpenTestEnv(dir, c.mode | (c.writemap ? unsigned(EMDB_WRITEMAP) : 0u), c.psize,
                     intptr_t(64) << 20, out);
}

std::string Name(const Config& c) {
  const char* m = c.mode == EMDB_SYNC_DURABLE  ? "durable"
                  : c.mode == EMDB_NOMETASYNC  ? "nometasync"
                  : c.mode == EMDB_SAFE_NOSYNC ? "safe_nosync"
                                               : "utterly_nosync";
  return std::string(m) + (c.writemap ? "_writemap" : "") + "_ps" + std::to_string(c.psize);
}

class CrashTest : public ::testing::TestWithParam<Config> {};

TEST_P(CrashTest, RecoversToOneCommittedState) {
  const Config cfg = GetParam();
  const uint64_t seed = test_seed_for("crash_" + Name(cfg));
  const uint64_t points = env_u64("EMDB_CRASH_POINTS", 120);
  std::mt19937_64 rng(seed);
  FaultFs& fs = FaultFs::Get();
  fs.Install();
  static const char* kFailpoints[] = {"commit.before_write",      "commit.before_data_sync",
                                      "commit.before_meta_write", "meta.before_sync",
                                      "sync.before_data_sync",    "sync.before_meta_write"};
  unsigned checked = 0, rolled_back = 0;
  for (uint64_t point = 0; point < points; point++) {
    TempDir dir("crash");
    const uint64_t wseed = rng();
    const bool power_loss = cfg.mode != EMDB_UTTERLY_NOSYNC && (rng() % 3 != 0);
    const unsigned txns = 1 + unsigned(rng() % 24);
    fs.Reset();
    // Crash at a random I/O operation, or at the n-th hit of a random failpoint.
    std::string where;
    if (rng() % 2) {
      fs.CrashAt(1 + rng() % (6 * txns + 4));
      where = "op";
    } else {
      where = kFailpoints[rng() % (sizeof(kFailpoints) / sizeof(kFailpoints[0]))];
      fs.CrashAtFailpoint(where, 1 + rng() % (txns + 1));
    }
    SCOPED_TRACE("point " + std::to_string(point) + " wseed " + std::to_string(wseed) +
                 (power_loss ? " power-loss" : " process-crash") + " crash at " + where);

    std::vector<uint64_t> states{Model().Hash()};  // states[j]: after j acknowledged commits
    size_t floor = 0;                              // oldest state a crash may fall back to
    size_t last_real = 0;                          // state of the newest commit that wrote a meta
    bool in_commit = false;
    uint64_t inflight = 0;
    EMDB_env* env = nullptr;
    int rc = OpenEnv(dir.path(), cfg, &env);
    if (rc == 0) {
      Workload w(wseed, cfg.psize);
      Model m;
      for (unsigned i = 0; i < txns && !fs.crashed(); i++) {
        EMDB_txn* txn = nullptr;
        if (emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn) != 0) break;
        Model next = m;
        if (w.Next(txn, &next) != 0) {
          emdb_txn_abort(txn);
          break;
        }
        in_commit = true;
        inflight = next.Hash();
        EMDB_envinfo before;
        if (emdb_env_info_ex(env, nullptr, &before, sizeof(before)) != 0) break;
        rc = emdb_txn_commit(txn);
        if (rc != 0) break;
        in_commit = false;
        m = std::move(next);
        states.push_back(inflight);
        const size_t k = states.size() - 1;
        EMDB_envinfo after;
        if (emdb_env_info_ex(env, nullptr, &after, sizeof(after)) != 0) break;
        if (after.mi_recent_txnid != before.mi_recent_txnid) {
          // A real commit (one that changed nothing writes no meta and makes nothing durable).
          if (cfg.mode == EMDB_SYNC_DURABLE) floor = k;
          // NOMETASYNC: this commit's data flush made the previous meta durable.
          if (cfg.mode == EMDB_NOMETASYNC) floor = std::max(floor, last_real);
          last_real = k;
        }
        if ((cfg.mode & EMDB_SAFE_NOSYNC) && rng() % 8 == 0 && emdb_env_sync(env) == 0) {
          floor = k;
        }
        EMDB_envinfo info;
        if (emdb_env_info_ex(env, nullptr, &info, sizeof(info)) == 0 &&
            info.mi_unsync_volume == 0) {
          floor = k;  // a steady point (autosync, or a flush made by the allocator)
        }
      }
      if (!fs.crashed()) fs.CrashNow();
      emdb_env_close_ex(env, true);
    } else {
      ASSERT_TRUE(fs.crashed()) << "open failed without a crash: " << emdb_strerror(rc);
      states.assign(1, Model().Hash());
    }
    // The machine "restarts": the file is what the crash left.
    std::vector<uint8_t> image = power_loss ? fs.PowerLossImage(rng) : fs.ProcessCrashImage();
    fs.Reset();
    if (image.empty()) continue;  // crashed before the file was written at all
    FaultFs::WriteImage(dir.file("emdb.dat"), image);
    if (power_loss) emdb::os::TEST_SetBootId({rng() | 1, rng()});
    EMDB_env* env2 = nullptr;
    rc = OpenEnv(dir.path(), cfg, &env2);
    emdb::os::TEST_SetBootId({0, 0});
    ASSERT_EQ(rc, 0) << "reopen after the crash failed: " << emdb_strerror(rc);
    EMDB_envinfo info;
    ASSERT_EQ(emdb_env_info_ex(env2, nullptr, &info, sizeof(info)), 0);
    uint64_t hash = 0;
    ASSERT_EQ(HashDatabase(env2, &hash), 0);
    bool ok = in_commit && hash == inflight;
    for (size_t j = floor; j < states.size() && !ok; j++) ok = states[j] == hash;
    if (ok && hash != states.back() && !(in_commit && hash == inflight)) rolled_back++;
    ASSERT_TRUE(ok) << "recovered content is no committed state at or after the floor: floor "
                    << floor << ", acknowledged " << states.size() - 1
                    << (in_commit ? ", crash inside a commit" : "") << ", recent txnid "
                    << info.mi_recent_txnid;
    ASSERT_EQ(AuditDatabase(env2), 0) << "page accounting failed after recovery";
    // The recovered database takes new commits.
    EMDB_txn* txn = nullptr;
    ASSERT_EQ(emdb_txn_begin(env2, nullptr, EMDB_TXN_READWRITE, &txn), 0);
    Workload w2(wseed ^ 0x5555, cfg.psize);
    Model scratch;
    ASSERT_EQ(w2.Next(txn, &scratch), 0);
    ASSERT_EQ(emdb_txn_commit(txn), 0);
    ASSERT_EQ(AuditDatabase(env2), 0);
    ASSERT_EQ(emdb_env_close(env2), 0);
    checked++;
  }
  fs.Uninstall();
  std::printf("%s: %u crash points checked (%u fell back to an earlier state)\n", Name(cfg).c_str(),
              checked, rolled_back);
}

std::vector<Config> AllConfigs() {
  std::vector<Config> out;
  for (unsigned mode : {unsigned(EMDB_SYNC_DURABLE), unsigned(EMDB_NOMETASYNC),
                        unsigned(EMDB_SAFE_NOSYNC), unsigned(EMDB_UTTERLY_NOSYNC)}) {
    for (bool wm : {false, true}) {
      for (unsigned ps : {256u, 4096u}) out.push_back({mode, wm, ps});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllModes, CrashTest, ::testing::ValuesIn(AllConfigs()),
                         [](const auto& info) { return Name(info.param); });

}  // namespace
}  // namespace emdb_test
