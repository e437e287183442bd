// mp_test.cpp — many processes on one database: the lock file's version checks, EXCLUSIVE,
// read-only locations, ACCEDE, opening twice, the reader table (list, check, READERS_FULL,
// thread registration), fork() children, and a writer killed inside its transaction.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <latch>
#include <thread>
#include <vector>

#include "mp/mp_util.hpp"
#include "os/lockfile.hpp"
#include "support/fixture.hpp"

namespace {

using namespace emdb_test;
using namespace emdb_mp;

class Mp : public EnvTest {
 protected:
  std::string lck_path() const { return db_path() + "/emdb.lck"; }

  // Starts a child that opens the database, runs `body` on it and reports readiness through a
  // pipe before it blocks forever (the parent kills it). Returns its pid after it is ready.
  pid_t start_holder(const EnvOptions& opts, const std::function<int(EMDB_env*)>& body) {
    int fds[2];
    EXPECT_EQ(0, ::pipe(fds));
    const std::string path = db_path();
    pid_t pid = spawn([&]() -> int {
      ::close(fds[0]);
      EMDB_env* e = nullptr;
      int rc = open_env(&e, path, opts);
      if (rc == 0) rc = body(e);
      char c = rc == 0 ? 'k' : 'x';
      if (::write(fds[1], &c, 1) != 1) return 3;
      if (rc != 0) return 2;
      for (;;) ::pause();
    });
    ::close(fds[1]);
    char c = 0;
    EXPECT_EQ(1, ::read(fds[0], &c, 1));
    ::close(fds[0]);
    EXPECT_EQ('k', c) << "the holder child failed";
    return pid;
  }
};

struct Listed {
  int pid;
  uint64_t txnid, lag;
  size_t used, retained;
};

std::vector<Listed> list_readers(EMDB_env* env, int* rc_out = nullptr) {
  std::vector<Listed> out;
  int rc = emdb_reader_list(
      env,
      [](void* ctx, int, int, emdb_pid_t pid, emdb_tid_t, uint64_t txnid, uint64_t lag, size_t used,
         size_t retained) noexcept -> int {
        static_cast<std::vector<Listed>*>(ctx)->push_back({pid, txnid, lag, used, retained});
        return 0;
      },
      &out);
  if (rc_out) *rc_out = rc;
  return out;
}

TEST_F(Mp, OpenTwiceInOneProcessIsBusy) {
  open();
  EMDB_env* second = nullptr;
  EXPECT_RC(EMDB_BUSY, open_env(&second, db_path()));
  EXPECT_EQ(nullptr, second);
  EnvOptions nosub;
  nosub.flags = EMDB_NOSUBDIR;
  EXPECT_RC(EMDB_BUSY, open_env(&second, db_path() + "/emdb.dat", nosub));
}

TEST_F(Mp, NoSubdirLockFileIsPathDashLck) {
  EnvOptions o;
  o.flags = EMDB_NOSUBDIR;
  ASSERT_OK(env_.open(dir_->file("flat.db"), o));
  EXPECT_TRUE(path_exists(dir_->file("flat.db")));
  EXPECT_TRUE(path_exists(dir_->file("flat.db-lck")));
}

// A lock file in use by a process of another version or build is refused, never misread.
TEST_F(Mp, IncompatibleLockFileInUseIsRefused) {
  open();
  ASSERT_OK(env_.close());
  int fd = ::open(lck_path().c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  // Pretend to be another user: hold the shared "users" lock byte.
  struct flock fl {};
  fl.l_type = F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = emdb::os::kLockByteUsers;
  fl.l_len = 1;
  ASSERT_EQ(0, ::fcntl(fd, F_OFD_SETLK, &fl));
  auto write_u32 = [&](size_t off, uint32_t v) { ASSERT_EQ(4, ::pwrite(fd, &v, 4, off_t(off))); };
  auto write_u64 = [&](size_t off, uint64_t v) { ASSERT_EQ(8, ::pwrite(fd, &v, 8, off_t(off))); };
  EMDB_env* e = nullptr;
  write_u32(offsetof(emdb::os::LockHeader, version), emdb::os::kLockVersion + 1);
  EXPECT_RC(EMDB_VERSION_MISMATCH, open_env(&e, db_path()));
  write_u32(offsetof(emdb::os::LockHeader, version), emdb::os::kLockVersion);
  write_u32(offsetof(emdb::os::LockHeader, layout), emdb::os::kLockLayout ^ 0xff00);
  EXPECT_RC(EMDB_INCOMPATIBLE, open_env(&e, db_path()));
  write_u32(offsetof(emdb::os::LockHeader, layout), emdb::os::kLockLayout);
  write_u64(0, 0x1122334455667788ull);  // not our magic (or another byte order)
  EXPECT_RC(EMDB_INCOMPATIBLE, open_env(&e, db_path()));
  ASSERT_EQ(0, ::ftruncate(fd, 100));  // too short for a header
  EXPECT_RC(EMDB_INCOMPATIBLE, open_env(&e, db_path()));
  EXPECT_EQ(nullptr, e);
  // Once nobody uses it, the lock file is simply re-initialized.
  ::close(fd);
  open();
  Txn r = read_txn();
  EXPECT_NE(nullptr, r.get());
}

TEST_F(Mp, ExclusiveKeepsOtherProcessesOut) {
  EnvOptions excl;
  excl.flags = EMDB_EXCLUSIVE;
  open(excl);
  const std::string path = db_path();
  pid_t c = spawn([&] {
    EMDB_env* e = nullptr;
    int a = open_env(&e, path);
    EnvOptions x;
    x.flags = EMDB_EXCLUSIVE;
    int b = open_env(&e, path, x);
    EnvOptions ro;
    ro.flags = EMDB_RDONLY;
    int d = open_env(&e, path, ro);
    return a == EMDB_BUSY && b == EMDB_BUSY && d == EMDB_BUSY ? 0 : 1;
  });
  EXPECT_EQ(0, reap(c)) << "an open of an EXCLUSIVE database must fail with EMDB_BUSY";
  ASSERT_OK(env_.close());
  // A normal user keeps an EXCLUSIVE opener out, and lets normal ones in.
  open();
  c = spawn([&] {
    EMDB_env* e = nullptr;
    EnvOptions x;
    x.flags = EMDB_EXCLUSIVE;
    if (open_env(&e, path, x) != EMDB_BUSY) return 1;
    if (open_env(&e, path) != 0) return 2;
    return emdb_env_close(e) == 0 ? 0 : 3;
  });
  EXPECT_EQ(0, reap(c));
  // The same process may reopen it EXCLUSIVE once it closed it.
  ASSERT_OK(env_.close());
  open(excl);
  Txn w = write_txn();
  ASSERT_OK(put(w, 1, "k", "v"));
  ASSERT_OK(w.commit());
}

// EMDB_RDONLY on a read-only copy (files and directory): no lock file can be created, so the
// reader table is private. As root chmod does not stop writes; the test hook then makes the
// lock file's creation fail the way a read-only location does.
TEST_F(Mp, ReadOnlyOnReadOnlyCopy) {
  open();
  {
    Txn w = write_txn();
    for (int i = 0; i < 100; ++i) ASSERT_OK(put(w, 1, key_n(i), value_n(i, 50)));
    ASSERT_OK(w.commit());
  }
  ASSERT_OK(env_.close());
  const std::string ro = dir_->file("ro");
  ASSERT_EQ(0, ::mkdir(ro.c_str(), 0755));
  {
    int in = ::open((db_path() + "/emdb.dat").c_str(), O_RDONLY);
    int out = ::open((ro + "/emdb.dat").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(in, 0);
    ASSERT_GE(out, 0);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(in, buf, sizeof(buf))) > 0) ASSERT_EQ(n, ::write(out, buf, size_t(n)));
    ::close(in);
    ::close(out);
  }
  ASSERT_EQ(0, ::chmod((ro + "/emdb.dat").c_str(), 0444));
  ASSERT_EQ(0, ::chmod(ro.c_str(), 0555));
  const bool root_like = ::access(ro.c_str(), W_OK) == 0;
  if (root_like) emdb::os::TEST_SetLockOpenError(EACCES);
  EnvOptions o;
  o.flags = EMDB_RDONLY;
  EMDB_env* e = nullptr;
  int rc = open_env(&e, ro, o);
  emdb::os::TEST_SetLockOpenError(0);
  ASSERT_OK(rc);
  {
    Txn r;
    ASSERT_OK(r.begin(e, EMDB_TXN_RDONLY));
    Pairs all;
    ASSERT_OK(collect(r, 1, &all));
    EXPECT_EQ(100u, all.size());
    EMDB_txn* w = nullptr;
    EXPECT_RC(EMDB_EACCESS, emdb_txn_begin(e, nullptr, EMDB_TXN_READWRITE, &w));
    EXPECT_EQ(1u, list_readers(e).size());  // the private table holds this reader
  }
  EXPECT_OK(emdb_env_close(e));
  if (!root_like) {
    EXPECT_FALSE(path_exists(ro + "/emdb.lck")) << "no lock file in a read-only directory";
    // Without EMDB_RDONLY the data file cannot even be opened for writing.
    EXPECT_NE(0, open_env(&e, ro));
  }
  ::chmod(ro.c_str(), 0755);
  ::chmod((ro + "/emdb.dat").c_str(), 0644);
}

// EMDB_RDONLY in a writable location shares the reader table and sees other processes' commits.
TEST_F(Mp, ReadOnlyProcessSeesCommitsOfAWriterProcess) {
  open();
  ASSERT_OK(create_accounts(env()));
  ASSERT_OK(env_.close());
  EnvOptions ro;
  ro.flags = EMDB_RDONLY;
  open(ro);
  EMDB_txn* w = nullptr;
  EXPECT_RC(EMDB_EACCESS, emdb_txn_begin(env(), nullptr, EMDB_TXN_READWRITE, &w));
  const std::string path = db_path();
  pid_t c = spawn([&] {
    EMDB_env* e = nullptr;
    if (open_env(&e, path) != 0) return 1;
    Txn t;
    if (t.begin(e) != 0 || put(t, 1, "from-child", "yes") != 0 || t.commit() != 0) return 2;
    return emdb_env_close(e) == 0 ? 0 : 3;
  });
  ASSERT_EQ(0, reap(c));
  Txn r = read_txn();
  std::string v;
  ASSERT_OK(get(r, 1, "from-child", &v));
  EXPECT_EQ("yes", v);
}

// Sync modes are shared by every writer process: a different one is refused, unless ACCEDE,
// which adopts the mode in use.
TEST_F(Mp, AccedeAdoptsTheSyncModeInUse) {
  EnvOptions nosync;
  nosync.flags = EMDB_SAFE_NOSYNC;
  open(nosync);
  ASSERT_OK(create_accounts(env()));
  const std::string path = db_path();
  pid_t c = spawn([&] {
    EMDB_env* e = nullptr;
    if (open_env(&e, path) != EMDB_INCOMPATIBLE) return 1;
    EnvOptions meta;
    meta.flags = EMDB_NOMETASYNC;
    if (open_env(&e, path, meta) != EMDB_INCOMPATIBLE) return 2;
    EnvOptions ro;
    ro.flags = EMDB_RDONLY;  // a reader has no sync mode: always accepted
    if (open_env(&e, path, ro) != 0 || emdb_env_close(e) != 0) return 3;
    EnvOptions acc;
    acc.flags = EMDB_ACCEDE;
    if (open_env(&e, path, acc) != 0) return 4;
    unsigned flags = 0;
    if (emdb_env_get_flags(e, &flags) != 0 || (flags & EMDB_SAFE_NOSYNC) != EMDB_SAFE_NOSYNC)
      return 5;
    Txn t;
    if (t.begin(e) != 0 || put(t, 1, "acceded", "1") != 0 || t.commit() != 0) return 6;
    return emdb_env_close(e) == 0 ? 0 : 7;
  });
  EXPECT_EQ(0, reap(c));
  Txn r = read_txn();
  std::string v;
  EXPECT_OK(get(r, 1, "acceded", &v));
}

TEST_F(Mp, ReaderListReportsLagAndSpace) {
  open();
  ASSERT_OK(create_accounts(env()));
  int rc = 0;
  EXPECT_TRUE(list_readers(env(), &rc).empty());
  EXPECT_RC(EMDB_RESULT_TRUE, rc);  // no reader yet
  Txn r = read_txn();
  const uint64_t snap = emdb_txn_id(r);
  std::thread writer([&] {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 3;) {
      int wrc = random_transfer(env(), rng);
      ASSERT_TRUE(wrc == 0) << rc_name(wrc);
      EMDB_txn* t = nullptr;
      ASSERT_OK(emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &t));
      i = int(emdb_txn_id(t) - snap);
      emdb_txn_abort(t);
    }
  });
  writer.join();
  std::vector<Listed> l = list_readers(env(), &rc);
  ASSERT_OK(rc);
  ASSERT_GE(l.size(), 1u);  // this thread's slot (the writer thread's is idle or released)
  bool found = false;
  for (const Listed& x : l) {
    EXPECT_EQ(::getpid(), x.pid);
    if (x.txnid != snap) continue;
    found = true;
    EXPECT_EQ(3u, x.lag);
    EXPECT_GT(x.used, 0u);
    EXPECT_GT(x.retained, 0u);  // the transfers replaced pages this snapshot still reads
  }
  EXPECT_TRUE(found);
}

