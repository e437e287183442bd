// writeback_test.cpp — a commit that flushes its data starts the writeback of what it wrote in
// 128 KiB slices while it writes (txn/txn.cpp, WritePages), through the I/O seam's
// File::StartWriteback; a commit that does not flush (lazy, nosync, a writable map) starts none.
//
//   SyncCommitStartsWritebackInSlices  a durable commit of ~2 MiB of pages: the slices are page
//                         aligned, ascending and disjoint, each covers at least 128 KiB of the
//                         pages the commit wrote and ends on the last page of a write; every
//                         page written before the last slice's end is inside some slice; the
//                         data reads back after a reopen.
//   SmallSyncCommitStartsNone  a commit of a few pages writes less than one slice.
//   UnflushedModesStartNone  EMDB_SAFE_NOSYNC, EMDB_UTTERLY_NOSYNC and EMDB_WRITEMAP commits of
//                         the same size start no writeback at all.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "emdb/emdb.h"
#include "os/file.hpp"
#include "support/temp_dir.hpp"

namespace emdb_test {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kSlice = 128 * 1024;

struct Range {
  uint64_t off, len;
};

// What the wrapped data file was asked to do, in order.
struct Log {
  std::mutex mu;
  std::vector<Range> writes;      // PWrite / PWriteV
  std::vector<Range> writebacks;  // StartWriteback
  void Clear() {
    std::lock_guard<std::mutex> g(mu);
    writes.clear();
    writebacks.clear();
  }
};
Log g_log;

// Forwards everything to the real file, recording writes and writeback starts.
class RecordingFile final : public emdb::os::File {
 public:
  explicit RecordingFile(std::unique_ptr<emdb::os::File> inner) : inner_(std::move(inner)) {}
  emdb::Status PWrite(const void* buf, size_t n, uint64_t off) override {
    Record(&g_log.writes, off, n);
    return inner_->PWrite(buf, n, off);
  }
  emdb::Status PWriteV(const struct iovec* iov, int cnt, uint64_t off) override {
    uint64_t n = 0;
    for (int i = 0; i < cnt; i++) n += iov[i].iov_len;
    Record(&g_log.writes, off, n);
    return inner_->PWriteV(iov, cnt, off);
  }
  emdb::Status PRead(void* buf, size_t n, uint64_t off) override {
    return inner_->PRead(buf, n, off);
  }
  emdb::Status DataSync() override { return inner_->DataSync(); }
  emdb::Status PWriteDurable(const void* buf, size_t n, uint64_t off) override {
    return inner_->PWriteDurable(buf, n, off);  // the meta: not a data page write
  }
  emdb::Status Truncate(uint64_t size) override { return inner_->Truncate(size); }
  emdb::Status Size(uint64_t* size) override { return inner_->Size(size); }
  emdb::Status MSync(void* addr, size_t len, uint64_t off) override {
    return inner_->MSync(addr, len, off);
  }
  void StartWriteback(uint64_t off, uint64_t len) override {
    Record(&g_log.writebacks, off, len);
    inner_->StartWriteback(off, len);
  }
  bool ConcurrentFlush() const override { return inner_->ConcurrentFlush(); }
  int fd() const override { return inner_->fd(); }

 private:
  static void Record(std::vector<Range>* v, uint64_t off, uint64_t n) {
    std::lock_guard<std::mutex> g(g_log.mu);
    v->push_back({off, n});
  }
  std::unique_ptr<emdb::os::File> inner_;
};

std::unique_ptr<emdb::os::File> Wrap(std::unique_ptr<emdb::os::File> f) {
  return std::make_unique<RecordingFile>(std::move(f));
}

class WritebackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emdb::os::TEST_SetFileWrapper(&Wrap);
    g_log.Clear();
  }
  void TearDown() override {
    if (env_ != nullptr) emdb_env_close(env_);
    emdb::os::TEST_SetFileWrapper(nullptr);
    if (HasFailure()) dir_.keep();
  }
  void Open(unsigned flags) { OpenIn(dir_, flags); }
  void OpenIn(const TempDir& dir, unsigned flags) {
    ASSERT_EQ(0, emdb_env_create(&env_));
    ASSERT_EQ(0, emdb_env_set_geometry(env_, -1, -1, intptr_t(64) << 20, intptr_t(1) << 20, -1,
                                       intptr_t(kPage)));
    ASSERT_EQ(0, emdb_env_open(env_, dir.path().c_str(), EMDB_env_flags_t(flags), 0644));
  }
  // One transaction of `n` puts of 1000-byte values (about n/3 leaf pages), committed; the log
  // then holds exactly that commit's writes.
  void CommitPuts(int first, int n) {
    EMDB_txn* txn = nullptr;
    ASSERT_EQ(0, emdb_txn_begin(env_, nullptr, EMDB_TXN_READWRITE, &txn));
    EMDB_dbi dbi = 0;
    ASSERT_EQ(0, emdb_dbi_open(txn, nullptr, EMDB_DB_DEFAULTS, &dbi));
    std::vector<char> value(1000);
    for (int i = first; i < first + n; i++) {
      char key[16];
      std::snprintf(key, sizeof(key), "k%08d", i);
      std::memset(value.data(), 'a' + i % 26, value.size());
      EMDB_val k{key, std::strlen(key)}, v{value.data(), value.size()};
      ASSERT_EQ(0, emdb_put(txn, dbi, &k, &v, EMDB_UPSERT));
    }
    g_log.Clear();
    ASSERT_EQ(0, emdb_txn_commit(txn));
  }
  void ExpectContent(int n) {
    EMDB_txn* txn = nullptr;
    ASSERT_EQ(0, emdb_txn_begin(env_, nullptr, EMDB_TXN_RDONLY, &txn));
    EMDB_dbi dbi = 0;
    ASSERT_EQ(0, emdb_dbi_open(txn, nullptr, EMDB_DB_DEFAULTS, &dbi));
    for (int i = 0; i < n; i++) {
      char key[16];
      std::snprintf(key, sizeof(key), "k%08d", i);
      EMDB_val k{key, std::strlen(key)}, v{};
      ASSERT_EQ(0, emdb_get(txn, dbi, &k, &v)) << key;
      ASSERT_EQ(1000u, v.iov_len);
      EXPECT_EQ('a' + i % 26, static_cast<const char*>(v.iov_base)[999]) << key;
    }
    emdb_txn_abort(txn);
  }

  TempDir dir_{"writeback"};
  EMDB_env* env_ = nullptr;
};

