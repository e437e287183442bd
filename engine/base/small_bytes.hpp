// engine/base/small_bytes.hpp — a byte string that keeps up to kInline bytes inside itself.
//
// The write path copies a key or a value before it changes the page those bytes live on, and a
// cursor saves its key (and value) when its table changes under it (core/internal.hpp T3).
// Those copies are made by every update and delete; keys and values of ordinary size stay
// inline, so they cost no heap allocation (a std::vector made two or three per crud
// transaction: callgrind, docs/performance.md "Session 14"). Longer ones go to a heap buffer,
// which the object keeps and reuses for its life.
//
// Invariant: data() points at size() valid bytes, in inline_ when size() <= kInline and the
// last assign() chose it, else in heap_.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace emdb {

class SmallBytes {
 public:
  static constexpr size_t kInline = 128;

  SmallBytes() = default;
  SmallBytes(const uint8_t* first, const uint8_t* last) { assign(first, last); }
  SmallBytes(const SmallBytes& o) { assign(o.data(), o.data() + o.size()); }
  SmallBytes& operator=(const SmallBytes& o) {
    if (this != &o) assign(o.data(), o.data() + o.size());
    return *this;
  }

  // [first, last) may lie inside this object's own bytes.
  void assign(const uint8_t* first, const uint8_t* last) {
    const size_t n = size_t(last - first);
    if (n <= kInline) {
      if (n) std::memmove(inline_, first, n);
      on_heap_ = false;
    } else if (!heap_.empty() && first >= heap_.data() && first < heap_.data() + heap_.size()) {
      std::vector<uint8_t> copy(first, last);
      heap_.swap(copy);
      on_heap_ = true;
    } else {
      heap_.assign(first, last);
      on_heap_ = true;
    }
    size_ = n;
  }
  const uint8_t* data() const { return on_heap_ ? heap_.data() : inline_; }
  uint8_t* data() { return on_heap_ ? heap_.data() : inline_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    size_ = 0;
    on_heap_ = false;
  }

 private:
  uint8_t inline_[kInline];
  size_t size_ = 0;
  bool on_heap_ = false;
  std::vector<uint8_t> heap_;
};

}  // namespace emdb
