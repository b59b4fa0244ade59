// How a webhook delivery is signed, so that its receiver can tell it came
// from this licentiad and was not replayed later (docs/webhooks.md):
//
//   Licentia-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256>
//
// where the HMAC is keyed with the endpoint's secret (its text, "whsec_…")
// over "<t>.<body>". A receiver recomputes it, compares in constant time
// and refuses a `t` too far from its own clock. Pinned by a golden vector
// (webhook_signature_test.cc) computed independently.
#ifndef LICENTIA_SERVER_WEBHOOK_SIGNATURE_H_
#define LICENTIA_SERVER_WEBHOOK_SIGNATURE_H_

#include <string>
#include <string_view>

#include "core/clock.h"

namespace licentia::server {

inline constexpr char kWebhookSignatureHeader[] = "Licentia-Signature";

// The header's value for `body` sent at `t` with `secret`.
[[nodiscard]] std::string SignWebhook(std::string_view secret, UnixSeconds t,
                                      std::string_view body);

// Whether `header` is a valid signature of `body` with `secret` made within
// `tolerance` seconds of `now`: what a receiver checks.
[[nodiscard]] bool VerifyWebhook(std::string_view secret,
                                 std::string_view header, std::string_view body,
                                 UnixSeconds now, UnixSeconds tolerance);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_WEBHOOK_SIGNATURE_H_
