// nosync_reclaim_test.cpp — reproducer for an engine problem found by emdb-bench: in the
// no-sync modes the first engine drop reused no freed page, so the file grew with every commit
// until EMDB_MAP_FULL, where LMDB (and libmdbx) stay at the size of the live data.
//
// Cause (engine/txn/txn.cpp, write txn begin, at that time): gc_limit = min(oldest reader,
// steady txnid) in every mode. With EMDB_SAFE_NOSYNC or EMDB_UTTERLY_NOSYNC every commit wrote
// a weak meta, so the steady txnid never moved after open and nothing freed since was
// reclaimable; nothing made a steady point by itself. libmdbx documents that UTTERLY_NOSYNC
// recycles the previous steady snapshots, and that SAFE_NOSYNC syncs lazily by itself.
// Status: fixed on 2026-11-22 before commit 929eab4 (UTTERLY_NOSYNC reclaims up to the oldest
// reader; SAFE_NOSYNC makes the head steady when it would otherwise grow the file). These tests
// pass with 929eab4 and a74b793 and stay as a regression check.
//
// Workload: 1,000 records of 16-byte keys and 100-byte values (about 40 leaf pages), then
// 5,000 write transactions updating 10 records each, in a 32 MiB geometry. Expected: it fits
// with room to spare (LMDB with MDB_NOSYNC uses 61 pages). Built only on request:
//   cmake --build <build> --target emdb-bench-repro && <build>/bench/emdb-bench-repro
#include <emdb/emdb.h>
#include <gtest/gtest.h>
#include <lmdb.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

constexpr uint64_t kRecords = 1000;
constexpr int kTxns = 5000;
constexpr int kUpdatesPerTxn = 10;
constexpr intptr_t kUpper = intptr_t(32) << 20;

std::string fresh_dir(const char *tag) {
  const char *t = std::getenv("TMPDIR");
  std::string tmpl = std::string((t && *t) ? t : "/tmp") + "/emdb-repro-" + tag + ".XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) return {};
  return buf.data();
}

void make_record(uint64_t i, uint64_t version, uint8_t key[16], uint8_t val[100]) {
  std::memset(key, 0, 16);
  for (int b = 0; b < 8; ++b) key[b] = uint8_t(i >> (56 - 8 * b));
  for (int b = 0; b < 100; ++b) val[b] = uint8_t(i * 31 + version * 7 + uint64_t(b));
}

/// Runs the workload on emdb with `flags`; returns the first error (0 if none) and the number
/// of pages in use at the end.
int run_emdb(EMDB_env_flags_t flags, uint64_t *pages_used, int *failed_txn) {
  const std::string dir = fresh_dir("emdb");
  EMDB_env *env = nullptr;
  int rc = emdb_env_create(&env);
  if (rc) return rc;
  rc = emdb_env_set_geometry(env, -1, intptr_t(1) << 20, kUpper, intptr_t(1) << 20, -1, 4096);
  if (rc == 0) rc = emdb_env_open(env, dir.c_str(), flags, 0644);
  EMDB_dbi dbi = 0;
  uint8_t key[16], val[100];
  uint64_t lcg = 12345;
  *failed_txn = -1;
  for (int t = -1; rc == 0 && t < kTxns; ++t) {
    EMDB_txn *txn = nullptr;
    rc = emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn);
    if (rc) break;
    if (t < 0) rc = emdb_dbi_open(txn, nullptr, EMDB_DB_DEFAULTS, &dbi);
    const int n = t < 0 ? int(kRecords) : kUpdatesPerTxn;
    for (int j = 0; rc == 0 && j < n; ++j) {
      lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
      const uint64_t i = t < 0 ? uint64_t(j) : (lcg >> 33) % kRecords;
      make_record(i, uint64_t(t + 1), key, val);
      EMDB_val k{key, 16}, v{val, 100};
      rc = emdb_put(txn, dbi, &k, &v, EMDB_UPSERT);
    }
    if (rc) {
      emdb_txn_abort(txn);
      *failed_txn = t;
      break;
    }
    rc = emdb_txn_commit(txn);
    if (rc) *failed_txn = t;
  }
  EMDB_envinfo info{};
  if (emdb_env_info_ex(env, nullptr, &info, sizeof info) == 0) *pages_used = info.mi_last_pgno + 1;
  emdb_env_close(env);
  std::filesystem::remove_all(dir);
  return rc;
}

