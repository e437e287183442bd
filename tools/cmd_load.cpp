// emdb load — read the db_dump text format (emdb dump, mdb_dump, mdbx_dump) into a database.
//
//   emdb load [-a] [-s TABLE] [-N] [-T] [-f FILE] [-G GEOMETRY] [--progress|--no-progress] PATH
//
// Creates PATH when missing. Records are committed in batches; a bad input line stops the load
// with an error naming the input and the line: the batch in progress is discarded, earlier
// batches stay (as mdb_load). See docs/tools.md.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "dump_format.hpp"
#include "progress.hpp"
#include "writable.hpp"

namespace emdb_tool {
namespace {

constexpr EMDB_dbi kMaxTables = 1024;
constexpr std::uint64_t kBatchRecords = 100000;

struct LoadOptions {
  bool append = false;
  bool no_overwrite = false;
  bool plain_text = false;
  ProgressMode progress = ProgressMode::kAuto;
  std::string table;
  std::string file;
  std::string geometry;
  std::string path;
};

// A line reader over a FILE* with a big buffer; lines are returned without the newline.
class LineReader {
 public:
  explicit LineReader(std::FILE *f) : f_(f), buf_(size_t(1) << 20) {}
  // false at the end of the input (or on a read error: see error()).
  bool next(std::string_view &line) {
    for (;;) {
      const char *nl =
          static_cast<const char *>(std::memchr(buf_.data() + pos_, '\n', len_ - pos_));
      if (nl != nullptr) {
        line = std::string_view(buf_.data() + pos_, size_t(nl - (buf_.data() + pos_)));
        consumed_ += line.size() + 1;
        pos_ = size_t(nl - buf_.data()) + 1;
        ++lineno_;
        return true;
      }
      if (eof_) {
        if (pos_ == len_) return false;
        line = std::string_view(buf_.data() + pos_, len_ - pos_);  // last line, no newline
        consumed_ += line.size();
        pos_ = len_;
        ++lineno_;
        return true;
      }
      // Move the partial line to the front, grow if a line fills the buffer, read more.
      std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
      len_ -= pos_;
      pos_ = 0;
      if (len_ == buf_.size()) buf_.resize(buf_.size() * 2);
      const size_t n = std::fread(buf_.data() + len_, 1, buf_.size() - len_, f_);
      len_ += n;
      if (n == 0) {
        eof_ = true;
        if (std::ferror(f_)) error_ = errno != 0 ? errno : EIO;
      }
    }
  }
  std::uint64_t lineno() const { return lineno_; }
  std::uint64_t consumed() const { return consumed_; }
  int error() const { return error_; }

 private:
  std::FILE *f_;
  std::vector<char> buf_;
  size_t pos_ = 0, len_ = 0;
  bool eof_ = false;
  int error_ = 0;
  std::uint64_t lineno_ = 0, consumed_ = 0;
};

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one data line (without its leading space) into out. Returns an error text or null.
const char *decode(std::string_view in, bool print, std::string &out) {
  out.clear();
  if (print) {
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] != '\\') {
        out += in[i];
        continue;
      }
      if (i + 1 < in.size() && in[i + 1] == '\\') {
        out += '\\';
        ++i;
        continue;
      }
      if (i + 2 >= in.size()) return "truncated \\ escape";
      const int hi = unhex(in[i + 1]), lo = unhex(in[i + 2]);
      if (hi < 0 || lo < 0) return "bad \\ escape (expected \\\\ or two hex digits)";
      out += static_cast<char>(hi << 4 | lo);
      i += 2;
    }
    return nullptr;
  }
  if (in.size() % 2 != 0) return "odd number of hex digits";
  out.resize(in.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = unhex(in[2 * i]), lo = unhex(in[2 * i + 1]);
    if (hi < 0 || lo < 0) return "not a hex digit";
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return nullptr;
}

struct Header {
  bool print = false;
  bool named = false;
  std::string name;
  unsigned flags = 0;
  bool have_sequence = false;
  std::uint64_t sequence = 0;
  bool have_canary = false;
  EMDB_canary canary{};
  GeometryRequest geometry;  // from mapsize= / geometry= / db_pagesize=
};

class Loader {
 public:
  Loader(const LoadOptions &opt, std::string input_name)
      : opt_(opt), input_(std::move(input_name)) {}

