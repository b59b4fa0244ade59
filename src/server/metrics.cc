#include "server/metrics.h"

#include <fmt/format.h>

namespace licentia::server {

void Metrics::Observe(std::string_view route, int status, double seconds) {
  MutexLock lock(mu_);
  auto it = routes_.find(route);  // no allocation for a route seen before
  if (it == routes_.end()) it = routes_.emplace(route, RouteStats{}).first;
  RouteStats& r = it->second;
  ++r.by_status[status];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++r.buckets[i];
  }
  ++r.count;
  r.sum += seconds;
}

void Metrics::Count(std::string_view name, std::string_view outcome) {
  MutexLock lock(mu_);
  ++outcomes_[{std::string(name), std::string(outcome)}];
}

std::string Metrics::Render(std::span<const MetricSample> extra) const {
  MutexLock lock(mu_);
  std::string out;
  out +=
      "# HELP licentia_http_requests_total HTTP requests by route and "
      "status.\n# TYPE licentia_http_requests_total counter\n";
  for (const auto& [route, r] : routes_) {
    for (const auto& [status, n] : r.by_status) {
      out += fmt::format(
          "licentia_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
          route, status, n);
    }
  }
  out +=
      "# HELP licentia_http_request_duration_seconds Time to handle a "
      "request.\n# TYPE licentia_http_request_duration_seconds "
      "histogram\n";
  for (const auto& [route, h] : routes_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format(
          "licentia_http_request_duration_seconds_bucket{{route=\"{}\",le=\""
          "{}\"}} {}\n",
          route, kBuckets[i], h.buckets[i]);
    }
    out += fmt::format(
        "licentia_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+"
        "Inf\"}} {}\n",
        route, h.count);
    out += fmt::format(
        "licentia_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n",
        route, h.sum);
    out += fmt::format(
        "licentia_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
        route, h.count);
  }
  out +=
      "# HELP licentia_outcomes_total Domain outcomes (activations by "
      "result code).\n# TYPE licentia_outcomes_total counter\n";
  for (const auto& [key, n] : outcomes_) {
    out += fmt::format(
        "licentia_outcomes_total{{operation=\"{}\",outcome=\"{}\"}} {}\n",
        key.first, key.second, n);
  }
  for (const MetricSample& m : extra) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", m.name,
                       m.help, m.type, m.value);
  }
  return out;
}

}  // namespace licentia::server
