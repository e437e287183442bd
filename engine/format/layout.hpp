// engine/format/layout.hpp — the on-disk format v1 of the data file: page header, nodes,
// table records and meta pages. This header is the single source of truth for the layout;
// docs/format.md describes the same bytes for humans. Every constant marked FROZEN is part of
// format v1 and must not change without bumping kFormatVersion.
//
// Thread safety: plain data definitions; no state.
//
// Invariants (cited by docs/design/invariants.md and by the checker):
//  F1. All multi-byte fields are little-endian, fixed width (the engine runs on little-endian
//      hosts only; a static_assert enforces it).
//  F2. A page is `pagesize` bytes, a power of two in [256, 65536]. Pages 0, 1, 2 are metas.
//  F3. In branch and leaf pages the slot array (uint16 offsets relative to the end of the
//      header) grows up from the header, nodes grow down from the end of the page; `lower` is
//      the byte length of the slot array, `upper` the offset of the lowest node (both relative
//      to the end of the header). Free space = upper - lower.
//  F4. Nodes are 2-byte aligned; node i's key is >= node i-1's key by the table comparator;
//      in branch pages key 0 is empty and means "less than everything".
//  F5. DUPFIXED leaves pack `dupfix_ksize`-byte keys with no slots and no node headers;
//      `lower` still holds 2 * the entry count.
//  F6. A large-value run starts with a page whose header has kind LARGE and `large_count`
//      pages in the run; the value bytes follow the header contiguously.
//  F7. A meta is valid when magic and version match, both txnid copies are equal and non-zero,
//      and the sign is WEAK or equals the checksum of the meta body.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace emdb::format {

static_assert(std::endian::native == std::endian::little, "emdb supports little-endian hosts");

using pgno_t = uint64_t;
using txnid_t = uint64_t;

inline constexpr pgno_t kInvalidPgno = ~pgno_t(0);
inline constexpr pgno_t kMaxPgno = (pgno_t(1) << 48) - 1;  // FROZEN: 48-bit child pointers
inline constexpr uint32_t kNumMetas = 3;                   // FROZEN
inline constexpr uint32_t kMagic = 0x42444d45u;            // FROZEN "EMDB" (LE bytes)
inline constexpr uint32_t kFormatVersion = 1;              // FROZEN
inline constexpr uint32_t kMinPageSize = 256;
inline constexpr uint32_t kMaxPageSize = 65536;
inline constexpr uint64_t kSignWeak = 1;   // FROZEN: sign of a weak (unflushed) meta
inline constexpr uint64_t kSignNone = 0;   // FROZEN: never valid as a steady sign
inline constexpr unsigned kMaxDepth = 32;  // more than any tree can reach with 2+ keys/page

// Page kinds (the `flags` field of the page header). FROZEN.
enum PageKind : uint16_t {
  kPageBranch = 0x01,
  kPageLeaf = 0x02,
  kPageLarge = 0x04,
  kPageMeta = 0x08,
  kPageDupfix = 0x20,   // with kPageLeaf: packed fixed-size keys (DUPFIXED)
  kPageSubpage = 0x40,  // with kPageLeaf: an inline DUPSORT sub-page inside a node
};

// The page header: 32 bytes. FROZEN.
// Declared with 2-byte alignment: an inline sub-page (see kSubpageSkip) is reached through a
// PageHeader* that is only 2-byte aligned inside its node, and only its last 8 bytes are used.
struct __attribute__((packed, aligned(2))) PageHeader {
  uint64_t txnid;         // 0: txn that wrote the page
  uint64_t pgno;          // 8: the page's own number
  uint32_t checksum;      // 16: reserved for page checksums; 0 = unused
  uint32_t large_count;   // 20: LARGE: pages in the run; otherwise 0
  uint16_t flags;         // 24: PageKind bits
  uint16_t dupfix_ksize;  // 26: DUPFIXED: size of each key
  uint16_t lower;         // 28: bytes of slot array (2 * nkeys)
  uint16_t upper;         // 30: offset of the node area start (from end of header)
};
static_assert(sizeof(PageHeader) == 32);
static_assert(alignof(PageHeader) == 2);
static_assert(offsetof(PageHeader, txnid) == 0);
static_assert(offsetof(PageHeader, pgno) == 8);
static_assert(offsetof(PageHeader, checksum) == 16);
static_assert(offsetof(PageHeader, large_count) == 20);
static_assert(offsetof(PageHeader, flags) == 24);
static_assert(offsetof(PageHeader, dupfix_ksize) == 26);
static_assert(offsetof(PageHeader, lower) == 28);
static_assert(offsetof(PageHeader, upper) == 30);
inline constexpr size_t kPageHeaderSize = sizeof(PageHeader);
// A sub-page is stored inside a node without the first 24 bytes of the header.
inline constexpr size_t kSubpageSkip = offsetof(PageHeader, flags);
inline constexpr size_t kSubpageHeaderSize = kPageHeaderSize - kSubpageSkip;  // 8

