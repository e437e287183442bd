// The subcommands of the emdb CLI, one source file each (cmd_<name>.cpp). Each adds itself to
// the top-level app and returns the function main() runs when it was chosen.
#pragma once

#include "common.hpp"

namespace emdb_tool {

Command add_stat_command(CLI::App &app);  // cmd_stat.cpp

}  // namespace emdb_tool
