// licentiad: the Licentia activation server.
//
// Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT) or a completed
// one-off command; 1 when the server cannot start or fails while serving
// (the reason is printed); 2 for a usage error: an unknown or invalid
// option, an unknown setting in the config file, or a config file that
// cannot be read.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <string_view>

#include "licentia/version.h"
#include "server/app.h"

namespace {

constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  // Everything licentiad creates (the database and its journal files, keys,
  // the port file) is for its own user only.
  ::umask(077);
  licentia::server::ServerConfig config;
  CLI::App cli{
      "licentiad - the Licentia activation server.\n"
      "With no arguments it serves on 127.0.0.1:8470 with its data (SQLite "
      "database, signing key) in ./licentia-data."};
  cli.set_version_flag("--version", "licentiad " LICENTIA_VERSION_STRING);
  cli.set_config("--config", "",
                 "Read these settings from a TOML/INI file: the long options "
                 "without '--', one per line, outside any [section]");
  // A setting licentiad does not know is refused, naming it: silently
  // ignoring a misspelt key (or a whole [section]) would start the server
  // on defaults, with a new data directory and a new admin token.
  cli.allow_config_extras(CLI::config_extras_mode::error);
  cli.add_option("--listen", config.listen,
                 "HOST:PORT to listen on (port 0 picks a free one)")
      ->capture_default_str();
  cli.add_option("--data-dir", config.data_dir,
                 "Directory for the database and keys")
      ->capture_default_str();
  cli.add_option("--database", config.database,
                 "Database URL (default sqlite://DATA_DIR/licentia.db)");
  cli.add_option("--io-threads", config.io_threads, "Network threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cli.add_option("--db-pool-size", config.db_pool_size,
                 "PostgreSQL connections (and concurrent write transactions)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cli.add_option("--sqlite-wal-buffer", config.sqlite_wal_write_buffer,
                 "SQLite: write each commit's log frames in one call "
                 "(docs/performance.md)")
      ->capture_default_str();
  cli.add_option("--max-body-bytes", config.max_body_bytes,
                 "Largest request body accepted")
      ->capture_default_str()
      ->check(CLI::Range(1024, 64 * 1024 * 1024));
  cli.add_option("--rate-limit-ip", config.rate_limit_per_ip,
                 "Device requests per minute per client address (0: off)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--rate-limit-code", config.rate_limit_per_code,
                 "Attempts per minute with one activation code (0: off)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--rate-limit-admin-failures",
                 config.rate_limit_admin_failures,
                 "Failed admin authentications per minute per client address "
                 "(0: off)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--rate-limit-signin-failures",
                 config.rate_limit_signin_failures,
                 "Failed console sign-ins a minute, per client address and "
                 "per account")
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--console-session-days", config.console_session_days,
                 "Console sessions last this many days from sign-in")
      ->check(CLI::Range(1, 365));
  cli.add_option("--heartbeat-sweep-seconds", config.heartbeat_sweep_seconds,
                 "How often the seats of devices that missed their code's "
                 "heartbeat are freed")
      ->check(CLI::Range(1, 86400));
  cli.add_flag("--console-secure-cookies", config.console_secure_cookies,
               "Mark console cookies Secure (the console is reached over "
               "HTTPS, e.g. through a TLS-terminating proxy)");
  cli.add_option("--max-connections", config.max_connections,
                 "Open connections at once; more are answered 503 and closed")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cli.add_option("--max-connections-per-address",
                 config.max_connections_per_address,
                 "Open connections at once from one client address; more are "
                 "answered 429 and closed")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cli.add_flag("--test-clock", config.test_clock,
               "FOR TESTS ONLY: freeze the server's clock and let admins set "
               "it via POST /v1/admin/test/clock");
  cli.add_option("--test-clock-start", config.test_clock_start,
                 "Start time of the test clock (Unix seconds)");
  cli.add_option("--port-file", config.port_file,
                 "Write the bound port to this file");
  cli.add_option(
      "--admin-token-file", config.admin_token_file,
      "Also write a newly created admin token to this file (mode 0600)");
  cli.add_option("--license-key-format", config.license_key_format,
                 "License key format to issue: 2 signs the keys of concurrent "
                 "activations together; 1 signs each alone (for applications "
                 "whose SDK verifies only format 1)")
      ->capture_default_str()
      ->check(CLI::Range(1, 2));
  bool no_log = false;
  cli.add_flag("--no-request-log", no_log, "Do not log one line per request");
  bool create_token = false;
  cli.add_flag("--create-admin-token", create_token,
               "Create an additional admin token, print it and exit");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ConfigError& e) {
    std::string what = e.what();
    constexpr std::string_view kPrefix = "INI was not able to parse ";
    std::string item =
        what.starts_with(kPrefix) ? what.substr(kPrefix.size()) : "";
    if (item.ends_with(".++") || item.ends_with(".--")) {
      // CLI11 reports a section by its open/close markers.
      std::fprintf(stderr,
                   "licentiad: the config file has a section '[%s]'; "
                   "licentiad's settings go outside any section (e.g. "
                   "listen = \"127.0.0.1:8470\"); see docs/server.md.\n",
                   item.substr(0, item.size() - 3).c_str());
    } else if (!item.empty()) {
      std::fprintf(stderr,
                   "licentiad: the config file has a setting licentiad does "
                   "not know: '%s'. Settings are the long options without "
                   "'--' (e.g. listen = \"127.0.0.1:8470\"), outside any "
                   "[section]; see docs/server.md.\n",
                   item.c_str());
    } else {
      std::fprintf(stderr, "licentiad: config file: %s\n", what.c_str());
    }
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    int rc = cli.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  config.log_requests = !no_log;
  if (create_token) return licentia::server::CreateAdminToken(config);
  return licentia::server::RunServer(config);
}