// Node header: 8 bytes, followed by the key, then (in leaves) the data. FROZEN.
//   leaf:   dsize = data size (for N_BIG: the value size, the data holds an 8-byte pgno)
//           flags = NodeFlags
//   branch: dsize = low 32 bits of the child pgno, flags = high 16 bits of the child pgno
struct NodeHeader {
  uint32_t dsize;
  uint16_t flags;
  uint16_t ksize;
};
static_assert(sizeof(NodeHeader) == 8);
inline constexpr size_t kNodeHeaderSize = sizeof(NodeHeader);

enum NodeFlags : uint16_t {
  kNodeBig = 0x01,   // value lives in a large-page run; data = pgno (8 bytes)
  kNodeTree = 0x02,  // data is a TreeRecord (named table in main, or DUPSORT sub-tree)
  kNodeDup = 0x04,   // DUPSORT: data is a sub-page (alone) or a sub-tree record (with kNodeTree)
};

// A table's (or sub-tree's) record. 64 bytes. FROZEN.
struct TreeRecord {
  uint16_t flags;        // table flags (EMDB_REVERSEKEY ... EMDB_REVERSEDUP)
  uint16_t height;       // 0 = empty
  uint32_t dupfix_size;  // DUPFIXED: value size (0 until known)
  uint64_t root;         // root pgno, kInvalidPgno when empty
  uint64_t branch_pages;
  uint64_t leaf_pages;
  uint64_t large_pages;
  uint64_t items;      // key/value pairs (all duplicates counted)
  uint64_t sequence;   // emdb_dbi_sequence
  uint64_t mod_txnid;  // txn of the last change
};
static_assert(sizeof(TreeRecord) == 64);
static_assert(offsetof(TreeRecord, root) == 8);
static_assert(offsetof(TreeRecord, items) == 40);

inline TreeRecord EmptyTree(uint16_t flags) {
  TreeRecord t{};
  t.flags = flags;
  t.root = kInvalidPgno;
  return t;
}

// Geometry in pages. FROZEN.
struct Geometry {
  uint64_t lower;   // minimal file size in pages
  uint64_t upper;   // maximal file size in pages
  uint64_t now;     // current file size in pages
  uint64_t grow;    // growth step in pages
  uint64_t shrink;  // shrink threshold in pages
};
static_assert(sizeof(Geometry) == 40);

// The meta in memory (decoded). On disk it is the packed 224-byte DiskMeta below, so that it
// fits the smallest page (256 bytes) after the page header.
struct Meta {
  uint64_t txnid_a;
  uint32_t magic;
  uint16_t version;
  uint32_t pagesize;
  Geometry geo;
  TreeRecord gc;
  TreeRecord main;     // main.sequence is stored separately on disk
  uint64_t next_pgno;  // first never-allocated page
  uint64_t canary[4];  // x, y, z, v
  uint64_t bootid[2];  // boot id of the committing system
  uint64_t sign;       // kSignWeak, or the checksum of the encoded bytes [0, 208)
  uint64_t txnid_b;
};

// On-disk tree record: 48 bytes. FROZEN.
//   0 u16 flags   2 u16 height   4 u32 dupfix_size
//   8 u48 root   14 u48 branch_pages   20 u48 leaf_pages   26 u48 large_pages
//  32 u48 mod_txnid   38 u16 reserved   40 u64 items
inline constexpr size_t kDiskTreeSize = 48;
// A named table's record in the main tree: the tree record then u64 sequence. FROZEN.
inline constexpr size_t kTableRecordSize = 56;

