// engine/copy/copy.cpp — see copy.hpp.
#include "copy/copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "base/failpoint.hpp"
#include "base/log.hpp"
#include "txn/pages.hpp"
#include "txn/space.hpp"
#include "txn/txn.hpp"

namespace emdb::copy {

using namespace format;

namespace {

constexpr size_t kBufferBytes = size_t(4) << 20;     // compact: pages gathered per write
constexpr size_t kMaxWriteBytes = size_t(64) << 20;  // plain: bytes per write() from the map
constexpr unsigned kMaxRestarts = 8;                 // EMDB_CP_RENEW_TXN: restarts of one copy

// The read txn of a copy. Every byte of the map is read while the txn is unparked and its slot
// still pins the snapshot (C5); with EMDB_CP_THROTTLE_MVCC the txn is parked while the copy
// writes what it gathered, so a writer short of space may oust it meanwhile.
class Snapshot {
 public:
  Snapshot(Txn* t, unsigned flags) : t_(t), throttle_((flags & EMDB_CP_THROTTLE_MVCC) != 0) {}

  // The slot still holds the snapshot: nothing read so far came from reused pages.
  Status Intact() const {
    return t_->slot->txnid.load(std::memory_order_acquire) == t_->txnid
               ? Status(0)
               : Status(EMDB_MVCC_RETARDED);
  }
  // Before writing bytes already copied out of the map: checks them, then parks (throttle).
  Status Park() {
    EMDB_TRY(Intact());
    if (!throttle_) return 0;
    EMDB_TRY(space::ParkRead(t_));
    return EMDB_FAILPOINT("copy.parked");
  }
  // Before reading the map again: unparks (EMDB_OUSTED if the writer took the snapshot).
  Status Unpark() {
    if (throttle_) EMDB_TRY(space::UnparkRead(t_));
    return Intact();
  }
  bool throttle() const { return throttle_; }

 private:
  Txn* t_;
  bool throttle_;
};

// Sequential output to a descriptor (C2). A descriptor opened with O_DIRECT (CopyToPath asks
// for it) gets page-aligned buffers; a write the device refuses for alignment (EINVAL) turns
// O_DIRECT off and is retried through the page cache.
class Output {
 public:
  explicit Output(int fd) : fd_(fd) {
    const int fl = ::fcntl(fd, F_GETFL);
    direct_ = fl != -1 && (fl & O_DIRECT) != 0;
  }

  Status Write(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, std::min(n, kMaxWriteBytes));
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EINVAL && direct_) {
          direct_ = false;
          const int fl = ::fcntl(fd_, F_GETFL);
          if (fl != -1 && ::fcntl(fd_, F_SETFL, fl & ~O_DIRECT) == 0) continue;
          return EINVAL;
        }
        return errno;
      }
      if (w == 0) return EMDB_EIO;
      p += w;
      n -= size_t(w);
      written_ += uint64_t(w);
    }
    return 0;
  }
  uint64_t written() const { return written_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  bool direct_ = false;
  uint64_t written_ = 0;
};

// A page-aligned byte buffer of fixed capacity (for O_DIRECT), filled by Append.
class PageBuffer {
 public:
  [[nodiscard]] bool Init(size_t capacity) {
    void* p = nullptr;
    if (::posix_memalign(&p, 65536, capacity) != 0) return false;
    data_.reset(static_cast<uint8_t*>(p));
    capacity_ = capacity;
    size_ = 0;
    return true;
  }
  uint8_t* Append(size_t n) {
    uint8_t* p = data_.get() + size_;
    size_ += n;
    return p;
  }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t capacity_ = 0, size_ = 0;
};

uint64_t RoundUp(uint64_t v, uint64_t unit) { return (v + unit - 1) / unit * unit; }

// The geometry of the copy: the snapshot's, with `now` covering the data, made growable with
// EMDB_CP_FORCE_DYNAMIC_SIZE (lower at the engine's minimum, growth and shrink steps set).
Geometry CopyGeometry(const Env* env, const Meta& m, pgno_t next_pgno, unsigned flags) {
  Geometry g = m.geo;
  const uint64_t ps = env->psize;
  const uint64_t unit = std::max<uint64_t>(ps, os::SystemPageSize());
  if (flags & EMDB_CP_FORCE_DYNAMIC_SIZE) {
    const uint64_t min_pages = RoundUp(ps * 16, unit) / ps;
    const uint64_t default_grow = RoundUp(uint64_t(16) << 20, unit) / ps;
    g.lower = std::min<uint64_t>(g.lower, min_pages);
    g.upper = std::max<uint64_t>(g.upper, next_pgno);
    if (g.grow == 0) g.grow = default_grow;
    if (g.shrink == 0) g.shrink = g.grow * 2;
  }
  g.now = std::max<uint64_t>(next_pgno, g.lower);
  if (flags & EMDB_CP_COMPACT) {
    // A compact copy is as small as its data allows.
    g.now = std::max<uint64_t>(RoundUp(next_pgno * ps, unit) / ps, g.lower);
  }
  if (g.upper < g.now) g.upper = g.now;
  return g;
}

