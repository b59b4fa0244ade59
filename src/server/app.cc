#include "server/app.h"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <cassert>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/http_status.h"
#include "server/admin_service.h"
#include "server/device_service.h"
#include "server/json_fields.h"
#include "server/key_signer.h"
#include "server/metrics.h"
#include "server/printable_text.h"
#include "server/rate_limiter.h"
#include "server/reply.h"
#include "server/router.h"
#include "server/secrets.h"
#include "store/store.h"

namespace licentia::server {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace {

enum class Access { kPublic, kDevice, kAdmin };

using PathParams = std::vector<std::string>;
using RouteFn =
    std::function<void(const HttpRequest&, const PathParams&, Reply)>;
using SyncRouteFn =
    std::function<Result<json::object>(const HttpRequest&, const PathParams&)>;

// What the App does for one endpoint; router_ finds it from the method and
// path (the method is kept there only).
struct Route {
  std::string pattern;  // "/v1/admin/codes/{}/block": {} captures a segment
  Access access;
  RouteFn fn;
  int success_status = 200;
};

// A route answered on the spot (reads: SQLite reads take microseconds).
RouteFn Sync(SyncRouteFn fn) {
  return [fn = std::move(fn)](const HttpRequest& r, const PathParams& p,
                              Reply reply) { ReplyNow(reply, fn(r, p)); };
}

HttpResponse JsonResponse(int status, const json::object& body) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

HttpResponse ErrorResponse(const Status& st) {
  HttpResponse r = JsonResponse(
      HttpStatusFor(st.code()),
      json::object{
          {"error", json::object{{"code", ErrorCodeName(st.code())},
                                 {"message", PrintableText(st.message())}}}});
  r.error_code = std::string(ErrorCodeName(st.code()));
  if (st.code() == ErrorCode::kRateLimited ||
      (st.code() == ErrorCode::kUnavailable && st.retry_after_seconds() > 0)) {
    // The limiter's own wait; 60 only where nothing better is known.
    int wait = st.retry_after_seconds() > 0 ? st.retry_after_seconds() : 60;
    r.headers.emplace_back("Retry-After", std::to_string(wait));
  }
  if (st.code() == ErrorCode::kUnauthorized) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return r;
}

// The time source for domain rules: the real clock, or in test mode a clock
// that only moves through the admin test endpoint.
class ServerClock final : public Clock {
 public:
  explicit ServerClock(std::optional<UnixSeconds> manual_start) {
    if (manual_start) manual_.emplace(*manual_start);
  }
  UnixSeconds Now() const override {
    return manual_ ? manual_->Now() : system_.Now();
  }
  ManualClock* manual() { return manual_ ? &*manual_ : nullptr; }

 private:
  SystemClock system_;
  std::optional<ManualClock> manual_;
};

class App {
 public:
  App(const ServerConfig& config, std::unique_ptr<store::Store> store,
      ServerSecrets secrets)
      : config_(config),
        key_signer_(std::make_unique<KeySigner>(secrets.signer,
                                                config.license_key_format == 1
                                                    ? KeyFormat::kSingle
                                                    : KeyFormat::kBatch)),
        store_(std::move(store)),
        clock_(config.test_clock
                   ? std::optional<UnixSeconds>(
                         config.test_clock_start.value_or(SystemClock().Now()))
                   : std::nullopt),
        ctx_{*store_, clock_, *key_signer_,
             crypto::PreparedHmac(secrets.code_pepper)},
        per_ip_(config.rate_limit_per_ip, config.rate_limit_per_ip / 6 + 10),
        per_code_(config.rate_limit_per_code,
                  config.rate_limit_per_code / 6 + 5),
        admin_failures_(config.rate_limit_admin_failures,
                        config.rate_limit_admin_failures / 2 + 1),
        devices_(ctx_, per_code_),
        admin_(ctx_),
        log_(spdlog::stdout_logger_mt("requests")) {
    log_->set_pattern("%v");
    // The keys a batch of writes decided are signed on the store's writer
    // right after the batch commits (server/key_signer.h).
    store_->SetAfterWrites(
        [signer = key_signer_.get()] { signer->SignQueued(); });
    BuildRoutes();
  }

