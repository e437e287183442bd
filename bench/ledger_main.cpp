// ledger_main.cpp — emdb-ledger: runs the ledger workload (ledger.hpp) on emdb and on LMDB and
// writes a CSV of the samples, an SVG of the file size over time for both, and a summary.
//
//   emdb-ledger [--dir D] [--out PREFIX] [--blocks N] [--preload N] [--hold N]
//               [--value-size N] [--mode sync|lazy|nosync] [--upper BYTES]
//               [--growth BYTES] [--shrink BYTES]
// Defaults follow issue 4: 2,000 blocks of 2,000 appends, 1,000 updates and 2,000 prunes, a
// reader holding each snapshot for 50 blocks, 1,000,000 records preloaded. LMDB gets a fixed
// map of --upper bytes (16 GiB); emdb the same upper, a 4 MiB growth step and an 8 MiB shrink
// threshold.
// The default mode is lazy (LMDB MDB_NOSYNC, emdb EMDB_SAFE_NOSYNC): neither maps the file
// writable, so st_size is the space each engine has allocated.
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine_emdb.hpp"
#include "engine_lmdb.hpp"
#include "ledger.hpp"

using namespace emdb_bench;

namespace {

uint64_t EmdbGcPages(EmdbEngine &e) {
  EMDB_txn *t = nullptr;
  if (emdb_txn_begin(e.env(), nullptr, EMDB_TXN_RDONLY, &t) != 0) return 0;
  EMDB_gc_info gi{};
  int rc = emdb_gc_info(t, &gi, sizeof gi);
  emdb_txn_abort(t);
  return rc == 0 ? gi.gi_pages : 0;
}

// LMDB's free list: FREE_DBI (0) holds txnid -> IDL (count, then page numbers).
uint64_t LmdbGcPages(LmdbEngine &e) {
  MDB_txn *t = nullptr;
  if (mdb_txn_begin(e.env(), nullptr, MDB_RDONLY, &t) != 0) return 0;
  MDB_cursor *c = nullptr;
  uint64_t pages = 0;
  if (mdb_cursor_open(t, 0, &c) == 0) {
    MDB_val k, v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    while (rc == 0) {
      if (v.mv_size >= sizeof(size_t)) {
        size_t n;
        std::memcpy(&n, v.mv_data, sizeof n);
        pages += n;
      }
      rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
  }
  mdb_txn_abort(t);
  return pages;
}

void WriteCsv(FILE *f, const char *engine, const ledger::Result &r) {
  for (const ledger::Sample &s : r.samples) {
    std::fprintf(f, "%s,%llu,%s,%.3f,%llu,%llu,%llu\n", engine, (unsigned long long)s.step, s.phase,
                 s.seconds, (unsigned long long)s.file_bytes, (unsigned long long)s.gc_pages,
                 (unsigned long long)s.used_bytes);
  }
}

// File size (MiB) against the commit number, one polyline per engine.
void WriteSvg(const std::string &path, const ledger::Result &a, const ledger::Result &b,
              uint64_t blocks) {
  FILE *f = std::fopen(path.c_str(), "w");
  if (!f) die("cannot write " + path);
  const double W = 800, H = 420, L = 70, R = 20, T = 40, B = 50;
  double maxx = 1, maxy = 1;
  for (const auto *r : {&a, &b}) {
    maxx = std::max(maxx, double(r->samples.size()));
    for (const auto &s : r->samples) maxy = std::max(maxy, double(s.file_bytes) / 1048576.0);
  }
  maxy *= 1.1;
  auto X = [&](double x) { return L + (W - L - R) * x / maxx; };
  auto Y = [&](double y) { return H - B - (H - T - B) * y / maxy; };
  std::fprintf(f,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" "
               "height=\"100%%\" fill=\"white\"/>\n",
               W, H);
  std::fprintf(f,
               "<text x=\"%.0f\" y=\"22\" font-size=\"15\">ledger: data file size per commit "
               "(emdb vs LMDB)</text>\n",
               L);
  std::fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L,
               H - B, W - R, H - B);
  std::fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L,
               T, L, H - B);
  for (int i = 0; i <= 5; i++) {
    double y = maxy * i / 5;
    std::fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n", L - 6,
                 Y(y) + 4, y);
    std::fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L,
                 Y(y), W - R, Y(y));
  }
  for (int i = 0; i <= 5; i++) {
    double x = maxx * i / 5;
    std::fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.0f</text>\n", X(x),
                 H - B + 16, x);
  }
  std::fprintf(f,
               "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#999\" "
               "stroke-dasharray=\"4 3\"/>\n<text x=\"%.1f\" y=\"%.0f\">pruning</text>\n",
               X(double(blocks)), T, X(double(blocks)), H - B, X(double(blocks)) + 4, T + 12);
  std::fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">commit</text>\n",
               (L + W - R) / 2, H - 12);
  std::fprintf(f,
               "<text x=\"16\" y=\"%.0f\" transform=\"rotate(-90 16 %.0f)\" "
               "text-anchor=\"middle\">MiB</text>\n",
               (T + H - B) / 2, (T + H - B) / 2);
  const char *colors[2] = {"#1f77b4", "#d62728"};
  const char *names[2] = {"emdb", "LMDB"};
  int i = 0;
  for (const auto *r : {&a, &b}) {
    std::fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
                 colors[i]);
    for (const auto &s : r->samples) {
      std::fprintf(f, "%.1f,%.1f ", X(double(s.step)), Y(double(s.file_bytes) / 1048576.0));
    }
    std::fprintf(f, "\"/>\n<text x=\"%.0f\" y=\"%.0f\" fill=\"%s\">%s</text>\n", W - R - 60,
                 T + 14.0 + 16 * i, colors[i], names[i]);
    i++;
  }
  std::fprintf(f, "</svg>\n");
  std::fclose(f);
}