// Appends the three meta pages of the copy (C1) to `out`.
void MetaPages(const Env* env, Meta m, PageBuffer* out) {
  const size_t ps = env->psize;
  uint8_t* buf = out->Append(ps * kNumMetas);
  std::memset(buf, 0, ps * kNumMetas);
  m.txnid_b = m.txnid_a;
  m.sign = MetaChecksum(m);
  for (unsigned i = 0; i < kNumMetas; i++) {
    auto* p = reinterpret_cast<Page*>(buf + i * ps);
    p->pgno = i;
    p->flags = kPageMeta;
    if (i == 0) {
      p->txnid = m.txnid_a;
      EncodeMeta(m, PageData(p));
    } else {
      Meta empty = m;
      empty.txnid_a = empty.txnid_b = 0;
      empty.sign = kSignNone;
      EncodeMeta(empty, PageData(p));
    }
  }
}

// For a regular output file: extends it to hold `pages` pages after `start` (sparse tail), and
// flushes unless asked not to (C4).
Status Finish(int fd, off_t start, uint64_t pages, uint32_t ps, unsigned flags) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return 0;
  const off_t want = start + off_t(pages * ps);
  if (st.st_size < want && ::ftruncate(fd, want) != 0) return errno;
  if (!(flags & EMDB_CP_DONT_FLUSH) && ::fdatasync(fd) != 0) return errno;
  return 0;
}

off_t StartOffset(int fd) {
  const off_t pos = ::lseek(fd, 0, SEEK_CUR);
  return pos < 0 ? 0 : pos;
}

// EMDB_CP_RENEW_TXN: the read txn starts again on the newest snapshot (unparked).
Status Renew(Txn* t) {
  txn::ResetRead(t);
  return txn::BeginRead(t->env, t);
}

// ---- plain copy ----

Status CopyPlain(Txn* t, int fd, unsigned flags) {
  Env* env = t->env;
  const size_t ps = env->psize;
  const pgno_t next = t->meta.next_pgno;
  if (next < kNumMetas || next > kMaxPgno) return EMDB_CORRUPTED;
  const off_t start = StartOffset(fd);
  Meta m = t->meta;
  m.geo = CopyGeometry(env, t->meta, next, flags);
  Snapshot snap(t, flags);
  Output out(fd);
  PageBuffer buf;
  if (!buf.Init(std::max<size_t>(kBufferBytes, ps * kNumMetas))) return EMDB_ENOMEM;
  MetaPages(env, m, &buf);
  EMDB_TRY(out.Write(buf.data(), buf.size()));
  buf.clear();

  const uint64_t begin = uint64_t(kNumMetas) * ps;
  const uint64_t end = uint64_t(next) * ps;
  if (end <= env->map.mapped() && !snap.throttle()) {
    EMDB_TRY(out.Write(env->map.base() + begin, size_t(end - begin)));
    EMDB_TRY(snap.Intact());  // write() read the map: a kicked reader makes it worthless
  } else {
    // Through the buffer: gathered while unparked, written while parked (throttle). Past the
    // map (cannot happen for a live snapshot, whose geometry is mapped) from the file.
    for (uint64_t off = begin; off < end;) {
      const size_t n = size_t(std::min<uint64_t>(buf.capacity(), end - off));
      EMDB_TRY(snap.Unpark());
      uint8_t* p = buf.Append(n);
      if (off + n <= env->map.mapped()) {
        std::memcpy(p, env->map.base() + off, n);
      } else {
        EMDB_TRY(env->file->PRead(p, n, off));
      }
      EMDB_TRY(snap.Park());
      EMDB_TRY(out.Write(buf.data(), n));
      buf.clear();
      off += n;
    }
    EMDB_TRY(snap.Unpark());
  }
  return Finish(fd, start, m.geo.now, uint32_t(ps), flags);
}