  void Handle(const HttpRequest& req, const Responder& respond) {
    // /metrics is not a JSON route: its answer is the Prometheus text.
    if (req.method == "GET" && req.path == "/metrics") {
      HttpResponse r;
      r.body = MetricsText();
      r.content_type = "text/plain; version=0.0.4";
      r.route = "/metrics";
      respond([r] { return r; });
      return;
    }
    Router::Match match = router_.Find(req.method, req.path);
    if (match.outcome != Router::Outcome::kFound) {
      HttpResponse res = ErrorResponse(
          match.outcome == Router::Outcome::kWrongMethod
              ? Status(ErrorCode::kMethodNotAllowed,
                       fmt::format("{} is not allowed on {}.",
                                   req.method.substr(0, 10),
                                   req.path.substr(0, 100)))
              : Status(ErrorCode::kNotFound,
                       "There is no such endpoint; see docs/api.md."));
      res.route = "(unmatched)";
      respond([res] { return res; });
      return;
    }
    const Route* found = &routes_[match.route];
    PathParams params = std::move(match.params);
    // Routes live as long as the App, which outlives every request.
    Reply reply = [respond, status = found->success_status,
                   route = std::string_view(found->pattern)](ResultMaker make) {
      respond([make = std::move(make), status, route] {
        Result<JsonBody> result = make();
        HttpResponse res;
        if (result.ok()) {
          res.status = status;
          res.body = std::move(*result).Serialize();
        } else {
          res = ErrorResponse(result.status());
        }
        res.route = route;
        return res;
      });
    };
    if (found->access == Access::kAdmin) {
      // The token lookup is a database read: on PostgreSQL it runs on the
      // store's threads, never holding a network thread, and so does the
      // route (an admin read) that follows it.
      Authenticate(req, [&req, fn = &found->fn, params = std::move(params),
                         reply](Status st) {
        if (!st.ok()) return ReplyNow(reply, std::move(st));
        (*fn)(req, params, reply);
      });
      return;
    }
    if (Status st = Admit(*found, req); !st.ok()) {
      ReplyNow(reply, st);
      return;
    }
    found->fn(req, params, std::move(reply));
  }

  // Joins the store's threads; pending writes are answered first (with
  // their keys, signed by the store's after-writes hook), then anything the
  // signer still holds is answered.
  void Shutdown() {
    store_.reset();
    key_signer_.reset();
  }

  void OnComplete(const HttpRequest& req, const HttpResponse& res, double ms) {
    metrics_.Observe(res.route, res.status, ms / 1000.0);
    if (res.route == "/v1/activate") {
      metrics_.Count("activate",
                     res.error_code.empty() ? "OK" : res.error_code);
    }
    if (!config_.log_requests) return;
    json::object line{
        {"ts", FormatTimestamp(SystemClock().Now())},
        {"method", req.method},
        {"path", req.path},
        {"route", res.route},
        {"status", res.status},
        {"ms", static_cast<double>(static_cast<int>(ms * 1000)) / 1000},
        {"remote", req.remote_address}};
    if (!res.error_code.empty()) line["error"] = res.error_code;
    log_->info(json::serialize(line));
  }

 private:
  Status Admit(const Route& route, const HttpRequest& req) {
    if (route.access != Access::kDevice) return Status::Ok();
    if (int wait = per_ip_.Acquire(req.remote_address)) {
      return TooManyRequests("Too many requests from this address", wait);
    }
    return Status::Ok();
  }

  // Calls `then` with OK if the request carries a valid admin token, at
  // once or later from a store thread. Failed attempts count against the
  // client's address; an address over its budget is refused before its
  // token is looked at, so guessing tokens gains nothing.
  void Authenticate(const HttpRequest& req, std::function<void(Status)> then) {
    if (int wait = admin_failures_.Check(req.remote_address)) {
      return then(TooManyRequests(
          "Too many failed admin sign-ins from this address", wait));
    }
    auto refuse = [this, address = req.remote_address](Status st) {
      admin_failures_.Charge(address);
      return st;
    };
    constexpr std::string_view kBearer = "Bearer ";
    std::string_view auth = req.authorization;
    if (!auth.starts_with(kBearer) || auth.size() > 200) {
      return then(refuse(Status(ErrorCode::kUnauthorized,
                                "This endpoint needs an admin token: send "
                                "'Authorization: Bearer <token>'.")));
    }
    crypto::Hash hash = crypto::Blake2b(auth.substr(kBearer.size()));
    auto exists = std::make_shared<bool>(false);
    store_->ReadAsync(
        [hash, exists](store::Transaction& txn) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(*exists, txn.AdminTokenExists(hash));
          return Status::Ok();
        },
        [exists, refuse, then = std::move(then)](Status st) {
          if (st.ok() && !*exists) {
            st = refuse(Status(ErrorCode::kUnauthorized,
                               "The admin token is not valid."));
          }
          then(std::move(st));
        });
  }

