// output.hpp — aggregation (medians, ratios) and the three output formats of emdb-bench:
// a human table, CSV (one line per workload row) and JSON (one object per workload row with
// both engines' medians and the ratios, plus machine information).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "common.hpp"
#include "workloads.hpp"

namespace emdb_bench {

constexpr int kEngines = 2;
constexpr const char *kEngineNames[kEngines] = {"emdb", "lmdb"};

/// One reported row: a workload in one durability mode (scale gives several rows).
struct Row {
  std::string name;      // e.g. "fillseq", "crud", "scale/readrandom@10M"
  std::string workload;  // the --benchmarks name that produced it
  SyncMode mode = SyncMode::sync;
  uint64_t records = 0;
  std::vector<RunResult> runs[kEngines];  // one per round
};

/// The medians of one engine in one row.
struct EngineSummary {
  double ops_per_s = 0, wall_s = 0, cpu_s = 0;
  uint64_t ops = 0, commits = 0;
  SpaceInfo space;  // median of the rounds
  uint32_t depth = 0;
  double aux_rate = 0;
  std::vector<double> round_ops_per_s;
};
EngineSummary summarize(const std::vector<RunResult> &runs);

struct RunInfo {
  Settings settings;
  unsigned rounds = 3;
  std::string command;
  std::string bench_dir;
  double flush_rate = 0;        // the mean of the two measurements below (used for fractions)
  double flush_rate_start = 0;  // measured before the first workload
  double flush_rate_end = 0;    // measured after the last workload
  MachineInfo machine;
  std::string emdb_version, lmdb_version;
  size_t page_size = 4096;
};

void print_table(std::FILE *out, const RunInfo &info, const std::vector<Row> &rows);
void print_csv(std::FILE *out, const RunInfo &info, const std::vector<Row> &rows);
void print_json(std::FILE *out, const RunInfo &info, const std::vector<Row> &rows);

}  // namespace emdb_bench
