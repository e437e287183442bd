// emdb-example — the project's main job: build a database, read it all back, time each phase.
//
//   emdb-example [--records N] [--batch N] [DIR]      (DIR defaults to ./example-db)
//
// 1. Deletes DIR if it holds an emdb database (refuses to touch anything else), creates it with
//    an explicit geometry (lower 1 MiB, now 16 MiB, upper 4 GiB, growth 16 MiB, shrink 32 MiB,
//    4 KiB pages) and room for 4 named tables.
// 2. Writes N records (default 1,000,000) into the table "plain": 16-byte keys (a big-endian
//    counter, then 8 bytes derived from it) and 100-byte values, `--batch` puts per write
//    transaction (default 10,000).
// 3. Writes N records into the DUPSORT table "multi": N/10 keys with 10 values each.
// 4. Reads "plain" back with point gets in a shuffled order and "multi" with a cursor walk
//    (EMDB_NEXT), verifying every key and value and the counts.
// Prints the time and rate of each phase. Exits 1 on any error or mismatch, 2 on bad usage.
// The database is left in DIR for `emdb stat` (see cmake/run.sh main).
//
// It uses the C API (emdb.h) only.
#include <emdb/emdb.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

constexpr std::size_t kKeySize = 16;
constexpr std::size_t kValueSize = 100;
constexpr std::uint64_t kDupsPerKey = 10;
constexpr std::intptr_t kMiB = std::intptr_t{1} << 20;

using Key = std::array<unsigned char, kKeySize>;
using Value = std::array<unsigned char, kValueSize>;

// A small, fast deterministic generator (splitmix64).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void put_be64(unsigned char *p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
}

// Key n: big-endian n (so keys sort in counter order), then 8 bytes that depend on n.
Key make_key(std::uint64_t n, std::uint64_t salt) {
  Key k;
  put_be64(k.data(), n);
  put_be64(k.data() + 8, mix(n ^ salt));
  return k;
}

// Value (n, dup): a big-endian dup index first (so the values of one key sort by dup index),
// then bytes that depend on n and dup.
Value make_value(std::uint64_t n, std::uint32_t dup, std::uint64_t salt) {
  Value v;
  v[0] = static_cast<unsigned char>(dup >> 24);
  v[1] = static_cast<unsigned char>(dup >> 16);
  v[2] = static_cast<unsigned char>(dup >> 8);
  v[3] = static_cast<unsigned char>(dup);
  std::uint64_t state = mix(n * 0x100000001b3ull + dup + salt);
  for (std::size_t i = 4; i < kValueSize; i += 8) {
    state = mix(state);
    const std::size_t len = std::min<std::size_t>(8, kValueSize - i);
    std::memcpy(v.data() + i, &state, len);
  }
  return v;
}

constexpr std::uint64_t kPlainSalt = 0x706c61696e;  // "plain"
constexpr std::uint64_t kMultiSalt = 0x6d756c7469;  // "multi"

EMDB_val as_val(const void *data, std::size_t size) {
  return EMDB_val{const_cast<void *>(data), size};
}

bool same(const EMDB_val &v, const unsigned char *expected, std::size_t size) {
  return v.iov_len == size && std::memcmp(v.iov_base, expected, size) == 0;
}

// Prints "what: rc text" and returns false, for `if (!check(...)) return 1;`.
bool check(int rc, const char *what) {
  if (rc == EMDB_SUCCESS) return true;
  std::fprintf(stderr, "emdb-example: %s: %s (%d)\n", what, emdb_strerror(rc), rc);
  return false;
}

class Timer {
 public:
  Timer() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

void report_phase(const char *name, std::uint64_t ops, std::uint64_t txns, double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(ops) / seconds : 0.0;
  std::printf("  %-12s %10" PRIu64 " records %6" PRIu64 " txns %9.3f s %12.0f ops/s\n", name, ops,
              txns, seconds, rate);
  std::fflush(stdout);
}

struct Options {
  std::string dir = "./example-db";
  std::uint64_t records = 1000000;
  std::uint64_t batch = 10000;
};

bool parse_u64(const char *text, std::uint64_t &out) {
  char *end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v == 0) return false;
  out = v;
  return true;
}

int usage(const char *argv0) {
  std::fprintf(stderr, "usage: %s [--records N] [--batch N] [DIR]\n", argv0);
  return 2;
}

// Deletes an earlier database in `dir`; refuses if the directory holds anything else.
bool fresh_directory(const std::string &dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      std::fprintf(stderr, "emdb-example: %s: exists and is not a directory\n", dir.c_str());
      return false;
    }
    for (const auto &entry : fs::directory_iterator(dir, ec)) {
      const auto name = entry.path().filename().string();
      // emdb.dat-lck: left by opening the data file itself as a NOSUBDIR environment.
      if (name != "emdb.dat" && name != "emdb.lck" && name != "emdb.dat-lck") {
        std::fprintf(stderr,
                     "emdb-example: %s: not an emdb database (holds %s); refusing to delete it\n",
                     dir.c_str(), name.c_str());
        return false;
      }
    }
    fs::remove_all(dir, ec);
    if (ec) {
      std::fprintf(stderr, "emdb-example: %s: cannot delete: %s\n", dir.c_str(),
                   ec.message().c_str());
      return false;
    }
  }
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "emdb-example: %s: cannot create: %s\n", dir.c_str(),
                 ec.message().c_str());
    return false;
  }
  return true;
}

