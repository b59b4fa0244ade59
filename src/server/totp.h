// Time-based one-time passwords (RFC 6238) for the console's optional
// second sign-in factor: HMAC-SHA-1 over the count of 30-second steps, six
// digits - what every authenticator application computes from the
// otpauth:// URI it is given. Pinned by the RFC's own test vectors
// (totp_test.cc).
//
// Thread safety: every function may be called from any thread.
#ifndef LICENTIA_SERVER_TOTP_H_
#define LICENTIA_SERVER_TOTP_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace licentia::server {

constexpr size_t kTotpSecretBytes = 20;  // 160 bits, as RFC 4226 advises
constexpr int kTotpStepSeconds = 30;
constexpr int kTotpDigits = 6;
// Codes from one step before or after now are accepted too: a phone's
// clock a little off, or a code typed as it changed.
constexpr int kTotpWindowSteps = 1;

// The step `t` falls in.
std::int64_t TotpStep(UnixSeconds t);

// The code for `step` under `secret`, `digits` long with leading zeros.
std::string TotpCode(std::span<const std::uint8_t> secret, std::int64_t step,
                     int digits = kTotpDigits);

// The step whose code `code` is, within kTotpWindowSteps of `now`'s and
// later than `last_used_step` (a code is good once); empty otherwise.
std::optional<std::int64_t> MatchTotp(std::span<const std::uint8_t> secret,
                                      std::string_view code, UnixSeconds now,
                                      std::int64_t last_used_step);

// RFC 4648 base32 without padding, as authenticator applications take a
// secret, and back (case-insensitive; blanks ignored; empty on error).
std::string Base32(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> FromBase32(std::string_view text);

// otpauth://totp/Licentia:<account>?secret=...&issuer=Licentia&...
std::string OtpauthUri(std::string_view account,
                       std::span<const std::uint8_t> secret);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_TOTP_H_
