#include "server/admin_scopes.h"

#include <fmt/format.h>

namespace licentia::server {

std::string_view AdminScopeName(AdminScope scope) {
  switch (scope) {
    case AdminScope::kRead:
      return "read";
    case AdminScope::kIssue:
      return "issue";
    case AdminScope::kRenew:
      return "renew";
    case AdminScope::kBlock:
      return "block";
    case AdminScope::kSeats:
      return "seats";
    case AdminScope::kWebhooks:
      return "webhooks";
    case AdminScope::kFull:
      return "full";
  }
  return "read";
}

std::optional<AdminScope> AdminScopeFromName(std::string_view name) {
  for (AdminScope s : kAllScopes) {
    if (AdminScopeName(s) == name) return s;
  }
  return std::nullopt;
}

std::vector<std::string> ScopeSet::Names() const {
  std::vector<std::string> names;
  for (AdminScope s : kAllScopes) {
    if (s != AdminScope::kRead && (bits_ & Bit(s))) {
      names.emplace_back(AdminScopeName(s));
    }
  }
  if (names.empty()) names.emplace_back("read");
  return names;
}

std::string ScopeSet::ToString() const {
  return fmt::format("{}", fmt::join(Names(), " "));
}

Result<ScopeSet> ScopeSet::FromStored(std::string_view text) {
  ScopeSet set;
  while (!text.empty()) {
    size_t space = text.find(' ');
    std::string_view name = text.substr(0, space);
    auto scope = AdminScopeFromName(name);
    if (!scope) {
      return Status(ErrorCode::kCorruption,
                    fmt::format("An admin token holds a scope this licentiad "
                                "does not know ('{}').",
                                name.substr(0, 40)));
    }
    set = set.With(*scope);
    text = space == std::string_view::npos ? "" : text.substr(space + 1);
  }
  return set;
}

Result<ScopeSet> ScopeSet::FromNames(const std::vector<std::string>& names) {
  if (names.empty()) {
    return Status(ErrorCode::kInvalidRequest,
                  "scopes must name at least one of read, issue, renew, "
                  "block, seats, webhooks, full.");
  }
  ScopeSet set;
  for (const auto& name : names) {
    auto scope = AdminScopeFromName(name);
    if (!scope) {
      return Status(ErrorCode::kInvalidRequest,
                    fmt::format("There is no scope '{}'; the scopes are read, "
                                "issue, renew, block, seats, webhooks, full.",
                                name.substr(0, 40)));
    }
    set = set.With(*scope);
  }
  return set;
}

}  // namespace licentia::server
