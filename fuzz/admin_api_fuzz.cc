// Every admin route with hostile request targets, query values and bodies,
// through licentiad's own request handling (routing, authentication, the
// services, a real SQLite store) without its network listener. Found what
// this target now guards: GET /v1/admin/events?limit=0 killed the server.
//
// Properties: no crash; every answer is a JSON object; an error answer
// carries a known error code and a message; nothing a client sends is
// answered 500 (INTERNAL: the server's own fault).
#include <fuzzer/FuzzedDataProvider.h>
#include <stdlib.h>

#include <array>
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "answer_check.h"
#include "server/app.h"
#include "server/request_target.h"

namespace {

using licentia::server::HttpRequest;
using licentia::server::HttpResponse;
using licentia::server::InProcessServer;

struct Route {
  const char* method;
  const char* path;  // "{}" is replaced by a fuzzed segment
};

// Every admin route (app.cc), plus spellings that must match none.
constexpr std::array kRoutes = {
    Route{"GET", "/v1/admin/products"},
    Route{"POST", "/v1/admin/products"},
    Route{"GET", "/v1/admin/products/{}"},
    Route{"POST", "/v1/admin/products/{}/versions"},
    Route{"GET", "/v1/admin/codes"},
    Route{"POST", "/v1/admin/codes"},
    Route{"POST", "/v1/admin/codes/lookup"},
    Route{"GET", "/v1/admin/codes/{}"},
    Route{"POST", "/v1/admin/codes/{}/block"},
    Route{"POST", "/v1/admin/codes/{}/unblock"},
    Route{"POST", "/v1/admin/codes/{}/renew"},
    Route{"POST", "/v1/admin/codes/{}/suspend"},
    Route{"POST", "/v1/admin/codes/{}/resume"},
    Route{"POST", "/v1/admin/codes/{}/terms"},
    Route{"POST", "/v1/admin/batches/{}/terms"},
    Route{"POST", "/v1/admin/seats/sweep"},
    Route{"POST", "/v1/admin/webhooks"},
    Route{"GET", "/v1/admin/webhooks"},
    Route{"POST", "/v1/admin/webhooks/{}/disable"},
    Route{"GET", "/v1/admin/webhooks/{}/deliveries"},
    Route{"POST", "/v1/admin/webhooks/deliveries/{}/redeliver"},
    Route{"POST", "/v1/admin/tokens"},
    Route{"GET", "/v1/admin/tokens"},
    Route{"POST", "/v1/admin/tokens/{}/revoke"},
    Route{"GET", "/v1/admin/events"},
    Route{"POST", "/v1/admin/test/clock"},
    Route{"GET", "/metrics"},
    Route{"GET", "/healthz"},
    Route{"GET", "{}"},
    Route{"POST", "{}"},
};

std::string MakeTempDir() {
  std::string dir =
      (std::filesystem::temp_directory_path() / "licentia-admin-fuzz-XXXXXX")
          .string();
  if (::mkdtemp(dir.data()) == nullptr) __builtin_trap();
  return dir;
}

InProcessServer& Server() {
  static InProcessServer* server = [] {
    static std::string dir = MakeTempDir();
    std::atexit([] { std::filesystem::remove_all(dir); });
    licentia::server::ServerConfig config;
    config.data_dir = dir;
    config.test_clock = true;
    config.test_clock_start = 1800000000;
    config.log_requests = false;
    config.rate_limit_per_ip = 0;
    config.rate_limit_per_code = 0;
    config.rate_limit_admin_failures = 0;
    config.deliver_webhooks = false;  // no requests to fuzzed URLs
    auto opened = InProcessServer::Open(config);
    if (!opened.ok()) __builtin_trap();
    InProcessServer* s = opened->release();
    // Something for the routes to find: a product with codes.
    HttpRequest req;
    req.method = "POST";
    req.path = "/v1/admin/products";
    req.authorization = "Bearer " + s->admin_token();
    req.body = R"({"id":"p","name":"P","versions":["1.0"]})";
    if (s->Handle(req).status != 201) __builtin_trap();
    req.path = "/v1/admin/codes";
    req.body = R"({"product":"p","count":3,"max_devices":2})";
    if (s->Handle(req).status != 201) __builtin_trap();
    // Subscriptions to renew, suspend and sweep (codes 4 and 5).
    req.body = R"({"product":"p","count":2,"license_type":"subscription",)"
               R"("grace_days":3,"heartbeat_days":5})";
    if (s->Handle(req).status != 201) __builtin_trap();
    return s;
  }();
  return *server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  InProcessServer& server = Server();
  FuzzedDataProvider in(data, size);
  const Route& route =
      kRoutes[in.ConsumeIntegralInRange<size_t>(0, kRoutes.size() - 1)];
  std::string path = route.path;
  if (auto at = path.find("{}"); at != std::string::npos) {
    path.replace(at, 2, in.ConsumeRandomLengthString(24));
  }
  std::string query = in.ConsumeRandomLengthString(96);
  HttpRequest req;
  req.method = route.method;
  req.remote_address = "127.0.0.1";
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      req.authorization = in.ConsumeRandomLengthString(64);
      break;
    case 1:
      req.authorization = "Bearer " + in.ConsumeRandomLengthString(64);
      break;
    default:
      req.authorization = "Bearer " + server.admin_token();
  }
  req.body = in.ConsumeRemainingBytesAsString();
  std::string target = query.empty() ? path : path + "?" + query;
  if (!ParseRequestTarget(target, req)) return 0;  // the transport's 400
  licentia::fuzz::CheckAnswer(server.Handle(req));
  return 0;
}