  int run(std::FILE *in, std::uint64_t input_size) {
    if (!opt_.geometry.empty()) {
      std::string error;
      if (!parse_geometry(opt_.geometry, cli_geometry_, error)) {
        report_error(opt_.geometry, "bad geometry (-G): " + error);
        return kExitUsage;
      }
    }
    LineReader reader(in);
    Progress progress("load", input_size, opt_.progress, "bytes");
    std::string_view line;
    bool any = false;
    for (;;) {
      Header h;
      if (opt_.plain_text) {
        h.print = true;
        if (any) break;
      } else {
        // Skip blank lines between sections; EOF here is the normal end.
        bool got = false;
        while ((got = reader.next(line)) && line.empty()) {
        }
        if (!got) break;
        if (!parse_header(reader, line, h)) return kExitFailure;
      }
      any = true;
      if (!open_env(h)) return kExitFailure;
      if (!load_section(reader, h, progress)) {
        abort_txn();
        return kExitFailure;
      }
    }
    if (reader.error() != 0) {
      report_error(input_, "cannot read", reader.error());
      abort_txn();
      return kExitFailure;
    }
    if (!any && !opt_.plain_text) {
      report_error(input_, "no data: the input is empty");
      return kExitFailure;
    }
    if (!any && !open_env(Header{})) return kExitFailure;
    if (!commit()) return kExitFailure;
    progress.finish();
    return env_.close() == EMDB_SUCCESS ? kExitOk : kExitFailure;
  }

 private:
  bool fail_line(std::uint64_t lineno, const std::string &what) {
    report_error(input_ + ":" + std::to_string(lineno), what);
    return false;
  }

  static bool parse_u64(std::string_view v, std::uint64_t &out) {
    if (v.empty()) return false;
    std::string s(v);
    char *end = nullptr;
    errno = 0;
    out = std::strtoull(s.c_str(), &end, 0);
    return errno == 0 && end != nullptr && *end == '\0' && s[0] != '-';
  }

  bool parse_header(LineReader &reader, std::string_view line, Header &h) {
    bool first = true;
    for (;; first = false) {
      if (!first && !reader.next(line)) {
        return fail_line(reader.lineno(), "unexpected end of input in the header");
      }
      const auto eq = line.find('=');
      if (eq == std::string_view::npos) {
        return fail_line(reader.lineno(),
                         "expected KEY=VALUE in the header, got '" + printable(line) + "'");
      }
      const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
      std::uint64_t u = 0;
      if (key == "HEADER") {
        if (value != "END") return fail_line(reader.lineno(), "expected HEADER=END");
        return true;
      }
      if (key == "VERSION") {
        if (!parse_u64(value, u) || u != 3) {
          return fail_line(reader.lineno(), "unsupported VERSION (only 3 is known)");
        }
      } else if (key == "format") {
        if (value == "print") {
          h.print = true;
        } else if (value == "bytevalue") {
          h.print = false;
        } else {
          return fail_line(reader.lineno(), "unsupported format '" + printable(value) +
                                                "' (expected bytevalue or print)");
        }
      } else if (key == "type") {
        if (value != "btree") {
          return fail_line(reader.lineno(),
                           "unsupported type '" + printable(value) + "' (only btree)");
        }
      } else if (key == "database") {
        if (const char *err = decode(value, true, h.name)) {
          return fail_line(reader.lineno(), std::string("bad table name: ") + err);
        }
        h.named = !h.name.empty();
      } else if (key == "mapsize") {
        if (!parse_u64(value, u)) return fail_line(reader.lineno(), "bad number for mapsize");
        h.geometry.upper = static_cast<std::int64_t>(u);
      } else if (key == "db_pagesize") {
        if (!parse_u64(value, u)) return fail_line(reader.lineno(), "bad number for db_pagesize");
        h.geometry.pagesize = static_cast<std::int64_t>(u);
      } else if (key == "geometry") {
        unsigned long long l, c, up, s, g;
        const std::string v(value);
        if (std::sscanf(v.c_str(), "l%llu,c%llu,u%llu,s%llu,g%llu", &l, &c, &up, &s, &g) != 5) {
          return fail_line(reader.lineno(), "bad geometry line");
        }
        h.geometry.lower = std::int64_t(l);
        h.geometry.now = std::int64_t(c);
        h.geometry.upper = std::int64_t(up);
        h.geometry.shrink = std::int64_t(s);
        h.geometry.grow = std::int64_t(g);
      } else if (key == "sequence") {
        if (!parse_u64(value, h.sequence)) {
          return fail_line(reader.lineno(), "bad number for sequence");
        }
        h.have_sequence = true;
      } else if (key == "canary") {
        unsigned long long v, x, y, z;
        const std::string s(value);
        if (std::sscanf(s.c_str(), "v%llu,x%llu,y%llu,z%llu", &v, &x, &y, &z) != 4) {
          return fail_line(reader.lineno(), "bad canary line");
        }
        h.canary = EMDB_canary{x, y, z, v};
        h.have_canary = true;
      } else if (key == "maxreaders" || key == "mapaddr" || key == "txnid") {
        // Properties of the source environment; a loaded database keeps its own.
      } else {
        bool known = false;
        auto flag = [&](const TableFlagWord &w) {
          if (key != w.word) return;
          known = true;
          if (!parse_u64(value, u) || u > 1) return;
          if (u) {
            h.flags |= w.bit;
          } else {
            h.flags &= ~w.bit;
          }
        };
        for (const auto &w : kTableFlags) flag(w);
        for (const auto &w : kTableFlagAliases) flag(w);
        if (known && u > 1) return fail_line(reader.lineno(), "a table flag must be 0 or 1");
        if (!known) {
          spdlog_warn(reader.lineno(), line);
        }
      }
    }
  }

