#include "server/admin_auth.h"

#include <memory>
#include <string_view>

#include "core/crypto.h"

namespace licentia::server {

AdminAuth::AdminAuth(store::Store& store, double failures_per_minute)
    : store_(store),
      failures_(failures_per_minute, failures_per_minute / 2 + 1) {}

void AdminAuth::Authenticate(const HttpRequest& req,
                             std::function<void(Status)> then) {
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
  auto exists = std::make_shared<bool>(false);
  store_.ReadAsync(
      [hash, exists](store::Transaction& txn) -> Status {
        LICENTIA_ASSIGN_OR_RETURN(*exists, txn.AdminTokenExists(hash));
        return Status::Ok();
      },
      [exists, refuse, then = std::move(then)](Status st) {
        if (st.ok() && !*exists) {
          st = refuse(Status(ErrorCode::kUnauthorized,
                             "The admin token is not valid."));
        }
        then(std::move(st));
      });
}

}  // namespace licentia::server
