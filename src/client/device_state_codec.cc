#include "client/device_state_codec.h"

#include <sodium.h>

#include <boost/json.hpp>

#include "client/json_values.h"
#include "core/crypto.h"

namespace licentia::client {
namespace json = boost::json;
namespace {

std::optional<UnixSeconds> GetOptTime(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  if (v && v->is_int64()) return v->as_int64();
  return std::nullopt;
}

std::string GetString(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t GetInt(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : 0;
}

json::object CodeToJson(const CodeInfo& c) {
  json::array features;
  for (const auto& f : c.features) features.emplace_back(f);
  return {{"code", c.code},
          {"masked_code", c.masked_code},
          {"product", c.product},
          {"edition", c.edition},
          {"features", std::move(features)},
          {"license_type", c.license_type},
          {"term_days", c.term_days},
          {"max_devices", c.max_devices},
          {"seats_used", c.seats_used},
          {"expires_at", OptTimeJson(c.expires_at)},
          {"key_valid_until", OptTimeJson(c.key_valid_until)},
          {"grace_days", c.grace_days},
          {"prepare_days", c.prepare_days}};
}

CodeInfo CodeFromJson(const json::object& o) {
  CodeInfo c;
  c.code = GetString(o, "code");
  c.masked_code = GetString(o, "masked_code");
  c.product = GetString(o, "product");
  c.edition = GetString(o, "edition");
  if (const auto* f = o.if_contains("features"); f && f->is_array()) {
    for (const auto& x : f->as_array()) {
      if (x.is_string()) c.features.emplace_back(x.as_string());
    }
  }
  c.license_type = GetString(o, "license_type");
  c.term_days = static_cast<int>(GetInt(o, "term_days"));
  c.max_devices = static_cast<int>(GetInt(o, "max_devices"));
  c.seats_used = static_cast<int>(GetInt(o, "seats_used"));
  c.expires_at = GetOptTime(o, "expires_at");
  c.key_valid_until = GetOptTime(o, "key_valid_until");
  c.grace_days = static_cast<int>(GetInt(o, "grace_days"));
  c.prepare_days = static_cast<int>(GetInt(o, "prepare_days"));
  return c;
}

std::optional<ProblemReport> ProblemFromJson(const json::value* v) {
  if (!v || !v->is_object()) return std::nullopt;
  const auto& o = v->as_object();
  ProblemReport p;
  p.code =
      ErrorCodeFromName(GetString(o, "code")).value_or(ErrorCode::kInternal);
  p.message = GetString(o, "message");
  p.what_to_do = GetString(o, "what_to_do");
  p.at = GetInt(o, "at");
  return p;
}

std::string EncodeBody(const DeviceState& s) {
  json::object o{
      {"current", CodeToJson(s.current)},
      {"activation_token", s.activation_token},
      {"license_key", s.license_key},
      {"blocked", s.blocked},
      {"blocked_reason", s.blocked_reason},
      {"suspended", s.suspended},
      {"suspended_reason", s.suspended_reason},
      {"reserve", CodeToJson(s.reserve)},
      {"reserve_state", ReserveStateName(s.reserve_state)},
      {"failed_attempts", s.failed_attempts},
      {"next_retry_at", OptTimeJson(s.next_retry_at)},
      {"reserve_error", ProblemJson(s.reserve_error)},
      {"last_error", ProblemJson(s.last_error)},
      {"last_sync", OptTimeJson(s.last_sync)},
      {"trusted_time", s.trusted_time},
      {"clock_offset", s.clock_offset},
      {"last_local_time", s.last_local_time},
      {"activate_now_requested", s.activate_now_requested},
      {"retry_code", s.retry_code},
      {"prepared",
       json::object{{"license_key", s.prepared.license_key},
                    {"activation_token", s.prepared.activation_token},
                    {"valid_from", s.prepared.valid_from},
                    {"valid_until", s.prepared.valid_until}}},
      {"next_prepare_at", OptTimeJson(s.next_prepare_at)},
      {"switched_offline", s.switched_offline},
      {"pending_offline", json::object{{"id", s.pending_offline.id},
                                       {"kind", s.pending_offline.kind},
                                       {"code", s.pending_offline.code}}},
      {"connected_account", s.connected_account},
      {"connection_token", s.connection_token},
  };
  json::array seats;
  for (const auto& seat : s.seats_to_release) {
    seats.push_back(json::object{{"code", seat.code},
                                 {"activation_token", seat.activation_token}});
  }
  o["seats_to_release"] = std::move(seats);
  return json::serialize(o);
}

std::optional<DeviceState> DecodeBody(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  DeviceState s;
  const auto* cur = o.if_contains("current");
  const auto* res = o.if_contains("reserve");
  if (!cur || !cur->is_object() || !res || !res->is_object()) {
    return std::nullopt;
  }
  s.current = CodeFromJson(cur->as_object());
  s.activation_token = GetString(o, "activation_token");
  s.license_key = GetString(o, "license_key");
  s.blocked = o.if_contains("blocked") && o.at("blocked").is_bool() &&
              o.at("blocked").as_bool();
  s.blocked_reason = GetString(o, "blocked_reason");
  s.suspended = o.if_contains("suspended") && o.at("suspended").is_bool() &&
                o.at("suspended").as_bool();
  s.suspended_reason = GetString(o, "suspended_reason");
  s.reserve = CodeFromJson(res->as_object());
  std::string rs = GetString(o, "reserve_state");
  for (auto st : {ReserveState::kNone, ReserveState::kWaiting,
                  ReserveState::kRetrying, ReserveState::kFailed}) {
    if (ReserveStateName(st) == rs) s.reserve_state = st;
  }
  s.failed_attempts = static_cast<int>(GetInt(o, "failed_attempts"));
  s.next_retry_at = GetOptTime(o, "next_retry_at");
  s.reserve_error = ProblemFromJson(o.if_contains("reserve_error"));
  s.last_error = ProblemFromJson(o.if_contains("last_error"));
  s.last_sync = GetOptTime(o, "last_sync");
  s.trusted_time = GetInt(o, "trusted_time");
  s.clock_offset = GetInt(o, "clock_offset");
  s.last_local_time = GetInt(o, "last_local_time");
  s.activate_now_requested = o.if_contains("activate_now_requested") &&
                             o.at("activate_now_requested").is_bool() &&
                             o.at("activate_now_requested").as_bool();
  s.retry_code = GetString(o, "retry_code");
  if (const auto* p = o.if_contains("prepared"); p && p->is_object()) {
    const auto& po = p->as_object();
    s.prepared = {GetString(po, "license_key"),
                  GetString(po, "activation_token"), GetInt(po, "valid_from"),
                  GetInt(po, "valid_until")};
  }
  s.next_prepare_at = GetOptTime(o, "next_prepare_at");
  if (const auto* p = o.if_contains("pending_offline"); p && p->is_object()) {
    const auto& po = p->as_object();
    s.pending_offline = {GetString(po, "id"), GetString(po, "kind"),
                         GetString(po, "code")};
  }
  s.connected_account = GetString(o, "connected_account");
  s.connection_token = GetString(o, "connection_token");
  s.switched_offline = o.if_contains("switched_offline") &&
                       o.at("switched_offline").is_bool() &&
                       o.at("switched_offline").as_bool();
  if (const auto* seats = o.if_contains("seats_to_release");
      seats && seats->is_array()) {
    for (const auto& seat : seats->as_array()) {
      if (!seat.is_object()) continue;
      SeatToRelease r{GetString(seat.as_object(), "code"),
                      GetString(seat.as_object(), "activation_token")};
      if (!r.code.empty()) s.seats_to_release.push_back(std::move(r));
    }
  }
  return s;
}

crypto::Hash Mac(const std::string& key_material, std::string_view text) {
  crypto::Hash key = crypto::Blake2b("licentia/state-key/v1\n" + key_material);
  crypto::Hash out;
  crypto::EnsureInitialized();
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), key.data(), key.size());
  return out;
}

}  // namespace

std::string EncodeDeviceState(const DeviceState& state) {
  return EncodeBody(state);
}

std::optional<DeviceState> DecodeDeviceState(std::string_view body) {
  return DecodeBody(body);
}

std::string SealDeviceState(const DeviceState& state,
                            const std::string& mac_key_material) {
  std::string body = EncodeBody(state);
  return json::serialize(
      json::object{{"format", kStateFormatVersion},
                   {"state", body},
                   {"mac", crypto::ToHex(Mac(mac_key_material, body))}});
}

std::optional<DeviceState> OpenDeviceState(
    std::string_view text, const std::string& mac_key_material) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  if (GetInt(o, "format") != kStateFormatVersion) return std::nullopt;
  std::string body = GetString(o, "state");
  auto mac = crypto::FromHex(GetString(o, "mac"));
  crypto::Hash expected = Mac(mac_key_material, body);
  if (!mac || !crypto::Equal(*mac, expected)) return std::nullopt;
  return DecodeBody(body);
}

}  // namespace licentia::client
