// emdb dump — write tables in the db_dump text format of mdb_dump / mdbx_dump.
//
//   emdb dump [-a | -s TABLE] [-p] [-l] [-f FILE] [--progress|--no-progress] PATH
//
// One read transaction (one snapshot) for everything. The format is in dump_format.hpp and
// docs/tools.md; the output loads with `emdb load`, LMDB's mdb_load and libmdbx's mdbx_load.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "dump_format.hpp"
#include "progress.hpp"

namespace emdb_tool {
namespace {

constexpr EMDB_dbi kMaxTables = 1024;
constexpr size_t kFlushBytes = size_t(1) << 20;

struct DumpOptions {
  bool all = false;
  bool print = false;
  bool list = false;
  ProgressMode progress = ProgressMode::kAuto;
  std::string table;
  std::string file;
  std::string path;
};

// Buffered output to a FILE*; write errors are sticky and checked once at the end.
class Sink {
 public:
  explicit Sink(std::FILE *f) : f_(f) { buf_.reserve(kFlushBytes + 4096); }
  std::string &buf() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= kFlushBytes) flush();
  }
  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
      error_ = errno != 0 ? errno : EIO;
    }
    buf_.clear();
  }
  int finish() {
    flush();
    if (std::fflush(f_) != 0 && error_ == 0) error_ = errno != 0 ? errno : EIO;
    return error_;
  }

 private:
  std::FILE *f_;
  std::string buf_;
  int error_ = 0;
};

void append_hex(std::string &out, const EMDB_val &v) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto *p = static_cast<const unsigned char *>(v.iov_base);
  const size_t at = out.size();
  out.resize(at + 1 + 2 * v.iov_len + 1);
  char *o = out.data() + at;
  *o++ = ' ';
  for (size_t i = 0; i < v.iov_len; ++i) {
    *o++ = kHex[p[i] >> 4];
    *o++ = kHex[p[i] & 15];
  }
  *o = '\n';
}

void append_print(std::string &out, const EMDB_val &v) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto *p = static_cast<const unsigned char *>(v.iov_base);
  out += ' ';
  for (size_t i = 0; i < v.iov_len; ++i) {
    const unsigned char c = p[i];
    // A backslash as \5c: LMDB's mdb_load mishandles a doubled backslash after an earlier
    // escape in the same line, and its mdb_dump writes it bare (ambiguous); both loaders
    // read \5c right.
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += '\\';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  out += '\n';
}

struct Section {
  std::string name;    // empty: the main table
  bool named = false;  // has a database= line
  EMDB_dbi dbi = 0;
  unsigned flags = 0;
  std::uint64_t entries = 0;
  bool skip_tables = false;  // main table under -a: only its plain records
};

void write_header(std::string &out, const Section &s, bool print, const EMDB_envinfo &info) {
  out += "VERSION=3\n";
  out += print ? "format=print\n" : "format=bytevalue\n";
  if (s.named) {
    EMDB_val name{const_cast<char *>(s.name.data()), s.name.size()};
    std::string line;
    append_print(line, name);  // " name\n"
    out += "database=" + line.substr(1);
  }
  out += "type=btree\n";
  out += "mapsize=" + std::to_string(info.mi_geo.upper) + "\n";
  out += "maxreaders=" + std::to_string(info.mi_maxreaders) + "\n";
  if (s.flags & EMDB_DUPSORT) out += "duplicates=1\n";
  for (const auto &f : kTableFlags) {
    if ((s.flags & f.bit) == 0) continue;
    out += f.word;
    out += "=1\n";
    if (f.bit == EMDB_DUPFIXED) out += "dupfix=1\n";  // libmdbx's spelling
  }
  out += "db_pagesize=" + std::to_string(info.mi_dxb_pagesize) + "\n";
  out += "HEADER=END\n";
}