// The environment handle, closed on every path out of run().
struct EnvCloser {
  EMDB_env *env = nullptr;
  ~EnvCloser() {
    if (env != nullptr) emdb_env_close(env);
  }
};

// Writes `total` records, `batch` per transaction; put(i) stores record i.
template <typename Put>
bool write_phase(EMDB_env *env, const char *name, std::uint64_t total, std::uint64_t batch,
                 Put put) {
  Timer timer;
  std::uint64_t txns = 0;
  for (std::uint64_t first = 0; first < total; first += batch) {
    EMDB_txn *txn = nullptr;
    if (!check(emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn), "begin write txn")) {
      return false;
    }
    const std::uint64_t last = std::min(total, first + batch);
    for (std::uint64_t i = first; i < last; ++i) {
      const int rc = put(txn, i);
      if (rc != EMDB_SUCCESS) {
        check(rc, name);
        std::fprintf(stderr, "emdb-example: ... at record %" PRIu64 "\n", i);
        emdb_txn_abort(txn);
        return false;
      }
    }
    if (!check(emdb_txn_commit(txn), "commit")) return false;
    ++txns;
  }
  report_phase(name, total, txns, timer.seconds());
  return true;
}

bool check_entries(EMDB_env *env, EMDB_dbi dbi, const char *name, std::uint64_t expected) {
  EMDB_txn *txn = nullptr;
  if (!check(emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &txn), "begin read txn")) return false;
  EMDB_stat st{};
  const int rc = emdb_dbi_stat(txn, dbi, &st, sizeof st);
  emdb_txn_abort(txn);
  if (!check(rc, "emdb_dbi_stat")) return false;
  std::printf("  table %-6s %10" PRIu64 " entries, depth %u, %" PRIu64 " branch + %" PRIu64
              " leaf + %" PRIu64 " large pages\n",
              name, st.ms_entries, st.ms_depth, st.ms_branch_pages, st.ms_leaf_pages,
              st.ms_overflow_pages);
  if (st.ms_entries != expected) {
    std::fprintf(stderr, "emdb-example: table %s has %" PRIu64 " entries, expected %" PRIu64 "\n",
                 name, st.ms_entries, expected);
    return false;
  }
  return true;
}

