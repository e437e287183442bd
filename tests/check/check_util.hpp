// check_util.hpp — helpers of the checker tests: a varied database, running emdb_env_chk and
// emdb_env_pgwalk into plain structures, and a full read of every table (cursor walk) that
// must never crash on a damaged file.
#pragma once

#include <emdb/emdb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace emdb_check_test {

struct Problem {
  EMDB_chk_class_t cls;
  uint64_t pgno;
  std::string msg;
};

struct ChkResult {
  int rc = 0;
  EMDB_chk_report report{};
  std::vector<Problem> problems;
  std::string all() const;  // every message, one a line
};

ChkResult run_chk(EMDB_env* env, unsigned flags = EMDB_CHK_DEFAULTS, int meta = -1);
// emdb_preopen_chk: the check of a database's data file without opening it.
ChkResult run_file_chk(const std::string& path, unsigned flags = EMDB_CHK_DEFAULTS, int meta = -1);

struct PageVisit {
  uint64_t pgno;
  unsigned npages;
  uint64_t parent;
  std::string table;  // "@main", "@gc", "@meta" or the name
  int depth;
  EMDB_page_type_t type;
  size_t entries, payload, header, unused;
};
int run_walk(EMDB_txn* txn, std::vector<PageVisit>* out);

// Builds a database in `dir` with plain, DUPSORT (sub-pages and sub-trees), DUPFIXED,
// INTEGERKEY, large-value and many small tables, then deletes some of everything (GC records).
// `scale` multiplies the record counts.
void build_varied_db(const std::string& dir, unsigned scale = 1, uint64_t seed = 1);

// The slot of the newest valid meta of the closed database in `dir` (-1 if none).
int head_meta(const std::string& dir);
// While meta 0 is the newest, commits once more (a key in table "t0"), so that damage to meta 0
// and damage to the newest meta are different cases.
void move_head_off_meta0(const std::string& dir);

// Damage to the metas and the length of the file, shared by the corruption suite and the CLI
// tests (emdb_chk_damage): "meta0-magic", "meta0-version", "meta0-pagesize" change that field
// of meta 0 (the log2 of the page size xor 1: 4096 reads as 8192, a size the open believes),
// "head-magic", "head-version",
// "head-pagesize" the same in the newest meta (not meta 0: see move_head_off_meta0);
// "trunc-1" cuts the file to next_pgno - 1 pages of the newest meta, "trunc-half" to half of
// next_pgno. `where` receives the text a problem's message must contain, `pgno` the page the
// problem must name. false: unknown kind or the file could not be changed.
struct FileDamage {
  std::string where;
  uint64_t pgno = 0;
  EMDB_chk_class_t cls = EMDB_CHK_META;
};
bool damage_file(const std::string& dir, const std::string& kind, FileDamage* out);
extern const char* const kFileDamageKinds[8];

// Opens every table of the snapshot and reads it fully with a cursor (NEXT, and NEXT_DUP
// through duplicates); returns the first non-success code other than EMDB_NOTFOUND, or 0.
int read_everything(EMDB_env* env);

// The fuzz harness (fuzz_chk.cpp and the regression replay in check_test.cpp): a small
// database (512-byte pages) built once into `dir`; each input is a list of edits (u32 offset,
// u8 xor mask) applied to a copy of its data file within the allocated pages (an input of
// length 5k+1 also truncates the file), then open + chk of every meta + pgwalk + full read.
struct FuzzTemplate {
  std::string dir;
  std::vector<uint8_t> file;
  size_t used = 0;
};
void fuzz_build_template(const std::string& dir, FuzzTemplate* out);
void fuzz_run_one(const FuzzTemplate& t, const uint8_t* data, size_t size);

}  // namespace emdb_check_test
