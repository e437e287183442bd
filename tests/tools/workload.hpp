// workload.hpp — the randomized workload of the copy and tool tests: four tables of the kinds
// the dump format must carry (plain, DUPSORT, DUPSORT|DUPFIXED, INTEGERKEY), filled and thinned
// over several commits so the GC holds free pages. Keys stay within LMDB's 511-byte limit so
// the same data loads into LMDB.
#pragma once

#include <emdb/emdb.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

namespace emdb_test {

struct WorkloadTable {
  const char *name;
  unsigned flags;
};

inline constexpr WorkloadTable kWorkloadTables[] = {
    {"plain", 0},
    {"dups", EMDB_DUPSORT},
    {"fixed", EMDB_DUPSORT | EMDB_DUPFIXED},
    {"ints", EMDB_INTEGERKEY},
};

inline std::string workload_bytes(std::mt19937_64 &rng, size_t len) {
  std::string s(len, '\0');
  for (auto &c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// One write transaction of the workload on table `t` (index into kWorkloadTables): about
// `records` puts, and every third round deletes about a quarter as many. Returns an EMDB code.
inline int workload_round(EMDB_txn *txn, EMDB_dbi dbi, unsigned t, std::mt19937_64 &rng,
                          uint64_t records, unsigned round) {
  for (uint64_t i = 0; i < records; ++i) {
    std::string key, value;
    switch (t) {
      case 0:
        key = "k" + std::to_string(rng() % (records * 4)) + workload_bytes(rng, rng() % 24);
        value = workload_bytes(rng, (rng() % 97 == 0) ? 5000 + rng() % 15000 : rng() % 200);
        break;
      case 1:
        // A few hot keys get many values (DUPSORT sub-trees), the rest a few (sub-pages).
        key = (rng() % 4 == 0) ? "hot" + std::to_string(rng() % 3)
                               : "d" + std::to_string(rng() % (records / 8 + 1));
        value = workload_bytes(rng, 1 + rng() % 60);
        break;
      case 2: {
        key = (rng() % 4 == 0) ? "hot" + std::to_string(rng() % 3)
                               : "f" + std::to_string(rng() % (records / 16 + 1));
        const uint64_t v = rng();
        value.assign(reinterpret_cast<const char *>(&v), 8);
        break;
      }
      default: {
        const uint64_t k = rng() % (records * 4);
        key.assign(reinterpret_cast<const char *>(&k), 8);
        value = workload_bytes(rng, rng() % 100);
        break;
      }
    }
    EMDB_val k{key.data(), key.size()}, v{value.data(), value.size()};
    const int rc = emdb_put(txn, dbi, &k, &v, EMDB_UPSERT);
    if (rc != EMDB_SUCCESS) return rc;
  }
  if (round % 3 != 2) return EMDB_SUCCESS;
  // Deletes: walk from a random start and drop every other entry for a while.
  EMDB_cursor *c = nullptr;
  int rc = emdb_cursor_open(txn, dbi, &c);
  if (rc != EMDB_SUCCESS) return rc;
  EMDB_val k{}, v{};
  rc = emdb_cursor_get(c, &k, &v, EMDB_FIRST);
  for (uint64_t n = 0; rc == EMDB_SUCCESS && n < records / 2; ++n) {
    if (n % 2 == 0) {
      rc = emdb_cursor_del(c, EMDB_CURRENT);
      if (rc != EMDB_SUCCESS) break;
    }
    rc = emdb_cursor_get(c, &k, &v, EMDB_NEXT);
  }
  emdb_cursor_close(c);
  return rc == EMDB_NOTFOUND ? EMDB_SUCCESS : rc;
}

// The whole workload: `rounds` commits per table. Returns an EMDB code.
inline int run_workload(EMDB_env *env, uint64_t seed, uint64_t records, unsigned rounds) {
  std::mt19937_64 rng(seed);
  for (unsigned round = 0; round < rounds; ++round) {
    for (unsigned t = 0; t < 4; ++t) {
      EMDB_txn *txn = nullptr;
      int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &txn);
      if (rc != EMDB_SUCCESS) return rc;
      EMDB_dbi dbi = 0;
      rc =
          emdb_dbi_open(txn, kWorkloadTables[t].name,
                        static_cast<EMDB_db_flags_t>(kWorkloadTables[t].flags | EMDB_CREATE), &dbi);
      if (rc == EMDB_SUCCESS) rc = workload_round(txn, dbi, t, rng, records / rounds + 1, round);
      if (rc != EMDB_SUCCESS) {
        emdb_txn_abort(txn);
        return rc;
      }
      rc = emdb_txn_commit(txn);
      if (rc != EMDB_SUCCESS) return rc;
    }
  }
  return EMDB_SUCCESS;
}

}  // namespace emdb_test
