// The console's session cookie and its CSRF token, as pure functions.
//
// A session is a random 32-byte token, sent only as an HttpOnly,
// SameSite=Strict cookie (Secure when the console is served over TLS);
// the store keeps its hash. Every state-changing console request carries
// the session's CSRF token in the X-Licentia-CSRF header: the token is a
// hash of the session token under a fixed label, so it needs no storage,
// changes with the session, and another site can neither read nor compute
// it. Requests made before a session exists (sign-up, sign-in) carry the
// header too, with any value: a custom header cannot be sent cross-site
// without a CORS preflight, which licentiad never grants.
#ifndef LICENTIA_SERVER_CONSOLE_SESSION_H_
#define LICENTIA_SERVER_CONSOLE_SESSION_H_

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/crypto.h"

namespace licentia::server {

constexpr std::string_view kSessionCookie = "licentia_session";
// The session token's text: "lts_" and 43 base64url characters.
constexpr size_t kSessionTokenBytes = 32;

// A new random session token.
std::string NewSessionToken();

// The value of cookie `name` in a Cookie header, if present and of a
// plausible length (at most 128 bytes); the first one if several.
std::optional<std::string> CookieValue(std::string_view cookie_header,
                                       std::string_view name);

// How the store knows a session: the hash of its token.
crypto::Hash SessionHash(std::string_view token);

// The CSRF token of the session `token`.
std::string CsrfToken(std::string_view session_token);

// Whether `presented` is the CSRF token of `session_token`, compared in
// constant time.
bool CsrfTokenMatches(std::string_view session_token,
                      std::string_view presented);

// The Set-Cookie value that sets the session for `max_age_seconds`, or
// (max_age_seconds == 0) clears it.
std::string SessionCookie(std::string_view token, UnixSeconds max_age_seconds,
                          bool secure);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_CONSOLE_SESSION_H_
