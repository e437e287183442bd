// output.cpp — see output.hpp.
#include "output.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>

namespace emdb_bench {

namespace {

template <class T>
T median_of(std::vector<T> v) {
  if (v.empty()) return T{};
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  if (v.size() % 2) return v[m];
  return (v[m - 1] + v[m]) / 2;
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

std::string with_commas(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", x);
  std::string s = buf, out;
  size_t start = (s[0] == '-') ? 1 : 0;
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    size_t left = s.size() - 1 - i;
    if (i >= start && left > 0 && left % 3 == 0) out += ',';
  }
  return out;
}

std::string fixed(double x, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, x);
  return buf;
}

std::string mib(uint64_t bytes) { return fixed(double(bytes) / (1024.0 * 1024.0), 1); }

const char *emdb_flags(SyncMode m) {
  switch (m) {
    case SyncMode::sync:
      return "EMDB_SYNC_DURABLE";
    case SyncMode::lazy:
      return "EMDB_SAFE_NOSYNC";
    case SyncMode::nosync:
      return "EMDB_UTTERLY_NOSYNC|EMDB_WRITEMAP";
  }
  return "?";
}

const char *lmdb_flags(SyncMode m) {
  switch (m) {
    case SyncMode::sync:
      return "default";
    case SyncMode::lazy:
      return "MDB_NOSYNC";
    case SyncMode::nosync:
      return "MDB_NOSYNC|MDB_WRITEMAP|MDB_MAPASYNC";
  }
  return "?";
}

bool is_point_read(const Row &r) {
  return r.workload == "readrandom" || r.name.rfind("scale/readrandom", 0) == 0;
}

/// Commits per second as a fraction of half the disk's flush rate (two flushes a commit).
double flush_fraction(const EngineSummary &e, double flush_rate) {
  if (flush_rate <= 0 || e.wall_s <= 0) return 0;
  return (double(e.commits) / e.wall_s) / (flush_rate / 2);
}

std::string json_escape(const std::string &s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\t':
        o += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += c;
        }
    }
  }
  return o;
}

std::string jnum(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

std::string notes_for(const Row &r, const EngineSummary s[kEngines], double flush_rate) {
  std::string n;
  auto add = [&n](const std::string &t) {
    if (!n.empty()) n += "; ";
    n += t;
  };
  if (is_point_read(r)) {
    add("depth " + std::to_string(s[0].depth) + "/" + std::to_string(s[1].depth) + ", ns/get " +
        fixed(s[0].ops_per_s > 0 ? 1e9 / s[0].ops_per_s : 0, 0) + "/" +
        fixed(s[1].ops_per_s > 0 ? 1e9 / s[1].ops_per_s : 0, 0));
  }
  if (r.mode == SyncMode::sync && s[0].commits > 0 && flush_rate > 0) {
    add("commits/s " + with_commas(s[0].commits / s[0].wall_s) + "/" +
        with_commas(s[1].commits / s[1].wall_s) + " = " +
        fixed(flush_fraction(s[0], flush_rate), 2) + "/" +
        fixed(flush_fraction(s[1], flush_rate), 2) + " of flush/2");
  }
  if (r.workload == "readwhilewriting") {
    add("writer puts/s " + with_commas(s[0].aux_rate) + "/" + with_commas(s[1].aux_rate));
  }
  return n;
}

}  // namespace

EngineSummary summarize(const std::vector<RunResult> &runs) {
  EngineSummary e;
  std::vector<double> ops_s, wall, cpu;
  std::vector<uint64_t> file, alloc, used;
  std::vector<double> aux;
  for (const auto &r : runs) {
    ops_s.push_back(r.ops_per_s());
    wall.push_back(r.wall_s);
    cpu.push_back(r.cpu_s);
    file.push_back(r.space.file_bytes);
    alloc.push_back(r.space.alloc_bytes);
    used.push_back(r.space.used_bytes);
    aux.push_back(r.aux_rate);
  }
  e.round_ops_per_s = ops_s;
  e.ops_per_s = median_of(ops_s);
  e.wall_s = median_of(wall);
  e.cpu_s = median_of(cpu);
  e.space.file_bytes = median_of(file);
  e.space.alloc_bytes = median_of(alloc);
  e.space.used_bytes = median_of(used);
  e.aux_rate = median_of(aux);
  if (!runs.empty()) {
    // ops and commits are the same in every round (readwhilewriting: the median's wall time
    // goes with the median ops/s closely enough for commits/s).
    e.ops = runs.back().ops;
    e.commits = runs.back().commits;
    e.depth = runs.back().tree.depth;
    if (runs.back().ops != runs.front().ops) {
      std::vector<double> o;
      for (const auto &r : runs) o.push_back(double(r.ops));
      e.ops = uint64_t(median_of(o));
    }
  }
  return e;
}

