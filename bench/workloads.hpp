// workloads.hpp — the timed workloads, as templates over a KvEngine (engine.hpp).
//
// Every workload:
//  1. opens a fresh directory (the caller creates and removes it),
//  2. prepares the database untimed if it needs one (prepare(): fillrandom of all records in
//     the measured mode, flushed, closed, reopened),
//  3. runs the timed section (Stopwatch: wall and process CPU time),
//  4. verifies what it read and the final contents against a model (counts and checksums of
//     record_hash, common.hpp) and dies on any mismatch,
//  5. records the tree depth and the space used, and closes the environment.
// Both engines run exactly the same code with the same keys, values and order.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common.hpp"
#include "engine.hpp"

namespace emdb_bench {

/// Run settings shared by all workloads (see main.cpp for the options that set them).
struct Settings {
  uint64_t records = 1000000;
  size_t key_size = 16;
  size_t value_size = 100;
  uint64_t batch = 1000;
  uint64_t seed = 20240601;
  unsigned threads = 2;
  uint64_t sync_commits = 2000;  // fillrandsync puts; crud transactions in sync mode
  uint64_t crud_txns = 100000;   // crud transactions in lazy and nosync modes
};

/// Precomputed, engine-independent data for one record count.
struct Dataset {
  uint64_t n = 0;
  std::vector<uint64_t> fill_order;  // the fillrandom (and prepare) order
  std::vector<uint64_t> read_order;  // the readrandom / readtxn / seekrandom order
  std::vector<uint64_t> rec_hash;    // record_hash of record i as filled (tag 0, salt 0)
  uint64_t total_hash = 0;           // sum of rec_hash
};
Dataset make_dataset(const Settings &s, uint64_t n);

/// What one timed run produced.
struct RunResult {
  uint64_t ops = 0;             // operations in the timed section (the unit of ops/s)
  double wall_s = 0;            // wall time of the timed section
  double cpu_s = 0;             // process CPU time (user + sys, all threads) of the timed section
  uint64_t commits = 0;         // write transactions committed in the timed section
  uint64_t found = 0;           // records read (found or visited) in the timed section
  uint64_t checksum = 0;        // sum of record hashes of what was read
  uint64_t final_count = 0;     // entries after the workload
  uint64_t final_checksum = 0;  // sum of record hashes of all entries after the workload
  TreeStat tree;
  SpaceInfo space;
  double aux_rate = 0;  // readwhilewriting: the writer's puts per second
  double ops_per_s() const { return wall_s > 0 ? double(ops) / wall_s : 0; }
};

/// A key: counter and tag (common.hpp invariant 1).
struct KeyId {
  uint64_t i = 0;
  uint8_t tag = 0;
};

template <KvEngine E>
class Runner {
 public:
  Runner(const Settings &s, const Dataset &ds, const OpenParams &p, std::string dir)
      : s_(s),
        ds_(ds),
        p_(p),
        dir_(std::move(dir)),
        key_(s.key_size),
        val_(s.value_size),
        hkey_(s.key_size),
        hval_(s.value_size) {}

  // ---- workloads ------------------------------------------------------------------------

  RunResult fillseq() {
    e_.open(dir_, p_);
    std::vector<uint64_t> order(ds_.n);
    for (uint64_t i = 0; i < ds_.n; ++i) order[i] = i;
    RunResult r;
    Stopwatch sw;
    sw.start();
    r.commits = fill(order.data(), order.size(), /*append=*/true, 0, 0);
    sw.stop();
    r.ops = ds_.n;
    return finish(r, sw, ds_.n, ds_.total_hash, "fillseq");
  }

  RunResult fillrandom() {
    e_.open(dir_, p_);
    RunResult r;
    Stopwatch sw;
    sw.start();
    r.commits = fill(ds_.fill_order.data(), ds_.n, false, 0, 0);
    sw.stop();
    r.ops = ds_.n;
    return finish(r, sw, ds_.n, ds_.total_hash, "fillrandom");
  }

