// engine/txn/steady.cpp — see steady.hpp.
#include "txn/steady.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "base/failpoint.hpp"
#include "base/log.hpp"
#include "core/internal.hpp"
#include "txn/txn.hpp"

namespace emdb::steady {

using namespace format;

// The flusher of one environment. `state` moves idle → flushing → flushed (→ idle at the
// promotion or when dropped); the request fields are the writer's while idle or flushed and the
// thread's while flushing.
struct Flusher {
  enum State : int { kIdle = 0, kFlushing = 1, kFlushed = 2 };
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int> state{kIdle};
  bool stop = false;
  uint64_t txnid = 0;           // H, the txn whose snapshot the flush makes durable
  uint64_t unsync_at_req = 0;   // the unflushed count when H committed
  uint64_t cuts_at_req = 0;     // the lock file's file_cuts when H committed (A3)
  uint64_t retired_at_req = 0;  // the lock file's pages_retired once H was counted
  std::vector<uint8_t> image;   // H's meta page as written
  Status rc = 0;                // the flush's result
  uint32_t pid = 0;             // the process that started the thread (A5)
  std::thread thread;
};

namespace {

uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

void Run(Env* env, Flusher* f) {
  std::unique_lock<std::mutex> g(f->mu);
  for (;;) {
    f->cv.wait(g, [f] { return f->stop || f->state.load() == Flusher::kFlushing; });
    if (f->stop) return;
    g.unlock();
    // Everything written so far, H's pages among them (more is harmless).
    Status rc = env->file->DataSync();
    g.lock();
    f->rc = rc;
    f->state.store(Flusher::kFlushed);
  }
}

// Bytes of unflushed commits after which a background flush starts: half a growth step, so that
// it is done before the allocator's synchronous steady point (one whole step, txn/pages.cpp).
uint64_t RequestBytes(const Env* env) {
  return std::max<uint64_t>(env->geo.grow, 16) * env->psize / 2;
}

}  // namespace

bool Applies(const Env* env, unsigned mode) {
  // Not with EMDB_WRITEMAP: a flush of the writable map write-protects every page it cleans,
  // so the writer faults on them again at once; flushing beside it cost several times the CPU
  // of flushing in its place (docs/performance.md, "Session 5").
  return (mode & EMDB_UTTERLY_NOSYNC) == EMDB_SAFE_NOSYNC && !(env->flags & EMDB_WRITEMAP) &&
         env->recovery_meta < 0 && env->file->ConcurrentFlush();
}

bool Pending(const Env* env) {
  return env->flusher != nullptr && env->flusher->state.load() != Flusher::kIdle;
}

uint64_t PendingTxnid(const Env* env) {
  // The writer alone sets txnid, while the flusher is idle: no lock needed to read it here.
  return Pending(env) ? env->flusher->txnid : 0;
}

void MaybeRequest(Env* env, uint64_t txnid, const std::vector<uint8_t>& meta_page,
                  uint64_t retired) {
  if (env->lck.header()->unsync_bytes.load(std::memory_order_relaxed) < RequestBytes(env)) return;
  Flusher* f = env->flusher;
  if (f != nullptr && f->state.load() != Flusher::kIdle) return;
  if (f == nullptr) {
    f = env->flusher = new Flusher;
    f->pid = uint32_t(::getpid());
    f->thread = std::thread(Run, env, f);
  }
  std::lock_guard<std::mutex> g(f->mu);
  f->txnid = txnid;
  f->unsync_at_req = env->lck.header()->unsync_bytes.load();
  f->cuts_at_req = env->lck.header()->file_cuts.load();
  f->retired_at_req = retired;
  f->image.assign(meta_page.begin(), meta_page.begin() + env->psize);
  f->rc = 0;
  f->state.store(Flusher::kFlushing);
  f->cv.notify_one();
}

Status Promote(Env* env, bool* promoted) {
  *promoted = false;
  Flusher* f = env->flusher;
  if (f == nullptr || f->state.load() != Flusher::kFlushed) return 0;
  uint64_t h, unsync_at_req, cuts_at_req, retired_at_req;
  Status flush_rc;
  std::vector<uint8_t> image;
  {
    std::lock_guard<std::mutex> g(f->mu);
    h = f->txnid;
    unsync_at_req = f->unsync_at_req;
    cuts_at_req = f->cuts_at_req;
    retired_at_req = f->retired_at_req;
    flush_rc = f->rc;
    image.swap(f->image);
    f->state.store(Flusher::kIdle);
  }
  if (flush_rc != 0) {
    EMDB_LOG_ERR("background flush for txn %llu failed: %d; environment panics",
                 (unsigned long long)h, flush_rc);
    env->panic.store(true);
    return flush_rc;
  }
  int head, steady;
  uint64_t txnids[kNumMetas];
  txn::PickMetasLocked(env, &head, &steady, txnids);
  if (head < 0) return EMDB_CORRUPTED;
  const uint64_t steady_txnid = steady >= 0 ? txnids[steady] : 0;
  if (steady_txnid >= h) return 0;  // a newer steady point was made meanwhile (A2)
  if (txnids[head] == h) {
    // Nothing committed since: the head itself becomes steady. Its data is flushed already;
    // what the commit under way (if any) wrote since is not its, and is not flushed here: that
    // flush, in the writer, is what the background flush is for.
    EMDB_TRY(txn::SteadyHead(env, /*data_flushed=*/true));
    *promoted = true;
    return 0;
  }
  Meta m = DecodeMeta(image.data() + kPageHeaderSize);
  // A shrink since the request may have cut H's pages (even if the file grew back): drop it.
  if (cuts_at_req != env->lck.header()->file_cuts.load() || m.next_pgno > env->geo.now) return 0;
  m.geo.now = env->geo.now;
  m.sign = MetaChecksum(m);
  unsigned slot = kNumMetas;
  for (unsigned i = 0; i < kNumMetas; i++) {
    if (int(i) != head && int(i) != steady) slot = i;
  }
  EMDB_ENSURE(slot < kNumMetas);
  reinterpret_cast<Page*>(image.data())->pgno = pgno_t(slot);
  EncodeMeta(m, image.data() + kPageHeaderSize);
  EMDB_TRY(EMDB_FAILPOINT("steady.before_promote"));
  env->pgop.fsync++;
  Status rc = env->file->PWriteDurable(image.data(), env->psize, uint64_t(slot) * env->psize);
  if (rc != 0) {
    // The slot held an older weak meta, superseded by the head: whatever is on disk there now,
    // recovery picks the head or the old steady meta. But a failed flush may have dropped pages.
    EMDB_LOG_ERR("writing the steady meta of txn %llu failed: %d; environment panics",
                 (unsigned long long)h, rc);
    env->panic.store(true);
    return rc;
  }
  // Nothing reset the count since the request (A2): what was unflushed at H is flushed now.
  auto& unsync = env->lck.header()->unsync_bytes;
  uint64_t cur = unsync.load();
  while (!unsync.compare_exchange_weak(cur, cur - std::min(cur, unsync_at_req))) {
  }
  env->lck.header()->steady_retired.store(retired_at_req);
  env->lck.header()->last_sync_time.store(MonotonicNs());
  *promoted = true;
  return 0;
}

void Stop(Env* env) {
  Flusher* f = env->flusher;
  if (f == nullptr) return;
  env->flusher = nullptr;
  {
    std::lock_guard<std::mutex> g(f->mu);
    f->stop = true;
  }
  f->cv.notify_one();
  if (f->pid == uint32_t(::getpid())) {
    f->thread.join();
    delete f;
  } else {
    // A forked child: the thread is the parent's; its state is not ours to free.
    f->thread.detach();
  }
}

}  // namespace emdb::steady
