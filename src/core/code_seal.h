// Sealing an activation code for the one account allowed to read it again
// (its license administrator, in the console): XChaCha20-Poly1305 under a
// key of the server's data directory (server/secrets.h), bound to the
// code's id so that a sealed value copied onto another row does not open.
//
// Text form: base64 of nonce (24 bytes) || ciphertext || tag (16 bytes).
// A random nonce per seal: 192 bits leave no collision to fear.
//
// Thread safety: both functions may be called from any thread.
#ifndef LICENTIA_CORE_CODE_SEAL_H_
#define LICENTIA_CORE_CODE_SEAL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace licentia {

constexpr size_t kCodeSealKeyBytes = 32;
constexpr size_t kCodeSealNonceBytes = 24;
constexpr size_t kCodeSealTagBytes = 16;
using CodeSealKey = std::array<std::uint8_t, kCodeSealKeyBytes>;

// The sealed text of `code` (its canonical text) for the code `code_id`.
[[nodiscard]] std::string SealCode(const CodeSealKey& key, std::int64_t code_id,
                                   std::string_view code);

// The code sealed in `sealed` for `code_id`; kCorruption if it is not a
// seal made with `key` for that id (nothing of it is returned then).
[[nodiscard]] Result<std::string> OpenSealedCode(const CodeSealKey& key,
                                                 std::int64_t code_id,
                                                 std::string_view sealed);

// The same for another of the server's secrets kept for one account (a
// console account's TOTP secret): `purpose` ("code", "totp") is bound in,
// so a value sealed for one purpose or id never opens as another.
// SealCode(key, id, code) is SealSecret(key, "code", id, code).
[[nodiscard]] std::string SealSecret(const CodeSealKey& key,
                                     std::string_view purpose, std::int64_t id,
                                     std::string_view secret);
[[nodiscard]] Result<std::string> OpenSealedSecret(const CodeSealKey& key,
                                                   std::string_view purpose,
                                                   std::int64_t id,
                                                   std::string_view sealed);

}  // namespace licentia

#endif  // LICENTIA_CORE_CODE_SEAL_H_