// On-disk meta: 224 bytes after the page header. FROZEN.
//   0 u64 txnid_a      8 u32 magic       12 u16 version     14 u8 log2(pagesize)  15 u8 0
//  16 geo: u48 lower, upper, now, grow, shrink (pages), u16 0
//  48 gc tree (48)    96 main tree (48) 144 u64 main sequence
// 152 u64 next_pgno 160 u64 canary[4]   192 u64 bootid[2]
// 208 u64 sign      216 u64 txnid_b
inline constexpr size_t kMetaSize = 224;
inline constexpr size_t kMetaSignedBytes = 208;
inline constexpr size_t kMetaTxnidB = 216;
static_assert(kPageHeaderSize + kMetaSize <= kMinPageSize);

namespace detail {
inline void Put48(uint8_t* p, uint64_t v) {
  uint16_t lo16 = uint16_t(v);
  uint32_t hi32 = uint32_t(v >> 16);
  std::memcpy(p, &lo16, 2);
  std::memcpy(p + 2, &hi32, 4);
}
inline uint64_t Get48(const uint8_t* p) {
  uint16_t lo16;
  uint32_t hi32;
  std::memcpy(&lo16, p, 2);
  std::memcpy(&hi32, p + 2, 4);
  return uint64_t(lo16) | (uint64_t(hi32) << 16);
}
template <typename T>
inline void Put(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}
template <typename T>
inline T Get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
inline uint64_t Pg48(uint64_t v) { return v == ~uint64_t(0) ? ((uint64_t(1) << 48) - 1) : v; }
inline uint64_t Un48(uint64_t v) { return v == ((uint64_t(1) << 48) - 1) ? ~uint64_t(0) : v; }
}  // namespace detail

inline void EncodeTree(const TreeRecord& t, uint8_t* o) {
  using namespace detail;
  Put<uint16_t>(o, t.flags);
  Put<uint16_t>(o + 2, t.height);
  Put<uint32_t>(o + 4, t.dupfix_size);
  Put48(o + 8, Pg48(t.root));
  Put48(o + 14, t.branch_pages);
  Put48(o + 20, t.leaf_pages);
  Put48(o + 26, t.large_pages);
  Put48(o + 32, t.mod_txnid);
  Put<uint16_t>(o + 38, 0);
  Put<uint64_t>(o + 40, t.items);
}
inline TreeRecord DecodeTree(const uint8_t* i) {
  using namespace detail;
  TreeRecord t{};
  t.flags = Get<uint16_t>(i);
  t.height = Get<uint16_t>(i + 2);
  t.dupfix_size = Get<uint32_t>(i + 4);
  t.root = Un48(Get48(i + 8));
  t.branch_pages = Get48(i + 14);
  t.leaf_pages = Get48(i + 20);
  t.large_pages = Get48(i + 26);
  t.mod_txnid = Get48(i + 32);
  t.items = Get<uint64_t>(i + 40);
  return t;
}
inline void EncodeTableRecord(const TreeRecord& t, uint8_t* o) {
  EncodeTree(t, o);
  detail::Put<uint64_t>(o + kDiskTreeSize, t.sequence);
}
inline TreeRecord DecodeTableRecord(const uint8_t* i) {
  TreeRecord t = DecodeTree(i);
  t.sequence = detail::Get<uint64_t>(i + kDiskTreeSize);
  return t;
}

