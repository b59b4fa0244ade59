#include "server/service_context.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "core/license_terms.h"

namespace licentia::server {

namespace json = boost::json;

std::optional<UnixSeconds> CodeExpiry(const store::CodeRow& code) {
  if (!code.first_activated_at) return std::nullopt;
  return ExpiryFrom(*code.first_activated_at, code.terms.term_days);
}

namespace {
json::value OptTime(std::optional<UnixSeconds> t) {
  if (!t) return nullptr;
  return json::value(*t);
}
}  // namespace

json::object CodeJson(const store::CodeRow& c, std::size_t extra_fields) {
  json::array features;
  for (const auto& f : c.terms.features) features.emplace_back(f);
  constexpr std::size_t kFields = 18;
  return json::object({{"id", c.id},
                       {"masked_code", MaskCode(c.code_tail)},
                       {"product", c.terms.product},
                       {"batch_id", c.batch_id},
                       {"edition", c.terms.edition},
                       {"features", std::move(features)},
                       {"license_type", LicenseTypeName(c.terms.type)},
                       {"term_days", c.terms.term_days},
                       {"max_devices", c.terms.max_devices},
                       {"seats_used", c.seats_used},
                       {"activate_by", OptTime(c.terms.activate_by)},
                       {"compatible_versions", c.terms.compatible_versions},
                       {"requires_account", c.terms.requires_account},
                       {"created_at", c.created_at},
                       {"first_activated_at", OptTime(c.first_activated_at)},
                       {"expires_at", OptTime(CodeExpiry(c))},
                       {"blocked", c.blocked},
                       {"blocked_reason", c.blocked_reason}},
                      kFields + extra_fields);
}

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
  std::string out = "{";
  for (const auto& [key, value] : fields_) {
    if (out.size() > 1) out += ',';
    out += json::serialize(json::string_view(key));
    out += ':';
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      out += std::to_string(*i);
    } else {
      out +=
          json::serialize(json::string_view(std::get<std::string_view>(value)));
    }
  }
  out += '}';
  return out;
}

Status RecordEvent(store::Transaction& txn, UnixSeconds at,
                   std::string_view type, const store::CodeRow* code,
                   std::string_view device_hex, std::string_view actor,
                   const EventDetails& details) {
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
  e.actor = std::string(actor);
  e.details_json = details.ToJson();
  return txn.AppendEvent(e);
}

}  // namespace licentia::server
