// licentia: the Licentia command-line tool.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <string>

#include "cli/admin_commands.h"
#include "cli/device_commands.h"
#include "cli/exit_codes.h"
#include "licentia/version.h"

int main(int argc, char** argv) {
  using licentia::cli::GlobalOptions;
  GlobalOptions global;
  if (const char* s = std::getenv("LICENTIA_SERVER")) global.server = s;
  if (const char* t = std::getenv("LICENTIA_ADMIN_TOKEN")) global.token = t;
  if (global.server.empty()) global.server = "http://127.0.0.1:8470";

  CLI::App app{
      "licentia - Licentia licensing from the command line.\nDevice commands "
      "act for one application on this device; `licentia admin ...` is for the "
      "vendor."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "licentia " LICENTIA_VERSION_STRING);
  // Global options are accepted after the subcommands too
  // ("licentia admin --token T codes list"), as people type them: a
  // subcommand passes options it does not know up to its parent. Set
  // before the subcommands are added, which inherit it.
  app.fallthrough();
  app.add_option("--server", global.server, "Server URL (env LICENTIA_SERVER)")
      ->capture_default_str();
  app.add_option("--token", global.token,
                 "Admin token (env LICENTIA_ADMIN_TOKEN)");
  app.add_flag("--json", global.json, "Print JSON for scripts");
  auto run_admin = licentia::cli::AddAdminCommands(app, global);
  auto run_device = licentia::cli::AddDeviceCommands(app, global);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : licentia::cli::kExitUsage;
  }
  // The commands read the server's JSON answers as documented; an answer
  // of another shape (a proxy's error page, another program on the port)
  // must end in a clear error, not an uncaught exception.
  try {
    int rc = run_device();
    return rc >= 0 ? rc : run_admin();
  } catch (const std::exception& e) {
    return licentia::cli::ReportError(
        licentia::Status(licentia::ErrorCode::kInternal,
                         std::string("The server's answer was not what this "
                                     "version of licentia expects (") +
                             e.what() + ")."),
        global.json);
  }
}