  /// One durable commit per put (the caller opens in sync mode).
  RunResult fillrandsync() {
    e_.open(dir_, p_);
    const uint64_t cnt = std::min<uint64_t>(s_.sync_commits, ds_.n);
    RunResult r;
    Stopwatch sw;
    sw.start();
    for (uint64_t j = 0; j < cnt; ++j) {
      e_.begin_write();
      e_.put(key({ds_.fill_order[j], 0}), value(ds_.fill_order[j], 0), false);
      e_.commit();
    }
    sw.stop();
    r.ops = cnt;
    r.commits = cnt;
    uint64_t sum = 0;
    for (uint64_t j = 0; j < cnt; ++j) sum += ds_.rec_hash[ds_.fill_order[j]];
    return finish(r, sw, cnt, sum, "fillrandsync");
  }

  RunResult overwrite() {
    prepare();
    const std::vector<uint64_t> order = permutation(ds_.n, s_.seed + 3);
    RunResult r;
    Stopwatch sw;
    sw.start();
    r.commits = fill(order.data(), order.size(), false, /*salt=*/1, 0);
    sw.stop();
    r.ops = ds_.n;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < ds_.n; ++i) sum += hash_of({i, 0}, 1);
    return finish(r, sw, ds_.n, sum, "overwrite");
  }

  RunResult readrandom() {
    prepare();
    RunResult r;
    uint64_t found = 0, sum = 0;
    typename E::Reader rd(e_);
    Stopwatch sw;
    sw.start();
    rd.begin();
    for (uint64_t j = 0; j < ds_.n; ++j) {
      Slice k = key({ds_.read_order[j], 0}), v;
      if (rd.get(k, &v)) {
        ++found;
        sum += record_hash(k, v);
      }
    }
    rd.end();
    sw.stop();
    r.ops = ds_.n;
    check_read(r, found, sum, ds_.n, ds_.total_hash, "readrandom");
    return finish(r, sw, ds_.n, ds_.total_hash, "readrandom");
  }

  /// One read transaction per get (begin, get, end), over all records in the read order.
  /// With s.threads > 1 the records are dealt out to that many reader threads (thread t reads
  /// positions t, t + threads, ...), each with its own reader; the time is the wall time of all.
  RunResult readtxn() {
    prepare();
    RunResult r;
    uint64_t found = 0, sum = 0;
    const unsigned nthreads = std::max(1u, s_.threads);
    Stopwatch sw;
    if (nthreads == 1) {
      typename E::Reader rd(e_);
      sw.start();
      for (uint64_t j = 0; j < ds_.n; ++j) {
        Slice k = key({ds_.read_order[j], 0}), v;
        rd.begin();
        if (rd.get(k, &v)) {
          ++found;
          sum += record_hash(k, v);
        }
        rd.end();
      }
      sw.stop();
    } else {
      struct alignas(64) PerThread {
        uint64_t found = 0, sum = 0;
      };
      std::vector<PerThread> per(nthreads);
      std::atomic<unsigned> ready{0};
      std::atomic<bool> go{false};
      std::vector<std::thread> readers;
      for (unsigned t = 0; t < nthreads; ++t) {
        readers.emplace_back([&, t] {
          typename E::Reader rd(e_);
          std::vector<uint8_t> kb(s_.key_size);
          PerThread acc;
          rd.begin();  // the first begin claims the thread's reader slot: not timed
          rd.end();
          ready.fetch_add(1);
          while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
          for (uint64_t j = t; j < ds_.n; j += nthreads) {
            make_key(ds_.read_order[j], 0, kb.data(), kb.size());
            Slice k{kb.data(), kb.size()}, v;
            rd.begin();
            if (rd.get(k, &v)) {
              ++acc.found;
              acc.sum += record_hash(k, v);
            }
            rd.end();
          }
          per[t] = acc;
        });
      }
      while (ready.load() < nthreads) std::this_thread::yield();
      sw.start();
      go.store(true, std::memory_order_release);
      for (auto &th : readers) th.join();
      sw.stop();
      for (const auto &a : per) {
        found += a.found;
        sum += a.sum;
      }
    }
    r.ops = ds_.n;
    check_read(r, found, sum, ds_.n, ds_.total_hash, "readtxn");
    return finish(r, sw, ds_.n, ds_.total_hash, "readtxn");
  }

