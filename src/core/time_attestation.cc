#include "core/time_attestation.h"

#include <algorithm>
#include <string_view>

namespace licentia {
namespace {

constexpr std::string_view kContext = "licentia-time-v1";
static_assert(kContext.size() == 16);

}  // namespace

crypto::Bytes TimeAttestationMessage(const TimeNonce& nonce,
                                     UnixSeconds server_time) {
  // Sized once and filled in place (appending to a growing vector trips a
  // false -Warray-bounds in GCC 12).
  crypto::Bytes message(kContext.size() + kTimeNonceBytes + 8);
  auto out = std::copy(kContext.begin(), kContext.end(), message.begin());
  out = std::copy(nonce.begin(), nonce.end(), out);
  auto t = static_cast<std::uint64_t>(server_time);
  for (int shift = 56; shift >= 0; shift -= 8) {
    *out++ = static_cast<std::uint8_t>(t >> shift);
  }
  return message;
}

TimeAttestation AttestTime(const TimeNonce& nonce, UnixSeconds server_time,
                           const crypto::SigningKeyPair& signer) {
  TimeAttestation a;
  a.server_time = server_time;
  a.key_id = crypto::KeyIdOf(signer.public_key);
  a.signature = crypto::Sign(TimeAttestationMessage(nonce, server_time),
                             signer.secret_key);
  return a;
}

Result<UnixSeconds> VerifyTimeAttestation(
    const TimeNonce& nonce, const TimeAttestation& attestation,
    std::span<const crypto::PublicKey> trusted) {
  for (const crypto::PublicKey& key : trusted) {
    if (crypto::KeyIdOf(key) != attestation.key_id) continue;
    if (!crypto::Verify(TimeAttestationMessage(nonce, attestation.server_time),
                        attestation.signature, key)) {
      return Status(ErrorCode::kKeySignatureInvalid,
                    "The server's signed time does not verify.");
    }
    return attestation.server_time;
  }
  return Status(ErrorCode::kKeyUnknownSigner,
                "The server's time is signed by a key this application does "
                "not trust.");
}

}  // namespace licentia
