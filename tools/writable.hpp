// An environment opened for writing by the CLI (load, drop). Like ReadOnlyEnv (common.hpp) the
// path is a database directory or, when it is a regular file, the data file of an EMDB_NOSUBDIR
// environment.
#pragma once

#include <emdb/emdb.h>

#include <cstdint>
#include <string>

namespace emdb_tool {

// Geometry in bytes for emdb_env_set_geometry; -1 keeps the default or the database's value.
struct GeometryRequest {
  std::int64_t lower = -1, now = -1, upper = -1, grow = -1, shrink = -1, pagesize = -1;
  bool any() const {
    return lower >= 0 || now >= 0 || upper >= 0 || grow >= 0 || shrink >= 0 || pagesize >= 0;
  }
};

// Parses "l<size>,c<size>,u<size>,g<size>,s<size>,p<size>" (any subset, any order; sizes in
// bytes with an optional K, M, G or T suffix, powers of 1024). The letters follow libmdbx's dump
// header (lower, current, upper, growth step, shrink threshold) plus p for the page size.
// Returns false with `error` set on a malformed string.
bool parse_geometry(const std::string &text, GeometryRequest &out, std::string &error);

class WritableEnv {
 public:
  WritableEnv() = default;
  WritableEnv(const WritableEnv &) = delete;
  WritableEnv &operator=(const WritableEnv &) = delete;
  ~WritableEnv();

  // Opens `path` for writing; with `create` a missing database (directory) is created. On
  // failure logs one error line naming the path and the cause and returns the error code.
  int open(const std::string &path, EMDB_dbi max_tables, unsigned extra_flags, bool create,
           const GeometryRequest &geometry);
  // Flushes and closes (errors logged and returned).
  int close();

  EMDB_env *get() const { return env_; }
  const std::string &path() const { return path_; }

 private:
  EMDB_env *env_ = nullptr;
  std::string path_;
};

}  // namespace emdb_tool
