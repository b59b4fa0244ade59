// The webhook tables, written once for every backend: endpoints and the
// outbox of deliveries (store.h, "Webhooks").
#include <fmt/format.h>

#include <algorithm>

#include "store/sql_transaction.h"

namespace licentia::store {
namespace {

constexpr char kEndpointColumns[] =
    "id, url, event_types, description, sealed_secret, created_at, "
    "disabled_at";
constexpr char kDeliveryColumns[] =
    "id, endpoint_id, event_key, event_type, payload, state, attempts, "
    "next_attempt_at, last_attempt_at, last_status, last_error, delivered_at, "
    "created_at";

const SqlStatement kInsertEndpoint = SqlStatement::InsertReturningId(
    "INSERT INTO webhook_endpoints(url, event_types, description, "
    "sealed_secret, created_at) VALUES ($1, $2, $3, '', $4)");
const SqlStatement kSetSecret(
    "UPDATE webhook_endpoints SET sealed_secret = $2 WHERE id = $1");
const SqlStatement kFindEndpoint(fmt::format(
    "SELECT {} FROM webhook_endpoints WHERE id = $1", kEndpointColumns));
const SqlStatement kListEndpoints(fmt::format(
    "SELECT {} FROM webhook_endpoints ORDER BY id", kEndpointColumns));
const SqlStatement kSetEnabled(
    "UPDATE webhook_endpoints SET disabled_at = CASE WHEN $2 THEN NULL ELSE "
    "CAST($3 AS BIGINT) END WHERE id = $1 RETURNING id");
// The endpoints that want the type: " * ", or the type between spaces
// (instr/strpos, not LIKE: '_' in a type would be a wildcard).
const SqlStatement kEnqueue = SqlStatement::PerDialect(
    SqliteParameters(
        "INSERT INTO webhook_deliveries(endpoint_id, event_key, event_type, "
        "payload, state, next_attempt_at, created_at) SELECT id, $2, $1, $3, "
        "'pending', $4, $4 FROM webhook_endpoints WHERE disabled_at IS NULL "
        "AND (event_types = ' * ' OR instr(event_types, ' ' || $1 || ' ') > "
        "0)"),
    "INSERT INTO webhook_deliveries(endpoint_id, event_key, event_type, "
    "payload, state, next_attempt_at, created_at) SELECT id, $2, $1::text, "
    "$3, 'pending', $4, $4 FROM webhook_endpoints WHERE disabled_at IS NULL "
    "AND (event_types = ' * ' OR strpos(event_types, ' ' || $1::text || ' ') "
    "> 0)");
// Instances sharing PostgreSQL skip the rows another one is claiming.
const SqlStatement kClaim = SqlStatement::PerDialect(
    SqliteParameters(fmt::format(
        "UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id IN "
        "(SELECT id FROM webhook_deliveries WHERE state = 'pending' AND "
        "next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3) "
        "RETURNING {}",
        kDeliveryColumns)),
    fmt::format(
        "UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id IN "
        "(SELECT id FROM webhook_deliveries WHERE state = 'pending' AND "
        "next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3 FOR "
        "UPDATE SKIP LOCKED) RETURNING {}",
        kDeliveryColumns));
const SqlStatement kRecordAttempt(
    "UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, "
    "last_attempt_at = $3, next_attempt_at = $4, last_status = $5, "
    "last_error = $6, delivered_at = CASE WHEN $2 = 'delivered' THEN $3 ELSE "
    "delivered_at END WHERE id = $1");
const SqlStatement kListDeliveries(fmt::format(
    "SELECT {} FROM webhook_deliveries WHERE endpoint_id = $1 AND ($2 = 0 OR "
    "id < $2) ORDER BY id DESC LIMIT $3",
    kDeliveryColumns));
const SqlStatement kFindDelivery(fmt::format(
    "SELECT {} FROM webhook_deliveries WHERE id = $1", kDeliveryColumns));
const SqlStatement kRedeliver(
    "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $2 "
    "WHERE id = $1 RETURNING id");

// " a b " from {"a", "b"}.
std::string JoinTypes(const std::vector<std::string>& types) {
  std::string out = " ";
  for (const auto& t : types) out += t + " ";
  return out;
}

std::vector<std::string> SplitTypes(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t space = text.find(' ');
    if (space != 0) out.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text = text.substr(space + 1);
  }
  return out;
}

WebhookEndpointRow DecodeEndpoint(const SqlRow& row) {
  return {row.Int(0),   row.Text(1), SplitTypes(row.Text(2)),
          row.Text(3),  row.Text(4), row.Int(5),
          row.OptInt(6)};
}

Result<WebhookDeliveryRow> DecodeDelivery(const SqlRow& row) {
  WebhookDeliveryRow d;
  d.id = row.Int(0);
  d.endpoint_id = row.Int(1);
  d.event_key = row.Text(2);
  d.event_type = row.Text(3);
  d.payload = row.Text(4);
  std::string state = row.Text(5);
  bool known = false;
  for (auto s : {DeliveryState::kPending, DeliveryState::kDelivered,
                 DeliveryState::kFailed}) {
    if (DeliveryStateName(s) == state) {
      d.state = s;
      known = true;
    }
  }
  if (!known) {
    return Status(ErrorCode::kCorruption,
                  fmt::format("Webhook delivery {} has a state this licentiad "
                              "does not know ('{}').",
                              d.id, state));
  }
  d.attempts = static_cast<int>(row.Int(6));
  d.next_attempt_at = row.Int(7);
  d.last_attempt_at = row.OptInt(8);
  d.last_status = row.OptInt(9);
  d.last_error = row.Text(10);
  d.delivered_at = row.OptInt(11);
  d.created_at = row.Int(12);
  return d;
}

}  // namespace

