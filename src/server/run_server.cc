// licentiad serving: the Application behind the HTTP transport. The only
// part of the server that needs Boost.Beast (through http_server.h), kept
// apart so that the rest builds and fuzzes without it.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>

#include "server/app.h"
#include "server/http_server.h"

namespace licentia::server {
namespace {

Result<std::pair<std::string, std::uint16_t>> ParseListen(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    return Status(ErrorCode::kInvalidRequest,
                  "--listen must be HOST:PORT, e.g. 127.0.0.1:8470.");
  }
  std::string host(s.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto ps = s.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
  if (ec != std::errc() || ptr != ps.data() + ps.size() || port > 65535) {
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("'{}' is not a port number.", ps));
  }
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

int Fail(const Status& st) {
  fmt::print(stderr, "licentiad: {}\n", st.ToString());
  return 1;
}

// Written whole then renamed, so a reader never sees a partial number.
Status WritePortFile(const std::string& path, std::uint16_t port) {
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return Status(ErrorCode::kIoError,
                  fmt::format("Cannot write {}: {}.", path, ec.message()));
  }
  return Status::Ok();
}

}  // namespace

int RunServer(const ServerConfig& config) {
  auto listen = ParseListen(config.listen);
  if (!listen.ok()) return Fail(listen.status());
  auto app = Application::Open(config);
  if (!app.ok()) return Fail(app.status());
  Application& application = **app;
  HttpServerOptions options;
  options.host = listen->first;
  options.port = listen->second;
  options.io_threads = std::max(1, config.io_threads);
  options.max_body_bytes = static_cast<std::size_t>(config.max_body_bytes);
  options.max_connections = config.max_connections;
  options.max_connections_per_address = config.max_connections_per_address;
  HttpServer server(
      options,
      [&application](const HttpRequest& req, Responder respond) {
        application.Handle(req, respond);
      },
      [&application](const HttpRequest& req, const HttpResponse& res,
                     double ms) { application.OnComplete(req, res, ms); });
  application.SetTransportStats([&server] { return server.GetStats(); });
  // Devices waiting for changes are answered before the server waits for
  // the requests in progress.
  server.OnStopping([&application] { application.AnswerWaitingDevices(); });
  auto port = server.Listen();
  if (!port.ok()) return Fail(port.status());
  if (!config.port_file.empty()) {
    if (Status st = WritePortFile(config.port_file, *port); !st.ok()) {
      return Fail(st);
    }
  }
  spdlog::info("licentiad listening on {}:{} (database {}, data {}{})",
               options.host, *port, application.DatabaseUrl(), config.data_dir,
               config.test_clock ? ", TEST CLOCK ENABLED" : "");
  server.Run();
  // Answers writes still queued while the network threads' context exists.
  application.Shutdown();
  spdlog::info("licentiad stopped");
  return 0;
}

}  // namespace licentia::server
