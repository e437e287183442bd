// gc_cost_test.cpp — allocation and commit cost do not grow with the size of the GC: free
// 10,000,000 pages, then run 1,000 small commits; the slowest must stay within 10x the median,
// counted in thread CPU time (CLOCK_THREAD_CPUTIME_ID), not wall time.
//
// Writing 10 million pages (40 GB at 4 KiB) is not possible in a unit test, so the freed pages
// are made white-box: one write txn extends the (sparse) file by N pages and retires them, as if
// it had deleted N pages of data. The GC then holds N page numbers in ~N/250 records exactly as
// after a real mass delete; the file is never read there. EMDB_GC_COST_PAGES scales it (the
// sanitizer build uses 1,000,000).
#include <algorithm>

#include "core/internal.hpp"
#include "space/space_util.hpp"
#include "txn/pages.hpp"

namespace emdb_test {
namespace {

using namespace space;

class GcCost : public EnvTest {};

TEST_F(GcCost, SmallCommitsDoNotSlowDownWithAHugeGc) {
#if defined(__SANITIZE_ADDRESS__)
  const uint64_t kDefaultPages = 1000000;
#else
  const uint64_t kDefaultPages = 10000000;
#endif
  const uint64_t pages = env_u64("EMDB_GC_COST_PAGES", kDefaultPages);
  const uint64_t commits = env_u64("EMDB_GC_COST_COMMITS", 1000);
  EnvOptions o;
  o.pagesize = 4096;
  o.size_upper = intptr_t((pages + 1000000) * 4096);
  o.growth_step = 64 * MiB;
  o.flags = EMDB_UTTERLY_NOSYNC;  // measure the GC work, not the disk
  open(o);
  const EMDB_dbi dbi = table("t");
  ASSERT_OK(put_range(env(), dbi, 0, 1000, 100));
  {
    Txn t = write_txn();
    emdb::Txn* x = reinterpret_cast<emdb::Txn*>(t.get());
    const uint64_t first = x->next_pgno;
    ASSERT_EQ(0, emdb::pages::EnsureFileSize(x, first + pages));
    x->next_pgno = first + pages;
    x->retired.reserve(pages);
    for (uint64_t i = 0; i < pages; i++) x->retired.push_back(first + i);
    ASSERT_OK(put(t.get(), dbi, "freed", "1"));
    const uint64_t c0 = thread_cpu_ns();
    ASSERT_OK(t.commit());
    std::fprintf(stderr, "gc-cost: freeing %llu pages committed in %.1f ms CPU\n",
                 (unsigned long long)pages, double(thread_cpu_ns() - c0) / 1e6);
  }
  EMDB_gc_info gi = gc_info(env());
  EXPECT_GE(gi.gi_pages, pages);
  EXPECT_GE(gi.gi_records, pages / 600);
  // A real dependence on the GC's size fails every attempt; a burst of machine noise (other
  // processes evicting caches, page-fault storms) fails one. So up to three attempts of 1,000
  // commits are measured, and the property must hold in one of them.
  bool held = false;
  uint64_t seq = 0;
  for (int attempt = 0; attempt < 3 && !held; attempt++) {
    std::vector<uint64_t> ns;
    for (uint64_t i = 0; i < commits + 20; i++, seq++) {
      const uint64_t c0 = thread_cpu_ns();
      ASSERT_OK(put_range(env(), dbi, (seq * 7919) % 1000, 1, 100, seq));
      if (i >= 20) ns.push_back(thread_cpu_ns() - c0);  // the first 20 warm the caches
    }
    std::vector<uint64_t> sorted = ns;
    std::sort(sorted.begin(), sorted.end());
    const uint64_t median = sorted[sorted.size() / 2];
    const uint64_t p999 = sorted[std::min(sorted.size() - 1, sorted.size() * 999 / 1000)];
    const uint64_t slowest = sorted.back();
    std::fprintf(stderr,
                 "gc-cost: attempt %d: %zu small commits over a GC of %llu pages: median %.1f us, "
                 "p99.9 %.1f us, max %.1f us CPU (max/median %.2f)\n",
                 attempt + 1, ns.size(), (unsigned long long)gi.gi_pages, median / 1e3, p999 / 1e3,
                 slowest / 1e3, double(slowest) / double(median));
    ASSERT_GT(median, 0u);
    // The ratio is the property (independent of GC size); a 50 us floor keeps a near-zero
    // median from turning a single page fault into a failure. Sanitizer builds only report
    // it: their allocator (quarantine, shadow memory) adds outliers that are not the engine's.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    held = slowest <= std::max<uint64_t>(10 * median, median + 50000);
#else
    held = true;
#endif
  }
  EXPECT_TRUE(held) << "a small commit's CPU time grew with the GC (max > 10x median in three "
                       "attempts)";
  EXPECT_OK(audit(env()));
}

}  // namespace
}  // namespace emdb_test
