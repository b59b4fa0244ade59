// Every console route, and the device calls that connect devices and take
// up their actions, with hostile paths, cookies, CSRF headers and bodies,
// through licentiad's own request handling (routing, sessions, the
// services, a real SQLite store) without its network listener.
//
// Properties: no crash; every API answer is a JSON object; an error answer
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

constexpr std::array kRoutes = {
    Route{"POST", "/console/api/signup"},
    Route{"POST", "/console/api/signin"},
    Route{"GET", "/console/api/session"},
    Route{"POST", "/console/api/signout"},
    Route{"POST", "/console/api/password"},
    Route{"POST", "/console/api/second-factor/setup"},
    Route{"POST", "/console/api/second-factor/enable"},
    Route{"POST", "/console/api/second-factor/disable"},
    Route{"POST", "/console/api/connect-codes"},
    Route{"GET", "/console/api/devices"},
    Route{"POST", "/console/api/devices/{}/disconnect"},
    Route{"POST", "/console/api/devices/{}/actions"},
    Route{"POST", "/console/api/codes"},
    Route{"GET", "/console/api/licenses"},
    Route{"GET", "/console/api/licenses/{}/code"},
    Route{"POST", "/console/api/licenses/{}/invitations"},
    Route{"POST", "/console/api/licenses/{}/reserve-everywhere"},
    Route{"GET", "/console/api/invitations"},
    Route{"POST", "/console/api/invitations/{}/accept"},
    Route{"POST", "/console/api/invitations/{}/revoke"},
    Route{"GET", "/console/api/events"},
    Route{"GET", "/console/{}"},
    Route{"POST", "/v1/connect"},
    Route{"POST", "/v1/disconnect"},
    Route{"POST", "/v1/actions"},
    Route{"POST", "/v1/actions/result"},
};

std::string MakeTempDir() {
  std::string dir =
      (std::filesystem::temp_directory_path() / "licentia-console-fuzz-XXXXXX")
          .string();
  if (::mkdtemp(dir.data()) == nullptr) __builtin_trap();
  return dir;
}

struct Fixture {
  InProcessServer* server = nullptr;
  std::string cookie;  // a signed-in session's Cookie header
  std::string csrf;    // its CSRF token
};

Fixture& Setup() {
  static Fixture* fixture = [] {
    static std::string dir = MakeTempDir();
    std::atexit([] { std::filesystem::remove_all(dir); });
    licentia::server::ServerConfig config;
    config.data_dir = dir;
    config.test_clock = true;
    config.test_clock_start = 1800000000;
    config.log_requests = false;
    config.rate_limit_per_ip = 0;
    config.rate_limit_per_code = 0;
    // Sign-ins and sign-ups stay limited (their default): each costs an
    // Argon2id hash, and most fuzzed ones are then answered at once.
    config.deliver_webhooks = false;  // no requests to fuzzed URLs
    auto opened = InProcessServer::Open(config);
    if (!opened.ok()) __builtin_trap();
    auto* f = new Fixture;
    f->server = opened->release();
    HttpRequest req;
    req.method = "POST";
    req.path = "/console/api/signup";
    req.remote_address = "10.0.0.1";
    req.csrf_token = "x";
    req.body = R"({"email":"fuzz@example.com","password":"correct horse"})";
    HttpResponse res = f->server->Handle(req);
    if (res.status != 201) __builtin_trap();
    for (const auto& [k, v] : res.headers) {
      if (k == "Set-Cookie") f->cookie = v.substr(0, v.find(';'));
    }
    boost::json::value body = boost::json::parse(res.body);
    f->csrf = std::string(body.at("csrf_token").as_string());
    // Something for the routes to find: a product, a code in the account.
    req.path = "/v1/admin/products";
    req.csrf_token.clear();
    req.authorization = "Bearer " + f->server->admin_token();
    req.body = R"({"id":"p","name":"P","versions":["1.0"]})";
    if (f->server->Handle(req).status != 201) __builtin_trap();
    return f;
  }();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  Fixture& f = Setup();
  FuzzedDataProvider in(data, size);
  const Route& route =
      kRoutes[in.ConsumeIntegralInRange<size_t>(0, kRoutes.size() - 1)];
  std::string path = route.path;
  if (auto at = path.find("{}"); at != std::string::npos) {
    path.replace(at, 2, in.ConsumeRandomLengthString(24));
  }
  HttpRequest req;
  req.method = route.method;
  req.remote_address = "127.0.0.1";
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:
      req.cookie = in.ConsumeRandomLengthString(96);
      req.csrf_token = in.ConsumeRandomLengthString(70);
      break;
    case 1:
      req.cookie = f.cookie;
      req.csrf_token = in.ConsumeRandomLengthString(70);
      break;
    default:
      req.cookie = f.cookie;
      req.csrf_token = f.csrf;
  }
  req.body = in.ConsumeRemainingBytesAsString();
  if (!ParseRequestTarget(path, req)) return 0;  // the transport's 400
  licentia::fuzz::CheckAnswer(f.server->Handle(req));
  return 0;
}
