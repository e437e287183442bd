// Shared helpers of the C++ API tests: a temporary directory per test and small assertions.
#ifndef EMDB_TESTS_CPP_TEST_UTIL_HPP
#define EMDB_TESTS_CPP_TEST_UTIL_HPP

#include <gtest/gtest.h>

#include <cstdlib>
#include <emdb/emdb.hpp>
#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

namespace emdb_test {

/** A fresh directory under the system temp dir, removed with everything in it at the end. */
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "emdb-cpp-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  temp_dir(const temp_dir &) = delete;
  temp_dir &operator=(const temp_dir &) = delete;
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path &path() const { return path_; }
  /** A path inside the directory (not created). */
  std::filesystem::path sub(const std::string &name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/** Runs f, expects it to throw emdb::error, and returns the error's code (0 if it did not
 * throw, -1 if it threw something else). */
inline int code_of(const std::function<void()> &f) {
  try {
    f();
  } catch (const emdb::error &e) {
    return e.code();
  } catch (...) {
    return -1;
  }
  return 0;
}

/** Runs f in a new thread and waits for it. With default flags a thread holds one read
 * transaction at a time, and libmdbx does not let it write while it reads either; tests that
 * keep a reader open while another transaction runs start that one in another thread.
 * Exceptions from f are rethrown here. */
inline void in_other_thread(const std::function<void()> &f) {
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      f();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
}

/** Copies of optional results, "<nullopt>" when empty, so that a failed expectation prints a
 * message instead of dereferencing an empty optional. */
inline std::string str(const std::optional<emdb::slice> &v) {
  return v ? v->to_string() : "<nullopt>";
}
inline std::string key_of(const std::optional<emdb::kv_pair> &p) {
  return p ? p->key.to_string() : "<nullopt>";
}
inline std::string value_of(const std::optional<emdb::kv_pair> &p) {
  return p ? p->value.to_string() : "<nullopt>";
}

/** A test fixture with an open environment in a temporary directory. */
class env_fixture : public ::testing::Test {
 protected:
  void SetUp() override { env = emdb::env::open(dir.sub("db")); }
  void TearDown() override {
    if (env) env.close();
  }
  temp_dir dir;
  emdb::env env;
};

}  // namespace emdb_test

#endif  // EMDB_TESTS_CPP_TEST_UTIL_HPP
