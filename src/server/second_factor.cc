#include "server/second_factor.h"

#include <boost/json/array.hpp>
#include <cctype>
#include <vector>

#include "core/activation_code.h"
#include "core/crypto.h"
#include "server/totp.h"

namespace licentia::server {
namespace json = boost::json;

namespace {

constexpr std::string_view kPurpose = "totp";
constexpr size_t kRecoverySymbols = 10;  // 50 bits each, used once

Status WrongCode() {
  return Status(ErrorCode::kUnauthorized,
                "That code is not right, or it was used already; wait for "
                "the next one (and check the phone's clock).");
}

// A recovery code as typed: case, blanks and dashes do not matter.
crypto::Hash RecoveryHash(std::string_view typed) {
  std::string canonical;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    canonical.push_back(
        static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return crypto::Blake2b("licentia-recovery/1:" + canonical);
}

Result<std::vector<std::uint8_t>> OpenSecret(const CodeSealKey& key,
                                             std::int64_t account,
                                             std::string_view sealed) {
  LICENTIA_ASSIGN_OR_RETURN(std::string text,
                            OpenSealedSecret(key, kPurpose, account, sealed));
  auto bytes = FromBase32(text);
  if (!bytes || bytes->size() != kTotpSecretBytes) {
    return Status(ErrorCode::kCorruption,
                  "A stored second-factor secret is damaged.");
  }
  return std::move(*bytes);
}

Result<store::AccountRow> Account(store::Transaction& txn,
                                  std::int64_t account) {
  LICENTIA_ASSIGN_OR_RETURN(auto row, txn.FindAccountById(account));
  if (!row) {
    return Status(ErrorCode::kUnauthorized,
                  "Sign in to the management console first.");
  }
  return std::move(*row);
}

}  // namespace

Result<json::object> SetUpSecondFactor(store::Transaction& txn,
                                       const CodeSealKey& key,
                                       std::int64_t account) {
  LICENTIA_ASSIGN_OR_RETURN(store::AccountRow row, Account(txn, account));
  if (!row.totp_secret.empty()) {
    return Status(ErrorCode::kConflict,
                  "Two-step sign-in is on already; turn it off first to "
                  "set up another phone.");
  }
  std::vector<std::uint8_t> secret(kTotpSecretBytes);
  crypto::RandomBytes(secret);
  std::string text = Base32(secret);
  LICENTIA_RETURN_IF_ERROR(txn.SetAccountTotp(
      account, "", SealSecret(key, kPurpose, account, text), 0));
  return json::object{{"secret", text},
                      {"otpauth_uri", OtpauthUri(row.email, secret)}};
}

Result<json::object> EnableSecondFactor(store::Transaction& txn,
                                        const CodeSealKey& key,
                                        std::int64_t account,
                                        std::string_view code,
                                        UnixSeconds now) {
  LICENTIA_ASSIGN_OR_RETURN(store::AccountRow row, Account(txn, account));
  if (row.totp_pending.empty()) {
    return Status(ErrorCode::kConflict,
                  "There is no second factor being set up; start again.");
  }
  LICENTIA_ASSIGN_OR_RETURN(auto secret,
                            OpenSecret(key, account, row.totp_pending));
  auto step = MatchTotp(secret, code, now, 0);
  if (!step) return WrongCode();
  LICENTIA_RETURN_IF_ERROR(
      txn.SetAccountTotp(account, row.totp_pending, "", *step));
  json::array codes;
  std::vector<crypto::Hash> hashes;
  for (int i = 0; i < kRecoveryCodes; ++i) {
    std::string symbols;
    for (size_t j = 0; j < kRecoverySymbols; ++j) {
      symbols.push_back(kCodeAlphabet[crypto::RandomUniform(
          static_cast<std::uint32_t>(kCodeAlphabet.size()))]);
    }
    std::string shown = symbols.substr(0, 5) + "-" + symbols.substr(5);
    hashes.push_back(RecoveryHash(shown));
    codes.push_back(json::value(shown));
  }
  LICENTIA_RETURN_IF_ERROR(txn.ReplaceRecoveryCodes(account, hashes));
  return json::object{{"recovery_codes", std::move(codes)}};
}

Status DisableSecondFactor(store::Transaction& txn, std::int64_t account) {
  LICENTIA_RETURN_IF_ERROR(txn.SetAccountTotp(account, "", "", 0));
  return txn.ReplaceRecoveryCodes(account, {});
}

Status CheckSecondFactor(store::Transaction& txn, const CodeSealKey& key,
                         const store::AccountRow& account,
                         const std::optional<std::string>& totp_code,
                         const std::optional<std::string>& recovery_code,
                         UnixSeconds now) {
  if (account.totp_secret.empty()) return Status::Ok();
  if (totp_code) {
    LICENTIA_ASSIGN_OR_RETURN(auto secret,
                              OpenSecret(key, account.id, account.totp_secret));
    auto step = MatchTotp(secret, *totp_code, now, account.totp_last_step);
    if (!step) return WrongCode();
    // A concurrent sign-in with the same code loses here.
    LICENTIA_ASSIGN_OR_RETURN(bool fresh, txn.UseTotpStep(account.id, *step));
    return fresh ? Status::Ok() : WrongCode();
  }
  if (recovery_code) {
    LICENTIA_ASSIGN_OR_RETURN(
        bool used,
        txn.UseRecoveryCode(account.id, RecoveryHash(*recovery_code), now));
    return used ? Status::Ok() : WrongCode();
  }
  return Status(ErrorCode::kSecondFactorRequired,
                "Enter the code from your authenticator application, or "
                "one of your recovery codes.");
}

}  // namespace licentia::server
