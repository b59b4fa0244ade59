#include "server/request_log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/clock.h"

namespace licentia::server {

RequestLog::RequestLog(Metrics& metrics, bool log_lines) : metrics_(metrics) {
  if (!log_lines) return;
  log_ = spdlog::get("requests");
  if (!log_) log_ = spdlog::stdout_logger_mt("requests");
  log_->set_pattern("%v");
}

void RequestLog::Record(const HttpRequest& req, const HttpResponse& res,
                        double ms) {
  metrics_.Observe(res.route, res.status, ms / 1000.0);
  if (res.route == "/v1/activate") {
    metrics_.Count("activate", res.error_code.empty() ? "OK" : res.error_code);
  }
  if (!log_) return;
  boost::json::object line{
      {"ts", FormatTimestamp(SystemClock().Now())},
      {"method", req.method},
      {"path", req.path},
      {"route", res.route},
      {"status", res.status},
      {"ms", static_cast<double>(static_cast<int>(ms * 1000)) / 1000},
      {"remote", req.remote_address}};
  if (!res.error_code.empty()) line["error"] = res.error_code;
  log_->info(boost::json::serialize(line));
}

}  // namespace licentia::server
