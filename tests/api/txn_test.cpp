// txn_test.cpp — transactions: read/write, ids, nesting, reset/renew, snapshots, TXN_TRY.
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "support/fixture.hpp"

namespace emdb_test {
namespace {

class TxnApi : public EnvTest {
 protected:
  void SetUp() override {
    EnvTest::SetUp();
    EnvOptions o;
    o.flags = flags_;
    open(o);
    main_ = table(nullptr);
  }
  unsigned flags_ = EMDB_ENV_DEFAULTS;
  EMDB_dbi main_ = 0;
};

// Same, but transactions are not bound to threads: one thread may hold a read snapshot while it
// writes.
class TxnNoSticky : public TxnApi {
 protected:
  void SetUp() override {
    flags_ = EMDB_NOSTICKYTHREADS;
    TxnApi::SetUp();
  }
};

TEST_F(TxnApi, WriteThenRead) {
  Txn w = write_txn();
  ASSERT_OK(put(w, main_, "a", "1"));
  std::string v;
  ASSERT_OK(get(w, main_, "a", &v));  // a txn sees its own writes
  EXPECT_EQ("1", v);
  ASSERT_OK(w.commit());
  Txn r = read_txn();
  ASSERT_OK(get(r, main_, "a", &v));
  EXPECT_EQ("1", v);
  EXPECT_OK(r.commit());  // committing a read txn just ends it
}

TEST_F(TxnApi, AbortDiscards) {
  {
    Txn w = write_txn();
    ASSERT_OK(put(w, main_, "keep", "1"));
    ASSERT_OK(w.commit());
  }
  Txn w = write_txn();
  ASSERT_OK(put(w, main_, "gone", "2"));
  ASSERT_OK(del(w, main_, "keep"));
  ASSERT_OK(w.abort());
  Txn r = read_txn();
  std::string v;
  EXPECT_RC(EMDB_NOTFOUND, get(r, main_, "gone", &v));
  EXPECT_OK(get(r, main_, "keep", &v));
}

TEST_F(TxnApi, TxnIdsIncrease) {
  Txn r0 = read_txn();
  const uint64_t base = emdb_txn_id(r0);
  EXPECT_GT(base, 0u);
  r0.abort();
  for (uint64_t i = 1; i <= 5; ++i) {
    Txn w = write_txn();
    EXPECT_EQ(base + i, emdb_txn_id(w));
    ASSERT_OK(put(w, main_, key_n(i), "v"));
    ASSERT_OK(w.commit());
    Txn r = read_txn();
    EXPECT_EQ(base + i, emdb_txn_id(r));
  }
  // An aborted write txn does not consume an id.
  {
    Txn w = write_txn();
    EXPECT_EQ(base + 6, emdb_txn_id(w));
    ASSERT_OK(put(w, main_, "x", "v"));
  }
  Txn w = write_txn();
  EXPECT_EQ(base + 6, emdb_txn_id(w));
}

TEST_F(TxnApi, TxnFlagsAndEnv) {
  Txn r = read_txn();
  const int rf = emdb_txn_flags(r);
  EXPECT_NE(0, rf & EMDB_TXN_RDONLY);
  EXPECT_EQ(0, rf & EMDB_TXN_FINISHED);
  EXPECT_EQ(env(), emdb_txn_env(r));
  r.abort();
  Txn w = write_txn();
  const int wf = emdb_txn_flags(w);
  EXPECT_EQ(0, wf & EMDB_TXN_RDONLY);
  EXPECT_EQ(0, wf & (EMDB_TXN_FINISHED | EMDB_TXN_ERROR | EMDB_TXN_HAS_CHILD));
  EXPECT_EQ(env(), emdb_txn_env(w));
  ASSERT_OK(put(w, main_, "k", "v"));
  EXPECT_NE(0, emdb_txn_flags(w) & EMDB_TXN_DIRTY);
}

TEST_F(TxnApi, UserContext) {
  int a = 0, b = 0;
  EMDB_txn* t = nullptr;
  ASSERT_OK(emdb_txn_begin_ex(env(), nullptr, EMDB_TXN_RDONLY, &t, &a));
  Txn owner(t);
  EXPECT_EQ(&a, emdb_txn_get_userctx(t));
  ASSERT_OK(emdb_txn_set_userctx(t, &b));
  EXPECT_EQ(&b, emdb_txn_get_userctx(t));
}

TEST_F(TxnApi, CommitExReportsSuccess) {
  Txn w = write_txn();
  ASSERT_OK(put(w, main_, "k", "v"));
  EMDB_commit_latency lat;
  std::memset(&lat, 0xff, sizeof lat);
  ASSERT_OK(emdb_txn_commit_ex(w.release(), &lat));
  // Every part is a real duration (the 0xff filler is gone) and nests in the whole.
  EXPECT_LE(lat.preparation, lat.whole);
  EXPECT_LE(lat.write, lat.whole);
  EXPECT_LE(lat.sync, lat.whole);
  EXPECT_LE(lat.ending, lat.whole);
  EXPECT_LE(lat.gc_wallclock, lat.preparation);
  EXPECT_LE(lat.audit, lat.preparation);
  EXPECT_LT(lat.gc_cputime, 65536u * 10) << "the GC save of one put took under ten seconds";
  EXPECT_LT(lat.whole, 65536u * 60);
  Txn r = read_txn();
  std::string v;
  EXPECT_OK(get(r, main_, "k", &v));
}

TEST_F(TxnApi, NestedCommitPublishesToParent) {
  Txn parent = write_txn();
  ASSERT_OK(put(parent, main_, "a", "parent"));
  Txn child;
  ASSERT_OK(child.begin(env(), EMDB_TXN_READWRITE, parent));
  EXPECT_NE(0, emdb_txn_flags(parent) & EMDB_TXN_HAS_CHILD);
  std::string v;
  // A parent may not be used while it has a child.
  EXPECT_RC(EMDB_BAD_TXN, get(parent, main_, "a", &v));
  EXPECT_RC(EMDB_BAD_TXN, put(parent, main_, "p", "x"));
  // The child sees the parent's changes and makes its own.
  ASSERT_OK(get(child, main_, "a", &v));
  EXPECT_EQ("parent", v);
  ASSERT_OK(put(child, main_, "b", "child"));
  ASSERT_OK(put(child, main_, "a", "changed"));
  EXPECT_GE(emdb_txn_id(child), emdb_txn_id(parent));
  ASSERT_OK(child.commit());
  EXPECT_EQ(0, emdb_txn_flags(parent) & EMDB_TXN_HAS_CHILD);
  ASSERT_OK(get(parent, main_, "b", &v));
  EXPECT_EQ("child", v);
  ASSERT_OK(get(parent, main_, "a", &v));
  EXPECT_EQ("changed", v);
  ASSERT_OK(parent.commit());
  Txn r = read_txn();
  ASSERT_OK(get(r, main_, "b", &v));
  EXPECT_EQ("child", v);
}

TEST_F(TxnApi, NestedAbortRestoresParent) {
  {
    Txn w = write_txn();
    for (int i = 0; i < 500; ++i) ASSERT_OK(put(w, main_, key_n(i), value_n(i, 50)));
    ASSERT_OK(w.commit());
  }
  Txn parent = write_txn();
  ASSERT_OK(put(parent, main_, "p", "1"));
  Pairs before;
  ASSERT_OK(collect(parent, main_, &before));
  {
    Txn child;
    ASSERT_OK(child.begin(env(), EMDB_TXN_READWRITE, parent));
    for (int i = 0; i < 500; i += 2) ASSERT_OK(del(child, main_, key_n(i)));
    for (int i = 500; i < 1500; ++i) ASSERT_OK(put(child, main_, key_n(i), value_n(i, 80)));
    ASSERT_OK(del(child, main_, "p"));
    ASSERT_OK(child.abort());
  }
  Pairs after;
  ASSERT_OK(collect(parent, main_, &after));
  EXPECT_EQ(before, after);
  std::string v;
  ASSERT_OK(get(parent, main_, "p", &v));
  ASSERT_OK(parent.commit());
  Txn r = read_txn();
  Pairs committed;
  ASSERT_OK(collect(r, main_, &committed));
  EXPECT_EQ(before, committed);
}

TEST_F(TxnApi, NestedThreeLevels) {
  Txn t1 = write_txn();
  ASSERT_OK(put(t1, main_, "l1", "1"));
  Txn t2;
  ASSERT_OK(t2.begin(env(), EMDB_TXN_READWRITE, t1));
  ASSERT_OK(put(t2, main_, "l2", "2"));
  Txn t3;
  ASSERT_OK(t3.begin(env(), EMDB_TXN_READWRITE, t2));
  ASSERT_OK(put(t3, main_, "l3", "3"));
  ASSERT_OK(t3.commit());  // l3 now in t2
  std::string v;
  ASSERT_OK(get(t2, main_, "l3", &v));
  ASSERT_OK(t2.abort());  // drops l2 and l3
  EXPECT_RC(EMDB_NOTFOUND, get(t1, main_, "l2", &v));
  EXPECT_RC(EMDB_NOTFOUND, get(t1, main_, "l3", &v));
  ASSERT_OK(get(t1, main_, "l1", &v));
  // A new child after the abort works.
  Txn t2b;
  ASSERT_OK(t2b.begin(env(), EMDB_TXN_READWRITE, t1));
  ASSERT_OK(put(t2b, main_, "l2b", "x"));
  ASSERT_OK(t2b.commit());
  ASSERT_OK(t1.commit());
  Txn r = read_txn();
  EXPECT_OK(get(r, main_, "l1", &v));
  EXPECT_OK(get(r, main_, "l2b", &v));
  EXPECT_RC(EMDB_NOTFOUND, get(r, main_, "l2", &v));
}

TEST_F(TxnApi, NestedChildCreatesTable) {
  Txn parent = write_txn();
  Txn child;
  ASSERT_OK(child.begin(env(), EMDB_TXN_READWRITE, parent));
  EMDB_dbi t;
  ASSERT_OK(emdb_dbi_open(child, "made_in_child", EMDB_CREATE, &t));
  ASSERT_OK(put(child, t, "k", "v"));
  ASSERT_OK(child.commit());
  std::string v;
  ASSERT_OK(get(parent, t, "k", &v));
  ASSERT_OK(parent.commit());
  Txn r = read_txn();
  EMDB_dbi t2;
  ASSERT_OK(emdb_dbi_open(r, "made_in_child", EMDB_DB_DEFAULTS, &t2));
  ASSERT_OK(get(r, t2, "k", &v));
  EXPECT_EQ("v", v);
}

TEST_F(TxnApi, ResetAndRenew) {
  {
    Txn w = write_txn();
    ASSERT_OK(put(w, main_, "a", "1"));
    ASSERT_OK(w.commit());
  }
  Txn r = read_txn();
  const uint64_t id1 = emdb_txn_id(r);
  ASSERT_OK(emdb_txn_reset(r));
  EXPECT_NE(0, emdb_txn_flags(r) & EMDB_TXN_FINISHED);
  std::string v;
  EXPECT_RC(EMDB_BAD_TXN, get(r, main_, "a", &v));
  {
    Txn w = write_txn();
    ASSERT_OK(put(w, main_, "b", "2"));
    ASSERT_OK(w.commit());
  }
  ASSERT_OK(emdb_txn_renew(r));
  EXPECT_EQ(0, emdb_txn_flags(r) & EMDB_TXN_FINISHED);
  EXPECT_EQ(id1 + 1, emdb_txn_id(r));
  ASSERT_OK(get(r, main_, "b", &v));
  EXPECT_EQ("2", v);
  // Reset twice, renew twice.
  ASSERT_OK(emdb_txn_reset(r));
  ASSERT_OK(emdb_txn_renew(r));
  ASSERT_OK(get(r, main_, "a", &v));
}

TEST_F(TxnApi, PrepareThenRenew) {
  {
    Txn w = write_txn();
    ASSERT_OK(put(w, main_, "a", "1"));
    ASSERT_OK(w.commit());
  }
  Txn r;
  ASSERT_OK(r.begin(env(), EMDB_TXN_RDONLY_PREPARE));
  ASSERT_OK(emdb_txn_renew(r));
  std::string v;
  ASSERT_OK(get(r, main_, "a", &v));
  EXPECT_EQ("1", v);
}

TEST_F(TxnApi, TxnInfoReadLag) {
  Txn r = read_txn();
  EMDB_txn_info info;
  ASSERT_OK(emdb_txn_info(r, &info, false));
  EXPECT_EQ(emdb_txn_id(r), info.txn_id);
  EXPECT_EQ(0u, info.txn_reader_lag);
  EXPECT_GT(info.txn_space_used, 0u);
  EXPECT_GE(info.txn_space_limit_hard, info.txn_space_limit_soft);
  std::thread writer([&] {
    for (int i = 0; i < 2; ++i) {
      EMDB_txn* w = nullptr;
      ASSERT_EQ(EMDB_SUCCESS, emdb_txn_begin(env(), nullptr, EMDB_TXN_READWRITE, &w));
      ASSERT_EQ(EMDB_SUCCESS, put(w, main_, key_n(i), "v"));
      ASSERT_EQ(EMDB_SUCCESS, emdb_txn_commit(w));
    }
  });
  writer.join();
  ASSERT_OK(emdb_txn_info(r, &info, true));
  EXPECT_EQ(2u, info.txn_reader_lag);
  r.abort();

  Txn w = write_txn();
  for (int i = 0; i < 100; ++i) ASSERT_OK(put(w, main_, key_n(i), value_n(i, 100)));
  ASSERT_OK(emdb_txn_info(w, &info, false));
  EXPECT_EQ(emdb_txn_id(w), info.txn_id);
  EXPECT_GT(info.txn_space_dirty, 0u);
}

TEST_F(TxnNoSticky, ReadSnapshotStaysStableWhileWriterCommits) {
  {
    Txn w = write_txn();
    for (int i = 0; i < 3000; ++i) ASSERT_OK(put(w, main_, key_n(i), value_n(i, 64)));
    ASSERT_OK(w.commit());
  }
  Txn r = read_txn();
  Pairs snapshot;
  ASSERT_OK(collect(r, main_, &snapshot));
  ASSERT_EQ(3000u, snapshot.size());
  for (int round = 0; round < 5; ++round) {
    Txn w = write_txn();
    for (int i = round; i < 3000; i += 5) ASSERT_OK(del(w, main_, key_n(i)));
    for (int i = 0; i < 1000; ++i)
      ASSERT_OK(put(w, main_, key_n(10000 + round * 1000 + i), value_n(i, 300)));
    for (int i = round + 1; i < 3000; i += 5) ASSERT_OK(put(w, main_, key_n(i), "changed"));
    ASSERT_OK(w.commit());
    Pairs now;
    ASSERT_OK(collect(r, main_, &now));
    ASSERT_EQ(snapshot, now) << "round " << round;
    std::string v;
    ASSERT_OK(get(r, main_, key_n(round), &v));
    EXPECT_EQ(value_n(round, 64), v);
  }
  // A new reader sees the new state.
  Txn r2 = read_txn();
  Pairs latest;
  ASSERT_OK(collect(r2, main_, &latest));
  EXPECT_NE(snapshot, latest);
  EXPECT_EQ(emdb_txn_id(r) + 5, emdb_txn_id(r2));
}

TEST_F(TxnApi, ReadSnapshotInOtherThreadStaysStable) {
  {
    Txn w = write_txn();
    for (int i = 0; i < 1000; ++i) ASSERT_OK(put(w, main_, key_n(i), value_n(i, 32)));
    ASSERT_OK(w.commit());
  }
  std::mutex m;
  std::condition_variable cv;
  int stage = 0;  // 1: reader has its snapshot; 2: writer committed
  Pairs before, after;
  int reader_rc = -1;
  std::thread reader([&] {
    EMDB_txn* r = nullptr;
    reader_rc = emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &r);
    if (reader_rc != EMDB_SUCCESS) {
      std::lock_guard<std::mutex> g(m);
      stage = 1;
      cv.notify_all();
      return;
    }
    collect(r, main_, &before);
    {
      std::unique_lock<std::mutex> g(m);
      stage = 1;
      cv.notify_all();
      cv.wait(g, [&] { return stage == 2; });
    }
    reader_rc = collect(r, main_, &after);
    emdb_txn_abort(r);
  });
  {
    std::unique_lock<std::mutex> g(m);
    cv.wait(g, [&] { return stage == 1; });
  }
  {
    Txn w = write_txn();
    for (int i = 0; i < 1000; i += 2) ASSERT_OK(del(w, main_, key_n(i)));
    for (int i = 1000; i < 2000; ++i) ASSERT_OK(put(w, main_, key_n(i), "new"));
    ASSERT_OK(w.commit());
  }
  {
    std::lock_guard<std::mutex> g(m);
    stage = 2;
    cv.notify_all();
  }
  reader.join();
  ASSERT_OK(reader_rc);
  EXPECT_EQ(1000u, before.size());
  EXPECT_EQ(before, after);
}

TEST_F(TxnApi, TxnTryIsBusyWhileAnotherThreadWrites) {
  std::promise<void> started, release;
  std::shared_future<void> release_f = release.get_future().share();
  std::thread holder([&] {
    EMDB_txn* w = nullptr;
    const int rc = emdb_txn_begin(env(), nullptr, EMDB_TXN_READWRITE, &w);
    started.set_value();
    release_f.wait();
    if (rc == EMDB_SUCCESS) {
      put(w, main_, "holder", "1");
      emdb_txn_commit(w);
    }
  });
  started.get_future().wait();
  EMDB_txn* t = nullptr;
  EXPECT_RC(EMDB_BUSY, emdb_txn_begin(env(), nullptr,
                                      EMDB_txn_flags_t(EMDB_TXN_READWRITE | EMDB_TXN_TRY), &t));
  EXPECT_EQ(nullptr, t);
  // Readers are never blocked by the writer.
  {
    Txn r = read_txn();
    std::string v;
    EXPECT_RC(EMDB_NOTFOUND, get(r, main_, "holder", &v));
  }
  release.set_value();
  holder.join();
  ASSERT_OK(
      emdb_txn_begin(env(), nullptr, EMDB_txn_flags_t(EMDB_TXN_READWRITE | EMDB_TXN_TRY), &t));
  Txn owner(t);
  std::string v;
  ASSERT_OK(get(t, main_, "holder", &v));
  EXPECT_EQ("1", v);
}

TEST_F(TxnApi, SecondWriteTxnInSameThreadIsBusy) {
  Txn w = write_txn();
  EMDB_txn* second = nullptr;
  EXPECT_RC(EMDB_BUSY, emdb_txn_begin(env(), nullptr, EMDB_TXN_READWRITE, &second));
  EXPECT_EQ(nullptr, second);
  ASSERT_OK(put(w, main_, "k", "v"));
  ASSERT_OK(w.commit());
}

TEST_F(TxnApi, WritersSerializeAcrossThreads) {
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EMDB_txn* w = nullptr;
        if (emdb_txn_begin(env(), nullptr, EMDB_TXN_READWRITE, &w) != EMDB_SUCCESS) {
          ++failures;
          continue;
        }
        std::string counter;
        uint64_t n = 0;
        if (get(w, main_, "counter", &counter) == EMDB_SUCCESS) n = bytes_u64(counter);
        if (put(w, main_, "counter", u64_bytes(n + 1)) != EMDB_SUCCESS ||
            put(w, main_, key_n(t * 1000 + i), "x") != EMDB_SUCCESS ||
            emdb_txn_commit(w) != EMDB_SUCCESS)
          ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(0, failures.load());
  Txn r = read_txn();
  std::string counter;
  ASSERT_OK(get(r, main_, "counter", &counter));
  EXPECT_EQ(uint64_t(kThreads * kPerThread), bytes_u64(counter));
}

// Readers in other threads always see a whole commit: the writer sets every key to the same
// generation in each txn; a reader must never see two generations at once, and the generation
// it sees never goes back.
TEST_F(TxnApi, ConcurrentReadersSeeWholeCommits) {
  constexpr int kKeys = 300, kCommits = 150, kReaders = 3;
  {
    Txn w = write_txn();
    for (int i = 0; i < kKeys; ++i) ASSERT_OK(put(w, main_, key_n(i), u64_bytes(0) + "pad"));
    ASSERT_OK(w.commit());
  }
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::atomic<long> scans{0};
  std::vector<std::thread> readers;
  std::mutex msg_mutex;
  std::string first_error;
  auto report = [&](const std::string& m) {
    std::lock_guard<std::mutex> g(msg_mutex);
    if (first_error.empty()) first_error = m;
    ++errors;
  };
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      uint64_t last_gen = 0;
      bool more = true;
      while (more) {
        more = !done.load();  // one more scan after the writer has finished
        EMDB_txn* t = nullptr;
        int rc = emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &t);
        if (rc != EMDB_SUCCESS) {
          report("begin: " + rc_name(rc));
          return;
        }
        Pairs p;
        rc = collect(t, main_, &p);
        emdb_txn_abort(t);
        if (rc != EMDB_SUCCESS || p.size() != size_t(kKeys)) {
          report("scan: " + rc_name(rc) + " " + std::to_string(p.size()) + " pairs");
          return;
        }
        const uint64_t gen = bytes_u64(p[0].second);
        for (const auto& kv : p)
          if (bytes_u64(kv.second) != gen) {
            report("mixed generations " + std::to_string(gen) + " and " +
                   std::to_string(bytes_u64(kv.second)));
            return;
          }
        if (gen < last_gen) {
          report("generation went back from " + std::to_string(last_gen) + " to " +
                 std::to_string(gen));
          return;
        }
        last_gen = gen;
        ++scans;
      }
    });
  }
  for (uint64_t g = 1; g <= kCommits && errors.load() == 0; ++g) {
    Txn w = write_txn();
    for (int i = 0; i < kKeys; ++i) ASSERT_OK(put(w, main_, key_n(i), u64_bytes(g) + "pad"));
    ASSERT_OK(w.commit());
  }
  done = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(0, errors.load()) << first_error;
  EXPECT_GT(scans.load(), 0);
}

