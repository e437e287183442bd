// copy_test.cpp — emdb_env_copy / copy2fd / txn_copy2pathname / txn_copy2fd: a copy opens at
// the snapshot it was taken from and holds exactly its content, also while a writer keeps
// committing; a compact copy has no free pages; flags and bad arguments give their codes.
//
// EMDB_COPY_TEST_RECORDS scales the workload (default 20000; sanitizer builds may use fewer).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>

#include "support/fixture.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"
#include "workload.hpp"

namespace emdb_test {
namespace {

using Content = std::map<std::string, Pairs>;

uint64_t records() { return env_u64("EMDB_COPY_TEST_RECORDS", 20000); }

EnvOptions options() {
  EnvOptions o;
  o.pagesize = 4096;  // CompactCopyRefusesATableRecordWithWrongCounts reads pages by offset
  o.size_upper = intptr_t(1) << 30;
  return o;
}

// Every table's pairs, read in `txn`.
Content read_all(EMDB_txn *txn) {
  Content out;
  for (const auto &t : kWorkloadTables) {
    EMDB_dbi dbi = 0;
    const int rc = emdb_dbi_open(txn, t.name, EMDB_DB_ACCEDE, &dbi);
    EXPECT_OK(rc) << t.name;
    if (rc != EMDB_SUCCESS) continue;
    EXPECT_OK(collect(txn, dbi, &out[t.name])) << t.name;
  }
  return out;
}

// Opens the copy (a data file: NOSUBDIR) read-only and reads it.
Content read_copy(const std::string &file, EMDB_envinfo *info = nullptr,
                  uint64_t *tree_pages = nullptr) {
  EnvOptions o = options();
  o.flags = EMDB_NOSUBDIR | EMDB_RDONLY;
  Env env;
  const int rc = env.open(file, o);
  EXPECT_OK(rc) << file;
  if (rc != EMDB_SUCCESS) return {};
  Txn txn;
  EXPECT_OK(txn.begin(env, EMDB_TXN_RDONLY));
  Content c = read_all(txn);
  if (info != nullptr) {
    EXPECT_OK(emdb_env_info_ex(env, txn, info, sizeof *info));
  }
  if (tree_pages != nullptr) {
    EMDB_stat st{};
    EXPECT_OK(emdb_env_stat_ex(env, txn, &st, sizeof st));  // main table
    EMDB_dbi main = 0;
    EXPECT_OK(emdb_dbi_open(txn, nullptr, EMDB_DB_ACCEDE, &main));
    EXPECT_OK(emdb_dbi_stat(txn, main, &st, sizeof st));
    *tree_pages = st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    for (const auto &t : kWorkloadTables) {
      EMDB_dbi dbi = 0;
      EXPECT_OK(emdb_dbi_open(txn, t.name, EMDB_DB_ACCEDE, &dbi));
      EXPECT_OK(emdb_dbi_stat(txn, dbi, &st, sizeof st));
      *tree_pages += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    }
  }
  return c;
}

size_t count(const Content &c) {
  size_t n = 0;
  for (const auto &[name, pairs] : c) n += pairs.size();
  return n;
}

class Copy : public EnvTest {
 protected:
  void fill(uint64_t seed_offset = 0) {
    open(options());
    ASSERT_OK(run_workload(env(), test_seed() + seed_offset, records(), 6));
  }
};

TEST_F(Copy, PlainCopyEqualsTheSnapshotAndOpensAtIt) {
  fill();
  Txn txn = read_txn();
  const Content want = read_all(txn);
  const uint64_t txnid = emdb_txn_id(txn);
  ASSERT_OK(emdb_txn_copy2pathname(txn, db_path("plain.emdb").c_str(), EMDB_CP_DEFAULTS));
  EMDB_envinfo info{};
  EXPECT_TRUE(want == read_copy(db_path("plain.emdb"), &info));
  EXPECT_EQ(txnid, info.mi_recent_txnid);
  EXPECT_EQ(txnid, info.mi_meta_txnid[0]);
  EXPECT_GT(info.mi_meta_sign[0], 1u) << "meta 0 must be steady";
  EXPECT_GT(count(want), 1000u);
}

TEST_F(Copy, CompactCopyEqualsTheSourceAndHasNoFreePages) {
  fill(1);
  Txn txn = read_txn();
  const Content want = read_all(txn);
  EMDB_envinfo src{};
  ASSERT_OK(emdb_env_info_ex(env(), txn, &src, sizeof src));
  ASSERT_OK(emdb_txn_copy2pathname(txn, db_path("compact.emdb").c_str(), EMDB_CP_COMPACT));
  EMDB_envinfo info{};
  uint64_t tree_pages = 0;
  EXPECT_TRUE(want == read_copy(db_path("compact.emdb"), &info, &tree_pages));
  // Every page below the last one is a meta or a tree page: nothing free, nothing in the GC.
  EXPECT_EQ(info.mi_last_pgno + 1, 3 + tree_pages);
  EXPECT_LT(info.mi_last_pgno, src.mi_last_pgno) << "the workload left free pages to drop";
  EXPECT_EQ(file_size(db_path("compact.emdb")), static_cast<long long>(info.mi_geo.current));

  // The compact copy opens for writing and takes more data.
  EnvOptions o = options();
  o.flags = EMDB_NOSUBDIR;
  Env copy;
  ASSERT_OK(copy.open(db_path("compact.emdb"), o));
  ASSERT_OK(run_workload(copy, test_seed() + 7, records() / 4, 2));
}

TEST_F(Copy, CompactOfACompactCopyIsTheSameFile) {
  fill(2);
  ASSERT_OK(emdb_env_copy(env(), db_path("c1.emdb").c_str(), EMDB_CP_COMPACT));
  EnvOptions o = options();
  o.flags = EMDB_NOSUBDIR | EMDB_RDONLY;
  Env c1;
  ASSERT_OK(c1.open(db_path("c1.emdb"), o));
  ASSERT_OK(emdb_env_copy(c1, db_path("c2.emdb").c_str(), EMDB_CP_COMPACT));
  ASSERT_OK(c1.close());
  EXPECT_EQ(file_size(db_path("c1.emdb")), file_size(db_path("c2.emdb")));
  EXPECT_TRUE(read_copy(db_path("c1.emdb")) == read_copy(db_path("c2.emdb")));
}

// A hot copy: a writer commits all the time while copies are taken from a read snapshot.
TEST_F(Copy, HotCopyUnderAConcurrentWriterEqualsTheSnapshot) {
  fill(3);
  std::atomic<bool> stop{false};
  std::atomic<int> writer_rc{EMDB_SUCCESS};
  std::atomic<uint64_t> commits{0};
  std::thread writer([&] {
    std::mt19937_64 rng(test_seed() + 99);
    unsigned round = 0;
    while (!stop.load()) {
      EMDB_txn *t = nullptr;
      int rc = emdb_txn_begin(env(), nullptr, EMDB_TXN_READWRITE, &t);
      const unsigned table = round % 4;
      EMDB_dbi dbi = 0;
      if (rc == EMDB_SUCCESS) {
        rc = emdb_dbi_open(t, kWorkloadTables[table].name, EMDB_DB_ACCEDE, &dbi);
      }
      if (rc == EMDB_SUCCESS) rc = workload_round(t, dbi, table, rng, 200, round);
      if (rc == EMDB_SUCCESS) {
        rc = emdb_txn_commit(t);
      } else if (t != nullptr) {
        emdb_txn_abort(t);
      }
      if (rc != EMDB_SUCCESS) {
        writer_rc = rc;
        return;
      }
      ++round;
      ++commits;
    }
  });
  for (int i = 0; i < 3; ++i) {
    // Let the writer move on between copies.
    const uint64_t seen = commits.load();
    while (commits.load() < seen + 5 && writer_rc.load() == EMDB_SUCCESS) std::this_thread::yield();
    Txn txn = read_txn();
    const Content want = read_all(txn);
    const unsigned flags = i == 1 ? EMDB_CP_COMPACT : EMDB_CP_DEFAULTS;
    const std::string name = "hot" + std::to_string(i) + ".emdb";
    ASSERT_OK(
        emdb_txn_copy2pathname(txn, db_path(name).c_str(), static_cast<EMDB_copy_flags_t>(flags)));
    txn.abort();
    EXPECT_TRUE(want == read_copy(db_path(name))) << name;
  }
  // emdb_env_copy takes its own snapshot: the copy opens and reads completely.
  ASSERT_OK(emdb_env_copy(env(), db_path("hot-env.emdb").c_str(), EMDB_CP_COMPACT));
  stop = true;
  writer.join();
  ASSERT_OK(writer_rc.load());
  EXPECT_GT(count(read_copy(db_path("hot-env.emdb"))), 1000u);
  EXPECT_GT(commits.load(), 0u);
}

TEST_F(Copy, CopyToAPipe) {
  fill(4);
  for (const unsigned flags : {unsigned(EMDB_CP_DEFAULTS), unsigned(EMDB_CP_COMPACT)}) {
    int fds[2];
    ASSERT_EQ(0, ::pipe(fds));
    const std::string out = db_path("pipe" + std::to_string(flags) + ".emdb");
    std::thread reader([&] {
      const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      char buf[65536];
      ssize_t n;
      while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
        if (::write(fd, buf, size_t(n)) != n) break;
      }
      ::close(fd);
      ::close(fds[0]);
    });
    const int rc = emdb_env_copy2fd(env(), fds[1], static_cast<EMDB_copy_flags_t>(flags));
    ::close(fds[1]);
    reader.join();
    ASSERT_OK(rc);
    Txn txn = read_txn();
    EXPECT_TRUE(read_all(txn) == read_copy(out));
  }
}

TEST_F(Copy, FlagsAndArguments) {
  fill(5);
  const std::string dest = db_path("f.emdb");
  // EMDB_CP_THROTTLE_MVCC and EMDB_CP_RENEW_TXN: copy_throttle_test.cpp.
  EXPECT_RC(EMDB_EINVAL, emdb_env_copy(env(), dest.c_str(), static_cast<EMDB_copy_flags_t>(256)));
  EXPECT_RC(EMDB_EINVAL, emdb_env_copy(env(), dest.c_str(), static_cast<EMDB_copy_flags_t>(128)));
  EXPECT_RC(EMDB_EINVAL, emdb_env_copy(env(), nullptr, EMDB_CP_DEFAULTS));
  EXPECT_RC(EMDB_EINVAL, emdb_env_copy(env(), "", EMDB_CP_DEFAULTS));
  EXPECT_RC(EMDB_EINVAL, emdb_env_copy2fd(env(), -1, EMDB_CP_DEFAULTS));
  EXPECT_RC(EMDB_EINVAL, emdb_env_copy(nullptr, dest.c_str(), EMDB_CP_DEFAULTS));
  EXPECT_RC(EMDB_EINVAL, emdb_txn_copy2pathname(nullptr, dest.c_str(), EMDB_CP_DEFAULTS));
  EXPECT_FALSE(path_exists(dest)) << "a rejected copy creates nothing";
  {
    Txn w = write_txn();
    EXPECT_RC(EMDB_EINVAL, emdb_txn_copy2pathname(w, dest.c_str(), EMDB_CP_DEFAULTS));
  }
  // Without OVERWRITE an existing file is kept; with it, replaced.
  ASSERT_OK(emdb_env_copy(env(), dest.c_str(), EMDB_CP_DONT_FLUSH));
  EXPECT_RC(EEXIST, emdb_env_copy(env(), dest.c_str(), EMDB_CP_COMPACT));
  ASSERT_OK(emdb_env_copy(env(), dest.c_str(),
                          static_cast<EMDB_copy_flags_t>(EMDB_CP_COMPACT | EMDB_CP_OVERWRITE)));
  // An existing directory receives DIR/emdb.dat.
  ASSERT_EQ(0, ::mkdir(db_path("dir").c_str(), 0755));
  ASSERT_OK(emdb_env_copy(env(), db_path("dir").c_str(), EMDB_CP_DEFAULTS));
  EXPECT_TRUE(path_exists(db_path("dir") + "/emdb.dat"));
  // A missing parent directory: the errno, and nothing left behind.
  EXPECT_RC(ENOENT, emdb_env_copy(env(), db_path("no/such/x.emdb").c_str(), EMDB_CP_DEFAULTS));
  // DISPOSE_TXN ends the txn: this thread can begin a new read txn at once.
  EMDB_txn *t = nullptr;
  ASSERT_OK(emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &t));
  ASSERT_OK(emdb_txn_copy2pathname(t, db_path("d.emdb").c_str(), EMDB_CP_DISPOSE_TXN));
  Txn again = read_txn();
  EXPECT_NE(nullptr, again.get());
}

