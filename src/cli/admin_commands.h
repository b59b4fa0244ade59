// `licentia admin ...`: the vendor's commands against the admin API.
#ifndef LICENTIA_CLI_ADMIN_COMMANDS_H_
#define LICENTIA_CLI_ADMIN_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace licentia::cli {

struct GlobalOptions {
  std::string server;
  std::string token;
  bool json = false;
};

// Adds the `admin` subcommand tree to `app`. The returned function, called
// after parsing, runs the chosen command and returns the exit code.
std::function<int()> AddAdminCommands(CLI::App& app, GlobalOptions& global);

}  // namespace licentia::cli

#endif  // LICENTIA_CLI_ADMIN_COMMANDS_H_
