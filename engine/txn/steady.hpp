// engine/txn/steady.hpp — steady points made in the background (lazy mode, EMDB_SAFE_NOSYNC).
//
// In lazy mode commits are weak: their pages and meta are written but not flushed, and the
// pages freed since the last steady point stay pinned (a system crash rolls back to that point,
// which still references them). A steady point — flush the data, then write the head meta with
// a steady signature — unpins them. Made by the writer, it stalls the writer on the flush of
// everything the weak commits wrote (tens of milliseconds per growth step of churn). Here the
// writer hands the slow half to a flusher thread and goes on committing (pwrite mode only: with
// EMDB_WRITEMAP a flush beside the writer write-protects the pages it is writing, and the
// writer keeps its synchronous steady points):
//
//   1. Request (writer, end of a weak commit H, once half a growth step is unflushed): copy
//      H's meta page image; the flusher thread flushes the data file (fdatasync). Every page H's
//      snapshot reaches was written before the request, so when the flush returns, H's snapshot is
//      on disk.
//   2. Promote (writer, under the writer lock, at a later commit or when the allocator runs
//      short): write H's meta with a steady signature into the meta slot that is neither the
//      head nor the steady one, durably (a write that is flushed by itself: RWF_DSYNC). H is now
//      the steady point; the unflushed count drops by what was unflushed at H.
//
// Invariants
//   A1 Only the writer (holding the writer lock) writes a meta page; the flusher thread only
//      flushes. So slot choice never races, in this process or another.
//   A2 A promoted H is newer than the current steady meta and older than the head (H == head is
//      promoted in place by txn::SteadyHead); a newer steady point made meanwhile makes the
//      request moot (it is dropped). So the unflushed count never underflows: nothing reset it
//      between the request and the promotion.
//   A3 H's pages must all lie inside the file when it is promoted: after any shrink since the
//      request (which may have cut them, even if the file grew back) the request is dropped.
//      The promoted meta records the current size. A steady point made inside a write txn
//      (txn::SteadyHead from the allocator or the commit) never cuts that txn's pages.
//   A4 A failed flush panics the environment (as a failed synchronous flush does): the kernel
//      may have dropped dirty pages it then reports clean.
//   A5 Stop() joins the thread before the file or the map go away (emdb_env_close); in a forked
//      child the thread does not exist and is only detached.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.hpp"

namespace emdb {
struct Env;
}

namespace emdb::steady {

// Lazy mode and a file whose flushes may run beside the writer: background steady points apply.
bool Applies(const Env* env, unsigned mode);

// End of weak commit `txnid` (writer): requests a background flush if enough is unflushed and
// none is pending. `meta_page` is the meta page image just written for `txnid`.
// `retired` is the lock file's pages_retired once `txnid` is counted.
void MaybeRequest(Env* env, uint64_t txnid, const std::vector<uint8_t>& meta_page,
                  uint64_t retired);

// Writer, holding the writer lock: if a requested flush has finished, makes its txn the steady
// point (A2/A3) and sets *promoted. A failed flush returns its error (A4).
[[nodiscard]] Status Promote(Env* env, bool* promoted);

// A flush was requested and has not been promoted (or dropped) yet.
bool Pending(const Env* env);
// The txn of that request (a snapshot that may yet become steady), or 0 (writer only).
uint64_t PendingTxnid(const Env* env);

// Joins the flusher thread (A5); a pending request is dropped (its steady point is simply not
// made: emdb_env_close makes its own).
void Stop(Env* env);

}  // namespace emdb::steady