  RunResult readseq() { return scan_workload(/*reverse=*/false, "readseq"); }
  RunResult readreverse() { return scan_workload(/*reverse=*/true, "readreverse"); }

  /// SET_RANGE to the 8-byte prefix of a random existing key (so the match is not exact when
  /// keys are longer than 8 bytes), then up to 10 NEXTs.
  RunResult seekrandom() {
    prepare();
    constexpr uint64_t kNexts = 10;
    std::vector<uint64_t> prefix(ds_.n + 1, 0);
    for (uint64_t i = 0; i < ds_.n; ++i) prefix[i + 1] = prefix[i] + ds_.rec_hash[i];
    uint64_t exp_found = 0, exp_sum = 0;
    for (uint64_t j = 0; j < ds_.n; ++j) {
      uint64_t i = ds_.read_order[j], end = std::min(ds_.n, i + kNexts + 1);
      exp_found += end - i;
      exp_sum += prefix[end] - prefix[i];
    }
    const size_t seek_len = std::min<size_t>(8, s_.key_size);
    RunResult r;
    uint64_t found = 0, sum = 0, bad = 0;
    typename E::Reader rd(e_);
    Stopwatch sw;
    sw.start();
    rd.begin();
    for (uint64_t j = 0; j < ds_.n; ++j) {
      const uint64_t i = ds_.read_order[j];
      Slice seek = key({i, 0}), k, v;
      seek.size = seek_len;
      bool ok = rd.set_range(seek, &k, &v);
      for (uint64_t step = 0; ok; ++step) {
        ++found;
        sum += record_hash(k, v);
        bad += key_counter(k.data) != i + step;
        if (step == kNexts) break;
        ok = rd.next(&k, &v);
      }
    }
    rd.end();
    sw.stop();
    r.ops = ds_.n;
    if (bad)
      die(std::string(E::kName) + ": seekrandom: " + std::to_string(bad) + " keys out of order");
    check_read(r, found, sum, exp_found, exp_sum, "seekrandom");
    return finish(r, sw, ds_.n, ds_.total_hash, "seekrandom");
  }

  RunResult delrandom() {
    prepare();
    const std::vector<uint64_t> order = permutation(ds_.n, s_.seed + 6);
    const uint64_t cnt = ds_.n / 2;
    RunResult r;
    uint64_t deleted = 0;
    Stopwatch sw;
    sw.start();
    for (uint64_t j = 0; j < cnt; ++j) {
      if (j % s_.batch == 0) e_.begin_write();
      deleted += e_.del(key({order[j], 0}));
      if (j % s_.batch == s_.batch - 1 || j + 1 == cnt) {
        e_.commit();
        ++r.commits;
      }
    }
    sw.stop();
    r.ops = cnt;
    if (deleted != cnt)
      die(std::string(E::kName) + ": delrandom: deleted " + std::to_string(deleted) + " of " +
          std::to_string(cnt) + " existing keys");
    uint64_t sum = ds_.total_hash;
    for (uint64_t j = 0; j < cnt; ++j) sum -= ds_.rec_hash[order[j]];
    return finish(r, sw, ds_.n - cnt, sum, "delrandom");
  }

