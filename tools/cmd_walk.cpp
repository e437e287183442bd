// emdb walk — the page-walk report of a database: pages and fill per table and page kind, and
// histograms of depth and fill (emdb_env_pgwalk over one read snapshot).
//
//   emdb walk [--summary | --pages] [--json] PATH
//
// --summary (the default) prints one row per table and page kind; --pages prints one line per
// page (or run of large pages, or inline sub-page). See docs/tools.md.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"

namespace emdb_tool {
namespace {

struct WalkOptions {
  bool summary = false, pages = false, json = false;
  std::string path;
};

const char *type_name(EMDB_page_type_t t) {
  switch (t) {
    case EMDB_page_meta:
      return "meta";
    case EMDB_page_large:
      return "large";
    case EMDB_page_branch:
      return "branch";
    case EMDB_page_leaf:
      return "leaf";
    case EMDB_page_dupfix_leaf:
      return "dupfix-leaf";
    case EMDB_subpage_leaf:
      return "subpage";
    case EMDB_subpage_dupfix_leaf:
      return "dupfix-subpage";
    default:
      return "broken";
  }
}

std::string owner_name(const EMDB_val *table) {
  if (table == EMDB_PGWALK_MAIN) return "@main";
  if (table == EMDB_PGWALK_GC) return "@gc";
  if (table == EMDB_PGWALK_META) return "@meta";
  return printable(std::string_view(static_cast<const char *>(table->iov_base), table->iov_len));
}

struct Totals {
  std::uint64_t count = 0, pages = 0, entries = 0, payload = 0, header = 0, unused = 0;
};

struct Walk {
  const WalkOptions *opt = nullptr;
  std::map<std::pair<std::string, std::string>, Totals> by_owner_kind;
  std::map<int, std::uint64_t> depth_hist;  // pages per depth
  std::uint64_t fill_hist[11] = {};         // branch/leaf pages per 10% fill bucket
  Totals all;
  std::string pages_json;
  JsonWriter *pages_writer = nullptr;
};

int visit(void *ctx, std::uint64_t pgno, unsigned npages, std::uint64_t parent,
          const EMDB_val *table, int depth, EMDB_page_type_t type, size_t entries, size_t payload,
          size_t header, size_t unused) noexcept {
  auto *w = static_cast<Walk *>(ctx);
  try {
    const std::string owner = owner_name(table);
    Totals &t = w->by_owner_kind[{owner, type_name(type)}];
    t.count++;
    t.pages += npages;
    t.entries += entries;
    t.payload += payload;
    t.header += header;
    t.unused += unused;
    w->all.count++;
    w->all.pages += npages;
    w->all.payload += payload;
    w->all.header += header;
    w->all.unused += unused;
    if (npages > 0 && type != EMDB_page_meta) w->depth_hist[depth] += npages;
    if (type == EMDB_page_branch || type == EMDB_page_leaf || type == EMDB_page_dupfix_leaf) {
      const size_t room = payload + unused + (type == EMDB_page_dupfix_leaf ? 0 : header - 32);
      const int bucket = room ? int((payload * 10) / room) : 0;
      w->fill_hist[bucket > 10 ? 10 : bucket]++;
    }
    if (w->opt->pages) {
      const unsigned long long par = parent == ~std::uint64_t(0) ? 0 : parent;
      if (w->pages_writer) {
        JsonWriter &j = *w->pages_writer;
        j.begin_object();
        j.field("pgno", pgno);
        j.field("npages", std::uint64_t(npages));
        j.field("parent", std::uint64_t(par));
        j.field("owner", owner);
        j.field("depth", std::uint64_t(depth));
        j.field("type", type_name(type));
        j.field("entries", std::uint64_t(entries));
        j.field("payload", std::uint64_t(payload));
        j.field("header", std::uint64_t(header));
        j.field("unused", std::uint64_t(unused));
        j.end_object();
      } else {
        std::printf("%llu\t%u\t%llu\t%s\t%d\t%s\t%zu\t%zu\t%zu\t%zu\n", (unsigned long long)pgno,
                    npages, par, owner.c_str(), depth, type_name(type), entries, payload, header,
                    unused);
      }
    }
  } catch (...) {
    return EMDB_ENOMEM;
  }
  return 0;
}

int run_walk(const WalkOptions &o) {
  ReadOnlyEnv env;
  int rc = env.open(o.path, 4096);
  if (rc != 0) return kExitFailure;
  ReadTxn txn;
  rc = txn.begin(env.get());
  if (rc != 0) {
    report_error(o.path, "cannot begin a read transaction", rc);
    return kExitFailure;
  }
  Walk w;
  w.opt = &o;
  std::string out;
  JsonWriter j(out);
  if (o.json) j.begin_object();
  if (o.pages && o.json) {
    j.begin_array("pages");
    w.pages_writer = &j;
  } else if (o.pages) {
    std::printf("pgno\tnpages\tparent\towner\tdepth\ttype\tentries\tpayload\theader\tunused\n");
  }
  rc = emdb_env_pgwalk(txn.get(), visit, &w, EMDB_PGWALK_DEFAULTS);
  if (o.pages && o.json) j.end_array();
  if (rc != 0) {
    if (o.json) {
      j.end_object();
      std::printf("%s\n", out.c_str());
    }
    report_error(o.path,
                 rc == EMDB_CORRUPTED ? "damaged pages met (run emdb chk)" : "the walk failed", rc);
    return kExitFailure;
  }
  if (o.json) {
    if (!o.pages || o.summary) {
      j.begin_array("summary");
      for (const auto &[k, t] : w.by_owner_kind) {
        j.begin_object();
        j.field("owner", k.first);
        j.field("type", k.second);
        j.field("count", t.count);
        j.field("pages", t.pages);
        j.field("entries", t.entries);
        j.field("payload", t.payload);
        j.field("header", t.header);
        j.field("unused", t.unused);
        j.end_object();
      }
      j.end_array();
      j.begin_array("depth_histogram");
      for (const auto &[d, n] : w.depth_hist) {
        j.begin_object();
        j.field("depth", std::uint64_t(d));
        j.field("pages", n);
        j.end_object();
      }
      j.end_array();
      j.begin_array("fill_histogram");
      for (int b = 0; b <= 10; b++) {
        j.begin_object();
        j.field("fill_percent", std::uint64_t(b * 10));
        j.field("pages", w.fill_hist[b]);
        j.end_object();
      }
      j.end_array();
      j.field("total_pages", w.all.pages);
    }
    j.end_object();
    std::printf("%s\n", out.c_str());
    return kExitOk;
  }
  if (o.pages && !o.summary) return kExitOk;
  std::printf("%-24s %-15s %10s %10s %12s %14s %14s %6s\n", "owner", "type", "count", "pages",
              "entries", "payload", "unused", "fill");
  for (const auto &[k, t] : w.by_owner_kind) {
    const std::uint64_t room = t.payload + t.unused;
    std::printf("%-24s %-15s %10llu %10llu %12llu %14llu %14llu %5.1f%%\n", k.first.c_str(),
                k.second.c_str(), (unsigned long long)t.count, (unsigned long long)t.pages,
                (unsigned long long)t.entries, (unsigned long long)t.payload,
                (unsigned long long)t.unused,
                room ? 100.0 * double(t.payload) / double(room) : 0.0);
  }
  std::printf("total: %llu pages, %llu payload bytes, %llu unused bytes\n",
              (unsigned long long)w.all.pages, (unsigned long long)w.all.payload,
              (unsigned long long)w.all.unused);
  std::printf("depth histogram (pages):");
  for (const auto &[d, n] : w.depth_hist) std::printf(" %d:%llu", d, (unsigned long long)n);
  std::printf("\nfill histogram (branch/leaf pages per 10%%):");
  for (int b = 0; b <= 10; b++)
    std::printf(" %d%%:%llu", b * 10, (unsigned long long)w.fill_hist[b]);
  std::printf("\n");
  return kExitOk;
}

}  // namespace

Command add_walk_command(CLI::App &app) {
  auto opt = std::make_shared<WalkOptions>();
  CLI::App *sub = app.add_subcommand("walk", "Walk every page: pages and fill per table and kind");
  auto *s = sub->add_flag("--summary", opt->summary, "One row per table and page kind (default)");
  sub->add_flag("--pages", opt->pages, "One line per page")->excludes(s);
  sub->add_flag("--json", opt->json, "Print as JSON");
  sub->add_option("PATH", opt->path, "Database directory or data file")->required();
  return {sub, [opt] { return run_walk(*opt); }};
}

}  // namespace emdb_tool
