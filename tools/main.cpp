// emdb — command-line tools for emdb databases. One subcommand per source file (cmd_*.cpp);
// they use the public C API only. See docs/tools.md.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"

int main(int argc, char **argv) {
  using namespace emdb_tool;
  CLI::App app{"Tools for emdb databases", "emdb"};
  app.set_version_flag("--version", std::string("emdb ") + emdb_version());
  app.require_subcommand(1);
  int verbosity = 0;
  app.add_flag("-v,--verbose", verbosity, "More log output on stderr (repeat for more)");

  const std::vector<Command> commands = {
      add_stat_command(app), add_chk_command(app), add_walk_command(app),
      add_copy_command(app),  // cmd_copy.cpp
      add_dump_command(app),  // cmd_dump.cpp
      add_load_command(app),  // cmd_load.cpp
      add_drop_command(app),  // cmd_drop.cpp
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    const int rc = app.exit(e);
    if (rc != 0 && app.got_subcommand("chk")) return chk_usage_exit_code();
    return rc == 0 ? kExitOk : kExitUsage;
  }

  setup_logging(verbosity);
  try {
    for (const auto &command : commands) {
      if (command.app->parsed()) return command.run();
    }
  } catch (const std::exception &e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
  return kExitUsage;
}
