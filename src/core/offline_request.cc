#include "core/offline_request.h"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace licentia {
namespace json = boost::json;

namespace {

// Signed with the payload, so that a signature over one kind of file can
// never pass for another.
constexpr std::string_view kSignatureContext = "licentia/device-request/v1";

crypto::Bytes SignedBytes(std::string_view payload) {
  crypto::Bytes bytes(kSignatureContext.begin(), kSignatureContext.end());
  bytes.push_back(0);
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

Status Invalid(std::string_view why) {
  return Status(
      ErrorCode::kOfflineRequestInvalid,
      fmt::format("This is not a valid device request file: {}", why));
}

// The string field `name` of `o`, at most `max` bytes; "" if absent.
Result<std::string> Text(const json::object& o, std::string_view name,
                         std::size_t max, bool required) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) {
    if (required) return Invalid(fmt::format("'{}' is missing.", name));
    return std::string();
  }
  if (!v->is_string() || v->as_string().size() > max) {
    return Invalid(
        fmt::format("'{}' is not a string of at most {} bytes.", name, max));
  }
  return std::string(v->as_string());
}

}  // namespace

std::string_view OfflineRequestKindName(OfflineRequestKind kind) {
  switch (kind) {
    case OfflineRequestKind::kActivate:
      return "activate";
    case OfflineRequestKind::kDeactivate:
      return "deactivate";
    case OfflineRequestKind::kAddReserve:
      return "add_reserve";
    case OfflineRequestKind::kPrepareReserve:
      return "prepare_reserve";
  }
  return "?";
}

std::string WriteOfflineRequest(const OfflineRequest& r,
                                const crypto::SigningKeyPair& device_key) {
  json::array ids;
  for (const auto& id : r.accepts_key_ids) ids.emplace_back(id);
  json::object payload{{"kind", OfflineRequestKindName(r.kind)},
                       {"request_id", crypto::ToHex(r.id)},
                       {"created_at", r.created_at},
                       {"product", r.product},
                       {"code", r.code},
                       {"fingerprint", r.fingerprint},
                       {"device_name", r.device_name},
                       {"os", r.os},
                       {"app_version", r.app_version},
                       {"accepts_key_ids", std::move(ids)}};
  if (r.kind != OfflineRequestKind::kActivate) {
    payload["activation_token"] = r.activation_token;
  }
  if (r.kind == OfflineRequestKind::kAddReserve) {
    payload["reserve_code"] = r.reserve_code;
  }
  std::string bytes = json::serialize(payload);
  crypto::Bytes signed_bytes = SignedBytes(bytes);
  crypto::Signature signature =
      crypto::Sign(signed_bytes, device_key.secret_key);
  json::object file{
      {"format", kOfflineRequestFormat},
      {"payload",
       crypto::ToBase64Public(std::span<const std::uint8_t>(
           reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()))},
      {"device_key", crypto::ToHex(device_key.public_key)},
      {"signature", crypto::ToHex(signature)}};
  return json::serialize(file);
}

