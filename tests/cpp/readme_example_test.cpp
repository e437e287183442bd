// The C++ example of README.md, compiled verbatim (see CMakeLists.txt: emdb_readme_example)
// and run here in a fresh directory, so that the README cannot drift from the API.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "cpp_test_util.hpp"

#ifndef EMDB_README_EXAMPLE
#error "EMDB_README_EXAMPLE must name the example binary (set by tests/cpp/CMakeLists.txt)"
#endif

namespace {

struct run_result {
  int exit_code;
  std::string output;
};

/** Runs the example with dir as its working directory; returns its exit code and output. */
run_result run_example(const std::filesystem::path &dir) {
  const std::filesystem::path out = dir / "example-output.txt";
  const std::string command =
      "cd '" + dir.string() + "' && '" EMDB_README_EXAMPLE "' > '" + out.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return {code, text};
}

TEST(Readme, ExampleRunsInAFreshDirectory) {
  emdb_test::temp_dir dir;
  const run_result r = run_example(dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(r.output.empty()) << "the example is expected to print what it read";
}

}  // namespace
