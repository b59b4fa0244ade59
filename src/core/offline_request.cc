#include "core/offline_request.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <optional>

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

// `hex` decoded into `out`, if it is exactly that many bytes.
template <std::size_t N>
bool HexInto(std::string_view hex, std::array<std::uint8_t, N>& out) {
  auto bytes = crypto::FromHex(hex);
  if (!bytes || bytes->size() != N) return false;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return true;
}

// The signed payload a file carries, Base64-decoded, as text.
std::optional<std::string> PayloadText(std::string_view base64) {
  auto bytes = crypto::FromBase64(base64);
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
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
  std::optional<std::string> payload = PayloadText(payload_b64);
  crypto::PublicKey public_key{};
  crypto::Signature signature{};
  if (!payload || !HexInto(key_hex, public_key) ||
      !HexInto(sig_hex, signature)) {
    return Invalid("its payload, key or signature is not well formed.");
  }
  std::string_view bytes = *payload;
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
  if (!HexInto(id_hex, r.id)) {
    return Invalid("its request id is not 32 hex digits.");
  }
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

namespace {

constexpr std::string_view kResponseContext = "licentia/device-response/v1";

Status NotAResponse(std::string_view why) {
  return Status(ErrorCode::kInvalidRequest,
                fmt::format("This is not a response file: {}", why));
}

}  // namespace

crypto::Bytes OfflineResponseSignedBytes(std::string_view payload) {
  crypto::Bytes bytes(kResponseContext.begin(), kResponseContext.end());
  bytes.push_back(0);
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

std::string OfflineResponsePayload(const OfflineResponse& r) {
  boost::system::error_code ec;
  json::value answer = json::parse(r.answer, ec);
  return json::serialize(
      json::object{{"request_id", crypto::ToHex(r.request_id)},
                   {"kind", OfflineRequestKindName(r.kind)},
                   {"answer", ec ? json::value(nullptr) : std::move(answer)}});
}

std::string WriteOfflineResponse(std::string_view payload,
                                 const crypto::KeyId& key_id,
                                 const crypto::Signature& signature) {
  return json::serialize(json::object{
      {"format", kOfflineResponseFormat},
      {"payload", crypto::ToBase64Public(std::span<const std::uint8_t>(
                      reinterpret_cast<const std::uint8_t*>(payload.data()),
                      payload.size()))},
      {"key_id", crypto::ToHex(key_id)},
      {"signature", crypto::ToHex(signature)}});
}

Result<OfflineResponse> ReadOfflineResponse(
    std::string_view text, std::span<const crypto::PublicKey> trusted) {
  if (text.size() > kMaxOfflineFileBytes) {
    return Status(ErrorCode::kPayloadTooLarge,
                  fmt::format("A response file is at most {} bytes.",
                              kMaxOfflineFileBytes));
  }
  boost::system::error_code ec;
  json::value file = json::parse(text, ec);
  if (ec || !file.is_object()) return NotAResponse("it is not JSON.");
  const json::object& f = file.as_object();
  const auto* format = f.if_contains("format");
  if (!format || !format->is_string() ||
      format->as_string() != kOfflineResponseFormat) {
    return NotAResponse(
        fmt::format("its format is not '{}'.", kOfflineResponseFormat));
  }
  auto field = [&](const char* name) -> std::string_view {
    const auto* v = f.if_contains(name);
    return v && v->is_string() ? std::string_view(v->as_string())
                               : std::string_view();
  };
  std::optional<std::string> payload = PayloadText(field("payload"));
  crypto::KeyId id{};
  crypto::Signature signature{};
  if (!payload || !HexInto(field("key_id"), id) ||
      !HexInto(field("signature"), signature)) {
    return NotAResponse("its payload, key id or signature is not well formed.");
  }
  std::string_view bytes = *payload;
  const crypto::PublicKey* signer = nullptr;
  for (const auto& key : trusted) {
    if (crypto::KeyIdOf(key) == id) signer = &key;
  }
  if (signer == nullptr) {
    return Status(ErrorCode::kKeyUnknownSigner,
                  "The response file is signed by a key this application "
                  "does not trust.");
  }
  if (!crypto::Verify(OfflineResponseSignedBytes(bytes), signature, *signer)) {
    return Status(ErrorCode::kKeySignatureInvalid,
                  "The response file was changed after the server signed it.");
  }
  json::value pv = json::parse(bytes, ec);
  const json::object* p = !ec && pv.is_object() ? &pv.as_object() : nullptr;
  const json::value* answer = p ? p->if_contains("answer") : nullptr;
  const json::value* kind = p ? p->if_contains("kind") : nullptr;
  const json::value* rid = p ? p->if_contains("request_id") : nullptr;
  if (!answer || !answer->is_object() || !kind || !kind->is_string() || !rid ||
      !rid->is_string()) {
    return NotAResponse("its payload lacks a field.");
  }
  OfflineResponse r;
  if (!HexInto(rid->as_string(), r.request_id)) {
    return NotAResponse("its request id is not 32 hex digits.");
  }
  bool known = false;
  for (auto k :
       {OfflineRequestKind::kActivate, OfflineRequestKind::kDeactivate,
        OfflineRequestKind::kAddReserve, OfflineRequestKind::kPrepareReserve}) {
    if (kind->as_string() == OfflineRequestKindName(k)) {
      r.kind = k;
      known = true;
    }
  }
  if (!known) return NotAResponse("its kind is unknown.");
  r.answer = json::serialize(*answer);
  return r;
}

}  // namespace licentia
