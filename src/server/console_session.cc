#include "server/console_session.h"

#include <fmt/format.h>
#include <sodium.h>

namespace licentia::server {

std::string NewSessionToken() {
  return crypto::RandomToken("lts_", kSessionTokenBytes);
}

std::optional<std::string> CookieValue(std::string_view header,
                                       std::string_view name) {
  constexpr size_t kMaxValue = 128;
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? "" : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty() || value.size() > kMaxValue) return std::nullopt;
    return std::string(value);
  }
  return std::nullopt;
}

crypto::Hash SessionHash(std::string_view token) {
  return crypto::Blake2b(token);
}

std::string CsrfToken(std::string_view session_token) {
  return crypto::ToHex(
      crypto::Blake2b(fmt::format("licentia-csrf/1:{}", session_token)));
}

bool CsrfTokenMatches(std::string_view session_token,
                      std::string_view presented) {
  std::string expected = CsrfToken(session_token);
  return presented.size() == expected.size() &&
         sodium_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

std::string SessionCookie(std::string_view token, UnixSeconds max_age_seconds,
                          bool secure) {
  return fmt::format(
      "{}={}; Path=/console; Max-Age={}; HttpOnly; "
      "SameSite=Strict{}",
      kSessionCookie, max_age_seconds > 0 ? token : "", max_age_seconds,
      secure ? "; Secure" : "");
}

}  // namespace licentia::server
