// check_test.cpp — emdb_env_pgwalk and emdb_env_chk: page accounting on varied databases, clean
// checks (also under a concurrent writer and on a chosen meta), and damage of 44 kinds made to
// a real file: the checker names each with its page and class, reading APIs never crash. Damage
// the open refuses (a bad magic, version or page size where the open reads it, a truncated
// file) is checked from the file with emdb_preopen_chk; every kind is checked both ways when
// the database still opens.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "check_util.hpp"
#include "format/page.hpp"
#include "support/db.hpp"
#include "support/fixture.hpp"
#include "support/kv.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

using namespace emdb_test;
using namespace emdb_check_test;
namespace fmt = emdb::format;

namespace {

EnvOptions Opts() {
  EnvOptions o;
  o.maxdbs = 64;
  o.size_upper = intptr_t(256) << 20;
  return o;
}

void ExpectClean(const ChkResult& r) {
  EXPECT_EQ(r.rc, EMDB_SUCCESS) << r.all();
  EXPECT_EQ(r.report.problems_total, 0u) << r.all();
  EXPECT_TRUE(r.problems.empty()) << r.all();
}

TEST(Pgwalk, AccountsForEveryPage) {
  TempDir dir("pgwalk");
  build_varied_db(dir.path(), 1, test_seed_for("pgwalk"));
  Env env;
  ASSERT_EQ(env.open(dir.path(), Opts()), 0);
  ChkResult chk = run_chk(env);
  ExpectClean(chk);
  Txn t;
  ASSERT_EQ(t.begin(env, EMDB_TXN_RDONLY), 0);
  std::vector<PageVisit> v;
  ASSERT_EQ(run_walk(t.get(), &v), 0);
  std::set<uint64_t> seen;
  std::set<int> types;
  std::set<std::string> tables;
  uint64_t total = 0;
  for (const PageVisit& p : v) {
    types.insert(p.type);
    tables.insert(p.table);
    EXPECT_NE(p.type, EMDB_page_broken) << "page " << p.pgno;
    if (p.type == EMDB_subpage_leaf || p.type == EMDB_subpage_dupfix_leaf) {
      EXPECT_EQ(p.npages, 0u);
      continue;
    }
    for (unsigned i = 0; i < p.npages; i++) {
      EXPECT_TRUE(seen.insert(p.pgno + i).second) << "page visited twice: " << p.pgno + i;
    }
    total += p.npages;
    EXPECT_EQ(p.header + p.payload + p.unused, size_t(p.npages) * chk.report.pagesize)
        << "page " << p.pgno << " type " << p.type;
  }
  EXPECT_EQ(total, chk.report.allocated_pages - chk.report.gc_listed_pages);
  EXPECT_GT(chk.report.gc_listed_pages, 0u);
  for (int ty : {EMDB_page_meta, EMDB_page_large, EMDB_page_branch, EMDB_page_leaf,
                 EMDB_page_dupfix_leaf, EMDB_subpage_leaf, EMDB_subpage_dupfix_leaf}) {
    EXPECT_TRUE(types.count(ty)) << "no page of type " << ty;
  }
  for (const char* name : {"@meta", "@main", "@gc", "plain", "dups", "fixed", "ints", "big", "t7"})
    EXPECT_TRUE(tables.count(name)) << name;
  EXPECT_EQ(chk.report.tables, 25u);
  EXPECT_EQ(chk.report.meta_pages + chk.report.gc_tree_pages + chk.report.main_pages +
                chk.report.table_pages + chk.report.gc_listed_pages,
            chk.report.allocated_pages);
}

TEST(Pgwalk, BadArgumentsAndStop) {
  TempDir dir("pgwalk-args");
  build_varied_db(dir.path());
  Env env;
  ASSERT_EQ(env.open(dir.path(), Opts()), 0);
  Txn t;
  ASSERT_EQ(t.begin(env, EMDB_TXN_RDONLY), 0);
  EXPECT_EQ(emdb_env_pgwalk(nullptr, nullptr, nullptr, EMDB_PGWALK_DEFAULTS), EMDB_EINVAL);
  EXPECT_EQ(emdb_env_pgwalk(t.get(), nullptr, nullptr, EMDB_PGWALK_DEFAULTS), EMDB_EINVAL);
  int calls = 0;
  auto stop = [](void* ctx, uint64_t, unsigned, uint64_t, const EMDB_val*, int, EMDB_page_type_t,
                 size_t, size_t, size_t,
                 size_t) noexcept -> int { return ++*static_cast<int*>(ctx) == 5 ? 42 : 0; };
  EXPECT_EQ(emdb_env_pgwalk(t.get(), stop, &calls, EMDB_PGWALK_DEFAULTS), 42);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(emdb_env_chk(nullptr, EMDB_CHK_DEFAULTS, -1, nullptr, nullptr, nullptr), EMDB_EINVAL);
  EXPECT_EQ(emdb_env_chk(env, EMDB_CHK_DEFAULTS, 3, nullptr, nullptr, nullptr), EMDB_EINVAL);
  EXPECT_EQ(emdb_env_chk(env, EMDB_chk_flags_t(0x400), -1, nullptr, nullptr, nullptr), EMDB_EINVAL);
}

TEST(Pgwalk, WriteTxnSeesItsDirtyPages) {
  TempDir dir("pgwalk-write");
  build_varied_db(dir.path());
  Env env;
  ASSERT_EQ(env.open(dir.path(), Opts()), 0);
  Txn t;
  ASSERT_EQ(t.begin(env), 0);
  EMDB_dbi d;
  ASSERT_EQ(emdb_dbi_open(t.get(), "plain", EMDB_DB_DEFAULTS, &d), 0);
  for (int i = 0; i < 2000; i++) ASSERT_EQ(put(t.get(), d, key_n(900000 + i), "x"), 0);
  std::vector<PageVisit> v;
  EXPECT_EQ(run_walk(t.get(), &v), 0);
  std::set<uint64_t> seen;
  for (const PageVisit& p : v) {
    for (unsigned i = 0; i < p.npages; i++) EXPECT_TRUE(seen.insert(p.pgno + i).second);
  }
}

TEST(Chk, CleanOnVariedDatabasesAndEveryFlag) {
  for (unsigned scale : {1u, 3u}) {
    TempDir dir("chk-clean");
    build_varied_db(dir.path(), scale, test_seed_for("chk-clean") + scale);
    Env env;
    ASSERT_EQ(env.open(dir.path(), Opts()), 0);
    for (unsigned f : {unsigned(EMDB_CHK_DEFAULTS), unsigned(EMDB_CHK_READWRITE),
                       unsigned(EMDB_CHK_SKIP_BTREE_TRAVERSAL), unsigned(EMDB_CHK_IGNORE_ORDER),
                       unsigned(EMDB_CHK_SKIP_KV_TRAVERSAL)}) {
      SCOPED_TRACE(f);
      ExpectClean(run_chk(env, f));
    }
    ChkResult r = run_chk(env);
    int head = r.report.meta_selected;
    ASSERT_GE(head, 0);
    EXPECT_EQ(r.report.checked_txnid, r.report.recent_txnid);
    ExpectClean(run_chk(env, EMDB_CHK_DEFAULTS, head));
    ExpectClean(run_chk(env, EMDB_CHK_READWRITE, head));
    // The meta before the head describes a consistent older snapshot.
    int prev = -1;
    for (int i = 0; i < 3; i++) {
      if (r.report.meta_valid[i] && r.report.meta_txnid[i] + 1 == r.report.meta_txnid[head])
        prev = i;
    }
    if (prev >= 0) {
      ChkResult p = run_chk(env, EMDB_CHK_READWRITE, prev);
      ExpectClean(p);
      EXPECT_EQ(p.report.checked_txnid + 1, r.report.checked_txnid);
    }
  }
}

// EMDB_CHK_TURN_STEADY on an env opened for recovery on the meta before the head: after the
// clean check that meta is the newest steady one, and the database is clean on it.
TEST(Chk, TurnSteadyMakesTheChosenMetaTheHead) {
  TempDir dir("chk-turn");
  build_varied_db(dir.path());
  int prev = -1;
  uint64_t prev_txnid = 0;
  {
    Env env;
    ASSERT_EQ(env.open(dir.path(), Opts()), 0);
    ChkResult r = run_chk(env);
    ExpectClean(r);
    const int head = r.report.meta_selected;
    for (int i = 0; i < 3; i++) {
      if (r.report.meta_valid[i] && r.report.meta_txnid[i] + 1 == r.report.meta_txnid[head]) {
        prev = i;
        prev_txnid = r.report.meta_txnid[i];
      }
    }
    ASSERT_GE(prev, 0);
    // Not an exclusive (recovery) open: the turn is refused after the check.
    EXPECT_EQ(emdb_env_chk(env, EMDB_CHK_TURN_STEADY, prev, nullptr, nullptr, nullptr), EMDB_EPERM);
    EXPECT_EQ(emdb_env_chk(env, EMDB_CHK_TURN_STEADY, -1, nullptr, nullptr, nullptr), EMDB_EINVAL);
  }
  {
    EMDB_env* e = nullptr;
    ASSERT_EQ(emdb_env_create(&e), 0);
    ASSERT_EQ(emdb_env_set_maxdbs(e, 64), 0);
    ASSERT_EQ(emdb_env_open_for_recovery(e, dir.path().c_str(), unsigned(prev), true), 0);
    Env env(e);
    ChkResult r = run_chk(env, EMDB_CHK_TURN_STEADY, prev);
    ExpectClean(r);
  }
  Env env;
  ASSERT_EQ(env.open(dir.path(), Opts()), 0);
  ChkResult r = run_chk(env);
  ExpectClean(r);
  EXPECT_EQ(r.report.checked_txnid, prev_txnid);
  EXPECT_EQ(r.report.recent_txnid, prev_txnid);
  EXPECT_EQ(r.report.steady_txnid, prev_txnid);
}

TEST(Chk, EmptyAndFreshDatabases) {
  TempDir dir("chk-empty");
  Env env;
  ASSERT_EQ(env.open(dir.path(), Opts()), 0);
  ChkResult r = run_chk(env);
  ExpectClean(r);
  EXPECT_EQ(r.report.allocated_pages, 3u);
  EXPECT_EQ(r.report.meta_valid[0] + r.report.meta_valid[1] + r.report.meta_valid[2], 1);
}

TEST(Chk, CleanUnderConcurrentWriter) {
  TempDir dir("chk-live");
  build_varied_db(dir.path());
  Env env;
  ASSERT_EQ(env.open(dir.path(), Opts()), 0);
  std::atomic<bool> stop{false};
  std::atomic<int> commits{0};
  const uint64_t seed = test_seed_for("chk-live");
  std::printf("seed=%llu\n", (unsigned long long)seed);
  std::thread writer([&] {
    std::mt19937_64 rng(seed);
    EMDB_dbi plain, dups;
    {
      Txn t;
      if (t.begin(env) != 0) return;
      if (emdb_dbi_open(t.get(), "plain", EMDB_DB_DEFAULTS, &plain) != 0) return;
      if (emdb_dbi_open(t.get(), "dups", EMDB_DUPSORT, &dups) != 0) return;
      (void)t.commit();
    }
    while (!stop.load() || commits.load() < 20) {
      Txn t;
      if (t.begin(env) != 0) return;
      for (int i = 0; i < 200; i++) {
        const uint64_t k = rng() % 6000;
        if (rng() % 3 == 0) {
          (void)del(t.get(), plain, key_n(k));
        } else {
          (void)put(t.get(), plain, key_n(k), value_n(k, 10 + rng() % 300));
        }
        (void)put(t.get(), dups, key_n(k % 50), value_n(rng() % 1000, 16));
      }
      if (t.commit() == 0) commits++;
    }
  });
  for (int i = 0; i < 6; i++) {
    ChkResult r = run_chk(env);
    ExpectClean(r);
  }
  stop = true;
  writer.join();
  EXPECT_GE(commits.load(), 20);
  ExpectClean(run_chk(env, EMDB_CHK_READWRITE));
}

// Random puts, deletes, duplicates, large values, drops and re-creates over many commits, at
// three page sizes: the checker must find nothing after every few commits.
TEST(Chk, CleanAfterRandomWorkloads) {
  const uint64_t seed = test_seed_for("chk-random");
  std::printf("seed=%llu\n", (unsigned long long)seed);
  const unsigned rounds = unsigned(env_u64("EMDB_CHK_ROUNDS", 60));
  for (intptr_t ps : {256, 4096, 16384}) {
    SCOPED_TRACE(ps);
    std::mt19937_64 rng(seed + uint64_t(ps));
    TempDir dir("chk-random");
    Env env;
    EnvOptions o = Opts();
    o.pagesize = ps;
    ASSERT_EQ(env.open(dir.path(), o), 0);
    const unsigned flags[] = {0u, unsigned(EMDB_DUPSORT), unsigned(EMDB_DUPSORT | EMDB_DUPFIXED),
                              unsigned(EMDB_INTEGERKEY),
                              unsigned(EMDB_REVERSEKEY | EMDB_DUPSORT | EMDB_REVERSEDUP)};
    for (unsigned r = 0; r < rounds; r++) {
      Txn t;
      ASSERT_EQ(t.begin(env), 0);
      for (unsigned k = 0; k < 5; k++) {
        const std::string name = "r" + std::to_string(k);
        EMDB_dbi d;
        ASSERT_EQ(emdb_dbi_open(t.get(), name.c_str(), EMDB_db_flags_t(flags[k] | EMDB_CREATE), &d),
                  0);
        const bool dup = flags[k] & EMDB_DUPSORT;
        const size_t maxv =
            dup ? size_t(emdb_env_get_maxvalsize_ex(env, EMDB_DUPSORT)) : 3 * size_t(ps);
        for (unsigned i = 0; i < 150; i++) {
          const uint64_t key = rng() % 400;
          const std::string kb = (flags[k] & EMDB_INTEGERKEY) ? u64_bytes(key) : key_n(key, 6);
          const unsigned op = unsigned(rng() % 10);
          if (op < 6) {
            size_t len = (flags[k] & EMDB_DUPFIXED)
                             ? 8
                             : 1 + rng() % std::min<size_t>(maxv, rng() % 4 ? 40 : maxv);
            (void)put(t.get(), d, kb, value_n(rng() % (dup ? 300 : 1000000), len));
          } else if (op < 9) {
            (void)del(t.get(), d, kb);
          } else if (dup) {
            (void)del(t.get(), d, kb, value_n(rng() % 300, 8));
          }
        }
        if (rng() % 40 == 0) {
          ASSERT_EQ(emdb_drop(t.get(), d, rng() % 2 == 0), 0);
        }
      }
      ASSERT_EQ(t.commit(), 0);
      if (r % 6 == 5 || r + 1 == rounds) {
        ChkResult c = run_chk(env);
        ExpectClean(c);
        if (!c.problems.empty()) return;
      }
    }
  }
}

// ---- damage ------------------------------------------------------------------------------

// The data file of a closed environment, edited page by page.
struct DataFile {
  std::string path;
  size_t psize = 0;
  std::vector<uint8_t> Read(uint64_t pg, unsigned n = 1) const {
    std::vector<uint8_t> b(psize * n);
    std::ifstream f(path, std::ios::binary);
    f.seekg(std::streamoff(pg * psize));
    f.read(reinterpret_cast<char*>(b.data()), std::streamsize(b.size()));
    return b;
  }
  void Write(uint64_t pg, const std::vector<uint8_t>& b) const {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(std::streamoff(pg * psize));
    f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  }
};

fmt::Page* P(std::vector<uint8_t>& b) { return reinterpret_cast<fmt::Page*>(b.data()); }

struct Layout {
  std::vector<PageVisit> visits;
  int head_meta = 0;
  size_t psize = 0;
  const PageVisit* Find(const std::string& table, EMDB_page_type_t type, int nth = 0,
                        size_t min_entries = 1) const {
    for (const PageVisit& v : visits) {
      if (v.table == table && v.type == type && v.entries >= min_entries && nth-- == 0) return &v;
    }
    return nullptr;
  }
};

// One kind of damage: edits the file, says which page (or meta) a message must name and which
// classes count as finding it.
struct Damage {
  const char* name;
  std::vector<EMDB_chk_class_t> classes;
  // Returns the text a message must contain ("page 123" / "meta 1"), or "" when only the
  // class matters.
  std::function<std::string(DataFile&, const Layout&)> apply;
  // When set: the page number the problem must carry, and whether the open must fail.
  std::function<uint64_t()> pgno = nullptr;
  bool open_fails = false;
};

// A kind of damage_file (check_util.hpp): the exact message, page and class; `open_fails`
// says whether emdb_env_open must refuse the damaged file.
Damage FileKind(const char* kind, bool open_fails) {
  auto fd = std::make_shared<FileDamage>();
  Damage d{kind, {}, nullptr};
  d.apply = [kind, fd](DataFile& f, const Layout&) {
    const std::string dir = f.path.substr(0, f.path.rfind('/'));
    if (!damage_file(dir, kind, fd.get())) return std::string("damage failed");
    return fd->where;
  };
  d.classes = {std::string(kind).rfind("trunc", 0) == 0 ? EMDB_CHK_IO : EMDB_CHK_META};
  d.pgno = [fd] { return fd->pgno; };
  d.open_fails = open_fails;
  return d;
}

std::string PageText(uint64_t pg) { return "page " + std::to_string(pg); }

Damage MetaFlip(const char* name, size_t off, uint8_t mask) {
  return {name, {EMDB_CHK_META}, [off, mask](DataFile& f, const Layout& l) {
            auto b = f.Read(uint64_t(l.head_meta));
            b[fmt::kPageHeaderSize + off] ^= mask;
            f.Write(uint64_t(l.head_meta), b);
            return "meta " + std::to_string(l.head_meta);
          }};
}

// The leaf node of table `table` (in the main tree's leaves) holding its record.
bool FindMainNode(DataFile& f, const Layout& l, const std::string& table, uint64_t* pg,
                  std::vector<uint8_t>* buf, unsigned* idx) {
  for (const PageVisit& v : l.visits) {
    if (v.table != "@main" || v.type != EMDB_page_leaf) continue;
    auto b = f.Read(v.pgno);
    for (unsigned i = 0; i < fmt::NumKeys(P(b)); i++) {
      const uint8_t* n = fmt::NodeAt(P(b), i);
      if (std::string(reinterpret_cast<const char*>(fmt::NodeKey(n)), fmt::NodeKsize(n)) == table) {
        *pg = v.pgno;
        *buf = b;
        *idx = i;
        return true;
      }
    }
  }
  return false;
}

// A leaf of `table` with a node whose flags are exactly `flags`.
bool FindNodeWithFlags(DataFile& f, const Layout& l, const std::string& table, uint16_t flags,
                       uint64_t* pg, std::vector<uint8_t>* buf, unsigned* idx) {
  for (const PageVisit& v : l.visits) {
    if (v.table != table || v.type != EMDB_page_leaf) continue;
    auto b = f.Read(v.pgno);
    for (unsigned i = 0; i < fmt::NumKeys(P(b)); i++) {
      if (fmt::NodeFlags(fmt::NodeAt(P(b), i)) == flags) {
        *pg = v.pgno;
        *buf = b;
        *idx = i;
        return true;
      }
    }
  }
  return false;
}

// A GC record with at least `min` pages: page, buffer, node index.
bool FindGcRecord(DataFile& f, const Layout& l, uint32_t min, uint64_t* pg,
                  std::vector<uint8_t>* buf, uint8_t** val) {
  for (const PageVisit& v : l.visits) {
    if (v.table != "@gc" || v.type != EMDB_page_leaf) continue;
    *buf = f.Read(v.pgno);
    for (unsigned i = 0; i < fmt::NumKeys(P(*buf)); i++) {
      uint8_t* n = fmt::NodeAt(P(*buf), i);
      if (fmt::NodeFlags(n) != 0) continue;
      uint8_t* d = fmt::NodeData(n);
      if (fmt::Load32(d) >= min) {
        *pg = v.pgno;
        *val = d;
        return true;
      }
    }
  }
  return false;
}

std::vector<Damage> AllDamage() {
  using namespace fmt;
  std::vector<Damage> d;
  d.push_back(MetaFlip("meta txnid_a", 0, 0x04));
  d.push_back(MetaFlip("meta magic", 8, 0x01));
  d.push_back(MetaFlip("meta version", 12, 0x02));
  d.push_back(MetaFlip("meta pagesize", 14, 0x01));
  d.push_back(MetaFlip("meta geometry now", 28, 0x10));
  d.push_back(MetaFlip("meta gc root", 56, 0x01));
  d.push_back(MetaFlip("meta main root", 104, 0x01));
  d.push_back(MetaFlip("meta next_pgno", 152, 0x01));
  d.push_back(MetaFlip("meta sign", 208, 0x80));
  d.push_back(MetaFlip("meta txnid_b", 216, 0x01));
  d.push_back({"torn meta", {EMDB_CHK_META}, [](DataFile& f, const Layout& l) {
                 auto b = f.Read(uint64_t(l.head_meta));
                 std::memset(b.data() + 160, 0, 96);
                 f.Write(uint64_t(l.head_meta), b);
                 return "meta " + std::to_string(l.head_meta);
               }});
  d.push_back({"key order in a leaf", {EMDB_CHK_KEY_ORDER}, [](DataFile& f, const Layout& l) {
                 const PageVisit* v = l.Find("plain", EMDB_page_leaf, 1, 3);
                 auto b = f.Read(v->pgno);
                 uint8_t* k0 = NodeKey(NodeAt(P(b), 0));
                 uint8_t* k1 = NodeKey(NodeAt(P(b), 1));
                 std::memcpy(k1, k0, NodeKsize(NodeAt(P(b), 0)));
                 f.Write(v->pgno, b);
                 return PageText(v->pgno);
               }});
  d.push_back({"key order across leaves",
               {EMDB_CHK_KEY_ORDER, EMDB_CHK_SEPARATOR},
               [](DataFile& f, const Layout& l) {
                 const PageVisit* a = l.Find("plain", EMDB_page_leaf, 2);
                 const PageVisit* v = l.Find("plain", EMDB_page_leaf, 3);
                 auto pa = f.Read(a->pgno);
                 auto b = f.Read(v->pgno);
                 const uint8_t* last = NodeAt(P(pa), NumKeys(P(pa)) - 1);
                 uint8_t* first = NodeAt(P(b), 0);
                 std::memcpy(NodeKey(first), NodeKey(last), NodeKsize(first));
                 f.Write(v->pgno, b);
                 return PageText(v->pgno);
               }});
  d.push_back({"separator out of range", {EMDB_CHK_SEPARATOR}, [](DataFile& f, const Layout& l) {
                 // Separator 1 moves up to just below separator 2: the branch stays sorted, but
                 // the first keys of child 1 now sort below the separator that leads to it.
                 const PageVisit* v = l.Find("plain", EMDB_page_branch, 0, 3);
                 auto b = f.Read(v->pgno);
                 uint8_t* n1 = NodeAt(P(b), 1);
                 const uint8_t* n2 = NodeAt(P(b), 2);
                 std::memcpy(NodeKey(n1), NodeKey(n2), NodeKsize(n1));
                 NodeKey(n1)[NodeKsize(n1) - 1]--;
                 f.Write(v->pgno, b);
                 return PageText(NodeChild(n1));
               }});
  d.push_back({"page linked twice", {EMDB_CHK_PAGE_DOUBLE}, [](DataFile& f, const Layout& l) {
                 const PageVisit* v = l.Find("plain", EMDB_page_branch, 0, 3);
                 auto b = f.Read(v->pgno);
                 const pgno_t c0 = NodeChild(NodeAt(P(b), 0));
                 SetNodeChild(NodeAt(P(b), 1), c0);
                 f.Write(v->pgno, b);
                 return PageText(c0);
               }});
  d.push_back({"leaked page", {EMDB_CHK_PAGE_LOST}, [](DataFile& f, const Layout& l) {
                 uint64_t pg;
                 std::vector<uint8_t> b;
                 uint8_t* val;
                 if (!FindGcRecord(f, l, 2, &pg, &b, &val)) return std::string("no GC record");
                 const uint32_t n = Load32(val);
                 const pgno_t dropped = Load64(val + 8 + 8 * (n - 1));
                 Store32(val, n - 1);
                 f.Write(pg, b);
                 return PageText(dropped);
               }});
  d.push_back(
      {"GC record lists a live page", {EMDB_CHK_PAGE_DOUBLE}, [](DataFile& f, const Layout& l) {
         uint64_t pg;
         std::vector<uint8_t> b;
         uint8_t* val;
         if (!FindGcRecord(f, l, 1, &pg, &b, &val)) return std::string("no GC record");
         const PageVisit* live = l.Find("plain", EMDB_page_leaf, 0);
         // Keep the record sorted: replace the page that sorts where the live one goes.
         const uint32_t n = Load32(val);
         std::vector<pgno_t> pages(n);
         for (uint32_t i = 0; i < n; i++) pages[i] = Load64(val + 8 + 8 * i);
         pages[0] = live->pgno;
         std::sort(pages.begin(), pages.end());
         for (uint32_t i = 0; i < n; i++) Store64(val + 8 + 8 * i, pages[i]);
         f.Write(pg, b);
         return PageText(live->pgno);
       }});
  d.push_back({"wrong page kind", {EMDB_CHK_PAGE_HEADER}, [](DataFile& f, const Layout& l) {
                 const PageVisit* v = l.Find("plain", EMDB_page_leaf, 4);
                 auto b = f.Read(v->pgno);
                 P(b)->flags = kPageLarge;
                 f.Write(v->pgno, b);
                 return PageText(v->pgno);
               }});
  d.push_back({"bad large run length", {EMDB_CHK_LARGE}, [](DataFile& f, const Layout& l) {
                 const PageVisit* v = l.Find("big", EMDB_page_large, 2);
                 auto b = f.Read(v->pgno);
                 P(b)->large_count += 1;
                 f.Write(v->pgno, b);
                 return PageText(v->pgno);
               }});
  d.push_back({"large run points at a leaf",
               {EMDB_CHK_LARGE, EMDB_CHK_PAGE_DOUBLE},
               [](DataFile& f, const Layout& l) {
                 uint64_t pg;
                 std::vector<uint8_t> b;
                 unsigned i;
                 FindNodeWithFlags(f, l, "big", kNodeBig, &pg, &b, &i);
                 const PageVisit* leaf = l.Find("plain", EMDB_page_leaf, 0);
                 Store64(NodeData(NodeAt(P(b), i)), leaf->pgno);
                 f.Write(pg, b);
                 return PageText(leaf->pgno);
               }});
  d.push_back({"table record with wrong entries",
               {EMDB_CHK_TABLE_RECORD},
               [](DataFile& f, const Layout& l) {
                 uint64_t pg;
                 std::vector<uint8_t> b;
                 unsigned i;
                 FindMainNode(f, l, "plain", &pg, &b, &i);
                 uint8_t* rec = NodeData(NodeAt(P(b), i));
                 Store64(rec + 40, Load64(rec + 40) + 3);
                 f.Write(pg, b);
                 return std::string("table 'plain'");
               }});
  d.push_back(
      {"table record with wrong height", {EMDB_CHK_TABLE_RECORD}, [](DataFile& f, const Layout& l) {
         uint64_t pg;
         std::vector<uint8_t> b;
         unsigned i;
         FindMainNode(f, l, "ints", &pg, &b, &i);
         uint8_t* rec = NodeData(NodeAt(P(b), i));
         Store16(rec + 2, uint16_t(Load16(rec + 2) + 1));
         f.Write(pg, b);
         return std::string("table 'ints'");
       }});
  d.push_back(
      {"table record root out of range", {EMDB_CHK_PAGE_RANGE}, [](DataFile& f, const Layout& l) {
         uint64_t pg;
         std::vector<uint8_t> b;
         unsigned i;
         FindMainNode(f, l, "t3", &pg, &b, &i);
         uint8_t* rec = NodeData(NodeAt(P(b), i));
         rec[8 + 3] = 0x7f;  // root becomes huge
         f.Write(pg, b);
         return PageText(pg);
       }});
  d.push_back(
      {"DUPSORT sub-page out of order", {EMDB_CHK_DUPSORT}, [](DataFile& f, const Layout& l) {
         uint64_t pg;
         std::vector<uint8_t> b;
         unsigned i;
         FindNodeWithFlags(f, l, "dups", kNodeDup, &pg, &b, &i);
         uint8_t* data = NodeData(NodeAt(P(b), i));
         Page* sp = reinterpret_cast<Page*>(data - kSubpageSkip);
         uint8_t* v0 = NodeAt(sp, 0);
         uint8_t* v1 = NodeAt(sp, 1);
         std::memcpy(NodeKey(v1), NodeKey(v0), NodeKsize(v0));
         f.Write(pg, b);
         return PageText(pg);
       }});
  d.push_back({"DUPSORT sub-tree record with wrong count",
               {EMDB_CHK_DUPSORT},
               [](DataFile& f, const Layout& l) {
                 uint64_t pg;
                 std::vector<uint8_t> b;
                 unsigned i;
                 FindNodeWithFlags(f, l, "dups", kNodeDup | kNodeTree, &pg, &b, &i);
                 uint8_t* rec = NodeData(NodeAt(P(b), i));
                 Store64(rec + 40, Load64(rec + 40) + 1);
                 f.Write(pg, b);
                 return std::string("table 'dups'");
               }});
  d.push_back({"DUPFIXED leaf with a wrong key size",
               {EMDB_CHK_DUPSORT, EMDB_CHK_PAGE_HEADER, EMDB_CHK_KEY_ORDER},
               [](DataFile& f, const Layout& l) {
                 const PageVisit* v = l.Find("fixed", EMDB_page_dupfix_leaf, 0);
                 auto b = f.Read(v->pgno);
                 P(b)->dupfix_ksize = 4;
                 f.Write(v->pgno, b);
                 return PageText(v->pgno);
               }});
  d.push_back(
      {"page header names another page", {EMDB_CHK_PAGE_HEADER}, [](DataFile& f, const Layout& l) {
         const PageVisit* v = l.Find("dups", EMDB_page_leaf, 1);
         auto b = f.Read(v->pgno);
         P(b)->pgno += 1000;
         f.Write(v->pgno, b);
         return PageText(v->pgno);
       }});
  d.push_back({"page bounds", {EMDB_CHK_PAGE_HEADER}, [](DataFile& f, const Layout& l) {
                 const PageVisit* v = l.Find("ints", EMDB_page_leaf, 1);
                 auto b = f.Read(v->pgno);
                 P(b)->upper = uint16_t(l.psize);
                 f.Write(v->pgno, b);
                 return PageText(v->pgno);
               }});
  d.push_back(
      {"slot outside the node area", {EMDB_CHK_PAGE_HEADER}, [](DataFile& f, const Layout& l) {
         const PageVisit* v = l.Find("plain", EMDB_page_leaf, 5);
         auto b = f.Read(v->pgno);
         Store16(PageData(P(b)) + 2, uint16_t(l.psize - 4));
         f.Write(v->pgno, b);
         return PageText(v->pgno);
       }});
  d.push_back({"child beyond next_pgno", {EMDB_CHK_PAGE_RANGE}, [](DataFile& f, const Layout& l) {
                 const PageVisit* v = l.Find("plain", EMDB_page_branch, 0, 3);
                 auto b = f.Read(v->pgno);
                 SetNodeChild(NodeAt(P(b), 2), 0xFFFFFFFFull);
                 f.Write(v->pgno, b);
                 return PageText(v->pgno);
               }});
  d.push_back({"child is a meta page", {EMDB_CHK_PAGE_RANGE}, [](DataFile& f, const Layout& l) {
                 const PageVisit* v = l.Find("plain", EMDB_page_branch, 0, 3);
                 auto b = f.Read(v->pgno);
                 SetNodeChild(NodeAt(P(b), 1), 1);
                 f.Write(v->pgno, b);
                 return PageText(v->pgno);
               }});
  d.push_back({"page from the future", {EMDB_CHK_PAGE_HEADER}, [](DataFile& f, const Layout& l) {
                 const PageVisit* v = l.Find("plain", EMDB_page_leaf, 6);
                 auto b = f.Read(v->pgno);
                 P(b)->txnid = uint64_t(1) << 40;
                 f.Write(v->pgno, b);
                 return PageText(v->pgno);
               }});
  d.push_back({"unknown node flags", {EMDB_CHK_PAGE_HEADER}, [](DataFile& f, const Layout& l) {
                 const PageVisit* v = l.Find("plain", EMDB_page_leaf, 7);
                 auto b = f.Read(v->pgno);
                 uint8_t* n = NodeAt(P(b), 0);
                 Store16(n + 4, uint16_t(NodeFlags(n) | 0x80));
                 f.Write(v->pgno, b);
                 return PageText(v->pgno);
               }});
  d.push_back({"GC record not sorted", {EMDB_CHK_GC}, [](DataFile& f, const Layout& l) {
                 uint64_t pg;
                 std::vector<uint8_t> b;
                 uint8_t* val;
                 if (!FindGcRecord(f, l, 2, &pg, &b, &val)) return std::string("no GC record");
                 const uint64_t a = Load64(val + 8), c = Load64(val + 16);
                 Store64(val + 8, c);
                 Store64(val + 16, a);
                 f.Write(pg, b);
                 return PageText(pg);
               }});
  d.push_back({"sub-page of the wrong kind", {EMDB_CHK_DUPSORT}, [](DataFile& f, const Layout& l) {
                 uint64_t pg;
                 std::vector<uint8_t> b;
                 unsigned i;
                 FindNodeWithFlags(f, l, "dups", kNodeDup, &pg, &b, &i);
                 Page* sp = reinterpret_cast<Page*>(NodeData(NodeAt(P(b), i)) - kSubpageSkip);
                 sp->flags = kPageBranch | kPageSubpage;
                 f.Write(pg, b);
                 return PageText(pg);
               }});
  d.push_back({"GC record from the future", {EMDB_CHK_GC}, [](DataFile& f, const Layout& l) {
                 uint64_t pg;
                 std::vector<uint8_t> b;
                 uint8_t* val;
                 if (!FindGcRecord(f, l, 1, &pg, &b, &val)) return std::string("no GC record");
                 // The key of the record whose value is `val`: the last one of the leaf keeps
                 // the key order.
                 uint8_t* n = NodeAt(P(b), NumKeys(P(b)) - 1);
                 GcKey(NodeKey(n), uint64_t(1) << 50, 0);
                 f.Write(pg, b);
                 return PageText(pg);
               }});
  d.push_back({"table record with unknown flags",
               {EMDB_CHK_TABLE_RECORD},
               [](DataFile& f, const Layout& l) {
                 uint64_t pg;
                 std::vector<uint8_t> b;
                 unsigned i;
                 FindMainNode(f, l, "t5", &pg, &b, &i);
                 uint8_t* rec = NodeData(NodeAt(P(b), i));
                 Store16(rec, uint16_t(Load16(rec) | 0x4000));
                 f.Write(pg, b);
                 return PageText(pg);
               }});
  d.push_back(
      {"large value longer than its run", {EMDB_CHK_LARGE}, [](DataFile& f, const Layout& l) {
         uint64_t pg;
         std::vector<uint8_t> b;
         unsigned i;
         FindNodeWithFlags(f, l, "big", kNodeBig, &pg, &b, &i);
         uint8_t* n = NodeAt(P(b), i);
         Store32(n, NodeDsize(n) + uint32_t(3 * l.psize));
         f.Write(pg, b);
         return PageText(Load64(NodeData(n)));
       }});
  d.push_back({"two metas with one txnid", {EMDB_CHK_META}, [](DataFile& f, const Layout& l) {
                 const uint64_t other = uint64_t((l.head_meta + 1) % 3);
                 auto b = f.Read(uint64_t(l.head_meta));
                 P(b)->pgno = other;
                 f.Write(other, b);
                 return std::string("share txnid");
               }});
  // A bad magic in meta 0 sends the open to the other slots (it opens); a bad version or a
  // plausible wrong page size there stops it. In the newest meta the open falls back to the
  // older one. A file shorter than the newest meta's next_pgno does not open.
  d.push_back(FileKind("meta0-magic", false));
  d.push_back(FileKind("meta0-version", true));
  d.push_back(FileKind("meta0-pagesize", true));
  d.push_back(FileKind("head-magic", false));
  d.push_back(FileKind("head-version", false));
  d.push_back(FileKind("head-pagesize", false));
  d.push_back(FileKind("trunc-1", true));
  d.push_back(FileKind("trunc-half", true));
  d.push_back({"truncated file",
               {EMDB_CHK_META, EMDB_CHK_PAGE_RANGE, EMDB_CHK_IO},
               [](DataFile& f, const Layout& l) {
                 uint64_t top = 0;
                 for (const PageVisit& v : l.visits) top = std::max(top, v.pgno + v.npages);
                 if (::truncate(f.path.c_str(), off_t(top / 2 * f.psize)) != 0)
                   return std::string("truncate failed");
                 return std::string();
               }});
  return d;
}

class Corruption : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmpl_ = new TempDir("chk-damage-template");
    build_varied_db(tmpl_->path(), 1, 7);
    move_head_off_meta0(tmpl_->path());
    Env env;
    ASSERT_EQ(env.open(tmpl_->path(), Opts()), 0);
    Txn t;
    ASSERT_EQ(t.begin(env, EMDB_TXN_RDONLY), 0);
    layout_ = new Layout();
    ASSERT_EQ(run_walk(t.get(), &layout_->visits), 0);
    t.abort();
    ChkResult r = run_chk(env);
    ASSERT_EQ(r.rc, 0) << r.all();
    layout_->head_meta = r.report.meta_selected;
    layout_->psize = r.report.pagesize;
    ASSERT_NE(layout_->head_meta, 0) << "meta 0 and the head must be different slots";
  }
  static void TearDownTestSuite() {
    delete layout_;
    delete tmpl_;
  }
  static TempDir* tmpl_;
  static Layout* layout_;
};
TempDir* Corruption::tmpl_ = nullptr;
Layout* Corruption::layout_ = nullptr;

