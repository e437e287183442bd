// shrink_test.cpp — a mass delete shrinks the file to within lower + shrink_threshold +
// growth_step; a long reader blocks reuse (the file grows), and once it ends the GC is reused
// newest-first (LIFO) and the file shrinks back; options that steer reclaiming.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "space/space_util.hpp"

namespace emdb_test {
namespace {

using namespace space;

class Shrink : public EnvTest {};

// 4 KiB pages, lower 1 MiB, upper 1 GiB, a 1 MiB growth step and a 2 MiB shrink threshold.
EnvOptions OneMiBSteps() {
  EnvOptions o;
  o.pagesize = 4096;
  o.size_lower = 1 * MiB;
  o.size_upper = 1024 * MiB;
  o.growth_step = 1 * MiB;
  o.shrink_threshold = 2 * MiB;
  return o;
}

TEST_F(Shrink, MassDeleteShrinksTheFile) {
  const EnvOptions o = OneMiBSteps();
  open(o);
  const EMDB_dbi dbi = table("t");
  for (uint64_t i = 0; i < 8; i++) ASSERT_OK(put_range(env(), dbi, i * 2500, 2500, 1000));
  const long long full = data_size(db_path());
  ASSERT_GE(full, 20 * MiB);
  {
    Txn t = write_txn();
    for (uint64_t i = 0; i < 20000; i++) ASSERT_OK(del(t.get(), dbi, key_n(i)));
    ASSERT_OK(t.commit());
  }
  // A few small commits: the freed pages become reclaimable (no reader, the delete is steady)
  // and the GC's own pages move down, so the free tail is refunded and cut.
  long long after = 0;
  for (int i = 0; i < 60; i++) {
    ASSERT_OK(put_range(env(), dbi, 100000 + i, 1, 100));
    after = data_size(db_path());
  }
  std::fprintf(stderr, "shrink: %lld bytes full, %lld after the mass delete\n", full, after);
  EXPECT_LE(after, 1 * MiB + 2 * MiB + 1 * MiB);
  EXPECT_EQ(uint64_t(after), env_info(env()).mi_geo.current);
  EXPECT_OK(audit(env()));
}

// The free tail is what counts (S4): with a 1 MiB step and a 2 MiB threshold, a 10 MiB file
// with between 7 and 8 MiB in use has a free tail above 2 MiB and is cut to 8 MiB, although
// the cut gains exactly the threshold (the rule until session 10 compared that gain, and kept
// the file at 10 MiB).
TEST_F(Shrink, AFreeTailAboveTheThresholdIsCutEvenWhenTheRoundedGainIsNot) {
  EnvOptions o;
  o.pagesize = 4096;
  o.size_lower = 1 * MiB;
  o.size_upper = 64 * MiB;
  o.growth_step = 1 * MiB;
  o.shrink_threshold = 2 * MiB;
  open(o);
  const EMDB_dbi dbi = table("t");
  auto used = [&] { return (long long)(env_info(env()).mi_last_pgno + 1) * 4096; };
  for (uint64_t i = 0; used() < 7 * MiB + 256 * KiB; i++) {
    ASSERT_OK(put_range(env(), dbi, i * 100, 100, 1000));
    ASSERT_LT(i, 1000u);
  }
  ASSERT_LT(used(), 7 * MiB + 768 * KiB);
  // A `now` asked for stays for the commit that applies it.
  ASSERT_OK(emdb_env_set_geometry(env(), -1, 10 * MiB, -1, -1, -1, -1));
  ASSERT_EQ(data_size(db_path()), 10 * MiB);
  // The next commit (one small value: the GC and the tree may take a few pages) cuts.
  ASSERT_OK(put_range(env(), dbi, 1000000, 1, 100));
  ASSERT_LT(used(), 8 * MiB);
  EXPECT_EQ(data_size(db_path()), 8 * MiB);
  EXPECT_EQ(uint64_t(data_size(db_path())), env_info(env()).mi_geo.current);
  EXPECT_OK(audit(env()));
}

// S6: the last commit deleted nine records in ten, spread over the whole file; its freed pages
// are reusable only from the next commit on, so the file stays at its full size while open.
// Close (with a sync) compacts the live pages down and cuts the tail; close without a sync
// (emdb_env_close_ex(env, true)) leaves the file as it was. The data survives either way.
TEST_F(Shrink, CloseCompactsAndCutsWhatTheLastCommitFreed) {
  const EnvOptions o = OneMiBSteps();
  for (const bool dont_sync : {true, false}) {
    SCOPED_TRACE(dont_sync ? "close without a sync" : "close");
    open(o);
    const EMDB_dbi dbi = table("t");
    for (uint64_t i = 0; i < 8; i++) ASSERT_OK(put_range(env(), dbi, i * 2500, 2500, 1000));
    {
      Txn t = write_txn();
      for (uint64_t i = 0; i < 20000; i++) {
        if (i % 10 != 0) {
          ASSERT_OK(del(t.get(), dbi, key_n(i)));
        }
      }
      ASSERT_OK(t.commit());
    }
    const long long before = data_size(db_path());
    ASSERT_GE(before, 20 * MiB);
    ASSERT_OK(emdb_env_close_ex(env_.release(), dont_sync));
    const long long after = data_size(db_path());
    std::fprintf(stderr, "close%s: %lld bytes before, %lld after\n",
                 dont_sync ? " without a sync" : "", before, after);
    if (dont_sync) {
      EXPECT_EQ(after, before);
    } else {
      EXPECT_LE(after, before / 3);
    }
    open(o);
    const EMDB_dbi d2 = table("t");
    {
      Txn t = read_txn();
      EMDB_stat st;
      ASSERT_OK(emdb_dbi_stat(t.get(), d2, &st, sizeof(st)));
      EXPECT_EQ(st.ms_entries, 2000u);
      std::string v;
      for (uint64_t i = 0; i < 20000; i += 10) ASSERT_OK(get(t.get(), d2, key_n(i), &v));
      if (!dont_sync) {
        // The leaves keep one value in three (a leaf a third full is not merged): about 2,000
        // pages stay in use. Close moved them to the front of the file (compaction leaves
        // room for 1/64 more and 64 pages) and cut the rest but less than the threshold and a
        // step.
        const uint64_t tree = st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
        const uint64_t used = env_info(env()).mi_last_pgno + 1;
        std::fprintf(stderr, "close: tree %llu pages, %llu pages used\n", (unsigned long long)tree,
                     (unsigned long long)used);
        EXPECT_LE(used, tree + tree / 64 + 64 + 16);
        EXPECT_LE(after, (long long)used * 4096 + 2 * MiB + 1 * MiB);
      }
    }
    EXPECT_OK(audit(env()));
    ASSERT_OK(env_.close());
    std::filesystem::remove_all(db_path());  // the next round starts from an empty database
  }
}

// S6: a close with nothing to compact commits nothing (no new txnid, the same file).
TEST_F(Shrink, CloseOfACompactFileCommitsNothing) {
  const EnvOptions o = OneMiBSteps();
  open(o);
  const EMDB_dbi dbi = table("t");
  for (uint64_t i = 0; i < 4; i++) ASSERT_OK(put_range(env(), dbi, i * 2500, 2500, 1000));
  {
    // A few hundred pages freed: far less than a quarter of the file.
    Txn t = write_txn();
    for (uint64_t i = 0; i < 1000; i++) ASSERT_OK(del(t.get(), dbi, key_n(i)));
    ASSERT_OK(t.commit());
  }
  const uint64_t txnid = env_info(env()).mi_recent_txnid;
  const long long before = data_size(db_path());
  reopen(o);
  EXPECT_EQ(env_info(env()).mi_recent_txnid, txnid);
  EXPECT_EQ(data_size(db_path()), before);
  EXPECT_OK(audit(env()));
}

TEST_F(Shrink, LongReaderBlocksReuseThenSpaceIsReusedNewestFirstAndTheFileShrinksBack) {
  EnvOptions o;
  o.pagesize = 4096;
  o.size_lower = 256 * KiB;
  o.size_upper = 1024 * MiB;
  o.growth_step = 256 * KiB;
  o.shrink_threshold = 512 * KiB;
  open(o);
  const EMDB_dbi dbi = table("t");
  constexpr uint64_t kKeys = 2000;
  ASSERT_OK(put_range(env(), dbi, 0, kKeys, 1000));
  // Settle: rewrite a few times so the file holds the data plus its working GC.
  for (uint64_t r = 1; r <= 4; r++) ASSERT_OK(put_range(env(), dbi, 0, kKeys, 1000, r));
  const long long settled = data_size(db_path());

  std::atomic<int> phase{0};
  uint64_t reader_txnid = 0;
  std::thread reader([&] {
    EMDB_txn* t = nullptr;
    ASSERT_OK(emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &t));
    reader_txnid = emdb_txn_id(t);
    phase = 1;
    while (phase.load() != 2) std::this_thread::yield();
    std::string v;
    EXPECT_OK(get(t, dbi, key_n(7), &v));
    EXPECT_EQ(value_n(7 + 4 * 1000003, 1000), v);  // its snapshot, not a newer value
    emdb_txn_abort(t);
    phase = 3;
  });
  while (phase.load() != 1) std::this_thread::yield();
  for (uint64_t r = 5; r <= 14; r++) ASSERT_OK(put_range(env(), dbi, 0, kKeys, 1000, r));
  const long long grown = data_size(db_path());
  EMDB_gc_info gi = gc_info(env());
  EXPECT_EQ(reader_txnid, gi.gi_oldest_reader_txnid);
  EXPECT_GT(gi.gi_retained_pages, 0u);
  EXPECT_GT(grown, settled + 4 * MiB) << "the reader pins every page freed since its snapshot";
  phase = 2;
  while (phase.load() != 3) std::this_thread::yield();
  reader.join();

