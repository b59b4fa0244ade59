#include "core/crypto.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace licentia::crypto {

void EnsureInitialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();
  });
}

void RandomBytes(std::span<std::uint8_t> out) {
  EnsureInitialized();
  randombytes_buf(out.data(), out.size());
}

std::uint32_t RandomUniform(std::uint32_t upper_bound) {
  EnsureInitialized();
  return randombytes_uniform(upper_bound);
}

SigningKeyPair GenerateSigningKeyPair() {
  EnsureInitialized();
  SigningKeyPair pair;
  crypto_sign_ed25519_keypair(pair.public_key.data(), pair.secret_key.data());
  return pair;
}

SigningKeyPair SigningKeyPairFromSeed(
    const std::array<std::uint8_t, kSeedBytes>& seed) {
  EnsureInitialized();
  SigningKeyPair pair;
  crypto_sign_ed25519_seed_keypair(pair.public_key.data(),
                                   pair.secret_key.data(), seed.data());
  return pair;
}

KeyId KeyIdOf(const PublicKey& public_key) {
  Hash h = Blake2b(std::string_view(
      reinterpret_cast<const char*>(public_key.data()), public_key.size()));
  KeyId id;
  std::copy_n(h.begin(), id.size(), id.begin());
  return id;
}

Signature Sign(std::span<const std::uint8_t> message, const SecretKey& key) {
  EnsureInitialized();
  Signature sig;
  crypto_sign_ed25519_detached(sig.data(), nullptr, message.data(),
                               message.size(), key.data());
  return sig;
}

bool Verify(std::span<const std::uint8_t> message, const Signature& signature,
            const PublicKey& key) {
  EnsureInitialized();
  return crypto_sign_ed25519_verify_detached(signature.data(), message.data(),
                                             message.size(), key.data()) == 0;
}

Hash Blake2b(std::initializer_list<std::span<const std::uint8_t>> parts) {
  EnsureInitialized();
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kHashBytes);
  for (auto part : parts) {
    crypto_generichash_update(&state, part.data(), part.size());
  }
  Hash h;
  crypto_generichash_final(&state, h.data(), h.size());
  return h;
}

Hash Blake2b(std::string_view data) {
  EnsureInitialized();
  Hash h;
  crypto_generichash(h.data(), h.size(),
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), nullptr, 0);
  return h;
}

Hash Hmac(const HmacKey& key, std::string_view data) {
  EnsureInitialized();
  Hash h;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(
      &st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  crypto_auth_hmacsha256_final(&st, h.data());
  return h;
}

static_assert(sizeof(crypto_auth_hmacsha256_state) == 208);

PreparedHmac::PreparedHmac(const HmacKey& key) {
  EnsureInitialized();
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  std::memcpy(state_.data(), &st, sizeof st);
  sodium_memzero(&st, sizeof st);
}

PreparedHmac::~PreparedHmac() { sodium_memzero(state_.data(), state_.size()); }

Hash PreparedHmac::Mac(std::string_view data) const {
  Hash h;
  crypto_auth_hmacsha256_state st;
  std::memcpy(&st, state_.data(), sizeof st);
  crypto_auth_hmacsha256_update(
      &st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  crypto_auth_hmacsha256_final(&st, h.data());
  sodium_memzero(&st, sizeof st);
  return h;
}

bool Equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ToHex(std::span<const std::uint8_t> bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  return out;
}

std::optional<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  // libsodium's buffers must not be null, which an empty vector's may be.
  if (hex.empty()) return Bytes{};
  Bytes out(hex.size() / 2);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr,
                     &len, &end) != 0 ||
      len != out.size() || end != hex.data() + hex.size()) {
    return std::nullopt;
  }
  return out;
}

namespace {
std::string Encode(std::span<const std::uint8_t> bytes, int variant) {
  EnsureInitialized();
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    variant);
  out.resize(out.size() - 1);  // drop the terminating NUL
  return out;
}
}  // namespace

std::string ToBase64Public(std::span<const std::uint8_t> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out((bytes.size() + 2) / 3 * 4, '=');
  char* o = out.data();
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16 |
                      std::uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) v |= std::uint32_t{bytes[i + 1]} << 8;
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    if (rest == 2) *o++ = kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string ToBase64Url(std::span<const std::uint8_t> bytes) {
  return Encode(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<Bytes> FromBase64(std::string_view text) {
  EnsureInitialized();
  if (text.empty()) return Bytes{};  // (a null text is not allowed)
  Bytes out(text.size() * 3 / 4 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(),
                        "\r\n\t ", &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string RandomToken(std::string_view prefix, size_t bytes) {
  Bytes raw(bytes);
  RandomBytes(raw);
  std::string out(prefix);
  out += ToBase64Url(raw);
  return out;
}

}  // namespace licentia::crypto
