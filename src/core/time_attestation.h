// A server's signed statement of its clock, made for one device request.
//
// A device normally only ever moves its trusted time forward, so that
// setting the clock back cannot extend a license. When the device clock
// ran ahead (set wrongly, or a dead RTC battery), the trusted time is too
// late, and only the server can bring it back. An unsigned server_time
// cannot be trusted for that (anyone can answer a device with an old time),
// and a signed one could be replayed; so the device sends a fresh random
// nonce and the server signs its time together with that nonce.
//
// The signed message (docs/time-attestation.md; golden vector in
// time_attestation_test.cc) is, byte for byte:
//   "licentia-time-v1" (16 bytes) || nonce (16 bytes) ||
//   server time (int64, big-endian Unix seconds)
// signed with Ed25519 by the server's license-key signing key.
#ifndef LICENTIA_CORE_TIME_ATTESTATION_H_
#define LICENTIA_CORE_TIME_ATTESTATION_H_

#include <array>
#include <cstdint>
#include <span>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/status.h"

namespace licentia {

constexpr size_t kTimeNonceBytes = 16;
using TimeNonce = std::array<std::uint8_t, kTimeNonceBytes>;

struct TimeAttestation {
  UnixSeconds server_time = 0;
  crypto::KeyId key_id{};  // which signing key made the signature
  crypto::Signature signature{};
};

// The exact bytes signed for `nonce` at `server_time`.
crypto::Bytes TimeAttestationMessage(const TimeNonce& nonce,
                                     UnixSeconds server_time);

// Signs `server_time` for `nonce` with `signer`.
TimeAttestation AttestTime(const TimeNonce& nonce, UnixSeconds server_time,
                           const crypto::SigningKeyPair& signer);

// The attested time if `attestation` was signed for exactly `nonce` by one
// of `trusted`. kKeyUnknownSigner if no trusted key has its key id;
// kKeySignatureInvalid if the signature does not verify (a changed time,
// another nonce). Fails closed: no time is returned on any error.
[[nodiscard]] Result<UnixSeconds> VerifyTimeAttestation(
    const TimeNonce& nonce, const TimeAttestation& attestation,
    std::span<const crypto::PublicKey> trusted);

}  // namespace licentia

#endif  // LICENTIA_CORE_TIME_ATTESTATION_H_
