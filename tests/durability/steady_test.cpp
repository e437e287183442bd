// steady_test.cpp — steady points made in the background in lazy mode (txn/steady.hpp).
//
//   PromotesOlderCommits  EMDB_SAFE_NOSYNC (pwrite; EMDB_WRITEMAP keeps synchronous steady
//                         points, checked to promote nothing): as weak commits pile up, flushes run
//                         in the flusher thread and older commits become steady (counted at the
//                         promotion failpoint); the steady txnid moves forward without any
//                         emdb_env_sync; content and page accounting stay exact, the file stays
//                         bounded, and a reopen sees the last commit.
//   PromotedPointSurvivesPowerLoss  the same through the fault-injecting file layer, then a
//                         power loss (only flushed bytes kept, the rest sector by sector at
//                         random, new boot id): the database reopens at a committed state no
//                         older than the newest steady point seen before the crash.
//   EarlyReuseSurvivesPowerLoss  pages that weak commits wrote after the steady point and
//                         retired again are reused before the next steady point (txn/pages.hpp
//                         P5; counted at its failpoint); power losses at random commits, in
//                         pwrite and WRITEMAP mode, at page sizes 4096 and 256, always reopen at
//                         a committed state no older than the last steady point, with exact
//                         content and page accounting.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <string>

#include "base/failpoint.hpp"
#include "durability/fault_fs.hpp"
#include "durability/workload.hpp"
#include "os/bootid.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace emdb_test {
namespace {

std::atomic<unsigned> g_promotions{0};

std::atomic<unsigned> g_early_reuses{0};

emdb::Status CountPromotions(const char* name) {
  if (std::strcmp(name, "steady.before_promote") == 0) g_promotions++;
  if (std::strcmp(name, "alloc.early_reuse") == 0) g_early_reuses++;
  return 0;
}

// The newest steady txnid and the head txnid, seen from a read txn.
void SteadyAndHead(EMDB_env* env, uint64_t* steady, uint64_t* head) {
  EMDB_txn* r = nullptr;
  ASSERT_EQ(0, emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &r));
  EMDB_gc_info gi;
  ASSERT_EQ(0, emdb_gc_info(r, &gi, sizeof(gi)));
  *steady = gi.gi_steady_txnid;
  *head = emdb_txn_id(r);
  emdb_txn_abort(r);
}

// One workload transaction, committed; then the steady and head txnids.
void CommitNext(EMDB_env* env, Workload* w, Model* m, uint64_t* steady, uint64_t* head) {
  EMDB_txn* txn = nullptr;
  ASSERT_EQ(0, emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn));
  ASSERT_EQ(0, w->Next(txn, m));
  ASSERT_EQ(0, emdb_txn_commit(txn));
  SteadyAndHead(env, steady, head);
}

// A power loss now (FaultFs installed): only flushed bytes are kept, the rest sector by sector
// at random, with a new boot id. The database must reopen at a committed state (`states`:
// txnid -> content hash) no older than `steady_seen`, with exact page accounting.
void PowerLossAndCheck(EMDB_env* env, const TempDir& dir, unsigned flags, unsigned psize,
                       std::mt19937_64* rng, const std::map<uint64_t, uint64_t>& states,
                       uint64_t steady_seen) {
  FaultFs& fs = FaultFs::Get();
  fs.CrashNow();
  emdb_env_close_ex(env, true);
  std::vector<uint8_t> image = fs.PowerLossImage(*rng);
  fs.Reset();
  FaultFs::WriteImage(dir.file("emdb.dat"), image);
  emdb::os::TEST_SetBootId({(*rng)() | 1, (*rng)()});
  EMDB_env* env2 = nullptr;
  int rc = OpenTestEnv(dir.path(), flags, psize, intptr_t(64) << 20, &env2);
  emdb::os::TEST_SetBootId({0, 0});
  ASSERT_EQ(0, rc) << emdb_strerror(rc);
  uint64_t steady = 0, head = 0, hash = 0;
  SteadyAndHead(env2, &steady, &head);
  ASSERT_EQ(0, HashDatabase(env2, &hash));
  EXPECT_GE(head, steady_seen) << "recovered below a steady point made before the crash";
  auto it = states.find(head);
  ASSERT_TRUE(it != states.end()) << "recovered txnid " << head << " was never committed";
  EXPECT_EQ(it->second, hash) << "recovered content differs from commit " << head;
  ASSERT_EQ(0, AuditDatabase(env2));
  ASSERT_EQ(0, emdb_env_close(env2));
}

