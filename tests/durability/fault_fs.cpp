// fault_fs.cpp — see fault_fs.hpp.
#include "durability/fault_fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "base/failpoint.hpp"
#include "os/file.hpp"

namespace emdb_test {
namespace {

constexpr size_t kSector = 512;

std::vector<uint8_t> ReadAll(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) std::abort();
  std::vector<uint8_t> out(size_t(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t r = ::pread(fd, out.data() + done, out.size() - done, off_t(done));
    if (r <= 0) std::abort();
    done += size_t(r);
  }
  return out;
}

// One lock for the whole fault model: file operations and failpoint hits of every thread.
std::mutex& FaultMu() {
  static std::mutex mu;
  return mu;
}

class FaultFile final : public emdb::os::File {
 public:
  explicit FaultFile(std::unique_ptr<emdb::os::File> inner) : inner_(std::move(inner)) {
    FaultFs::Get().Opened(inner_->fd());
  }
  // Each operation holds the lock: the writer and the background flusher (txn/steady.hpp) may
  // call at once, and the fault model counts and captures one operation at a time.
  emdb::Status PWrite(const void* buf, size_t n, uint64_t off) override {
    std::lock_guard<std::mutex> g(FaultMu());
    if (int e = FaultFs::Get().BeforeOp(kOpWrite)) return e;
    return inner_->PWrite(buf, n, off);
  }
  emdb::Status PWriteV(const struct iovec* iov, int cnt, uint64_t off) override {
    std::lock_guard<std::mutex> g(FaultMu());
    if (int e = FaultFs::Get().BeforeOp(kOpWrite)) return e;
    return inner_->PWriteV(iov, cnt, off);
  }
  emdb::Status PRead(void* buf, size_t n, uint64_t off) override {
    return inner_->PRead(buf, n, off);
  }
  emdb::Status DataSync() override {
    std::lock_guard<std::mutex> g(FaultMu());
    if (int e = FaultFs::Get().BeforeOp(kOpFlush)) return e;
    FaultFs::Get().Flushed(inner_->fd(), 0, ~uint64_t(0));
    return 0;
  }
  // A write, then a flush of that range only: a crash in between leaves the range unflushed.
  emdb::Status PWriteDurable(const void* buf, size_t n, uint64_t off) override {
    std::lock_guard<std::mutex> g(FaultMu());
    if (int e = FaultFs::Get().BeforeOp(kOpWrite)) return e;
    if (emdb::Status rc = inner_->PWrite(buf, n, off)) return rc;
    if (int e = FaultFs::Get().BeforeOp(kOpFlush)) return e;
    FaultFs::Get().Flushed(inner_->fd(), off, n);
    return 0;
  }
  emdb::Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> g(FaultMu());
    if (int e = FaultFs::Get().BeforeOp(kOpTruncate)) return e;
    emdb::Status rc = inner_->Truncate(size);
    if (rc == 0) FaultFs::Get().Truncated(size);
    return rc;
  }
  emdb::Status Size(uint64_t* size) override { return inner_->Size(size); }
  emdb::Status MSync(void* /*addr*/, size_t len, uint64_t off) override {
    std::lock_guard<std::mutex> g(FaultMu());
    if (int e = FaultFs::Get().BeforeOp(kOpFlush)) return e;
    FaultFs::Get().Flushed(inner_->fd(), off, len);
    return 0;
  }
  bool ConcurrentFlush() const override { return true; }
  int fd() const override { return inner_->fd(); }

 private:
  std::unique_ptr<emdb::os::File> inner_;
};

std::unique_ptr<emdb::os::File> Wrap(std::unique_ptr<emdb::os::File> f) {
  return std::make_unique<FaultFile>(std::move(f));
}

emdb::Status Hook(const char* name) {
  std::lock_guard<std::mutex> g(FaultMu());
  return FaultFs::Get().OnFailpoint(name);
}

}  // namespace

FaultFs& FaultFs::Get() {
  static FaultFs fs;
  return fs;
}

void FaultFs::Install() {
  emdb::os::TEST_SetFileWrapper(&Wrap);
  emdb::fp::TEST_SetHook(&Hook);
}

void FaultFs::Uninstall() {
  emdb::os::TEST_SetFileWrapper(nullptr);
  emdb::fp::TEST_SetHook(nullptr);
}

void FaultFs::Reset() {
  ops_ = crash_at_ = fail_at_ = fp_hits_ = fp_crash_at_ = fp_fail_at_ = 0;
  crash_ops_ = fail_ops_ = kOpAll;
  fail_err_ = fp_fail_err_ = 0;
  fp_crash_name_.clear();
  fp_fail_name_.clear();
  crash_reason_.clear();
  crashed_ = false;
  at_crash_.clear();
}

