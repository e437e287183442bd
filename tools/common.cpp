#include "common.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace emdb_tool {

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_logger_st("emdb");
  logger->set_pattern("emdb: %l: %v");
  logger->set_level(verbosity <= 0   ? spdlog::level::warn
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::debug);
  spdlog::set_default_logger(logger);
  if (verbosity > 0) {
    emdb_setup_debug(verbosity == 1 ? EMDB_LOG_NOTICE : EMDB_LOG_DEBUG, EMDB_DBG_DONTCHANGE,
                     EMDB_LOGGER_DONTCHANGE);
  }
}

void report_error(std::string_view path, std::string_view what, int rc) {
  spdlog::error("{}: {}: {} ({})", path, what, emdb_strerror(rc), rc);
}

void report_error(std::string_view path, std::string_view message) {
  spdlog::error("{}: {}", path, message);
}

ReadOnlyEnv::~ReadOnlyEnv() {
  if (env_ != nullptr) emdb_env_close_ex(env_, /*dont_sync=*/true);
}

int ReadOnlyEnv::open(const std::string &path, EMDB_dbi max_tables) {
  path_ = path;
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec) {
    const int rc = ec.value() != 0 ? ec.value() : ENOENT;
    report_error(path, "cannot open", rc);
    return rc;
  }
  if (status.type() == std::filesystem::file_type::regular) {
    nosubdir_ = true;  // the path is the data file of an EMDB_NOSUBDIR environment
  } else if (status.type() != std::filesystem::file_type::directory) {
    report_error(path, "cannot open: neither a database directory nor a data file");
    return EMDB_EINVAL;
  }

  int rc = emdb_env_create(&env_);
  if (rc != EMDB_SUCCESS) {
    report_error(path, "cannot create an environment handle", rc);
    return rc;
  }
  if (max_tables != 0) {
    rc = emdb_env_set_maxdbs(env_, max_tables);
    if (rc != EMDB_SUCCESS) {
      report_error(path, "cannot set the table limit", rc);
      return rc;
    }
  }
  const EMDB_env_flags_t flags = nosubdir_ ? (EMDB_RDONLY | EMDB_NOSUBDIR) : EMDB_RDONLY;
  rc = emdb_env_open(env_, path.c_str(), flags, 0);
  if (rc != EMDB_SUCCESS) {
    report_error(path, "cannot open", rc);
    return rc;
  }
  return EMDB_SUCCESS;
}

ReadTxn::~ReadTxn() {
  if (txn_ != nullptr) emdb_txn_abort(txn_);
}

int ReadTxn::begin(EMDB_env *env) { return emdb_txn_begin(env, nullptr, EMDB_TXN_RDONLY, &txn_); }

Cursor::~Cursor() {
  if (cursor_ != nullptr) emdb_cursor_close(cursor_);
}

int Cursor::open(EMDB_txn *txn, EMDB_dbi dbi) { return emdb_cursor_open(txn, dbi, &cursor_); }

std::string printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && u != '\\') {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

std::vector<std::string> table_flag_names(unsigned flags) {
  static constexpr struct {
    unsigned bit;
    const char *name;
  } kNames[] = {{EMDB_REVERSEKEY, "reversekey"}, {EMDB_DUPSORT, "dupsort"},
                {EMDB_INTEGERKEY, "integerkey"}, {EMDB_DUPFIXED, "dupfixed"},
                {EMDB_INTEGERDUP, "integerdup"}, {EMDB_REVERSEDUP, "reversedup"}};
  std::vector<std::string> names;
  for (const auto &n : kNames) {
    if ((flags & n.bit) != 0) names.emplace_back(n.name);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// JsonWriter

void JsonWriter::prefix(std::string_view key) {
  if (!first_.empty()) {
    out_ += first_.back() ? "\n" : ",\n";
    first_.back() = false;
  }
  out_.append(2 * first_.size(), ' ');
  if (!key.empty()) {
    quoted(key);
    out_ += ": ";
  }
}

void JsonWriter::quoted(std::string_view text) {
  out_ += '"';
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default:
        if (u < 0x20 || u >= 0x7f) {
          // Names are bytes, not necessarily UTF-8: each byte becomes one code point.
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out_ += buf;
        } else {
          out_ += c;
        }
    }
  }
  out_ += '"';
}

void JsonWriter::begin_object(std::string_view key) {
  prefix(key);
  out_ += '{';
  first_.push_back(true);
}

void JsonWriter::end_object() {
  const bool empty = first_.back();
  first_.pop_back();
  if (!empty) {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }
  out_ += '}';
  if (first_.empty()) out_ += '\n';
}

void JsonWriter::begin_array(std::string_view key) {
  prefix(key);
  out_ += '[';
  first_.push_back(true);
}

void JsonWriter::end_array() {
  const bool empty = first_.back();
  first_.pop_back();
  if (!empty) {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }
  out_ += ']';
}

void JsonWriter::field(std::string_view key, std::uint64_t value) {
  prefix(key);
  out_ += std::to_string(value);
}

void JsonWriter::field(std::string_view key, std::string_view value) {
  prefix(key);
  quoted(value);
}

void JsonWriter::field(std::string_view key, bool value) {
  prefix(key);
  out_ += value ? "true" : "false";
}

}  // namespace emdb_tool
