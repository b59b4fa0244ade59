// Webhook endpoints and their deliveries (docs/webhooks.md), for vendors:
// registered with the event types they want, disabled and enabled, each
// endpoint's delivery log, and a delivery sent again.
#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/url/parse.hpp>

#include "core/crypto.h"
#include "server/admin_service.h"
#include "server/json_fields.h"

namespace licentia::server {
namespace json = boost::json;

namespace {

constexpr size_t kMaxUrl = 2048;
constexpr size_t kMaxEventTypes = 32;

json::value OptInt(std::optional<std::int64_t> v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::object EndpointJson(const store::WebhookEndpointRow& e) {
  json::array types;
  for (const auto& t : e.event_types) types.emplace_back(t);
  return json::object{{"id", e.id},
                      {"url", e.url},
                      {"event_types", std::move(types)},
                      {"description", e.description},
                      {"created_at", e.created_at},
                      {"enabled", !e.disabled_at.has_value()},
                      {"disabled_at", OptInt(e.disabled_at)}};
}

json::object DeliveryJson(const store::WebhookDeliveryRow& d) {
  return json::object{
      {"id", d.id},
      {"endpoint_id", d.endpoint_id},
      {"event_id", d.event_key},
      {"event_type", d.event_type},
      {"state", store::DeliveryStateName(d.state)},
      {"attempts", d.attempts},
      {"next_attempt_at", d.state == store::DeliveryState::kPending
                              ? json::value(d.next_attempt_at)
                              : json::value(nullptr)},
      {"last_attempt_at", OptInt(d.last_attempt_at)},
      {"last_status", OptInt(d.last_status)},
      {"last_error", d.last_error},
      {"delivered_at", OptInt(d.delivered_at)},
      {"created_at", d.created_at}};
}

// An http or https URL with a host, as libcurl will be given it.
Status CheckUrl(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->encoded_host().empty() || url.size() > kMaxUrl) {
    return Status(ErrorCode::kInvalidRequest,
                  "url must be an http:// or https:// address with a host, "
                  "at most 2048 characters.");
  }
  return Status::Ok();
}

}  // namespace

void AdminService::CreateWebhook(std::string_view body, EventActor,
                                 Reply reply) {
  auto prepared = [&]() -> Result<PreparedWrite> {
    LICENTIA_ASSIGN_OR_RETURN(
        JsonFields f,
        JsonFields::Parse(body, {"url", "event_types", "description"}));
    store::WebhookEndpointRow row;
    LICENTIA_ASSIGN_OR_RETURN(row.url, f.String("url", kMaxUrl));
    LICENTIA_RETURN_IF_ERROR(CheckUrl(row.url));
    LICENTIA_ASSIGN_OR_RETURN(row.event_types,
                              f.StringList("event_types", kMaxEventTypes, 40));
    if (row.event_types.empty()) {
      return Status(ErrorCode::kInvalidRequest,
                    "event_types must name at least one event type, or \"*\" "
                    "for every type.");
    }
    for (const auto& t : row.event_types) {
      if (t != "*" && !IsEventType(t)) {
        return Status(ErrorCode::kInvalidRequest,
                      fmt::format("There is no event type '{}' (docs/api.md, "
                                  "\"Events\").",
                                  t.substr(0, 40)));
      }
    }
    if (row.event_types.size() > 1 &&
        std::find(row.event_types.begin(), row.event_types.end(), "*") !=
            row.event_types.end()) {
      row.event_types = {"*"};
    }
    LICENTIA_ASSIGN_OR_RETURN(auto description,
                              f.OptString("description", 200));
    row.description = description.value_or("");
    // Made outside the transaction, which may run more than once.
    std::string secret = crypto::RandomToken("whsec_");
    auto out = std::make_shared<json::object>();
    return PreparedWrite{
        [=, this](store::Transaction& txn) -> Status {
          store::WebhookEndpointRow r = row;
          r.created_at = ctx_.clock.Now();
          LICENTIA_ASSIGN_OR_RETURN(r.id, txn.InsertWebhookEndpoint(r));
          LICENTIA_RETURN_IF_ERROR(txn.SetWebhookSecret(
              r.id, SealSecret(seal_key_, "webhook", r.id, secret)));
          *out = EndpointJson(r);
          (*out)["secret"] = secret;
          return Status::Ok();
        },
        [out]() -> Result<json::object> { return std::move(*out); }};
  }();
  Submit(std::move(prepared), std::move(reply));
}

Result<json::object> AdminService::ListWebhooks() {
  json::array endpoints;
  Status st = ctx_.store.Read([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(auto rows, txn.ListWebhookEndpoints());
    for (const auto& row : rows) endpoints.push_back(EndpointJson(row));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return json::object{{"webhooks", std::move(endpoints)}};
}

void AdminService::SetWebhookEnabled(std::string_view id_text, bool enabled,
                                     Reply reply) {
  auto prepared = [&]() -> Result<PreparedWrite> {
    LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(id_text, "webhook"));
    auto out = std::make_shared<json::object>();
    return PreparedWrite{
        [=, this](store::Transaction& txn) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(
              bool found,
              txn.SetWebhookEndpointEnabled(id, enabled, ctx_.clock.Now()));
          if (!found) {
            return Status(ErrorCode::kNotFound,
                          fmt::format("There is no webhook {}.", id));
          }
          LICENTIA_ASSIGN_OR_RETURN(auto row, txn.FindWebhookEndpoint(id));
          *out = EndpointJson(*row);
          return Status::Ok();
        },
        [out]() -> Result<json::object> { return std::move(*out); }};
  }();
  Submit(std::move(prepared), std::move(reply));
}

Result<json::object> AdminService::ListDeliveries(std::string_view id_text,
                                                  const QueryParams& query) {
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(id_text, "webhook"));
  LICENTIA_RETURN_IF_ERROR(OnlyKnownParams(query, {"before", "limit"}));
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t before,
                            QueryInt(query, "before", 0, 0, INT64_MAX));
  LICENTIA_ASSIGN_OR_RETURN(int limit, QueryLimit(query));
  json::array deliveries;
  std::int64_t next = 0;
  Status st = ctx_.store.Read([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(auto endpoint, txn.FindWebhookEndpoint(id));
    if (!endpoint) {
      return Status(ErrorCode::kNotFound,
                    fmt::format("There is no webhook {}.", id));
    }
    LICENTIA_ASSIGN_OR_RETURN(auto rows,
                              txn.ListWebhookDeliveries(id, before, limit));
    for (const auto& d : rows) deliveries.push_back(DeliveryJson(d));
    if (static_cast<int>(rows.size()) == limit) next = rows.back().id;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return json::object{
      {"deliveries", std::move(deliveries)},
      {"next_before", next > 0 ? json::value(next) : json::value(nullptr)}};
}

void AdminService::Redeliver(std::string_view id_text, Reply reply) {
  auto prepared = [&]() -> Result<PreparedWrite> {
    LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(id_text, "delivery"));
    auto out = std::make_shared<json::object>();
    return PreparedWrite{
        [=, this](store::Transaction& txn) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(bool found,
                                    txn.Redeliver(id, ctx_.clock.Now()));
          if (!found) {
            return Status(ErrorCode::kNotFound,
                          fmt::format("There is no delivery {}.", id));
          }
          LICENTIA_ASSIGN_OR_RETURN(auto row, txn.FindWebhookDelivery(id));
          *out = DeliveryJson(*row);
          return Status::Ok();
        },
        [this, out]() -> Result<json::object> {
          if (wake_webhooks_) wake_webhooks_();
          return std::move(*out);
        }};
  }();
  Submit(std::move(prepared), std::move(reply));
}

}  // namespace licentia::server
