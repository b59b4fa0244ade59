// Authenticates admin requests: a bearer token whose hash is in the store,
// not revoked; the caller then holds the token's scopes
// (admin_scopes.h), which the app checks against the route's.
// Failed attempts count against the client's address; an address over its
// budget is refused before its token is looked at, so guessing tokens gains
// nothing.
//
// Thread-safe.
#ifndef LICENTIA_SERVER_ADMIN_AUTH_H_
#define LICENTIA_SERVER_ADMIN_AUTH_H_

#include <functional>

#include "core/clock.h"
#include "core/status.h"
#include "server/admin_scopes.h"
#include "server/http_types.h"
#include "server/rate_limiter.h"
#include "store/store.h"

namespace licentia::server {

class AdminAuth {
 public:
  // Allows `failures_per_minute` failed attempts a minute per address.
  // REQUIRES: `store` and `clock` outlive this object.
  AdminAuth(store::Store& store, const Clock& clock,
            double failures_per_minute);

  // Calls `then` with the caller if `req` carries a valid admin token,
  // else with kUnauthorized (a revoked token too; kRateLimited for an
  // address over its budget), at once or later from a store thread: the
  // token lookup is a database read, which on PostgreSQL runs on the
  // store's threads. A token's last use is recorded at most once a minute.
  void Authenticate(const HttpRequest& req,
                    std::function<void(Result<AdminCaller>)> then);

 private:
  store::Store& store_;
  const Clock& clock_;
  RateLimiter failures_;  // failed authentications per address
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_ADMIN_AUTH_H_
