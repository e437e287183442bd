// ledger.hpp — the `ledger` workload: a blockchain node's space pattern (issue 4).
//
//   preload:  `preload` records (8-byte big-endian sequence keys, `value_size`-byte values)
//   blocks:   each block is one write txn with `appends` appends, `updates` random updates of
//             live keys and deletes of the `prunes` oldest keys; a reader thread holds each
//             snapshot for `hold` blocks (RPC queries, backups)
//   pruning:  then the oldest `prune_share` of the live keys is deleted in commits of
//             `prune_batch` keys, followed by `tail_blocks` small blocks (100 updates each)
// After every commit a sample is taken: file size (st_size), GC pages, used bytes, time. Both
// engines run the same code with the same keys and values (engine.hpp).
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"
#include "engine.hpp"

namespace emdb_bench::ledger {

struct Params {
  uint64_t preload = 1000000;
  uint64_t blocks = 2000;
  uint64_t appends = 2000, updates = 1000, prunes = 2000;
  uint64_t hold = 50;
  size_t value_size = 100;
  double prune_share = 0.8;
  uint64_t prune_batch = 20000;
  uint64_t tail_blocks = 40;
  uint64_t seed = 20261122;
  OpenParams open;
};

struct Sample {
  uint64_t step;      // commit number (preload commits not counted)
  const char *phase;  // "blocks", "pruning", "tail", "shutdown" (after the final flush),
                      // "closed" (after the engine's close: file_bytes only, the rest 0)
  double seconds;     // since the start of the blocks
  uint64_t file_bytes, gc_pages, used_bytes;
};

struct Result {
  std::vector<Sample> samples;
  double block_seconds = 0;     // wall time of the block phase, samples left out
  double sampling_seconds = 0;  // wall time the block phase's samples took
  uint64_t block_ops = 0;
  uint64_t peak_file = 0, live_bytes = 0;
  uint64_t flushed_file = 0;  // after the final flush, the engine still open
  uint64_t final_file = 0;    // after the engine's close: what the node leaves on disk
};

inline uint64_t FileBytes(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}

inline void Key(uint64_t n, uint8_t out[8]) {
  for (int i = 7; i >= 0; i--, n >>= 8) out[i] = uint8_t(n);
}

inline void Value(uint64_t n, uint64_t salt, std::string *v) {
  uint64_t x = n * 0x9E3779B97F4A7C15ull + salt * 0xBF58476D1CE4E5B9ull + 1;
  for (size_t i = 0; i < v->size(); i++) {
    if ((i & 7) == 0) x ^= x >> 31, x *= 0x94D049BB133111EBull;
    (*v)[i] = char(x >> (8 * (i & 7)));
  }
}

// gc_pages(e): pages listed in the engine's free list / GC (engine-specific, see ledger_main).
template <KvEngine E, class GcPages>
Result Run(const std::string &dir, const Params &p, GcPages gc_pages) {
  E e;
  e.open(dir, p.open);
  const std::string data = e.data_path(dir);
  Result res;
  std::string v(p.value_size, '\0');
  uint8_t k[8];
  uint64_t oldest = 0, next = 0;
  // Preload (untimed).
  for (uint64_t done = 0; done < p.preload;) {
    e.begin_write();
    for (uint64_t i = 0; i < 10000 && done < p.preload; i++, done++) {
      Key(next, k);
      Value(next, 0, &v);
      e.put(Slice{k, 8}, Slice{v.data(), v.size()}, true);
      next++;
    }
    e.commit();
  }
  std::mt19937_64 rng(p.seed);
  std::atomic<uint64_t> block{0};
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    typename E::Reader r(e);
    while (!stop.load()) {
      r.begin();
      const uint64_t start = block.load();
      Slice kk, vv;
      if (!r.first(&kk, &vv)) die("ledger: reader found an empty database");
      while (!stop.load() && block.load() < start + p.hold) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      r.end();
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  uint64_t step = 0;
  double sampling = 0;  // seconds spent taking samples during the block phase (not timed)
  auto sample = [&](const char *phase) {
    const double at = seconds();
    Sample s{step++, phase, at, FileBytes(data), gc_pages(e), e.used_bytes()};
    res.peak_file = std::max(res.peak_file, s.file_bytes);
    res.samples.push_back(s);
    sampling += seconds() - at;
  };
  for (uint64_t b = 0; b < p.blocks; b++) {
    e.begin_write();
    for (uint64_t i = 0; i < p.appends; i++) {
      Key(next, k);
      Value(next, b + 1, &v);
      e.put(Slice{k, 8}, Slice{v.data(), v.size()}, true);
      next++;
    }
    for (uint64_t i = 0; i < p.updates; i++) {
      uint64_t n = oldest + rng() % (next - oldest);
      Key(n, k);
      Value(n, b + 7, &v);
      e.put(Slice{k, 8}, Slice{v.data(), v.size()}, false);
    }
    for (uint64_t i = 0; i < p.prunes && oldest < next; i++) {
      Key(oldest++, k);
      if (!e.del(Slice{k, 8})) die("ledger: a pruned key was missing");
    }
    e.commit();
    block.fetch_add(1);
    res.block_ops += p.appends + p.updates + p.prunes;
    sample("blocks");
  }
  // The samples (a stat of the file, a walk of the GC, an env info) are the harness's, not the
  // node's work: the block phase's time leaves them out, for both engines.
  res.block_seconds = seconds() - sampling;
  res.sampling_seconds = sampling;
  stop = true;
  reader.join();
  // Pruning phase: no reader.
  const uint64_t target = oldest + uint64_t(double(next - oldest) * p.prune_share);
  while (oldest < target) {
    e.begin_write();
    for (uint64_t i = 0; i < p.prune_batch && oldest < target; i++) {
      Key(oldest++, k);
      if (!e.del(Slice{k, 8})) die("ledger: a pruned key was missing");
    }
    e.commit();
    sample("pruning");
  }
  // A node syncs now and then; with weak commits (lazy mode) emdb reuses and shrinks only up to
  // the last steady point, so the tail phase flushes every 10 blocks (both engines).
  e.flush();
  for (uint64_t b = 0; b < p.tail_blocks; b++) {
    if (b % 10 == 9) e.flush();
    e.begin_write();
    for (uint64_t i = 0; i < 100; i++) {
      uint64_t n = oldest + rng() % (next - oldest);
      Key(n, k);
      Value(n, b + 100003, &v);
      e.put(Slice{k, 8}, Slice{v.data(), v.size()}, false);
    }
    e.commit();
    sample("tail");
  }
  // Shutdown: a node flushes before it stops (emdb_env_close and mdb_env_close would too, in
  // lazy mode): emdb's last weak commits become steady and it may cut the free tail. Then it
  // closes the environment: emdb's close compacts and cuts what the steady point let go of
  // (space.hpp S6); LMDB's leaves the file as it is.
  e.flush();
  sample("shutdown");
  TreeStat st = e.stat();
  res.live_bytes = (st.branch_pages + st.leaf_pages) * p.open.page_size;
  res.flushed_file = FileBytes(data);
  if (st.entries != next - oldest) die("ledger: wrong number of live records");
  e.close();
  res.final_file = FileBytes(data);
  res.samples.push_back(Sample{step++, "closed", seconds(), res.final_file, 0, 0});
  return res;
}

}  // namespace emdb_bench::ledger