// Every slot of the reader table can be used; one more read txn gets EMDB_READERS_FULL.
TEST_F(TxnNoSticky, ReadersFull) {
  unsigned slots = 0;
  ASSERT_OK(emdb_env_get_maxreaders(env(), &slots));
  ASSERT_GT(slots, 0u);
  ASSERT_LT(slots, 100000u);
  std::vector<Txn> readers;
  for (unsigned i = 0; i < slots; ++i) {
    Txn r;
    ASSERT_OK(r.begin(env(), EMDB_TXN_RDONLY)) << "reader " << i << " of " << slots;
    readers.push_back(std::move(r));
  }
  EMDB_txn* extra = nullptr;
  EXPECT_RC(EMDB_READERS_FULL, emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &extra));
  EXPECT_EQ(nullptr, extra);
  // The writer does not need a reader slot.
  {
    Txn w = write_txn();
    ASSERT_OK(put(w, main_, "k", "v"));
    ASSERT_OK(w.commit());
  }
  readers.pop_back();
  Txn again;
  ASSERT_OK(again.begin(env(), EMDB_TXN_RDONLY));
  std::string v;
  EXPECT_OK(get(again, main_, "k", &v));
}

TEST_F(TxnApi, CloseWithoutSyncKeepsDurableCommits) {
  {
    Txn w = write_txn();
    for (int i = 0; i < 100; ++i) ASSERT_OK(put(w, main_, key_n(i), value_n(i, 20)));
    ASSERT_OK(w.commit());
  }
  ASSERT_OK(emdb_env_close_ex(env_.release(), true));
  open();
  Txn r = read_txn();
  EMDB_dbi dbi;
  ASSERT_OK(emdb_dbi_open(r, nullptr, EMDB_DB_DEFAULTS, &dbi));
  Pairs p;
  ASSERT_OK(collect(r, dbi, &p));
  EXPECT_EQ(100u, p.size());
}

