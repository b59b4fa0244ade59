#include "integration/test_database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "core/crypto.h"
#include "store/postgres/pg_connection.h"

namespace licentia::testing {

bool UsePostgres() {
  const char* b = std::getenv("LICENTIA_TEST_BACKEND");
  return b != nullptr && std::string(b) == "postgres";
}

std::string PostgresBaseUrl() {
  const char* u = std::getenv("LICENTIA_TEST_POSTGRES_URL");
  return u ? u : "";
}

std::string NewPostgresDatabase() {
  static std::atomic<int> counter{0};
  std::string base = PostgresBaseUrl();
  if (base.empty()) {
    ADD_FAILURE() << "LICENTIA_TEST_POSTGRES_URL is not set; run the tests "
                     "through scripts/test.sh, which starts a cluster.";
    return "";
  }
  auto admin = store::postgres::PgConnection::Connect(base + "/postgres");
  if (!admin.ok()) {
    ADD_FAILURE() << admin.status().ToString();
    return "";
  }
  // Process ids are reused, and a cluster may outlive many test runs (a
  // developer's): a random part keeps every name new.
  std::array<std::uint8_t, 6> nonce;
  crypto::RandomBytes(nonce);
  std::string name = "licentia_t" + std::to_string(::getpid()) + "_" +
                     std::to_string(counter++) + "_" + crypto::ToHex(nonce);
  auto st = (*admin)->Exec("CREATE DATABASE " + name);
  if (!st.ok()) {
    ADD_FAILURE() << st.ToString();
    return "";
  }
  return base + "/" + name;
}

std::string PgDumpPath() {
  namespace fs = std::filesystem;
  std::string best;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    auto p = e.path() / "bin" / "pg_dump";
    if (fs::exists(p) && p.string() > best) best = p.string();
  }
  return best.empty() ? "pg_dump" : best;
}

}  // namespace licentia::testing
