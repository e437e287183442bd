// thread_test.cpp — many threads on one environment. No fork(): this binary also runs under
// ThreadSanitizer (ctest label `tsan`, built by the test command's tsan step).
//
//   NoStickyReadTxnMovesBetweenThreads  EMDB_NOSTICKYTHREADS: a read txn begun in one thread is
//                         used in a second and ended in a third; write txns stay bound.
//   AccountsInvariantThreads  a writer thread and 4 reader threads (the total is constant in
//                         every snapshot, txnids never go back).
//   ReadersFullAndThreadExit  a full table gives EMDB_READERS_FULL; a thread's exit frees its
//                         slot.
//   WriterExclusionAcrossThreads  EMDB_TXN_TRY gets EMDB_BUSY while another thread writes.
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "mp/mp_util.hpp"
#include "support/fixture.hpp"

namespace {

using namespace emdb_test;
using namespace emdb_mp;

class MpThreads : public EnvTest {};

TEST_F(MpThreads, NoStickyReadTxnMovesBetweenThreads) {
  EnvOptions o;
  o.flags = EMDB_NOSTICKYTHREADS;
  open(o);
  ASSERT_OK(create_accounts(env()));
  EMDB_txn* r = nullptr;
  std::thread([&] { ASSERT_OK(emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &r)); }).join();
  ASSERT_NE(nullptr, r);
  const uint64_t snap = emdb_txn_id(r);
  // A commit in between: the moved txn keeps its snapshot.
  {
    std::mt19937_64 rng(1);
    int rc;
    do rc = random_transfer(env(), rng);
    while (rc == 0 && [&] {
      Txn x = read_txn();
      return emdb_txn_id(x) == snap;
    }());
    ASSERT_OK(rc);
  }
  std::thread([&] {
    uint64_t sum = 0;
    int count = 0;
    ASSERT_OK(sum_accounts(r, &sum, &count));
    EXPECT_EQ(kTotal, sum);
    EXPECT_EQ(snap, emdb_txn_id(r));
    ASSERT_OK(emdb_txn_reset(r));
  }).join();
  std::thread([&] {
    ASSERT_OK(emdb_txn_renew(r));
    EXPECT_GT(emdb_txn_id(r), snap);
    ASSERT_OK(emdb_txn_abort(r));
  }).join();
  // One thread may hold several read txns.
  Txn a = read_txn(), b = read_txn();
  EXPECT_EQ(emdb_txn_id(a), emdb_txn_id(b));
  // Write txns are not moved: the writer lock belongs to the thread that took it.
  EMDB_txn* w = nullptr;
  ASSERT_OK(emdb_txn_begin(env(), nullptr, EMDB_TXN_READWRITE, &w));
  std::thread([&] {
    EXPECT_RC(EMDB_THREAD_MISMATCH, put(w, 1, "x", "y"));
    EXPECT_RC(EMDB_THREAD_MISMATCH, emdb_txn_commit(w));
  }).join();
  ASSERT_OK(emdb_txn_commit(w));
}

class MpThreadModes : public MpThreads, public ::testing::WithParamInterface<unsigned> {};

TEST_P(MpThreadModes, AccountsInvariantThreads) {
  EnvOptions o;
  o.flags = GetParam();
  // Lazy modes: a small growth step, so that background steady points (txn/steady.hpp) are
  // requested and promoted many times while the readers run.
  if (o.flags & EMDB_SAFE_NOSYNC) o.growth_step = 64 << 10;
  open(o);
  ASSERT_OK(create_accounts(env()));
  const long txns = long(env_u64("EMDB_MP_THREAD_TXNS", 400));
  const uint64_t seed = test_seed_for("MpThreads.AccountsInvariantThreads");
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&, i] {
      uint64_t last = 0;
      long n = 0;
      bool more = true;
      std::mt19937_64 rng(seed + uint64_t(i));
      while (more) {
        more = !done.load();
        EMDB_txn* t = nullptr;
        int rc = emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &t);
        uint64_t sum = 0;
        int count = 0;
        if (rc == 0) rc = sum_accounts(t, &sum, &count);
        uint64_t id = t ? emdb_txn_id(t) : 0;
        if (t) emdb_txn_abort(t);
        std::string why;
        if (rc != 0) {
          why = rc_name(rc);
        } else if (sum != kTotal || count != kAccounts) {
          why = "total " + std::to_string(sum) + " in snapshot " + std::to_string(id);
        } else if (id < last) {
          why = "txnid went back";
        }
        if (!why.empty()) {
          std::lock_guard<std::mutex> g(mu);
          if (first_error.empty()) first_error = why;
          ++errors;
          return;
        }
        last = id;
        ++n;
        if (rng() % 16 == 0) emdb_thread_unregister(env());  // and claim a slot again
      }
    });
  }
  std::mt19937_64 rng(seed);
  for (long i = 0; i < txns && errors.load() == 0; ++i) ASSERT_OK(random_transfer(env(), rng));
  done = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(0, errors.load()) << first_error;
}

