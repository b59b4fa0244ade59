// The management console's side of licentiad (docs/console.md): its pages
// at /console, the JSON API they call at /console/api/..., and the device
// calls that connect a device to an account (POST /v1/connect,
// /v1/disconnect).
//
// Accounts sign up and in with an email and a password (Argon2id, hashed
// on a BlockingWorker, never on a network thread). A session is a cookie
// (server/console_session.h); every state-changing request also carries
// its CSRF token. An account sees and changes only its own devices and the
// codes it holds: every lookup by id is made within the signed-in account
// and answers NOT_FOUND otherwise, whether or not the id exists.
//
// Thread safety: every method may be called from any thread.
#ifndef LICENTIA_SERVER_CONSOLE_SERVICE_H_
#define LICENTIA_SERVER_CONSOLE_SERVICE_H_

#include <memory>
#include <string_view>

#include "core/code_seal.h"
#include "server/http_types.h"
#include "server/reply.h"
#include "server/service_context.h"

namespace licentia::server {

class RateLimiter;

struct ConsoleOptions {
  // Sessions last this long from sign-in.
  UnixSeconds session_seconds = 14 * kSecondsPerDay;
  // The Secure cookie attribute: set when the console is served over TLS.
  bool secure_cookies = false;
  // Failed sign-ins a minute, per client address and per account.
  double signin_failures_per_minute = 10;
  // Argon2id runs on this many threads.
  int hashing_threads = 1;
};

// How long a device connection code is valid.
constexpr UnixSeconds kConnectCodeSeconds = 10 * 60;

class ConsoleService {
 public:
  ConsoleService(ServiceContext& ctx, const CodeSealKey& seal_key,
                 ConsoleOptions options);
  ~ConsoleService();

  // Whether `path` is the console's: /console or below it.
  static bool IsConsolePath(std::string_view path);

  // Answers a request for a console path: a page, a file, or an API call.
  void Handle(const HttpRequest& request, const Responder& respond);
  // Its API's routes, as Router::List gives them.
  std::vector<std::string> Routes() const;

  // POST /v1/connect: {"connect_code", "fingerprint", "device_name", "os",
  // "app_version"} -> {"connection_token", "account", "codes_added"}.
  void ConnectDevice(std::string_view body, Reply reply);
  // POST /v1/disconnect: {"fingerprint", "connection_token"}.
  void DisconnectDevice(std::string_view body, Reply reply);
  // POST /v1/actions: {"fingerprint", "connection_token"} -> the device's
  // pending actions (server/device_actions.h).
  void TakeActions(std::string_view body, Reply reply);
  // POST /v1/actions/result: {"fingerprint", "connection_token", "id",
  // "error_code" (absent or "" when done), "message"}.
  void FinishAction(std::string_view body, Reply reply);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_CONSOLE_SERVICE_H_