void FaultFs::CrashAt(uint64_t n, unsigned ops) {
  crash_at_ = n;
  crash_ops_ = ops;
}

void FaultFs::FailAt(uint64_t n, int err, unsigned ops) {
  fail_at_ = n;
  fail_err_ = err;
  fail_ops_ = ops;
}

void FaultFs::CrashAtFailpoint(const std::string& name, uint64_t n) {
  fp_crash_name_ = name;
  fp_crash_at_ = n;
}

void FaultFs::FailAtFailpoint(const std::string& name, uint64_t n, int err) {
  fp_fail_name_ = name;
  fp_fail_at_ = n;
  fp_fail_err_ = err;
}

void FaultFs::Opened(int fd) {
  fd_ = fd;
  durable_ = ReadAll(fd);
}

void FaultFs::Capture() {
  if (crashed_) return;
  at_crash_ = fd_ >= 0 ? ReadAll(fd_) : std::vector<uint8_t>();
  crashed_ = true;
}

void FaultFs::CrashNow() {
  if (crash_reason_.empty()) crash_reason_ = "explicit";
  Capture();
}

int FaultFs::BeforeOp(FaultOp op) {
  if (crashed_) return EIO;
  ops_++;
  if (crash_at_ != 0 && (crash_ops_ & op) && ops_ >= crash_at_) {
    crash_reason_ = "operation " + std::to_string(ops_);
    Capture();
    return EIO;
  }
  if (fail_at_ != 0 && (fail_ops_ & op) && ops_ >= fail_at_) {
    fail_at_ = 0;
    return fail_err_;
  }
  return 0;
}

void FaultFs::Flushed(int fd, uint64_t off, uint64_t len) {
  std::vector<uint8_t> now = ReadAll(fd);
  if (off == 0 && len >= now.size()) {
    durable_ = std::move(now);
    return;
  }
  if (durable_.size() < now.size()) durable_.resize(now.size(), 0);
  uint64_t end = std::min<uint64_t>(now.size(), off + len);
  for (uint64_t i = off; i < end; i++) durable_[i] = now[i];
}

void FaultFs::Truncated(uint64_t size) {
  // The size change itself is treated as durable (growth adds zeros; a shrink only ever cuts
  // pages no durable snapshot reaches — which is what the tests verify).
  durable_.resize(size, 0);
}

int FaultFs::OnFailpoint(const char* name) {
  if (crashed_) return EIO;
  bool crash_match = fp_crash_at_ != 0 && (fp_crash_name_.empty() || fp_crash_name_ == name);
  bool fail_match = fp_fail_at_ != 0 && (fp_fail_name_.empty() || fp_fail_name_ == name);
  if (!crash_match && !fail_match) return 0;
  fp_hits_++;
  if (crash_match && fp_hits_ >= fp_crash_at_) {
    crash_reason_ = std::string("failpoint ") + name;
    Capture();
    return EIO;
  }
  if (fail_match && fp_hits_ >= fp_fail_at_) {
    fp_fail_at_ = 0;
    return fp_fail_err_;
  }
  return 0;
}

std::vector<uint8_t> FaultFs::PowerLossImage(std::mt19937_64& rng) const {
  std::vector<uint8_t> out = at_crash_;
  // Each sector that differs from the durable image independently keeps its old or new bytes.
  for (size_t s = 0; s < out.size(); s += kSector) {
    size_t n = std::min(kSector, out.size() - s);
    const uint8_t* old = s < durable_.size() ? durable_.data() + s : nullptr;
    size_t old_n = old ? std::min(n, durable_.size() - s) : 0;
    bool differs = old_n != n || std::memcmp(out.data() + s, old, n) != 0;
    if (!differs || (rng() & 1)) continue;
    std::memset(out.data() + s, 0, n);
    if (old_n) std::memcpy(out.data() + s, old, old_n);
  }
  return out;
}

void FaultFs::WriteImage(const std::string& path, const std::vector<uint8_t>& image) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) std::abort();
  if (::ftruncate(fd, 0) != 0 || ::ftruncate(fd, off_t(image.size())) != 0) std::abort();
  size_t done = 0;
  while (done < image.size()) {
    ssize_t w = ::pwrite(fd, image.data() + done, image.size() - done, off_t(done));
    if (w <= 0) std::abort();
    done += size_t(w);
  }
  ::close(fd);
}

}  // namespace emdb_test
