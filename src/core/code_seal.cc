#include "core/code_seal.h"

#include <fmt/format.h>
#include <sodium.h>

#include <vector>

#include "core/crypto.h"

namespace licentia {
namespace {

static_assert(kCodeSealKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kCodeSealNonceBytes ==
              crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kCodeSealTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

// The additional data: a format label naming the purpose, and the id.
std::string AdditionalData(std::string_view purpose, std::int64_t id) {
  return fmt::format("licentia-{}-seal/1:{}", purpose, id);
}

}  // namespace

std::string SealCode(const CodeSealKey& key, std::int64_t code_id,
                     std::string_view code) {
  return SealSecret(key, "code", code_id, code);
}

Result<std::string> OpenSealedCode(const CodeSealKey& key, std::int64_t code_id,
                                   std::string_view sealed) {
  return OpenSealedSecret(key, "code", code_id, sealed);
}

std::string SealSecret(const CodeSealKey& key, std::string_view purpose,
                       std::int64_t id, std::string_view code) {
  crypto::EnsureInitialized();
  std::vector<std::uint8_t> out(kCodeSealNonceBytes + code.size() +
                                kCodeSealTagBytes);
  crypto::RandomBytes(std::span(out.data(), kCodeSealNonceBytes));
  std::string ad = AdditionalData(purpose, id);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out.data() + kCodeSealNonceBytes, &written,
      reinterpret_cast<const unsigned char*>(code.data()), code.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      out.data(), key.data());
  return crypto::ToBase64Public(out);
}

Result<std::string> OpenSealedSecret(const CodeSealKey& key,
                                     std::string_view purpose, std::int64_t id,
                                     std::string_view sealed) {
  auto corrupt = [] {
    return Status(ErrorCode::kCorruption,
                  "A sealed secret does not open with this server's "
                  "code-seal.key.");
  };
  auto bytes = crypto::FromBase64(sealed);
  if (!bytes || bytes->size() < kCodeSealNonceBytes + kCodeSealTagBytes) {
    return corrupt();
  }
  std::string ad = AdditionalData(purpose, id);
  std::string plain(bytes->size() - kCodeSealNonceBytes - kCodeSealTagBytes,
                    '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &written, nullptr,
          bytes->data() + kCodeSealNonceBytes,
          bytes->size() - kCodeSealNonceBytes,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
          bytes->data(), key.data()) != 0) {
    sodium_memzero(plain.data(), plain.size());
    return corrupt();
  }
  plain.resize(written);
  return plain;
}

}  // namespace licentia
