// compact_test.cpp — in-place compaction (engine/txn/compact.hpp): after a mass delete leaves
// live pages spread over the whole file, small commits move them down and the file shrinks to
// about the live size; plain, DUPSORT (sub-trees) and large-value tables, tables not open in the
// committing txns, and a reader whose snapshot must stay intact while its pages are copied.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "space/space_util.hpp"

namespace emdb_test {
namespace {

using namespace space;

class Compact : public EnvTest {
 protected:
  static EnvOptions Options() {
    EnvOptions o;
    o.pagesize = 4096;
    o.size_lower = 256 * KiB;
    o.size_upper = 1024 * MiB;
    o.growth_step = 256 * KiB;
    o.shrink_threshold = 512 * KiB;
    return o;
  }

  // Interleaved rounds into three tables, so that the pages of each are spread over the file:
  // "plain" (100-byte values), "dups" (DUPSORT, 40 keys with 400 duplicates each: sub-trees) and
  // "big" (9,000-byte values: three-page large runs).
  void Fill() {
    plain_ = table("plain");
    dups_ = table("dups", EMDB_DUPSORT);
    big_ = table("big");
    for (uint64_t round = 0; round < 40; round++) {
      Txn t = write_txn();
      for (uint64_t i = 0; i < 500; i++) {
        const uint64_t n = round * 500 + i;
        ASSERT_OK(put(t.get(), plain_, key_n(n), value_n(n, 100)));
      }
      for (uint64_t d = 0; d < 400; d++) {
        ASSERT_OK(put(t.get(), dups_, key_n(round), value_n(round * 1000 + d, 16)));
      }
      for (uint64_t i = 0; i < 10; i++) {
        const uint64_t n = round * 10 + i;
        ASSERT_OK(put(t.get(), big_, key_n(n), value_n(n, 9000)));
      }
      ASSERT_OK(t.commit());
    }
  }

  // Deletes nine records in ten of each table (all duplicates of nine keys in ten).
  void DeleteMost() {
    Txn t = write_txn();
    for (uint64_t n = 0; n < 20000; n++) {
      if (n % 10 != 0) {
        ASSERT_OK(del(t.get(), plain_, key_n(n)));
      }
    }
    for (uint64_t r = 0; r < 40; r++) {
      if (r % 10 != 0) {
        ASSERT_OK(del(t.get(), dups_, key_n(r)));
      }
    }
    for (uint64_t n = 0; n < 400; n++) {
      if (n % 10 != 0) {
        ASSERT_OK(del(t.get(), big_, key_n(n)));
      }
    }
    ASSERT_OK(t.commit());
  }

  // Every record that must remain is there with its value, and nothing else.
  void Verify(EMDB_txn* txn) {
    std::string v;
    for (uint64_t n = 0; n < 20000; n++) {
      const int rc = get(txn, plain_, key_n(n), &v);
      if (n % 10 == 0) {
        ASSERT_OK(rc) << key_n(n);
        ASSERT_EQ(value_n(n, 100), v);
      } else {
        ASSERT_EQ(EMDB_NOTFOUND, rc) << key_n(n);
      }
    }
    for (uint64_t n = 0; n < 400; n += 10) {
      ASSERT_OK(get(txn, big_, key_n(n), &v));
      ASSERT_EQ(value_n(n, 9000), v);
    }
    Pairs dups;
    ASSERT_OK(collect(txn, dups_, &dups));
    std::multimap<std::string, std::string> want;
    for (uint64_t r = 0; r < 40; r += 10) {
      for (uint64_t d = 0; d < 400; d++) want.emplace(key_n(r), value_n(r * 1000 + d, 16));
    }
    ASSERT_EQ(want.size(), dups.size());
    std::vector<std::pair<std::string, std::string>> sorted(want.begin(), want.end());
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < dups.size(); i++) ASSERT_EQ(sorted[i], dups[i]) << i;
  }

  // The pages the trees use, in bytes (from the tables' statistics and the GC's).
  long long LiveBytes() {
    Txn t = read_txn();
    uint64_t pages = 3;
    for (EMDB_dbi dbi : {EMDB_dbi(1), plain_, dups_, big_}) {
      EMDB_stat st{};
      EXPECT_OK(emdb_dbi_stat(t.get(), dbi, &st, sizeof st));
      pages += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    }
    EMDB_gc_info gi{};
    EXPECT_OK(emdb_gc_info(t.get(), &gi, sizeof gi));
    return (long long)(pages + gi.gi_tree_pages) * 4096;
  }

