// Starting licentiad on its data directory: the secrets, the database and
// the admin tokens it is reached with.
#ifndef LICENTIA_SERVER_BOOTSTRAP_H_
#define LICENTIA_SERVER_BOOTSTRAP_H_

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "server/app.h"
#include "server/secrets.h"
#include "store/store.h"

namespace licentia::server {

// The configured database, or SQLite in the data directory.
std::string DatabaseUrl(const ServerConfig& config);

struct Opened {
  std::unique_ptr<store::Store> store;
  ServerSecrets secrets;
};

// Loads (creating on first start) the data directory's secrets and opens
// (migrating) the database. Errors as LoadOrCreateSecrets and OpenStore.
Result<Opened> OpenDataAndStore(const ServerConfig& config);

// Creates an admin token named `name`, stores its hash and returns the
// plaintext.
Result<std::string> NewAdminToken(store::Store& store, std::string_view name);

// Prints a new token once and writes it to config.admin_token_file if set.
Status AnnounceToken(const ServerConfig& config, const std::string& token);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_BOOTSTRAP_H_
