// Plain request/response values passed between the HTTP transport
// (http_server.cc, the only translation unit that includes Boost.Beast) and
// the application's handlers.
#ifndef LICENTIA_SERVER_HTTP_TYPES_H_
#define LICENTIA_SERVER_HTTP_TYPES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace licentia::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path, no query
  std::map<std::string, std::string, std::less<>> query;
  std::string body;
  std::string remote_address;
  std::string authorization;  // the Authorization header, or ""
};

struct HttpResponse {
  int status = 200;
  std::string body;
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
