// engine/base/failpoint.cpp — see failpoint.hpp.
#include "base/failpoint.hpp"

namespace emdb::fp {

std::atomic<Hook> g_hook{nullptr};

void TEST_SetHook(Hook hook) { g_hook.store(hook); }

}  // namespace emdb::fp