INSTANTIATE_TEST_SUITE_P(Modes, MpThreadModes,
                         ::testing::Values(unsigned(EMDB_ENV_DEFAULTS),
                                           unsigned(EMDB_WRITEMAP | EMDB_SAFE_NOSYNC),
                                           unsigned(EMDB_SAFE_NOSYNC),
                                           unsigned(EMDB_NOSTICKYTHREADS)),
                         [](const ::testing::TestParamInfo<unsigned>& i) {
                           return i.param == 0                      ? std::string("Durable")
                                  : i.param == EMDB_NOSTICKYTHREADS ? std::string("NoSticky")
                                  : i.param == EMDB_SAFE_NOSYNC     ? std::string("Lazy")
                                                                    : std::string("WritemapNosync");
                         });

// The reader-table calls from many threads at once, while readers come and go and a writer
// commits.
TEST_F(MpThreads, ReaderTableCallsFromManyThreads) {
  open();
  ASSERT_OK(create_accounts(env()));
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> th;
  for (int i = 0; i < 3; ++i) {
    th.emplace_back([&, i] {
      std::mt19937_64 rng{uint64_t(i)};
      while (!done.load()) {
        Txn r;
        if (r.begin(env(), EMDB_TXN_RDONLY) != 0) ++errors;
        uint64_t sum = 0;
        int count = 0;
        if (sum_accounts(r, &sum, &count) != 0 || sum != kTotal) ++errors;
        r.abort();
        // 0 or EMDB_RESULT_TRUE (had none / had one already); never an error.
        auto bad = [](int rc) { return rc != 0 && rc != EMDB_RESULT_TRUE; };
        if (rng() % 4 == 0 && bad(emdb_thread_unregister(env()))) ++errors;
        if (rng() % 4 == 0 && bad(emdb_thread_register(env()))) ++errors;
      }
    });
  }
  th.emplace_back([&] {
    while (!done.load()) {
      int n = 0;
      int rc = emdb_reader_list(
          env(),
          [](void* ctx, int, int, emdb_pid_t, emdb_tid_t, uint64_t, uint64_t, size_t,
             size_t) noexcept -> int {
            ++*static_cast<int*>(ctx);
            return 0;
          },
          &n);
      if (rc != 0 && rc != EMDB_RESULT_TRUE) ++errors;
      int dead = -1;
      if (emdb_reader_check(env(), &dead) != 0 || dead != 0) ++errors;
      EMDB_envinfo info;
      if (emdb_env_info_ex(env(), nullptr, &info, sizeof(info)) != 0) ++errors;
    }
  });
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) ASSERT_OK(random_transfer(env(), rng));
  done = true;
  for (auto& t : th) t.join();
  EXPECT_EQ(0, errors.load());
}

TEST_F(MpThreads, ReadersFullAndThreadExit) {
  EnvOptions o;
  o.maxreaders = 3;
  open(o);
  ASSERT_OK(create_accounts(env()));
  std::mutex m;
  std::condition_variable cv;
  int holding = 0;
  bool release = false;
  std::vector<std::thread> holders;
  for (int i = 0; i < 3; ++i) {
    holders.emplace_back([&] {
      Txn r;
      int rc = r.begin(env(), EMDB_TXN_RDONLY);
      std::unique_lock<std::mutex> g(m);
      holding += rc == 0 ? 1 : 100;
      cv.notify_all();
      cv.wait(g, [&] { return release; });
    });
  }
  {
    std::unique_lock<std::mutex> g(m);
    cv.wait(g, [&] { return holding >= 3; });
    ASSERT_EQ(3, holding);
  }
  EMDB_txn* t = nullptr;
  EXPECT_RC(EMDB_READERS_FULL, emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &t));
  EXPECT_RC(EMDB_READERS_FULL, emdb_thread_register(env()));
  {
    std::lock_guard<std::mutex> g(m);
    release = true;
    cv.notify_all();
  }
  for (auto& th : holders) th.join();  // thread exit releases the slots
  Txn r = read_txn();
  EXPECT_NE(nullptr, r.get());
}

TEST_F(MpThreads, WriterExclusionAcrossThreads) {
  open();
  ASSERT_OK(create_accounts(env()));
  std::promise<void> started, finish;
  std::shared_future<void> finish_f = finish.get_future().share();
  std::thread holder([&] {
    Txn w;
    ASSERT_OK(w.begin(env()));
    ASSERT_OK(put(w, 1, "holder", "1"));
    started.set_value();
    finish_f.wait();
    ASSERT_OK(w.commit());
  });
  started.get_future().wait();
  EMDB_txn* t = nullptr;
  EXPECT_RC(EMDB_BUSY, emdb_txn_begin(env(), nullptr, EMDB_TXN_TRY, &t));
  {
    Txn r = read_txn();  // readers never wait
    std::string v;
    EXPECT_RC(EMDB_NOTFOUND, get(r, 1, "holder", &v));
  }
  finish.set_value();
  holder.join();
  Txn w = write_txn();
  std::string v;
  EXPECT_OK(get(w, 1, "holder", &v));
}

}  // namespace