int run(const Options &opt) {
  if (!fresh_directory(opt.dir)) return 1;
  std::printf("emdb %s example: %s, %" PRIu64 " records per table, %" PRIu64 " per txn\n",
              emdb_version(), opt.dir.c_str(), opt.records, opt.batch);

  EnvCloser guard;
  if (!check(emdb_env_create(&guard.env), "emdb_env_create")) return 1;
  EMDB_env *env = guard.env;
  if (!check(
          emdb_env_set_geometry(env, 1 * kMiB, 16 * kMiB, 4096 * kMiB, 16 * kMiB, 32 * kMiB, 4096),
          "emdb_env_set_geometry")) {
    return 1;
  }
  if (!check(emdb_env_set_maxdbs(env, 4), "emdb_env_set_maxdbs")) return 1;
  if (!check(emdb_env_open(env, opt.dir.c_str(), EMDB_ENV_DEFAULTS, 0644), "emdb_env_open")) {
    return 1;
  }

  // Create both tables in one transaction.
  EMDB_dbi plain = 0, multi = 0;
  {
    EMDB_txn *txn = nullptr;
    if (!check(emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn), "begin write txn")) {
      return 1;
    }
    if (!check(emdb_dbi_open(txn, "plain", EMDB_CREATE, &plain), "create table plain") ||
        !check(emdb_dbi_open(txn, "multi", EMDB_CREATE | EMDB_DUPSORT, &multi),
               "create table multi")) {
      emdb_txn_abort(txn);
      return 1;
    }
    if (!check(emdb_txn_commit(txn), "commit")) return 1;
  }

  const std::uint64_t n = opt.records;
  const std::uint64_t multi_keys = (n + kDupsPerKey - 1) / kDupsPerKey;
  const std::uint64_t multi_records = multi_keys * kDupsPerKey;
  Timer total;

  // Phase 1: plain table.
  if (!write_phase(env, "put plain", n, opt.batch, [&](EMDB_txn *txn, std::uint64_t i) {
        const Key k = make_key(i, kPlainSalt);
        const Value v = make_value(i, 0, kPlainSalt);
        EMDB_val key = as_val(k.data(), k.size());
        EMDB_val val = as_val(v.data(), v.size());
        return emdb_put(txn, plain, &key, &val, EMDB_UPSERT);
      })) {
    return 1;
  }

  // Phase 2: DUPSORT table, record i = key i / 10, value i % 10.
  if (!write_phase(env, "put multi", multi_records, opt.batch, [&](EMDB_txn *txn, std::uint64_t i) {
        const std::uint64_t key_no = i / kDupsPerKey;
        const auto dup = static_cast<std::uint32_t>(i % kDupsPerKey);
        const Key k = make_key(key_no, kMultiSalt);
        const Value v = make_value(key_no, dup, kMultiSalt);
        EMDB_val key = as_val(k.data(), k.size());
        EMDB_val val = as_val(v.data(), v.size());
        return emdb_put(txn, multi, &key, &val, EMDB_UPSERT);
      })) {
    return 1;
  }

  // Phase 3: point gets on "plain" in a shuffled order, one read transaction.
  {
    std::vector<std::uint64_t> order(n);
    std::iota(order.begin(), order.end(), std::uint64_t{0});
    std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
    Timer timer;
    EMDB_txn *txn = nullptr;
    if (!check(emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &txn), "begin read txn")) return 1;
    std::uint64_t found = 0;
    for (const std::uint64_t i : order) {
      const Key k = make_key(i, kPlainSalt);
      const Value expected = make_value(i, 0, kPlainSalt);
      EMDB_val key = as_val(k.data(), k.size());
      EMDB_val val{};
      const int rc = emdb_get(txn, plain, &key, &val);
      if (rc != EMDB_SUCCESS) {
        check(rc, "emdb_get plain");
        std::fprintf(stderr, "emdb-example: ... record %" PRIu64 "\n", i);
        emdb_txn_abort(txn);
        return 1;
      }
      if (!same(val, expected.data(), expected.size())) {
        std::fprintf(stderr, "emdb-example: plain record %" PRIu64 ": wrong value\n", i);
        emdb_txn_abort(txn);
        return 1;
      }
      ++found;
    }
    emdb_txn_abort(txn);
    report_phase("get plain", found, 1, timer.seconds());
    if (found != n) return 1;
  }

  // Phase 4: cursor walk over "multi", every pair in order.
  {
    Timer timer;
    EMDB_txn *txn = nullptr;
    if (!check(emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &txn), "begin read txn")) return 1;
    EMDB_cursor *cursor = nullptr;
    if (!check(emdb_cursor_open(txn, multi, &cursor), "emdb_cursor_open")) {
      emdb_txn_abort(txn);
      return 1;
    }
    std::uint64_t seen = 0;
    bool ok = true;
    EMDB_val key{}, val{};
    int rc = EMDB_SUCCESS;
    while ((rc = emdb_cursor_get(cursor, &key, &val, EMDB_NEXT)) == EMDB_SUCCESS) {
      const std::uint64_t key_no = seen / kDupsPerKey;
      const auto dup = static_cast<std::uint32_t>(seen % kDupsPerKey);
      const Key k = make_key(key_no, kMultiSalt);
      const Value v = make_value(key_no, dup, kMultiSalt);
      if (seen >= multi_records || !same(key, k.data(), k.size()) ||
          !same(val, v.data(), v.size())) {
        std::fprintf(stderr,
                     "emdb-example: multi pair %" PRIu64 " (key %" PRIu64
                     ", value %u): wrong key or value\n",
                     seen, key_no, dup);
        ok = false;
        break;
      }
      ++seen;
    }
    if (ok && rc != EMDB_NOTFOUND) ok = check(rc, "emdb_cursor_get multi");
    emdb_cursor_close(cursor);
    emdb_txn_abort(txn);
    if (!ok) return 1;
    report_phase("scan multi", seen, 1, timer.seconds());
    if (seen != multi_records) {
      std::fprintf(stderr, "emdb-example: multi has %" PRIu64 " pairs, expected %" PRIu64 "\n",
                   seen, multi_records);
      return 1;
    }
  }

  if (!check_entries(env, plain, "plain", n) ||
      !check_entries(env, multi, "multi", multi_records)) {
    return 1;
  }

  EMDB_envinfo info{};
  if (!check(emdb_env_info_ex(env, nullptr, &info, sizeof info), "emdb_env_info_ex")) return 1;
  std::printf("  database file %.1f MiB, %" PRIu64 " pages used, last txnid %" PRIu64 "\n",
              static_cast<double>(info.mi_geo.current) / static_cast<double>(kMiB),
              info.mi_last_pgno + 1, info.mi_recent_txnid);

  const int rc = emdb_env_close(env);
  guard.env = nullptr;
  if (!check(rc, "emdb_env_close")) return 1;
  std::printf("OK: %" PRIu64 " records written and verified in %.3f s\n", n + multi_records,
              total.seconds());
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  Options opt;
  bool have_dir = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--records" || arg == "--batch") && i + 1 < argc) {
      if (!parse_u64(argv[++i], arg == "--records" ? opt.records : opt.batch)) {
        return usage(argv[0]);
      }
    } else if (arg == "-h" || arg == "--help") {
      usage(argv[0]);
      return 0;
    } else if (!arg.empty() && arg[0] != '-' && !have_dir) {
      opt.dir = argv[i];
      have_dir = true;
    } else {
      return usage(argv[0]);
    }
  }
  return run(opt);
}
