// Starts the real licentiad on a free loopback port with a fresh data
// directory and the test clock, and stops it (SIGTERM) when destroyed.
#ifndef LICENTIA_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define LICENTIA_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "client/api_client.h"
#include "core/crypto.h"

namespace licentia::testing {

class ServerProcess {
 public:
  // `extra_args` are appended to licentiad's command line.
  explicit ServerProcess(std::vector<std::string> extra_args = {},
                         std::filesystem::path data_dir = {});
  ~ServerProcess();

  // Starts licentiad and waits until it serves. Aborts the test on failure.
  // If the test process dies, the server gets SIGTERM: call it on a thread
  // that outlives the server (normally the test's own).
  void Start();
  // SIGTERM, then waits; returns the exit status (0 on a clean shutdown).
  int Stop();
  // SIGKILL, as a crash or power loss would.
  void Kill();
  // Sets an environment variable of licentiad from the next Start() on
  // (e.g. LD_PRELOAD for fault injection).
  void set_env(std::string name, std::string value) {
    env_.emplace_back(std::move(name), std::move(value));
  }
  // The open-file limit (RLIMIT_NOFILE) of licentiad from the next Start().
  void set_fd_limit(int limit) { fd_limit_ = limit; }
  // The test clock's time at the next Start() (default 1800000000).
  void set_clock_start(std::int64_t t) { clock_start_ = t; }
  std::string public_key_hex() const;
  // The server's signing public key; all zeros if it cannot be read.
  crypto::PublicKey public_key() const;

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  const std::string& admin_token() const { return admin_token_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& log_path() const { return log_; }
  bool running() const { return pid_ > 0; }

  // An admin API client / a device (unauthenticated) client.
  client::ApiClient Admin() const {
    return client::ApiClient(url(), admin_token_);
  }
  client::ApiClient Device() const { return client::ApiClient(url()); }

 private:
  std::vector<std::string> extra_args_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::filesystem::path root_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_;
  bool owns_root_ = false;
  pid_t pid_ = -1;
  int port_ = 0;
  std::int64_t clock_start_ = 1800000000;
  int fd_limit_ = 0;  // 0: inherited
  std::string admin_token_;
  std::string database_url_;  // "" = the SQLite file in the data directory

 public:
  const std::string& database_url() const { return database_url_; }
  // Points this server at an existing database (several instances).
  void set_database_url(std::string url) { database_url_ = std::move(url); }
};

// Paths of the built binaries (set by CMake).
std::string LicentiadPath();
std::string LicentiaCliPath();

// A listening TCP socket on a free 127.0.0.1 port, for a test's own fake
// server. Returns the descriptor and sets `port`; -1 on failure.
int ListenOnLoopback(int& port);

// Runs a command, returns {exit code, stdout}.
struct CommandResult {
  int exit_code;
  std::string out;
};
// With `merge_stderr`, the command's stderr is captured into `out` too.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env = {},
                         bool merge_stderr = false);

}  // namespace licentia::testing

#endif  // LICENTIA_TESTS_INTEGRATION_SERVER_PROCESS_H_
