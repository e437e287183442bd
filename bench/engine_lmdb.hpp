// engine_lmdb.hpp — the LMDB backend of the benchmark driver (see engine.hpp).
//
// Durability (bench/README.md): sync = default flags; lazy = MDB_NOSYNC (NOT crash-safe: a
// system crash can corrupt the database); nosync = MDB_NOSYNC | MDB_WRITEMAP | MDB_MAPASYNC.
// LMDB's page size is the OS page size; open() dies unless that equals params.page_size.
// Thread mode: LMDB's default (read transactions bound to the thread through TLS).
#pragma once

#include <lmdb.h>
#include <unistd.h>

#include <string>

#include "common.hpp"
#include "engine.hpp"

namespace emdb_bench {

class LmdbEngine {
 public:
  static constexpr const char *kName = "lmdb";

  LmdbEngine() = default;
  LmdbEngine(const LmdbEngine &) = delete;
  LmdbEngine &operator=(const LmdbEngine &) = delete;
  ~LmdbEngine() { close(); }

  static void check(int rc, const char *what) {
    if (rc != MDB_SUCCESS) die(std::string("lmdb: ") + what + ": " + mdb_strerror(rc));
  }

  static unsigned env_flags(SyncMode m) {
    switch (m) {
      case SyncMode::sync:
        return 0;
      case SyncMode::lazy:
        return MDB_NOSYNC;
      case SyncMode::nosync:
        return MDB_NOSYNC | MDB_WRITEMAP | MDB_MAPASYNC;
    }
    return 0;
  }

  void open(const std::string &dir, const OpenParams &p) {
    long os_page = ::sysconf(_SC_PAGESIZE);
    if (os_page != long(p.page_size))
      die("lmdb: its page size is the OS page size (" + std::to_string(os_page) +
          "), not the requested " + std::to_string(p.page_size));
    check(mdb_env_create(&env_), "mdb_env_create");
    check(mdb_env_set_mapsize(env_, p.upper_bytes), "mdb_env_set_mapsize");
    check(mdb_env_open(env_, dir.c_str(), env_flags(p.mode), 0644), "mdb_env_open");
    MDB_txn *t = nullptr;
    check(mdb_txn_begin(env_, nullptr, 0, &t), "mdb_txn_begin(open dbi)");
    check(mdb_dbi_open(t, nullptr, 0, &dbi_), "mdb_dbi_open");
    check(mdb_txn_commit(t), "mdb_txn_commit(open dbi)");
  }

  void flush() { check(mdb_env_sync(env_, 1), "mdb_env_sync"); }

  void close() {
    if (wtxn_) {
      mdb_txn_abort(wtxn_);
      wtxn_ = nullptr;
    }
    if (env_) {
      mdb_env_close(env_);
      env_ = nullptr;
    }
  }

  static std::string data_path(const std::string &dir) { return dir + "/data.mdb"; }

  void begin_write() { check(mdb_txn_begin(env_, nullptr, 0, &wtxn_), "mdb_txn_begin(write)"); }

  void commit() {
    int rc = mdb_txn_commit(wtxn_);
    wtxn_ = nullptr;
    check(rc, "mdb_txn_commit");
  }

  void put(Slice k, Slice v, bool append) {
    MDB_val key{k.size, const_cast<void *>(k.data)};
    MDB_val val{v.size, const_cast<void *>(v.data)};
    check(mdb_put(wtxn_, dbi_, &key, &val, append ? MDB_APPEND : 0u), "mdb_put");
  }

  bool get_w(Slice k, Slice *v) {
    MDB_val key{k.size, const_cast<void *>(k.data)};
    MDB_val val{};
    int rc = mdb_get(wtxn_, dbi_, &key, &val);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "mdb_get(write txn)");
    *v = Slice{val.mv_data, val.mv_size};
    return true;
  }

  bool del(Slice k) {
    MDB_val key{k.size, const_cast<void *>(k.data)};
    int rc = mdb_del(wtxn_, dbi_, &key, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    check(rc, "mdb_del");
    return true;
  }

  TreeStat stat() {
    MDB_txn *t = nullptr;
    check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &t), "mdb_txn_begin(stat)");
    MDB_stat st{};
    int rc = mdb_stat(t, dbi_, &st);
    mdb_txn_abort(t);
    check(rc, "mdb_stat");
    return TreeStat{st.ms_depth, st.ms_entries, st.ms_branch_pages, st.ms_leaf_pages};
  }

  uint64_t used_bytes() {
    MDB_envinfo info{};
    check(mdb_env_info(env_, &info), "mdb_env_info");
    MDB_stat st{};
    check(mdb_env_stat(env_, &st), "mdb_env_stat");
    return (uint64_t(info.me_last_pgno) + 1) * st.ms_psize;
  }

  MDB_env *env() const { return env_; }
  MDB_dbi dbi() const { return dbi_; }

  /// A read handle; create and use it in one thread.
  class Reader {
   public:
    explicit Reader(LmdbEngine &e) : e_(e) {}
    Reader(const Reader &) = delete;
    Reader &operator=(const Reader &) = delete;
    ~Reader() {
      if (txn_) end();
    }

    void begin() {
      check(mdb_txn_begin(e_.env_, nullptr, MDB_RDONLY, &txn_), "mdb_txn_begin(read)");
    }

    void end() {
      if (cur_) {
        mdb_cursor_close(cur_);
        cur_ = nullptr;
      }
      mdb_txn_abort(txn_);
      txn_ = nullptr;
    }

    bool get(Slice k, Slice *v) {
      MDB_val key{k.size, const_cast<void *>(k.data)};
      MDB_val val{};
      int rc = mdb_get(txn_, e_.dbi_, &key, &val);
      if (rc == MDB_NOTFOUND) return false;
      check(rc, "mdb_get");
      *v = Slice{val.mv_data, val.mv_size};
      return true;
    }

    bool first(Slice *k, Slice *v) { return move(nullptr, k, v, MDB_FIRST, "MDB_FIRST"); }
    bool last(Slice *k, Slice *v) { return move(nullptr, k, v, MDB_LAST, "MDB_LAST"); }
    bool next(Slice *k, Slice *v) { return move(nullptr, k, v, MDB_NEXT, "MDB_NEXT"); }
    bool prev(Slice *k, Slice *v) { return move(nullptr, k, v, MDB_PREV, "MDB_PREV"); }
    bool set_range(Slice seek, Slice *k, Slice *v) {
      return move(&seek, k, v, MDB_SET_RANGE, "MDB_SET_RANGE");
    }

   private:
    bool move(const Slice *seek, Slice *k, Slice *v, MDB_cursor_op op, const char *what) {
      if (!cur_) check(mdb_cursor_open(txn_, e_.dbi_, &cur_), "mdb_cursor_open");
      MDB_val key{}, val{};
      if (seek) key = MDB_val{seek->size, const_cast<void *>(seek->data)};
      int rc = mdb_cursor_get(cur_, &key, &val, op);
      if (rc == MDB_NOTFOUND) return false;
      check(rc, what);
      *k = Slice{key.mv_data, key.mv_size};
      *v = Slice{val.mv_data, val.mv_size};
      return true;
    }

    LmdbEngine &e_;
    MDB_txn *txn_ = nullptr;
    MDB_cursor *cur_ = nullptr;
  };

 private:
  MDB_env *env_ = nullptr;
  MDB_txn *wtxn_ = nullptr;
  MDB_dbi dbi_ = 0;
};

static_assert(KvEngine<LmdbEngine>);

}  // namespace emdb_bench