  /// ioarena's CRUD: per transaction insert 2 new keys, read 1, update 1, delete 1.
  /// The read, updated and deleted keys are disjoint sets of prepared records; the inserted
  /// keys are new (tag 1) keys next to prepared ones, so inserts land all over the tree.
  RunResult crud() {
    prepare();
    const uint64_t limit = p_.mode == SyncMode::sync ? s_.sync_commits : s_.crud_txns;
    const uint64_t T = std::max<uint64_t>(1, std::min<uint64_t>(limit, ds_.n / 3));
    const std::vector<uint64_t> P = permutation(ds_.n, s_.seed + 4);
    RunResult r;
    uint64_t found = 0, sum = 0, deleted = 0;
    Stopwatch sw;
    sw.start();
    for (uint64_t t = 0; t < T; ++t) {
      e_.begin_write();
      e_.put(key(extra(P[t])), value(extra(P[t]).i, 2), false);
      e_.put(key(extra(P[T + t])), value(extra(P[T + t]).i, 2), false);
      Slice k = key({P[t], 0}), v;
      if (e_.get_w(k, &v)) {
        ++found;
        sum += record_hash(k, v);
      }
      e_.put(key({P[T + t], 0}), value(P[T + t], 1), false);
      deleted += e_.del(key({P[2 * T + t], 0}));
      e_.commit();
    }
    sw.stop();
    r.ops = T;
    r.commits = T;
    uint64_t exp_read = 0, exp_final = ds_.total_hash;
    for (uint64_t t = 0; t < T; ++t) {
      exp_read += ds_.rec_hash[P[t]];
      exp_final += hash_of(extra(P[t]), 2) + hash_of(extra(P[T + t]), 2);
      exp_final += hash_of({P[T + t], 0}, 1) - ds_.rec_hash[P[T + t]];
      exp_final -= ds_.rec_hash[P[2 * T + t]];
    }
    if (deleted != T)
      die(std::string(E::kName) + ": crud: a delete of an existing key found nothing");
    check_read(r, found, sum, T, exp_read, "crud");
    return finish(r, sw, ds_.n + T, exp_final, "crud");
  }

  /// `threads` readers doing readtxn on prepared keys while one writer inserts n/5 new keys
  /// (tag 1, random order) in batches. ops = reads; aux_rate = the writer's puts/s.
  RunResult readwhilewriting() {
    prepare();
    const uint64_t W = std::max<uint64_t>(1, ds_.n / 5);
    const std::vector<uint64_t> worder = permutation(ds_.n, s_.seed + 5);
    const unsigned nthreads = std::max(1u, s_.threads);
    struct alignas(64) PerThread {
      uint64_t reads = 0, found = 0, sum = 0, expect = 0;
    };
    std::vector<PerThread> per(nthreads);
    std::atomic<unsigned> ready{0};
    std::atomic<bool> go{false}, stop{false};
    std::vector<std::thread> readers;
    for (unsigned t = 0; t < nthreads; ++t) {
      readers.emplace_back([&, t] {
        typename E::Reader rd(e_);
        std::vector<uint8_t> kb(s_.key_size);
        Rng rng(s_.seed + 1000 + t);
        PerThread acc;
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        while (!stop.load(std::memory_order_relaxed)) {
          const uint64_t i = rng.below(ds_.n);
          make_key(i, 0, kb.data(), kb.size());
          Slice k{kb.data(), kb.size()}, v;
          rd.begin();
          if (rd.get(k, &v)) {
            ++acc.found;
            acc.sum += record_hash(k, v);
          }
          rd.end();
          acc.expect += ds_.rec_hash[i];
          ++acc.reads;
        }
        per[t] = acc;
      });
    }
    while (ready.load() < nthreads) std::this_thread::yield();
    RunResult r;
    Stopwatch sw;
    sw.start();
    go.store(true, std::memory_order_release);
    for (uint64_t j = 0; j < W; ++j) {
      if (j % s_.batch == 0) e_.begin_write();
      const KeyId id = extra(worder[j]);
      e_.put(key(id), value(id.i, 2), false);
      if (j % s_.batch == s_.batch - 1 || j + 1 == W) {
        e_.commit();
        ++r.commits;
      }
    }
    stop.store(true);
    for (auto &th : readers) th.join();
    sw.stop();
    uint64_t found = 0, sum = 0, expect = 0;
    for (const auto &a : per) {
      r.ops += a.reads;
      found += a.found;
      sum += a.sum;
      expect += a.expect;
    }
    r.aux_rate = sw.wall_s() > 0 ? double(W) / sw.wall_s() : 0;
    check_read(r, found, sum, r.ops, expect, "readwhilewriting");
    uint64_t exp_final = ds_.total_hash;
    for (uint64_t j = 0; j < W; ++j) exp_final += hash_of(extra(worder[j]), 2);
    return finish(r, sw, ds_.n + W, exp_final, "readwhilewriting");
  }

