// licentiad as a whole: configuration, the data directory, the store, the
// services, routing, authentication, rate limits, metrics and the request
// log, wired to the HTTP transport.
#ifndef LICENTIA_SERVER_APP_H_
#define LICENTIA_SERVER_APP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "server/http_types.h"

namespace licentia::server {

struct ServerConfig {
  std::string listen = "127.0.0.1:8470";
  std::string data_dir = "licentia-data";
  std::string database;  // "" = sqlite://<data_dir>/licentia.db
  int io_threads = 2;
  int db_pool_size = 8;                 // PostgreSQL connections
  bool sqlite_wal_write_buffer = true;  // store/sqlite/sqlite_store.h
  std::int64_t max_body_bytes = 64 * 1024;
  double rate_limit_per_ip = 600;   // requests/minute on device endpoints
  double rate_limit_per_code = 60;  // attempts/minute with one code
  // Failed admin authentications a minute per client address.
  double rate_limit_admin_failures = 10;
  // Failed console sign-ins a minute, per client address and per account.
  double rate_limit_signin_failures = 10;
  // Console sessions last this many days from sign-in.
  int console_session_days = 14;
  // How often the seats of devices that missed their code's heartbeat are
  // freed (server/seat_sweeper.h), in seconds of wall time.
  int heartbeat_sweep_seconds = 300;
  // Sends webhook deliveries (server/webhook_dispatcher.h). Off, they stay
  // queued: for the fuzz targets, which must not send requests to the
  // addresses they make up.
  bool deliver_webhooks = true;
  // Console cookies carry the Secure attribute (set when the console is
  // reached over HTTPS, e.g. through a TLS-terminating proxy).
  bool console_secure_cookies = false;
  // Open connections at once: in all, and from one client address. Beyond
  // them a new connection is answered 503 / 429 and closed.
  int max_connections = 10000;
  int max_connections_per_address = 256;
  bool test_clock = false;  // enables POST /v1/admin/test/clock
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
// exit code; prints a clear message on failure. (run_server.cc: the one
// part that needs the network transport.)
int RunServer(const ServerConfig& config);

// licentiad's request handling over its data directory and database:
// routes, authentication, rate limits, the services, metrics and the
// request log; everything but the network listener.
class Application {
 public:
  // Opens (creating if need be) the data directory and the database;
  // creates and announces the first admin token if there is none.
  static Result<std::unique_ptr<Application>> Open(const ServerConfig& config);
  // Shuts down (see Shutdown) if that was not done.
  ~Application();

  // Handles one request, answering through `respond` now or later from
  // another thread. Thread-safe.
  void Handle(const HttpRequest& request, const Responder& respond);
  // The request log line and metrics of one answered request.
  void OnComplete(const HttpRequest& request, const HttpResponse& response,
                  double millis);
  // Where /metrics reads the transport's counters.
  // REQUIRES: called before requests are handled.
  void SetTransportStats(std::function<TransportStats()> source);
  // Answers every device waiting for a change (POST /v1/wait) now, with
  // what it holds; waits made afterwards are answered at once. Thread-safe.
  void AnswerWaitingDevices();
  // Answers the writes still queued and joins the store's threads.
  // REQUIRES: no request is handled afterwards.
  void Shutdown();
  std::string DatabaseUrl() const;
  // Every route served, "METHOD /pattern" ({} for a captured segment).
  std::vector<std::string> Routes() const;

 private:
  struct Impl;
  explicit Application(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Creates one more admin token in the configured database and prints it.
int CreateAdminToken(const ServerConfig& config);

// licentiad's request handling without its network listener: the same
// routes, authentication, rate limits and services over the configured data
// directory and database, for the admin-API fuzz target. Not thread-safe
// for Handle; one request at a time.
class InProcessServer {
 public:
  // Opens the data directory and database as RunServer does and creates an
  // admin token. kUnavailable / kIoError as RunServer would fail.
  static Result<std::unique_ptr<InProcessServer>> Open(
      const ServerConfig& config);
  ~InProcessServer();

  const std::string& admin_token() const { return token_; }
  // Handles `request` and waits for its answer.
  HttpResponse Handle(const HttpRequest& request);
  // As Application::Routes.
  std::vector<std::string> Routes() const;

 private:
  InProcessServer(std::unique_ptr<Application> app, std::string token);
  std::unique_ptr<Application> app_;
  std::string token_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_APP_H_
