#include "support/kv.hpp"

#include <cerrno>
#include <cstdio>

namespace emdb_test {

std::string key_n(uint64_t n, int width, const char* prefix) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%0*llu", prefix, width, static_cast<unsigned long long>(n));
  return buf;
}

std::string value_n(uint64_t n, size_t len) {
  std::string out(len, '\0');
  uint64_t x = n * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  for (size_t i = 0; i < len; ++i) {
    if ((i & 7) == 0) {
      x ^= x >> 33;
      x *= 0xff51afd7ed558ccdull;
      x ^= x >> 29;
    }
    out[i] = static_cast<char>(x >> ((i & 7) * 8));
  }
  // Make the start recognizable in dumps and different per n even for tiny lengths.
  const std::string head = std::to_string(n) + ":";
  for (size_t i = 0; i < len && i < head.size(); ++i) out[i] = head[i];
  return out;
}

std::string random_bytes(std::mt19937_64& rng, size_t len) {
  std::string out(len, '\0');
  for (size_t i = 0; i < len; i += 8) {
    const uint64_t r = rng();
    for (size_t j = 0; j < 8 && i + j < len; ++j) out[i + j] = static_cast<char>(r >> (j * 8));
  }
  return out;
}

std::string u64_bytes(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }
std::string u32_bytes(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

uint64_t bytes_u64(const std::string& s) {
  uint64_t v = 0;
  std::memcpy(&v, s.data(), s.size() < 8 ? s.size() : 8);
  return v;
}

uint32_t bytes_u32(const std::string& s) {
  uint32_t v = 0;
  std::memcpy(&v, s.data(), s.size() < 4 ? s.size() : 4);
  return v;
}

std::string printable(const std::string& s, size_t max) {
  bool text = true;
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) {
      text = false;
      break;
    }
  std::string out;
  if (text) {
    out = "\"" + s.substr(0, max) + (s.size() > max ? "..." : "") + "\"";
  } else {
    static const char* hex = "0123456789abcdef";
    out = "0x";
    for (size_t i = 0; i < s.size() && i < max; ++i) {
      out.push_back(hex[static_cast<unsigned char>(s[i]) >> 4]);
      out.push_back(hex[static_cast<unsigned char>(s[i]) & 15]);
    }
    if (s.size() > max) out += "...";
  }
  out += "[" + std::to_string(s.size()) + "]";
  return out;
}

std::string rc_name(int rc) {
  const char* n = nullptr;
  switch (rc) {
    case EMDB_SUCCESS:
      n = "EMDB_SUCCESS";
      break;
    case EMDB_RESULT_TRUE:
      n = "EMDB_RESULT_TRUE";
      break;
    case EMDB_KEYEXIST:
      n = "EMDB_KEYEXIST";
      break;
    case EMDB_NOTFOUND:
      n = "EMDB_NOTFOUND";
      break;
    case EMDB_PAGE_NOTFOUND:
      n = "EMDB_PAGE_NOTFOUND";
      break;
    case EMDB_CORRUPTED:
      n = "EMDB_CORRUPTED";
      break;
    case EMDB_PANIC:
      n = "EMDB_PANIC";
      break;
    case EMDB_VERSION_MISMATCH:
      n = "EMDB_VERSION_MISMATCH";
      break;
    case EMDB_INVALID:
      n = "EMDB_INVALID";
      break;
    case EMDB_MAP_FULL:
      n = "EMDB_MAP_FULL";
      break;
    case EMDB_DBS_FULL:
      n = "EMDB_DBS_FULL";
      break;
    case EMDB_READERS_FULL:
      n = "EMDB_READERS_FULL";
      break;
    case EMDB_TXN_FULL:
      n = "EMDB_TXN_FULL";
      break;
    case EMDB_CURSOR_FULL:
      n = "EMDB_CURSOR_FULL";
      break;
    case EMDB_PAGE_FULL:
      n = "EMDB_PAGE_FULL";
      break;
    case EMDB_UNABLE_EXTEND_MAPSIZE:
      n = "EMDB_UNABLE_EXTEND_MAPSIZE";
      break;
    case EMDB_INCOMPATIBLE:
      n = "EMDB_INCOMPATIBLE";
      break;
    case EMDB_BAD_RSLOT:
      n = "EMDB_BAD_RSLOT";
      break;
    case EMDB_BAD_TXN:
      n = "EMDB_BAD_TXN";
      break;
    case EMDB_BAD_VALSIZE:
      n = "EMDB_BAD_VALSIZE";
      break;
    case EMDB_BAD_DBI:
      n = "EMDB_BAD_DBI";
      break;
    case EMDB_PROBLEM:
      n = "EMDB_PROBLEM";
      break;
    case EMDB_BUSY:
      n = "EMDB_BUSY";
      break;
    case EMDB_EMULTIVAL:
      n = "EMDB_EMULTIVAL";
      break;
    case EMDB_EBADSIGN:
      n = "EMDB_EBADSIGN";
      break;
    case EMDB_WANNA_RECOVERY:
      n = "EMDB_WANNA_RECOVERY";
      break;
    case EMDB_EKEYMISMATCH:
      n = "EMDB_EKEYMISMATCH";
      break;
    case EMDB_TOO_LARGE:
      n = "EMDB_TOO_LARGE";
      break;
    case EMDB_THREAD_MISMATCH:
      n = "EMDB_THREAD_MISMATCH";
      break;
    case EMDB_TXN_OVERLAPPING:
      n = "EMDB_TXN_OVERLAPPING";
      break;
    case EMDB_BACKLOG_DEPLETED:
      n = "EMDB_BACKLOG_DEPLETED";
      break;
    case EMDB_DUPLICATED_CLK:
      n = "EMDB_DUPLICATED_CLK";
      break;
    case EMDB_DANGLING_DBI:
      n = "EMDB_DANGLING_DBI";
      break;
    case EMDB_OUSTED:
      n = "EMDB_OUSTED";
      break;
    case EMDB_MVCC_RETARDED:
      n = "EMDB_MVCC_RETARDED";
      break;
    case ENODATA:
      n = "ENODATA";
      break;
    case EINVAL:
      n = "EINVAL";
      break;
    case EACCES:
      n = "EACCES";
      break;
    case ENOMEM:
      n = "ENOMEM";
      break;
    case EROFS:
      n = "EROFS";
      break;
    case ENOSYS:
      n = "ENOSYS";
      break;
    case EIO:
      n = "EIO";
      break;
    case EPERM:
      n = "EPERM";
      break;
    case EINTR:
      n = "EINTR";
      break;
    case ENOENT:
      n = "ENOENT";
      break;
    case ENOTBLK:
      n = "ENOTBLK";
      break;
    case EDEADLK:
      n = "EDEADLK";
      break;
    case EEXIST:
      n = "EEXIST";
      break;
    case ENOSPC:
      n = "ENOSPC";
      break;
    case EAGAIN:
      n = "EAGAIN";
      break;
    default:
      break;
  }
  return std::string(n ? n : "rc") + "(" + std::to_string(rc) + ")";
}

}  // namespace emdb_test
