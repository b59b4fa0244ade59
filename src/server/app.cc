#include "server/app.h"

#include <fmt/format.h>

#include <cassert>
#include <functional>
#include <future>
#include <optional>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "server/admin_auth.h"
#include "server/admin_service.h"
#include "server/bootstrap.h"
#include "server/console_service.h"
#include "server/device_service.h"
#include "server/error_response.h"
#include "server/key_signer.h"
#include "server/metrics.h"
#include "server/metrics_page.h"
#include "server/rate_limiter.h"
#include "server/reply.h"
#include "server/request_log.h"
#include "server/router.h"
#include "server/routes.h"
#include "server/seat_sweeper.h"
#include "server/secrets.h"
#include "server/server_clock.h"
#include "server/wait_registry.h"
#include "server/webhook_dispatcher.h"
#include "store/store.h"

namespace licentia::server {
namespace {

// Dispatches each request to its route, after admission (device rate
// limit) or authentication (admin token), and answers errors the one way
// (error_response.h).
class App {
 public:
  App(const ServerConfig& config, std::unique_ptr<store::Store> store,
      ServerSecrets secrets)
      : waits_(std::make_unique<WaitRegistry>()),
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
        admin_auth_(*store_, clock_, config.rate_limit_admin_failures),
        devices_(ctx_, per_code_, *waits_),
        seal_key_(secrets.code_seal),
        admin_(ctx_, seal_key_,
               [this] {
                 if (webhooks_) webhooks_->Wake();
               }),
        console_(
            ctx_, secrets.code_seal,
            {.session_seconds = config.console_session_days * kSecondsPerDay,
             .secure_cookies = config.console_secure_cookies,
             .signin_failures_per_minute = config.rate_limit_signin_failures}),
        request_log_(metrics_, config.log_requests),
        routes_(LicentiaRoutes({*store_, clock_, devices_, admin_, console_})),
        sweeper_(std::make_unique<SeatSweeper>(
            *store_, clock_,
            std::chrono::seconds(config.heartbeat_sweep_seconds))),
        webhooks_(config.deliver_webhooks
                      ? std::make_unique<WebhookDispatcher>(
                            *store_, clock_, seal_key_, WebhookOptions{})
                      : nullptr) {
    // Waiting devices hear of every change to what they hold.
    store_->SetChangeListener(
        [waits = waits_.get()](const store::ChangedKeys& keys) {
          waits->OnChanges(keys);
        });
    for (const Route& route : routes_) {
      [[maybe_unused]] size_t index = router_.Add(route.method, route.pattern);
      assert(&routes_[index] == &route);
    }
  }

  void Handle(const HttpRequest& req, const Responder& respond) {
    // /metrics is not a JSON route: its answer is the Prometheus text.
    if (req.method == "GET" && req.path == "/metrics") {
      HttpResponse r;
      r.body =
          MetricsPage(metrics_, store_->GetStats(), key_signer_->GetStats(),
                      transport_stats_ ? transport_stats_() : TransportStats{},
                      waits_->waiting());
      r.content_type = "text/plain; version=0.0.4";
      r.route = "/metrics";
      respond([r] { return r; });
      return;
    }
    if (ConsoleService::IsConsolePath(req.path)) {
      if (int wait = per_ip_.Acquire(req.remote_address)) {
        HttpResponse res = ErrorResponse(
            TooManyRequests("Too many requests from this address", wait));
        res.route = "/console";
        respond([res] { return res; });
        return;
      }
      console_.Handle(req, respond);
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
          res.content_type = result->content_type();
          res.stream = result->stream();
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
      admin_auth_.Authenticate(req, [&req, route = found,
                                     params = std::move(params),
                                     reply](Result<AdminCaller> caller) {
        if (!caller.ok()) return ReplyNow(reply, caller.status());
        if (!caller->scopes.Grants(route->scope)) {
          return ReplyNow(
              reply, Status(ErrorCode::kForbidden,
                            fmt::format("The admin token '{}' lacks the '{}' "
                                        "scope this endpoint needs.",
                                        caller->token_name,
                                        AdminScopeName(route->scope))));
        }
        // The route sees who called (events name the token).
        HttpRequest authed = req;
        authed.admin = std::move(*caller);
        route->fn(authed, params, reply);
      });
      return;
    }
    if (found->access == Access::kDevice) {
      if (int wait = per_ip_.Acquire(req.remote_address)) {
        ReplyNow(reply,
                 TooManyRequests("Too many requests from this address", wait));
        return;
      }
    }
    found->fn(req, params, std::move(reply));
  }