TEST_F(TxnApi, GeometryUpperCanBeRaised) {
  EMDB_envinfo before;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &before, sizeof before));
  const intptr_t upper = intptr_t(before.mi_geo.upper) * 2;
  // While open: libmdbx remaps; it documents EMDB_UNABLE_EXTEND_MAPSIZE as a possible answer
  // (and emdb's caveats say the upper bound is raised at open), so both are accepted here.
  const int rc = emdb_env_set_geometry(env(), -1, -1, upper, -1, -1, -1);
  EXPECT_RC_IN(rc, EMDB_SUCCESS, EMDB_UNABLE_EXTEND_MAPSIZE);
  EMDB_envinfo after;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &after, sizeof after));
  if (rc == EMDB_SUCCESS) {
    EXPECT_GE(after.mi_geo.upper + (1u << 20), uint64_t(upper));
  } else {
    EXPECT_EQ(before.mi_geo.upper, after.mi_geo.upper);
  }
  // At open: always.
  EnvOptions o;
  o.size_upper = intptr_t(before.mi_geo.upper) * 3;
  reopen(o);
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &after, sizeof after));
  EXPECT_GE(after.mi_geo.upper + (1u << 20), before.mi_geo.upper * 3);
  EXPECT_EQ(before.mi_dxb_pagesize, after.mi_dxb_pagesize);
  // And the data stays usable.
  Txn w = write_txn();
  EMDB_dbi dbi;
  ASSERT_OK(emdb_dbi_open(w, nullptr, EMDB_DB_DEFAULTS, &dbi));
  ASSERT_OK(put(w, dbi, "after-resize", std::string(100000, 'r')));
  ASSERT_OK(w.commit());
  Txn r = read_txn();
  std::string v;
  ASSERT_OK(get(r, dbi, "after-resize", &v));
  EXPECT_EQ(100000u, v.size());
}

// libmdbx: a cursor outlives its transaction; it must be closed (or renewed) by its owner.
TEST_F(TxnApi, CursorOutlivesCommitAndCanBeRenewed) {
  Txn w = write_txn();
  ASSERT_OK(put(w, main_, "a", "1"));
  EMDB_cursor* c = nullptr;
  ASSERT_OK(emdb_cursor_open(w, main_, &c));
  Cursor owner(c);
  ASSERT_OK(w.commit());
  EXPECT_EQ(nullptr, emdb_cursor_txn(c));
  Txn r = read_txn();
  ASSERT_OK(emdb_cursor_renew(r, c));
  EXPECT_EQ(r.get(), emdb_cursor_txn(c));
  std::string k, v;
  ASSERT_OK(owner.get(&k, &v, EMDB_FIRST));
  EXPECT_EQ("a", k);
  EXPECT_EQ("1", v);
}

}  // namespace
}  // namespace emdb_test
