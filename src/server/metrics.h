// Request metrics in the Prometheus text exposition format. Thread-safe.
#ifndef LICENTIA_SERVER_METRICS_H_
#define LICENTIA_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/mutex.h"

namespace licentia::server {

// A value owned by another part (the store, the key signer, the
// transport), exposed beside the request metrics.
struct MetricSample {
  std::string_view name;  // e.g. "licentia_store_commits_total"
  std::string_view help;
  std::string_view type;  // "counter" or "gauge"
  std::int64_t value = 0;
};

class Metrics {
 public:
  // Upper bounds, in seconds, of the request duration histogram buckets.
  static constexpr std::array<double, 10> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};

  // `route` is the route pattern (bounded cardinality), never the raw path.
  void Observe(std::string_view route, int status, double seconds);
  // Domain outcomes, e.g. Count("activations", "DEVICE_LIMIT_REACHED").
  void Count(std::string_view name, std::string_view outcome);

  // The exposition text: the request metrics, then `extra`.
  std::string Render(std::span<const MetricSample> extra) const;

 private:
  struct RouteStats {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
    std::map<int, std::uint64_t> by_status;
  };
  mutable Mutex mu_;
  std::map<std::string, RouteStats, std::less<>> routes_ GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, std::uint64_t> outcomes_
      GUARDED_BY(mu_);
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_METRICS_H_
