// fuzz_chk.cpp — libFuzzer target of the checker and the read path (EMDB_BUILD_FUZZ=ON, clang).
// The harness (check_util.cpp, fuzz_run_one) damages a copy of a small database by the edits
// the input encodes, then opens it read-only, checks every meta (emdb_env_chk), walks it
// (emdb_env_pgwalk) and reads every table with cursors. Nothing may crash or read outside the
// map (the build uses ASan). Every crash found is kept under tests/check/fuzz-regressions/ and
// replayed by emdb_check_test (FuzzRegressions.Replay).
#include <emdb/emdb.h>

#include "check_util.hpp"
#include "support/temp_dir.hpp"

using namespace emdb_check_test;

namespace {
emdb_test::TempDir* g_dir = nullptr;
FuzzTemplate g_template;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_dir = new emdb_test::TempDir("chk-fuzz");
  fuzz_build_template(g_dir->path(), &g_template);
  emdb_setup_debug(EMDB_LOG_FATAL, EMDB_DBG_DONTCHANGE, nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_run_one(g_template, data, size);
  return 0;
}
