// engine/txn/txn.hpp — read and write transactions: begin, commit (the durability protocol),
// abort, reset/renew, nested transactions, and the GC record of each commit.
//
// Commit protocol of a top-level write txn (failpoints named for the durability tests):
//   1. write the records of changed named tables into the main tree
//   2. save the GC (space::SaveGc): refund free pages at the end of the file, then records
//      under this txnid for the pages retired by the txn, and under the newest eligible txnid
//      for the reclaimed and loose pages it did not use (a loop, since saving allocates)
//   3. write the dirty pages sorted by page number, coalesced (pwritev) — or memcpy into the
//      writable map with EMDB_WRITEMAP                                   [commit.before_data_sync]
//   4. flush data (SYNC_DURABLE, NOMETASYNC)                            [commit.before_meta_write]
//   5. write the meta into the slot that is neither the newest nor the newest steady meta;
//      its sign is the checksum (steady) or WEAK                          [commit.before_meta_sync]
//   6. flush the meta (SYNC_DURABLE)
//   7. publish the txnid in the lock file; release the writer lock
// A failure before 5 leaves the file's committed state untouched. A failure at 6 makes the
// environment panic (the meta may or may not be on disk).
//
// Thread safety: as core/internal.hpp.
#pragma once

#include "core/internal.hpp"

namespace emdb::txn {

[[nodiscard]] Status BeginRead(Env* env, Txn* t);
[[nodiscard]] Status BeginWrite(Env* env, Txn* parent, unsigned flags, Txn* t);
[[nodiscard]] Status Commit(Txn* t, EMDB_commit_latency* latency);
// Ends the txn (releases its snapshot or discards its changes). Does not free `t`.
void Abort(Txn* t);
// Read txns: release the snapshot, keep the object.
void ResetRead(Txn* t);
// Loads the record of table `dbi` into the txn (EMDB_BAD_DBI if it no longer exists).
[[nodiscard]] Status LoadDbi(Txn* t, EMDB_dbi dbi);
// Reads the three metas from the map; returns the index of the newest valid one and of the
// newest steady one (-1 if none).
void PickMetas(const Env* env, int* head, int* steady);
// Decodes meta slot i from the map with word-atomic loads (a WRITEMAP writer may be storing
// into that slot; base/shared_words.hpp). The result may be torn: judge it with MetaValid or
// the head_txnid re-check.
Meta ReadMetaShared(const Env* env, unsigned i);
bool MetaValid(const Env* env, const Meta& m);
// PickMetas for the holder of the writer lock, with the verdicts cached per slot; *txnids
// receives each slot's txnid (0 when invalid).
void PickMetasLocked(Env* env, int* head, int* steady, uint64_t* txnids);
// The newest GC record a write txn may reclaim (records with txnid <= it): nothing a reader
// (oldest snapshot `oldest`) or the steady meta `steady_txnid` still reaches.
uint64_t GcLimit(const Env* env, uint64_t oldest, uint64_t steady_txnid);
// Flushes everything and writes a steady meta if the newest is weak.
[[nodiscard]] Status SyncEnv(Env* env, bool force, bool nonblock);
// With the writer lock held: flushes the data and rewrites the newest meta as steady.
// `data_flushed`: everything the head's snapshot reaches is known to be flushed already (a
// background flush finished after the head was written, txn/steady.hpp): only the meta is
// written. Pages written since (the commit under way) are not the head's and need no flush.
[[nodiscard]] Status SteadyHead(Env* env, bool data_flushed = false);
// emdb_env_turn_for_recovery: makes meta `target` the newest steady one (newer metas become
// empty slots) and leaves recovery mode.
[[nodiscard]] Status TurnForRecovery(Env* env, unsigned target);
// Unbinds every cursor of the txn.
void UnbindCursors(Txn* t);

}  // namespace emdb::txn