/// The same workload on LMDB with `flags` (the reference behaviour).
int run_lmdb(unsigned flags, uint64_t *pages_used) {
  const std::string dir = fresh_dir("lmdb");
  MDB_env *env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc) return rc;
  rc = mdb_env_set_mapsize(env, size_t(kUpper));
  if (rc == 0) rc = mdb_env_open(env, dir.c_str(), flags, 0644);
  MDB_dbi dbi = 0;
  uint8_t key[16], val[100];
  uint64_t lcg = 12345;
  for (int t = -1; rc == 0 && t < kTxns; ++t) {
    MDB_txn *txn = nullptr;
    rc = mdb_txn_begin(env, nullptr, 0, &txn);
    if (rc) break;
    if (t < 0) rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
    const int n = t < 0 ? int(kRecords) : kUpdatesPerTxn;
    for (int j = 0; rc == 0 && j < n; ++j) {
      lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
      const uint64_t i = t < 0 ? uint64_t(j) : (lcg >> 33) % kRecords;
      make_record(i, uint64_t(t + 1), key, val);
      MDB_val k{16, key}, v{100, val};
      rc = mdb_put(txn, dbi, &k, &v, 0);
    }
    if (rc) {
      mdb_txn_abort(txn);
      break;
    }
    rc = mdb_txn_commit(txn);
  }
  MDB_envinfo info{};
  if (mdb_env_info(env, &info) == 0) *pages_used = info.me_last_pgno + 1;
  mdb_env_close(env);
  std::filesystem::remove_all(dir);
  return rc;
}

// The live data is ~40 leaf pages; allow generous slack for GC records and snapshots.
constexpr uint64_t kPageBudget = 1024;  // 4 MiB

TEST(NosyncReclaim, LmdbReferenceStaysSmall) {
  uint64_t pages = 0;
  ASSERT_EQ(run_lmdb(MDB_NOSYNC, &pages), 0);
  std::printf("LMDB MDB_NOSYNC: %llu pages in use\n", (unsigned long long)pages);
  EXPECT_LT(pages, kPageBudget) << "LMDB MDB_NOSYNC pages in use: " << pages;
}

TEST(NosyncReclaim, EmdbDurableStaysSmall) {
  uint64_t pages = 0;
  int failed = -1;
  const int rc = run_emdb(EMDB_SYNC_DURABLE, &pages, &failed);
  std::printf("emdb EMDB_SYNC_DURABLE: %llu pages in use, rc %d at txn %d\n",
              (unsigned long long)pages, rc, failed);
  ASSERT_EQ(rc, 0) << emdb_strerror(rc) << " in txn " << failed;
  EXPECT_LT(pages, kPageBudget) << "emdb SYNC_DURABLE pages in use: " << pages;
}

TEST(NosyncReclaim, EmdbUtterlyNosyncReusesPages) {
  uint64_t pages = 0;
  int failed = -1;
  const int rc = run_emdb(EMDB_UTTERLY_NOSYNC | EMDB_WRITEMAP, &pages, &failed);
  std::printf("emdb EMDB_UTTERLY_NOSYNC | EMDB_WRITEMAP: %llu pages in use, rc %d at txn %d\n",
              (unsigned long long)pages, rc, failed);
  EXPECT_EQ(rc, 0) << emdb_strerror(rc) << " in txn " << failed << " of " << kTxns;
  EXPECT_LT(pages, kPageBudget) << "emdb UTTERLY_NOSYNC|WRITEMAP pages in use: " << pages;
}

TEST(NosyncReclaim, EmdbSafeNosyncReusesPagesOrSyncsItself) {
  uint64_t pages = 0;
  int failed = -1;
  const int rc = run_emdb(EMDB_SAFE_NOSYNC, &pages, &failed);
  std::printf("emdb EMDB_SAFE_NOSYNC: %llu pages in use, rc %d at txn %d\n",
              (unsigned long long)pages, rc, failed);
  EXPECT_EQ(rc, 0) << emdb_strerror(rc) << " in txn " << failed << " of " << kTxns;
  EXPECT_LT(pages, kPageBudget) << "emdb SAFE_NOSYNC pages in use: " << pages;
}

}  // namespace
