// fuzz_chk.cpp — libFuzzer target of the checker and the read path. A small database (512-byte
// pages: plain, DUPSORT with sub-pages and sub-trees, DUPFIXED, large values, GC records) is
// built once; each input is a list of edits (u32 offset, u8 xor mask) applied to a copy of its
// data file. The damaged file is then opened read-only, checked (emdb_env_chk on every meta),
// walked (emdb_env_pgwalk) and read with cursors over every table. Nothing may crash or read
// outside the map (build with ASan). Crashes found become cases in check_test.cpp.
#include <emdb/emdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "check_util.hpp"
#include "support/db.hpp"
#include "support/kv.hpp"
#include "support/temp_dir.hpp"

using namespace emdb_test;
using namespace emdb_check_test;

namespace {

std::vector<uint8_t> g_template;
TempDir* g_dir = nullptr;

EnvOptions Opts() {
  EnvOptions o;
  o.pagesize = 512;
  o.maxdbs = 16;
  o.size_upper = intptr_t(16) << 20;
  return o;
}

void BuildTemplate() {
  g_dir = new TempDir("chk-fuzz");
  const std::string db = g_dir->file("template");
  {
    Env env;
    if (env.open(db, Opts()) != 0) std::abort();
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
  }
  std::ifstream in(db + "/emdb.dat", std::ios::binary);
  g_template.assign(std::istreambuf_iterator<char>(in), {});
  if (g_template.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  BuildTemplate();
  emdb_setup_debug(EMDB_LOG_FATAL, EMDB_DBG_DONTCHANGE, nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file = g_template;
  for (size_t i = 0; i + 5 <= size; i += 5) {
    uint32_t off;
    std::memcpy(&off, data + i, 4);
    file[off % file.size()] ^= data[i + 4];
  }
  if (size % 5 == 1) file.resize(file.size() / 512 * (data[size - 1] % 8 + 1) / 8 * 512);
  const std::string dir = g_dir->file("case");
  remove_tree(dir);
  ::mkdir(dir.c_str(), 0755);
  {
    std::ofstream out(dir + "/emdb.dat", std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), std::streamsize(file.size()));
  }
  Env env;
  EnvOptions o = Opts();
  o.flags = EMDB_RDONLY;
  if (env.open(dir, o) != 0) return 0;
  for (int m = -1; m < 3; m++) (void)run_chk(env, EMDB_CHK_DEFAULTS, m);
  {
    Txn t;
    if (t.begin(env, EMDB_TXN_RDONLY) == 0) {
      std::vector<PageVisit> v;
      (void)run_walk(t.get(), &v);
    }
  }
  (void)read_everything(env);
  return 0;
}
