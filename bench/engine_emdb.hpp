// engine_emdb.hpp — the emdb backend of the benchmark driver (see engine.hpp), written against
// the public C API only (emdb/emdb.h).
//
// Durability (bench/README.md): sync = EMDB_SYNC_DURABLE; lazy = EMDB_SAFE_NOSYNC (crash-safe:
// a system crash rolls back to the last steady commit); nosync = EMDB_UTTERLY_NOSYNC |
// EMDB_WRITEMAP. Geometry: lower -1 (default), now, upper, growth step, shrink -1 (default),
// page size — all from OpenParams. Thread mode: emdb's default.
#pragma once

#include <emdb/emdb.h>

#include <string>

#include "common.hpp"
#include "engine.hpp"

namespace emdb_bench {

class EmdbEngine {
 public:
  static constexpr const char *kName = "emdb";

  EmdbEngine() = default;
  EmdbEngine(const EmdbEngine &) = delete;
  EmdbEngine &operator=(const EmdbEngine &) = delete;
  ~EmdbEngine() { close(); }

  static void check(int rc, const char *what) {
    if (rc != EMDB_SUCCESS) die(std::string("emdb: ") + what + ": " + emdb_strerror(rc));
  }

  static EMDB_env_flags_t env_flags(SyncMode m) {
    switch (m) {
      case SyncMode::sync:
        return EMDB_SYNC_DURABLE;
      case SyncMode::lazy:
        return EMDB_SAFE_NOSYNC;
      case SyncMode::nosync:
        return EMDB_UTTERLY_NOSYNC | EMDB_WRITEMAP;
    }
    return EMDB_SYNC_DURABLE;
  }

  void open(const std::string &dir, const OpenParams &p) {
    check(emdb_env_create(&env_), "emdb_env_create");
    check(emdb_env_set_geometry(env_, -1, intptr_t(p.now_bytes), intptr_t(p.upper_bytes),
                                intptr_t(p.growth_bytes), intptr_t(p.shrink_bytes),
                                intptr_t(p.page_size)),
          "emdb_env_set_geometry");
    check(emdb_env_open(env_, dir.c_str(), env_flags(p.mode), 0644), "emdb_env_open");
    EMDB_txn *t = nullptr;
    check(emdb_txn_begin(env_, nullptr, EMDB_TXN_READWRITE, &t), "emdb_txn_begin(open dbi)");
    check(emdb_dbi_open(t, nullptr, EMDB_DB_DEFAULTS, &dbi_), "emdb_dbi_open");
    check(emdb_txn_commit(t), "emdb_txn_commit(open dbi)");
  }

  void flush() {
    int rc = emdb_env_sync_ex(env_, true, false);
    if (rc != EMDB_RESULT_TRUE) check(rc, "emdb_env_sync_ex");
  }

  void close() {
    if (wtxn_) {
      emdb_txn_abort(wtxn_);
      wtxn_ = nullptr;
    }
    if (env_) {
      int rc = emdb_env_close(env_);
      env_ = nullptr;
      check(rc, "emdb_env_close");
    }
  }

  static std::string data_path(const std::string &dir) { return dir + "/emdb.dat"; }

  void begin_write() {
    check(emdb_txn_begin(env_, nullptr, EMDB_TXN_READWRITE, &wtxn_), "emdb_txn_begin(write)");
  }

  void commit() {
    int rc = emdb_txn_commit(wtxn_);
    wtxn_ = nullptr;
    check(rc, "emdb_txn_commit");
  }

  void put(Slice k, Slice v, bool append) {
    EMDB_val key{const_cast<void *>(k.data), k.size};
    EMDB_val val{const_cast<void *>(v.data), v.size};
    check(emdb_put(wtxn_, dbi_, &key, &val, append ? EMDB_APPEND : EMDB_UPSERT), "emdb_put");
  }

  bool get_w(Slice k, Slice *v) {
    EMDB_val key{const_cast<void *>(k.data), k.size};
    EMDB_val val{};
    int rc = emdb_get(wtxn_, dbi_, &key, &val);
    if (rc == EMDB_NOTFOUND) return false;
    check(rc, "emdb_get(write txn)");
    *v = Slice{val.iov_base, val.iov_len};
    return true;
  }