// ---- compact copy ----

class Compactor {
 public:
  Compactor(Txn* t, int fd, unsigned flags)
      : t_(t), env_(t->env), ps_(t->env->psize), out_(fd), snap_(t, flags) {}

  Status Run(unsigned flags) {
    if (!buf_.Init(std::max<size_t>(kBufferBytes, size_t(ps_) * kNumMetas))) return EMDB_ENOMEM;
    const off_t start = StartOffset(out_.fd());
    Meta m = t_->meta;
    uint64_t total = 0;
    EMDB_TRY(CountPages(&total));
    expected_ = kNumMetas + total;
    if (expected_ > kMaxPgno) return EMDB_CORRUPTED;

    // Blocks: the main tree first, then each named table in key order, each its own run of
    // page numbers (sized by its record), so every tree is contiguous in the copy.
    const TreeRecord& main = t_->meta.main;
    reserved_ = kNumMetas;
    if (main.root != kInvalidPgno) {
      m.main.root = Reserve(main.root, main.branch_pages + main.leaf_pages + main.large_pages,
                            /*main=*/true);
    }
    m.gc = EmptyTree(t_->meta.gc.flags);
    m.gc.mod_txnid = t_->meta.gc.mod_txnid;
    m.next_pgno = expected_;
    m.geo = CopyGeometry(env_, t_->meta, expected_, flags | EMDB_CP_COMPACT);
    MetaPages(env_, m, &buf_);

    for (size_t b = 0; b < blocks_.size(); b++) {
      const Block block = blocks_[b];  // copied: CopyTreePage may append blocks
      next_ = block.base + 1;          // the root is numbered
      limit_ = block.base + block.pages;
      queue_.push_back(Item{block.old_root, block.base, 1, kTree, block.main});
      while (!queue_.empty()) {
        const Item item = queue_.front();
        queue_.pop_front();
        EMDB_TRY(item.kind == kLarge ? CopyLarge(item) : CopyTreePage(item));
      }
      if (next_ != limit_) return Mismatch(block, next_ - block.base);
    }
    EMDB_TRY(Flush());
    if (reserved_ != expected_ || written_pages_ != expected_ - kNumMetas) {
      EMDB_LOG_ERR("compact copy: %llu pages written, the records say %llu",
                   (unsigned long long)written_pages_, (unsigned long long)(expected_ - kNumMetas));
      return EMDB_CORRUPTED;
    }
    return Finish(out_.fd(), start, m.geo.now, ps_, flags);
  }

 private:
  enum Kind : uint8_t { kTree, kLarge };
  struct Item {
    pgno_t old_pgno;
    pgno_t new_pgno;
    uint32_t count;  // pages (large runs)
    Kind kind;
    bool main;  // a page of the main tree: its leaves hold named table records
  };
  // A tree and the page numbers reserved for it: [base, base + pages).
  struct Block {
    pgno_t old_root;
    pgno_t base;
    uint64_t pages;
    bool main;
  };

  // Reserves the block of a tree of `pages` pages; returns its root's new number.
  pgno_t Reserve(pgno_t old_root, uint64_t pages, bool main) {
    const pgno_t base = reserved_;
    reserved_ += std::max<uint64_t>(pages, 1);
    blocks_.push_back(Block{old_root, base, std::max<uint64_t>(pages, 1), main});
    return base;
  }

  Status Mismatch(const Block& block, uint64_t found) {
    EMDB_LOG_ERR(
        "compact copy: the tree rooted at page %llu holds %llu pages, its record says "
        "%llu",
        (unsigned long long)block.old_root, (unsigned long long)found,
        (unsigned long long)block.pages);
    return EMDB_CORRUPTED;
  }

