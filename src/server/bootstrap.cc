#include "server/bootstrap.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "core/clock.h"
#include "core/crypto.h"
#include "server/admin_scopes.h"

namespace licentia::server {

std::string DatabaseUrl(const ServerConfig& config) {
  if (!config.database.empty()) return config.database;
  return "sqlite://" +
         (std::filesystem::absolute(config.data_dir) / "licentia.db").string();
}

Result<Opened> OpenDataAndStore(const ServerConfig& config) {
  crypto::EnsureInitialized();
  LICENTIA_ASSIGN_OR_RETURN(ServerSecrets secrets,
                            LoadOrCreateSecrets(config.data_dir));
  LICENTIA_ASSIGN_OR_RETURN(
      auto store, store::OpenStore(DatabaseUrl(config),
                                   {.pool_size = config.db_pool_size,
                                    .sqlite_wal_write_buffer =
                                        config.sqlite_wal_write_buffer}));
  return Opened{std::move(store), std::move(secrets)};
}

Result<std::string> NewAdminToken(store::Store& store, std::string_view name) {
  std::string token = crypto::RandomToken("lta_");
  crypto::Hash hash = crypto::Blake2b(token);
  Status st = store.Write([&](store::Transaction& txn) {
    // The first token, and one made on the server's own machine, can do
    // everything (server/admin_scopes.h).
    return txn
        .InsertAdminToken(hash, name, ScopeSet::Full().ToString(),
                          SystemClock().Now())
        .status();
  });
  if (!st.ok()) return st;
  return token;
}

Status AnnounceToken(const ServerConfig& config, const std::string& token) {
  fmt::print(
      "\n  Admin token (shown once; it is stored only as a hash):\n\n"
      "    {}\n\n  Use it as: licentia admin --token {} ...\n\n",
      token, token);
  std::fflush(stdout);
  if (!config.admin_token_file.empty()) {
    return WritePrivateFile(config.admin_token_file, token + "\n");
  }
  return Status::Ok();
}

}  // namespace licentia::server
