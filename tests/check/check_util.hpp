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