  // Pages of the main tree and of every named table, from their records.
  Status CountPages(uint64_t* total) {
    const TreeRecord& main = t_->meta.main;
    *total = main.branch_pages + main.leaf_pages + main.large_pages;
    if (main.root == kInvalidPgno) return 0;
    std::vector<pgno_t> stack{main.root};
    uint64_t visited = 0;
    while (!stack.empty()) {
      const pgno_t pg = stack.back();
      stack.pop_back();
      if (++visited > main.branch_pages + main.leaf_pages) return EMDB_CORRUPTED;
      Page* p;
      EMDB_TRY(pages::Get(t_, pg, &p));
      const unsigned n = NumKeys(p);
      if (IsBranch(p)) {
        for (unsigned i = 0; i < n; i++) stack.push_back(NodeChild(NodeAt(p, i)));
        continue;
      }
      if (!IsLeaf(p)) return EMDB_CORRUPTED;
      if (IsDupfix(p)) continue;
      for (unsigned i = 0; i < n; i++) {
        const uint8_t* node = NodeAt(p, i);
        if ((NodeFlags(node) & (kNodeTree | kNodeDup)) != kNodeTree) continue;
        if (NodeDsize(node) != kTableRecordSize) return EMDB_CORRUPTED;
        const TreeRecord r = DecodeTableRecord(NodeData(node));
        *total += r.branch_pages + r.leaf_pages + r.large_pages;
      }
    }
    return 0;
  }

  // The next `count` page numbers of the current tree's block, for page `old` visited later in
  // this order; kInvalidPgno when the block is full (more pages than the record says).
  pgno_t Assign(pgno_t old, uint32_t count, Kind kind, bool main) {
    if (next_ + count > limit_) return kInvalidPgno;
    const pgno_t pg = next_;
    next_ += count;
    queue_.push_back(Item{old, pg, count, kind, main});
    return pg;
  }

  uint8_t* Append(size_t bytes) { return buf_.Append(bytes); }

  // Writes the gathered pages: parked while writing (throttle), unparked again after.
  Status Flush() {
    if (buf_.empty()) return 0;
    EMDB_TRY(snap_.Park());
    Status rc = out_.Write(buf_.data(), buf_.size());
    buf_.clear();
    EMDB_TRY(rc);
    return snap_.Unpark();
  }

  Status Room(size_t bytes) {
    if (buf_.size() + bytes > buf_.capacity()) return Flush();
    return 0;
  }

  Status CopyTreePage(const Item& item) {
    Page* src;
    EMDB_TRY(pages::Get(t_, item.old_pgno, &src));
    if (!IsBranch(src) && !IsLeaf(src)) return EMDB_CORRUPTED;
    EMDB_TRY(Room(ps_));
    uint8_t* raw = Append(ps_);
    std::memcpy(raw, src, ps_);
    written_pages_++;
    auto* p = reinterpret_cast<Page*>(raw);
    p->pgno = item.new_pgno;
    const unsigned n = NumKeys(p);
    if (size_t(p->lower) > PageRoom(ps_)) return EMDB_CORRUPTED;
    if (IsBranch(p)) {
      for (unsigned i = 0; i < n; i++) {
        uint8_t* node = NodeAt(p, i);
        const pgno_t child = Assign(NodeChild(node), 1, kTree, item.main);
        if (child == kInvalidPgno) return EMDB_CORRUPTED;  // a cycle, or pages not in the record
        SetNodeChild(node, child);
      }
      return 0;
    }
    if (IsDupfix(p)) return 0;
    for (unsigned i = 0; i < n; i++) {
      uint8_t* node = NodeAt(p, i);
      const uint16_t f = NodeFlags(node);
      if (f & kNodeBig) {
        const pgno_t run = Load64(NodeData(node));
        Page* lp;
        EMDB_TRY(pages::Get(t_, run, &lp));
        if (!IsLarge(lp) || lp->large_count == 0) return EMDB_CORRUPTED;
        const pgno_t moved = Assign(run, lp->large_count, kLarge, false);
        if (moved == kInvalidPgno) return EMDB_CORRUPTED;
        Store64(NodeData(node), moved);
      } else if ((f & kNodeTree) && (f & kNodeDup)) {
        TreeRecord sub = DecodeTree(NodeData(node));
        if (sub.root != kInvalidPgno) {
          sub.root = Assign(sub.root, 1, kTree, false);
          if (sub.root == kInvalidPgno) return EMDB_CORRUPTED;
          EncodeTree(sub, NodeData(node));
        }
      } else if ((f & kNodeTree) && item.main) {
        TreeRecord table = DecodeTableRecord(NodeData(node));
        if (table.root != kInvalidPgno) {
          const uint64_t pages = table.branch_pages + table.leaf_pages + table.large_pages;
          if (reserved_ + pages > expected_) return EMDB_CORRUPTED;
          table.root = Reserve(table.root, pages, false);
          EncodeTableRecord(table, NodeData(node));
        }
      }
    }
    return 0;
  }