Result<OfflineRequest> ReadOfflineRequest(std::string_view text) {
  if (text.size() > kMaxOfflineFileBytes) {
    return Status(ErrorCode::kPayloadTooLarge,
                  fmt::format("A device request file is at most {} bytes.",
                              kMaxOfflineFileBytes));
  }
  boost::system::error_code ec;
  json::value file = json::parse(text, ec);
  if (ec || !file.is_object()) return Invalid("it is not JSON.");
  const json::object& f = file.as_object();
  LICENTIA_ASSIGN_OR_RETURN(std::string format, Text(f, "format", 64, true));
  if (format != kOfflineRequestFormat) {
    return Invalid(fmt::format("its format is '{}', not '{}'.", format,
                               kOfflineRequestFormat));
  }
  LICENTIA_ASSIGN_OR_RETURN(std::string payload_b64,
                            Text(f, "payload", kMaxOfflineFileBytes, true));
  LICENTIA_ASSIGN_OR_RETURN(std::string key_hex,
                            Text(f, "device_key", 64, true));
  LICENTIA_ASSIGN_OR_RETURN(std::string sig_hex,
                            Text(f, "signature", 128, true));
  auto payload = crypto::FromBase64(payload_b64);
  auto key = crypto::FromHex(key_hex);
  auto sig = crypto::FromHex(sig_hex);
  crypto::PublicKey public_key{};
  crypto::Signature signature{};
  if (!payload || !key || key->size() != public_key.size() || !sig ||
      sig->size() != signature.size()) {
    return Invalid("its payload, key or signature is not well formed.");
  }
  std::copy(key->begin(), key->end(), public_key.begin());
  std::copy(sig->begin(), sig->end(), signature.begin());
  std::string_view bytes(reinterpret_cast<const char*>(payload->data()),
                         payload->size());
  if (!crypto::Verify(SignedBytes(bytes), signature, public_key)) {
    return Invalid("it was changed after the device wrote it.");
  }
  json::value pv = json::parse(bytes, ec);
  if (ec || !pv.is_object()) return Invalid("its payload is not JSON.");
  const json::object& p = pv.as_object();
  OfflineRequest r;
  LICENTIA_ASSIGN_OR_RETURN(std::string kind, Text(p, "kind", 16, true));
  bool known = false;
  for (auto k :
       {OfflineRequestKind::kActivate, OfflineRequestKind::kDeactivate,
        OfflineRequestKind::kAddReserve, OfflineRequestKind::kPrepareReserve}) {
    if (kind == OfflineRequestKindName(k)) {
      r.kind = k;
      known = true;
    }
  }
  if (!known) {
    return Invalid(fmt::format("'{}' is not a kind of request.", kind));
  }
  LICENTIA_ASSIGN_OR_RETURN(std::string id_hex,
                            Text(p, "request_id", 2 * kRequestIdBytes, true));
  auto id = crypto::FromHex(id_hex);
  if (!id || id->size() != kRequestIdBytes) {
    return Invalid("its request id is not 32 hex digits.");
  }
  std::copy(id->begin(), id->end(), r.id.begin());
  const json::value* created = p.if_contains("created_at");
  if (created == nullptr || !created->is_int64()) {
    return Invalid("'created_at' is not a time.");
  }
  r.created_at = created->as_int64();
  LICENTIA_ASSIGN_OR_RETURN(r.product, Text(p, "product", 64, true));
  LICENTIA_ASSIGN_OR_RETURN(r.code, Text(p, "code", 64, true));
  LICENTIA_ASSIGN_OR_RETURN(r.fingerprint, Text(p, "fingerprint", 128, true));
  LICENTIA_ASSIGN_OR_RETURN(r.device_name, Text(p, "device_name", 200, false));
  LICENTIA_ASSIGN_OR_RETURN(r.os, Text(p, "os", 200, false));
  LICENTIA_ASSIGN_OR_RETURN(r.app_version, Text(p, "app_version", 32, true));
  if (const json::value* ids = p.if_contains("accepts_key_ids")) {
    if (!ids->is_array() || ids->as_array().size() > 16) {
      return Invalid("'accepts_key_ids' is not a list of at most 16 ids.");
    }
    for (const auto& v : ids->as_array()) {
      if (!v.is_string() || v.as_string().size() > 2 * crypto::kKeyIdBytes) {
        return Invalid("'accepts_key_ids' holds something not a key id.");
      }
      r.accepts_key_ids.emplace_back(v.as_string());
    }
  }
  if (r.kind != OfflineRequestKind::kActivate) {
    LICENTIA_ASSIGN_OR_RETURN(r.activation_token,
                              Text(p, "activation_token", 128, true));
  }
  if (r.kind == OfflineRequestKind::kAddReserve) {
    LICENTIA_ASSIGN_OR_RETURN(r.reserve_code,
                              Text(p, "reserve_code", 64, true));
  }
  return r;
}

}  // namespace licentia
