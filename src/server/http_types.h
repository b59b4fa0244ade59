// Plain request/response values passed between the HTTP transport
// (http_server.cc, the only translation unit that includes Boost.Beast) and
// the application's handlers.
#ifndef LICENTIA_SERVER_HTTP_TYPES_H_
#define LICENTIA_SERVER_HTTP_TYPES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "server/admin_scopes.h"

namespace licentia::server {

// Tells a handler that its client closed the connection before it was
// answered (a device that gave up its long poll), so that what the request
// holds is let go at once rather than at its timeout. Thread-safe.
class ClientGone {
 public:
  // Calls `f` once when the client goes: on a network thread, or at once
  // on the caller's if it has gone already. One subscriber; a later call
  // replaces an earlier one that has not run.
  void OnGone(std::function<void()> f) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    if (!gone_) {
      subscriber_ = std::move(f);
      return;
    }
    lock.Unlock();
    f();
  }
  // Forgets the subscriber of an earlier request on the same connection:
  // one ClientGone serves a connection's requests in turn.
  void Reset() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    subscriber_ = nullptr;
  }
  // Whether a handler asked to hear of it: only then does the transport
  // watch the connection while the answer is late.
  bool Watched() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return static_cast<bool>(subscriber_);
  }
  // The transport saw the connection close. Runs the subscriber, once.
  void Fire() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    if (gone_) return;
    gone_ = true;
    std::function<void()> f = std::move(subscriber_);
    lock.Unlock();
    if (f) f();
  }

 private:
  Mutex mu_;
  bool gone_ GUARDED_BY(mu_) = false;
  std::function<void()> subscriber_ GUARDED_BY(mu_);
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path, no query
  std::map<std::string, std::string, std::less<>> query;
  std::string body;
  std::string remote_address;
  std::string authorization;  // the Authorization header, or ""
  // The console's headers (server/console_service.h), or "".
  std::string cookie;      // Cookie
  std::string csrf_token;  // X-Licentia-CSRF
  // The admin token that made the request, once authenticated (app.cc).
  std::optional<AdminCaller> admin;
  // Set by the transport for every request; null where no connection
  // stands behind the request (tests, fuzzing).
  std::shared_ptr<ClientGone> client_gone;
};

// A response body produced piece by piece (an export of millions of rows),
// sent with chunked transfer encoding as the pieces come, so that no more
// than one piece is held at a time.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Produces the next piece and calls `done` with it, at once or later
  // from any thread: `more` false ends the body after `piece`. A piece
  // that cannot be made ends the transfer without its last chunk, which
  // clients report as an incomplete response (the status was sent
  // already). Called again only after `done`.
  virtual void Next(
      std::function<void(Result<std::string> piece, bool more)> done) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  // If set, the body is this stream instead of `body`.
  std::shared_ptr<BodyStream> stream;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // For the request log and metrics only; never sent.
  std::string route;       // the matched route pattern, e.g. "/v1/activate"
  std::string error_code;  // the stable error code of an error response
};

// What the transport counts, for /metrics.
struct TransportStats {
  std::int64_t open_connections = 0;
  std::uint64_t refused_connections = 0;  // over a connection cap
  std::uint64_t accept_errors = 0;        // failed accept() calls
};

// Builds the response; runs on a network thread.
using ResponseMaker = std::function<HttpResponse()>;
// Delivers the response for one request. Thread-safe; call exactly once.
using Responder = std::function<void(ResponseMaker)>;
// Handles a request, answering through the Responder now or later (from any
// thread). `request` stays valid until the Responder is called. Must not
// throw; HttpServer turns an escaping exception into a 500 anyway.
using RequestHandler =
    std::function<void(const HttpRequest& request, Responder respond)>;
// Called once per response, for the request log and metrics.
using CompletionHook =
    std::function<void(const HttpRequest&, const HttpResponse&, double millis)>;

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_HTTP_TYPES_H_