uint64_t FileBytes(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}

TEST(BackgroundSteady, PromotesOlderCommits) {
  for (bool writemap : {false, true}) {
    SCOPED_TRACE(writemap ? "writemap" : "pwrite");
    TempDir dir("steady");
    const unsigned flags = EMDB_SAFE_NOSYNC | (writemap ? unsigned(EMDB_WRITEMAP) : 0u);
    EMDB_env* env = nullptr;
    // Growth step 16 pages (64 KiB): a background flush is requested every 32 KiB of commits.
    ASSERT_EQ(0, OpenTestEnv(dir.path(), flags, 4096, intptr_t(64) << 20, &env));
    g_promotions = 0;
    emdb::fp::TEST_SetHook(&CountPromotions);
    Workload w(test_seed_for("steady_promotes"), 4096);
    Model m;
    uint64_t last_steady = 0, peak_file = 0;
    unsigned advanced = 0;
    for (int i = 0; i < 1500; i++) {
      uint64_t steady = 0, head = 0;
      ASSERT_NO_FATAL_FAILURE(CommitNext(env, &w, &m, &steady, &head));
      ASSERT_LE(steady, head);
      if (steady > last_steady) advanced++;
      last_steady = steady;
      peak_file = std::max(peak_file, FileBytes(dir.file("emdb.dat")));
      if (i % 8 == 0) usleep(200);  // the flusher gets its turn even on one core
    }
    emdb::fp::TEST_SetHook(nullptr);
    if (writemap) {
      EXPECT_EQ(0u, g_promotions.load()) << "WRITEMAP keeps synchronous steady points";
    } else {
      EXPECT_GT(g_promotions.load(), 10u) << "no background steady points were promoted";
    }
    EXPECT_GT(advanced, 20u) << "the steady point did not move without emdb_env_sync";
    uint64_t hash = 0;
    ASSERT_EQ(0, HashDatabase(env, &hash));
    EXPECT_EQ(m.Hash(), hash);
    ASSERT_EQ(0, AuditDatabase(env));
    // Pinned pages are released as steady points come: the file does not grow without bound.
    EXPECT_LT(peak_file, uint64_t(16) << 20) << "peak file size " << peak_file;
    ASSERT_EQ(0, emdb_env_close(env));
    env = nullptr;
    ASSERT_EQ(0, OpenTestEnv(dir.path(), flags, 4096, intptr_t(64) << 20, &env));
    ASSERT_EQ(0, HashDatabase(env, &hash));
    EXPECT_EQ(m.Hash(), hash);
    ASSERT_EQ(0, emdb_env_close(env));
  }
}

TEST(BackgroundSteady, PromotedPointSurvivesPowerLoss) {
  const uint64_t seed = test_seed_for("steady_power_loss");
  std::mt19937_64 rng(seed);
  FaultFs& fs = FaultFs::Get();
  fs.Install();
  for (int round = 0; round < 24; round++) {
    const bool writemap = round % 2 == 1;
    SCOPED_TRACE("round " + std::to_string(round) + (writemap ? " writemap" : " pwrite"));
    TempDir dir("steady_pl");
    fs.Reset();
    const unsigned flags = EMDB_SAFE_NOSYNC | (writemap ? unsigned(EMDB_WRITEMAP) : 0u);
    EMDB_env* env = nullptr;
    ASSERT_EQ(0, OpenTestEnv(dir.path(), flags, 4096, intptr_t(64) << 20, &env));
    Workload w(rng(), 4096);
    Model m;
    std::map<uint64_t, uint64_t> states;  // txnid -> content hash after that commit
    uint64_t head0 = 0, steady_seen = 0;
    SteadyAndHead(env, &steady_seen, &head0);
    states[head0] = m.Hash();
    const int txns = 100 + int(rng() % 300);
    for (int i = 0; i < txns; i++) {
      uint64_t steady = 0, head = 0;
      ASSERT_NO_FATAL_FAILURE(CommitNext(env, &w, &m, &steady, &head));
      states[head] = m.Hash();
      // Crash right after a background steady point was promoted (it is older than the head),
      // before anything else is flushed: its snapshot must be on disk by itself.
      const bool promoted_older = steady > steady_seen && steady + 1 < head;
      steady_seen = std::max(steady_seen, steady);
      if (promoted_older && i >= txns / 2) break;
      if (i % 8 == 0) usleep(200);
    }
    ASSERT_NO_FATAL_FAILURE(PowerLossAndCheck(env, dir, flags, 4096, &rng, states, steady_seen));
  }
  fs.Uninstall();
}

