#include "server/service_context.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cassert>

#include "core/license_terms.h"

namespace licentia::server {

namespace json = boost::json;

CodeFacts FactsOf(const store::CodeRow& code) {
  CodeFacts facts{code.terms, code.first_activated_at, code.blocked,
                  code.blocked_reason, code.seats_used};
  facts.ends_at = code.ends_at;
  facts.suspended = code.suspended;
  facts.suspended_reason = code.suspended_reason;
  return facts;
}

Result<CodeFacts> FactsForDevice(store::Transaction& txn,
                                 const store::CodeRow& code,
                                 const crypto::Hash& device_hash) {
  CodeFacts facts = FactsOf(code);
  if (!code.terms.requires_account) return facts;
  LICENTIA_ASSIGN_OR_RETURN(auto connection,
                            txn.FindDeviceConnection(device_hash));
  if (!connection) return facts;
  LICENTIA_ASSIGN_OR_RETURN(
      auto held, txn.FindAccountCode(connection->account_id, code.id));
  facts.device_account_holds = held.has_value();
  return facts;
}

Status CheckReserveForDevice(store::Transaction& txn,
                             const store::CodeRow& current,
                             const crypto::Hash& device_hash,
                             const store::CodeRow& reserve, UnixSeconds now) {
  CodeFacts held = FactsOf(current);
  LICENTIA_RETURN_IF_ERROR(CheckReserveHolder(held, now));
  LICENTIA_ASSIGN_OR_RETURN(
      auto existing, txn.FindReserve(device_hash, current.terms.product));
  LICENTIA_ASSIGN_OR_RETURN(CodeFacts facts,
                            FactsForDevice(txn, reserve, device_hash));
  return CheckReserveCode(held, facts, reserve.id == current.id,
                          existing.has_value(), now);
}

std::optional<UnixSeconds> CodeExpiry(const store::CodeRow& code) {
  return licentia::CodeExpiry(FactsOf(code));
}

void WriteCodeFields(JsonWriter& w, const store::CodeRow& c) {
  w.Field("id", c.id);
  w.Field("masked_code", MaskCode(c.code_tail));
  w.Field("product", c.terms.product);
  w.Field("batch_id", c.batch_id);
  w.Field("edition", c.terms.edition);
  w.Key("features");
  w.BeginArray();
  for (const auto& f : c.terms.features) w.String(f);
  w.EndArray();
  w.Field("license_type", LicenseTypeName(c.terms.type));
  w.Field("term_days", c.terms.term_days);
  w.Field("max_devices", c.terms.max_devices);
  w.Field("seats_used", c.seats_used);
  w.Field("activate_by", c.terms.activate_by);
  w.Field("compatible_versions", c.terms.compatible_versions);
  w.Field("requires_account", c.terms.requires_account);
  w.Field("prepare_days", c.terms.prepare_days);
  w.Field("created_at", c.created_at);
  w.Field("first_activated_at", c.first_activated_at);
  w.Field("expires_at", CodeExpiry(c));
  w.Field("blocked", c.blocked);
  w.Field("blocked_reason", c.blocked_reason);
  // Subscriptions and heartbeats (docs/domain-rules.md).
  w.Field("suspended", c.suspended);
  w.Field("suspended_reason", c.suspended_reason);
  w.Field("grace_days", c.terms.grace_days);
  CodeFacts facts = FactsOf(c);
  w.Field("grace_until", GraceEnd(facts));
  // What a key issued now states as its end: a device whose key states
  // less (a renewal came) asks for a new one.
  w.Field("key_valid_until", CodeExpiry(facts)
                                 ? std::optional(KeyValidUntil(facts))
                                 : std::nullopt);
  w.Field("heartbeat_days", c.terms.heartbeat_days);
}

void WriteCode(JsonWriter& w, const store::CodeRow& c) {
  w.BeginObject();
  WriteCodeFields(w, c);
  w.EndObject();
}

json::object CodeJson(const store::CodeRow& c) {
  std::string text;
  JsonWriter w(text);
  WriteCode(w, c);
  return json::parse(text).as_object();
}

namespace {
json::value OptTime(std::optional<UnixSeconds> t) {
  if (!t) return nullptr;
  return json::value(*t);
}
}  // namespace

json::object ActivationJson(const store::ActivationRow& a) {
  return json::object{
      {"id", a.id},
      {"device", crypto::ToHex(a.device_hash).substr(0, 16)},
      {"device_name", a.device_name},
      {"os", a.os},
      {"app_version", a.app_version},
      {"activated_at", a.activated_at},
      {"last_seen_at", a.last_seen_at},
      {"deactivated_at", OptTime(a.deactivated_at)},
      {"key_serial", a.key_serial},
  };
}

std::optional<std::string_view> EventDetails::FindString(
    std::string_view key) const {
  for (const auto& [k, v] : fields_) {
    if (k == key && std::holds_alternative<std::string_view>(v)) {
      return std::get<std::string_view>(v);
    }
  }
  return std::nullopt;
}

std::string EventDetails::ToJson() const {
  std::string out;
  out.reserve(256);
  JsonWriter w(out);
  w.BeginObject();
  for (const auto& [key, value] : fields_) {
    w.DynamicKey(key);
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      w.Int(*i);
    } else {
      w.String(std::get<std::string_view>(value));
    }
  }
  w.EndObject();
  return out;
}

bool IsEventType(std::string_view type) {
  return std::find(kEventTypes.begin(), kEventTypes.end(), type) !=
         kEventTypes.end();
}

Status RecordEvent(store::Transaction& txn, UnixSeconds at,
                   std::string_view type, const store::CodeRow* code,
                   std::string_view device_hex, EventActor actor,
                   const EventDetails& details) {
  assert(IsEventType(type));
  store::EventRow e;
  e.at = at;
  e.type = std::string(type);
  if (code) {
    e.code_id = code->id;
    e.product_id = code->terms.product;
  } else if (auto product = details.FindString("product")) {
    e.product_id = std::string(*product);
  }
  e.device = std::string(device_hex);
  e.actor = std::string(actor.kind);
  e.token_id = actor.token_id;
  e.details_json = details.ToJson();
  LICENTIA_RETURN_IF_ERROR(txn.AppendEvent(e));
  // The outbox, in the event's transaction: committed together or not at
  // all (server/webhook_dispatcher.h). The key is the event's id for the
  // receivers, the same in every attempt.
  std::string key = crypto::RandomToken("evt_", 16);
  std::string payload;
  payload.reserve(256 + e.details_json.size());
  JsonWriter w(payload);
  w.BeginObject();
  w.Field("id", key);
  w.Field("type", e.type);
  w.Field("created_at", e.at);
  w.Key("data");
  w.BeginObject();
  w.Field("code_id", e.code_id);
  w.Field("product", e.product_id);
  w.Field("device", std::string_view(e.device).substr(0, 16));
  w.Field("actor", e.actor);
  w.Field("token_id", e.token_id);
  w.Key("details");
  w.Raw(e.details_json);
  w.EndObject();
  w.EndObject();
  return txn.EnqueueWebhookDeliveries(e.type, key, payload, at);
}

}  // namespace licentia::server