// Names of the main table's keys that open as tables, in key order.
int list_tables(const std::string &path, EMDB_txn *txn, EMDB_dbi main_dbi,
                std::vector<Section> &out) {
  Cursor cursor;
  int rc = cursor.open(txn, main_dbi);
  if (rc != EMDB_SUCCESS) {
    report_error(path, "cannot open a cursor on the main table", rc);
    return rc;
  }
  std::vector<std::string> names;
  EMDB_val key{}, data{};
  while ((rc = emdb_cursor_get(cursor.get(), &key, &data, EMDB_NEXT_NODUP)) == EMDB_SUCCESS) {
    names.emplace_back(static_cast<const char *>(key.iov_base), key.iov_len);
  }
  if (rc != EMDB_NOTFOUND) {
    report_error(path, "cannot walk the main table", rc);
    return rc;
  }
  for (const auto &name : names) {
    EMDB_val k{const_cast<char *>(name.data()), name.size()};
    Section s;
    rc = emdb_dbi_open2(txn, &k, EMDB_DB_ACCEDE, &s.dbi);
    if (rc == EMDB_INCOMPATIBLE) continue;  // a plain record of the main table
    if (rc != EMDB_SUCCESS) {
      report_error(path, "cannot open table '" + printable(name) + "'", rc);
      return rc;
    }
    s.name = name;
    s.named = true;
    out.push_back(std::move(s));
  }
  return EMDB_SUCCESS;
}

int fill_section(const std::string &path, EMDB_txn *txn, Section &s) {
  unsigned state = 0;
  int rc = emdb_dbi_flags_ex(txn, s.dbi, &s.flags, &state);
  EMDB_stat st{};
  if (rc == EMDB_SUCCESS) rc = emdb_dbi_stat(txn, s.dbi, &st, sizeof st);
  if (rc != EMDB_SUCCESS) {
    report_error(path, "cannot read table '" + printable(s.name) + "'", rc);
    return rc;
  }
  s.entries = st.ms_entries;
  return EMDB_SUCCESS;
}

int dump_section(const std::string &path, EMDB_txn *txn, const Section &s, bool print,
                 const EMDB_envinfo &info, Sink &sink, Progress &progress, std::uint64_t &done) {
  std::string &out = sink.buf();
  write_header(out, s, print, info);
  Cursor cursor;
  int rc = cursor.open(txn, s.dbi);
  if (rc != EMDB_SUCCESS) {
    report_error(path, "cannot open a cursor on table '" + printable(s.name) + "'", rc);
    return rc;
  }
  EMDB_val key{}, data{};
  unsigned n = 0;
  while ((rc = emdb_cursor_get(cursor.get(), &key, &data, EMDB_NEXT)) == EMDB_SUCCESS) {
    if (s.skip_tables) {
      EMDB_dbi probe = 0;
      const int r = emdb_dbi_open2(txn, &key, EMDB_DB_ACCEDE, &probe);
      if (r != EMDB_INCOMPATIBLE) continue;  // a table record: dumped in its own section
    }
    if (print) {
      append_print(out, key);
      append_print(out, data);
    } else {
      append_hex(out, key);
      append_hex(out, data);
    }
    sink.maybe_flush();
    if ((++n & 4095) == 0) progress.update(done + n);
  }
  done += n;
  progress.update(done);
  if (rc != EMDB_NOTFOUND) {
    report_error(path, "cannot read table '" + printable(s.name) + "'", rc);
    return rc;
  }
  out += "DATA=END\n";
  return EMDB_SUCCESS;
}