TEST(BackgroundSteady, EarlyReuseSurvivesPowerLoss) {
  const uint64_t seed = test_seed_for("early_reuse_power_loss");
  std::mt19937_64 rng(seed);
  FaultFs& fs = FaultFs::Get();
  fs.Install();
  g_early_reuses = 0;
  emdb::fp::TEST_SetHook(&CountPromotions);
  unsigned rounds_with_reuse = 0;
  for (int round = 0; round < 48; round++) {
    const bool writemap = round % 3 == 2;
    const unsigned psize = round % 4 < 2 ? 4096 : 256;
    SCOPED_TRACE("round " + std::to_string(round) + (writemap ? " writemap" : " pwrite") +
                 " page " + std::to_string(psize));
    TempDir dir("early_reuse");
    fs.Reset();
    const unsigned flags = EMDB_SAFE_NOSYNC | (writemap ? unsigned(EMDB_WRITEMAP) : 0u);
    EMDB_env* env = nullptr;
    ASSERT_EQ(0, OpenTestEnv(dir.path(), flags, psize, intptr_t(64) << 20, &env));
    Workload w(rng(), psize);
    Model m;
    std::map<uint64_t, uint64_t> states;  // txnid -> content hash after that commit
    uint64_t head0 = 0, steady_seen = 0;
    SteadyAndHead(env, &steady_seen, &head0);
    states[head0] = m.Hash();
    const unsigned reuses0 = g_early_reuses.load();
    const int txns = 50 + int(rng() % 400);
    // Half the rounds crash right after a background flush was promoted (pwrite mode): pages
    // of that older snapshot that were free to reuse while the flush ran would show there.
    const bool after_promotion = !writemap && rng() % 2 == 0;
    for (int i = 0; i < txns; i++) {
      uint64_t steady = 0, head = 0;
      ASSERT_NO_FATAL_FAILURE(CommitNext(env, &w, &m, &steady, &head));
      states[head] = m.Hash();
      const bool promoted_older = steady > steady_seen && steady + 1 < head;
      steady_seen = std::max(steady_seen, steady);
      if (after_promotion && promoted_older && i >= txns / 3) break;
      // Now and then a steady point by request, so that both old and new pages are pinned.
      if (rng() % 97 == 0) {
        // EMDB_RESULT_TRUE: nothing to flush (the last commit made a steady point itself).
        const int rc = emdb_env_sync_ex(env, true, false);
        ASSERT_TRUE(rc == 0 || rc == EMDB_RESULT_TRUE) << emdb_strerror(rc);
        SteadyAndHead(env, &steady, &head);
        steady_seen = std::max(steady_seen, steady);
      }
      if (i % 16 == 0) usleep(100);
    }
    if (g_early_reuses.load() > reuses0) rounds_with_reuse++;
    ASSERT_NO_FATAL_FAILURE(PowerLossAndCheck(env, dir, flags, psize, &rng, states, steady_seen));
  }
  emdb::fp::TEST_SetHook(nullptr);
  fs.Uninstall();
  EXPECT_GE(rounds_with_reuse, 16u) << "early reuse ran in too few rounds to test it";
}

}  // namespace
}  // namespace emdb_test