  void OnComplete(const HttpRequest& req, const HttpResponse& res, double ms) {
    request_log_.Record(req, res, ms);
  }

  // Joins the store's threads; pending writes are answered first (with
  // their keys, signed as their commits are made), then anything the
  // signer still holds is answered.
  void Shutdown() {
    // Waiting devices are answered while the store still reads.
    if (waits_) waits_->Shutdown();
    sweeper_.reset();
    webhooks_.reset();
    store_.reset();
    key_signer_.reset();
  }

  void AnswerWaitingDevices() { waits_->Shutdown(); }

  // Every route served: the JSON routes, the console's API, and the ones
  // answered before routing.
  std::vector<std::string> Routes() const {
    std::vector<std::string> all = router_.List();
    for (auto& r : console_.Routes()) all.push_back(std::move(r));
    all.push_back("GET /metrics");
    all.push_back("GET /console");  // the console's page and files
    all.push_back("GET /console/{}");
    return all;
  }

  // Where /metrics reads the transport's counters. REQUIRES: called
  // before requests are served.
  void SetTransportStats(std::function<TransportStats()> source) {
    transport_stats_ = std::move(source);
  }

 private:
  // Before the store, which may call it until it is gone.
  std::unique_ptr<WaitRegistry> waits_;
  // Before the store: a write the store answers while it shuts down may
  // still hand a key to the signer.
  std::unique_ptr<KeySigner> key_signer_;
  std::unique_ptr<store::Store> store_;
  ServerClock clock_;
  ServiceContext ctx_;
  RateLimiter per_ip_;
  RateLimiter per_code_;
  AdminAuth admin_auth_;
  DeviceService devices_;
  const CodeSealKey seal_key_;
  AdminService admin_;
  ConsoleService console_;
  Metrics metrics_;
  RequestLog request_log_;
  const std::vector<Route> routes_;  // indexed as router_ numbers them
  Router router_;
  std::function<TransportStats()> transport_stats_;
  // After the store it writes to; stopped before the store in Shutdown.
  std::unique_ptr<SeatSweeper> sweeper_;
  std::unique_ptr<WebhookDispatcher> webhooks_;
};

}  // namespace

struct Application::Impl {
  ServerConfig config;  // the App keeps a reference
  App app;
  Impl(const ServerConfig& c, Opened prepared)
      : config(c),
        app(config, std::move(prepared.store), std::move(prepared.secrets)) {}
};

Application::Application(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Application::~Application() { impl_->app.Shutdown(); }

Result<std::unique_ptr<Application>> Application::Open(
    const ServerConfig& config) {
  LICENTIA_ASSIGN_OR_RETURN(Opened prepared, OpenDataAndStore(config));
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

void Application::AnswerWaitingDevices() { impl_->app.AnswerWaitingDevices(); }

void Application::Shutdown() { impl_->app.Shutdown(); }

std::vector<std::string> Application::Routes() const {
  return impl_->app.Routes();
}

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
    LICENTIA_ASSIGN_OR_RETURN(Opened prepared, OpenDataAndStore(config));
    LICENTIA_ASSIGN_OR_RETURN(token,
                              NewAdminToken(*prepared.store, "in-process"));
  }
  LICENTIA_ASSIGN_OR_RETURN(auto app, Application::Open(config));
  return std::unique_ptr<InProcessServer>(
      new InProcessServer(std::move(app), std::move(token)));
}

std::vector<std::string> InProcessServer::Routes() const {
  return app_->Routes();
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
    LICENTIA_ASSIGN_OR_RETURN(Opened prepared, OpenDataAndStore(config));
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
