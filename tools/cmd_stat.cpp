// emdb stat — statistics of a database, in the manner of mdb_stat / mdbx_stat.
//
//   emdb stat [-e] [-f] [-r] [-a | -s TABLE] [--json] PATH
//
// Opens PATH read-only (a database directory, or the data file of an EMDB_NOSUBDIR
// environment), reads everything in one read transaction (one snapshot), and prints the
// sections asked for. See docs/tools.md.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "common.hpp"

namespace emdb_tool {
namespace {

// Enough table handles for `-a` on any reasonable database; more tables make -a fail with
// EMDB_DBS_FULL (reported, not hidden).
constexpr EMDB_dbi kMaxTablesForStat = 1024;

// libmdbx's sign of a weak meta; 0 means "no sign". Anything above is a steady checksum.
constexpr std::uint64_t kWeakSign = 1;

struct StatOptions {
  bool env = false;
  bool gc = false;
  bool readers = false;
  bool all = false;
  bool json = false;
  std::string table;
  std::string path;
};

struct TableStat {
  std::string name;  // raw bytes
  unsigned flags = 0;
  EMDB_stat stat{};
};

// Everything the command collects, so the text and JSON printers see the same data.
// One claimed slot of the reader table (emdb_reader_list).
struct ReaderRow {
  int slot = 0;
  long long pid = 0;
  std::uint64_t thread = 0, txnid = 0, lag = 0, used = 0, retained = 0;
};

struct Report {
  std::string path;
  bool nosubdir = false;
  EMDB_envinfo info{};
  bool have_main = false;
  EMDB_stat main{};
  bool have_gc_tree = false;
  EMDB_stat gc_tree{};
  bool have_table_pages = false;
  std::uint64_t table_pages = 0;  // pages of the main tree and of every named table
  std::vector<TableStat> tables;
  std::vector<ReaderRow> readers;
};

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char *kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024.0 && unit < 5) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.4g %s", v, kUnits[unit]);
  }
  return buf;
}

std::uint64_t pages(std::uint64_t bytes, const EMDB_envinfo &info) {
  return info.mi_dxb_pagesize != 0 ? bytes / info.mi_dxb_pagesize : 0;
}

const char *meta_kind(std::uint64_t sign) {
  if (sign > kWeakSign) return "steady";
  return sign == kWeakSign ? "weak" : "unsigned";
}

// Index of the newest meta, and of the newest steady meta (-1 if none).
int newest_meta(const EMDB_envinfo &info, bool steady_only) {
  int best = -1;
  for (int i = 0; i < 3; ++i) {
    if (steady_only && info.mi_meta_sign[i] <= kWeakSign) continue;
    if (best < 0 || info.mi_meta_txnid[i] > info.mi_meta_txnid[best]) best = i;
  }
  return best;
}

std::uint64_t reader_lag(const EMDB_envinfo &info) {
  return info.mi_latter_reader_txnid != 0 && info.mi_recent_txnid > info.mi_latter_reader_txnid
             ? info.mi_recent_txnid - info.mi_latter_reader_txnid
             : 0;
}

// ---------------------------------------------------------------------------------------------
// Collecting

// Opens the table `name` (binary) if it is one: EMDB_SUCCESS and fills `out`; EMDB_NOTFOUND
// when the key of the main table is a plain record rather than a table.
int collect_table(EMDB_txn *txn, std::string_view name, TableStat &out) {
  EMDB_val key{const_cast<char *>(name.data()), name.size()};
  EMDB_dbi dbi = 0;
  int rc = emdb_dbi_open2(txn, &key, EMDB_DB_ACCEDE, &dbi);
  if (rc == EMDB_INCOMPATIBLE) return EMDB_NOTFOUND;  // a plain key/value of the main table
  if (rc != EMDB_SUCCESS) return rc;
  out.name = std::string(name);
  unsigned state = 0;
  rc = emdb_dbi_flags_ex(txn, dbi, &out.flags, &state);
  if (rc != EMDB_SUCCESS) return rc;
  return emdb_dbi_stat(txn, dbi, &out.stat, sizeof out.stat);
}

