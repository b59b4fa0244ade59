#include "server/routes.h"

#include <boost/json/object.hpp>
#include <string_view>
#include <utility>

namespace licentia::server {
namespace {

using SyncRouteFn = std::function<Result<boost::json::object>(
    const HttpRequest&, const PathParams&)>;

// A route answered on the spot (reads: SQLite reads take microseconds).
RouteFn Sync(SyncRouteFn fn) {
  return [fn = std::move(fn)](const HttpRequest& r, const PathParams& p,
                              Reply reply) { ReplyNow(reply, fn(r, p)); };
}

}  // namespace

std::vector<Route> LicentiaRoutes(const RouteTargets& t) {
  namespace json = boost::json;
  std::vector<Route> routes;
  auto add = [&routes](std::string method, std::string pattern, Access access,
                       RouteFn fn, int success = 200) {
    routes.push_back({std::move(method), std::move(pattern), access,
                      std::move(fn), success});
  };
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
  add("GET", "/healthz", Access::kPublic,
      [t](const HttpRequest&, const PathParams&, Reply reply) {
        // A store that can no longer make writes durable is not healthy
        // even though it still answers reads: a load balancer should
        // send devices elsewhere.
        if (Status writable = t.store.WriteHealth(); !writable.ok()) {
          ReplyNow(reply, Status(ErrorCode::kUnavailable, writable.message()));
          return;
        }
        ReadAndReply(
            t.store,
            [](store::Transaction& txn) {
              return txn.CountAdminTokens().status();
            },
            []() -> Result<json::object> {
              return json::object{{"status", "ok"}};
            },
            std::move(reply));
      });
  add("GET", "/v1/ping", Access::kPublic,
      Sync([t](const HttpRequest&, const PathParams&) -> Result<json::object> {
        return json::object{{"server_time", t.clock.Now()}};
      }));
  add("POST", "/v1/activate", Access::kDevice,
      with_body(t.devices, &DeviceService::Activate));
  add("POST", "/v1/deactivate", Access::kDevice,
      with_body(t.devices, &DeviceService::Deactivate));
  add("POST", "/v1/status", Access::kDevice,
      with_body(t.devices, &DeviceService::LicenseStatus));
  add("POST", "/v1/wait", Access::kDevice,
      [&devices = t.devices](const HttpRequest& r, const PathParams&,
                             Reply reply) {
        devices.Wait(r.body, r.client_gone, std::move(reply));
      });
  add("POST", "/v1/time", Access::kDevice,
      Sync([t](const HttpRequest& r, const PathParams&) {
        return t.devices.AttestTime(r.body);
      }));
  add("POST", "/v1/reserve/check", Access::kDevice,
      with_body(t.devices, &DeviceService::CheckReserve));
  add("POST", "/v1/reserve/register", Access::kDevice,
      with_body(t.devices, &DeviceService::RegisterReserve));
  add("POST", "/v1/reserve/prepare", Access::kDevice,
      with_body(t.devices, &DeviceService::PrepareRollover));
  add("POST", "/v1/reserve/unregister", Access::kDevice,
      with_body(t.devices, &DeviceService::UnregisterReserve));
  add("POST", "/v1/connect", Access::kDevice,
      with_body(t.console, &ConsoleService::ConnectDevice));
  add("POST", "/v1/disconnect", Access::kDevice,
      with_body(t.console, &ConsoleService::DisconnectDevice));
  add("POST", "/v1/actions", Access::kDevice,
      with_body(t.console, &ConsoleService::TakeActions));
  add("POST", "/v1/actions/result", Access::kDevice,
      with_body(t.console, &ConsoleService::FinishAction));

  // Admin routes: the scope a token needs (admin_scopes.h), and who acted
  // for the events they write.
  auto admin = [&routes](std::string method, std::string pattern,
                         AdminScope scope, RouteFn fn, int success = 200) {
    routes.push_back({std::move(method), std::move(pattern), Access::kAdmin,
                      std::move(fn), success, scope});
  };
  auto actor = [](const HttpRequest& r) {
    return EventActor(
        "admin", r.admin ? std::optional(r.admin->token_id) : std::nullopt);
  };
  admin("POST", "/v1/admin/offline/answer", AdminScope::kSeats,
        with_body(t.devices, &DeviceService::AnswerOfflineRequest));
  admin(
      "POST", "/v1/admin/products", AdminScope::kIssue,
      [t, actor](const HttpRequest& r, const PathParams&, Reply reply) {
        t.admin.CreateProduct(r.body, actor(r), std::move(reply));
      },
      201);
  admin("GET", "/v1/admin/products", AdminScope::kRead,
        Sync([t](const HttpRequest&, const PathParams&) {
          return t.admin.ListProducts();
        }));
  admin("GET", "/v1/admin/products/{}", AdminScope::kRead,
        Sync([t](const HttpRequest&, const PathParams& p) {
          return t.admin.GetProduct(p[0]);
        }));
  admin(
      "POST", "/v1/admin/products/{}/versions", AdminScope::kIssue,
      [t, actor](const HttpRequest& r, const PathParams& p, Reply reply) {
        t.admin.AddVersion(p[0], r.body, actor(r), std::move(reply));
      },
      201);
  admin(
      "POST", "/v1/admin/codes", AdminScope::kIssue,
      [t, actor](const HttpRequest& r, const PathParams&, Reply reply) {
        t.admin.IssueCodes(r.body, actor(r), std::move(reply));
      },
      201);
  admin("GET", "/v1/admin/codes", AdminScope::kRead,
        Sync([t](const HttpRequest& r, const PathParams&) {
          return t.admin.ListCodes(r.query);
        }));
  admin("POST", "/v1/admin/codes/lookup", AdminScope::kRead,
        read([t](std::string_view b) { return t.admin.LookupCode(b); }));
  admin("GET", "/v1/admin/codes/{}", AdminScope::kRead,
        Sync([t](const HttpRequest&, const PathParams& p) {
          return t.admin.GetCode(p[0]);
        }));
  for (bool block : {true, false}) {
    admin("POST",
          block ? "/v1/admin/codes/{}/block" : "/v1/admin/codes/{}/unblock",
          AdminScope::kBlock,
          [t, block, actor](const HttpRequest& r, const PathParams& p,
                            Reply reply) {
            t.admin.SetBlocked(p[0], r.body, block, actor(r), std::move(reply));
          });
  }
  admin("POST", "/v1/admin/codes/{}/activations/{}/release", AdminScope::kSeats,
        [t, actor](const HttpRequest& r, const PathParams& p, Reply reply) {
          t.admin.ReleaseSeat(p[0], p[1], r.body, actor(r), std::move(reply));
        });
  admin("POST", "/v1/admin/codes/{}/renew", AdminScope::kRenew,
        [t, actor](const HttpRequest& r, const PathParams& p, Reply reply) {
          t.admin.Renew(p[0], r.body, actor(r), std::move(reply));
        });
  for (bool suspend : {true, false}) {
    admin("POST",
          suspend ? "/v1/admin/codes/{}/suspend" : "/v1/admin/codes/{}/resume",
          AdminScope::kRenew,
          [t, suspend, actor](const HttpRequest& r, const PathParams& p,
                              Reply reply) {
            t.admin.SetSuspended(p[0], r.body, suspend, actor(r),
                                 std::move(reply));
          });
  }
  admin("POST", "/v1/admin/codes/{}/terms", AdminScope::kIssue,
        [t, actor](const HttpRequest& r, const PathParams& p, Reply reply) {
          t.admin.ChangeCodeTerms(p[0], r.body, actor(r), std::move(reply));
        });
  admin("POST", "/v1/admin/batches/{}/terms", AdminScope::kIssue,
        [t, actor](const HttpRequest& r, const PathParams& p, Reply reply) {
          t.admin.ChangeBatchTerms(p[0], r.body, actor(r), std::move(reply));
        });
  admin("POST", "/v1/admin/seats/sweep", AdminScope::kSeats,
        [t](const HttpRequest&, const PathParams&, Reply reply) {
          t.admin.SweepStaleSeats(std::move(reply));
        });
  // Exports answer a streamed body (admin_exports.cc).
  auto export_route = [t](auto method) -> RouteFn {
    return [t, method](const HttpRequest& r, const PathParams&, Reply reply) {
      ReplyNow(reply, (t.admin.*method)(r.query));
    };
  };
  admin("GET", "/v1/admin/export/codes", AdminScope::kRead,
        export_route(&AdminService::ExportCodes));
  admin("GET", "/v1/admin/export/activations", AdminScope::kRead,
        export_route(&AdminService::ExportActivations));
  admin("GET", "/v1/admin/export/events", AdminScope::kRead,
        export_route(&AdminService::ExportEvents));
  admin("GET", "/v1/admin/events", AdminScope::kRead,
        Sync([t](const HttpRequest& r, const PathParams&) {
          return t.admin.ListEvents(r.query);
        }));
  admin(
      "POST", "/v1/admin/webhooks", AdminScope::kWebhooks,
      [t, actor](const HttpRequest& r, const PathParams&, Reply reply) {
        t.admin.CreateWebhook(r.body, actor(r), std::move(reply));
      },
      201);
  admin("GET", "/v1/admin/webhooks", AdminScope::kWebhooks,
        Sync([t](const HttpRequest&, const PathParams&) {
          return t.admin.ListWebhooks();
        }));
  for (bool enable : {true, false}) {
    admin("POST",
          enable ? "/v1/admin/webhooks/{}/enable"
                 : "/v1/admin/webhooks/{}/disable",
          AdminScope::kWebhooks,
          [t, enable](const HttpRequest&, const PathParams& p, Reply reply) {
            t.admin.SetWebhookEnabled(p[0], enable, std::move(reply));
          });
  }
  admin("GET", "/v1/admin/webhooks/{}/deliveries", AdminScope::kWebhooks,
        Sync([t](const HttpRequest& r, const PathParams& p) {
          return t.admin.ListDeliveries(p[0], r.query);
        }));
  admin("POST", "/v1/admin/webhooks/deliveries/{}/redeliver",
        AdminScope::kWebhooks,
        [t](const HttpRequest&, const PathParams& p, Reply reply) {
          t.admin.Redeliver(p[0], std::move(reply));
        });
  admin(
      "POST", "/v1/admin/tokens", AdminScope::kFull,
      [t, actor](const HttpRequest& r, const PathParams&, Reply reply) {
        t.admin.CreateToken(r.body, actor(r), std::move(reply));
      },
      201);
  admin("GET", "/v1/admin/tokens", AdminScope::kFull,
        Sync([t](const HttpRequest&, const PathParams&) {
          return t.admin.ListTokens();
        }));
  admin("POST", "/v1/admin/tokens/{}/revoke", AdminScope::kFull,
        [t, actor](const HttpRequest& r, const PathParams& p, Reply reply) {
          t.admin.RevokeToken(p[0], actor(r), std::move(reply));
        });
  if (t.clock.manual()) {
    admin("POST", "/v1/admin/test/clock", AdminScope::kFull,
          read([t](std::string_view b) {
            return SetTestClock(*t.clock.manual(), b);
          }));
  }
  return routes;
}

}  // namespace licentia::server
