// main.cpp — emdb-bench: runs the workloads of docs (shared benchmarks guide) on emdb and on
// LMDB in one process, alternating the engines round by round (A B A B ...), and reports the
// medians and the emdb/LMDB ratios. See bench/README.md.
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common.hpp"
#include "engine_emdb.hpp"
#include "engine_lmdb.hpp"
#include "output.hpp"
#include "workloads.hpp"

namespace emdb_bench {
namespace {

const std::vector<std::string> kDefaultList = {
    "fillseq",     "fillrandom", "overwrite", "readrandom",   "readtxn", "readseq",
    "readreverse", "seekrandom", "delrandom", "fillrandsync", "crud"};
const std::vector<std::string> kAllList = {
    "fillseq", "fillrandom",       "overwrite",  "readrandom", "readtxn",
    "readseq", "readreverse",      "seekrandom", "delrandom",  "fillrandsync",
    "crud",    "readwhilewriting", "scale"};

struct Options {
  Settings s;
  unsigned rounds = 3;
  bool sync_given = false;
  SyncMode sync = SyncMode::sync;
  std::string dir;
  bool csv = false, json = false;
  std::string csv_path, json_path;  // empty or "-": stdout
  std::vector<std::string> benchmarks = kDefaultList;
  uint64_t upper_mb = 0;  // 0: computed from the record count
  bool quiet = false;
  // Reader threads of readtxn and readwhilewriting: one job per value. Empty: readtxn runs
  // single-threaded and readwhilewriting with s.threads readers, as before.
  std::vector<unsigned> thread_list;
};

void usage(std::FILE *out) {
  std::fprintf(
      out,
      "usage: emdb-bench [options]\n"
      "Runs each workload on emdb and LMDB alternately (A B A B ...) and reports medians\n"
      "and emdb/LMDB ratios. Exits non-zero if an engine fails or returns wrong data.\n\n"
      "  --benchmarks=LIST   comma list (default: %s);\n"
      "                      also: readwhilewriting, scale; 'all' = every workload\n"
      "  --records=N         records, >= 10 (default 1000000)\n"
      "  --key-size=N        key bytes, >= 8 (default 16)\n"
      "  --value-size=N      value bytes (default 100)\n"
      "  --batch=N           puts per write transaction (default 1000)\n"
      "  --sync=MODE         sync | lazy | nosync (default: sync; crud runs all three\n"
      "                      unless --sync is given; fillrandsync is always sync)\n"
      "  --threads=N[,N...]  reader threads of readtxn and readwhilewriting, one run per\n"
      "                      value (rows readtxn/Nt ...); default: readtxn 1 thread,\n"
      "                      readwhilewriting the core count\n"
      "  --rounds=N          rounds per engine (default 3)\n"
      "  --sync-commits=N    durable commits of fillrandsync and crud/sync (default 2000)\n"
      "  --crud-txns=N       crud transactions in lazy/nosync mode (default 100000)\n"
      "  --seed=N            seed of key orders and values (default 20240601)\n"
      "  --upper-mb=N        geometry upper / LMDB mapsize in MiB (default: max(16 GiB,\n"
      "                      6 x the raw data + 64 MiB))\n"
      "  --dir=PATH          where to make the scratch directory (default $TMPDIR or /tmp);\n"
      "                      the driver creates PATH/emdb-bench.XXXXXX and removes it\n"
      "  --csv[=FILE]        also write CSV (to FILE, or stdout)\n"
      "  --json[=FILE]       also write JSON (to FILE, or stdout)\n"
      "  --quiet             no per-round progress on stderr\n"
      "  --list              print the workload names and exit\n"
      "  --help\n",
      [] {
        std::string s;
        for (const auto &w : kDefaultList) s += (s.empty() ? "" : ",") + w;
        return s;
      }()
          .c_str());
}

bool parse_u64(const std::string &v, uint64_t *out) {
  if (v.empty()) return false;
  char *end = nullptr;
  errno = 0;
  unsigned long long x = std::strtoull(v.c_str(), &end, 10);
  if (errno || *end || v[0] == '-') return false;
  *out = x;
  return true;
}

std::vector<std::string> split_list(const std::string &v) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b <= v.size()) {
    size_t e = v.find(',', b);
    if (e == std::string::npos) e = v.size();
    if (e > b) out.push_back(v.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

[[noreturn]] void bad_usage(const std::string &msg) {
  std::fprintf(stderr, "emdb-bench: %s\n", msg.c_str());
  usage(stderr);
  std::exit(1);
}

Options parse_args(int argc, char **argv) {
  Options o;
  o.s.threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], name = a, val;
    bool has_val = false;
    if (size_t eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      val = a.substr(eq + 1);
      has_val = true;
    }
    auto need = [&]() -> std::string {
      if (has_val) return val;
      if (i + 1 >= argc) bad_usage("option " + name + " needs a value");
      return argv[++i];
    };
    auto num = [&](uint64_t lo) -> uint64_t {
      std::string v = need();
      uint64_t x = 0;
      if (!parse_u64(v, &x) || x < lo) bad_usage("bad value for " + name + ": " + v);
      return x;
    };
    if (name == "--help" || name == "-h") {
      usage(stdout);
      std::exit(0);
    } else if (name == "--list") {
      for (const auto &w : kAllList) std::printf("%s\n", w.c_str());
      std::exit(0);
    } else if (name == "--benchmarks") {
      std::string v = need();
      o.benchmarks = v == "all" ? kAllList : split_list(v);
      for (const auto &w : o.benchmarks) {
        bool known = false;
        for (const auto &k : kAllList) known |= k == w;
        if (!known) bad_usage("unknown workload: " + w + " (see --list)");
      }
      if (o.benchmarks.empty()) bad_usage("--benchmarks is empty");
    } else if (name == "--records") {
      o.s.records = num(10);  // crud needs 3 disjoint key sets
    } else if (name == "--key-size") {
      o.s.key_size = num(8);
    } else if (name == "--value-size") {
      o.s.value_size = num(0);
    } else if (name == "--batch") {
      o.s.batch = num(1);
    } else if (name == "--sync") {
      std::string v = need();
      if (!parse_sync_mode(v, &o.sync)) bad_usage("bad --sync: " + v + " (sync|lazy|nosync)");
      o.sync_given = true;
    } else if (name == "--threads") {
      o.thread_list.clear();
      for (const std::string &t : split_list(need())) {
        uint64_t x = 0;
        if (!parse_u64(t, &x) || x < 1 || x > 1024) bad_usage("bad --threads: " + t);
        o.thread_list.push_back(unsigned(x));
      }
      if (o.thread_list.empty()) bad_usage("--threads needs a value");
      o.s.threads = o.thread_list.front();
    } else if (name == "--rounds") {
      o.rounds = unsigned(num(1));
    } else if (name == "--sync-commits") {
      o.s.sync_commits = num(1);
    } else if (name == "--crud-txns") {
      o.s.crud_txns = num(1);
    } else if (name == "--seed") {
      o.s.seed = num(0);
    } else if (name == "--upper-mb") {
      o.upper_mb = num(1);
    } else if (name == "--dir") {
      o.dir = need();
    } else if (name == "--csv") {
      o.csv = true;
      o.csv_path = val;
    } else if (name == "--json") {
      o.json = true;
      o.json_path = val;
    } else if (name == "--quiet") {
      o.quiet = true;
    } else {
      bad_usage("unknown option: " + a);
    }
  }
  return o;
}

struct Job {
  std::string workload;
  SyncMode mode;
  uint64_t records;
  unsigned threads = 0;  // readtxn, readwhilewriting: reader threads (0: the settings' value)
};

std::vector<Job> make_jobs(const Options &o) {
  std::vector<Job> jobs;
  const SyncMode dflt = o.sync_given ? o.sync : SyncMode::sync;
  for (const auto &w : o.benchmarks) {
    if (w == "fillrandsync") {
      jobs.push_back({w, SyncMode::sync, o.s.records});
    } else if (w == "crud") {
      if (o.sync_given) {
        jobs.push_back({w, o.sync, o.s.records});
      } else {
        for (SyncMode m : {SyncMode::sync, SyncMode::lazy, SyncMode::nosync})
          jobs.push_back({w, m, o.s.records});
      }
    } else if (w == "scale") {
      jobs.push_back({w, dflt, o.s.records});
      jobs.push_back({w, dflt, o.s.records * 10});
    } else if ((w == "readtxn" || w == "readwhilewriting") && !o.thread_list.empty()) {
      for (unsigned t : o.thread_list) jobs.push_back({w, dflt, o.s.records, t});
    } else {
      jobs.push_back({w, dflt, o.s.records});
    }
  }
  return jobs;
}

std::string short_count(uint64_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

/// The geometry upper (= LMDB mapsize): room for the records several times over, and at least
/// 16 GiB (address space only: both files grow as needed, LMDB's WRITEMAP file is sparse), so
/// that an engine that reclaims pages late (emdb in lazy/nosync mode) shows a large file
/// rather than failing with MAP_FULL.
size_t upper_for(const Options &o, uint64_t records) {
  if (o.upper_mb) return size_t(o.upper_mb) << 20;
  const double per_record = double(o.s.key_size + o.s.value_size + 48);
  double bytes =
      std::max(double(records) * per_record * 6 + double(64u << 20), double(16ull << 30));
  const size_t step = size_t(64) << 20;
  return (size_t(bytes) + step - 1) / step * step;
}

template <KvEngine E>
std::vector<RunResult> run_job(const Job &j, const Settings &s, const Dataset &ds,
                               const OpenParams &p, const std::string &dir) {
  Settings st = s;
  if (j.threads != 0)
    st.threads = j.threads;
  else if (j.workload == "readtxn")
    st.threads = 1;
  Runner<E> r(st, ds, p, dir);
  const std::string &w = j.workload;
  if (w == "fillseq") return {r.fillseq()};
  if (w == "fillrandom") return {r.fillrandom()};
  if (w == "fillrandsync") return {r.fillrandsync()};
  if (w == "overwrite") return {r.overwrite()};
  if (w == "readrandom") return {r.readrandom()};
  if (w == "readtxn") return {r.readtxn()};
  if (w == "readseq") return {r.readseq()};
  if (w == "readreverse") return {r.readreverse()};
  if (w == "seekrandom") return {r.seekrandom()};
  if (w == "delrandom") return {r.delrandom()};
  if (w == "crud") return {r.crud()};
  if (w == "readwhilewriting") return {r.readwhilewriting()};
  if (w == "scale") {
    auto [fill, read] = r.scale();
    return {fill, read};
  }
  die("internal: unknown workload " + w);
}

std::vector<std::string> row_names(const Job &j) {
  if (j.workload == "scale")
    return {"scale/fillrandom@" + short_count(j.records),
            "scale/readrandom@" + short_count(j.records)};
  if (j.threads != 0) return {j.workload + "/" + std::to_string(j.threads) + "t"};
  return {j.workload};
}

/// Both engines must have read and left exactly the same data. (readwhilewriting's readers
/// read as many random keys as they manage: there only the final contents must agree; each
/// engine's reads were checked against the model already.)
void cross_check(const Job &j, const std::string &name, const RunResult &a, const RunResult &b) {
  const bool reads_fixed = j.workload != "readwhilewriting";
  if ((reads_fixed && (a.found != b.found || a.checksum != b.checksum)) ||
      a.final_count != b.final_count || a.final_checksum != b.final_checksum)
    die(name + ": the engines disagree (emdb found " + std::to_string(a.found) + ", final " +
        std::to_string(a.final_count) + "; lmdb found " + std::to_string(b.found) + ", final " +
        std::to_string(b.final_count) + ", or the checksums differ)");
}

std::string lmdb_version_string() {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d.%d.%d", MDB_VERSION_MAJOR, MDB_VERSION_MINOR,
                MDB_VERSION_PATCH);
  return buf;
}

std::FILE *open_out(const std::string &path) {
  if (path.empty() || path == "-") return stdout;
  std::FILE *f = std::fopen(path.c_str(), "w");
  if (!f) die("cannot write " + path + ": " + std::strerror(errno));
  return f;
}

int run(int argc, char **argv) {
  Options o = parse_args(argc, argv);

  std::string parent = o.dir;
  if (parent.empty()) {
    const char *t = std::getenv("TMPDIR");
    parent = (t && *t) ? t : "/tmp";
  }
  make_dirs(parent);
  std::string tmpl = parent + "/emdb-bench.XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) die("mkdtemp in " + parent + ": " + std::strerror(errno));
  const std::string root = buf.data();
  set_cleanup_dir(root);

  RunInfo info;
  info.settings = o.s;
  info.rounds = o.rounds;
  for (int i = 0; i < argc; ++i) info.command += (i ? " " : "") + std::string(argv[i]);
  info.bench_dir = root;
  info.machine = machine_info(root);
  info.emdb_version = emdb_version() ? emdb_version() : "?";
  info.lmdb_version = lmdb_version_string();
  info.page_size = 4096;

  const bool stdout_taken = (o.csv && (o.csv_path.empty() || o.csv_path == "-")) ||
                            (o.json && (o.json_path.empty() || o.json_path == "-"));
  std::FILE *table_out = stdout_taken ? stderr : stdout;

  if (!o.quiet)
    std::fprintf(stderr, "emdb-bench: measuring the disk flush rate in %s ...\n", root.c_str());
  info.flush_rate_start = measure_flush_rate(root, 1.0);

  const std::vector<Job> jobs = make_jobs(o);
  std::vector<Row> rows;
  std::map<uint64_t, std::unique_ptr<Dataset>> datasets;

  for (size_t ji = 0; ji < jobs.size(); ++ji) {
    const Job &j = jobs[ji];
    auto &ds = datasets[j.records];
    if (!ds) ds = std::make_unique<Dataset>(make_dataset(o.s, j.records));
    OpenParams p;
    p.mode = j.mode;
    p.page_size = info.page_size;
    p.upper_bytes = upper_for(o, j.records);

    const std::vector<std::string> names = row_names(j);
    const size_t first_row = rows.size();
    for (const auto &n : names) {
      Row r;
      r.name = n;
      r.workload = j.workload;
      r.mode = j.mode;
      r.records = j.records;
      rows.push_back(std::move(r));
    }
    for (unsigned round = 0; round < o.rounds; ++round) {
      std::vector<RunResult> res[kEngines];
      for (int e = 0; e < kEngines; ++e) {
        const std::string dir = root + "/" + std::to_string(ji) + "-" + j.workload + "-" +
                                to_string(j.mode) + "-" + kEngineNames[e] + "-r" +
                                std::to_string(round);
        make_dirs(dir);
        res[e] = e == 0 ? run_job<EmdbEngine>(j, o.s, *ds, p, dir)
                        : run_job<LmdbEngine>(j, o.s, *ds, p, dir);
        remove_tree(dir);
      }
      for (size_t k = 0; k < names.size(); ++k) {
        cross_check(j, names[k], res[0][k], res[1][k]);
        for (int e = 0; e < kEngines; ++e) rows[first_row + k].runs[e].push_back(res[e][k]);
        if (!o.quiet)
          std::fprintf(stderr,
                       "[%zu/%zu] %-22s %-6s round %u/%u: emdb %.3f s (%.0f ops/s)  lmdb %.3f s "
                       "(%.0f ops/s)\n",
                       ji + 1, jobs.size(), names[k].c_str(), to_string(j.mode), round + 1,
                       o.rounds, res[0][k].wall_s, res[0][k].ops_per_s(), res[1][k].wall_s,
                       res[1][k].ops_per_s());
      }
    }
  }

  info.flush_rate_end = measure_flush_rate(root, 1.0);
  info.flush_rate = (info.flush_rate_start + info.flush_rate_end) / 2;
  print_table(table_out, info, rows);
  if (o.csv) {
    std::FILE *f = open_out(o.csv_path);
    print_csv(f, info, rows);
    if (f != stdout) std::fclose(f);
  }
  if (o.json) {
    std::FILE *f = open_out(o.json_path);
    print_json(f, info, rows);
    if (f != stdout) std::fclose(f);
  }
  set_cleanup_dir("");
  remove_tree(root);
  return 0;
}

}  // namespace
}  // namespace emdb_bench

int main(int argc, char **argv) { return emdb_bench::run(argc, argv); }
