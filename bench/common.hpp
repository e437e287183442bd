// common.hpp — shared pieces of the benchmark driver: byte slices, the key and value
// generators, record hashing, fatal errors, timing and machine information.
//
// Thread safety: everything here is either pure or thread-safe (die() may be called from any
// thread; the first caller wins and the process exits).
//
// Invariants the workloads rely on:
//  1. make_key(i) sorts by i: the first 8 bytes are i in big-endian order; the remaining
//     key_size - 8 bytes are zero, except the last byte, which carries a small tag (0 for the
//     records a workload prepares, 1 for the keys crud inserts next to them).
//  2. make_value(i, salt) depends only on (i, salt, value_size, seed): both engines receive
//     byte-identical records in the same order.
//  3. record_hash(key, value) is the unit of every checksum; checksums are sums modulo 2^64,
//     so they do not depend on the order in which records are visited.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace emdb_bench {

/// A read-only view of bytes. Views returned by an engine stay valid until the transaction
/// ends or, in a write transaction, until the next write call.
struct Slice {
  const void *data = nullptr;
  size_t size = 0;
};

/// Durability modes, matched between the engines (see bench/README.md).
enum class SyncMode { sync, lazy, nosync };
const char *to_string(SyncMode m);
bool parse_sync_mode(std::string_view s, SyncMode *out);

/// Parameters every backend's open() receives.
struct OpenParams {
  SyncMode mode = SyncMode::sync;
  size_t page_size = 4096;
  size_t upper_bytes = 1u << 30;    // emdb geometry upper == LMDB mapsize
  size_t now_bytes = 1u << 20;      // emdb geometry now (LMDB grows page by page)
  size_t growth_bytes = 16u << 20;  // emdb growth step
  long long shrink_bytes = -1;      // emdb shrink threshold (-1: emdb's default, 2 x growth)
};

/// Size of the database after a workload, measured after the environment is closed.
struct SpaceInfo {
  uint64_t file_bytes = 0;   // st_size of the data file
  uint64_t alloc_bytes = 0;  // st_blocks * 512: disk space taken (LMDB's WRITEMAP file is sparse)
  uint64_t used_bytes = 0;   // (last used page + 1) * page size, from the engine
};

struct TreeStat {
  uint32_t depth = 0;
  uint64_t entries = 0;
  uint64_t branch_pages = 0;
  uint64_t leaf_pages = 0;
};

/// Prints "emdb-bench: FATAL: <msg>", removes the scratch directory if the driver created it,
/// and exits with status 2. Safe to call from any thread.
[[noreturn]] void die(const std::string &msg);
/// The scratch root that die() removes (empty: nothing to remove).
void set_cleanup_dir(const std::string &dir);

// ---- keys and values --------------------------------------------------------------------

/// splitmix64: a fast, well-mixed 64-bit generator step.
inline uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// A small deterministic generator (xorshift-multiply), identical on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return splitmix64(state_); }
  /// Uniform in [0, n); n > 0. Lemire's multiply-shift (the bias is negligible here).
  uint64_t below(uint64_t n) {
    __extension__ using u128 = unsigned __int128;
    return uint64_t(u128(next()) * n >> 64);
  }

 private:
  uint64_t state_;
};

/// Writes key i (key_size >= 8 bytes) into buf. See invariant 1.
inline void make_key(uint64_t i, uint8_t tag, uint8_t *buf, size_t key_size) {
  for (int b = 0; b < 8; ++b) buf[b] = uint8_t(i >> (56 - 8 * b));
  if (key_size > 8) {
    std::memset(buf + 8, 0, key_size - 8);
    buf[key_size - 1] = tag;
  }
}

/// Reads the counter back from a key.
inline uint64_t key_counter(const void *key) {
  const auto *p = static_cast<const uint8_t *>(key);
  uint64_t v = 0;
  for (int b = 0; b < 8; ++b) v = (v << 8) | p[b];
  return v;
}

/// Writes the value of record i with a salt (0: as filled, 1: overwritten, 2: crud inserts).
inline void make_value(uint64_t i, uint64_t salt, uint64_t seed, uint8_t *buf, size_t size) {
  uint64_t st = seed ^ (i * 0xD1B54A32D192ED03ull) ^ (salt << 56);
  size_t off = 0;
  for (; off + 8 <= size; off += 8) {
    uint64_t w = splitmix64(st);
    std::memcpy(buf + off, &w, 8);
  }
  if (off < size) {
    uint64_t w = splitmix64(st);
    std::memcpy(buf + off, &w, size - off);
  }
}

/// 64-bit hash of a byte string (word at a time; good enough to catch wrong data).
inline uint64_t hash_bytes(const void *data, size_t len) {
  const auto *p = static_cast<const uint8_t *>(data);
  uint64_t h = 0x243F6A8885A308D3ull ^ (len * 0x9E3779B97F4A7C15ull);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x9FB21C651E98DF25ull;
    h ^= h >> 29;
  }
  if (i < len) {
    uint64_t w = 0;
    std::memcpy(&w, p + i, len - i);
    h = (h ^ w) * 0x9FB21C651E98DF25ull;
    h ^= h >> 29;
  }
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  return h ^ (h >> 32);
}

/// The checksum unit of a key/value pair (invariant 3).
inline uint64_t record_hash(Slice key, Slice value) {
  return hash_bytes(key.data, key.size) * 0x2545F4914F6CDD1Dull +
         hash_bytes(value.data, value.size);
}

/// A random permutation of [0, n), Fisher-Yates driven by Rng(seed).
std::vector<uint64_t> permutation(uint64_t n, uint64_t seed);

// ---- time and machine ------------------------------------------------------------------

/// Wall-clock and CPU (user + sys of the whole process) time of a code section.
class Stopwatch {
 public:
  void start();
  void stop();
  double wall_s() const { return wall_s_; }
  double cpu_s() const { return cpu_s_; }

 private:
  double wall0_ = 0, cpu0_ = 0, wall_s_ = 0, cpu_s_ = 0;
};
double now_s();      // monotonic clock in seconds
double cpu_now_s();  // getrusage(RUSAGE_SELF) user + sys in seconds

struct MachineInfo {
  std::string cpu_model;
  unsigned cores = 0;
  uint64_t ram_bytes = 0;
  std::string kernel;
  std::string date;     // UTC, ISO 8601
  std::string fs_type;  // file system of the bench directory
  std::string hostname;
};
MachineInfo machine_info(const std::string &bench_dir);

/// Measures the disk's flush rate: a loop of pwrite(4 KiB) + fdatasync in dir for about
/// `seconds`; returns flushes per second (0 if the file could not be created).
double measure_flush_rate(const std::string &dir, double seconds);

/// File size figures for a data file (zeros if it does not exist).
SpaceInfo file_space(const std::string &path);

/// Recursively removes a directory; ignores errors.
void remove_tree(const std::string &dir);
/// Creates a directory (and parents); dies on failure.
void make_dirs(const std::string &dir);

}  // namespace emdb_bench
