// engine/env/tables.hpp — renaming named tables and listing them (emdb_dbi_rename,
// emdb_enumerate_tables).
//
// A named table is a record in the main tree keyed by its name (docs/format.md); the handle
// (env->dbis[dbi]) carries the name the commit writes the record under.
//
// Rename, in a write txn: refuses a name that an open handle or a main-tree key already has
// (EMDB_KEYEXIST); deletes the record under the old name from the main tree, gives the handle
// the new name, and marks the table dirty, so the commit writes its record under the new name.
// The old name is kept in txn->renamed and put back if the txn (or the nested txn that renamed)
// aborts. As in libmdbx, handle names are shared by the whole environment: a read txn that
// loads the handle after the rename looks the table up under the new name.
//
// Enumerate: every named table the txn sees, in the main tree's key order: the records of the
// main tree, with the txn's own record (current statistics) for tables whose handle the txn
// has loaded, plus the tables created or renamed by the txn and not yet written to the main
// tree.
//
// Thread safety: as txns. Handle names are read and changed under env->dbi_mu.
#pragma once

#include "core/internal.hpp"

namespace emdb::env {

[[nodiscard]] Status Rename(Txn* t, EMDB_dbi dbi, Slice name);

// Called once per table with its name, record and open handle (0 if none is open); a nonzero
// return stops the enumeration and is returned.
using TableVisitor = int (*)(void* ctx, Slice name, const TreeRecord& rec, EMDB_dbi dbi);
[[nodiscard]] Status EnumerateTables(Txn* t, TableVisitor visit, void* ctx);

}  // namespace emdb::env
