// licentiad as a whole: configuration, the data directory, the store, the
// services, routing, authentication, rate limits, metrics and the request
// log, wired to the HTTP transport.
#ifndef LICENTIA_SERVER_APP_H_
#define LICENTIA_SERVER_APP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"

namespace licentia::server {

struct ServerConfig {
  std::string listen = "127.0.0.1:8470";
  std::string data_dir = "licentia-data";
  std::string database;  // "" = sqlite://<data_dir>/licentia.db
  int io_threads = 2;
  int db_pool_size = 8;  // PostgreSQL connections
  int worker_threads = 64;
  std::int64_t max_body_bytes = 64 * 1024;
  double rate_limit_per_ip = 600;   // requests/minute on device endpoints
  double rate_limit_per_code = 60;  // attempts/minute with one code
  bool test_clock = false;          // enables POST /v1/admin/test/clock
  std::optional<std::int64_t> test_clock_start;
  std::string port_file;         // write the bound port here
  std::string admin_token_file;  // write a newly created admin token here
  bool log_requests = true;
  // 2: keys issued together share one signature (docs/license-key.md);
  // 1: one signature per key, for applications built with an SDK that
  // verifies only format 1.
  int license_key_format = 2;
};

// Prepares everything and serves until SIGTERM/SIGINT. Returns the process
// exit code; prints a clear message on failure.
int RunServer(const ServerConfig& config);

// Creates one more admin token in the configured database and prints it.
int CreateAdminToken(const ServerConfig& config);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_APP_H_
