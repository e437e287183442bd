// recovery_test.cpp — recovery at open and the recovery API, scenario by scenario: the rollback
// of weak commits after a system restart (boot id), EMDB_WANNA_RECOVERY for a read-only open,
// autosync by bytes and by time, emdb_env_sync_ex/sync_poll, per-transaction sync flags,
// emdb_env_open_for_recovery / turn_for_recovery, emdb_preopen_snapinfo, torn metas, and the
// crash safety of creating a database.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "durability/fault_fs.hpp"
#include "format/layout.hpp"
#include "os/bootid.hpp"
#include "support/kv.hpp"
#include "support/temp_dir.hpp"

namespace emdb_test {
namespace {

int Open(const std::string& dir, unsigned flags, EMDB_env** out, intptr_t psize = 4096,
         uint64_t sync_bytes = 0, uint64_t sync_period = 0) {
  EMDB_env* env = nullptr;
  int rc = emdb_env_create(&env);
  if (rc) return rc;
  // Room to spare, so SAFE_NOSYNC never makes a steady point of its own before growing.
  rc = emdb_env_set_geometry(env, -1, intptr_t(8) << 20, intptr_t(64) << 20, -1, -1, psize);
  if (rc == 0 && sync_bytes) rc = emdb_env_set_option(env, EMDB_opt_sync_bytes, sync_bytes);
  if (rc == 0 && sync_period) rc = emdb_env_set_option(env, EMDB_opt_sync_period, sync_period);
  if (rc == 0) rc = emdb_env_open(env, dir.c_str(), EMDB_env_flags_t(flags), 0644);
  if (rc != 0) {
    emdb_env_close_ex(env, true);
    return rc;
  }
  *out = env;
  return 0;
}

int Put(EMDB_env* env, const std::string& k, const std::string& v, unsigned txn_flags = 0) {
  EMDB_txn* txn = nullptr;
  int rc = emdb_txn_begin(env, nullptr, EMDB_txn_flags_t(txn_flags), &txn);
  if (rc) return rc;
  EMDB_dbi dbi = 0;
  rc = emdb_dbi_open(txn, nullptr, EMDB_DB_DEFAULTS, &dbi);
  EMDB_val kv = V(k), vv = V(v);
  if (rc == 0) rc = emdb_put(txn, dbi, &kv, &vv, EMDB_UPSERT);
  if (rc != 0) {
    emdb_txn_abort(txn);
    return rc;
  }
  return emdb_txn_commit(txn);
}

std::string Get(EMDB_env* env, const std::string& k) {
  EMDB_txn* txn = nullptr;
  if (emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &txn) != 0) return "<begin failed>";
  EMDB_dbi dbi = 0;
  std::string out = "<none>";
  EMDB_val kv = V(k), vv;
  if (emdb_dbi_open(txn, nullptr, EMDB_DB_DEFAULTS, &dbi) == 0 &&
      emdb_get(txn, dbi, &kv, &vv) == 0) {
    out = S(vv);
  }
  emdb_txn_abort(txn);
  return out;
}

EMDB_envinfo Info(EMDB_env* env) {
  EMDB_envinfo info;
  EXPECT_EQ(emdb_env_info_ex(env, nullptr, &info, sizeof(info)), 0);
  return info;
}

// Index of the meta slot holding txnid `t` (-1 if none).
int SlotOf(const EMDB_envinfo& info, uint64_t t) {
  for (int i = 0; i < 3; i++) {
    if (info.mi_meta_txnid[i] == t) return i;
  }
  return -1;
}

bool HeadIsWeak(const EMDB_envinfo& info) {
  int s = SlotOf(info, info.mi_recent_txnid);
  return s >= 0 && info.mi_meta_sign[s] == emdb::format::kSignWeak;
}

struct BootGuard {
  ~BootGuard() { emdb::os::TEST_SetBootId({0, 0}); }
};

TEST(Recovery, WeakCommitsSurviveAProcessCrash) {
  TempDir dir("rec");
  EMDB_env* env = nullptr;
  ASSERT_EQ(Open(dir.path(), EMDB_SAFE_NOSYNC, &env), 0);
  ASSERT_EQ(Put(env, "k", "steady"), 0);
  ASSERT_EQ(emdb_env_sync(env), 0);
  ASSERT_EQ(Put(env, "k", "weak1"), 0);
  ASSERT_EQ(Put(env, "k", "weak2"), 0);
  EXPECT_TRUE(HeadIsWeak(Info(env)));
  ASSERT_EQ(emdb_env_close_ex(env, true), 0);  // as if the process died: nothing flushed
  ASSERT_EQ(Open(dir.path(), EMDB_SAFE_NOSYNC, &env), 0);
  EXPECT_EQ(Get(env, "k"), "weak2") << "same boot: the weak head is trusted";
  ASSERT_EQ(emdb_env_close_ex(env, true), 0);
}

TEST(Recovery, WeakCommitsRollBackAfterARestart) {
  BootGuard guard;
  TempDir dir("rec");
  EMDB_env* env = nullptr;
  ASSERT_EQ(Open(dir.path(), EMDB_SAFE_NOSYNC, &env), 0);
  ASSERT_EQ(Put(env, "k", "steady"), 0);
  ASSERT_EQ(emdb_env_sync(env), 0);
  const uint64_t steady_txnid = Info(env).mi_recent_txnid;
  ASSERT_EQ(Put(env, "k", "weak1"), 0);
  ASSERT_EQ(Put(env, "k", "weak2"), 0);
  ASSERT_EQ(emdb_env_close_ex(env, true), 0);

  emdb::os::TEST_SetBootId({0x1234, 0x5678});  // the system restarted
  // A read-only open cannot roll back.
  EXPECT_EQ(Open(dir.path(), EMDB_RDONLY, &env), EMDB_WANNA_RECOVERY);
  // A read-write open does: the untrusted weak metas become empty slots.
  ASSERT_EQ(Open(dir.path(), EMDB_SAFE_NOSYNC, &env), 0);
  EXPECT_EQ(Get(env, "k"), "steady");
  EMDB_envinfo info = Info(env);
  EXPECT_EQ(info.mi_recent_txnid, steady_txnid);
  EXPECT_EQ(info.mi_bootid.current.x, 0x1234u);
  for (int i = 0; i < 3; i++) EXPECT_LE(info.mi_meta_txnid[i], steady_txnid);
  // Work goes on from the steady point; the read-only open now works.
  ASSERT_EQ(Put(env, "k", "after"), 0);
  ASSERT_EQ(emdb_env_close(env), 0);
  ASSERT_EQ(Open(dir.path(), EMDB_RDONLY, &env), 0);
  EXPECT_EQ(Get(env, "k"), "after");
  ASSERT_EQ(emdb_env_close(env), 0);
}

TEST(Recovery, SyncBytesTurnsWeakCommitsSteady) {
  TempDir dir("rec");
  EMDB_env* env = nullptr;
  ASSERT_EQ(Open(dir.path(), EMDB_SAFE_NOSYNC, &env, 4096, 64 * 1024), 0);
  EXPECT_EQ(Info(env).mi_autosync_threshold, 64u * 1024);
  bool became_steady = false;
  for (int i = 0; i < 64 && !became_steady; i++) {
    ASSERT_EQ(Put(env, "k" + std::to_string(i), std::string(6000, 'x')), 0);
    EMDB_envinfo info = Info(env);
    if (info.mi_unsync_volume == 0) {
      became_steady = true;
      EXPECT_FALSE(HeadIsWeak(info));
      EXPECT_GE(i, 2) << "64 KiB are not reached by so few commits";
    } else {
      EXPECT_TRUE(HeadIsWeak(info));
      EXPECT_LT(info.mi_unsync_volume, 64u * 1024 + 4 * 6000 + 4096 * 4);
    }
  }
  EXPECT_TRUE(became_steady);
  ASSERT_EQ(emdb_env_close(env), 0);
}

TEST(Recovery, SyncPeriodAndPoll) {
  TempDir dir("rec");
  EMDB_env* env = nullptr;
  // 1/20 s in 16.16 fixed point.
  ASSERT_EQ(Open(dir.path(), EMDB_SAFE_NOSYNC, &env, 4096, 0, 65536 / 20), 0);
  ASSERT_EQ(emdb_env_sync(env), EMDB_RESULT_TRUE) << "nothing to flush yet";
  ASSERT_EQ(Put(env, "a", "1"), 0);
  EXPECT_TRUE(HeadIsWeak(Info(env)));
  EXPECT_EQ(emdb_env_sync_poll(env), EMDB_RESULT_TRUE) << "not due yet";
  EXPECT_TRUE(HeadIsWeak(Info(env)));
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_EQ(emdb_env_sync_poll(env), EMDB_SUCCESS) << "the period has passed";
  EXPECT_FALSE(HeadIsWeak(Info(env)));
  EXPECT_EQ(Info(env).mi_unsync_volume, 0u);
  EXPECT_EQ(emdb_env_sync_poll(env), EMDB_RESULT_TRUE);
  // A commit after the period is made steady at commit.
  ASSERT_EQ(Put(env, "b", "2"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  ASSERT_EQ(Put(env, "c", "3"), 0);
  EXPECT_FALSE(HeadIsWeak(Info(env)));
  ASSERT_EQ(emdb_env_close(env), 0);
}

TEST(Recovery, SyncExForceAndNonForce) {
  TempDir dir("rec");
  EMDB_env* env = nullptr;
  ASSERT_EQ(Open(dir.path(), EMDB_SAFE_NOSYNC, &env), 0);
  ASSERT_EQ(Put(env, "a", "1"), 0);
  EXPECT_EQ(emdb_env_sync_ex(env, false, false), EMDB_RESULT_TRUE) << "no threshold: not due";
  EXPECT_TRUE(HeadIsWeak(Info(env)));
  EXPECT_EQ(emdb_env_sync_ex(env, true, true), EMDB_SUCCESS);
  EXPECT_FALSE(HeadIsWeak(Info(env)));
  EXPECT_EQ(emdb_env_sync_ex(env, true, false), EMDB_RESULT_TRUE) << "already steady";
  // From inside the writer's own thread a sync would deadlock: EMDB_BUSY.
  EMDB_txn* txn = nullptr;
  ASSERT_EQ(emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn), 0);
  EXPECT_EQ(emdb_env_sync(env), EMDB_BUSY);
  emdb_txn_abort(txn);
  ASSERT_EQ(emdb_env_close(env), 0);
}

TEST(Recovery, PerTransactionSyncFlags) {
  TempDir dir("rec");
  EMDB_env* env = nullptr;
  ASSERT_EQ(Open(dir.path(), EMDB_SYNC_DURABLE, &env), 0);
  ASSERT_EQ(Put(env, "a", "1"), 0);
  EXPECT_FALSE(HeadIsWeak(Info(env)));
  EXPECT_EQ(Info(env).mi_unsync_volume, 0u);
  ASSERT_EQ(Put(env, "a", "2", EMDB_TXN_NOSYNC), 0);
  EXPECT_TRUE(HeadIsWeak(Info(env))) << "EMDB_TXN_NOSYNC makes a weak commit";
  ASSERT_EQ(Put(env, "a", "3"), 0);
  EXPECT_FALSE(HeadIsWeak(Info(env)));
  ASSERT_EQ(Put(env, "a", "4", EMDB_TXN_NOMETASYNC), 0);
  EMDB_envinfo info = Info(env);
  EXPECT_FALSE(HeadIsWeak(info)) << "NOMETASYNC commits are signed";
  EXPECT_GT(info.mi_unsync_volume, 0u) << "but their meta is not flushed";
  ASSERT_EQ(emdb_env_sync(env), EMDB_SUCCESS);
  EXPECT_EQ(Info(env).mi_unsync_volume, 0u);
  ASSERT_EQ(emdb_env_close(env), 0);
}

TEST(Recovery, OpenForRecoveryAndTurn) {
  TempDir dir("rec");
  EMDB_env* env = nullptr;
  ASSERT_EQ(Open(dir.path(), EMDB_SYNC_DURABLE, &env), 0);
  ASSERT_EQ(Put(env, "k", "one"), 0);
  ASSERT_EQ(Put(env, "k", "two"), 0);
  const uint64_t t_two = Info(env).mi_recent_txnid;
  ASSERT_EQ(Put(env, "k", "three"), 0);
  EMDB_envinfo info = Info(env);
  const int slot_two = SlotOf(info, t_two);
  ASSERT_GE(slot_two, 0);
  ASSERT_EQ(emdb_env_close(env), 0);

  // preopen_snapinfo reads the metas without opening.
  EMDB_envinfo snap;
  ASSERT_EQ(emdb_preopen_snapinfo(dir.path().c_str(), &snap, sizeof(snap)), 0);
  EXPECT_EQ(snap.mi_recent_txnid, info.mi_recent_txnid);
  EXPECT_EQ(snap.mi_meta_txnid[slot_two], t_two);
  EXPECT_EQ(snap.mi_dxb_pagesize, 4096u);
  EXPECT_EQ(snap.mi_geo.upper, uint64_t(64) << 20);
  EXPECT_EQ(emdb_preopen_snapinfo(dir.file("missing").c_str(), &snap, sizeof(snap)), ENOENT);
  EXPECT_EQ(emdb_preopen_snapinfo(dir.path().c_str(), &snap, 8), EMDB_EINVAL);

  // Read-only on the older meta.
  ASSERT_EQ(emdb_env_create(&env), 0);
  EXPECT_EQ(emdb_env_open_for_recovery(env, dir.path().c_str(), 3, false), EMDB_EINVAL);
  ASSERT_EQ(emdb_env_open_for_recovery(env, dir.path().c_str(), unsigned(slot_two), false), 0);
  EXPECT_EQ(Get(env, "k"), "two");
  EMDB_txn* txn = nullptr;
  EXPECT_NE(emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn), 0);
  ASSERT_EQ(emdb_env_close(env), 0);
  EXPECT_EQ(Open(dir.path(), 0, &env), 0);
  EXPECT_EQ(Get(env, "k"), "three") << "opening for recovery changed nothing";
  ASSERT_EQ(emdb_env_close(env), 0);

  // Writeable: turn the database back to "two".
  ASSERT_EQ(emdb_env_create(&env), 0);
  ASSERT_EQ(emdb_env_open_for_recovery(env, dir.path().c_str(), unsigned(slot_two), true), 0);
  ASSERT_EQ(emdb_env_turn_for_recovery(env, unsigned(slot_two)), 0);
  EXPECT_EQ(Get(env, "k"), "two");
  ASSERT_EQ(emdb_env_close(env), 0);
  ASSERT_EQ(Open(dir.path(), 0, &env), 0);
  EXPECT_EQ(Get(env, "k"), "two");
  info = Info(env);
  EXPECT_EQ(info.mi_recent_txnid, t_two);
  EXPECT_FALSE(HeadIsWeak(info));
  ASSERT_EQ(Put(env, "k", "four"), 0);
  EXPECT_EQ(Get(env, "k"), "four");
  ASSERT_EQ(emdb_env_close(env), 0);
}

TEST(Recovery, TornMetaIsIgnored) {
  TempDir dir("rec");
  EMDB_env* env = nullptr;
  ASSERT_EQ(Open(dir.path(), EMDB_SYNC_DURABLE, &env), 0);
  ASSERT_EQ(Put(env, "k", "old"), 0);
  ASSERT_EQ(Put(env, "k", "new"), 0);
  EMDB_envinfo info = Info(env);
  const int head = SlotOf(info, info.mi_recent_txnid);
  ASSERT_EQ(emdb_env_close(env), 0);
  // Tear the head meta: its second txnid copy no longer matches the first.
  int fd = ::open(dir.file("emdb.dat").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  const off_t off =
      off_t(head) * 4096 + off_t(emdb::format::kPageHeaderSize) + off_t(emdb::format::kMetaTxnidB);
  uint64_t garbage = 0xdeadbeef;
  ASSERT_EQ(::pwrite(fd, &garbage, sizeof(garbage), off), ssize_t(sizeof(garbage)));
  ::close(fd);
  ASSERT_EQ(Open(dir.path(), 0, &env), 0);
  EXPECT_EQ(Get(env, "k"), "old");
  ASSERT_EQ(Put(env, "k", "newer"), 0);
  EXPECT_EQ(Get(env, "k"), "newer");
  ASSERT_EQ(emdb_env_close(env), 0);
}

TEST(Recovery, InterruptedCreationIsCreatedAgain) {
  TempDir dir("rec");
  // Only the size change reached the disk: all zeros.
  FaultFs::WriteImage(dir.file("emdb.dat"), std::vector<uint8_t>(64 * 1024, 0));
  EMDB_env* env = nullptr;
  ASSERT_EQ(Open(dir.path(), 0, &env), 0);
  ASSERT_EQ(Put(env, "k", "v"), 0);
  ASSERT_EQ(emdb_env_close(env), 0);

  // The empty slots 1 and 2 reached the disk, slot 0 (txnid 1) did not.
  TempDir dir2("rec");
  ASSERT_EQ(Open(dir2.path(), 0, &env), 0);
  ASSERT_EQ(emdb_env_close(env), 0);
  {
    int fd = ::open(dir2.file("emdb.dat").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    std::vector<uint8_t> zero(4096, 0);
    ASSERT_EQ(::pwrite(fd, zero.data(), zero.size(), 0), 4096);
    ::close(fd);
  }
  ASSERT_EQ(Open(dir2.path(), 0, &env), 0);
  ASSERT_EQ(Put(env, "k", "v"), 0);
  EXPECT_EQ(Get(env, "k"), "v");
  ASSERT_EQ(emdb_env_close(env), 0);

  // No valid meta, but data after the metas: a damaged database, never "created again".
  TempDir dir3("rec");
  ASSERT_EQ(Open(dir3.path(), 0, &env), 0);
  ASSERT_EQ(Put(env, "k", std::string(10000, 'v')), 0);
  ASSERT_EQ(emdb_env_close(env), 0);
  {
    int fd = ::open(dir3.file("emdb.dat").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    std::vector<uint8_t> page(4096);
    for (int i = 0; i < 3; i++) {
      ASSERT_EQ(::pread(fd, page.data(), page.size(), off_t(i) * 4096), 4096);
      // Zero both txnid copies: every slot then reads as never committed.
      std::memset(page.data() + emdb::format::kPageHeaderSize, 0, 8);
      std::memset(page.data() + emdb::format::kPageHeaderSize + emdb::format::kMetaTxnidB, 0, 8);
      ASSERT_EQ(::pwrite(fd, page.data(), page.size(), off_t(i) * 4096), 4096);
    }
    ::close(fd);
  }
  EXPECT_EQ(Open(dir3.path(), 0, &env), EMDB_CORRUPTED);
}

}  // namespace
}  // namespace emdb_test