  void Add(std::string method, std::string pattern, Access access, RouteFn fn,
           int success = 200) {
    [[maybe_unused]] size_t index = router_.Add(std::move(method), pattern);
    assert(index == routes_.size());
    routes_.push_back({std::move(pattern), access, std::move(fn), success});
  }

  void BuildRoutes() {
    // Adapters from a service method taking the body to a route.
    auto read = [](auto method) {
      return Sync([method](const HttpRequest& r, const PathParams&) {
        return method(r.body);
      });
    };
    // A route for `service.*method(body, reply)`.
    auto with_body = [](auto& service, auto method) -> RouteFn {
      return [&service, method](const HttpRequest& r, const PathParams&,
                                Reply reply) {
        (service.*method)(r.body, std::move(reply));
      };
    };
    Add("GET", "/healthz", Access::kPublic,
        [this](const HttpRequest&, const PathParams&, Reply reply) {
          // A store that can no longer make writes durable is not healthy
          // even though it still answers reads: a load balancer should
          // send devices elsewhere.
          if (Status writable = store_->WriteHealth(); !writable.ok()) {
            ReplyNow(reply,
                     Status(ErrorCode::kUnavailable, writable.message()));
            return;
          }
          ReadAndReply(
              *store_,
              [](store::Transaction& txn) {
                return txn.CountAdminTokens().status();
              },
              []() -> Result<json::object> {
                return json::object{{"status", "ok"}};
              },
              std::move(reply));
        });
    Add("GET", "/v1/ping", Access::kPublic,
        Sync([this](const HttpRequest&,
                    const PathParams&) -> Result<json::object> {
          return json::object{{"server_time", clock_.Now()}};
        }));
    Add("POST", "/v1/activate", Access::kDevice,
        with_body(devices_, &DeviceService::Activate));
    Add("POST", "/v1/deactivate", Access::kDevice,
        with_body(devices_, &DeviceService::Deactivate));
    Add("POST", "/v1/status", Access::kDevice,
        with_body(devices_, &DeviceService::LicenseStatus));
    Add("POST", "/v1/time", Access::kDevice,
        Sync([this](const HttpRequest& r, const PathParams&) {
          return devices_.AttestTime(r.body);
        }));
    Add("POST", "/v1/reserve/check", Access::kDevice,
        with_body(devices_, &DeviceService::CheckReserve));
    Add("POST", "/v1/reserve/register", Access::kDevice,
        with_body(devices_, &DeviceService::RegisterReserve));
    Add("POST", "/v1/reserve/unregister", Access::kDevice,
        with_body(devices_, &DeviceService::UnregisterReserve));

    Add("POST", "/v1/admin/products", Access::kAdmin,
        with_body(admin_, &AdminService::CreateProduct), 201);
    Add("GET", "/v1/admin/products", Access::kAdmin,
        Sync([this](const HttpRequest&, const PathParams&) {
          return admin_.ListProducts();
        }));
    Add("GET", "/v1/admin/products/{}", Access::kAdmin,
        Sync([this](const HttpRequest&, const PathParams& p) {
          return admin_.GetProduct(p[0]);
        }));
    Add(
        "POST", "/v1/admin/products/{}/versions", Access::kAdmin,
        [this](const HttpRequest& r, const PathParams& p, Reply reply) {
          admin_.AddVersion(p[0], r.body, std::move(reply));
        },
        201);
    Add("POST", "/v1/admin/codes", Access::kAdmin,
        with_body(admin_, &AdminService::IssueCodes), 201);
    Add("GET", "/v1/admin/codes", Access::kAdmin,
        Sync([this](const HttpRequest& r, const PathParams&) {
          return admin_.ListCodes(r.query);
        }));
    Add("POST", "/v1/admin/codes/lookup", Access::kAdmin,
        read([this](std::string_view b) { return admin_.LookupCode(b); }));
    Add("GET", "/v1/admin/codes/{}", Access::kAdmin,
        Sync([this](const HttpRequest&, const PathParams& p) {
          return admin_.GetCode(p[0]);
        }));
    for (bool block : {true, false}) {
      Add("POST",
          block ? "/v1/admin/codes/{}/block" : "/v1/admin/codes/{}/unblock",
          Access::kAdmin,
          [this, block](const HttpRequest& r, const PathParams& p,
                        Reply reply) {
            admin_.SetBlocked(p[0], r.body, block, std::move(reply));
          });
    }
    Add("GET", "/v1/admin/events", Access::kAdmin,
        Sync([this](const HttpRequest& r, const PathParams&) {
          return admin_.ListEvents(r.query);
        }));
    if (clock_.manual()) {
      Add("POST", "/v1/admin/test/clock", Access::kAdmin,
          read([this](std::string_view b) { return SetTestClock(b); }));
    }
  }

