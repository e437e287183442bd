// engine/env/env.hpp — opening and closing environments, geometry, tables (dbi handles),
// statistics. The C API (api/src/) validates arguments and calls these.
//
// Open, step by step:
//   1. resolve paths (directory with emdb.dat + emdb.lck, or NOSUBDIR: file + file-lck)
//   2. refuse a second open of the same file in this process (EMDB_BUSY)
//   3. open the lock file (reader table, writer lock)
//   4. open the data file; an empty file (or one whose metas were never written) is created:
//      three metas with txnid 1 in slot 0, flushed — as crash-safe as a commit
//   5. read the metas, pick the newest valid one, check magic, version, page size
//   6. recovery (the lock file's initializer only, before anyone else may join): a weak meta
//      newer than the newest steady one whose boot id is not this boot's is overwritten by an
//      empty slot, so the database rolls back to its last steady point (a read-only open
//      returns EMDB_WANNA_RECOVERY instead); emdb_env_open_for_recovery forces one meta
//   7. reserve address space for the upper bound and map the file
//
// Thread safety: Open/Close are not concurrent with other calls on the same env.
#pragma once

#include "core/internal.hpp"

namespace emdb::env {

[[nodiscard]] Status Open(Env* env, const char* path, unsigned flags, mode_t mode);
void Close(Env* env);
// Opens (or creates) a named table; name == nullptr: the main table.
[[nodiscard]] Status DbiOpen(Txn* t, const Slice* name, unsigned flags, EMDB_dbi* out);
[[nodiscard]] Status Drop(Txn* t, EMDB_dbi dbi, bool del);
void StatOf(const Env* env, const TreeRecord& rec, EMDB_stat* st);
uint64_t NextEnvId();
// emdb_preopen_snapinfo: reads the metas of the database at `path` (a directory, or the data
// file itself) with pread, without a lock file or a map.
[[nodiscard]] Status SnapInfo(const char* path, EMDB_envinfo* info);

}  // namespace emdb::env
