// The subcommands of the emdb CLI, one source file each (cmd_<name>.cpp). Each adds itself to
// the top-level app and returns the function main() runs when it was chosen.
#pragma once

#include "common.hpp"

namespace emdb_tool {

Command add_stat_command(CLI::App &app);  // cmd_stat.cpp
Command add_copy_command(CLI::App &app);  // cmd_copy.cpp
Command add_dump_command(CLI::App &app);  // cmd_dump.cpp
Command add_load_command(CLI::App &app);  // cmd_load.cpp
Command add_drop_command(CLI::App &app);  // cmd_drop.cpp
Command add_chk_command(CLI::App &app);   // cmd_chk.cpp
Command add_walk_command(CLI::App &app);  // cmd_walk.cpp
// Exit code of `emdb chk` for a bad command line (chk's 2 means "major problems").
int chk_usage_exit_code();

}  // namespace emdb_tool
