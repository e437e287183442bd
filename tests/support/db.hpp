// db.hpp — RAII owners for EMDB handles and whole-table helpers for black-box tests.
//
// These are deliberately thin: each owner calls exactly the C function its name says, so a test
// still sees every return code. Destructors release what is still owned (abort a txn, close a
// cursor, close an env) and ignore the result. Handles are not thread-safe, like the C API.
#pragma once

#include <emdb/emdb.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support/kv.hpp"

namespace emdb_test {

// Parameters for open_env(). -1 means "the engine's default" as in emdb_env_set_geometry.
struct EnvOptions {
  unsigned flags = EMDB_ENV_DEFAULTS;  // EMDB_env_flags_t bits
  intptr_t pagesize = -1;
  intptr_t size_lower = -1;
  intptr_t size_now = -1;
  intptr_t size_upper = intptr_t(1) << 30;  // 1 GiB
  intptr_t growth_step = -1;
  intptr_t shrink_threshold = -1;
  unsigned maxdbs = 16;
  unsigned maxreaders = 0;  // 0: default
  emdb_mode_t mode = 0644;
};

// emdb_env_create + set_geometry + set_maxdbs (+ set_maxreaders) + emdb_env_open. On failure the
// handle is closed and *out stays NULL; returns the first non-zero code.
int open_env(EMDB_env** out, const std::string& path, const EnvOptions& opts = EnvOptions());

class Env {
 public:
  Env() = default;
  explicit Env(EMDB_env* e) : env_(e) {}
  ~Env() { close(); }
  Env(Env&& o) noexcept : env_(std::exchange(o.env_, nullptr)) {}
  Env& operator=(Env&& o) noexcept {
    if (this != &o) {
      close();
      env_ = std::exchange(o.env_, nullptr);
    }
    return *this;
  }
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  int open(const std::string& path, const EnvOptions& opts = EnvOptions()) {
    close();
    return open_env(&env_, path, opts);
  }
  // emdb_env_close; returns its code (the handle is dropped either way unless EMDB_BUSY).
  int close() {
    if (!env_) return EMDB_SUCCESS;
    const int rc = emdb_env_close(env_);
    if (rc != EMDB_BUSY) env_ = nullptr;
    return rc;
  }
  EMDB_env* get() const { return env_; }
  operator EMDB_env*() const { return env_; }
  EMDB_env* release() { return std::exchange(env_, nullptr); }

 private:
  EMDB_env* env_ = nullptr;
};

class Txn {
 public:
  Txn() = default;
  explicit Txn(EMDB_txn* t) : txn_(t) {}
  ~Txn() { abort(); }
  Txn(Txn&& o) noexcept : txn_(std::exchange(o.txn_, nullptr)) {}
  Txn& operator=(Txn&& o) noexcept {
    if (this != &o) {
      abort();
      txn_ = std::exchange(o.txn_, nullptr);
    }
    return *this;
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  int begin(EMDB_env* env, unsigned flags = EMDB_TXN_READWRITE, EMDB_txn* parent = nullptr) {
    abort();
    return emdb_txn_begin(env, parent, static_cast<EMDB_txn_flags_t>(flags), &txn_);
  }
  // Commits; the handle is gone afterwards unless the engine says EMDB_THREAD_MISMATCH.
  int commit() {
    if (!txn_) return EMDB_EINVAL;
    const int rc = emdb_txn_commit(txn_);
    if (rc != EMDB_THREAD_MISMATCH) txn_ = nullptr;
    return rc;
  }
  int abort() {
    if (!txn_) return EMDB_SUCCESS;
    const int rc = emdb_txn_abort(txn_);
    if (rc != EMDB_THREAD_MISMATCH) txn_ = nullptr;
    return rc;
  }
  EMDB_txn* get() const { return txn_; }
  operator EMDB_txn*() const { return txn_; }
  EMDB_txn* release() { return std::exchange(txn_, nullptr); }

 private:
  EMDB_txn* txn_ = nullptr;
};

class Cursor {
 public:
  Cursor() = default;
  explicit Cursor(EMDB_cursor* c) : cur_(c) {}
  ~Cursor() { close(); }
  Cursor(Cursor&& o) noexcept : cur_(std::exchange(o.cur_, nullptr)) {}
  Cursor& operator=(Cursor&& o) noexcept {
    if (this != &o) {
      close();
      cur_ = std::exchange(o.cur_, nullptr);
    }
    return *this;
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  int open(EMDB_txn* txn, EMDB_dbi dbi) {
    close();
    return emdb_cursor_open(txn, dbi, &cur_);
  }
  void close() {
    if (cur_) emdb_cursor_close(cur_);
    cur_ = nullptr;
  }
  // emdb_cursor_get with views copied out.
  int get(std::string* key, std::string* data, EMDB_cursor_op op) {
    EMDB_val k = V0(), d = V0();
    const int rc = emdb_cursor_get(cur_, &k, &d, op);
    if (rc == EMDB_SUCCESS || rc == EMDB_RESULT_TRUE) {
      if (key) *key = S(k);
      if (data) *data = S(d);
    }
    return rc;
  }
  EMDB_cursor* get() const { return cur_; }
  operator EMDB_cursor*() const { return cur_; }
  EMDB_cursor* release() { return std::exchange(cur_, nullptr); }

 private:
  EMDB_cursor* cur_ = nullptr;
};

using Pair = std::pair<std::string, std::string>;
using Pairs = std::vector<Pair>;

// All pairs of a table in cursor order (FIRST, NEXT...). Returns EMDB_SUCCESS or the first error
// other than the final EMDB_NOTFOUND.
int collect(EMDB_txn* txn, EMDB_dbi dbi, Pairs* out);
// All pairs walking backwards (LAST, PREV...), returned in that (descending) order.
int collect_reverse(EMDB_txn* txn, EMDB_dbi dbi, Pairs* out);

// FNV-1a 64 over every (key, value) of each table, in cursor order. *rc (if given) receives the
// first error; the checksum of a table that cannot be read is 0.
uint64_t checksum(EMDB_txn* txn, const std::vector<EMDB_dbi>& dbis, int* rc = nullptr);

// emdb_put / emdb_get with strings (key and value copied in / out).
int put(EMDB_txn* txn, EMDB_dbi dbi, const std::string& key, const std::string& value,
        unsigned flags = EMDB_UPSERT);
int get(EMDB_txn* txn, EMDB_dbi dbi, const std::string& key, std::string* value);
int del(EMDB_txn* txn, EMDB_dbi dbi, const std::string& key);
int del(EMDB_txn* txn, EMDB_dbi dbi, const std::string& key, const std::string& value);

// Opens (with EMDB_CREATE) a table in a fresh write txn and commits. Returns the code.
int create_table(EMDB_env* env, const char* name, unsigned flags, EMDB_dbi* dbi);

}  // namespace emdb_test
