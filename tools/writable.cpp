#include "writable.hpp"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "common.hpp"

namespace emdb_tool {

bool parse_geometry(const std::string &text, GeometryRequest &out, std::string &error) {
  if (text.empty()) {
    error = "empty geometry";
    return false;
  }
  size_t pos = 0;
  while (pos < text.size()) {
    const char key = text[pos++];
    std::int64_t *field = nullptr;
    switch (key) {
      case 'l':
        field = &out.lower;
        break;
      case 'c':
        field = &out.now;
        break;
      case 'u':
        field = &out.upper;
        break;
      case 'g':
        field = &out.grow;
        break;
      case 's':
        field = &out.shrink;
        break;
      case 'p':
        field = &out.pagesize;
        break;
      default:
        error = std::string("unknown geometry field '") + key + "' (expected l, c, u, g, s or p)";
        return false;
    }
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') {
      error = std::string("geometry field '") + key + "' needs a number";
      return false;
    }
    char *end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(text.c_str() + pos, &end, 10);
    if (errno != 0) {
      error = std::string("geometry field '") + key + "' is out of range";
      return false;
    }
    pos = static_cast<size_t>(end - text.c_str());
    unsigned shift = 0;
    if (pos < text.size() && text[pos] != ',') {
      switch (text[pos]) {
        case 'K':
        case 'k':
          shift = 10;
          break;
        case 'M':
        case 'm':
          shift = 20;
          break;
        case 'G':
        case 'g':
          shift = 30;
          break;
        case 'T':
        case 't':
          shift = 40;
          break;
        default:
          error = std::string("bad size suffix '") + text[pos] + "' (expected K, M, G or T)";
          return false;
      }
      ++pos;
    }
    if (shift != 0 && v > (~0ull >> (shift + 1))) {
      error = std::string("geometry field '") + key + "' is out of range";
      return false;
    }
    v <<= shift;
    if (v > static_cast<unsigned long long>(INT64_MAX)) {
      error = std::string("geometry field '") + key + "' is out of range";
      return false;
    }
    *field = static_cast<std::int64_t>(v);
    if (pos < text.size()) {
      if (text[pos] != ',') {
        error = "geometry fields are separated by commas";
        return false;
      }
      ++pos;
      if (pos == text.size()) {
        error = "trailing comma in geometry";
        return false;
      }
    }
  }
  return true;
}

WritableEnv::~WritableEnv() {
  if (env_ != nullptr) emdb_env_close_ex(env_, /*dont_sync=*/false);
}

int WritableEnv::open(const std::string &path, EMDB_dbi max_tables, unsigned extra_flags,
                      bool create, const GeometryRequest &geometry) {
  path_ = path;
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  bool nosubdir = false;
  if (!ec && status.type() == std::filesystem::file_type::regular) {
    nosubdir = true;
  } else if (!ec && status.type() != std::filesystem::file_type::directory) {
    report_error(path, "cannot open: neither a database directory nor a data file");
    return EMDB_EINVAL;
  } else if (ec && !create) {
    const int rc = ec.value() != 0 ? ec.value() : ENOENT;
    report_error(path, "cannot open", rc);
    return rc;
  }
  int rc = emdb_env_create(&env_);
  if (rc != EMDB_SUCCESS) {
    report_error(path, "cannot create an environment handle", rc);
    return rc;
  }
  if (max_tables != 0 && (rc = emdb_env_set_maxdbs(env_, max_tables)) != EMDB_SUCCESS) {
    report_error(path, "cannot set the table limit", rc);
    return rc;
  }
  if (geometry.any()) {
    rc = emdb_env_set_geometry(env_, geometry.lower, geometry.now, geometry.upper, geometry.grow,
                               geometry.shrink, geometry.pagesize);
    if (rc != EMDB_SUCCESS) {
      report_error(path, "bad geometry", rc);
      return rc;
    }
  }
  unsigned flags = extra_flags | (nosubdir ? unsigned(EMDB_NOSUBDIR) : 0u);
  rc = emdb_env_open(env_, path.c_str(), static_cast<EMDB_env_flags_t>(flags), create ? 0644 : 0);
  if (rc != EMDB_SUCCESS) {
    report_error(path, create ? "cannot open or create" : "cannot open", rc);
    return rc;
  }
  return EMDB_SUCCESS;
}

int WritableEnv::close() {
  if (env_ == nullptr) return EMDB_SUCCESS;
  int rc = emdb_env_sync(env_);
  if (rc == EMDB_RESULT_TRUE) rc = EMDB_SUCCESS;  // nothing was left to flush
  if (rc != EMDB_SUCCESS) report_error(path_, "cannot flush", rc);
  const int rc2 = emdb_env_close_ex(env_, /*dont_sync=*/false);
  env_ = nullptr;
  if (rc == EMDB_SUCCESS && rc2 != EMDB_SUCCESS) {
    report_error(path_, "cannot close", rc2);
    rc = rc2;
  }
  return rc;
}

}  // namespace emdb_tool