  void spdlog_warn(std::uint64_t lineno, std::string_view line) {
    report_warning(input_ + ":" + std::to_string(lineno),
                   "unknown header keyword ignored: " + printable(line));
  }

  static void report_warning(const std::string &where, const std::string &what);

  bool open_env(const Header &h) {
    if (env_.get() != nullptr) return true;
    GeometryRequest g = cli_geometry_.any() ? cli_geometry_ : GeometryRequest{};
    if (!cli_geometry_.any()) {
      // From the dump (as mdbx_load): the page size for a new database, mapsize as the upper
      // size limit, and the whole geometry when a geometry= line gave it.
      g.pagesize = h.geometry.pagesize;
      g.upper = h.geometry.upper;
      if (h.geometry.lower >= 0 && h.geometry.grow >= 0) {
        g.lower = h.geometry.lower;
        g.grow = h.geometry.grow;
        g.shrink = h.geometry.shrink;
      }
      if (g.pagesize >= 0) {
        struct stat st;
        if (::stat(opt_.path.c_str(), &st) == 0) g.pagesize = -1;  // an existing database
      }
    }
    return env_.open(opt_.path, kMaxTables, EMDB_SAFE_NOSYNC, /*create=*/true, g) == EMDB_SUCCESS;
  }

  bool begin() {
    if (txn_ != nullptr) return true;
    const int rc = emdb_txn_begin(env_.get(), nullptr, EMDB_TXN_READWRITE, &txn_);
    if (rc != EMDB_SUCCESS) {
      report_error(opt_.path, "cannot begin a write transaction", rc);
      txn_ = nullptr;
      return false;
    }
    return true;
  }

  bool commit() {
    if (txn_ == nullptr) return true;
    const int rc = emdb_txn_commit(txn_);
    txn_ = nullptr;
    if (rc != EMDB_SUCCESS) {
      report_error(opt_.path, "cannot commit", rc);
      return false;
    }
    return true;
  }

  void abort_txn() {
    if (txn_ != nullptr) emdb_txn_abort(txn_);
    txn_ = nullptr;
  }

  bool open_table(const Header &h, EMDB_dbi &dbi) {
    std::string name = opt_.table.empty() ? h.name : opt_.table;
    const bool named = !opt_.table.empty() || h.named;
    EMDB_val key{name.data(), name.size()};
    const auto flags = static_cast<EMDB_db_flags_t>(h.flags | EMDB_CREATE);
    const int rc = emdb_dbi_open2(txn_, named ? &key : nullptr, flags, &dbi);
    if (rc != EMDB_SUCCESS) {
      const std::string what = named ? "cannot open or create table '" + printable(name) + "'"
                                     : "cannot open the main table";
      report_error(opt_.path, what, rc);
      return false;
    }
    return true;
  }

  bool finish_table(const Header &h, EMDB_dbi dbi) {
    if (h.have_sequence) {
      std::uint64_t now = 0;
      int rc = emdb_dbi_sequence(txn_, dbi, &now, 0);
      if (rc == EMDB_SUCCESS && h.sequence > now) {
        rc = emdb_dbi_sequence(txn_, dbi, nullptr, h.sequence - now);
      }
      if (rc != EMDB_SUCCESS) {
        report_error(opt_.path, "cannot set the table sequence", rc);
        return false;
      }
    }
    if (h.have_canary) {
      const int rc = emdb_canary_put(txn_, &h.canary);
      if (rc != EMDB_SUCCESS) {
        report_error(opt_.path, "cannot set the canary", rc);
        return false;
      }
    }
    return true;
  }

