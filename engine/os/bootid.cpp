// engine/os/bootid.cpp — see bootid.hpp.
#include "os/bootid.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace emdb::os {
namespace {

// Parses the 36-character UUID text "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into two words.
BootId Parse(const char* s, size_t n) {
  BootId id;
  unsigned digits = 0;
  for (size_t i = 0; i < n && digits < 32; i++) {
    char c = s[i];
    unsigned v;
    if (c >= '0' && c <= '9') {
      v = unsigned(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = unsigned(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v = unsigned(c - 'A' + 10);
    } else {
      continue;
    }
    uint64_t& w = digits < 16 ? id.x : id.y;
    w = (w << 4) | v;
    digits++;
  }
  return digits == 32 ? id : BootId{};
}

BootId ReadBootId() {
  int fd = ::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  ::close(fd);
  return n > 0 ? Parse(buf, size_t(n)) : BootId{};
}

std::atomic<uint64_t> g_test_x{0}, g_test_y{0};

}  // namespace

BootId CurrentBootId() {
  uint64_t tx = g_test_x.load(std::memory_order_relaxed);
  uint64_t ty = g_test_y.load(std::memory_order_relaxed);
  if (tx != 0 || ty != 0) return {tx, ty};
  static const BootId real = ReadBootId();
  return real;
}

void TEST_SetBootId(BootId id) {
  g_test_x.store(id.x);
  g_test_y.store(id.y);
}

}  // namespace emdb::os