// Lists the named tables: the keys of the main table that open as tables (as mdb_stat -a).
int collect_all_tables(const std::string &path, EMDB_txn *txn, EMDB_dbi main_dbi,
                       std::vector<TableStat> &tables) {
  std::vector<std::string> names;
  {
    Cursor cursor;
    int rc = cursor.open(txn, main_dbi);
    if (rc != EMDB_SUCCESS) {
      report_error(path, "cannot open a cursor on the main table", rc);
      return rc;
    }
    EMDB_val key{}, data{};
    while ((rc = emdb_cursor_get(cursor.get(), &key, &data, EMDB_NEXT_NODUP)) == EMDB_SUCCESS) {
      names.emplace_back(static_cast<const char *>(key.iov_base), key.iov_len);
    }
    if (rc != EMDB_NOTFOUND) {
      report_error(path, "cannot walk the main table", rc);
      return rc;
    }
  }
  for (const auto &name : names) {
    TableStat t;
    const int rc = collect_table(txn, name, t);
    if (rc == EMDB_NOTFOUND) continue;
    if (rc != EMDB_SUCCESS) {
      report_error(path, "cannot read table '" + printable(name) + "'", rc);
      return rc;
    }
    tables.push_back(std::move(t));
  }
  return EMDB_SUCCESS;
}

int collect(const StatOptions &opt, const ReadOnlyEnv &env, EMDB_txn *txn, Report &r) {
  r.path = env.path();
  r.nosubdir = env.nosubdir();
  int rc = emdb_env_info_ex(env.get(), txn, &r.info, sizeof r.info);
  if (rc != EMDB_SUCCESS) {
    report_error(env.path(), "cannot read the environment info", rc);
    return rc;
  }

  if (opt.readers) {
    rc = emdb_reader_list(
        env.get(),
        [](void *ctx, int, int slot, emdb_pid_t pid, emdb_tid_t thread, std::uint64_t txnid,
           std::uint64_t lag, std::size_t used, std::size_t retained) noexcept -> int {
          ReaderRow row;
          row.slot = slot;
          row.pid = pid;
          row.thread = static_cast<std::uint64_t>(thread);
          row.txnid = txnid;
          row.lag = lag;
          row.used = used;
          row.retained = retained;
          static_cast<std::vector<ReaderRow> *>(ctx)->push_back(row);
          return 0;
        },
        &r.readers);
    if (rc != EMDB_SUCCESS && rc != EMDB_RESULT_TRUE) {
      report_error(env.path(), "cannot list the reader table", rc);
      return rc;
    }
  }

  EMDB_dbi main_dbi = 0;
  rc = emdb_dbi_open(txn, nullptr, EMDB_DB_ACCEDE, &main_dbi);
  if (rc != EMDB_SUCCESS) {
    report_error(env.path(), "cannot open the main table", rc);
    return rc;
  }

  if (opt.gc && main_dbi == 1) {
    // libmdbx numbering: handle 0 is the GC tree when the main table is handle 1.
    r.have_gc_tree = emdb_dbi_stat(txn, 0, &r.gc_tree, sizeof r.gc_tree) == EMDB_SUCCESS;
  }

  if (opt.gc) {
    // Where the allocated pages are: in the trees of the tables, or elsewhere (free pages
    // listed in the GC, and the GC tree itself).
    EMDB_stat ms{};
    rc = emdb_dbi_stat(txn, main_dbi, &ms, sizeof ms);
    std::vector<TableStat> all;
    if (rc == EMDB_SUCCESS) {
      rc = collect_all_tables(env.path(), txn, main_dbi, all);
      if (rc != EMDB_SUCCESS) return rc;
    } else {
      report_error(env.path(), "cannot read the main table's statistics", rc);
      return rc;
    }
    auto tree_pages = [](const EMDB_stat &st) {
      return st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    };
    r.table_pages = tree_pages(ms);
    for (const auto &t : all) r.table_pages += tree_pages(t.stat);
    r.have_table_pages = true;
  }

  if (!opt.table.empty()) {
    TableStat t;
    rc = collect_table(txn, opt.table, t);
    if (rc == EMDB_NOTFOUND) {
      report_error(env.path(), "no table named '" + printable(opt.table) + "'");
      return rc;
    }
    if (rc != EMDB_SUCCESS) {
      report_error(env.path(), "cannot read table '" + printable(opt.table) + "'", rc);
      return rc;
    }
    r.tables.push_back(std::move(t));
    return EMDB_SUCCESS;
  }

  rc = emdb_dbi_stat(txn, main_dbi, &r.main, sizeof r.main);
  if (rc != EMDB_SUCCESS) {
    report_error(env.path(), "cannot read the main table's statistics", rc);
    return rc;
  }
  r.have_main = true;
  if (opt.all) return collect_all_tables(env.path(), txn, main_dbi, r.tables);
  return EMDB_SUCCESS;
}