  // Newest first: the next commit takes the newest record's first chunk for its pages; the
  // oldest records stay. (Coalescing, which also takes the oldest chunks while the file can
  // shrink, is switched off for this one commit by a zero shrink threshold.)
  ASSERT_OK(emdb_env_set_geometry(env(), -1, -1, -1, -1, 0, -1));
  std::vector<uint64_t> before = gc_record_keys(env());
  ASSERT_FALSE(before.empty());
  const uint64_t newest = before.back() >> 32, oldest = before.front() >> 32;
  ASSERT_LT(oldest, newest);
  ASSERT_OK(put_range(env(), dbi, 0, 1, 1000, 99));
  std::vector<uint64_t> after = gc_record_keys(env());
  EXPECT_EQ(0, std::count(after.begin(), after.end(), newest << 32))
      << "the newest record's first chunk is reclaimed first";
  for (uint64_t k : before) {
    if ((k >> 32) == oldest) {
      EXPECT_EQ(1, std::count(after.begin(), after.end(), k)) << "the oldest record stays";
    }
  }
  ASSERT_OK(emdb_env_set_geometry(env(), -1, -1, -1, -1, 512 * KiB, -1));
  EXPECT_LE(data_size(db_path()), grown) << "no growth while reclaimable pages exist";

  // Rewriting keeps reusing and the file shrinks back.
  long long last = 0;
  for (uint64_t r = 15; r <= 45; r++) {
    ASSERT_OK(put_range(env(), dbi, 0, kKeys, 1000, r));
    last = data_size(db_path());
  }
  std::fprintf(stderr, "shrink: settled %lld, grown %lld, final %lld bytes\n", settled, grown,
               last);
  EXPECT_LT(last, grown);
  EXPECT_LE(last, settled + 512 * KiB + 256 * KiB);
  EXPECT_OK(audit(env()));
}

// Another process keeps the database open and reads while this one shrinks the file and grows
// it again: it keeps its reserved mapping and sees every size without an error.
TEST_F(Shrink, AnotherProcessSeesTheFileShrinkAndGrow) {
  EnvOptions o;
  o.pagesize = 4096;
  o.size_lower = 1 * MiB;
  o.size_upper = 512 * MiB;
  o.growth_step = 1 * MiB;
  o.shrink_threshold = 2 * MiB;
  int to[2], from[2];
  ASSERT_EQ(0, pipe(to));
  ASSERT_EQ(0, pipe(from));
  pid_t pid = fork();  // before this process opens the database
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(to[1]);
    close(from[0]);
    EMDB_env* e = nullptr;
    char c;
    if (read(to[0], &c, 1) != 1) _exit(2);
    if (open_env(&e, db_path(), o) != 0) _exit(3);
    while (read(to[0], &c, 1) == 1 && c == 'r') {
      // Count the entries with a cursor over the whole table (touches every page).
      int64_t n = 0;
      EMDB_txn* t = nullptr;
      int rc = emdb_txn_begin(e, nullptr, EMDB_TXN_RDONLY, &t);
      EMDB_dbi dbi = 0;
      if (rc == 0) rc = emdb_dbi_open(t, "t", EMDB_DB_DEFAULTS, &dbi);
      Pairs all;
      if (rc == 0) rc = collect(t, dbi, &all);
      if (t) emdb_txn_abort(t);
      n = rc == 0 ? int64_t(all.size()) : -int64_t(1000000 - rc);
      if (write(from[1], &n, sizeof n) != sizeof n) _exit(4);
    }
    emdb_env_close(e);
    _exit(0);
  }
  close(to[0]);
  close(from[1]);
  auto child_count = [&]() -> int64_t {
    int64_t n = -1;
    EXPECT_EQ(1, write(to[1], "r", 1));
    EXPECT_EQ(ssize_t(sizeof n), read(from[0], &n, sizeof n));
    return n;
  };
  open(o);
  const EMDB_dbi dbi = table("t");
  ASSERT_EQ(1, write(to[1], "o", 1));
  for (uint64_t i = 0; i < 4; i++) ASSERT_OK(put_range(env(), dbi, i * 2500, 2500, 1000));
  EXPECT_EQ(10000, child_count());
  const long long full = data_size(db_path());
  {
    Txn t = write_txn();
    for (uint64_t i = 0; i < 10000; i++) ASSERT_OK(del(t.get(), dbi, key_n(i)));
    ASSERT_OK(t.commit());
  }
  for (int i = 0; i < 60; i++) ASSERT_OK(put_range(env(), dbi, 100000 + i, 1, 100));
  const long long shrunk = data_size(db_path());
  EXPECT_LT(shrunk, full / 2);
  EXPECT_EQ(60, child_count());
  for (uint64_t i = 0; i < 4; i++) ASSERT_OK(put_range(env(), dbi, i * 2500, 2500, 1000, 5));
  EXPECT_GT(data_size(db_path()), shrunk);
  EXPECT_EQ(10060, child_count());
  close(to[1]);
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(from[0]);
  EXPECT_OK(audit(env()));
}

