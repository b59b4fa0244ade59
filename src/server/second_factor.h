// The console's optional second sign-in factor: a TOTP secret the account
// holder keeps in an authenticator application (server/totp.h), and ten
// one-time recovery codes for when the phone is lost.
//
// Setting it up takes two steps, so that a secret the holder never managed
// to enter in the application can never lock them out: Setup makes a
// secret and keeps it pending; Enable turns it on once a code computed
// from it is typed back, and returns the recovery codes - shown once, only
// their hashes are kept. The secret is sealed under the data directory's
// code-seal.key (core/code_seal.h, purpose "totp"). Each TOTP step is
// accepted once per account, so a code seen over a shoulder cannot be
// replayed.
//
// Each function is the body of one transaction; nothing is written when it
// fails.
#ifndef LICENTIA_SERVER_SECOND_FACTOR_H_
#define LICENTIA_SERVER_SECOND_FACTOR_H_

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/code_seal.h"
#include "core/status.h"
#include "store/store.h"

namespace licentia::server {

constexpr int kRecoveryCodes = 10;

// A new pending secret for `account`: {"secret" (base32, for typing),
// "otpauth_uri"}. CONFLICT if the second factor is on already.
Result<boost::json::object> SetUpSecondFactor(store::Transaction& txn,
                                              const CodeSealKey& key,
                                              std::int64_t account);

// Turns the pending secret on if `code` is its code now:
// {"recovery_codes": [...]}. UNAUTHORIZED for a wrong code; CONFLICT if
// nothing is pending.
Result<boost::json::object> EnableSecondFactor(store::Transaction& txn,
                                               const CodeSealKey& key,
                                               std::int64_t account,
                                               std::string_view code,
                                               UnixSeconds now);

// Turns it off and forgets the recovery codes.
Status DisableSecondFactor(store::Transaction& txn, std::int64_t account);

// A sign-in's second step for `account` (whose password was right):
// SECOND_FACTOR_REQUIRED if it has one and neither code was given;
// UNAUTHORIZED if the code is wrong or was used; OK otherwise, the code
// then used up.
Status CheckSecondFactor(store::Transaction& txn, const CodeSealKey& key,
                         const store::AccountRow& account,
                         const std::optional<std::string>& totp_code,
                         const std::optional<std::string>& recovery_code,
                         UnixSeconds now);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_SECOND_FACTOR_H_
