// micro.cpp — emdb-micro: Google Benchmark micro suite of the hot paths reachable through the
// public API, each run on emdb and, for reference, on LMDB with the same wrapper
// (engine_emdb.hpp / engine_lmdb.hpp):
//   ReadTxn      read transaction begin + end
//   Get          get of an existing random key inside one read transaction
//   CursorNext   one cursor NEXT step (wrapping to FIRST at the end)
//   Put          an update of an existing random key inside a write transaction (the commit
//                every 1,000 puts is not timed)
//   Commit/N     the commit of a write transaction that dirtied about N leaf pages (manual
//                time: only the commit is timed)
//   InPageSearch a get of an existing random key in a tree of one leaf (its root) holding
//                about 100 records of 16-byte keys and 8-byte values: one binary search over
//                one page, inside one read transaction
//   PageSplit    a put of a new key into a full leaf, which splits it (manual time: only the
//                put; each put hits a leaf never split before, checked by the leaf count; the
//                tree of full leaves is rebuilt, untimed, when none is left)
// Every benchmark runs in nosync mode (emdb EMDB_UTTERLY_NOSYNC|EMDB_WRITEMAP, LMDB
// MDB_NOSYNC|MDB_WRITEMAP|MDB_MAPASYNC) on a database of 100,000 records (16-byte keys,
// 100-byte values) filled in order, created in $TMPDIR (or /tmp) and removed at exit. Put and
// Commit flush (untimed) every 64 commits, on both engines.
// Durable commits are measured by emdb-bench (fillrandsync, crud in sync mode).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "engine_emdb.hpp"
#include "engine_lmdb.hpp"

namespace emdb_bench {
namespace {

constexpr uint64_t kRecords = 100000;
constexpr size_t kKeySize = 16;
constexpr size_t kValueSize = 100;
constexpr uint64_t kSeed = 20240601;
// About 30 records of 16 + 100 bytes fit a 4 KiB leaf; 64 apart means different leaves.
constexpr uint64_t kStride = 64;
// Put and Commit force a full flush (untimed) every kFlushEvery commits on both engines: the
// first emdb drop reclaimed no page in nosync mode until a steady point existed (see repro/)
// and ran out of its 1 GiB geometry without these flushes.
constexpr uint64_t kFlushEvery = 64;

/// The scratch directory, created on first use and removed at exit. It is constructed before
/// the first Db (whose constructor calls this), so it is destroyed after every Db closed.
struct ScratchRoot {
  std::string path;
  ScratchRoot() {
    const char *t = std::getenv("TMPDIR");
    std::string tmpl = std::string((t && *t) ? t : "/tmp") + "/emdb-micro.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) die("mkdtemp failed for " + tmpl);
    path = buf.data();
    set_cleanup_dir(path);
  }
  ~ScratchRoot() {
    set_cleanup_dir("");
    remove_tree(path);
  }
};

const std::string &scratch_root() {
  static ScratchRoot root;
  return root.path;
}

/// Opens (creates) `dir` in nosync mode with a 1 GiB upper, as every benchmark here does.
template <KvEngine E>
void open_nosync(E &e, const std::string &dir) {
  make_dirs(dir);
  OpenParams p;
  p.mode = SyncMode::nosync;
  p.upper_bytes = size_t(1) << 30;
  e.open(dir, p);
}

/// Times gets of `n` existing keys, key_at(j) for j = 0, 1, ... n - 1, 0, ..., in one read
/// transaction of `r`.
template <class Reader, class KeyAt>
void time_gets(benchmark::State &state, Reader &r, uint64_t n, KeyAt key_at) {
  r.begin();
  uint64_t j = 0, missing = 0;
  for (auto _ : state) {
    Slice v;
    missing += !r.get(key_at(j), &v);
    benchmark::DoNotOptimize(v.data);
    if (++j == n) j = 0;
  }
  r.end();
  if (missing) state.SkipWithError("get did not find an existing key");
}

/// One open database per engine, filled once.
template <KvEngine E>
struct Db {
  E e;
  std::string dir;
  std::vector<uint64_t> random_keys;  // a random order of [0, kRecords)
  uint8_t key[kKeySize];
  uint8_t val[kValueSize];