inline void EncodeMeta(const Meta& m, uint8_t* o) {
  using namespace detail;
  std::memset(o, 0, kMetaSize);
  Put<uint64_t>(o, m.txnid_a);
  Put<uint32_t>(o + 8, m.magic);
  Put<uint16_t>(o + 12, m.version);
  o[14] = uint8_t(std::countr_zero(m.pagesize ? m.pagesize : 1u));
  Put48(o + 16, m.geo.lower);
  Put48(o + 22, m.geo.upper);
  Put48(o + 28, m.geo.now);
  Put48(o + 34, m.geo.grow);
  Put48(o + 40, m.geo.shrink);
  EncodeTree(m.gc, o + 48);
  EncodeTree(m.main, o + 96);
  Put<uint64_t>(o + 144, m.main.sequence);
  Put<uint64_t>(o + 152, m.next_pgno);
  for (int i = 0; i < 4; i++) Put<uint64_t>(o + 160 + 8 * i, m.canary[i]);
  Put<uint64_t>(o + 192, m.bootid[0]);
  Put<uint64_t>(o + 200, m.bootid[1]);
  Put<uint64_t>(o + 208, m.sign);
  Put<uint64_t>(o + 216, m.txnid_b);
}
inline Meta DecodeMeta(const uint8_t* i) {
  using namespace detail;
  Meta m{};
  m.txnid_a = Get<uint64_t>(i);
  m.magic = Get<uint32_t>(i + 8);
  m.version = Get<uint16_t>(i + 12);
  m.pagesize = i[14] < 32 ? (1u << i[14]) : 0;
  m.geo.lower = Get48(i + 16);
  m.geo.upper = Get48(i + 22);
  m.geo.now = Get48(i + 28);
  m.geo.grow = Get48(i + 34);
  m.geo.shrink = Get48(i + 40);
  m.gc = DecodeTree(i + 48);
  m.main = DecodeTree(i + 96);
  m.main.sequence = Get<uint64_t>(i + 144);
  m.next_pgno = Get<uint64_t>(i + 152);
  for (int k = 0; k < 4; k++) m.canary[k] = Get<uint64_t>(i + 160 + 8 * k);
  m.bootid[0] = Get<uint64_t>(i + 192);
  m.bootid[1] = Get<uint64_t>(i + 200);
  m.sign = Get<uint64_t>(i + 208);
  m.txnid_b = Get<uint64_t>(i + 216);
  return m;
}

// GC records. Key (12 bytes, compared bytewise): the txnid that freed the pages, big-endian
// u64, then a big-endian u32 chunk number: one commit's pages are split into chunks small enough
// to stay inline in a leaf node, so reclaiming or saving never moves more than a chunk.
// Value: u32 count, u32 reserved, then `count` u64 page numbers sorted ascending (the value may
// carry zero padding after them: read it by `count`). FROZEN.
struct GcRecordHeader {
  uint32_t count;
  uint32_t reserved;
};
static_assert(sizeof(GcRecordHeader) == 8);
inline constexpr size_t kGcKeySize = 12;
inline void GcKey(uint8_t* k, txnid_t txnid, uint32_t chunk) {
  uint64_t t = __builtin_bswap64(txnid);
  uint32_t c = __builtin_bswap32(chunk);
  std::memcpy(k, &t, 8);
  std::memcpy(k + 8, &c, 4);
}
inline txnid_t GcKeyTxnid(const uint8_t* k) {
  uint64_t t;
  std::memcpy(&t, k, 8);
  return __builtin_bswap64(t);
}

// ---- limits derived from the page size ----

// Largest node (header + key + inline data) so that every page holds at least two nodes.
constexpr size_t NodeMax(size_t pagesize) {
  return (((pagesize - kPageHeaderSize) / 2) - sizeof(uint16_t)) & ~size_t(1);
}
constexpr size_t MaxKeySize(size_t pagesize) {
  return NodeMax(pagesize) - kNodeHeaderSize - sizeof(uint64_t);
}
// DUPSORT: key and value both live inline, and a value is also a key of the sub-tree.
constexpr size_t MaxDupKeySize(size_t pagesize) {
  return (NodeMax(pagesize) - kNodeHeaderSize) / 2 - kNodeHeaderSize;
}

// 64-bit checksum used for meta signs (a seeded multiply-xorshift hash; not cryptographic).
inline uint64_t Checksum64(const void* data, size_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (len * 0xff51afd7ed558ccdull);
  while (len >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h ^= v * 0xC2B2AE3D27D4EB4Full;
    h = ((h << 31) | (h >> 33)) * 0x9E3779B97F4A7C15ull;
    p += 8;
    len -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, len);
  h ^= tail * 0x165667B19E3779F9ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h < 2 ? h + 2 : h;  // never collides with kSignNone / kSignWeak
}

inline uint64_t MetaChecksum(const Meta& m) {
  uint8_t buf[kMetaSize];
  EncodeMeta(m, buf);
  return Checksum64(buf, kMetaSignedBytes);
}

}  // namespace emdb::format