// ---------------------------------------------------------------------------------------------
// Text output

void print_stat(const EMDB_stat &s, const char *indent = "  ") {
  using ull = unsigned long long;
  std::printf("%sTree depth: %u\n", indent, s.ms_depth);
  std::printf("%sBranch pages: %llu\n", indent, static_cast<ull>(s.ms_branch_pages));
  std::printf("%sLeaf pages: %llu\n", indent, static_cast<ull>(s.ms_leaf_pages));
  std::printf("%sLarge/overflow pages: %llu\n", indent, static_cast<ull>(s.ms_overflow_pages));
  std::printf("%sEntries: %llu\n", indent, static_cast<ull>(s.ms_entries));
  std::printf("%sModified by txnid: %llu\n", indent, static_cast<ull>(s.ms_mod_txnid));
}

void print_text(const StatOptions &opt, const Report &r) {
  const EMDB_envinfo &i = r.info;
  using ull = unsigned long long;
  if (opt.env) {
    std::printf("Environment Info\n");
    std::printf("  Path: %s (%s)\n", r.path.c_str(), r.nosubdir ? "data file" : "directory");
    std::printf("  Page size: %u (system page size %u)\n", i.mi_dxb_pagesize, i.mi_sys_pagesize);
    std::printf("  Geometry: lower %s, current %s, upper %s, growth %s, shrink threshold %s\n",
                human_bytes(i.mi_geo.lower).c_str(), human_bytes(i.mi_geo.current).c_str(),
                human_bytes(i.mi_geo.upper).c_str(), human_bytes(i.mi_geo.grow).c_str(),
                human_bytes(i.mi_geo.shrink).c_str());
    std::printf(
        "  Geometry in pages: lower %llu, current %llu, upper %llu, growth %llu, "
        "shrink threshold %llu\n",
        static_cast<ull>(pages(i.mi_geo.lower, i)), static_cast<ull>(pages(i.mi_geo.current, i)),
        static_cast<ull>(pages(i.mi_geo.upper, i)), static_cast<ull>(pages(i.mi_geo.grow, i)),
        static_cast<ull>(pages(i.mi_geo.shrink, i)));
    std::printf("  Map size: %llu (%s)\n", static_cast<ull>(i.mi_mapsize),
                human_bytes(i.mi_mapsize).c_str());
    std::printf("  Last page number: %llu\n", static_cast<ull>(i.mi_last_pgno));
    std::printf("  Recent txnid: %llu\n", static_cast<ull>(i.mi_recent_txnid));
    const int recent = newest_meta(i, false);
    const int steady = newest_meta(i, true);
    for (int m = 0; m < 3; ++m) {
      std::printf("  Meta %d: txnid %llu, %s%s%s\n", m, static_cast<ull>(i.mi_meta_txnid[m]),
                  meta_kind(i.mi_meta_sign[m]), m == recent ? ", recent" : "",
                  m == steady ? ", last steady" : "");
    }
    std::printf("  Max readers: %u\n", i.mi_maxreaders);
    std::printf("  Reader slots used: %u\n", i.mi_numreaders);
  }
  if (opt.readers) {
    std::printf("Reader Table Status\n");
    std::printf("  Max readers: %u\n", i.mi_maxreaders);
    std::printf("  Reader slots used: %u (this command holds one)\n", i.mi_numreaders);
    std::printf("  Oldest reader snapshot: txnid %llu (%llu commits behind)\n",
                static_cast<ull>(i.mi_latter_reader_txnid), static_cast<ull>(reader_lag(i)));
    std::printf("  %5s %8s %18s %10s %6s %10s %10s\n", "slot", "pid", "thread", "txnid", "lag",
                "used", "retained");
    for (const ReaderRow &x : r.readers) {
      std::printf("  %5d %8lld %#18llx %10llu %6llu %10s %10s\n", x.slot, x.pid,
                  static_cast<ull>(x.thread), static_cast<ull>(x.txnid), static_cast<ull>(x.lag),
                  human_bytes(x.used).c_str(), human_bytes(x.retained).c_str());
    }
  }
  if (opt.gc) {
    const std::uint64_t file_pages = pages(i.mi_geo.current, i);
    const std::uint64_t allocated = i.mi_last_pgno + 1;
    std::printf("Garbage Collection / Space\n");
    std::printf("  Pages in the file: %llu\n", static_cast<ull>(file_pages));
    std::printf("  Pages allocated (up to the last page number): %llu\n",
                static_cast<ull>(allocated));
    std::printf("  Pages never allocated at the end of the file: %llu\n",
                static_cast<ull>(file_pages > allocated ? file_pages - allocated : 0));
    std::printf("  Pages the file may still grow by: %llu\n",
                static_cast<ull>(pages(i.mi_geo.upper, i) > file_pages
                                     ? pages(i.mi_geo.upper, i) - file_pages
                                     : 0));
    if (r.have_table_pages) {
      const std::uint64_t other = allocated > 3 + r.table_pages ? allocated - 3 - r.table_pages : 0;
      std::printf("  Pages in the tables (main and named): %llu\n",
                  static_cast<ull>(r.table_pages));
      std::printf("  Pages free or in the GC tree (allocated - 3 metas - tables): %llu\n",
                  static_cast<ull>(other));
    }
    if (r.have_gc_tree) {
      std::printf("  GC tree:\n");
      print_stat(r.gc_tree, "    ");
    }
  }
  if (r.have_main) {
    std::printf("Status of Main DB\n");
    print_stat(r.main);
  }
  for (const auto &t : r.tables) {
    std::printf("Status of %s\n", printable(t.name).c_str());
    std::string flags;
    for (const auto &f : table_flag_names(t.flags)) flags += (flags.empty() ? "" : ", ") + f;
    std::printf("  Flags: %s\n", flags.empty() ? "(none)" : flags.c_str());
    print_stat(t.stat);
  }
}