// Small and large pages: writes of odd sizes and offsets, which direct I/O may refuse (the
// copy then falls back to buffered writes); the copies stay right.
TEST_F(Copy, SmallAndLargePageSizes) {
  for (const intptr_t ps : {intptr_t(1024), intptr_t(65536)}) {
    const std::string dir = db_path("ps" + std::to_string(ps));
    EnvOptions o = options();
    o.pagesize = ps;
    Env src;
    ASSERT_OK(src.open(dir, o));
    ASSERT_OK(run_workload(src, test_seed() + uint64_t(ps), records() / 4, 3));
    Txn txn;
    ASSERT_OK(txn.begin(src, EMDB_TXN_RDONLY));
    const Content want = read_all(txn);
    for (const unsigned flags : {unsigned(EMDB_CP_DEFAULTS), unsigned(EMDB_CP_COMPACT)}) {
      const std::string out = dir + "-" + std::to_string(flags) + ".emdb";
      ASSERT_OK(emdb_txn_copy2pathname(txn, out.c_str(), static_cast<EMDB_copy_flags_t>(flags)));
      EnvOptions ro = options();
      ro.flags = EMDB_NOSUBDIR | EMDB_RDONLY;
      ro.pagesize = ps;
      Env copy;
      ASSERT_OK(copy.open(out, ro)) << out;
      Txn ct;
      ASSERT_OK(ct.begin(copy, EMDB_TXN_RDONLY));
      EXPECT_TRUE(want == read_all(ct)) << "page size " << ps << " flags " << flags;
    }
  }
}

