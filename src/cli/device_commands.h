// The application's own license steps as commands: `licentia details`,
// `activate`, `reserve add|remove`, `remove-key`, `try-again`,
// `activate-now`, `sync`, `check` and `agent`.
#ifndef LICENTIA_CLI_DEVICE_COMMANDS_H_
#define LICENTIA_CLI_DEVICE_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>

#include "cli/admin_commands.h"

namespace licentia::cli {

// Adds the device commands to `app`. The returned function runs the chosen
// one (after parsing) and returns the exit code, or -1 if none was chosen.
std::function<int()> AddDeviceCommands(CLI::App& app, GlobalOptions& global);

}  // namespace licentia::cli

#endif  // LICENTIA_CLI_DEVICE_COMMANDS_H_
