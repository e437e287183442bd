// engine/base/compare.hpp — key and value comparators selected by table flags.
//
// Order definitions (cited by the checker):
//  C1. Default: lexicographic by unsigned bytes; a proper prefix sorts first.
//  C2. REVERSEKEY / REVERSEDUP: lexicographic over the bytes read from the last to the first.
//  C3. INTEGERKEY / INTEGERDUP: native unsigned integers of 4 or 8 bytes (the engine checks the
//      size on put); sizes never mix within one table.
#pragma once

#include <emdb/emdb.h>

#include <cstdint>
#include <cstring>

namespace emdb {

struct Slice {
  const uint8_t* data = nullptr;
  size_t size = 0;
  Slice() = default;
  Slice(const void* d, size_t n) : data(static_cast<const uint8_t*>(d)), size(n) {}
  static Slice Of(const EMDB_val* v) { return v ? Slice(v->iov_base, v->iov_len) : Slice(); }
};

using CmpFn = int (*)(Slice a, Slice b);

inline int CmpLex(Slice a, Slice b) {
  size_t n = a.size < b.size ? a.size : b.size;
  int r = n ? std::memcmp(a.data, b.data, n) : 0;
  if (r != 0) return r;
  return a.size < b.size ? -1 : (a.size > b.size ? 1 : 0);
}

inline int CmpReverse(Slice a, Slice b) {
  const uint8_t* pa = a.data + a.size;
  const uint8_t* pb = b.data + b.size;
  size_t n = a.size < b.size ? a.size : b.size;
  while (n--) {
    int d = int(*--pa) - int(*--pb);
    if (d != 0) return d;
  }
  return a.size < b.size ? -1 : (a.size > b.size ? 1 : 0);
}

inline int CmpInteger(Slice a, Slice b) {
  if (a.size == 8 && b.size == 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data, 8);
    std::memcpy(&y, b.data, 8);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.size == 4 && b.size == 4) {
    uint32_t x, y;
    std::memcpy(&x, a.data, 4);
    std::memcpy(&y, b.data, 4);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return CmpLex(a, b);  // sizes are validated on put; this keeps a total order anyway
}

inline CmpFn KeyComparator(unsigned flags) {
  if (flags & EMDB_INTEGERKEY) return CmpInteger;
  if (flags & EMDB_REVERSEKEY) return CmpReverse;
  return CmpLex;
}

inline CmpFn DupComparator(unsigned flags) {
  if (flags & EMDB_INTEGERDUP) return CmpInteger;
  if (flags & EMDB_REVERSEDUP) return CmpReverse;
  return CmpLex;
}

}  // namespace emdb