// A table record whose page counts disagree with its tree: the compact copy stops with
// EMDB_CORRUPTED (more or fewer pages than recorded) and leaves no file behind.
TEST_F(Copy, CompactCopyRefusesATableRecordWithWrongCounts) {
  fill(8);
  ASSERT_OK(env_.close());
  // The node of table "plain" in the main tree: dsize 56, flags kNodeTree (2), ksize 5, key.
  const std::string file = db_path() + "/emdb.dat";
  std::string bytes;
  {
    FILE *f = std::fopen(file.c_str(), "rb");
    ASSERT_NE(nullptr, f);
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, n);
    std::fclose(f);
  }
  // The live copy of the node is in the main tree's root (a leaf: four tables), which the
  // newest meta names: meta i at page i, txnid at +32, main tree root (u48) at +32+96+8.
  constexpr size_t kPs = 4096;
  uint64_t best = 0, root = 0;
  for (size_t i = 0; i < 3; ++i) {
    uint64_t txnid = 0, r = 0;
    std::memcpy(&txnid, bytes.data() + i * kPs + 32, 8);
    std::memcpy(&r, bytes.data() + i * kPs + 32 + 96 + 8, 6);
    if (txnid > best) {
      best = txnid;
      root = r;
    }
  }
  ASSERT_LT((root + 1) * kPs, bytes.size() + 1);
  uint16_t kind = 0;
  std::memcpy(&kind, bytes.data() + root * kPs + 24, 2);
  ASSERT_EQ(2, kind) << "the main tree's root is a leaf";
  const std::string node("\x38\0\0\0\x02\0\x05\0plain", 13);
  const size_t at = bytes.find(node, root * kPs);
  ASSERT_LT(at, (root + 1) * kPs);
  const size_t leaf_pages = at + 8 + 6 + 20;  // node header, even key, record offset 20 (u48)
  for (const int delta : {+1, -1}) {
    std::string patched = bytes;
    uint32_t low = 0;
    std::memcpy(&low, patched.data() + leaf_pages, 4);
    low = uint32_t(int64_t(low) + delta);
    std::memcpy(patched.data() + leaf_pages, &low, 4);
    {
      FILE *f = std::fopen(file.c_str(), "r+b");
      ASSERT_NE(nullptr, f);
      ASSERT_EQ(patched.size(), std::fwrite(patched.data(), 1, patched.size(), f));
      std::fclose(f);
    }
    EnvOptions o = options();
    o.flags = EMDB_RDONLY;
    Env src;
    ASSERT_OK(src.open(db_path(), o));
    const std::string out = db_path("bad" + std::to_string(delta + 1) + ".emdb");
    EXPECT_RC(EMDB_CORRUPTED, emdb_env_copy(src, out.c_str(), EMDB_CP_COMPACT)) << delta;
    EXPECT_FALSE(path_exists(out)) << "a failed copy leaves no file";
    // The plain copy does not interpret the trees: it still copies.
    EXPECT_OK(emdb_env_copy(src, (out + ".plain").c_str(), EMDB_CP_DEFAULTS));
  }
}

TEST_F(Copy, ForceDynamicSizeMakesAFixedGeometryGrowable) {
  EnvOptions o = options();
  o.size_lower = o.size_now = o.size_upper = intptr_t(64) << 20;  // fixed 64 MiB
  o.growth_step = 0;
  open(o);
  ASSERT_OK(run_workload(env(), test_seed() + 6, records() / 4, 3));
  ASSERT_OK(emdb_env_copy(env(), db_path("dyn.emdb").c_str(), EMDB_CP_FORCE_DYNAMIC_SIZE));
  EMDB_envinfo info{};
  read_copy(db_path("dyn.emdb"), &info);
  EXPECT_LT(info.mi_geo.lower, info.mi_geo.upper);
  EXPECT_GT(info.mi_geo.grow, 0u);
}

}  // namespace
}  // namespace emdb_test
