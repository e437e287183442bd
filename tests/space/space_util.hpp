// space_util.hpp — helpers of the space-management tests: white-box page accounting, GC record
// listing, file sizes, geometry shortcuts.
#pragma once

#include <emdb/emdb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/fixture.hpp"

namespace emdb_test::space {

// Runs the full page-accounting audit (engine/txn/audit.hpp, invariant T2) in a fresh write txn
// of `env`, then aborts it. Returns the audit's code.
int audit(EMDB_env* env);
// The txnids of the GC records, in key order (one entry per chunk), seen by a read txn.
std::vector<uint64_t> gc_record_txnids(EMDB_env* env);
// The GC keys as txnid * 2^32 + chunk, in key order.
std::vector<uint64_t> gc_record_keys(EMDB_env* env);
// Size of the data file of a database directory.
long long data_size(const std::string& dir);
// emdb_gc_info in a fresh read txn.
EMDB_gc_info gc_info(EMDB_env* env);
EMDB_envinfo env_info(EMDB_env* env);
// Puts `count` values of `size` bytes under key_n(first + i), committed in one txn.
int put_range(EMDB_env* env, EMDB_dbi dbi, uint64_t first, uint64_t count, size_t size,
              uint64_t salt = 0);
// Thread CPU time in nanoseconds.
uint64_t thread_cpu_ns();

inline constexpr intptr_t KiB = 1024, MiB = 1024 * 1024;

}  // namespace emdb_test::space
