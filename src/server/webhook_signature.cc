#include "server/webhook_signature.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <charconv>

#include "core/crypto.h"

namespace licentia::server {
namespace {

std::array<unsigned char, crypto_auth_hmacsha256_BYTES> Mac(
    std::string_view secret, UnixSeconds t, std::string_view body) {
  crypto::EnsureInitialized();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(
      &state, reinterpret_cast<const unsigned char*>(secret.data()),
      secret.size());
  std::string prefix = fmt::format("{}.", t);
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(prefix.data()),
      prefix.size());
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_final(&state, mac.data());
  return mac;
}

}  // namespace

std::string SignWebhook(std::string_view secret, UnixSeconds t,
                        std::string_view body) {
  auto mac = Mac(secret, t, body);
  return fmt::format(
      "t={},v1={}", t,
      crypto::ToHex(std::span<const std::uint8_t>(mac.data(), mac.size())));
}

bool VerifyWebhook(std::string_view secret, std::string_view header,
                   std::string_view body, UnixSeconds now,
                   UnixSeconds tolerance) {
  if (!header.starts_with("t=")) return false;
  size_t comma = header.find(",v1=");
  if (comma == std::string_view::npos) return false;
  UnixSeconds t = 0;
  std::string_view digits = header.substr(2, comma - 2);
  auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), t);
  if (ec != std::errc() || end != digits.data() + digits.size()) return false;
  if (t > now + tolerance || t < now - tolerance) return false;
  auto given = crypto::FromHex(header.substr(comma + 4));
  auto mac = Mac(secret, t, body);
  return given && given->size() == mac.size() &&
         sodium_memcmp(given->data(), mac.data(), mac.size()) == 0;
}

}  // namespace licentia::server
