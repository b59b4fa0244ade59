#include "server/totp.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>

namespace licentia::server {
namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// RFC 3986 unreserved characters pass; everything else is %XX.
std::string UriEscape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

std::int64_t TotpStep(UnixSeconds t) {
  return t < 0 ? -1 : t / kTotpStepSeconds;
}

std::string TotpCode(std::span<const std::uint8_t> secret, std::int64_t step,
                     int digits) {
  std::array<std::uint8_t, 8> counter{};
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<std::uint8_t>(step & 0xff);
    step >>= 8;
  }
  std::array<std::uint8_t, 20> mac{};
  size_t mac_len = 0;
  // HMAC-SHA-1 (RFC 2104) as RFC 6238 specifies and authenticator
  // applications compute it; libsodium has no SHA-1.
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, secret.data(),
                secret.size(), counter.data(), counter.size(), mac.data(),
                mac.size(), &mac_len) == nullptr ||
      mac_len != mac.size()) {
    return "";  // matches no code typed
  }
  int offset = mac[19] & 0x0f;
  std::uint32_t binary =
      (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
      (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
      (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
      static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint32_t modulo = 1;
  for (int i = 0; i < digits; ++i) modulo *= 10;
  return fmt::format("{:0{}}", binary % modulo, digits);
}

std::optional<std::int64_t> MatchTotp(std::span<const std::uint8_t> secret,
                                      std::string_view code, UnixSeconds now,
                                      std::int64_t last_used_step) {
  std::string typed;
  for (char c : code) {
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9') return std::nullopt;
    typed.push_back(c);
  }
  if (typed.size() != kTotpDigits) return std::nullopt;
  std::int64_t now_step = TotpStep(now);
  std::optional<std::int64_t> found;
  // Every step in the window is computed, matched or not: the time taken
  // does not tell which one matched.
  for (std::int64_t s = now_step - kTotpWindowSteps;
       s <= now_step + kTotpWindowSteps; ++s) {
    std::string expected = TotpCode(secret, s);
    if (expected.size() == typed.size() &&
        sodium_memcmp(expected.data(), typed.data(), typed.size()) == 0 &&
        s > last_used_step && !found) {
      found = s;
    }
  }
  return found;
}

std::string Base32(std::span<const std::uint8_t> bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::optional<std::vector<std::uint8_t>> FromBase32(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '=') continue;
    char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    size_t v = kBase32Alphabet.find(upper);
    if (v == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string OtpauthUri(std::string_view account,
                       std::span<const std::uint8_t> secret) {
  return fmt::format(
      "otpauth://totp/Licentia:{}?secret={}&issuer=Licentia&algorithm=SHA1&"
      "digits={}&period={}",
      UriEscape(account), Base32(secret), kTotpDigits, kTotpStepSeconds);
}

}  // namespace licentia::server
