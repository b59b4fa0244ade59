// The HTTP/1.1 transport: Boost.Beast on Asio with C++20 coroutines, on a
// few network threads. Handlers answer asynchronously: a request waiting for
// a durable commit holds no thread, so many writes can wait on one group
// commit while the network threads keep serving.
//
// Requests with a body larger than max_body_bytes are answered 413
// PAYLOAD_TOO_LARGE and the connection is closed; unparsable requests get
// 400 INVALID_REQUEST and the connection is closed too, since where the next
// request would begin is unknown (RFC 9112 section 6.3: a Transfer-Encoding
// whose last coding is not chunked, or one beside a Content-Length).
// Request targets are passed on as sent (still percent-encoded): the router
// matches them literally, so every route has exactly one spelling.
// Keep-alive is supported.
//
// Connections are capped in total and per client address; a connection
// beyond a cap is answered 503 UNAVAILABLE (total) or 429 RATE_LIMITED (its
// address) and closed. When accept() fails for want of file descriptors or
// memory, accepting pauses (10 ms, doubling to 1 s) instead of spinning.
#ifndef LICENTIA_SERVER_HTTP_SERVER_H_
#define LICENTIA_SERVER_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "server/http_types.h"

namespace licentia::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8470;  // 0 picks a free port
  int io_threads = 2;
  std::size_t max_body_bytes = 64 * 1024;
  int idle_timeout_seconds = 60;
  int max_connections = 10000;
  int max_connections_per_address = 256;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler handler,
             CompletionHook on_complete);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Returns the bound port. kUnavailable if the address
  // cannot be bound.
  Result<std::uint16_t> Listen();

  // Called once when the server begins to stop (SIGTERM/SIGINT or Stop()),
  // before it waits for the requests in progress: the application answers
  // requests that would otherwise wait (long polls). On a network thread;
  // must not wait on a network thread. REQUIRES: before Run.
  void OnStopping(std::function<void()> hook);

  // Serves until SIGTERM/SIGINT or Stop(); then stops accepting, lets
  // requests in progress finish (up to a few seconds) and returns.
  void Run();
  // Thread-safe.
  void Stop();
  // Thread-safe.
  TransportStats GetStats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_HTTP_SERVER_H_
