// Passwords of console accounts, hashed with Argon2id (libsodium's
// crypto_pwhash_str): the salt and cost parameters travel inside the
// stored string, so stronger parameters later verify old hashes too.
//
// Cost: libsodium's "interactive" limits (2 passes over 64 MiB), about
// 60-100 ms of one core here; the server runs hashing off its network
// threads (server/blocking_worker.h) and limits sign-in failures.
//
// Thread safety: every function may be called from any thread.
#ifndef LICENTIA_CORE_PASSWORD_HASH_H_
#define LICENTIA_CORE_PASSWORD_HASH_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace licentia {

// What a password must be: long enough to resist guessing, short enough
// that hashing it is not a way to make the server work.
constexpr size_t kMinPasswordChars = 10;
constexpr size_t kMaxPasswordBytes = 256;

// kInvalidRequest naming the rule if `password` is too short or too long.
Status CheckPasswordRules(std::string_view password);

// The stored form of `password`. kInternal only if memory for the hash
// cannot be had. REQUIRES: CheckPasswordRules(password) is ok.
[[nodiscard]] Result<std::string> HashPassword(std::string_view password);

// Whether `password` matches `stored` (a HashPassword result). False for
// a malformed `stored`, never an error: it fails closed.
[[nodiscard]] bool VerifyPassword(std::string_view stored,
                                  std::string_view password);

// A fixed hash to verify against when no account has the email, so that
// a sign-in costs the same whether or not the account exists.
const std::string& DummyPasswordHash();

}  // namespace licentia

#endif  // LICENTIA_CORE_PASSWORD_HASH_H_
