// Every endpoint licentiad serves (docs/api.md), in one table: its method
// and path, who may call it and the service call that answers it.
#ifndef LICENTIA_SERVER_ROUTES_H_
#define LICENTIA_SERVER_ROUTES_H_

#include <functional>
#include <string>
#include <vector>

#include "server/admin_service.h"
#include "server/console_service.h"
#include "server/device_service.h"
#include "server/http_types.h"
#include "server/reply.h"
#include "server/server_clock.h"
#include "store/store.h"

namespace licentia::server {

// Who may call a route: anyone, a device (rate-limited per address), or an
// admin (bearer token).
enum class Access { kPublic, kDevice, kAdmin };

using PathParams = std::vector<std::string>;
using RouteFn =
    std::function<void(const HttpRequest&, const PathParams&, Reply)>;

struct Route {
  std::string method;
  std::string pattern;  // "/v1/admin/codes/{}/block": {} captures a segment
  Access access;
  RouteFn fn;
  int success_status = 200;
  // Admin routes: the scope a token needs (admin_scopes.h).
  AdminScope scope = AdminScope::kRead;
};

// What the routes call. REQUIRES: every part outlives the routes.
struct RouteTargets {
  store::Store& store;
  ServerClock& clock;
  DeviceService& devices;
  AdminService& admin;
  ConsoleService& console;
};

// The table. The test-clock endpoint is there only with a manual clock.
std::vector<Route> LicentiaRoutes(const RouteTargets& t);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_ROUTES_H_
