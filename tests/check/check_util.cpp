// check_util.cpp — see check_util.hpp.
#include "check_util.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "support/db.hpp"
#include "support/kv.hpp"
#include "support/temp_dir.hpp"

namespace emdb_check_test {

using namespace emdb_test;

std::string ChkResult::all() const {
  std::string s;
  for (const Problem& p : problems) s += p.msg + "\n";
  return s;
}

namespace {
int on_problem(void* ctx, EMDB_chk_class_t cls, uint64_t pgno, const EMDB_val*,
               const char* msg) noexcept {
  auto* r = static_cast<ChkResult*>(ctx);
  r->problems.push_back({cls, pgno, msg});
  return 0;
}

int on_page(void* ctx, uint64_t pgno, unsigned npages, uint64_t parent, const EMDB_val* table,
            int depth, EMDB_page_type_t type, size_t n, size_t payload, size_t header,
            size_t unused) noexcept {
  auto* out = static_cast<std::vector<PageVisit>*>(ctx);
  std::string name;
  if (table == EMDB_PGWALK_MAIN) {
    name = "@main";
  } else if (table == EMDB_PGWALK_GC) {
    name = "@gc";
  } else if (table == EMDB_PGWALK_META) {
    name = "@meta";
  } else {
    name.assign(static_cast<const char*>(table->iov_base), table->iov_len);
  }
  out->push_back({pgno, npages, parent, name, depth, type, n, payload, header, unused});
  return 0;
}
}  // namespace

ChkResult run_chk(EMDB_env* env, unsigned flags, int meta) {
  ChkResult r;
  r.rc = emdb_env_chk(env, EMDB_chk_flags_t(flags), meta, &r.report, on_problem, &r);
  return r;
}

ChkResult run_file_chk(const std::string& path, unsigned flags, int meta) {
  ChkResult r;
  r.rc = emdb_preopen_chk(path.c_str(), EMDB_chk_flags_t(flags), meta, &r.report, on_problem, &r);
  return r;
}

int head_meta(const std::string& dir) {
  EMDB_envinfo info{};
  if (emdb_preopen_snapinfo(dir.c_str(), &info, sizeof(info)) != 0) return -1;
  int head = -1;
  for (int i = 0; i < 3; i++) {
    if (info.mi_meta_txnid[i] != 0 &&
        (head < 0 || info.mi_meta_txnid[i] > info.mi_meta_txnid[head]))
      head = i;
  }
  return head;
}

void move_head_off_meta0(const std::string& dir) {
  if (head_meta(dir) != 0) return;
  Env env;
  EnvOptions o;
  o.maxdbs = 64;
  o.size_upper = intptr_t(256) << 20;
  if (env.open(dir, o) != 0) return;
  EMDB_dbi d;
  create_table(env, "t0", EMDB_CREATE, &d);
  Txn t;
  if (t.begin(env) != 0) return;
  put(t.get(), d, key_n(1000), value_n(1000, 10));
  (void)t.commit();
}

const char* const kFileDamageKinds[8] = {"meta0-magic", "meta0-version", "meta0-pagesize",
                                         "head-magic",  "head-version",  "head-pagesize",
                                         "trunc-1",     "trunc-half"};

bool damage_file(const std::string& dir, const std::string& kind, FileDamage* out) {
  EMDB_envinfo info{};
  if (emdb_preopen_snapinfo(dir.c_str(), &info, sizeof(info)) != 0) return false;
  const uint64_t ps = info.mi_dxb_pagesize;
  const int head = head_meta(dir);
  const std::string file = dir + "/emdb.dat";
  if (kind == "trunc-1" || kind == "trunc-half") {
    const uint64_t need = info.mi_last_pgno + 1;
    const uint64_t keep = kind == "trunc-1" ? need - 1 : need / 2;
    if (::truncate(file.c_str(), off_t(keep * ps)) != 0) return false;
    out->cls = EMDB_CHK_IO;
    out->pgno = keep;
    out->where = "the file is truncated: it has " + std::to_string(keep) + " pages (" +
                 std::to_string(keep * ps) + " bytes), the checked meta " + std::to_string(head) +
                 " needs " + std::to_string(need) + " pages: " + std::to_string(need - keep) +
                 " page(s) from page " + std::to_string(keep) + " are missing";
    return true;
  }
  const bool meta0 = kind.rfind("meta0-", 0) == 0;
  if (!meta0 && kind.rfind("head-", 0) != 0) return false;
  const int slot = meta0 ? 0 : head;
  if (slot < 0 || (!meta0 && slot == 0)) return false;
  const std::string field = kind.substr(kind.find('-') + 1);
  // Meta fields from page byte 32: magic u32 at +8, version u16 at +12, log2(page size) at +14.
  size_t off = 0;
  uint8_t mask = 0;
  std::string what;
  if (field == "magic") {
    off = 32 + 8, mask = 0x01, what = "bad magic";
  } else if (field == "version") {
    off = 32 + 12, mask = 0x02, what = "format version 3 (want 1)";
  } else if (field == "pagesize") {
    // log2 ^ 1: 4096 reads as 8192, a legal size that the open would believe.
    off = 32 + 14, mask = 0x01;
    what = "page size " + std::to_string(uint64_t(1) << (unsigned(__builtin_ctzll(ps)) ^ 1u));
  } else {
    return false;
  }
  std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
  char b = 0;
  f.seekg(std::streamoff(uint64_t(slot) * ps + off));
  f.read(&b, 1);
  b = char(uint8_t(b) ^ mask);
  f.seekp(std::streamoff(uint64_t(slot) * ps + off));
  f.write(&b, 1);
  if (!f.good()) return false;
  out->cls = EMDB_CHK_META;
  out->pgno = uint64_t(slot);
  out->where = "meta " + std::to_string(slot) + " (page " + std::to_string(slot) + "): " + what;
  return true;
}

int run_walk(EMDB_txn* txn, std::vector<PageVisit>* out) {
  return emdb_env_pgwalk(txn, on_page, out, EMDB_PGWALK_DEFAULTS);
}

void build_varied_db(const std::string& dir, unsigned scale, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Env env;
  EnvOptions o;
  o.maxdbs = 64;
  o.size_upper = intptr_t(256) << 20;
  if (env.open(dir, o) != 0) return;
  auto commit_round = [&](auto&& fn) {
    Txn t;
    if (t.begin(env) != 0) return;
    fn(t.get());
    (void)t.commit();
  };
  EMDB_dbi plain, dups, fixed, ints, big;
  create_table(env, "plain", EMDB_CREATE, &plain);
  create_table(env, "dups", EMDB_CREATE | EMDB_DUPSORT, &dups);
  create_table(env, "fixed", EMDB_CREATE | EMDB_DUPSORT | EMDB_DUPFIXED | EMDB_INTEGERDUP, &fixed);
  create_table(env, "ints", EMDB_CREATE | EMDB_INTEGERKEY, &ints);
  create_table(env, "big", EMDB_CREATE, &big);
  const unsigned n = 3000 * scale;
  commit_round([&](EMDB_txn* t) {
    for (unsigned i = 0; i < n; i++) put(t, plain, key_n(i), value_n(i, 40 + rng() % 40));
  });
  commit_round([&](EMDB_txn* t) {
    for (unsigned i = 0; i < 300 * scale; i++) {
      for (unsigned d = 0; d < 3; d++) put(t, dups, key_n(i), value_n(d, 12));
    }
    for (unsigned i = 0; i < 5; i++) {
      for (unsigned d = 0; d < 600; d++) put(t, dups, key_n(100000 + i), value_n(d, 20));
    }
  });
  commit_round([&](EMDB_txn* t) {
    for (unsigned i = 0; i < 20 * scale; i++) {
      for (unsigned d = 0; d < 700; d++) put(t, fixed, key_n(i), u64_bytes(d * 7 + i));
    }
    for (unsigned i = 0; i < 100; i++) {
      for (unsigned d = 0; d < 3; d++) put(t, fixed, key_n(5000 + i), u64_bytes(d));
    }
    for (uint64_t i = 0; i < 1000 * scale; i++) put(t, ints, u64_bytes(i * 3), value_n(i, 16));
  });
  commit_round([&](EMDB_txn* t) {
    for (unsigned i = 0; i < 40; i++) put(t, big, key_n(i), value_n(i, 5000 + (i * 997) % 20000));
  });
  for (unsigned k = 0; k < 20; k++) {
    EMDB_dbi d;
    const std::string name = "t" + std::to_string(k);
    create_table(env, name.c_str(), EMDB_CREATE, &d);
    commit_round([&](EMDB_txn* t) {
      for (unsigned i = 0; i < 5; i++) put(t, d, key_n(i), value_n(i, 10));
    });
  }
  // Deletes: every third plain key, some duplicates, some large values.
  commit_round([&](EMDB_txn* t) {
    for (unsigned i = 0; i < n; i += 3) del(t, plain, key_n(i));
    for (unsigned i = 0; i < 300 * scale; i += 2) del(t, dups, key_n(i), value_n(1, 12));
    for (unsigned d = 0; d < 500; d++) del(t, dups, key_n(100001), value_n(d, 20));
    for (unsigned i = 0; i < 40; i += 4) del(t, big, key_n(i));
  });
  commit_round([&](EMDB_txn* t) {
    for (unsigned i = 1; i < n; i += 7) put(t, plain, key_n(i), value_n(i, 90));
  });
}

int read_everything(EMDB_env* env) {
  Txn t;
  int rc = t.begin(env, EMDB_TXN_RDONLY);
  if (rc != 0) return rc;
  EMDB_dbi main_dbi;
  rc = emdb_dbi_open(t.get(), nullptr, EMDB_DB_DEFAULTS, &main_dbi);
  if (rc != 0) return rc;
  std::vector<std::string> names;
  {
    EMDB_cursor* c = nullptr;
    rc = emdb_cursor_open(t.get(), main_dbi, &c);
    if (rc != 0) return rc;
    EMDB_val k, v;
    int r = emdb_cursor_get(c, &k, &v, EMDB_FIRST);
    while (r == 0) {
      names.push_back(S(k));
      r = emdb_cursor_get(c, &k, &v, EMDB_NEXT);
    }
    emdb_cursor_close(c);
    if (r != EMDB_NOTFOUND) return r;
  }
  int first_err = 0;
  for (const std::string& name : names) {
    EMDB_dbi d;
    int r = emdb_dbi_open(t.get(), name.c_str(), EMDB_DB_ACCEDE, &d);
    if (r != 0) {
      if (!first_err) first_err = r;
      continue;
    }
    EMDB_cursor* c = nullptr;
    r = emdb_cursor_open(t.get(), d, &c);
    if (r != 0) {
      if (!first_err) first_err = r;
      continue;
    }
    EMDB_val k, v;
    size_t guard = 0;
    r = emdb_cursor_get(c, &k, &v, EMDB_FIRST);
    while (r == 0 && guard++ < 10000000) {
      volatile uint8_t sink = 0;
      if (k.iov_len) sink = sink ^ static_cast<const uint8_t*>(k.iov_base)[k.iov_len - 1];
      if (v.iov_len) sink = sink ^ static_cast<const uint8_t*>(v.iov_base)[v.iov_len - 1];
      (void)sink;
      r = emdb_cursor_get(c, &k, &v, EMDB_NEXT);
    }
    if (r != EMDB_NOTFOUND && !first_err) first_err = r;
    // And backwards.
    r = emdb_cursor_get(c, &k, &v, EMDB_LAST);
    guard = 0;
    while (r == 0 && guard++ < 10000000) r = emdb_cursor_get(c, &k, &v, EMDB_PREV);
    if (r != EMDB_NOTFOUND && !first_err) first_err = r;
    emdb_cursor_close(c);
  }
  return first_err;
}

namespace {
EnvOptions FuzzOpts() {
  EnvOptions o;
  o.pagesize = 512;
  o.maxdbs = 16;
  o.size_lower = 64 << 10;
  o.size_now = 64 << 10;
  o.growth_step = 64 << 10;
  o.size_upper = intptr_t(4) << 20;
  return o;
}
}  // namespace

void fuzz_build_template(const std::string& dir, FuzzTemplate* out) {
  out->dir = dir;
  const std::string db = dir + "/template";
  {
    Env env;
    if (env.open(db, FuzzOpts()) != 0) std::abort();
    EMDB_dbi plain, dups, fixed;
    create_table(env, "plain", EMDB_CREATE, &plain);
    create_table(env, "dups", EMDB_CREATE | EMDB_DUPSORT, &dups);
    create_table(env, "fixed", EMDB_CREATE | EMDB_DUPSORT | EMDB_DUPFIXED, &fixed);
    for (int round = 0; round < 3; round++) {
      Txn t;
      if (t.begin(env) != 0) std::abort();
      for (int i = 0; i < 60; i++) put(t.get(), plain, key_n(i * 3 + round), value_n(i, 20));
      for (int i = 0; i < 8; i++) put(t.get(), dups, key_n(i), value_n(i + round, 8));
      for (int d = 0; d < 40; d++) put(t.get(), dups, key_n(100), value_n(d * 3 + round, 10));
      for (int d = 0; d < 30; d++) put(t.get(), fixed, key_n(round), u64_bytes(d));
      put(t.get(), plain, key_n(1000 + round), value_n(round, 1500));
      if (round == 2) {
        for (int i = 0; i < 30; i++) del(t.get(), plain, key_n(i * 3));
      }
      if (t.commit() != 0) std::abort();
    }
    EMDB_envinfo info{};
    if (emdb_env_info_ex(env, nullptr, &info, sizeof(info)) != 0) std::abort();
    out->used = size_t(info.mi_last_pgno + 1) * 512;
  }
  std::ifstream in(db + "/emdb.dat", std::ios::binary);
  out->file.assign(std::istreambuf_iterator<char>(in), {});
  if (out->file.empty()) std::abort();
  out->used = std::min(out->used, out->file.size());
}

void fuzz_run_one(const FuzzTemplate& tmpl, const uint8_t* data, size_t size) {
  std::vector<uint8_t> file = tmpl.file;
  for (size_t i = 0; i + 5 <= size; i += 5) {
    uint32_t off;
    std::memcpy(&off, data + i, 4);
    file[off % tmpl.used] ^= data[i + 4];
  }
  if (size % 5 == 1) file.resize(file.size() / 512 * (data[size - 1] % 8 + 1) / 8 * 512);
  const std::string dir = tmpl.dir + "/case";
  remove_tree(dir);
  ::mkdir(dir.c_str(), 0755);
  {
    std::ofstream out(dir + "/emdb.dat", std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), std::streamsize(file.size()));
  }
  Env env;
  EnvOptions o = FuzzOpts();
  o.flags = EMDB_RDONLY;
  for (int m = -1; m < 3; m++) (void)run_file_chk(dir, EMDB_CHK_DEFAULTS, m);
  if (env.open(dir, o) != 0) return;
  for (int m = -1; m < 3; m++) (void)run_chk(env, EMDB_CHK_DEFAULTS, m);
  {
    Txn t;
    if (t.begin(env, EMDB_TXN_RDONLY) == 0) {
      std::vector<PageVisit> v;
      (void)run_walk(t.get(), &v);
    }
  }
  (void)read_everything(env);
}

}  // namespace emdb_check_test
