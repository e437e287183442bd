// engine/base/status.hpp — status codes and tiered self-checks used throughout the engine.
//
// The engine reports errors as `int` status codes with the numeric values of the public API
// (EMDB_* codes from emdb.h, or positive errno values). It never throws. Functions that can
// fail are [[nodiscard]].
//
// Checks:
//  - EMDB_ENSURE(cond): always on; an impossible state. Logs and aborts the process, because
//    continuing could write a corrupted database.
//  - EMDB_DCHECK(cond): debug builds only.
//  - Corruption met while reading a file is NOT a check failure: it returns EMDB_CORRUPTED.
#pragma once

#include <emdb/emdb.h>

#include <cstdio>
#include <cstdlib>

namespace emdb {

using Status = int;

[[noreturn]] void EnsureFailed(const char* expr, const char* file, int line);

}  // namespace emdb

#define EMDB_ENSURE(cond)                              \
  do {                                                 \
    if (__builtin_expect(!(cond), 0)) {                \
      ::emdb::EnsureFailed(#cond, __FILE__, __LINE__); \
    }                                                  \
  } while (0)

#ifndef NDEBUG
#define EMDB_DCHECK(cond) EMDB_ENSURE(cond)
#else
#define EMDB_DCHECK(cond) \
  do {                    \
  } while (0)
#endif

#define EMDB_LIKELY(x) __builtin_expect(!!(x), 1)
#define EMDB_UNLIKELY(x) __builtin_expect(!!(x), 0)

// Return early on a non-zero status.
#define EMDB_TRY(expr)                  \
  do {                                  \
    ::emdb::Status _emdb_rc = (expr);   \
    if (EMDB_UNLIKELY(_emdb_rc != 0)) { \
      return _emdb_rc;                  \
    }                                   \
  } while (0)
