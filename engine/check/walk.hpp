// engine/check/walk.hpp — the page walker: visits every page of one snapshot (the three metas,
// the GC tree, the main tree, every named table, every DUPSORT sub-tree and sub-page, every run
// of large pages) and validates each page before it reads anything in it. It is the core of both
// emdb_env_pgwalk (visits only) and emdb_env_chk (visits plus problems, see check.hpp).
//
// Thread safety: one Walker per call; it reads the map of a snapshot the caller keeps alive
// (a read txn, or a write txn whose dirty pages it also sees).
//
// Invariants (the walker trusts nothing it reads; docs/format.md "Checker invariants"):
//  W1. No byte is read outside [base, base + readable * psize) or outside a dirty buffer of the
//      txn: every page number is range-checked, every slot, node, key, value and sub-page is
//      bounds-checked against its page (or sub-page) before use.
//  W2. A page is claimed at most once (a bitmap over [0, min(next_pgno, readable))): a second
//      link to a page is reported (EMDB_CHK_PAGE_DOUBLE) and not followed, so a damaged file
//      with cycles or shared subtrees cannot make the walk loop or blow up.
//  W3. Recursion is bounded: tree depth by kMaxDepth, nesting by table -> DUPSORT sub-tree.
//  W4. Every problem is reported once with the page number and the owning table.
#pragma once

#include <emdb/emdb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/internal.hpp"

namespace emdb::check {

// Read access to the pages of one snapshot.
struct PageView {
  const uint8_t* base = nullptr;  // the map
  size_t psize = 0;
  pgno_t readable = 0;         // pages that exist in both the map and the file
  pgno_t next_pgno = 0;        // the snapshot's first never-allocated page
  txnid_t txnid = 0;           // the snapshot's txnid (page and record txnids are <= it)
  const Txn* dirty = nullptr;  // a write txn: its (and its ancestors') dirty pages come first

  // The first of `n` contiguous pages, or nullptr when any of them cannot be read.
  const Page* Get(pgno_t pg, uint64_t n) const;
};

// Owner codes in the page bitmap.
enum Owner : uint8_t { kFree = 0, kOwnMeta = 1, kOwnTree = 2, kOwnGcList = 3 };

// Page counts of one tree as the walk found them.
struct TreeCount {
  uint64_t branch = 0, leaf = 0, large = 0, items = 0;
  unsigned height = 0;  // deepest leaf level + 1
};

class Walker {
 public:
  using Visitor = EMDB_pgvisitor_func;
  using ProblemFn = EMDB_chk_problem_func;

  Walker(const PageView& view, bool check_order);

  void SetVisitor(Visitor* fn, void* ctx) {
    visitor_ = fn;
    visitor_ctx_ = ctx;
  }
  void SetProblem(ProblemFn* fn, void* ctx) {
    problem_ = fn;
    problem_ctx_ = ctx;
  }
  // Progress calls (EMDB_CHK_PROGRESS) through the problem callback.
  void SetProgress(bool on) { progress_ = on; }
  // Records of named tables changed in a write txn (their main-tree records may be stale).
  void SetTableOverride(const Txn* t) { override_txn_ = t; }
  // When set, the named tables are not walked (the GC tree still is).
  void SetGcOnly(bool on) { gc_only_ = on; }

  // Walks the metas, then the GC tree `gc` and the main tree `main` (and everything below it).
  // Returns 0, or the first nonzero value a callback returned (the walk stops there).
  int Run(const TreeRecord& gc, const TreeRecord& main);

  // Reports a problem (counted; passed to the problem callback). Returns the callback's value.
  int Problem(EMDB_chk_class_t cls, pgno_t pg, const EMDB_val* table, const char* fmt, ...)
      __attribute__((format(printf, 5, 6)));

  // The bitmap (after Run): owner of each page below min(next_pgno, readable).
  std::vector<uint8_t>& owners() { return owners_; }
  // Marks `n` pages from `pg` as used by `owner`; reports range and double use. false: not
  // claimed (out of range or already used).
  bool Claim(pgno_t pg, uint64_t n, uint8_t owner, const EMDB_val* table, const char* what,
             pgno_t from);

  // GC records found in the GC tree's leaves: key, value (bounds-checked), and leaf page.
  struct GcRecord {
    const uint8_t* key;
    size_t ksize;
    const uint8_t* val;
    size_t vsize;
    pgno_t leaf;
  };
  const std::vector<GcRecord>& gc_records() const { return gc_records_; }

  uint64_t problems[EMDB_CHK_CLASS_COUNT] = {};
  uint64_t problems_total = 0;
  TreeCount gc_count, main_count;
  uint64_t table_pages = 0;  // pages of named tables (sub-trees and large runs included)
  uint64_t large_pages = 0;  // all large pages
  uint64_t tables = 0;       // named tables
  uint64_t entries = 0;      // items of all named tables (and of the main tree's plain keys)
  bool stopped() const { return stop_ != 0; }
  int stop_value() const { return stop_; }

 private:
  struct Tree;
  int WalkTree(Tree& tr, const TreeRecord& rec, pgno_t parent, int depth0);
  void WalkPage(Tree& tr, pgno_t pg, pgno_t parent, unsigned level, int depth0, const Slice* lo,
                const Slice* hi);
  void LeafNodes(Tree& tr, const Page* p, pgno_t pg, unsigned level, int depth0);
  void SubPage(Tree& tr, const uint8_t* data, size_t dsize, pgno_t pg, unsigned level, int depth0,
               Slice key);
  void SubTree(Tree& tr, const uint8_t* data, size_t dsize, pgno_t pg, unsigned level, int depth0,
               Slice key);
  void LargeRun(Tree& tr, pgno_t leaf, const uint8_t* data, size_t dbytes, uint32_t vsize,
                unsigned level, int depth0, Slice* value_out);
  void NamedTable(Tree& main, Slice name, const uint8_t* data, size_t dsize, pgno_t pg);
  bool CheckKeys(Tree& tr, const Page* p, pgno_t pg, size_t room, const Slice* lo, const Slice* hi,
                 bool leaf);
  // Validates the slots and nodes of a branch/leaf page (or sub-page) of `room` bytes.
  bool CheckNodes(Tree& tr, const Page* p, pgno_t pg, size_t room, bool branch);
  void Visit(pgno_t pg, unsigned npages, pgno_t parent, const EMDB_val* table, int depth,
             EMDB_page_type_t type, size_t n, size_t payload, size_t header, size_t unused);
  void CompareCounts(const Tree& tr, const TreeRecord& rec, const TreeCount& c, bool sub);

  PageView v_;
  bool check_order_;
  bool gc_only_ = false;
  Visitor* visitor_ = nullptr;
  void* visitor_ctx_ = nullptr;
  ProblemFn* problem_ = nullptr;
  void* problem_ctx_ = nullptr;
  const Txn* override_txn_ = nullptr;
  std::vector<uint8_t> owners_;
  std::vector<GcRecord> gc_records_;
  std::vector<uint8_t> gc_scratch_;  // GC values read from large runs
  int stop_ = 0;
  bool progress_ = false;
  uint64_t claimed_ = 0;
};

// Printable form of a binary name for messages: printable ASCII as is, other bytes as \xHH,
// at most 64 bytes shown.
std::string Printable(const void* data, size_t size);
// The owner label for messages: "main tree", "GC tree", "meta" or "table 'name'".
std::string OwnerLabel(const EMDB_val* table);
// Short name of a problem class ("page-double", "key-order", ...), as messages show it.
const char* ChkClassName(EMDB_chk_class_t c);

}  // namespace emdb::check