  Status CopyLarge(const Item& item) {
    Page* src;
    EMDB_TRY(pages::Get(t_, item.old_pgno, &src));
    const uint64_t bytes = uint64_t(item.count) * ps_;
    if ((item.old_pgno + item.count) * uint64_t(ps_) > env_->map.mapped() ||
        item.old_pgno + item.count > t_->meta.next_pgno) {
      return EMDB_CORRUPTED;
    }
    written_pages_ += item.count;
    if (bytes <= buf_.capacity()) {
      EMDB_TRY(Room(bytes));
      uint8_t* raw = Append(bytes);
      std::memcpy(raw, src, bytes);
      reinterpret_cast<Page*>(raw)->pgno = item.new_pgno;
      return 0;
    }
    // A run bigger than the buffer: its first page through the buffer, the rest straight from
    // the map.
    EMDB_TRY(Room(ps_));
    uint8_t* raw = Append(ps_);
    std::memcpy(raw, src, ps_);
    reinterpret_cast<Page*>(raw)->pgno = item.new_pgno;
    EMDB_TRY(Flush());
    EMDB_TRY(out_.Write(reinterpret_cast<const uint8_t*>(src) + ps_, bytes - ps_));
    return snap_.Intact();  // write() read the map
  }

  Txn* t_;
  Env* env_;
  uint32_t ps_;
  Output out_;
  Snapshot snap_;
  PageBuffer buf_;
  std::deque<Item> queue_;
  std::vector<Block> blocks_;
  pgno_t next_ = kNumMetas;      // next number in the current block
  pgno_t limit_ = kNumMetas;     // end of the current block
  pgno_t reserved_ = kNumMetas;  // end of the reserved blocks
  pgno_t expected_ = kNumMetas;
  uint64_t written_pages_ = 0;
};

}  // namespace

Status CopyToFd(Txn* t, int fd, unsigned flags) {
  const bool renew = (flags & EMDB_CP_RENEW_TXN) != 0;
  // A lagging snapshot is renewed first: the copy is of the newest one.
  if (renew && t->txnid < t->env->lck.header()->head_txnid.load(std::memory_order_acquire)) {
    EMDB_TRY(Renew(t));
  }
  // A regular output can be rewound: a restart rewrites it, a failure leaves it as it was.
  struct stat st;
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const off_t start = StartOffset(fd);
  for (unsigned attempt = 0;; attempt++) {
    Status rc;
    if (flags & EMDB_CP_COMPACT) {
      Compactor c(t, fd, flags);
      rc = c.Run(flags);
    } else {
      rc = CopyPlain(t, fd, flags);
    }
    // An error while parked (a failed write) leaves the txn parked: it is handed back unparked,
    // or ousted.
    if (t->parked) {
      const Status u = space::UnparkRead(t);
      if (rc == 0) rc = u;
    }
    if (rc == 0) return 0;
    const bool lost = rc == EMDB_OUSTED || rc == EMDB_MVCC_RETARDED;
    if (regular && (::lseek(fd, start, SEEK_SET) < 0 || ::ftruncate(fd, start) != 0)) {
      EMDB_LOG_ERR("copy: cannot remove a failed copy from the output: errno %d", errno);
      return rc;
    }
    if (!lost || !renew || !regular || attempt >= kMaxRestarts) return rc;
    EMDB_LOG(EMDB_LOG_NOTICE, "copy: the snapshot of txn %llu was taken away (%s); restarting",
             (unsigned long long)t->txnid, rc == EMDB_OUSTED ? "ousted" : "kicked");
    EMDB_TRY(Renew(t));
  }
}

Status CopyToPath(Txn* t, const char* dest, unsigned flags) {
  std::string path(dest);
  struct stat st;
  if (::stat(dest, &st) == 0 && S_ISDIR(st.st_mode)) path += "/emdb.dat";
  int oflags = O_WRONLY | O_CREAT | O_CLOEXEC;
  oflags |= (flags & EMDB_CP_OVERWRITE) ? O_TRUNC : O_EXCL;
  const int fd = ::open(path.c_str(), oflags, 0644);
  if (fd < 0) return errno;
  // Direct I/O where the file system has it (as mdb_copy): the copy does not go through the
  // page cache, and nothing is copied twice. Output falls back if a write is refused.
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl != -1) (void)::fcntl(fd, F_SETFL, fl | O_DIRECT);
  Status rc = CopyToFd(t, fd, flags);
  if (::close(fd) != 0 && rc == 0) rc = errno;
  if (rc != 0) ::unlink(path.c_str());
  return rc;
}

}  // namespace emdb::copy
