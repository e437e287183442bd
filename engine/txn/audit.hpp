// engine/txn/audit.hpp — page accounting of a write txn (invariant T2), an expensive
// self-check run at commit under EMDB_AUDIT=1 (tests and debugging).
#pragma once

#include <vector>

#include "core/internal.hpp"

namespace emdb::txn {

bool AuditEnabled();
// Verifies that every page in [0, next_pgno) is used exactly once. The named tables are
// walked through the records in the main tree (call it after they were saved).
[[nodiscard]] Status Audit(Txn* t, const std::vector<pgno_t>& extra_free);

}  // namespace emdb::txn
