// What licentiad records of each answered request: the request metrics
// (per route and status, and the outcome of activations) and, unless
// turned off (--no-request-log), one JSON line on standard output.
//
// Thread-safe.
#ifndef LICENTIA_SERVER_REQUEST_LOG_H_
#define LICENTIA_SERVER_REQUEST_LOG_H_

#include <memory>

#include "server/http_types.h"
#include "server/metrics.h"

namespace spdlog {
class logger;
}

namespace licentia::server {

class RequestLog {
 public:
  // REQUIRES: `metrics` outlives this object.
  RequestLog(Metrics& metrics, bool log_lines);

  // Records `res`, the answer to `req`, which took `millis`.
  void Record(const HttpRequest& req, const HttpResponse& res, double millis);

 private:
  Metrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;  // null when lines are off
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_REQUEST_LOG_H_