// Whether `r` holds a problem of one of `dmg`'s classes whose message contains `where` (and,
// when the kind says so, that names page `pgno`).
bool Found(const ChkResult& r, const Damage& dmg, const std::string& where) {
  for (const Problem& p : r.problems) {
    bool cls_ok = false;
    for (EMDB_chk_class_t c : dmg.classes) cls_ok |= p.cls == c;
    if (!cls_ok || (!where.empty() && p.msg.find(where) == std::string::npos)) continue;
    if (dmg.pgno && p.pgno != dmg.pgno()) continue;
    return true;
  }
  return false;
}

TEST_F(Corruption, EveryKindIsFoundAndNothingCrashes) {
  const auto all = AllDamage();
  EXPECT_GE(all.size(), 44u);
  for (const Damage& dmg : all) {
    SCOPED_TRACE(dmg.name);
    TempDir dir("chk-damage");
    {
      std::ifstream in(tmpl_->file("emdb.dat"), std::ios::binary);
      std::ofstream out(dir.file("emdb.dat"), std::ios::binary);
      out << in.rdbuf();
    }
    DataFile f{dir.file("emdb.dat"), layout_->psize};
    const std::string where = dmg.apply(f, *layout_);
    ASSERT_NE(where, "no GC record");
    ASSERT_NE(where, "damage failed");
    // The data file checked without opening: the same finding, whether or not it opens.
    ChkResult fr = run_file_chk(dir.path());
    EXPECT_EQ(fr.rc, EMDB_RESULT_TRUE) << fr.all();
    EXPECT_TRUE(Found(fr, dmg, where))
        << "file check: want '" << where << "' in a problem of the expected class; got:\n"
        << fr.all();
    for (int m = 0; m < 3; m++) (void)run_file_chk(dir.path(), EMDB_CHK_DEFAULTS, m);
    Env env;
    EnvOptions o = Opts();
    o.flags = EMDB_RDONLY;
    int orc = env.open(dir.path(), o);
    if (dmg.pgno) {
      EXPECT_EQ(orc != 0, dmg.open_fails) << emdb_strerror(orc);
    }
    int selector = -1;
    if (orc != 0 && where.rfind("meta ", 0) == 0) {
      // The damaged head meta stops a normal open: check on another meta, as `emdb chk -N`.
      for (int m = 0; m < 3 && orc != 0; m++) {
        if (m == layout_->head_meta) continue;
        EMDB_env* e = nullptr;
        ASSERT_EQ(emdb_env_create(&e), 0);
        ASSERT_EQ(emdb_env_set_maxdbs(e, 64), 0);
        orc = emdb_env_open_for_recovery(e, dir.path().c_str(), unsigned(m), false);
        if (orc == 0) {
          env = Env(e);
          selector = m;
        } else {
          emdb_env_close(e);
        }
      }
    }
    if (orc != 0) {
      // Damage that stops the open must be an error code, not a crash.
      EXPECT_TRUE(orc == EMDB_CORRUPTED || orc == EMDB_INVALID || orc == EMDB_VERSION_MISMATCH)
          << emdb_strerror(orc);
      continue;
    }
    ChkResult r = run_chk(env, EMDB_CHK_DEFAULTS, selector);
    EXPECT_EQ(r.rc, EMDB_RESULT_TRUE) << r.all();
    EXPECT_GT(r.report.problems_total, 0u);
    EXPECT_TRUE(Found(r, dmg, where))
        << "want '" << where << "' in a problem of the expected class; got:\n"
        << r.all();
    // Every meta, read-write locked, and the walk: no crash, problems or errors only.
    for (int m = 0; m < 3; m++) (void)run_chk(env, EMDB_CHK_DEFAULTS, m);
    {
      Txn t;
      if (t.begin(env, EMDB_TXN_RDONLY) == 0) {
        std::vector<PageVisit> v;
        (void)run_walk(t.get(), &v);
        EXPECT_EQ(emdb_env_chk(env, EMDB_CHK_DEFAULTS, -1, nullptr, nullptr, nullptr),
                  EMDB_TXN_OVERLAPPING);
      }
    }
    const int rr = read_everything(env);
    EXPECT_TRUE(rr == 0 || rr == EMDB_CORRUPTED || rr == EMDB_PAGE_NOTFOUND || rr == EMDB_BAD_DBI ||
                rr == EMDB_INCOMPATIBLE || rr == EMDB_CURSOR_FULL || rr == EMDB_NOTFOUND ||
                rr == EMDB_BAD_VALSIZE)
        << emdb_strerror(rr);
  }
}