  Result<json::object> SetTestClock(std::string_view body) {
    LICENTIA_ASSIGN_OR_RETURN(
        JsonFields f,
        JsonFields::Parse(body, {"now", "advance_seconds", "advance_days"}));
    LICENTIA_ASSIGN_OR_RETURN(auto now, f.OptDate("now"));
    LICENTIA_ASSIGN_OR_RETURN(
        auto secs, f.OptInt("advance_seconds", 0, 100LL * 365 * 86400));
    LICENTIA_ASSIGN_OR_RETURN(auto days,
                              f.OptInt("advance_days", 0, 100 * 365));
    ManualClock& clock = *clock_.manual();
    if (now) clock.Set(*now);
    if (secs) clock.Advance(*secs);
    if (days) clock.Advance(*days * kSecondsPerDay);
    return json::object{{"now", clock.Now()},
                        {"now_text", FormatTimestamp(clock.Now())}};
  }

  const ServerConfig& config_;
  // Before the store: a write the store answers while it shuts down may
  // still hand a key to the signer.
  std::unique_ptr<KeySigner> key_signer_;
  std::unique_ptr<store::Store> store_;
  ServerClock clock_;
  ServiceContext ctx_;
  RateLimiter per_ip_;
  RateLimiter per_code_;
  RateLimiter admin_failures_;  // failed admin authentications per address
  DeviceService devices_;
  AdminService admin_;
  Metrics metrics_;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<Route> routes_;  // indexed as router_ numbers them
  Router router_;

 public:
  std::string MetricsText() {
    auto stats = store_->GetStats();
    auto keys = key_signer_->GetStats();
    TransportStats transport =
        transport_stats_ ? transport_stats_() : TransportStats{};
    auto count = [](std::uint64_t n) { return static_cast<std::int64_t>(n); };
    const MetricSample extra[] = {
        {"licentia_store_commits_total", "Durable database commits.", "counter",
         count(stats.commits)},
        {"licentia_store_transactions_total",
         "Write transactions committed (several share one commit).", "counter",
         count(stats.transactions)},
        {"licentia_license_keys_total", "License keys signed.", "counter",
         count(keys.keys)},
        {"licentia_key_signatures_total",
         "Ed25519 signatures made for license keys (one per batch in "
         "format 2).",
         "counter", count(keys.signatures)},
        {"licentia_store_checkpoints_total",
         "SQLite: checkpoints that copied the write-ahead log into the "
         "database.",
         "counter", count(stats.checkpoints)},
        {"licentia_store_wal_restarts_total",
         "SQLite: commits that began the write-ahead log again from its "
         "start (one per checkpoint when all is well).",
         "counter", count(stats.wal_restarts)},
        {"licentia_open_connections", "Client connections open now.", "gauge",
         transport.open_connections},
        {"licentia_refused_connections_total",
         "Connections refused over the total or per-address cap.", "counter",
         count(transport.refused_connections)},
        {"licentia_accept_errors_total",
         "Failed accept() calls (e.g. out of file descriptors).", "counter",
         count(transport.accept_errors)},
    };
    return metrics_.Render(extra);
  }

  // Where MetricsText reads the transport's counters. REQUIRES: called
  // before requests are served.
  void SetTransportStats(std::function<TransportStats()> source) {
    transport_stats_ = std::move(source);
  }

 private:
  std::function<TransportStats()> transport_stats_;

