// emdb chk — the integrity check of a database, in the manner of mdbx_chk.
//
//   emdb chk [-v...] [-q] [-w] [-i] [-s TABLE] [-0|-1|-2] [-t] [--json]
//            [--progress|--no-progress] PATH
//
// Runs emdb_env_chk (engine/check/) on PATH and prints the metas, the page totals and one line
// per problem. When the open fails because the file is damaged (a meta with a bad magic,
// version or page size where the open reads it, no valid meta, a truncated file), the data
// file is checked directly with emdb_preopen_chk instead: the metas are probed, the newest
// valid one (or the chosen one) is checked, and the damage is reported as problems.
// Exit codes (docs/tools.md), as mdbx_chk's:
//   0 no problem; 1 minor problems only; 2 major problems; 3 engine error (the database could
//   not be opened nor its file checked); 4 system error (errno); 5 usage error or interrupted.
// Minor: lost pages and table records whose counters disagree with the walk. Everything else,
// meta damage and truncation included, is major.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "progress.hpp"

namespace emdb_tool {
namespace {

constexpr int kChkOk = 0, kChkMinor = 1, kChkMajor = 2, kChkEngine = 3, kChkSystem = 4,
              kChkInterrupted = 5;

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted.store(true); }

struct ChkOptions {
  int verbose = 0;
  bool quiet = false, write_lock = false, ignore_order = false, turn = false, json = false;
  bool m0 = false, m1 = false, m2 = false;
  std::string table, path;
  ProgressMode progress = ProgressMode::kAuto;
};

const char *class_name(int c) {
  static constexpr const char *kNames[] = {
      "meta",  "page-range", "page-double", "page-lost",    "page-header", "key-order", "separator",
      "depth", "large",      "dupsort",     "table-record", "gc",          "io"};
  return c >= 0 && c < EMDB_CHK_CLASS_COUNT ? kNames[c] : "unknown";
}

bool is_minor(int c) { return c == EMDB_CHK_PAGE_LOST || c == EMDB_CHK_TABLE_RECORD; }

// Open failures that mean a damaged data file: the file is then checked without opening.
bool damaged_file(int rc) {
  return rc == EMDB_CORRUPTED || rc == EMDB_INVALID || rc == EMDB_VERSION_MISMATCH ||
         rc == EMDB_PAGE_NOTFOUND || rc == EMDB_WANNA_RECOVERY;
}

struct Collected {
  struct P {
    int cls;
    std::uint64_t pgno;
    std::string table;  // "" for none/main/gc/meta
    bool has_table = false;
    std::string msg;
  };
  std::vector<P> problems;
  const ChkOptions *opt = nullptr;
  Progress *progress = nullptr;
};

int on_problem(void *ctx, EMDB_chk_class_t cls, std::uint64_t pgno, const EMDB_val *table,
               const char *message) noexcept {
  auto *c = static_cast<Collected *>(ctx);
  if (g_interrupted.load()) return 1;
  if (cls == EMDB_CHK_CLASS_COUNT) {  // progress
    if (c->progress) c->progress->update(pgno);
    return 0;
  }
  try {
    Collected::P p{int(cls), pgno, {}, false, message ? message : ""};
    if (table != nullptr && table != EMDB_PGWALK_MAIN && table != EMDB_PGWALK_GC &&
        table != EMDB_PGWALK_META) {
      p.table.assign(static_cast<const char *>(table->iov_base), table->iov_len);
      p.has_table = true;
    }
    c->problems.push_back(std::move(p));
  } catch (...) {
    return 1;
  }
  return 0;
}

int open_env(const ChkOptions &o, int meta, EMDB_env **out) {
  std::error_code ec;
  const auto st = std::filesystem::status(o.path, ec);
  if (ec || st.type() == std::filesystem::file_type::not_found) {
    report_error(o.path, "cannot open", ec.value() ? ec.value() : ENOENT);
    return ec.value() ? ec.value() : ENOENT;
  }
  unsigned flags = o.write_lock ? 0u : unsigned(EMDB_RDONLY);
  if (st.type() == std::filesystem::file_type::regular) flags |= EMDB_NOSUBDIR;
  int rc = emdb_env_create(out);
  if (rc == 0) rc = emdb_env_set_maxdbs(*out, 4096);
  if (rc == 0 && meta >= 0 && !(flags & EMDB_NOSUBDIR)) {
    // A chosen meta: open on it (exclusively), so a damaged newer meta does not stop the open
    // and -t can turn the database to it.
    rc = emdb_env_open_for_recovery(*out, o.path.c_str(), unsigned(meta), o.write_lock || o.turn);
  } else if (rc == 0) {
    rc = emdb_env_open(*out, o.path.c_str(), EMDB_env_flags_t(flags), 0644);
  }
  if (rc != 0) {
    // A damaged file is checked directly (run_chk); anything else ends here.
    if (!damaged_file(rc)) report_error(o.path, "cannot open", rc);
    if (*out) emdb_env_close(*out);
    *out = nullptr;
  }
  return rc;
}

int run_chk(const ChkOptions &o) {
  const int metas = int(o.m0) + int(o.m1) + int(o.m2);
  if (metas > 1) {
    report_error(o.path, "-0, -1 and -2 exclude each other");
    return kChkInterrupted;
  }
  const int selector = o.m0 ? 0 : o.m1 ? 1 : o.m2 ? 2 : -1;
  if (o.verbose > 0) setup_logging(o.verbose);  // `emdb chk -v` as `emdb -v chk`
  if (o.turn && selector < 0) {
    report_error(o.path, "-t needs a meta chosen with -0, -1 or -2");
    return kChkInterrupted;
  }
  if (o.turn && std::filesystem::is_regular_file(o.path)) {
    report_error(o.path, "-t needs a database directory (not a NOSUBDIR data file)");
    return kChkInterrupted;
  }
  EMDB_env *env = nullptr;
  const int open_rc = open_env(o, selector, &env);
  if (open_rc != 0 && !damaged_file(open_rc)) return open_rc > 0 ? kChkSystem : kChkEngine;

  EMDB_envinfo info{};
  if (env != nullptr) (void)emdb_env_info_ex(env, nullptr, &info, sizeof(info));
  Progress progress("chk", env != nullptr ? info.mi_last_pgno + 1 : 0,
                    o.quiet && o.progress == ProgressMode::kAuto ? ProgressMode::kOff : o.progress);
  Collected col;
  col.opt = &o;
  col.progress = &progress;
  unsigned flags = EMDB_CHK_PROGRESS;
  // A recovery open is exclusive: nobody else writes, no write txn is needed for -w.
  if (o.write_lock && selector < 0) flags |= EMDB_CHK_READWRITE;
  if (o.ignore_order) flags |= EMDB_CHK_IGNORE_ORDER;
  if (o.turn) flags |= EMDB_CHK_TURN_STEADY;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  EMDB_chk_report rep{};
  int rc;
  if (env != nullptr) {
    rc = emdb_env_chk(env, EMDB_chk_flags_t(flags), selector, &rep, on_problem, &col);
  } else {
    // The open failed on a damaged file: check the file itself (no lock, nothing to turn).
    flags &= ~unsigned(EMDB_CHK_READWRITE | EMDB_CHK_TURN_STEADY);
    rc =
        emdb_preopen_chk(o.path.c_str(), EMDB_chk_flags_t(flags), selector, &rep, on_problem, &col);
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  progress.finish();
  if (env != nullptr) emdb_env_close(env);

  if (g_interrupted.load()) {
    report_error(o.path, "interrupted");
    return kChkInterrupted;
  }
  if (rc != EMDB_SUCCESS && rc != EMDB_RESULT_TRUE) {
    // Without an env, a file with no meta at all is "cannot open" as before.
    report_error(o.path, env != nullptr ? "check failed" : "cannot open", rc);
    return rc > 0 ? kChkSystem : kChkEngine;
  }
  // Classify.
  bool major = false;
  for (const auto &p : col.problems) major |= !is_minor(p.cls);
  int exit_code = col.problems.empty() && rep.problems_total == 0 ? kChkOk
                  : major                                         ? kChkMajor
                                                                  : kChkMinor;
  // -t could not be applied to a database that does not open: not a success.
  const bool turn_refused = o.turn && env == nullptr;
  if (turn_refused && exit_code == kChkOk) exit_code = kChkEngine;
  auto shown = [&](const Collected::P &p) { return o.table.empty() || p.table == o.table; };

  if (o.json) {
    std::string out;
    JsonWriter j(out);
    j.begin_object();
    j.field("path", o.path);
    if (env == nullptr) j.field("open_error", std::string(emdb_strerror(open_rc)));
    j.field("pagesize", rep.pagesize);
    j.field("file_pages", rep.file_pages);
    j.field("allocated_pages", rep.allocated_pages);
    j.begin_array("metas");
    for (int i = 0; i < 3; i++) {
      j.begin_object();
      j.field("index", std::uint64_t(i));
      j.field("txnid", rep.meta_txnid[i]);
      j.field("valid", rep.meta_valid[i] != 0);
      j.field("steady", rep.meta_steady[i] != 0);
      j.end_object();
    }
    j.end_array();
    j.field("checked_meta", std::uint64_t(rep.meta_selected < 0 ? 0 : rep.meta_selected));
    j.field("checked_txnid", rep.checked_txnid);
    j.field("recent_txnid", rep.recent_txnid);
    j.field("steady_txnid", rep.steady_txnid);
    j.begin_object("pages");
    j.field("meta", rep.meta_pages);
    j.field("gc_tree", rep.gc_tree_pages);
    j.field("gc_listed", rep.gc_listed_pages);
    j.field("main", rep.main_pages);
    j.field("tables", rep.table_pages);
    j.field("large", rep.large_pages);
    j.field("lost", rep.lost_pages);
    j.field("double", rep.double_pages);
    j.end_object();
    j.field("tables", rep.tables);
    j.field("entries", rep.entries);
    j.begin_object("problems");
    j.field("total", rep.problems_total);
    for (int c = 0; c < EMDB_CHK_CLASS_COUNT; c++) j.field(class_name(c), rep.problems[c]);
    j.end_object();
    j.begin_array("messages");
    for (const auto &p : col.problems) {
      if (!shown(p)) continue;
      j.begin_object();
      j.field("class", class_name(p.cls));
      j.field("pgno", p.pgno);
      if (p.has_table) j.field("table", p.table);
      j.field("message", p.msg);
      j.end_object();
    }
    j.end_array();
    j.field("exit_code", std::uint64_t(exit_code));
    j.end_object();
    std::printf("%s\n", out.c_str());
    return exit_code;
  }

  if (!o.quiet) {
    std::printf("emdb chk %s\n", o.path.c_str());
    if (env == nullptr) {
      std::printf(" - the database does not open (%s): its data file was checked directly\n",
                  emdb_strerror(open_rc));
    }
    std::printf(" - page size %llu, file %llu pages, allocated %llu pages\n",
                (unsigned long long)rep.pagesize, (unsigned long long)rep.file_pages,
                (unsigned long long)rep.allocated_pages);
    for (int i = 0; i < 3; i++) {
      std::printf(" - meta %d: txnid %llu, %s%s%s\n", i, (unsigned long long)rep.meta_txnid[i],
                  rep.meta_valid[i]   ? (rep.meta_steady[i] ? "steady" : "weak")
                  : rep.meta_txnid[i] ? "invalid"
                                      : "empty",
                  i == rep.meta_selected ? ", checked" : "",
                  rep.meta_valid[i] && rep.meta_txnid[i] == rep.recent_txnid ? ", newest" : "");
    }
    std::printf(
        " - pages: %llu meta, %llu GC tree, %llu GC-listed, %llu main, %llu tables "
        "(%llu large), %llu lost\n",
        (unsigned long long)rep.meta_pages, (unsigned long long)rep.gc_tree_pages,
        (unsigned long long)rep.gc_listed_pages, (unsigned long long)rep.main_pages,
        (unsigned long long)rep.table_pages, (unsigned long long)rep.large_pages,
        (unsigned long long)rep.lost_pages);
    std::printf(" - %llu tables, %llu entries\n", (unsigned long long)rep.tables,
                (unsigned long long)rep.entries);
  }
  for (const auto &p : col.problems) {
    if (shown(p)) std::printf("%s\n", p.msg.c_str());
  }
  if (!o.quiet || exit_code != kChkOk) {
    std::string counts;
    for (int c = 0; c < EMDB_CHK_CLASS_COUNT; c++) {
      if (rep.problems[c]) {
        counts += (counts.empty() ? "" : ", ") + std::string(class_name(c)) + " " +
                  std::to_string(rep.problems[c]);
      }
    }
    if (rep.problems_total == 0) {
      std::printf("No problems found.\n");
      if (o.turn && !turn_refused)
        std::printf("Meta %d is now the newest steady meta.\n", selector);
    } else {
      std::printf("%llu problem(s) (%s): %s\n", (unsigned long long)rep.problems_total,
                  exit_code == kChkMajor ? "major" : "minor", counts.c_str());
      if (o.turn && !turn_refused) {
        std::printf("Meta %d was not turned: the check found problems.\n", selector);
      }
    }
    if (turn_refused) {
      std::printf("Meta %d was not turned: the database does not open (%s).\n", selector,
                  emdb_strerror(open_rc));
    }
  }
  return exit_code;
}

}  // namespace

int chk_usage_exit_code() { return kChkInterrupted; }

Command add_chk_command(CLI::App &app) {
  auto opt = std::make_shared<ChkOptions>();
  CLI::App *sub = app.add_subcommand("chk",
                                     "Check the integrity of a database (exit 0 ok, 1 "
                                     "minor, 2 major problems, 3 engine, 4 system "
                                     "error, 5 usage/interrupted)");
  sub->add_flag("-v,--verbose", opt->verbose, "More output (repeatable)");
  sub->add_flag("-q,--quiet", opt->quiet, "Only the problems and the verdict");
  sub->add_flag("-w,--write-lock", opt->write_lock,
                "Open read-write and lock writers out during the check");
  sub->add_flag("-i,--ignore-order", opt->ignore_order, "Do not check key order");
  sub->add_option("-s,--table", opt->table, "Show the problems of this table only");
  sub->add_flag("-0", opt->m0, "Check the trees of meta 0");
  sub->add_flag("-1", opt->m1, "Check the trees of meta 1");
  sub->add_flag("-2", opt->m2, "Check the trees of meta 2");
  sub->add_flag("-t,--turn", opt->turn,
                "After a clean check, make the chosen meta (-0/-1/-2) the newest steady one");
  sub->add_flag("--json", opt->json, "Print the report as JSON");
  add_progress_options(*sub, &opt->progress);
  sub->add_option("PATH", opt->path, "Database directory or data file")->required();
  return {sub, [opt] { return run_chk(*opt); }};
}

}  // namespace emdb_tool