  // Small commits touching only "plain" (the other tables are not open in them).
  void SmallCommits(int n) {
    for (int i = 0; i < n; i++) {
      Txn t = write_txn();
      ASSERT_OK(put(t.get(), plain_, key_n(900000 + uint64_t(i)), value_n(uint64_t(i), 100)));
      ASSERT_OK(t.commit());
    }
  }

  EMDB_dbi plain_ = 0, dups_ = 0, big_ = 0;
};

TEST_F(Compact, ScatteredLivePagesMoveDownAndTheFileShrinksToTheLiveSize) {
  open(Options());
  ASSERT_NO_FATAL_FAILURE(Fill());
  const long long full = data_size(db_path());
  ASSERT_NO_FATAL_FAILURE(DeleteMost());
  const long long after_delete = data_size(db_path());
  // Reopen: the next commits load "dups" and "big" from the main tree only when compaction
  // walks them (their records are rewritten there, not through open handles).
  reopen(Options());
  {
    Txn t = read_txn();
    ASSERT_OK(emdb_dbi_open(t.get(), "plain", EMDB_DB_DEFAULTS, &plain_));
    ASSERT_OK(emdb_dbi_open(t.get(), "dups", EMDB_DUPSORT, &dups_));
    ASSERT_OK(emdb_dbi_open(t.get(), "big", EMDB_DB_DEFAULTS, &big_));
  }
  ASSERT_NO_FATAL_FAILURE(SmallCommits(8));
  const int sync_rc = emdb_env_sync_ex(env(), true, false);  // TRUE: nothing was unsynced
  ASSERT_TRUE(sync_rc == EMDB_SUCCESS || sync_rc == EMDB_RESULT_TRUE) << rc_name(sync_rc);
  const long long after = data_size(db_path());
  const long long live = LiveBytes();
  std::fprintf(stderr, "compact: %lld bytes full, %lld after the delete, %lld after, live %lld\n",
               full, after_delete, after, live);
  EXPECT_LT(after, after_delete / 4);
  // The end of the file: the live pages plus the slack compaction keeps (live / 64 + 64 pages),
  // rounded up to a growth step.
  EXPECT_LE(after, live + live / 64 + 64 * 4096 + 256 * KiB);
  EXPECT_EQ(uint64_t(after), env_info(env()).mi_geo.current);
  {
    Txn t = read_txn();
    ASSERT_NO_FATAL_FAILURE(Verify(t.get()));
  }
  EXPECT_OK(audit(env()));
}

TEST_F(Compact, AReaderKeepsItsSnapshotWhileItsPagesAreCopied) {
  open(Options());
  ASSERT_NO_FATAL_FAILURE(Fill());
  ASSERT_NO_FATAL_FAILURE(DeleteMost());
  const long long after_delete = data_size(db_path());
  Txn reader = read_txn();
  // Compaction moves the pages the reader's snapshot uses (their old copies stay for it), and
  // the file cannot shrink below what the snapshot reaches.
  ASSERT_NO_FATAL_FAILURE(SmallCommits(8));
  ASSERT_NO_FATAL_FAILURE(Verify(reader.get()));
  EXPECT_OK(audit(env()));
  ASSERT_OK(reader.abort());
  ASSERT_NO_FATAL_FAILURE(SmallCommits(8));
  const int sync_rc = emdb_env_sync_ex(env(), true, false);  // TRUE: nothing was unsynced
  ASSERT_TRUE(sync_rc == EMDB_SUCCESS || sync_rc == EMDB_RESULT_TRUE) << rc_name(sync_rc);
  const long long after = data_size(db_path());
  EXPECT_LT(after, after_delete / 4);
  {
    Txn t = read_txn();
    ASSERT_NO_FATAL_FAILURE(Verify(t.get()));
  }
  EXPECT_OK(audit(env()));
}

TEST_F(Compact, NothingMovesUnderOrdinaryChurn) {
  open(Options());
  ASSERT_NO_FATAL_FAILURE(Fill());
  // Updates in place: the free pool stays small, so no commit compacts or coalesces; the GC
  // keeps its newest-first order (the records' txnids stay recent).
  const long long before = data_size(db_path());
  for (int i = 0; i < 50; i++) {
    Txn t = write_txn();
    for (uint64_t n = 0; n < 20; n++) {
      const uint64_t k = (uint64_t(i) * 389 + n * 997) % 20000;
      ASSERT_OK(put(t.get(), plain_, key_n(k), value_n(k, 100)));
    }
    ASSERT_OK(t.commit());
  }
  EXPECT_LE(data_size(db_path()), before + 256 * KiB);
  EXPECT_OK(audit(env()));
}

}  // namespace
}  // namespace emdb_test
