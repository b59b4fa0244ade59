// Thin, hard-to-misuse wrappers over libsodium: named sizes, fixed-size
// arrays instead of pointer+length pairs, results that must be checked.
#ifndef LICENTIA_CORE_CRYPTO_H_
#define LICENTIA_CORE_CRYPTO_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace licentia::crypto {

constexpr size_t kPublicKeyBytes = 32;
constexpr size_t kSecretKeyBytes = 64;  // libsodium's seed || public key
constexpr size_t kSignatureBytes = 64;
constexpr size_t kHashBytes = 32;
constexpr size_t kKeyIdBytes = 8;
constexpr size_t kHmacKeyBytes = 32;

using PublicKey = std::array<std::uint8_t, kPublicKeyBytes>;
using SecretKey = std::array<std::uint8_t, kSecretKeyBytes>;
using Signature = std::array<std::uint8_t, kSignatureBytes>;
using Hash = std::array<std::uint8_t, kHashBytes>;
using KeyId = std::array<std::uint8_t, kKeyIdBytes>;
using HmacKey = std::array<std::uint8_t, kHmacKeyBytes>;
using Bytes = std::vector<std::uint8_t>;

// Initialises libsodium. Safe to call many times from any thread. Aborts the
// process if libsodium cannot initialise (no usable randomness).
void EnsureInitialized();

// Fills `out` from the operating system CSPRNG.
void RandomBytes(std::span<std::uint8_t> out);
// Uniform in [0, upper_bound).
std::uint32_t RandomUniform(std::uint32_t upper_bound);

struct SigningKeyPair {
  PublicKey public_key;
  SecretKey secret_key;
};
SigningKeyPair GenerateSigningKeyPair();
constexpr size_t kSeedBytes = 32;
// Deterministic key pair from a 32-byte seed (golden test vectors).
SigningKeyPair SigningKeyPairFromSeed(
    const std::array<std::uint8_t, kSeedBytes>& seed);
// The signing-key id: the first kKeyIdBytes of BLAKE2b-256(public key).
KeyId KeyIdOf(const PublicKey& public_key);

Signature Sign(std::span<const std::uint8_t> message, const SecretKey& key);
// True only for a valid signature by `key` over exactly `message`.
[[nodiscard]] bool Verify(std::span<const std::uint8_t> message,
                          const Signature& signature, const PublicKey& key);

// BLAKE2b-256 of `data`.
Hash Blake2b(std::string_view data);
// BLAKE2b-256 of the concatenation of `parts` (no copy is made).
Hash Blake2b(std::initializer_list<std::span<const std::uint8_t>> parts);
// Keyed hash (HMAC-SHA-256) for secrets stored at rest (codes, tokens).
Hash Hmac(const HmacKey& key, std::string_view data);

// HMAC-SHA-256 under one key, many times: the key's inner and outer states
// are computed once, so each Mac costs two SHA-256 blocks fewer than
// Hmac(key, data) (every device call hashes a code). Mac(data) equals
// Hmac(key, data). The key-derived states are wiped on destruction.
// Thread-safe: Mac is const and works on a copy of the states.
class PreparedHmac {
 public:
  explicit PreparedHmac(const HmacKey& key);
  ~PreparedHmac();
  PreparedHmac(const PreparedHmac& other) = default;
  PreparedHmac& operator=(const PreparedHmac& other) = default;

  Hash Mac(std::string_view data) const;

 private:
  // sizeof(crypto_auth_hmacsha256_state), checked in crypto.cc: the
  // header stays free of sodium.h.
  static constexpr size_t kStateBytes = 208;
  alignas(16) std::array<std::uint8_t, kStateBytes> state_;
};

// Constant-time comparison.
[[nodiscard]] bool Equal(std::span<const std::uint8_t> a,
                         std::span<const std::uint8_t> b);

std::string ToHex(std::span<const std::uint8_t> bytes);
// Returns std::nullopt for odd length or non-hex characters.
std::optional<Bytes> FromHex(std::string_view hex);
// Standard Base64 with padding, for data that is not secret (license
// keys). Variable time and table-driven: libsodium's encoder is constant
// time, which secrets need and a public key does not (it cost more than
// the rest of issuing a batch key). The output is libsodium's, for every
// length (crypto_test.cc). Secrets use ToBase64Url.
std::string ToBase64Public(std::span<const std::uint8_t> bytes);
// Accepts standard Base64 with padding, ignoring "\r\n\t " in between.
std::optional<Bytes> FromBase64(std::string_view text);
// URL-safe Base64 without padding, for tokens.
std::string ToBase64Url(std::span<const std::uint8_t> bytes);

// A random URL-safe token carrying `bytes` bytes of entropy, with a prefix
// naming its kind ("lta_..."), so a leaked token is recognisable.
std::string RandomToken(std::string_view prefix, size_t bytes = 32);

}  // namespace licentia::crypto

#endif  // LICENTIA_CORE_CRYPTO_H_
