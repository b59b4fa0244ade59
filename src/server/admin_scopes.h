// What an admin token may do (docs/api.md, "Admin tokens"). Every token
// reads; beyond that it holds the scopes it was created with. A billing
// system gets `renew` and nothing that blocks or issues; support gets
// `seats`; `full` is everything, including managing tokens.
//
// Scopes are stored as their names, space-separated, in the order of
// AdminScope ("issue seats"); an unknown name read back is kCorruption.
#ifndef LICENTIA_SERVER_ADMIN_SCOPES_H_
#define LICENTIA_SERVER_ADMIN_SCOPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace licentia::server {

enum class AdminScope : std::uint8_t {
  kRead,      // every listing and lookup (every token has it)
  kIssue,     // products, versions, issuing codes, changing terms
  kRenew,     // renewing, suspending and resuming subscriptions
  kBlock,     // blocking and unblocking codes
  kSeats,     // freeing seats, the heartbeat sweep, offline answers
  kWebhooks,  // webhook endpoints and their deliveries
  kFull,      // all of the above, tokens and the test clock
};

inline constexpr AdminScope kAllScopes[] = {
    AdminScope::kRead,  AdminScope::kIssue, AdminScope::kRenew,
    AdminScope::kBlock, AdminScope::kSeats, AdminScope::kWebhooks,
    AdminScope::kFull};

std::string_view AdminScopeName(AdminScope scope);  // "read", "issue", ...
std::optional<AdminScope> AdminScopeFromName(std::string_view name);

// A token's scopes.
class ScopeSet {
 public:
  ScopeSet() = default;
  static ScopeSet Full() { return ScopeSet().With(AdminScope::kFull); }

  [[nodiscard]] ScopeSet With(AdminScope scope) const {
    ScopeSet s = *this;
    s.bits_ |= Bit(scope);
    return s;
  }
  // Whether a token with these scopes may do what needs `needed`: reading
  // is every token's; `full` grants everything.
  bool Grants(AdminScope needed) const {
    return needed == AdminScope::kRead || (bits_ & Bit(AdminScope::kFull)) ||
           (bits_ & Bit(needed));
  }

  // "issue seats" (read is implied and not written unless alone).
  std::string ToString() const;
  std::vector<std::string> Names() const;
  // From the stored text; kCorruption naming an unknown scope.
  static Result<ScopeSet> FromStored(std::string_view text);
  // From a request's list of names; kInvalidRequest naming an unknown one
  // or an empty list.
  static Result<ScopeSet> FromNames(const std::vector<std::string>& names);

  bool operator==(const ScopeSet&) const = default;

 private:
  static std::uint32_t Bit(AdminScope s) {
    return 1u << static_cast<unsigned>(s);
  }
  std::uint32_t bits_ = 0;
};

// Who made an admin request: the token's id and name, and its scopes.
struct AdminCaller {
  std::int64_t token_id = 0;
  std::string token_name;
  ScopeSet scopes;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_ADMIN_SCOPES_H_
