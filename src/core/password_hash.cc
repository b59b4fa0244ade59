#include "core/password_hash.h"

#include <fmt/format.h>
#include <sodium.h>

#include "core/crypto.h"

namespace licentia {

Status CheckPasswordRules(std::string_view password) {
  // Characters, not bytes: UTF-8 continuation bytes do not count.
  size_t chars = 0;
  for (unsigned char c : password) chars += (c & 0xC0) != 0x80;
  if (chars < kMinPasswordChars) {
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("The password must have at least {} "
                              "characters.",
                              kMinPasswordChars));
  }
  if (password.size() > kMaxPasswordBytes) {
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("The password must be at most {} bytes long.",
                              kMaxPasswordBytes));
  }
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password) {
  crypto::EnsureInitialized();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status(ErrorCode::kInternal,
                  "Not enough memory to hash the password.");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view stored, std::string_view password) {
  crypto::EnsureInitialized();
  // crypto_pwhash_str_verify reads a NUL-terminated string.
  std::string s(stored.substr(0, crypto_pwhash_STRBYTES - 1));
  return crypto_pwhash_str_verify(s.c_str(), password.data(),
                                  password.size()) == 0;
}

const std::string& DummyPasswordHash() {
  static const std::string* hash = [] {
    auto h = HashPassword("licentia-no-such-account");
    return new std::string(h.ok() ? *h : "");
  }();
  return *hash;
}

}  // namespace licentia
