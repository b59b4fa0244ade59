#include "store/postgres/pg_connection.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace licentia::store::postgres {
namespace {

// Needs the cluster scripts/test.sh starts (LICENTIA_TEST_POSTGRES_URL).
class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("LICENTIA_TEST_POSTGRES_URL");
    if (base == nullptr || *base == '\0') {
      GTEST_SKIP() << "LICENTIA_TEST_POSTGRES_URL is not set";
    }
    auto conn = PgConnection::Connect(std::string(base) + "/postgres");
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(*conn);
  }

  std::string One(const char* sql) {
    auto rows = conn_->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() && rows->size() == 1 ? rows->Text(0, 0) : "";
  }

  std::unique_ptr<PgConnection> conn_;
};

// The BEGIN travels with the first statement: a transaction of one
// statement is two round trips (statement, COMMIT), not three, and the
// statement runs inside the transaction the BEGIN opened.
TEST_F(PgConnectionTest, BeginTravelsWithTheFirstStatement) {
  conn_->Begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  static constexpr char kIsolation[] =
      "SELECT current_setting('transaction_isolation')";
  EXPECT_EQ(One(kIsolation), "repeatable read");
  ASSERT_TRUE(conn_->End(true).ok());
  // kIsolation is prepared now; count a second transaction.
  std::uint64_t before = conn_->round_trips();
  conn_->Begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  EXPECT_EQ(One(kIsolation), "repeatable read");
  static constexpr char kReadOnly[] =
      "SELECT current_setting('transaction_read_only')";
  EXPECT_EQ(One(kReadOnly), "on");
  ASSERT_TRUE(conn_->End(true).ok());
  // kReadOnly was prepared in this run: statement, prepare, statement,
  // COMMIT.
  EXPECT_EQ(conn_->round_trips() - before, 4u);
  // Outside a transaction again.
  EXPECT_EQ(One(kIsolation), "read committed");
}

TEST_F(PgConnectionTest, ATransactionWithoutStatementsSendsNothing) {
  std::uint64_t before = conn_->round_trips();
  conn_->Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
  ASSERT_TRUE(conn_->End(true).ok());
  conn_->Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
  ASSERT_TRUE(conn_->End(false).ok());
  EXPECT_EQ(conn_->round_trips(), before);
}

// A failing first statement reports its own error; the transaction is
// rolled back and the connection is usable (out of pipeline mode).
TEST_F(PgConnectionTest, AFailingFirstStatementReportsItsError) {
  conn_->Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
  auto failed = conn_->Query("SELECT 1 / (SELECT 0)");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("division by zero"),
            std::string::npos)
      << failed.status().ToString();
  EXPECT_EQ(conn_->last_sqlstate(), "22012");
  EXPECT_TRUE(conn_->End(false).ok());
  EXPECT_FALSE(conn_->broken());
  EXPECT_EQ(One("SELECT 2"), "2");
}

// A BEGIN the server refuses is the first statement's error, and the
// statement does not run.
TEST_F(PgConnectionTest, ARefusedBeginIsTheFirstStatementsError) {
  conn_->Begin("BEGIN ISOLATION LEVEL SOMETIMES");
  auto failed = conn_->Query("SELECT 3");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("BEGIN"), std::string::npos)
      << failed.status().ToString();
  EXPECT_FALSE(conn_->broken());
  (void)conn_->End(false);
  EXPECT_EQ(One("SELECT 4"), "4");
}

// A table of this session only, for the deferred-statement tests.
constexpr char kInsert[] = "INSERT INTO deferred_test VALUES ($1)";
constexpr char kCount[] = "SELECT COUNT(*) FROM deferred_test";

