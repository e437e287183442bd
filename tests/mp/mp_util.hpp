// mp_util.hpp — helpers of the many-processes tests: child processes and the accounts table.
//
// Children are made with fork() before the test process opens the database (or while it has it
// open: a child never uses inherited handles, it opens its own). A child runs a function and
// leaves with _exit(code), so it runs no GoogleTest teardown and no atexit handler.
//
// The accounts table: kAccounts keys "a0000".."a0999" in the main table, each an 8-byte
// balance; every write txn moves amounts between them, so the total is kTotal in every
// snapshot. Any other key is filler (random sizes, so the file grows, shrinks and reuses pages).
#pragma once

#include <emdb/emdb.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>

#include "support/db.hpp"
#include "support/kv.hpp"

namespace emdb_mp {

using emdb_test::bytes_u64;
using emdb_test::u64_bytes;

inline constexpr int kAccounts = 1000;
inline constexpr uint64_t kInitialBalance = 1000;
inline constexpr uint64_t kTotal = kAccounts * kInitialBalance;

inline std::string account_key(int i) {
  char b[16];
  std::snprintf(b, sizeof(b), "a%04d", i);
  return b;
}

// Forks; the child runs `body` and _exits with its result (0: success).
inline pid_t spawn(const std::function<int()>& body) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 1;
    try {
      rc = body();
    } catch (...) {
      rc = 99;
    }
    ::_exit(rc);
  }
  return pid;
}

// Waits for a child: its exit code, or 128 + the signal that ended it.
inline int reap(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

inline int kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  return reap(pid);
}

// Creates the accounts (and commits). Returns an EMDB code.
inline int create_accounts(EMDB_env* env) {
  EMDB_txn* t = nullptr;
  int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &t);
  if (rc) return rc;
  EMDB_dbi dbi = 0;
  rc = emdb_dbi_open(t, nullptr, EMDB_DB_DEFAULTS, &dbi);
  for (int i = 0; rc == 0 && i < kAccounts; i++) {
    rc = emdb_test::put(t, dbi, account_key(i), u64_bytes(kInitialBalance));
  }
  if (rc) {
    emdb_txn_abort(t);
    return rc;
  }
  return emdb_txn_commit(t);
}

// One random write txn: moves amounts between accounts, churns filler keys; commits or aborts.
// Returns an EMDB code.
inline int random_transfer(EMDB_env* env, std::mt19937_64& rng, int max_moves = 20) {
  EMDB_txn* t = nullptr;
  int rc = emdb_txn_begin(env, nullptr, EMDB_TXN_READWRITE, &t);
  if (rc) return rc;
  EMDB_dbi dbi = 1;
  int moves = 1 + int(rng() % uint64_t(max_moves));
  for (int m = 0; rc == 0 && m < moves; m++) {
    int a = int(rng() % kAccounts), b = int(rng() % kAccounts);
    std::string va, vb;
    rc = emdb_test::get(t, dbi, account_key(a), &va);
    if (rc == 0) rc = emdb_test::get(t, dbi, account_key(b), &vb);
    if (rc) break;
    uint64_t ba = bytes_u64(va), bb = bytes_u64(vb);
    uint64_t amount = ba == 0 ? 0 : rng() % (ba + 1);
    if (a == b) continue;
    rc = emdb_test::put(t, dbi, account_key(a), u64_bytes(ba - amount));
    if (rc == 0) rc = emdb_test::put(t, dbi, account_key(b), u64_bytes(bb + amount));
  }
  // Filler: grows and shrinks the tree (large values too) so pages move through the GC.
  int fill = int(rng() % 8);
  for (int f = 0; rc == 0 && f < fill; f++) {
    std::string k = "f" + std::to_string(rng() % 3000);
    if (rng() % 3 == 0) {
      rc = emdb_test::del(t, dbi, k);
      if (rc == EMDB_NOTFOUND) rc = 0;
    } else {
      size_t len = (rng() % 16 == 0) ? 1000 + rng() % 20000 : rng() % 300;
      rc = emdb_test::put(t, dbi, k, std::string(len, char('a' + rng() % 26)));
    }
  }
  if (rc) {
    emdb_txn_abort(t);
    return rc;
  }
  if (rng() % 10 == 0) return emdb_txn_abort(t);
  return emdb_txn_commit(t);
}

// Sums the balances of a snapshot; *count gets the number of accounts. Returns an EMDB code.
inline int sum_accounts(EMDB_txn* t, uint64_t* sum, int* count) {
  EMDB_cursor* c = nullptr;
  int rc = emdb_cursor_open(t, 1, &c);
  if (rc) return rc;
  *sum = 0;
  *count = 0;
  EMDB_val k = emdb_test::V0(), v = emdb_test::V0();
  std::string first = "a";
  k = emdb_test::V(first);
  rc = emdb_cursor_get(c, &k, &v, EMDB_SET_RANGE);
  while (rc == 0 && k.iov_len > 0 && static_cast<const char*>(k.iov_base)[0] == 'a') {
    if (v.iov_len != 8) {
      rc = EMDB_CORRUPTED;
      break;
    }
    *sum += bytes_u64(emdb_test::S(v));
    ++*count;
    rc = emdb_cursor_get(c, &k, &v, EMDB_NEXT);
  }
  emdb_cursor_close(c);
  return rc == EMDB_NOTFOUND || rc == 0 ? 0 : rc;
}

}  // namespace emdb_mp