TEST_F(WritebackTest, SyncCommitStartsWritebackInSlices) {
  Open(EMDB_SYNC_DURABLE);
  CommitPuts(0, 2000);  // ~670 leaves: ~2.7 MiB of pages
  std::vector<Range> writes, wbs;
  {
    std::lock_guard<std::mutex> g(g_log.mu);
    writes = g_log.writes;
    wbs = g_log.writebacks;
  }
  uint64_t written = 0;
  for (const Range& w : writes) written += w.len;
  ASSERT_GE(written, 2 * 1024 * 1024u);
  // One slice per full 128 KiB written; the tail is left to the flush.
  EXPECT_EQ(written / kSlice, wbs.size());
  for (size_t i = 0; i < wbs.size(); i++) {
    const Range& r = wbs[i];
    EXPECT_EQ(0u, r.off % kPage);
    EXPECT_EQ(0u, r.len % kPage);
    if (i > 0) {
      EXPECT_EQ(wbs[i - 1].off + wbs[i - 1].len, r.off) << "slice " << i;
    }
    // Each slice ends where one of the commit's writes ends, and covers >= 128 KiB of them.
    uint64_t end = r.off + r.len, inside = 0;
    bool ends_on_write = false;
    for (const Range& w : writes) {
      if (w.off + w.len == end) ends_on_write = true;
      if (w.off >= r.off && w.off + w.len <= end) inside += w.len;
    }
    EXPECT_TRUE(ends_on_write) << "slice " << i;
    EXPECT_GE(inside, kSlice) << "slice " << i;
  }
  // Every data page written before the last slice's end is inside a slice (nothing skipped).
  ASSERT_FALSE(wbs.empty());
  EXPECT_EQ(writes.front().off, wbs.front().off);  // pages are written in page order
  uint64_t covered_to = wbs.back().off + wbs.back().len;
  for (const Range& w : writes) {
    if (w.off >= covered_to) continue;
    EXPECT_GE(w.off, wbs.front().off);
  }
  emdb_env_close(env_);
  env_ = nullptr;
  Open(EMDB_SYNC_DURABLE);
  ExpectContent(2000);
}

TEST_F(WritebackTest, SmallSyncCommitStartsNone) {
  Open(EMDB_SYNC_DURABLE);
  CommitPuts(0, 20);
  std::lock_guard<std::mutex> g(g_log.mu);
  EXPECT_FALSE(g_log.writes.empty());
  EXPECT_TRUE(g_log.writebacks.empty());
}

TEST_F(WritebackTest, UnflushedModesStartNone) {
  for (unsigned flags : {unsigned(EMDB_SAFE_NOSYNC), unsigned(EMDB_UTTERLY_NOSYNC),
                         unsigned(EMDB_WRITEMAP), unsigned(EMDB_WRITEMAP | EMDB_SAFE_NOSYNC)}) {
    SCOPED_TRACE(flags);
    TempDir dir("writeback-mode");
    OpenIn(dir, flags);
    CommitPuts(0, 2000);
    {
      std::lock_guard<std::mutex> g(g_log.mu);
      EXPECT_TRUE(g_log.writebacks.empty());
      if (!(flags & EMDB_WRITEMAP)) {
        EXPECT_FALSE(g_log.writes.empty());
      }
    }
    ExpectContent(2000);
    emdb_env_close(env_);
    env_ = nullptr;
  }
}

}  // namespace
}  // namespace emdb_test
