// GET /metrics: the Prometheus text of the request metrics and of every
// counter licentiad's parts keep (store, key signer, transport).
#ifndef LICENTIA_SERVER_METRICS_PAGE_H_
#define LICENTIA_SERVER_METRICS_PAGE_H_

#include <string>

#include "server/http_types.h"
#include "server/key_signer.h"
#include "server/metrics.h"
#include "store/store.h"

namespace licentia::server {

// `waiting_devices`: devices waiting in POST /v1/wait now.
std::string MetricsPage(const Metrics& requests,
                        const store::Store::Stats& store,
                        const KeySigner::Stats& keys,
                        const TransportStats& transport,
                        std::int64_t waiting_devices);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_METRICS_PAGE_H_