  bool del(Slice k) {
    EMDB_val key{const_cast<void *>(k.data), k.size};
    int rc = emdb_del(wtxn_, dbi_, &key, nullptr);
    if (rc == EMDB_NOTFOUND) return false;
    check(rc, "emdb_del");
    return true;
  }

  TreeStat stat() {
    EMDB_txn *t = nullptr;
    check(emdb_txn_begin(env_, nullptr, EMDB_TXN_RDONLY, &t), "emdb_txn_begin(stat)");
    EMDB_stat st{};
    int rc = emdb_dbi_stat(t, dbi_, &st, sizeof st);
    emdb_txn_abort(t);
    check(rc, "emdb_dbi_stat");
    return TreeStat{st.ms_depth, st.ms_entries, st.ms_branch_pages, st.ms_leaf_pages};
  }

  uint64_t used_bytes() {
    EMDB_envinfo info{};
    check(emdb_env_info_ex(env_, nullptr, &info, sizeof info), "emdb_env_info_ex");
    return (info.mi_last_pgno + 1) * uint64_t(info.mi_dxb_pagesize);
  }

  EMDB_env *env() const { return env_; }
  EMDB_dbi dbi() const { return dbi_; }

  /// A read handle; create and use it in one thread.
  class Reader {
   public:
    explicit Reader(EmdbEngine &e) : e_(e) {}
    Reader(const Reader &) = delete;
    Reader &operator=(const Reader &) = delete;
    ~Reader() {
      if (txn_) end();
    }

    void begin() {
      check(emdb_txn_begin(e_.env_, nullptr, EMDB_TXN_RDONLY, &txn_), "emdb_txn_begin(read)");
    }

    void end() {
      if (cur_) {
        emdb_cursor_close(cur_);
        cur_ = nullptr;
      }
      int rc = emdb_txn_abort(txn_);
      txn_ = nullptr;
      check(rc, "emdb_txn_abort(read)");
    }

    bool get(Slice k, Slice *v) {
      EMDB_val key{const_cast<void *>(k.data), k.size};
      EMDB_val val{};
      int rc = emdb_get(txn_, e_.dbi_, &key, &val);
      if (rc == EMDB_NOTFOUND) return false;
      check(rc, "emdb_get");
      *v = Slice{val.iov_base, val.iov_len};
      return true;
    }

    bool first(Slice *k, Slice *v) { return move(nullptr, k, v, EMDB_FIRST, "EMDB_FIRST"); }
    bool last(Slice *k, Slice *v) { return move(nullptr, k, v, EMDB_LAST, "EMDB_LAST"); }
    bool next(Slice *k, Slice *v) { return move(nullptr, k, v, EMDB_NEXT, "EMDB_NEXT"); }
    bool prev(Slice *k, Slice *v) { return move(nullptr, k, v, EMDB_PREV, "EMDB_PREV"); }
    bool set_range(Slice seek, Slice *k, Slice *v) {
      return move(&seek, k, v, EMDB_SET_RANGE, "EMDB_SET_RANGE");
    }

   private:
    bool move(const Slice *seek, Slice *k, Slice *v, EMDB_cursor_op op, const char *what) {
      if (!cur_) check(emdb_cursor_open(txn_, e_.dbi_, &cur_), "emdb_cursor_open");
      EMDB_val key{}, val{};
      if (seek) key = EMDB_val{const_cast<void *>(seek->data), seek->size};
      int rc = emdb_cursor_get(cur_, &key, &val, op);
      if (rc == EMDB_NOTFOUND) return false;
      check(rc, what);
      *k = Slice{key.iov_base, key.iov_len};
      *v = Slice{val.iov_base, val.iov_len};
      return true;
    }

    EmdbEngine &e_;
    EMDB_txn *txn_ = nullptr;
    EMDB_cursor *cur_ = nullptr;
  };

 private:
  EMDB_env *env_ = nullptr;
  EMDB_txn *wtxn_ = nullptr;
  EMDB_dbi dbi_ = 0;
};

static_assert(KvEngine<EmdbEngine>);

}  // namespace emdb_bench
