// emdb_chk_damage KIND DIR — builds the varied test database in DIR and damages it for the CLI
// tests of `emdb chk`: "minor" drops the last page of a GC record (a leaked page, exit 1),
// "major" gives a leaf of table 'plain' the kind of a large page (exit 2); the kinds of
// damage_file (check_util.hpp: a bad magic, version or page size in meta 0 or in the newest
// meta, a file cut by one page or by half) make a file the open refuses or misreads (exit 2).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "check_util.hpp"
#include "format/page.hpp"
#include "support/db.hpp"
#include "support/temp_dir.hpp"

using namespace emdb_check_test;
namespace fmt = emdb::format;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: emdb_chk_damage minor|major|meta0-magic|...|trunc-half DIR\n");
    return 2;
  }
  const std::string kind = argv[1], dir = argv[2];
  emdb_test::remove_tree(dir);
  build_varied_db(dir);
  if (kind != "minor" && kind != "major") {
    move_head_off_meta0(dir);
    FileDamage fd;
    if (!damage_file(dir, kind, &fd)) {
      std::fprintf(stderr, "cannot make damage '%s'\n", kind.c_str());
      return 1;
    }
    std::printf("%s\n", fd.where.c_str());
    return 0;
  }
  std::vector<PageVisit> v;
  size_t psize = 0;
  {
    emdb_test::Env env;
    emdb_test::EnvOptions o;
    o.maxdbs = 64;
    o.size_upper = intptr_t(256) << 20;
    if (env.open(dir, o) != 0) return 1;
    emdb_test::Txn t;
    if (t.begin(env, EMDB_TXN_RDONLY) != 0 || run_walk(t.get(), &v) != 0) return 1;
    EMDB_stat st;
    if (emdb_env_stat_ex(env, t.get(), &st, sizeof(st)) != 0) return 1;
    psize = st.ms_psize;
  }
  const std::string file = dir + "/emdb.dat";
  std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
  std::vector<uint8_t> b(psize);
  for (const PageVisit& p : v) {
    const bool want = kind == "major" ? (p.table == "plain" && p.type == EMDB_page_leaf)
                                      : (p.table == "@gc" && p.type == EMDB_page_leaf);
    if (!want) continue;
    f.seekg(std::streamoff(p.pgno * psize));
    f.read(reinterpret_cast<char*>(b.data()), std::streamsize(psize));
    auto* pg = reinterpret_cast<fmt::Page*>(b.data());
    if (kind == "major") {
      pg->flags = fmt::kPageLarge;
    } else {
      bool done = false;
      for (unsigned i = 0; i < fmt::NumKeys(pg) && !done; i++) {
        uint8_t* n = fmt::NodeAt(pg, i);
        uint8_t* d = fmt::NodeData(n);
        if (fmt::NodeFlags(n) == 0 && fmt::Load32(d) >= 1) {
          fmt::Store32(d, fmt::Load32(d) - 1);
          done = true;
        }
      }
      if (!done) continue;
    }
    f.seekp(std::streamoff(p.pgno * psize));
    f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(psize));
    return f.good() ? 0 : 1;
  }
  std::fprintf(stderr, "no page to damage\n");
  return 1;
}
