// Offline activation: the request file a device that never reaches the
// server writes, and the vendor turns into a response file
// (docs/offline-files.md).
//
// A request is signed by a key pair the device makes for that request
// alone: a request changed after the device wrote it (another code, another
// fingerprint) no longer verifies, and only the device holds the secret
// half, for as long as it takes to sign. Its id is random; the server
// answers each id once, and the device imports only the answer to the
// request it has pending: a request is single-use at both ends.
#ifndef LICENTIA_CORE_OFFLINE_REQUEST_H_
#define LICENTIA_CORE_OFFLINE_REQUEST_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "core/status.h"
#include "licentia/clock.h"

namespace licentia {

inline constexpr std::string_view kOfflineRequestFormat =
    "licentia-device-request/1";
inline constexpr std::string_view kOfflineResponseFormat =
    "licentia-device-response/1";
inline constexpr std::size_t kRequestIdBytes = 16;
// Larger request files are refused before they are parsed.
inline constexpr std::size_t kMaxOfflineFileBytes = 16 * 1024;

// What a request stands for: the online call the vendor's answer makes.
enum class OfflineRequestKind {
  kActivate,        // POST /v1/activate
  kDeactivate,      // POST /v1/deactivate
  kAddReserve,      // POST /v1/reserve/register
  kPrepareReserve,  // POST /v1/reserve/prepare
};
std::string_view OfflineRequestKindName(OfflineRequestKind kind);

using RequestId = std::array<std::uint8_t, kRequestIdBytes>;

// What the device asks for. For kActivate: the code and what an online
// activation sends; for the others, the device's current seat (code,
// fingerprint, activation token) and, for kAddReserve, the reserve code.
struct OfflineRequest {
  OfflineRequestKind kind = OfflineRequestKind::kActivate;
  RequestId id{};
  UnixSeconds created_at = 0;
  std::string product;
  std::string code;  // canonical
  std::string fingerprint;
  std::string device_name;
  std::string os;
  std::string app_version;
  std::vector<std::string> accepts_key_ids;  // hex key ids
  std::string activation_token;              // all but kActivate
  std::string reserve_code;                  // kAddReserve, canonical

  bool operator==(const OfflineRequest&) const = default;
};

// The request file: its payload, signed by `device_key` (made for this
// request). Never fails.
std::string WriteOfflineRequest(const OfflineRequest& request,
                                const crypto::SigningKeyPair& device_key);

// Reads and verifies a request file. kPayloadTooLarge over
// kMaxOfflineFileBytes; kOfflineRequestInvalid when it is not a request
// file, its signature does not verify (it was changed), or a field is
// missing or of the wrong kind. On failure nothing is returned.
[[nodiscard]] Result<OfflineRequest> ReadOfflineRequest(std::string_view text);

// The vendor's answer to request `request_id`: the answer of the online
// call the request stood for (a JSON object's text), signed by the
// server's key so that a device takes nothing from a changed file.
struct OfflineResponse {
  RequestId request_id{};
  OfflineRequestKind kind = OfflineRequestKind::kActivate;
  std::string answer;  // JSON object text

  bool operator==(const OfflineResponse&) const = default;
};

// The bytes the server signs for `response`'s payload: a context string,
// a zero byte, the payload bytes.
crypto::Bytes OfflineResponseSignedBytes(std::string_view payload);
// The payload bytes of `response` (what is signed and carried).
std::string OfflineResponsePayload(const OfflineResponse& response);
// The response file, from the payload and the server's signature over
// OfflineResponseSignedBytes(payload) by key `key_id`. Never fails.
std::string WriteOfflineResponse(std::string_view payload,
                                 const crypto::KeyId& key_id,
                                 const crypto::Signature& signature);
// Reads a response file and verifies it against `trusted` (the keys the
// application trusts). kInvalidRequest when it is not a response file,
// kKeyUnknownSigner when no trusted key signed it, kKeySignatureInvalid
// when it was changed. On failure nothing is returned.
[[nodiscard]] Result<OfflineResponse> ReadOfflineResponse(
    std::string_view text, std::span<const crypto::PublicKey> trusted);

}  // namespace licentia

#endif  // LICENTIA_CORE_OFFLINE_REQUEST_H_
