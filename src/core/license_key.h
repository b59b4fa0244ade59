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
#include "core/key_batch.h"
#include "core/license_terms.h"
#include "core/status.h"

namespace licentia {

// Format 1: one Ed25519 signature per key. Format 2: keys issued together
// share one signature over a Merkle root (core/key_batch.h); each carries
// its path to the root. Verifiers accept both.
enum class KeyFormat : std::uint8_t { kSingle = 1, kBatch = 2 };
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

// The canonical payload bytes of `p` in `format`. kInvalidRequest if a
// string is longer than kMaxKeyStringBytes or there are more than
// kMaxKeyFeatures features.
Result<crypto::Bytes> EncodeLicenseKeyPayload(const LicenseKeyPayload& p,
                                              KeyFormat format);

// The text form of a signed key's bytes, as users paste it: BEGIN line,
// Base64 in lines of 64 characters, END line (docs/license-key.md). The
// bytes are not checked: give it what SignLicenseKey* returned.
std::string ArmourLicenseKey(std::span<const std::uint8_t> signed_key);

// Signs `p` alone (format 1) and returns the key's bytes (payload and
// signature; ArmourLicenseKey makes its text). `p.key_id` is overwritten
// with the id of `signer`. kInvalidRequest as EncodeLicenseKeyPayload.
Result<crypto::Bytes> SignLicenseKey(LicenseKeyPayload p,
                                     const crypto::SigningKeyPair& signer);

// Signs up to kMaxBatchKeys payloads with one signature (format 2) and
// returns each key's bytes, in order; a payload that cannot be encoded gets
// its error and is left out of the batch. Every key_id is overwritten with
// the id of `signer`. Each key gets a fresh random salt. Armouring is left
// to the caller so that it can happen on another thread than the signing.
// REQUIRES: 1 <= payloads.size() <= kMaxBatchKeys.
std::vector<Result<crypto::Bytes>> SignLicenseKeyBatch(
    std::vector<LicenseKeyPayload> payloads,
    const crypto::SigningKeyPair& signer);

// As above with the given salts, one per payload: only for golden vectors.
// A salt must never be reused; production code uses the overload above.
std::vector<Result<crypto::Bytes>> SignLicenseKeyBatchWithSalts(
    std::vector<LicenseKeyPayload> payloads,
    const crypto::SigningKeyPair& signer, std::span<const LeafSalt> salts);

// SignLicenseKey, armoured.
Result<std::string> IssueLicenseKey(LicenseKeyPayload p,
                                    const crypto::SigningKeyPair& signer);

// SignLicenseKeyBatch, each key armoured.
std::vector<Result<std::string>> IssueLicenseKeyBatch(
    std::vector<LicenseKeyPayload> payloads,
    const crypto::SigningKeyPair& signer);

// SignLicenseKeyBatchWithSalts, each key armoured: only for golden vectors.
std::vector<Result<std::string>> IssueLicenseKeyBatchWithSalts(
    std::vector<LicenseKeyPayload> payloads,
    const crypto::SigningKeyPair& signer, std::span<const LeafSalt> salts);

struct TrustedKey {
  crypto::PublicKey public_key;
};

// Parses and verifies an armoured key of either format against the trusted
// public keys. Errors: kKeyMalformed (armour, encoding or payload),
// kKeyUnknownSigner (no trusted key with its id), kKeySignatureInvalid.
Result<LicenseKeyPayload> VerifyLicenseKey(
    std::string_view armoured, std::span<const crypto::PublicKey> trusted);

// Checks a verified key for this device at `now`: kKeyWrongDevice,
// kKeyNotYetValid, kKeyExpired.
Status CheckLicenseKeyValidity(const LicenseKeyPayload& key,
                               std::string_view device_fingerprint,
                               UnixSeconds now);

}  // namespace licentia

#endif  // LICENTIA_CORE_LICENSE_KEY_H_