std::string_view DeliveryStateName(DeliveryState s) {
  switch (s) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "pending";
}

Result<std::int64_t> SqlTransaction::InsertWebhookEndpoint(
    const WebhookEndpointRow& row) {
  return Insert(kInsertEndpoint, {row.url, JoinTypes(row.event_types),
                                  row.description, row.created_at});
}

Status SqlTransaction::SetWebhookSecret(std::int64_t id,
                                        std::string_view sealed_secret) {
  return Run(kSetSecret, {id, sealed_secret});
}

Result<std::optional<WebhookEndpointRow>> SqlTransaction::FindWebhookEndpoint(
    std::int64_t id) {
  return FindRow(kFindEndpoint, {id}, DecodeEndpoint);
}

Result<std::vector<WebhookEndpointRow>> SqlTransaction::ListWebhookEndpoints() {
  std::vector<WebhookEndpointRow> out;
  LICENTIA_RETURN_IF_ERROR(Run(kListEndpoints, {}, [&](const SqlRow& row) {
    out.push_back(DecodeEndpoint(row));
    return Status::Ok();
  }));
  return out;
}

Result<bool> SqlTransaction::SetWebhookEndpointEnabled(std::int64_t id,
                                                       bool enabled,
                                                       UnixSeconds at) {
  return RunReturnsRow(kSetEnabled, {id, SqlValue::Bool(enabled), at});
}

Status SqlTransaction::EnqueueWebhookDeliveries(std::string_view event_type,
                                                std::string_view event_key,
                                                std::string_view payload,
                                                UnixSeconds at) {
  // No endpoint to queue for (docs/performance.md, change 44).
  if (options_.outbox != nullptr && options_.outbox->Skip()) {
    return Status::Ok();
  }
  // Nothing reads its result: PostgreSQL sends it with the next statement.
  return session_.Defer(kEnqueue, {event_type, event_key, payload, at});
}

Result<std::vector<WebhookDeliveryRow>> SqlTransaction::ClaimDueDeliveries(
    UnixSeconds now, UnixSeconds lease_until, int limit) {
  std::vector<WebhookDeliveryRow> out;
  LICENTIA_RETURN_IF_ERROR(
      Run(kClaim, {now, lease_until, limit}, [&](const SqlRow& row) {
        LICENTIA_ASSIGN_OR_RETURN(WebhookDeliveryRow d, DecodeDelivery(row));
        out.push_back(std::move(d));
        return Status::Ok();
      }));
  // RETURNING keeps no order; the oldest go first.
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  for (auto& d : out) {
    LICENTIA_ASSIGN_OR_RETURN(auto endpoint,
                              FindWebhookEndpoint(d.endpoint_id));
    if (!endpoint) continue;  // cannot be: deliveries reference it
    d.url = endpoint->url;
    d.sealed_secret = endpoint->sealed_secret;
  }
  return out;
}

Status SqlTransaction::RecordDeliveryAttempt(std::int64_t id,
                                             DeliveryState state,
                                             UnixSeconds at,
                                             UnixSeconds next_attempt_at,
                                             std::optional<std::int64_t> status,
                                             std::string_view error) {
  return Run(kRecordAttempt, {id, DeliveryStateName(state), at, next_attempt_at,
                              status, error});
}

Result<std::vector<WebhookDeliveryRow>> SqlTransaction::ListWebhookDeliveries(
    std::int64_t endpoint_id, std::int64_t before, int limit) {
  std::vector<WebhookDeliveryRow> out;
  LICENTIA_RETURN_IF_ERROR(Run(
      kListDeliveries, {endpoint_id, before, limit}, [&](const SqlRow& row) {
        LICENTIA_ASSIGN_OR_RETURN(WebhookDeliveryRow d, DecodeDelivery(row));
        out.push_back(std::move(d));
        return Status::Ok();
      }));
  return out;
}

Result<std::optional<WebhookDeliveryRow>> SqlTransaction::FindWebhookDelivery(
    std::int64_t id) {
  std::optional<WebhookDeliveryRow> found;
  LICENTIA_RETURN_IF_ERROR(Run(kFindDelivery, {id}, [&](const SqlRow& row) {
    LICENTIA_ASSIGN_OR_RETURN(found, DecodeDelivery(row));
    return Status::Ok();
  }));
  return found;
}

Result<bool> SqlTransaction::Redeliver(std::int64_t id, UnixSeconds at) {
  return RunReturnsRow(kRedeliver, {id, at});
}

}  // namespace licentia::store
