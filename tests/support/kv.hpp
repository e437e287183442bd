// kv.hpp — small helpers to build keys and values and to print EMDB results.
//
// V(s) makes an EMDB_val that views the bytes of a std::string (valid while the string lives and
// is not modified; passing a temporary is a compile error). S(v) copies a view into a string.
#pragma once

#include <emdb/emdb.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

namespace emdb_test {

inline EMDB_val V(const std::string& s) {
  EMDB_val v;
  v.iov_base = const_cast<char*>(s.data());
  v.iov_len = s.size();
  return v;
}
EMDB_val V(std::string&&) = delete;  // would dangle

inline EMDB_val V(const void* p, size_t n) {
  EMDB_val v;
  v.iov_base = const_cast<void*>(p);
  v.iov_len = n;
  return v;
}

// An empty view (iov_base NULL, iov_len 0): the "no data" argument of several calls.
inline EMDB_val V0() {
  EMDB_val v;
  v.iov_base = nullptr;
  v.iov_len = 0;
  return v;
}

inline std::string S(const EMDB_val& v) {
  if (v.iov_len == 0 || v.iov_base == nullptr) return std::string();
  return std::string(static_cast<const char*>(v.iov_base), v.iov_len);
}

// "k00000042" style keys: fixed width, so byte order equals numeric order.
std::string key_n(uint64_t n, int width = 8, const char* prefix = "k");
// A deterministic value of `len` bytes derived from n (different n give different bytes).
std::string value_n(uint64_t n, size_t len);
// `len` random bytes.
std::string random_bytes(std::mt19937_64& rng, size_t len);
// A native-endian uint64 / uint32 as an 8/4 byte string (INTEGERKEY / INTEGERDUP).
std::string u64_bytes(uint64_t v);
std::string u32_bytes(uint32_t v);
uint64_t bytes_u64(const std::string& s);
uint32_t bytes_u32(const std::string& s);

// Printable form of a byte string for failure messages: hex for binary data, truncated.
std::string printable(const std::string& s, size_t max = 48);

// "EMDB_KEYEXIST(-30799)"-style name for a return code (errno values by their E-name).
std::string rc_name(int rc);

}  // namespace emdb_test