// ---------------------------------------------------------------------------------------------
// JSON output

void json_stat(JsonWriter &w, const EMDB_stat &s) {
  w.field("depth", std::uint64_t{s.ms_depth});
  w.field("branch_pages", s.ms_branch_pages);
  w.field("leaf_pages", s.ms_leaf_pages);
  w.field("overflow_pages", s.ms_overflow_pages);
  w.field("entries", s.ms_entries);
  w.field("mod_txnid", s.ms_mod_txnid);
}

void print_json(const StatOptions &opt, const Report &r) {
  const EMDB_envinfo &i = r.info;
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("path", r.path);
  w.field("nosubdir", r.nosubdir);
  w.field("version", emdb_version());
  if (opt.env) {
    w.begin_object("environment");
    w.field("pagesize", std::uint64_t{i.mi_dxb_pagesize});
    w.field("sys_pagesize", std::uint64_t{i.mi_sys_pagesize});
    w.begin_object("geometry");
    w.field("lower", i.mi_geo.lower);
    w.field("current", i.mi_geo.current);
    w.field("upper", i.mi_geo.upper);
    w.field("grow", i.mi_geo.grow);
    w.field("shrink", i.mi_geo.shrink);
    w.end_object();
    w.field("mapsize", i.mi_mapsize);
    w.field("last_pgno", i.mi_last_pgno);
    w.field("recent_txnid", i.mi_recent_txnid);
    const int recent = newest_meta(i, false);
    const int steady = newest_meta(i, true);
    w.begin_array("meta");
    for (int m = 0; m < 3; ++m) {
      w.begin_object();
      w.field("txnid", i.mi_meta_txnid[m]);
      w.field("sign", i.mi_meta_sign[m]);
      w.field("kind", meta_kind(i.mi_meta_sign[m]));
      w.field("recent", m == recent);
      w.field("last_steady", m == steady);
      w.end_object();
    }
    w.end_array();
    w.field("maxreaders", std::uint64_t{i.mi_maxreaders});
    w.field("numreaders", std::uint64_t{i.mi_numreaders});
    w.end_object();
  }
  if (opt.readers) {
    w.begin_object("readers");
    w.field("max", std::uint64_t{i.mi_maxreaders});
    w.field("used", std::uint64_t{i.mi_numreaders});
    w.field("latter_reader_txnid", i.mi_latter_reader_txnid);
    w.field("lag", reader_lag(i));
    w.begin_array("slots");
    for (const ReaderRow &x : r.readers) {
      w.begin_object();
      w.field("slot", std::uint64_t(x.slot));
      w.field("pid", std::uint64_t(x.pid));
      w.field("thread", x.thread);
      w.field("txnid", x.txnid);
      w.field("lag", x.lag);
      w.field("bytes_used", x.used);
      w.field("bytes_retained", x.retained);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  if (opt.gc) {
    const std::uint64_t file_pages = pages(i.mi_geo.current, i);
    const std::uint64_t allocated = i.mi_last_pgno + 1;
    w.begin_object("gc");
    w.field("file_pages", file_pages);
    w.field("allocated_pages", allocated);
    w.field("unallocated_tail_pages", file_pages > allocated ? file_pages - allocated : 0);
    if (r.have_table_pages) {
      w.field("table_pages", r.table_pages);
      w.field("free_or_gc_pages",
              allocated > 3 + r.table_pages ? allocated - 3 - r.table_pages : std::uint64_t(0));
    }
    if (r.have_gc_tree) {
      w.begin_object("tree");
      json_stat(w, r.gc_tree);
      w.end_object();
    }
    w.end_object();
  }
  if (r.have_main) {
    w.begin_object("main");
    json_stat(w, r.main);
    w.end_object();
  }
  if (opt.all || !opt.table.empty()) {
    w.begin_array("tables");
    for (const auto &t : r.tables) {
      w.begin_object();
      w.field("name", t.name);
      w.begin_array("flags");
      for (const auto &f : table_flag_names(t.flags)) w.value(f);
      w.end_array();
      json_stat(w, t.stat);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  std::fwrite(out.data(), 1, out.size(), stdout);
}

int run_stat(const StatOptions &opt) {
  ReadOnlyEnv env;
  const bool tables = opt.all || !opt.table.empty();
  if (env.open(opt.path, tables || opt.gc ? kMaxTablesForStat : 0) != EMDB_SUCCESS) {
    return kExitFailure;
  }
  ReadTxn txn;
  if (const int rc = txn.begin(env.get()); rc != EMDB_SUCCESS) {
    report_error(opt.path, "cannot begin a read transaction", rc);
    return kExitFailure;
  }
  Report report;
  if (collect(opt, env, txn.get(), report) != EMDB_SUCCESS) return kExitFailure;
  if (opt.json) {
    print_json(opt, report);
  } else {
    print_text(opt, report);
  }
  if (std::fflush(stdout) != 0) {
    report_error(opt.path, "cannot write the output", errno);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

Command add_stat_command(CLI::App &app) {
  auto opt = std::make_shared<StatOptions>();
  CLI::App *sub = app.add_subcommand("stat", "Print statistics of a database (read-only)");
  sub->add_flag("-e,--env", opt->env,
                "Environment info: geometry, map size, page size, last page, txnids, metas");
  sub->add_flag("-f,--freelist", opt->gc, "Garbage collection and space summary");
  sub->add_flag("-r,--readers", opt->readers, "Reader table summary");
  CLI::Option *all = sub->add_flag("-a,--all", opt->all, "Statistics of every named table too");
  CLI::Option *table =
      sub->add_option("-s,--table", opt->table, "Statistics of this named table only");
  all->excludes(table);
  sub->add_flag("--json", opt->json, "Print JSON instead of text");
  sub->add_option("PATH", opt->path, "Database directory, or data file (EMDB_NOSUBDIR)")
      ->required();
  return Command{sub, [opt] { return run_stat(*opt); }};
}

}  // namespace emdb_tool