  /// scale: a timed fillrandom, then a timed readrandom on the same database.
  std::pair<RunResult, RunResult> scale() {
    RunResult fr = fillrandom_keep_open();
    RunResult rr;
    uint64_t found = 0, sum = 0;
    {
      typename E::Reader rd(e_);
      Stopwatch sw;
      sw.start();
      rd.begin();
      for (uint64_t j = 0; j < ds_.n; ++j) {
        Slice k = key({ds_.read_order[j], 0}), v;
        if (rd.get(k, &v)) {
          ++found;
          sum += record_hash(k, v);
        }
      }
      rd.end();
      sw.stop();
      rr.ops = ds_.n;
      check_read(rr, found, sum, ds_.n, ds_.total_hash, "scale/readrandom");
      rr = finish(rr, sw, ds_.n, ds_.total_hash, "scale/readrandom");
    }
    fr.tree = rr.tree;
    fr.space = rr.space;
    fr.final_count = rr.final_count;
    fr.final_checksum = rr.final_checksum;
    return {fr, rr};
  }

 private:
  Slice key(KeyId id) {
    make_key(id.i, id.tag, key_.data(), key_.size());
    return Slice{key_.data(), key_.size()};
  }

  Slice value(uint64_t i, uint64_t salt) {
    make_value(i, salt, s_.seed, val_.data(), val_.size());
    return Slice{val_.data(), val_.size()};
  }

  /// record_hash of the model's record (untimed; own buffers, so views stay intact).
  uint64_t hash_of(KeyId id, uint64_t salt) {
    make_key(id.i, id.tag, hkey_.data(), hkey_.size());
    make_value(id.i, salt, s_.seed, hval_.data(), hval_.size());
    return record_hash(Slice{hkey_.data(), hkey_.size()}, Slice{hval_.data(), hval_.size()});
  }

  /// A new key next to prepared record i: tag 1 when keys are longer than 8 bytes, else a
  /// counter past the prepared ones.
  KeyId extra(uint64_t i) const {
    if (s_.key_size > 8) return KeyId{i, 1};
    return KeyId{ds_.n + i, 0};
  }

  /// Puts order[0..n) in batches of s_.batch; returns the number of commits.
  uint64_t fill(const uint64_t *order, uint64_t n, bool append, uint64_t salt, uint8_t tag) {
    uint64_t commits = 0;
    for (uint64_t j = 0; j < n; ++j) {
      if (j % s_.batch == 0) e_.begin_write();
      e_.put(key({order[j], tag}), value(order[j], salt), append);
      if (j % s_.batch == s_.batch - 1 || j + 1 == n) {
        e_.commit();
        ++commits;
      }
    }
    return commits;
  }

  /// Untimed: fill all records in the measured mode, with a full flush every kPrepFlushBatches
  /// batches and at the end, close, reopen. Each engine's file is then what an application in
  /// that mode would have: how its pages sit in the page cache (folio sizes) depends on how they
  /// were written (pwrite runs, or stores through a writable map), and a later pwrite into a
  /// large folio costs the kernel more. Preparing every mode in nosync (sessions 1-7) left LMDB's
  /// sparse file in 2 MiB folios and emdb's in small ones, which favoured emdb in the pwrite
  /// modes and LMDB in nosync (docs/performance.md, session 8). The periodic flushes give both
  /// engines steady points to reclaim pages behind.
  void prepare() {
    constexpr uint64_t kPrepFlushBatches = 16;
    e_.open(dir_, p_);
    const uint64_t chunk = s_.batch * kPrepFlushBatches;
    for (uint64_t j = 0; j < ds_.n; j += chunk) {
      fill(ds_.fill_order.data() + j, std::min(chunk, ds_.n - j), false, 0, 0);
      e_.flush();
    }
    e_.close();
    e_.open(dir_, p_);
  }

  RunResult fillrandom_keep_open() {
    e_.open(dir_, p_);
    RunResult r;
    Stopwatch sw;
    sw.start();
    r.commits = fill(ds_.fill_order.data(), ds_.n, false, 0, 0);
    sw.stop();
    r.ops = ds_.n;
    r.wall_s = sw.wall_s();
    r.cpu_s = sw.cpu_s();
    return r;
  }

