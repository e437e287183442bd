// fault_fs.hpp — a fault-injecting wrapper around emdb's one I/O seam (engine/os/file.hpp),
// for the durability tests.
//
// It passes every operation through to the real file and models what a disk would keep:
//   durable   the file image as of the last flush (fdatasync, or msync of a range)
//   at_crash  the real file content at the moment of a simulated crash (what the OS page cache
//             held: everything written, through pwrite or through the writable map)
// From those it builds the file a crash leaves behind:
//   ProcessCrashImage()  at_crash: a process died, the OS kept every write
//   PowerLossImage(rng)  durable, plus for each 512-byte sector that differs a random choice of
//                        the old or the new content: unflushed writes persist in any subset and
//                        any order, page writes may be torn at sector boundaries
// and injects failures: the N-th operation (write, flush or truncate; counted from 1) can crash
// the "machine" (CrashAt: that operation and every later one fails with EIO and changes
// nothing), or fail once with a chosen errno (FailAt). The failpoint hook (base/failpoint.hpp)
// can crash or fail at a named commit step too.
//
// One data file at a time: the wrapper applies to the next environment opened after Install().
// Flushes are modelled, not performed (no real fdatasync), so thousands of crash points run
// fast. Not thread-safe: the durability tests drive one writer.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace emdb_test {

enum FaultOp : unsigned { kOpWrite = 1, kOpFlush = 2, kOpTruncate = 4, kOpAll = 7 };

class FaultFs {
 public:
  static FaultFs& Get();

  // Installs the wrapper for files opened from now on (and the failpoint hook); Uninstall
  // removes both.
  void Install();
  void Uninstall();

  // Clears counters and plans (keeps the installation).
  void Reset();
  // Crash when operation number `n` (of the kinds in `ops`) is about to run; 0: never.
  void CrashAt(uint64_t n, unsigned ops = kOpAll);
  // Make operation number `n` (of the kinds in `ops`) fail once with `err`; 0: never.
  void FailAt(uint64_t n, int err, unsigned ops = kOpAll);
  // Crash (or fail once with `err`) at the `n`-th hit of failpoint `name` (empty: any name).
  void CrashAtFailpoint(const std::string& name, uint64_t n);
  void FailAtFailpoint(const std::string& name, uint64_t n, int err);
  // Crash now (captures the images).
  void CrashNow();

  bool crashed() const { return crashed_; }
  uint64_t ops() const { return ops_; }
  uint64_t failpoint_hits() const { return fp_hits_; }
  const std::string& crash_reason() const { return crash_reason_; }

  std::vector<uint8_t> ProcessCrashImage() const { return at_crash_; }
  std::vector<uint8_t> PowerLossImage(std::mt19937_64& rng) const;

  // Writes `image` as the whole content of the file at `path`.
  static void WriteImage(const std::string& path, const std::vector<uint8_t>& image);

  // Used by the wrapper (internal).
  int BeforeOp(FaultOp op);
  void Flushed(int fd, uint64_t off, uint64_t len);
  void Truncated(uint64_t size);
  void Opened(int fd);
  int OnFailpoint(const char* name);

 private:
  void Capture();

  int fd_ = -1;
  std::vector<uint8_t> durable_, at_crash_;
  uint64_t ops_ = 0, crash_at_ = 0, fail_at_ = 0, fp_hits_ = 0, fp_crash_at_ = 0, fp_fail_at_ = 0;
  unsigned crash_ops_ = kOpAll, fail_ops_ = kOpAll;
  int fail_err_ = 0, fp_fail_err_ = 0;
  std::string fp_crash_name_, fp_fail_name_, crash_reason_;
  bool crashed_ = false;
};

}  // namespace emdb_test