// The file check of a truncated database: the checked meta, what the readable part holds, no
// lost-page accounting (it cannot be attributed), a chosen meta, and the flags it refuses.
TEST_F(Corruption, TruncatedFileIsCheckedAsFarAsItGoes) {
  TempDir dir("chk-trunc");
  auto fresh_copy = [&] {
    std::ifstream in(tmpl_->file("emdb.dat"), std::ios::binary);
    std::ofstream out(dir.file("emdb.dat"), std::ios::binary | std::ios::trunc);
    out << in.rdbuf();
  };
  ChkResult clean = run_file_chk(tmpl_->path());
  ASSERT_EQ(clean.rc, EMDB_SUCCESS) << clean.all();
  EXPECT_EQ(clean.report.meta_selected, layout_->head_meta);
  for (const char* kind : {"trunc-1", "trunc-half"}) {
    SCOPED_TRACE(kind);
    fresh_copy();
    FileDamage fd;
    ASSERT_TRUE(damage_file(dir.path(), kind, &fd));
    ChkResult r = run_file_chk(dir.path());
    ASSERT_EQ(r.rc, EMDB_RESULT_TRUE) << r.all();
    EXPECT_EQ(r.report.meta_selected, layout_->head_meta);
    EXPECT_EQ(r.report.file_pages, fd.pgno);
    EXPECT_EQ(r.report.allocated_pages, clean.report.allocated_pages);
    EXPECT_EQ(r.report.problems[EMDB_CHK_IO], 1u) << r.all();
    EXPECT_EQ(r.report.problems[EMDB_CHK_PAGE_LOST], 0u) << r.all();
    EXPECT_EQ(r.report.lost_pages, 0u);
    EXPECT_GE(r.report.gc_tree_pages, 1u) << "the readable part is walked";
    if (std::string(kind) == "trunc-1") {
      // One page short: every table is still found and nearly every entry read.
      EXPECT_EQ(r.report.tables, clean.report.tables);
      EXPECT_GT(r.report.entries, clean.report.entries * 9 / 10);
      EXPECT_LE(r.report.problems_total, 12u) << r.all();
    } else {
      // The newest trees live at the end of the file: a page past the end is named with the
      // page that links to it.
      EXPECT_GT(r.report.problems[EMDB_CHK_PAGE_RANGE], 0u) << r.all();
      EXPECT_NE(r.all().find("lies beyond the end of the file (" + std::to_string(fd.pgno) +
                             " readable pages)"),
                std::string::npos)
          << r.all();
    }
  }
  // On the path of the data file too, and on a chosen meta.
  ChkResult direct = run_file_chk(dir.file("emdb.dat"), EMDB_CHK_DEFAULTS, 0);
  EXPECT_EQ(direct.report.meta_selected, 0);
  EXPECT_EQ(direct.rc, EMDB_RESULT_TRUE);
  // Flags that need an open env, bad selectors and paths.
  EXPECT_EQ(run_file_chk(dir.path(), EMDB_CHK_READWRITE).rc, EMDB_EINVAL);
  EXPECT_EQ(run_file_chk(dir.path(), EMDB_CHK_TURN_STEADY, 0).rc, EMDB_EINVAL);
  EXPECT_EQ(run_file_chk(dir.path(), EMDB_CHK_DEFAULTS, 3).rc, EMDB_EINVAL);
  EXPECT_EQ(run_file_chk("").rc, EMDB_EINVAL);
  EXPECT_EQ(run_file_chk(dir.file("no-such")).rc, ENOENT);
  // A file with no meta at any page size is not a database.
  {
    std::ofstream out(dir.file("garbage"), std::ios::binary);
    for (int i = 0; i < 70000; i++) out.put(char(i * 7 + 1));
  }
  EXPECT_EQ(run_file_chk(dir.file("garbage")).rc, EMDB_INVALID);
}

// Inputs that crashed the fuzz target (tests/check/fuzz-regressions/): each must now run the
// whole harness (open, chk of every meta, pgwalk, full cursor read) without crashing.
TEST(FuzzRegressions, Replay) {
  TempDir dir("chk-fuzz-replay");
  FuzzTemplate tmpl;
  fuzz_build_template(dir.path(), &tmpl);
  emdb_setup_debug(EMDB_LOG_FATAL, EMDB_DBG_DONTCHANGE, nullptr);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(EMDB_FUZZ_REGRESSIONS)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::vector<uint8_t> data(std::istreambuf_iterator<char>(in), {});
    SCOPED_TRACE(e.path().string());
    fuzz_run_one(tmpl, data.data(), data.size());
    files++;
  }
  emdb_setup_debug(EMDB_LOG_WARN, EMDB_DBG_DONTCHANGE, nullptr);
  EXPECT_GT(files, 0);
}

}  // namespace