  RunResult scan_workload(bool reverse, const char *what) {
    prepare();
    RunResult r;
    uint64_t found = 0, sum = 0, bad = 0;
    typename E::Reader rd(e_);
    Stopwatch sw;
    sw.start();
    rd.begin();
    Slice k, v;
    bool ok = reverse ? rd.last(&k, &v) : rd.first(&k, &v);
    while (ok) {
      const uint64_t expect = reverse ? ds_.n - 1 - found : found;
      bad += k.size != s_.key_size || key_counter(k.data) != expect;
      sum += record_hash(k, v);
      ++found;
      ok = reverse ? rd.prev(&k, &v) : rd.next(&k, &v);
    }
    rd.end();
    sw.stop();
    r.ops = found;
    if (bad)
      die(std::string(E::kName) + ": " + what + ": " + std::to_string(bad) + " keys out of order");
    check_read(r, found, sum, ds_.n, ds_.total_hash, what);
    return finish(r, sw, ds_.n, ds_.total_hash, what);
  }

  /// Records and checks what the timed section read.
  void check_read(RunResult &r, uint64_t found, uint64_t sum, uint64_t exp_found, uint64_t exp_sum,
                  const char *what) {
    r.found = found;
    r.checksum = sum;
    if (found != exp_found)
      die(std::string(E::kName) + ": " + what + ": found " + std::to_string(found) +
          " records, expected " + std::to_string(exp_found));
    if (sum != exp_sum)
      die(std::string(E::kName) + ": " + what + ": checksum of the records read is wrong " +
          "(wrong values returned)");
  }

  /// Full scan: count, checksum and strict key order; dies on a mismatch with the model.
  void verify_contents(RunResult &r, uint64_t exp_count, uint64_t exp_sum, const char *what) {
    typename E::Reader rd(e_);
    rd.begin();
    uint64_t count = 0, sum = 0, unordered = 0;
    std::vector<uint8_t> prev;
    Slice k, v;
    for (bool ok = rd.first(&k, &v); ok; ok = rd.next(&k, &v)) {
      const auto *kp = static_cast<const uint8_t *>(k.data);
      if (!prev.empty()) {
        const size_t m = std::min(prev.size(), k.size);
        const int c = std::memcmp(prev.data(), kp, m);
        unordered += c > 0 || (c == 0 && prev.size() >= k.size);
      }
      prev.assign(kp, kp + k.size);
      sum += record_hash(k, v);
      ++count;
    }
    rd.end();
    r.final_count = count;
    r.final_checksum = sum;
    if (unordered)
      die(std::string(E::kName) + ": " + what + ": the final scan saw " +
          std::to_string(unordered) + " keys out of order");
    if (count != exp_count)
      die(std::string(E::kName) + ": " + what + ": the database holds " + std::to_string(count) +
          " records after the workload, expected " + std::to_string(exp_count));
    if (sum != exp_sum)
      die(std::string(E::kName) + ": " + what + ": the records after the workload have wrong " +
          "contents (checksum mismatch)");
    const TreeStat st = e_.stat();
    if (st.entries != exp_count)
      die(std::string(E::kName) + ": " + what + ": stat reports " + std::to_string(st.entries) +
          " entries, expected " + std::to_string(exp_count));
  }

  /// Stores the times, verifies the final contents, records stats and closes the env.
  RunResult finish(RunResult r, const Stopwatch &sw, uint64_t exp_count, uint64_t exp_sum,
                   const char *what) {
    r.wall_s = sw.wall_s();
    r.cpu_s = sw.cpu_s();
    verify_contents(r, exp_count, exp_sum, what);
    r.tree = e_.stat();
    const uint64_t used = e_.used_bytes();
    e_.close();
    r.space = file_space(e_.data_path(dir_));
    r.space.used_bytes = used;
    return r;
  }

  const Settings &s_;
  const Dataset &ds_;
  OpenParams p_;
  std::string dir_;
  E e_;
  std::vector<uint8_t> key_, val_;    // the timed sections' key and value buffers
  std::vector<uint8_t> hkey_, hval_;  // the model's buffers
};

}  // namespace emdb_bench
