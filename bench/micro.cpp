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
// Every benchmark runs in nosync mode (emdb EMDB_UTTERLY_NOSYNC|EMDB_WRITEMAP, LMDB
// MDB_NOSYNC|MDB_WRITEMAP|MDB_MAPASYNC) on a database of 100,000 records (16-byte keys,
// 100-byte values) filled in order, created in $TMPDIR (or /tmp) and removed at exit. Put and
// Commit flush (untimed) every 64 commits, on both engines.
// Durable commits are measured by emdb-bench (fillrandsync, crud in sync mode).
#include <benchmark/benchmark.h>
#include <unistd.h>

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
    make_dirs(dir);
    OpenParams p;
    p.mode = SyncMode::nosync;
    p.upper_bytes = size_t(1) << 30;
    e.open(dir, p);
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
  r.begin();
  uint64_t j = 0, missing = 0;
  for (auto _ : state) {
    Slice v;
    missing += !r.get(db.k(db.random_keys[j]), &v);
    benchmark::DoNotOptimize(v.data);
    if (++j == kRecords) j = 0;
  }
  r.end();
  if (missing) state.SkipWithError("get did not find an existing key");
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

}  // namespace
}  // namespace emdb_bench

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;  // the databases close in their static destructors, then the scratch root goes
}