class PgDeferTest : public PgConnectionTest {
 protected:
  void SetUp() override {
    PgConnectionTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_TRUE(conn_
                    ->Exec("CREATE TEMP TABLE deferred_test (x INTEGER NOT "
                           "NULL CHECK (x > 0))")
                    .ok());
    // Both statements prepared, so the round trips counted below are the
    // transactions' own.
    One(kCount);
    conn_->Begin("BEGIN");
    ASSERT_TRUE(Insert(1).ok());
    ASSERT_TRUE(conn_->End(false).ok());
  }
  Status Insert(std::int64_t x) {
    return conn_->Defer(kInsert, std::move(Params().Add(x)));
  }
};

// Deferred statements go with the next statement, in its round trip and
// before it (it sees their rows), and with the COMMIT.
TEST_F(PgDeferTest, DeferredStatementsTravelWithTheNextStatementOrCommit) {
  std::uint64_t before = conn_->round_trips();
  conn_->Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
  ASSERT_TRUE(Insert(1).ok());
  ASSERT_TRUE(Insert(2).ok());
  EXPECT_EQ(conn_->round_trips(), before);
  EXPECT_EQ(One(kCount), "2");  // BEGIN, two inserts, the count: one trip
  EXPECT_EQ(conn_->round_trips() - before, 1u);
  ASSERT_TRUE(Insert(3).ok());
  ASSERT_TRUE(conn_->End(true).ok());  // the insert and COMMIT: one trip
  EXPECT_EQ(conn_->round_trips() - before, 2u);
  EXPECT_EQ(One(kCount), "3");
}

// A deferred statement that fails fails the COMMIT it went with; nothing
// of the transaction stays, and no transaction is left open (a statement
// in a failed transaction would be refused).
TEST_F(PgDeferTest, AFailingDeferredStatementFailsTheCommit) {
  conn_->Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
  ASSERT_TRUE(Insert(1).ok());
  EXPECT_EQ(One(kCount), "1");
  ASSERT_TRUE(Insert(-1).ok());  // breaks the CHECK, found at the COMMIT
  Status committed = conn_->End(true);
  EXPECT_FALSE(committed.ok());
  EXPECT_EQ(conn_->last_sqlstate(), "23514") << committed.ToString();
  EXPECT_FALSE(conn_->broken());
  EXPECT_EQ(One(kCount), "0");
}

// ... or the statement it went with, which then does not run.
TEST_F(PgDeferTest, AFailingDeferredStatementFailsTheNextStatement) {
  conn_->Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
  ASSERT_TRUE(Insert(-1).ok());
  auto counted = conn_->Query(kCount);
  EXPECT_FALSE(counted.ok());
  EXPECT_EQ(conn_->last_sqlstate(), "23514");
  (void)conn_->End(false);
  EXPECT_EQ(One(kCount), "0");
}

// A command run with Exec goes after what is pending, which reaches the
// server first.
TEST_F(PgDeferTest, ExecSendsWhatIsPendingFirst) {
  conn_->Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
  ASSERT_TRUE(Insert(7).ok());
  ASSERT_TRUE(conn_->Exec("SAVEPOINT after_insert").ok());
  EXPECT_EQ(One(kCount), "1");
  ASSERT_TRUE(conn_->End(true).ok());
  EXPECT_EQ(One(kCount), "1");
  // ... and a pending statement that fails is Exec's error.
  conn_->Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
  ASSERT_TRUE(Insert(-7).ok());
  EXPECT_FALSE(conn_->Exec("SAVEPOINT never").ok());
  EXPECT_EQ(conn_->last_sqlstate(), "23514");
  (void)conn_->End(false);
  EXPECT_EQ(One(kCount), "1");
}

TEST_F(PgDeferTest, ARollbackDropsDeferredStatements) {
  conn_->Begin("BEGIN ISOLATION LEVEL READ COMMITTED");
  EXPECT_EQ(One(kCount), "0");
  ASSERT_TRUE(Insert(5).ok());
  ASSERT_TRUE(conn_->End(false).ok());
  EXPECT_EQ(One(kCount), "0");
}

}  // namespace
}  // namespace licentia::store::postgres