int run_dump(const DumpOptions &opt) {
  ReadOnlyEnv env;
  int rc = env.open(opt.path, kMaxTables);
  if (rc != EMDB_SUCCESS) return kExitFailure;
  ReadTxn txn;
  rc = txn.begin(env.get());
  if (rc != EMDB_SUCCESS) {
    report_error(opt.path, "cannot begin a read transaction", rc);
    return kExitFailure;
  }
  EMDB_envinfo info{};
  rc = emdb_env_info_ex(env.get(), txn.get(), &info, sizeof info);
  if (rc != EMDB_SUCCESS) {
    report_error(opt.path, "cannot read the environment info", rc);
    return kExitFailure;
  }
  EMDB_dbi main_dbi = 0;
  rc = emdb_dbi_open(txn.get(), nullptr, EMDB_DB_ACCEDE, &main_dbi);
  if (rc != EMDB_SUCCESS) {
    report_error(opt.path, "cannot open the main table", rc);
    return kExitFailure;
  }

  std::vector<Section> sections;
  if (opt.all || opt.list) {
    rc = list_tables(opt.path, txn.get(), main_dbi, sections);
    if (rc != EMDB_SUCCESS) return kExitFailure;
  }

  std::FILE *f = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(nullptr, std::fclose);
  if (!opt.file.empty()) {
    file.reset(std::fopen(opt.file.c_str(), "w"));
    if (!file) {
      report_error(opt.file, "cannot create the output file", errno);
      return kExitFailure;
    }
    f = file.get();
  }
  Sink sink(f);

  if (opt.list) {
    for (const auto &s : sections) sink.buf() += printable(s.name) + "\n";
    rc = sink.finish();
    if (rc != 0) {
      report_error(opt.file.empty() ? "stdout" : opt.file, "cannot write", rc);
      return kExitFailure;
    }
    return kExitOk;
  }

  if (!opt.table.empty()) {
    Section s;
    EMDB_val name{const_cast<char *>(opt.table.data()), opt.table.size()};
    rc = emdb_dbi_open2(txn.get(), &name, EMDB_DB_ACCEDE, &s.dbi);
    if (rc == EMDB_NOTFOUND || rc == EMDB_INCOMPATIBLE) {
      report_error(opt.path, "no table named '" + printable(opt.table) + "'");
      return kExitFailure;
    }
    if (rc != EMDB_SUCCESS) {
      report_error(opt.path, "cannot open table '" + printable(opt.table) + "'", rc);
      return kExitFailure;
    }
    s.name = opt.table;
    s.named = true;
    sections.push_back(std::move(s));
  } else if (!opt.all) {
    Section s;
    s.dbi = main_dbi;
    sections.push_back(std::move(s));
  } else {
    // -a: the main table's own plain records (if any) first, then every named table.
    EMDB_stat st{};
    rc = emdb_dbi_stat(txn.get(), main_dbi, &st, sizeof st);
    if (rc != EMDB_SUCCESS) {
      report_error(opt.path, "cannot read the main table", rc);
      return kExitFailure;
    }
    if (st.ms_entries > sections.size()) {
      Section s;
      s.dbi = main_dbi;
      s.skip_tables = true;
      sections.insert(sections.begin(), std::move(s));
    }
  }

  std::uint64_t total = 0;
  for (auto &s : sections) {
    if (fill_section(opt.path, txn.get(), s) != EMDB_SUCCESS) return kExitFailure;
    total += s.entries;
  }
  Progress progress("dump", total, opt.progress, "records");
  std::uint64_t done = 0;
  for (const auto &s : sections) {
    rc = dump_section(opt.path, txn.get(), s, opt.print, info, sink, progress, done);
    if (rc != EMDB_SUCCESS) return kExitFailure;
  }
  progress.finish();
  rc = sink.finish();
  if (rc != 0) {
    report_error(opt.file.empty() ? "stdout" : opt.file, "cannot write", rc);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

Command add_dump_command(CLI::App &app) {
  auto opt = std::make_shared<DumpOptions>();
  CLI::App *cmd = app.add_subcommand(
      "dump", "Write tables as text in the db_dump format of mdb_dump and mdbx_dump");
  auto *all = cmd->add_flag("-a,--all", opt->all, "Dump every named table");
  auto *table =
      cmd->add_option("-s,--table", opt->table, "Dump this named table (default: the main table)");
  all->excludes(table);
  cmd->add_flag("-p,--print", opt->print,
                "Printable characters as they are, others as \\xx (format=print)");
  cmd->add_flag("-l,--list", opt->list, "List the named tables and exit");
  cmd->add_option("-f,--file", opt->file, "Write to this file instead of stdout");
  add_progress_options(*cmd, &opt->progress);
  cmd->add_option("PATH", opt->path, "Database directory or data file")->required();
  return {cmd, [opt] { return run_dump(*opt); }};
}

}  // namespace emdb_tool
