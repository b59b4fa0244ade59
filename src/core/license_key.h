// License keys (rule 5): what a device holds after activation. A key is a
// versioned canonical payload signed with Ed25519, armoured as text a user can
// paste. docs/license-key.md specifies the format byte by byte and
// license_key_test.cc pins it with golden vectors.
//
// Verification fails closed: VerifyLicenseKey returns a LicenseKey only when
// the armour, the signature and the whole payload are valid; otherwise it
// returns an error and no payload at all.
#ifndef LICENTIA_CORE_LICENSE_KEY_H_
#define LICENTIA_CORE_LICENSE_KEY_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/license_terms.h"
#include "core/status.h"

namespace licentia {

constexpr std::uint8_t kLicenseKeyFormatVersion = 1;
constexpr std::string_view kLicenseKeyMagic = "LCNS";
constexpr std::string_view kLicenseKeyBegin =
    "-----BEGIN LICENTIA LICENSE KEY-----";
constexpr std::string_view kLicenseKeyEnd =
    "-----END LICENTIA LICENSE KEY-----";
constexpr size_t kMaxLicenseKeyBytes = 8192;
constexpr size_t kMaxKeyStringBytes = 255;
constexpr size_t kMaxKeyFeatures = 64;

struct LicenseKeyPayload {
  crypto::KeyId key_id{};    // which signing key signed it
  std::uint64_t serial = 0;  // unique per issued key
  UnixSeconds issued_at = 0;
  UnixSeconds valid_from = 0;
  UnixSeconds valid_until = 0;
  LicenseType type = LicenseType::kTerm;
  std::uint16_t max_devices = 1;
  crypto::Hash device_binding{};  // DeviceBinding(fingerprint)
  std::string product;
  std::string edition;
  std::string code_id;  // the code's public id, never the code itself
  std::vector<std::string> features;

  bool operator==(const LicenseKeyPayload&) const = default;
};

// BLAKE2b-256 of "licentia/device/v1\0" || fingerprint.
crypto::Hash DeviceBinding(std::string_view fingerprint);

// The canonical bytes that are signed. kInvalidRequest if a string is longer
// than kMaxKeyStringBytes or there are more than kMaxKeyFeatures features.
Result<crypto::Bytes> EncodeLicenseKeyPayload(const LicenseKeyPayload& p);

// Signs `p` and returns the armoured key. `p.key_id` is overwritten with the
// id of `signer`.
Result<std::string> IssueLicenseKey(LicenseKeyPayload p,
                                    const crypto::SigningKeyPair& signer);

struct TrustedKey {
  crypto::PublicKey public_key;
};

// Parses and verifies an armoured key against the trusted public keys.
// Errors: kKeyMalformed (armour, encoding or payload), kKeyUnknownSigner (no
// trusted key with its id), kKeySignatureInvalid.
Result<LicenseKeyPayload> VerifyLicenseKey(
    std::string_view armoured, std::span<const crypto::PublicKey> trusted);

// Checks a verified key for this device at `now`: kKeyWrongDevice,
// kKeyNotYetValid, kKeyExpired.
Status CheckLicenseKeyValidity(const LicenseKeyPayload& key,
                               std::string_view device_fingerprint,
                               UnixSeconds now);

}  // namespace licentia

#endif  // LICENTIA_CORE_LICENSE_KEY_H_
