// Databases for tests: the backend under test is chosen by the environment
// that scripts/test.sh sets up.
//   LICENTIA_TEST_POSTGRES_URL  base URL of a throwaway PostgreSQL cluster
//   LICENTIA_TEST_BACKEND       "postgres" to run a suite on PostgreSQL
#ifndef LICENTIA_TESTS_INTEGRATION_TEST_DATABASE_H_
#define LICENTIA_TESTS_INTEGRATION_TEST_DATABASE_H_

#include <string>

namespace licentia::testing {

// True when this run targets PostgreSQL.
bool UsePostgres();
// The base URL of the test cluster, or "" if there is none.
std::string PostgresBaseUrl();
// Creates a new, empty database and returns its URL. Fails the test (and
// returns "") if the cluster cannot be reached.
std::string NewPostgresDatabase();
// The pg_dump of the installed PostgreSQL.
std::string PgDumpPath();

}  // namespace licentia::testing

#endif  // LICENTIA_TESTS_INTEGRATION_TEST_DATABASE_H_