  bool load_section(LineReader &reader, const Header &h, Progress &progress) {
    if (!begin()) return false;
    EMDB_dbi dbi = 0;
    if (!open_table(h, dbi)) return false;
    unsigned put_flags = 0;
    if (opt_.append) put_flags |= (h.flags & EMDB_DUPSORT) ? EMDB_APPENDDUP : EMDB_APPEND;
    if (opt_.no_overwrite) {
      put_flags |= (h.flags & EMDB_DUPSORT) ? EMDB_NODUPDATA : EMDB_NOOVERWRITE;
    }
    std::string_view line;
    std::string key, value;
    std::uint64_t batch = 0;
    for (;;) {
      if (!reader.next(line)) {
        if (opt_.plain_text) break;
        return fail_line(reader.lineno(), "unexpected end of input: no DATA=END");
      }
      if (!opt_.plain_text) {
        if (line == "DATA=END") break;
        if (line.empty() || line[0] != ' ') {
          return fail_line(reader.lineno(), "expected a data line starting with a space, got '" +
                                                printable(line.substr(0, 40)) + "'");
        }
        line.remove_prefix(1);
      }
      if (const char *err = decode(line, h.print, key)) {
        return fail_line(reader.lineno(), std::string("bad key: ") + err);
      }
      if (!reader.next(line)) return fail_line(reader.lineno(), "a key without a value at the end");
      if (!opt_.plain_text) {
        if (line.empty() || line[0] != ' ') {
          return fail_line(reader.lineno(), "expected a value line starting with a space");
        }
        line.remove_prefix(1);
      }
      if (const char *err = decode(line, h.print, value)) {
        return fail_line(reader.lineno(), std::string("bad value: ") + err);
      }
      EMDB_val k{key.data(), key.size()}, v{value.data(), value.size()};
      int rc = emdb_put(txn_, dbi, &k, &v, static_cast<EMDB_put_flags_t>(put_flags));
      if (rc == EMDB_KEYEXIST && opt_.no_overwrite) rc = EMDB_SUCCESS;  // -N: keep the old one
      if (rc != EMDB_SUCCESS) {
        report_error(input_ + ":" + std::to_string(reader.lineno()),
                     "cannot store the record into " + opt_.path, rc);
        return false;
      }
      if (++batch == kBatchRecords) {
        batch = 0;
        progress.update(reader.consumed());
        if (!commit() || !begin()) return false;
        // Handles opened in a committed txn stay valid.
      }
    }
    progress.update(reader.consumed());
    return finish_table(h, dbi);
  }

  const LoadOptions &opt_;
  std::string input_;
  GeometryRequest cli_geometry_;
  WritableEnv env_;
  EMDB_txn *txn_ = nullptr;
};

void Loader::report_warning(const std::string &where, const std::string &what) {
  std::fprintf(stderr, "emdb: warning: %s: %s\n", where.c_str(), what.c_str());
}

int run_load(const LoadOptions &opt) {
  std::FILE *in = stdin;
  std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(nullptr, std::fclose);
  std::string name = "stdin";
  if (!opt.file.empty()) {
    file.reset(std::fopen(opt.file.c_str(), "r"));
    if (!file) {
      report_error(opt.file, "cannot open the input", errno);
      return kExitFailure;
    }
    in = file.get();
    name = opt.file;
  }
  std::uint64_t size = 0;
  struct stat st;
  if (::fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode)) size = std::uint64_t(st.st_size);
  Loader loader(opt, name);
  return loader.run(in, size);
}

}  // namespace

Command add_load_command(CLI::App &app) {
  auto opt = std::make_shared<LoadOptions>();
  CLI::App *cmd = app.add_subcommand(
      "load", "Load the db_dump text format (emdb dump, mdb_dump, mdbx_dump) into a database");
  cmd->add_flag("-a,--append", opt->append,
                "Append records in input order (faster; the input must be sorted)");
  cmd->add_option("-s,--table", opt->table, "Load into this named table");
  cmd->add_flag("-N,--no-overwrite", opt->no_overwrite,
                "Keep existing records (skip input records whose key or value exists)");
  cmd->add_flag("-T,--text", opt->plain_text,
                "Plain text input: no header, alternating key and value lines, \\xx escapes");
  cmd->add_option("-f,--file", opt->file, "Read from this file instead of stdin");
  cmd->add_option("-G,--geometry", opt->geometry,
                  "Geometry of a new database: l<size>,c<size>,u<size>,g<size>,s<size>,p<size> "
                  "(any subset; K, M, G, T suffixes)");
  add_progress_options(*cmd, &opt->progress);
  cmd->add_option("PATH", opt->path, "Database directory or data file (created when missing)")
      ->required();
  return {cmd, [opt] { return run_load(*opt); }};
}

}  // namespace emdb_tool