TEST_F(Shrink, ReclaimOptions) {
  EnvOptions o;
  o.pagesize = 4096;
  o.size_upper = 256 * MiB;
  open(o);
  uint64_t v = 0;
  ASSERT_OK(emdb_env_get_option(env(), EMDB_opt_rp_augment_limit, &v));
  EXPECT_GT(v, 0u);
  ASSERT_OK(emdb_env_set_option(env(), EMDB_opt_loose_limit, 0));
  ASSERT_OK(emdb_env_set_option(env(), EMDB_opt_rp_augment_limit, 0));
  unsigned flags = 0;
  ASSERT_OK(emdb_env_get_flags(env(), &flags));
  EXPECT_TRUE(flags & EMDB_LIFORECLAIM) << "LIFO reclaim is on by default";
  const EMDB_dbi dbi = table("t");
  // With rp_augment_limit 0 the allocator gathers no GC records in search of a run for a large
  // value: it takes the run at the end of the file. Freed runs are still reused (coalesced).
  ASSERT_OK(put_range(env(), dbi, 0, 200, 20000));
  ASSERT_OK(put_range(env(), dbi, 0, 200, 30000, 1));
  ASSERT_OK(put_range(env(), dbi, 0, 200, 20000, 2));
  ASSERT_OK(emdb_env_set_option(env(), EMDB_opt_rp_augment_limit, 1 << 20));
  ASSERT_OK(put_range(env(), dbi, 0, 200, 30000, 3));
  {
    Txn t = read_txn();
    std::string v;
    ASSERT_OK(get(t.get(), dbi, key_n(17), &v));
    EXPECT_EQ(value_n(17 + 3 * 1000003, 30000), v);
  }
  EXPECT_OK(audit(env()));
}

}  // namespace
}  // namespace emdb_test
