// workload.hpp — the deterministic write workload of the durability tests, with its model.
//
// A Workload turns a seed into a sequence of transactions over two tables ("kv": plain, with
// some large values; "dup": DUPSORT). Txn(i) applies transaction i to an EMDB_txn and to the
// model; State hashes identify committed states, so a recovered database can be matched against
// "exactly one committed state". The same seed always yields the same transactions, which lets
// a parent process replay what a killed child committed.
#pragma once

#include <emdb/emdb.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>

namespace emdb_test {

struct Model {
  std::map<std::string, std::string> kv;
  std::set<std::pair<std::string, std::string>> dup;
  uint64_t Hash() const;
};

class Workload {
 public:
  Workload(uint64_t seed, uint32_t pagesize) : rng_(seed), psize_(pagesize) {}
  // Applies the next transaction to the model only (replay).
  void NextModelOnly(Model* m);
  // Applies the next transaction to `txn` and to `m`; returns the first non-zero code of the
  // engine (the model is then undefined: the caller discards it).
  int Next(EMDB_txn* txn, Model* m);

 private:
  struct Op {
    int kind;  // 0 put kv, 1 del kv, 2 put dup, 3 del dup, 4 del dup key
    std::string k, v;
  };
  void Generate(std::vector<Op>* ops);
  std::mt19937_64 rng_;
  uint32_t psize_;
};

// Content of the database, hashed exactly like Model::Hash (0 tables missing = empty).
int HashDatabase(EMDB_env* env, uint64_t* hash);

// Opens (or creates) the test database at `dir`: 4 tables at most, page size `psize`, upper
// bound `upper_bytes`, growth step 16 pages, env flags `flags`. On failure nothing stays open.
int OpenTestEnv(const std::string& dir, unsigned flags, unsigned psize, intptr_t upper_bytes,
                EMDB_env** out);

// Page accounting of the database (every page used exactly once), from a new write txn that
// is then aborted.
int AuditDatabase(EMDB_env* env);

}  // namespace emdb_test
