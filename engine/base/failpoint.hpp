// engine/base/failpoint.hpp — named points in the commit and recovery paths where tests inject
// a failure or simulate a crash (docs/durability.md lists every name and where it sits).
//
// EMDB_FAILPOINT("commit.before_meta_write") asks the installed hook; a non-zero status is
// returned from the enclosing function exactly as an I/O error at that point would be. With no
// hook installed the cost is one relaxed atomic load.
#pragma once

#include <atomic>

#include "base/status.hpp"

namespace emdb::fp {

using Hook = Status (*)(const char* name);

extern std::atomic<Hook> g_hook;

// Installs (or with nullptr removes) the hook. Tests only.
void TEST_SetHook(Hook hook);

inline Status Hit(const char* name) {
  Hook h = g_hook.load(std::memory_order_relaxed);
  return EMDB_UNLIKELY(h != nullptr) ? h(name) : Status(0);
}

}  // namespace emdb::fp

// Evaluates to the status the test hook chose for this point (0 when none).
#define EMDB_FAILPOINT(name) ::emdb::fp::Hit(name)
