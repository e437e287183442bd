// common.cpp — see common.hpp.
#include "common.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <system_error>
#include <thread>

namespace emdb_bench {

const char *to_string(SyncMode m) {
  switch (m) {
    case SyncMode::sync:
      return "sync";
    case SyncMode::lazy:
      return "lazy";
    case SyncMode::nosync:
      return "nosync";
  }
  return "?";
}

bool parse_sync_mode(std::string_view s, SyncMode *out) {
  if (s == "sync")
    *out = SyncMode::sync;
  else if (s == "lazy")
    *out = SyncMode::lazy;
  else if (s == "nosync")
    *out = SyncMode::nosync;
  else
    return false;
  return true;
}

namespace {
std::mutex g_cleanup_mu;
std::string g_cleanup_dir;
std::atomic_flag g_dying = ATOMIC_FLAG_INIT;
}  // namespace

void set_cleanup_dir(const std::string &dir) {
  std::lock_guard<std::mutex> lock(g_cleanup_mu);
  g_cleanup_dir = dir;
}

void die(const std::string &msg) {
  if (g_dying.test_and_set()) {
    // Another thread is already reporting a failure; wait for it to end the process.
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::fflush(stdout);
  std::fprintf(stderr, "emdb-bench: FATAL: %s\n", msg.c_str());
  std::fprintf(stderr, "emdb-bench: no results are reported for a run that failed.\n");
  std::string dir;
  {
    std::lock_guard<std::mutex> lock(g_cleanup_mu);
    dir = g_cleanup_dir;
  }
  if (!dir.empty()) remove_tree(dir);
  std::fflush(stderr);
  std::_Exit(2);
}

std::vector<uint64_t> permutation(uint64_t n, uint64_t seed) {
  std::vector<uint64_t> v(n);
  for (uint64_t i = 0; i < n; ++i) v[i] = i;
  Rng rng(seed);
  for (uint64_t i = n; i > 1; --i) {
    uint64_t j = rng.below(i);
    std::swap(v[i - 1], v[j]);
  }
  return v;
}

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double cpu_now_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) * 1e-6 +
         double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) * 1e-6;
}

void Stopwatch::start() {
  cpu0_ = cpu_now_s();
  wall0_ = now_s();
}

void Stopwatch::stop() {
  wall_s_ = now_s() - wall0_;
  cpu_s_ = cpu_now_s() - cpu0_;
}

namespace {
std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, e - b + 1);
}

std::string fs_type_name(long magic) {
  switch (static_cast<unsigned long>(magic)) {
    case 0xEF53:
      return "ext2/3/4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs";
    case 0x794C7630:
      return "overlayfs";
    case 0x2FC12FC1:
      return "zfs";
    case 0xF2F52010:
      return "f2fs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(magic));
      return buf;
    }
  }
}
}  // namespace

MachineInfo machine_info(const std::string &bench_dir) {
  MachineInfo m;
  {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("model name", 0) == 0) {
        size_t c = line.find(':');
        if (c != std::string::npos) m.cpu_model = trim(line.substr(c + 1));
        break;
      }
    }
  }
  m.cores = std::thread::hardware_concurrency();
  {
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit) {
      if (key == "MemTotal:") {
        m.ram_bytes = kb * 1024;
        break;
      }
    }
  }
  utsname u{};
  if (uname(&u) == 0) {
    m.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
    m.hostname = u.nodename;
  }
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  m.date = buf;
  struct statfs sf {};
  if (statfs(bench_dir.c_str(), &sf) == 0) m.fs_type = fs_type_name(sf.f_type);
  return m;
}

double measure_flush_rate(const std::string &dir, double seconds) {
  std::string path = dir + "/flush-probe";
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0) return 0;
  constexpr size_t kPage = 4096;
  constexpr int kRing = 256;  // rotate over 1 MiB, allocated first so only data is flushed
  std::vector<char> page(kPage, 'x');
  for (int i = 0; i < kRing; ++i) {
    if (::pwrite(fd, page.data(), kPage, off_t(i) * kPage) != ssize_t(kPage)) {
      ::close(fd);
      ::unlink(path.c_str());
      return 0;
    }
  }
  ::fsync(fd);
  uint64_t n = 0;
  double t0 = now_s(), el = 0;
  do {
    page[0] = char(n);
    if (::pwrite(fd, page.data(), kPage, off_t(n % kRing) * kPage) != ssize_t(kPage)) break;
    if (::fdatasync(fd) != 0) break;
    ++n;
    el = now_s() - t0;
  } while (el < seconds);
  ::close(fd);
  ::unlink(path.c_str());
  return el > 0 ? double(n) / el : 0;
}

SpaceInfo file_space(const std::string &path) {
  SpaceInfo s;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    s.file_bytes = uint64_t(st.st_size);
    s.alloc_bytes = uint64_t(st.st_blocks) * 512;
  }
  return s;
}

void remove_tree(const std::string &dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void make_dirs(const std::string &dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) die("cannot create directory " + dir + ": " + ec.message());
}

}  // namespace emdb_bench
