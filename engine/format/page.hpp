// engine/format/page.hpp — accessors for pages and nodes laid out as layout.hpp defines.
// A `Page*` is the address of a page header. For an inline DUPSORT sub-page stored at
// address `sp` inside a node, the Page* is `sp - kSubpageSkip`: only the last 8 bytes of the
// header (flags, dupfix_ksize, lower, upper) and what follows are ever touched through it.
//
// Thread safety: pure functions over memory the caller owns or reads under a snapshot.
#pragma once

#include <cstring>

#include "base/compare.hpp"
#include "format/layout.hpp"

namespace emdb::format {

using Page = PageHeader;

inline uint8_t* PageData(Page* p) { return reinterpret_cast<uint8_t*>(p) + kPageHeaderSize; }
inline const uint8_t* PageData(const Page* p) {
  return reinterpret_cast<const uint8_t*>(p) + kPageHeaderSize;
}
inline unsigned NumKeys(const Page* p) { return p->lower >> 1; }
inline bool IsLeaf(const Page* p) { return (p->flags & kPageLeaf) != 0; }
inline bool IsBranch(const Page* p) { return (p->flags & kPageBranch) != 0; }
inline bool IsDupfix(const Page* p) { return (p->flags & kPageDupfix) != 0; }
inline bool IsLarge(const Page* p) { return (p->flags & kPageLarge) != 0; }

inline uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline void Store16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
inline void Store32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void Store64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

inline uint16_t SlotOffset(const Page* p, unsigned i) { return Load16(PageData(p) + 2 * i); }

// Node access (not for DUPFIXED pages).
inline uint8_t* NodeAt(Page* p, unsigned i) { return PageData(p) + SlotOffset(p, i); }
inline const uint8_t* NodeAt(const Page* p, unsigned i) { return PageData(p) + SlotOffset(p, i); }
inline uint32_t NodeDsize(const uint8_t* n) { return Load32(n); }
inline uint16_t NodeFlags(const uint8_t* n) { return Load16(n + 4); }
inline uint16_t NodeKsize(const uint8_t* n) { return Load16(n + 6); }
inline const uint8_t* NodeKey(const uint8_t* n) { return n + kNodeHeaderSize; }
inline uint8_t* NodeKey(uint8_t* n) { return n + kNodeHeaderSize; }
// The data starts at an even offset: the key is padded to an even length (F4), so an inline
// sub-page read through a Page* is 2-byte aligned.
inline size_t EvenUp(size_t n) { return (n + 1) & ~size_t(1); }
inline const uint8_t* NodeData(const uint8_t* n) {
  return n + kNodeHeaderSize + EvenUp(NodeKsize(n));
}
inline uint8_t* NodeData(uint8_t* n) { return n + kNodeHeaderSize + EvenUp(NodeKsize(n)); }
inline pgno_t NodeChild(const uint8_t* n) {
  return pgno_t(Load32(n)) | (pgno_t(Load16(n + 4)) << 32);
}
inline void SetNodeChild(uint8_t* n, pgno_t pg) {
  Store32(n, uint32_t(pg));
  Store16(n + 4, uint16_t(pg >> 32));
}
// Bytes the node's data occupies inside the page.
inline size_t NodeDataBytes(const uint8_t* n) {
  return (NodeFlags(n) & kNodeBig) ? sizeof(uint64_t) : NodeDsize(n);
}
// Bytes of a leaf node with a key of `ks` bytes and `db` bytes of inline data.
inline size_t LeafSize(size_t ks, size_t db) { return kNodeHeaderSize + EvenUp(ks) + EvenUp(db); }
inline size_t LeafNodeBytes(const uint8_t* n) { return LeafSize(NodeKsize(n), NodeDataBytes(n)); }
inline size_t BranchNodeBytes(const uint8_t* n) { return EvenUp(kNodeHeaderSize + NodeKsize(n)); }

// Key i of any branch/leaf page (DUPFIXED included).
inline Slice KeyAt(const Page* p, unsigned i) {
  if (IsDupfix(p)) {
    return Slice(PageData(p) + size_t(i) * p->dupfix_ksize, p->dupfix_ksize);
  }
  const uint8_t* n = NodeAt(p, i);
  return Slice(NodeKey(n), NodeKsize(n));
}

// Capacity (bytes after the header) of a page of logical size `size`.
inline size_t PageRoom(size_t size) { return size - kPageHeaderSize; }
inline size_t FreeBytes(const Page* p, size_t size) {
  if (IsDupfix(p)) return PageRoom(size) - size_t(NumKeys(p)) * p->dupfix_ksize;
  return size_t(p->upper) - size_t(p->lower);
}
// Bytes in use (header excluded).
inline size_t UsedBytes(const Page* p, size_t size) { return PageRoom(size) - FreeBytes(p, size); }

inline void InitPage(Page* p, pgno_t pgno, uint16_t flags, size_t size, txnid_t txnid) {
  p->txnid = txnid;
  p->pgno = pgno;
  p->checksum = 0;
  p->large_count = 0;
  p->flags = flags;
  p->dupfix_ksize = 0;
  p->lower = 0;
  p->upper = uint16_t(PageRoom(size));
}

}  // namespace emdb::format
