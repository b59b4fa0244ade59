#include "server/admin_auth.h"

#include <memory>
#include <optional>
#include <string_view>

#include "core/crypto.h"

namespace licentia::server {
namespace {

// A token's last use is recorded no more often than this: every admin
// request would otherwise be a write.
constexpr UnixSeconds kLastUseEvery = 60;

}  // namespace

AdminAuth::AdminAuth(store::Store& store, const Clock& clock,
                     double failures_per_minute)
    : store_(store),
      clock_(clock),
      failures_(failures_per_minute, failures_per_minute / 2 + 1) {}

void AdminAuth::Authenticate(const HttpRequest& req,
                             std::function<void(Result<AdminCaller>)> then) {
  if (int wait = failures_.Check(req.remote_address)) {
    return then(TooManyRequests(
        "Too many failed admin sign-ins from this address", wait));
  }
  auto refuse = [this, address = req.remote_address](Status st) {
    failures_.Charge(address);
    return st;
  };
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view auth = req.authorization;
  if (!auth.starts_with(kBearer) || auth.size() > 200) {
    return then(refuse(Status(ErrorCode::kUnauthorized,
                              "This endpoint needs an admin token: send "
                              "'Authorization: Bearer <token>'.")));
  }
  crypto::Hash hash = crypto::Blake2b(auth.substr(kBearer.size()));
  auto found = std::make_shared<std::optional<store::AdminTokenRow>>();
  store_.ReadAsync(
      [hash, found](store::Transaction& txn) -> Status {
        LICENTIA_ASSIGN_OR_RETURN(*found, txn.FindAdminToken(hash));
        return Status::Ok();
      },
      [this, found, refuse, then = std::move(then)](Status st) {
        if (!st.ok()) return then(st);
        if (!*found || (*found)->revoked_at) {
          return then(refuse(Status(ErrorCode::kUnauthorized,
                                    *found ? "The admin token was revoked."
                                           : "The admin token is not valid.")));
        }
        const store::AdminTokenRow& row = **found;
        Result<ScopeSet> scopes = ScopeSet::FromStored(row.scopes);
        if (!scopes.ok()) return then(scopes.status());
        UnixSeconds now = clock_.Now();
        if (!row.last_used_at || now >= *row.last_used_at + kLastUseEvery) {
          // Not waited for: a failure leaves the last use older.
          store_.WriteAsync(
              [id = row.id, now](store::Transaction& txn) {
                return txn.TouchAdminToken(id, now);
              },
              [](Status) {});
        }
        then(AdminCaller{row.id, row.name, *scopes});
      });
}

}  // namespace licentia::server
