#include "server/metrics_page.h"

#include <fmt/format.h>

#include <vector>

namespace licentia::server {

std::string MetricsPage(const Metrics& requests,
                        const store::Store::Stats& store,
                        const KeySigner::Stats& keys,
                        const TransportStats& transport,
                        std::int64_t waiting_devices) {
  auto count = [](std::uint64_t n) { return static_cast<std::int64_t>(n); };
  std::vector<MetricSample> samples = {
      {"licentia_store_commits_total", "Durable database commits.", "counter",
       count(store.commits)},
      {"licentia_store_transactions_total",
       "Write transactions committed (several share one commit).", "counter",
       count(store.transactions)},
      {"licentia_license_keys_total", "License keys signed.", "counter",
       count(keys.keys)},
      {"licentia_key_signatures_total",
       "Ed25519 signatures made for license keys (one per batch in "
       "format 2).",
       "counter", count(keys.signatures)},
      {"licentia_open_connections", "Client connections open now.", "gauge",
       transport.open_connections},
      {"licentia_refused_connections_total",
       "Connections refused over the total or per-address cap.", "counter",
       count(transport.refused_connections)},
      {"licentia_waiting_devices",
       "Devices waiting in POST /v1/wait for a change to what they hold.",
       "gauge", waiting_devices},
      {"licentia_accept_errors_total",
       "Failed accept() calls (e.g. out of file descriptors).", "counter",
       count(transport.accept_errors)},
  };
  // The backend's own counters, named after it.
  std::vector<std::string> names;
  names.reserve(store.engine.size());
  for (const auto& c : store.engine) {
    names.push_back(fmt::format("licentia_store_{}_total", c.name));
    samples.push_back({names.back(), c.help, "counter", count(c.value)});
  }
  return requests.Render(samples);
}

}  // namespace licentia::server