TEST_F(Mp, ThreadRegisterAndUnregister) {
  open();
  EXPECT_OK(emdb_thread_register(env()));
  EXPECT_RC(EMDB_RESULT_TRUE, emdb_thread_register(env()));
  std::vector<Listed> l = list_readers(env());
  ASSERT_EQ(1u, l.size());
  EXPECT_EQ(0u, l[0].txnid);  // registered, idle
  {
    Txn r = read_txn();
    EXPECT_RC(EMDB_BUSY, emdb_thread_unregister(env()));
  }
  EXPECT_OK(emdb_thread_unregister(env()));
  EXPECT_RC(EMDB_RESULT_TRUE, emdb_thread_unregister(env()));
  EXPECT_TRUE(list_readers(env()).empty());
  // The next read txn claims a slot again.
  Txn r = read_txn();
  EXPECT_EQ(1u, list_readers(env()).size());
}

TEST_F(Mp, ThreadRegisterIsForStickyThreadsOnly) {
  EnvOptions o;
  o.flags = EMDB_NOSTICKYTHREADS;
  open(o);
  EXPECT_RC(EMDB_EINVAL, emdb_thread_register(env()));
  EXPECT_RC(EMDB_EINVAL, emdb_thread_unregister(env()));
}

// Dead processes' slots are cleared by emdb_reader_check, and by a reader that finds the table
// full.
TEST_F(Mp, ReadersFullClearsSlotsOfDeadProcesses) {
  EnvOptions o;
  o.maxreaders = 4;
  open(o);
  ASSERT_OK(create_accounts(env()));
  auto hold_read = [](EMDB_env* e) {
    EMDB_txn* t = nullptr;
    return emdb_txn_begin(e, nullptr, EMDB_TXN_RDONLY, &t);
  };
  std::vector<pid_t> kids;
  for (int i = 0; i < 4; ++i) kids.push_back(start_holder(EnvOptions(), hold_read));
  EMDB_txn* t = nullptr;
  EXPECT_RC(EMDB_READERS_FULL, emdb_txn_begin(env(), nullptr, EMDB_TXN_RDONLY, &t));
  EXPECT_EQ(4u, list_readers(env()).size());
  EXPECT_EQ(128 + SIGKILL, kill_and_reap(kids[0]));
  EXPECT_EQ(128 + SIGKILL, kill_and_reap(kids[1]));
  int dead = -1;
  EXPECT_RC(EMDB_RESULT_TRUE, emdb_reader_check(env(), &dead));
  EXPECT_EQ(2, dead);
  EMDB_envinfo info;
  ASSERT_OK(emdb_env_info_ex(env(), nullptr, &info, sizeof(info)));
  EXPECT_LT(info.mi_since_reader_check_seconds16dot16, 60u << 16);  // it just ran
  EXPECT_OK(emdb_reader_check(env(), &dead));
  EXPECT_EQ(0, dead);
  EXPECT_EQ(2u, list_readers(env()).size());
  EXPECT_EQ(128 + SIGKILL, kill_and_reap(kids[2]));
  EXPECT_EQ(128 + SIGKILL, kill_and_reap(kids[3]));
  // The table still lists two (dead) readers; a new reader clears them by itself.
  EXPECT_EQ(2u, list_readers(env()).size());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::latch all_began(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      Txn r;
      if (r.begin(env(), EMDB_TXN_RDONLY) == 0) ++ok;
      all_began.arrive_and_wait();  // four live readers at once: the dead slots were needed
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(4, ok.load());
  for (const Listed& x : list_readers(env())) EXPECT_EQ(::getpid(), x.pid);
}

// A child that inherits an open environment gets EMDB_PANIC from it and never disturbs the
// parent's reader slots or writer lock, even when it exits normally (thread-local destructors
// run) or closes the inherited handle. It may open the database itself.
TEST_F(Mp, ForkChildGetsPanicAndLeavesTheParentAlone) {
  open();
  ASSERT_OK(create_accounts(env()));
  Txn r = read_txn();
  const uint64_t snap = emdb_txn_id(r);
  EMDB_txn* rt = r.get();
  EMDB_env* e = env();
  const std::string path = db_path();
  pid_t a = spawn([&] {
    EMDB_txn* t = nullptr;
    if (emdb_txn_begin(e, nullptr, EMDB_TXN_RDONLY, &t) != EMDB_PANIC) return 1;
    if (emdb_txn_begin(e, nullptr, EMDB_TXN_READWRITE, &t) != EMDB_PANIC) return 2;
    std::string v;
    if (get(rt, 1, account_key(1), &v) != EMDB_PANIC) return 3;
    if (emdb_reader_check(e, nullptr) != EMDB_PANIC) return 4;
    std::exit(0);  // runs this thread's thread_local destructors (its reader slot entry)
  });
  EXPECT_EQ(0, reap(a));
  pid_t b = spawn([&] {
    if (emdb_env_close(e) != 0) return 1;  // frees the child's memory only
    EMDB_env* mine = nullptr;
    if (open_env(&mine, path) != 0) return 2;
    Txn t;
    if (t.begin(mine, EMDB_TXN_RDONLY) != 0) return 3;
    uint64_t sum = 0;
    int count = 0;
    if (sum_accounts(t, &sum, &count) != 0 || sum != kTotal) return 4;
    t.abort();
    Txn w;
    if (w.begin(mine) != 0 || put(w, 1, "child", "1") != 0 || w.commit() != 0) return 5;
    return emdb_env_close(mine) == 0 ? 0 : 6;
  });
  EXPECT_EQ(0, reap(b));
  // The parent's snapshot and slot are intact.
  bool found = false;
  for (const Listed& x : list_readers(env())) found |= x.pid == ::getpid() && x.txnid == snap;
  EXPECT_TRUE(found);
  uint64_t sum = 0;
  int count = 0;
  ASSERT_OK(sum_accounts(r, &sum, &count));
  EXPECT_EQ(kTotal, sum);
  std::string v;
  EXPECT_RC(EMDB_NOTFOUND, get(r, 1, "child", &v));
  r.abort();
  Txn w = write_txn();
  ASSERT_OK(get(w, 1, "child", &v));
  ASSERT_OK(w.commit());
}

// A writer killed inside its transaction leaves the lock to the next writer and nothing of its
// work visible.
TEST_F(Mp, KilledWriterNeitherBlocksNorLeavesTraces) {
  open();
  ASSERT_OK(create_accounts(env()));
  pid_t c = start_holder(EnvOptions(), [](EMDB_env* e) {
    EMDB_txn* t = nullptr;
    int rc = emdb_txn_begin(e, nullptr, EMDB_TXN_READWRITE, &t);
    for (int i = 0; rc == 0 && i < 500; ++i) rc = put(t, 1, key_n(i, 8, "ghost"), value_n(i, 700));
    return rc;
  });
  EMDB_txn* t = nullptr;
  EXPECT_RC(EMDB_BUSY, emdb_txn_begin(env(), nullptr, EMDB_TXN_TRY, &t));
  EXPECT_EQ(128 + SIGKILL, kill_and_reap(c));
  Txn w;
  ASSERT_OK(w.begin(env(), EMDB_TXN_TRY));
  std::string v;
  EXPECT_RC(EMDB_NOTFOUND, get(w, 1, key_n(0, 8, "ghost"), &v));
  ASSERT_OK(put(w, 1, "z-after", "1"));
  ASSERT_OK(w.commit());
  Txn r = read_txn();
  uint64_t sum = 0;
  int count = 0;
  ASSERT_OK(sum_accounts(r, &sum, &count));
  EXPECT_EQ(kTotal, sum);
  EXPECT_EQ(kAccounts, count);
}

}  // namespace