void print_table(std::FILE *out, const RunInfo &info, const std::vector<Row> &rows) {
  const Settings &s = info.settings;
  std::fprintf(out,
               "emdb-bench: emdb %s vs LMDB %s | %s records, %zu-byte keys, %zu-byte values, "
               "%" PRIu64 " puts/txn, page %zu, %u round(s) A B A B (median), seed %" PRIu64 "\n",
               info.emdb_version.c_str(), info.lmdb_version.c_str(),
               with_commas(double(s.records)).c_str(), s.key_size, s.value_size, s.batch,
               info.page_size, info.rounds, s.seed);
  const MachineInfo &m = info.machine;
  std::fprintf(out, "machine: %s, %u cores, %.1f GiB RAM, %s, fs %s, %s\n", m.cpu_model.c_str(),
               m.cores, double(m.ram_bytes) / (1024.0 * 1024 * 1024), m.kernel.c_str(),
               m.fs_type.c_str(), m.date.c_str());
  std::fprintf(out,
               "disk flush rate (pwrite 4 KiB + fdatasync, 1 s loops): %s/s before, %s/s after "
               "the run, mean %s/s; a durable commit needs 2 flushes: ceiling %s commits/s\n",
               with_commas(info.flush_rate_start).c_str(), with_commas(info.flush_rate_end).c_str(),
               with_commas(info.flush_rate).c_str(), with_commas(info.flush_rate / 2).c_str());
  std::fprintf(out, "durability modes (column 'mode'):\n");
  for (SyncMode md : {SyncMode::sync, SyncMode::lazy, SyncMode::nosync}) {
    std::fprintf(out, "  %-6s emdb %-34s LMDB %s%s\n", to_string(md), emdb_flags(md),
                 lmdb_flags(md), md == SyncMode::lazy ? " (LMDB: not crash-safe)" : "");
  }
  std::fprintf(out,
               "ops/s, CPU s (user+sys of the timed part) and MiB (disk space of the data "
               "file) are medians; e/l = emdb/LMDB.\n\n");

  const std::vector<std::string> head = {"workload",   "mode",      "ops",        "emdb ops/s",
                                         "lmdb ops/s", "emdb/lmdb", "emdb cpu s", "lmdb cpu s",
                                         "emdb MiB",   "lmdb MiB",  "size e/l",   "notes"};
  std::vector<std::vector<std::string>> cells;
  for (const Row &r : rows) {
    EngineSummary sm[kEngines] = {summarize(r.runs[0]), summarize(r.runs[1])};
    cells.push_back(
        {r.name, to_string(r.mode), with_commas(double(sm[0].ops)), with_commas(sm[0].ops_per_s),
         with_commas(sm[1].ops_per_s), fixed(ratio(sm[0].ops_per_s, sm[1].ops_per_s), 2),
         fixed(sm[0].cpu_s, 2), fixed(sm[1].cpu_s, 2), mib(sm[0].space.alloc_bytes),
         mib(sm[1].space.alloc_bytes),
         fixed(ratio(double(sm[0].space.alloc_bytes), double(sm[1].space.alloc_bytes)), 2),
         notes_for(r, sm, info.flush_rate)});
  }
  std::vector<size_t> w(head.size());
  for (size_t c = 0; c < head.size(); ++c) {
    w[c] = head[c].size();
    for (const auto &row : cells) w[c] = std::max(w[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string> &v) {
    std::string l;
    for (size_t c = 0; c < v.size(); ++c) {
      const bool left = c < 2 || c + 1 == v.size();
      std::string cell = v[c];
      std::string pad(w[c] - cell.size(), ' ');
      l += left ? cell + pad : pad + cell;
      if (c + 1 < v.size()) l += "  ";
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    std::fprintf(out, "%s\n", l.c_str());
  };
  line(head);
  for (const auto &row : cells) line(row);
  std::fprintf(out,
               "\nall workloads verified: both engines returned the expected records "
               "(counts and checksums) in every round.\n");
  std::fflush(out);
}

void print_csv(std::FILE *out, const RunInfo &info, const std::vector<Row> &rows) {
  std::fprintf(out,
               "workload,name,mode,records,ops,emdb_ops_per_s,lmdb_ops_per_s,ratio_ops,"
               "emdb_cpu_s,lmdb_cpu_s,emdb_wall_s,lmdb_wall_s,emdb_file_bytes,lmdb_file_bytes,"
               "emdb_alloc_bytes,lmdb_alloc_bytes,emdb_used_bytes,lmdb_used_bytes,ratio_size,"
               "emdb_depth,lmdb_depth,emdb_commits_per_s,lmdb_commits_per_s,"
               "emdb_flush_fraction,lmdb_flush_fraction,emdb_writer_puts_per_s,"
               "lmdb_writer_puts_per_s\n");
  for (const Row &r : rows) {
    EngineSummary s[kEngines] = {summarize(r.runs[0]), summarize(r.runs[1])};
    const bool sync = r.mode == SyncMode::sync;
    std::fprintf(out, "%s,%s,%s,%" PRIu64 ",%" PRIu64, r.workload.c_str(), r.name.c_str(),
                 to_string(r.mode), r.records, s[0].ops);
    std::fprintf(out, ",%s,%s,%s", jnum(s[0].ops_per_s).c_str(), jnum(s[1].ops_per_s).c_str(),
                 jnum(ratio(s[0].ops_per_s, s[1].ops_per_s)).c_str());
    std::fprintf(out, ",%s,%s,%s,%s", jnum(s[0].cpu_s).c_str(), jnum(s[1].cpu_s).c_str(),
                 jnum(s[0].wall_s).c_str(), jnum(s[1].wall_s).c_str());
    std::fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
                 s[0].space.file_bytes, s[1].space.file_bytes, s[0].space.alloc_bytes,
                 s[1].space.alloc_bytes, s[0].space.used_bytes, s[1].space.used_bytes);
    std::fprintf(
        out, ",%s,%u,%u",
        jnum(ratio(double(s[0].space.alloc_bytes), double(s[1].space.alloc_bytes))).c_str(),
        s[0].depth, s[1].depth);
    for (int e = 0; e < kEngines; ++e)
      std::fprintf(out, ",%s",
                   s[e].wall_s > 0 ? jnum(double(s[e].commits) / s[e].wall_s).c_str() : "0");
    for (int e = 0; e < kEngines; ++e)
      std::fprintf(out, ",%s", sync ? jnum(flush_fraction(s[e], info.flush_rate)).c_str() : "");
    for (int e = 0; e < kEngines; ++e)
      std::fprintf(out, ",%s", r.workload == "readwhilewriting" ? jnum(s[e].aux_rate).c_str() : "");
    std::fprintf(out, "\n");
  }
  std::fflush(out);
}

void print_json(std::FILE *out, const RunInfo &info, const std::vector<Row> &rows) {
  const Settings &st = info.settings;
  const MachineInfo &m = info.machine;
  std::fprintf(out, "{\n  \"tool\": \"emdb-bench\",\n");
  std::fprintf(out, "  \"command\": \"%s\",\n", json_escape(info.command).c_str());
  std::fprintf(out, "  \"emdb_version\": \"%s\",\n  \"lmdb_version\": \"%s\",\n",
               json_escape(info.emdb_version).c_str(), json_escape(info.lmdb_version).c_str());
  std::fprintf(out,
               "  \"machine\": {\"cpu_model\": \"%s\", \"cores\": %u, \"ram_bytes\": %" PRIu64
               ", \"kernel\": \"%s\", \"fs_type\": \"%s\", \"date\": \"%s\"},\n",
               json_escape(m.cpu_model).c_str(), m.cores, m.ram_bytes,
               json_escape(m.kernel).c_str(), json_escape(m.fs_type).c_str(),
               json_escape(m.date).c_str());
  std::fprintf(out,
               "  \"settings\": {\"records\": %" PRIu64
               ", \"key_size\": %zu, \"value_size\": %zu, "
               "\"batch\": %" PRIu64 ", \"rounds\": %u, \"threads\": %u, \"seed\": %" PRIu64
               ", \"sync_commits\": %" PRIu64 ", \"crud_txns\": %" PRIu64
               ", \"page_size\": %zu},\n",
               st.records, st.key_size, st.value_size, st.batch, info.rounds, st.threads, st.seed,
               st.sync_commits, st.crud_txns, info.page_size);
  std::fprintf(out,
               "  \"flush_rate_per_s\": %s,\n  \"flush_rate_start_per_s\": %s,\n"
               "  \"flush_rate_end_per_s\": %s,\n",
               jnum(info.flush_rate).c_str(), jnum(info.flush_rate_start).c_str(),
               jnum(info.flush_rate_end).c_str());
  std::fprintf(out, "  \"durability\": {");
  bool first = true;
  for (SyncMode md : {SyncMode::sync, SyncMode::lazy, SyncMode::nosync}) {
    std::fprintf(out, "%s\"%s\": {\"emdb\": \"%s\", \"lmdb\": \"%s\"}", first ? "" : ", ",
                 to_string(md), emdb_flags(md), lmdb_flags(md));
    first = false;
  }
  std::fprintf(out, "},\n  \"workloads\": [\n");
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row &r = rows[i];
    EngineSummary s[kEngines] = {summarize(r.runs[0]), summarize(r.runs[1])};
    std::fprintf(
        out,
        "    {\"name\": \"%s\", \"workload\": \"%s\", \"mode\": \"%s\", \"records\": %" PRIu64
        ", \"ops\": %" PRIu64 ", \"verified\": true,\n",
        json_escape(r.name).c_str(), json_escape(r.workload).c_str(), to_string(r.mode), r.records,
        s[0].ops);
    for (int e = 0; e < kEngines; ++e) {
      const EngineSummary &x = s[e];
      std::string rounds;
      for (double v : x.round_ops_per_s) rounds += (rounds.empty() ? "" : ", ") + jnum(v);
      std::fprintf(
          out,
          "     \"%s\": {\"ops\": %" PRIu64
          ", \"ops_per_s\": %s, \"wall_s\": %s, \"cpu_s\": %s, \"cpu_us_per_op\": "
          "%s, \"ns_per_op\": %s, \"file_bytes\": %" PRIu64 ", \"alloc_bytes\": %" PRIu64
          ", \"used_bytes\": %" PRIu64 ", \"depth\": %u, \"commits\": %" PRIu64
          ", \"commits_per_s\": %s, \"flush_fraction\": %s, \"writer_puts_per_s\": %s, "
          "\"rounds_ops_per_s\": [%s]},\n",
          kEngineNames[e], x.ops, jnum(x.ops_per_s).c_str(), jnum(x.wall_s).c_str(),
          jnum(x.cpu_s).c_str(), jnum(x.ops ? x.cpu_s * 1e6 / double(x.ops) : 0).c_str(),
          jnum(x.ops_per_s > 0 ? 1e9 / x.ops_per_s : 0).c_str(), x.space.file_bytes,
          x.space.alloc_bytes, x.space.used_bytes, x.depth, x.commits,
          jnum(x.wall_s > 0 ? double(x.commits) / x.wall_s : 0).c_str(),
          r.mode == SyncMode::sync && x.commits ? jnum(flush_fraction(x, info.flush_rate)).c_str()
                                                : "null",
          r.workload == "readwhilewriting" ? jnum(x.aux_rate).c_str() : "null", rounds.c_str());
    }
    std::fprintf(
        out, "     \"ratio_ops\": %s, \"ratio_cpu\": %s, \"ratio_size\": %s}%s\n",
        jnum(ratio(s[0].ops_per_s, s[1].ops_per_s)).c_str(),
        jnum(ratio(s[0].cpu_s, s[1].cpu_s)).c_str(),
        jnum(ratio(double(s[0].space.alloc_bytes), double(s[1].space.alloc_bytes))).c_str(),
        i + 1 < rows.size() ? "," : "");
  }
  std::fprintf(out, "  ]\n}\n");
  std::fflush(out);
}

}  // namespace emdb_bench
