// Shared helpers of the emdb CLI: logging, error lines, opening an environment read-only, and
// a small JSON writer. The tools use the public C API (emdb.h) only.
#pragma once

#include <emdb/emdb.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace emdb_tool {

// Exit codes of every subcommand.
inline constexpr int kExitOk = 0;       // done
inline constexpr int kExitFailure = 1;  // the database could not be opened or read
inline constexpr int kExitUsage = 2;    // bad command line

// A registered subcommand: its CLI11 app and the function that runs it once parsed.
struct Command {
  CLI::App *app = nullptr;
  std::function<int()> run;
};

// Routes spdlog's default logger (and so the library's default logger) to stderr with the
// pattern "emdb: <level>: <message>". verbosity 0 shows warnings and errors, 1 info, 2+ debug.
void setup_logging(int verbosity);

// Logs one error line: "<path>: <what>: <emdb_strerror(rc)> (<rc>)".
void report_error(std::string_view path, std::string_view what, int rc);
// Logs one error line: "<path>: <message>".
void report_error(std::string_view path, std::string_view message);

// An environment opened read-only. The path may be a database directory or, for an
// environment created with EMDB_NOSUBDIR, the data file itself (detected from the path).
class ReadOnlyEnv {
 public:
  ReadOnlyEnv() = default;
  ReadOnlyEnv(const ReadOnlyEnv &) = delete;
  ReadOnlyEnv &operator=(const ReadOnlyEnv &) = delete;
  ~ReadOnlyEnv();

  // Opens `path` with EMDB_RDONLY (plus EMDB_NOSUBDIR for a regular file). `max_tables` is
  // passed to emdb_env_set_maxdbs when non-zero. On failure logs one error line naming the
  // path and the cause, and returns the error code.
  int open(const std::string &path, EMDB_dbi max_tables);

  EMDB_env *get() const { return env_; }
  const std::string &path() const { return path_; }
  bool nosubdir() const { return nosubdir_; }

 private:
  EMDB_env *env_ = nullptr;
  std::string path_;
  bool nosubdir_ = false;
};

// A read-only transaction, aborted when it goes out of scope.
class ReadTxn {
 public:
  ReadTxn() = default;
  ReadTxn(const ReadTxn &) = delete;
  ReadTxn &operator=(const ReadTxn &) = delete;
  ~ReadTxn();
  int begin(EMDB_env *env);
  EMDB_txn *get() const { return txn_; }

 private:
  EMDB_txn *txn_ = nullptr;
};

// A cursor, closed when it goes out of scope.
class Cursor {
 public:
  Cursor() = default;
  Cursor(const Cursor &) = delete;
  Cursor &operator=(const Cursor &) = delete;
  ~Cursor();
  int open(EMDB_txn *txn, EMDB_dbi dbi);
  EMDB_cursor *get() const { return cursor_; }

 private:
  EMDB_cursor *cursor_ = nullptr;
};

// Printable form of a table name: printable ASCII as is, other bytes as \xHH.
std::string printable(std::string_view bytes);

// Names of the table flags set in `flags` ("dupsort", "integerkey", ...).
std::vector<std::string> table_flag_names(unsigned flags);

// A streaming JSON writer with two-space indentation. Calls must nest correctly.
class JsonWriter {
 public:
  explicit JsonWriter(std::string &out) : out_(out) {}
  void begin_object(std::string_view key = {});
  void end_object();
  void begin_array(std::string_view key = {});
  void end_array();
  void field(std::string_view key, std::uint64_t value);
  void field(std::string_view key, std::string_view value);
  void field(std::string_view key, const char *value) { field(key, std::string_view(value)); }
  void field(std::string_view key, bool value);
  void value(std::uint64_t value) { field({}, value); }
  void value(std::string_view value) { field({}, value); }

 private:
  void prefix(std::string_view key);
  void quoted(std::string_view text);
  std::string &out_;
  std::vector<bool> first_;  // per open container: no member written yet
};

}  // namespace emdb_tool