void Summary(const char *name, const ledger::Result &r) {
  std::printf("| %s | %.0f | %.1f | %.1f | %.1f | %.1f | %.2f |\n", name,
              double(r.block_ops) / r.block_seconds, r.peak_file / 1048576.0,
              r.flushed_file / 1048576.0, r.final_file / 1048576.0, r.live_bytes / 1048576.0,
              double(r.final_file) / double(std::max<uint64_t>(r.live_bytes, 1)));
}

}  // namespace

int main(int argc, char **argv) {
  ledger::Params p;
  p.open.mode = SyncMode::lazy;
  p.open.upper_bytes = size_t(16) << 30;
  p.open.growth_bytes = size_t(4) << 20;  // a node-like geometry, scaled to this run's size
  p.open.shrink_bytes = 8ll << 20;
  std::string dir = "/tmp/emdb-ledger", out = "ledger";
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--dir")
      dir = next();
    else if (a == "--out")
      out = next();
    else if (a == "--blocks")
      p.blocks = std::stoull(next());
    else if (a == "--preload")
      p.preload = std::stoull(next());
    else if (a == "--hold")
      p.hold = std::stoull(next());
    else if (a == "--value-size")
      p.value_size = std::stoull(next());
    else if (a == "--upper")
      p.open.upper_bytes = std::stoull(next());
    else if (a == "--growth")
      p.open.growth_bytes = std::stoull(next());
    else if (a == "--shrink")
      p.open.shrink_bytes = std::stoll(next());
    else if (a == "--mode") {
      if (!parse_sync_mode(next(), &p.open.mode)) die("bad --mode");
    } else {
      die("usage: emdb-ledger [--dir D] [--out PREFIX] [--blocks N] [--preload N] [--hold N] "
          "[--value-size N] [--mode sync|lazy|nosync] [--upper BYTES] [--growth BYTES] "
          "[--shrink BYTES]");
    }
  }
  auto fresh = [&](const std::string &d) {
    std::string cmd = "rm -rf '" + d + "' && mkdir -p '" + d + "'";
    if (std::system(cmd.c_str()) != 0) die("cannot create " + d);
  };
  fresh(dir + "/emdb");
  ledger::Result re = ledger::Run<EmdbEngine>(dir + "/emdb", p, EmdbGcPages);
  fresh(dir + "/lmdb");
  ledger::Result rl = ledger::Run<LmdbEngine>(dir + "/lmdb", p, LmdbGcPages);
  FILE *f = std::fopen((out + ".csv").c_str(), "w");
  if (!f) die("cannot write " + out + ".csv");
  std::fprintf(f, "engine,commit,phase,seconds,file_bytes,gc_pages,used_bytes\n");
  WriteCsv(f, "emdb", re);
  WriteCsv(f, "lmdb", rl);
  std::fclose(f);
  WriteSvg(out + ".svg", re, rl, p.blocks);
  std::printf("ledger: %llu blocks, %llu preloaded, reader holds %llu blocks, mode %s\n\n",
              (unsigned long long)p.blocks, (unsigned long long)p.preload,
              (unsigned long long)p.hold, to_string(p.open.mode));
  std::printf(
      "| engine | block ops/s | peak file MiB | flushed file MiB | final file MiB (closed) | live "
      "MiB | final/live |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  Summary("emdb", re);
  Summary("LMDB", rl);
  std::printf("\nthroughput emdb/LMDB: %.2f (samples left out: emdb %.2f s, LMDB %.2f s)\n",
              (double(re.block_ops) / re.block_seconds) / (double(rl.block_ops) / rl.block_seconds),
              re.sampling_seconds, rl.sampling_seconds);
  return 0;
}