  Db() {
    dir = scratch_root() + "/" + E::kName;
    open_nosync(e, dir);
    for (uint64_t i = 0; i < kRecords; ++i) {
      if (i % 1000 == 0) e.begin_write();
      e.put(k(i), v(i, 0), true);
      if (i % 1000 == 999 || i + 1 == kRecords) e.commit();
    }
    random_keys = permutation(kRecords, kSeed);
  }
  ~Db() { e.close(); }

  Slice k(uint64_t i) {
    make_key(i, 0, key, kKeySize);
    return Slice{key, kKeySize};
  }
  Slice v(uint64_t i, uint64_t salt) {
    make_value(i, salt, kSeed, val, kValueSize);
    return Slice{val, kValueSize};
  }

  static Db &get() {
    static Db db;
    return db;
  }
};

template <KvEngine E>
void ReadTxn(benchmark::State &state) {
  auto &db = Db<E>::get();
  typename E::Reader r(db.e);
  for (auto _ : state) {
    r.begin();
    r.end();
  }
}

template <KvEngine E>
void Get(benchmark::State &state) {
  auto &db = Db<E>::get();
  typename E::Reader r(db.e);
  time_gets(state, r, kRecords, [&](uint64_t j) { return db.k(db.random_keys[j]); });
}

template <KvEngine E>
void CursorNext(benchmark::State &state) {
  auto &db = Db<E>::get();
  typename E::Reader r(db.e);
  r.begin();
  Slice k, v;
  if (!r.first(&k, &v)) state.SkipWithError("empty database");
  for (auto _ : state) {
    if (!r.next(&k, &v)) r.first(&k, &v);
    benchmark::DoNotOptimize(k.data);
  }
  r.end();
}

template <KvEngine E>
void Put(benchmark::State &state) {
  auto &db = Db<E>::get();
  db.e.begin_write();
  uint64_t j = 0, in_txn = 0, commits = 0;
  for (auto _ : state) {
    const uint64_t i = db.random_keys[j];
    db.e.put(db.k(i), db.v(i, 1), false);
    if (++j == kRecords) j = 0;
    if (++in_txn == 1000) {
      state.PauseTiming();
      db.e.commit();
      if (++commits % kFlushEvery == 0) db.e.flush();
      db.e.begin_write();
      in_txn = 0;
      state.ResumeTiming();
    }
  }
  db.e.commit();
}

template <KvEngine E>
void Commit(benchmark::State &state) {
  auto &db = Db<E>::get();
  const uint64_t pages = uint64_t(state.range(0));
  uint64_t off = 0, commits = 0;
  for (auto _ : state) {
    db.e.begin_write();
    for (uint64_t p = 0; p < pages; ++p) {
      const uint64_t i = (p * kStride + off) % kRecords;
      db.e.put(db.k(i), db.v(i, off & 1), false);
    }
    off = (off + 1) % kStride;
    const auto t0 = std::chrono::steady_clock::now();
    db.e.commit();
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    if (++commits % kFlushEvery == 0) db.e.flush();  // untimed
  }
  state.counters["dirty_leaves"] = double(pages);
}

/// A separate database per benchmark below, in its own directory, with its own contents.
template <KvEngine E>
struct SmallDb {
  E e;
  std::string dir;
  explicit SmallDb(const std::string &name) {
    dir = scratch_root() + "/" + E::kName + "-" + name;
    remove_tree(dir);
    open_nosync(e, dir);
  }
  ~SmallDb() {
    e.close();
    remove_tree(dir);
  }
};

template <KvEngine E>
void InPageSearch(benchmark::State &state) {
  constexpr uint64_t kOnePage = 100;  // 100 x (16 + 8 bytes + headers) fit one 4 KiB leaf
  SmallDb<E> db("inpage");
  uint8_t key[kKeySize], val[8] = {};
  db.e.begin_write();
  for (uint64_t i = 0; i < kOnePage; ++i) {
    make_key(i, 0, key, kKeySize);
    db.e.put(Slice{key, kKeySize}, Slice{val, sizeof(val)}, true);
  }
  db.e.commit();
  const TreeStat st = db.e.stat();
  if (st.depth != 1 || st.entries != kOnePage) {
    state.SkipWithError("the tree is not one leaf");
    return;
  }
  const std::vector<uint64_t> order = permutation(kOnePage, kSeed);
  std::vector<std::array<uint8_t, kKeySize>> keys(kOnePage);
  for (uint64_t i = 0; i < kOnePage; ++i) make_key(order[i], 0, keys[i].data(), kKeySize);
  typename E::Reader r(db.e);
  time_gets(state, r, kOnePage, [&](uint64_t j) { return Slice{keys[j].data(), kKeySize}; });
}

template <KvEngine E>
void PageSplit(benchmark::State &state) {
  // Even keys filled in order leave every leaf full (about 30 records); odd keys 2 * (64 s + 32)
  // + 1 land 64 records apart, so each in a different full leaf.
  constexpr uint64_t kFill = 2 * kRecords;
  constexpr uint64_t kSplitsPerFill = kRecords / kStride;
  const std::vector<uint64_t> order = permutation(kSplitsPerFill, kSeed);
  std::unique_ptr<SmallDb<E>> db;
  uint8_t key[kKeySize], val[kValueSize];
  uint64_t next = kSplitsPerFill, in_txn = 0, leaves_before = 0, puts = 0, wrong = 0;
  // Commits the open transaction and counts a fill whose leaves did not grow by one per put.
  auto finish = [&] {
    db->e.commit();
    if (db->e.stat().leaf_pages - leaves_before != next) ++wrong;
  };
  auto refill = [&] {
    if (db) finish();
    db.reset();
    db = std::make_unique<SmallDb<E>>("split");
    for (uint64_t i = 0; i < kFill; i += 2) {
      if (i % 2000 == 0) db->e.begin_write();
      make_key(i, 0, key, kKeySize);
      make_value(i, 0, kSeed, val, kValueSize);
      db->e.put(Slice{key, kKeySize}, Slice{val, kValueSize}, true);
      if (i % 2000 == 1998 || i + 2 >= kFill) db->e.commit();
    }
    leaves_before = db->e.stat().leaf_pages;
    db->e.begin_write();
    next = 0;
    in_txn = 0;
  };
  for (auto _ : state) {
    if (next == kSplitsPerFill) {
      refill();  // untimed: manual time counts only the put below
    }
    const uint64_t s = order[next];
    const uint64_t i = 2 * (s * kStride + kStride / 2) + 1;
    make_key(i, 0, key, kKeySize);
    make_value(i, 0, kSeed, val, kValueSize);
    const auto t0 = std::chrono::steady_clock::now();
    db->e.put(Slice{key, kKeySize}, Slice{val, kValueSize}, false);
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    ++next;
    ++puts;
    if (++in_txn == 100 && next != kSplitsPerFill) {
      db->e.commit();
      db->e.begin_write();
      in_txn = 0;
    }
  }
  if (db) finish();
  if (wrong) state.SkipWithError("a put did not split exactly one leaf");
  state.counters["puts"] = double(puts);
}

BENCHMARK_TEMPLATE(ReadTxn, EmdbEngine);
BENCHMARK_TEMPLATE(ReadTxn, LmdbEngine);
BENCHMARK_TEMPLATE(Get, EmdbEngine);
BENCHMARK_TEMPLATE(Get, LmdbEngine);
BENCHMARK_TEMPLATE(CursorNext, EmdbEngine);
BENCHMARK_TEMPLATE(CursorNext, LmdbEngine);
BENCHMARK_TEMPLATE(Put, EmdbEngine);
BENCHMARK_TEMPLATE(Put, LmdbEngine);
BENCHMARK_TEMPLATE(Commit, EmdbEngine)->Arg(1)->Arg(1000)->UseManualTime();
BENCHMARK_TEMPLATE(Commit, LmdbEngine)->Arg(1)->Arg(1000)->UseManualTime();
BENCHMARK_TEMPLATE(InPageSearch, EmdbEngine);
BENCHMARK_TEMPLATE(InPageSearch, LmdbEngine);
BENCHMARK_TEMPLATE(PageSplit, EmdbEngine)->UseManualTime();
BENCHMARK_TEMPLATE(PageSplit, LmdbEngine)->UseManualTime();

}  // namespace
}  // namespace emdb_bench

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;  // the databases close in their static destructors, then the scratch root goes
}
