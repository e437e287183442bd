// emdb drop — empty a named table, or delete it (mdbx_drop).
//
//   emdb drop [-d] -s TABLE PATH
//
// One write transaction: emdb_drop(txn, dbi, delete). See docs/tools.md.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "commands.hpp"
#include "common.hpp"
#include "writable.hpp"

namespace emdb_tool {
namespace {

struct DropOptions {
  bool remove = false;
  std::string table;
  std::string path;
};

int run_drop(const DropOptions &opt) {
  WritableEnv env;
  if (env.open(opt.path, 1024, 0, /*create=*/false, GeometryRequest{}) != EMDB_SUCCESS) {
    return kExitFailure;
  }
  EMDB_txn *txn = nullptr;
  int rc = emdb_txn_begin(env.get(), nullptr, EMDB_TXN_READWRITE, &txn);
  if (rc != EMDB_SUCCESS) {
    report_error(opt.path, "cannot begin a write transaction", rc);
    return kExitFailure;
  }
  EMDB_val name{const_cast<char *>(opt.table.data()), opt.table.size()};
  EMDB_dbi dbi = 0;
  rc = emdb_dbi_open2(txn, &name, EMDB_DB_ACCEDE, &dbi);
  if (rc == EMDB_SUCCESS) rc = emdb_drop(txn, dbi, opt.remove);
  if (rc != EMDB_SUCCESS) {
    emdb_txn_abort(txn);
    if (rc == EMDB_NOTFOUND || rc == EMDB_INCOMPATIBLE) {
      report_error(opt.path, "no table named '" + printable(opt.table) + "'");
    } else {
      report_error(opt.path, "cannot drop table '" + printable(opt.table) + "'", rc);
    }
    return kExitFailure;
  }
  rc = emdb_txn_commit(txn);
  if (rc != EMDB_SUCCESS) {
    report_error(opt.path, "cannot commit", rc);
    return kExitFailure;
  }
  return env.close() == EMDB_SUCCESS ? kExitOk : kExitFailure;
}

}  // namespace

Command add_drop_command(CLI::App &app) {
  auto opt = std::make_shared<DropOptions>();
  CLI::App *cmd = app.add_subcommand("drop", "Empty a named table, or delete it with -d");
  cmd->add_flag("-d,--delete", opt->remove, "Delete the table itself, not only its records");
  cmd->add_option("-s,--table", opt->table, "The named table")->required();
  cmd->add_option("PATH", opt->path, "Database directory or data file")->required();
  return {cmd, [opt] { return run_drop(*opt); }};
}

}  // namespace emdb_tool