 public:
};

std::string DatabaseUrl(const ServerConfig& config) {
  if (!config.database.empty()) return config.database;
  return "sqlite://" + (fs::absolute(config.data_dir) / "licentia.db").string();
}

// Creates an admin token, stores its hash and returns the plaintext.
Result<std::string> NewAdminToken(store::Store& store, std::string_view name) {
  std::string token = crypto::RandomToken("lta_");
  crypto::Hash hash = crypto::Blake2b(token);
  Status st = store.Write([&](store::Transaction& txn) {
    return txn.InsertAdminToken(hash, name, SystemClock().Now());
  });
  if (!st.ok()) return st;
  return token;
}

Status AnnounceToken(const ServerConfig& config, const std::string& token) {
  fmt::print(
      "\n  Admin token (shown once; it is stored only as a hash):\n\n"
      "    {}\n\n  Use it as: licentia admin --token {} ...\n\n",
      token, token);
  std::fflush(stdout);
  if (!config.admin_token_file.empty()) {
    return WritePrivateFile(config.admin_token_file, token + "\n");
  }
  return Status::Ok();
}

struct Prepared {
  std::unique_ptr<store::Store> store;
  ServerSecrets secrets;
};

Result<Prepared> Prepare(const ServerConfig& config) {
  crypto::EnsureInitialized();
  LICENTIA_ASSIGN_OR_RETURN(ServerSecrets secrets,
                            LoadOrCreateSecrets(config.data_dir));
  LICENTIA_ASSIGN_OR_RETURN(
      auto store, store::OpenStore(DatabaseUrl(config),
                                   {.pool_size = config.db_pool_size}));
  return Prepared{std::move(store), std::move(secrets)};
}

}  // namespace

struct Application::Impl {
  ServerConfig config;  // the App keeps a reference
  App app;
  Impl(const ServerConfig& c, Prepared prepared)
      : config(c),
        app(config, std::move(prepared.store), std::move(prepared.secrets)) {}
};

Application::Application(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Application::~Application() { impl_->app.Shutdown(); }

Result<std::unique_ptr<Application>> Application::Open(
    const ServerConfig& config) {
  LICENTIA_ASSIGN_OR_RETURN(Prepared prepared, Prepare(config));
  store::Store& store = *prepared.store;
  std::int64_t tokens = 0;
  LICENTIA_RETURN_IF_ERROR(store.Read([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(tokens, txn.CountAdminTokens());
    return Status::Ok();
  }));
  if (tokens == 0) {
    LICENTIA_ASSIGN_OR_RETURN(std::string token,
                              NewAdminToken(store, "initial"));
    LICENTIA_RETURN_IF_ERROR(AnnounceToken(config, token));
  }
  return std::unique_ptr<Application>(
      new Application(std::make_unique<Impl>(config, std::move(prepared))));
}

void Application::Handle(const HttpRequest& request, const Responder& respond) {
  impl_->app.Handle(request, respond);
}

void Application::OnComplete(const HttpRequest& request,
                             const HttpResponse& response, double millis) {
  impl_->app.OnComplete(request, response, millis);
}

void Application::SetTransportStats(std::function<TransportStats()> source) {
  impl_->app.SetTransportStats(std::move(source));
}

void Application::Shutdown() { impl_->app.Shutdown(); }

std::string Application::DatabaseUrl() const {
  return server::DatabaseUrl(impl_->config);
}

InProcessServer::InProcessServer(std::unique_ptr<Application> app,
                                 std::string token)
    : app_(std::move(app)), token_(std::move(token)) {}
InProcessServer::~InProcessServer() = default;

Result<std::unique_ptr<InProcessServer>> InProcessServer::Open(
    const ServerConfig& config) {
  std::string token;
  {
    // A token made before the application opens the store: with one in
    // the database, no initial token is created and announced.
    LICENTIA_ASSIGN_OR_RETURN(Prepared prepared, Prepare(config));
    LICENTIA_ASSIGN_OR_RETURN(token,
                              NewAdminToken(*prepared.store, "in-process"));
  }
  LICENTIA_ASSIGN_OR_RETURN(auto app, Application::Open(config));
  return std::unique_ptr<InProcessServer>(
      new InProcessServer(std::move(app), std::move(token)));
}

HttpResponse InProcessServer::Handle(const HttpRequest& request) {
  std::promise<ResponseMaker> answer;
  auto future = answer.get_future();
  app_->Handle(request, [&answer](ResponseMaker make) {
    answer.set_value(std::move(make));
  });
  return future.get()();
}

int CreateAdminToken(const ServerConfig& config) {
  auto made = [&]() -> Status {
    LICENTIA_ASSIGN_OR_RETURN(Prepared prepared, Prepare(config));
    LICENTIA_ASSIGN_OR_RETURN(
        std::string token,
        NewAdminToken(*prepared.store, "created by --create-admin-token"));
    return AnnounceToken(config, token);
  }();
  if (!made.ok()) {
    fmt::print(stderr, "licentiad: {}\n", made.ToString());
    return 1;
  }
  return 0;
}

}  // namespace licentia::server
