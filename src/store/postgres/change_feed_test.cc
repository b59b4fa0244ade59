#include "store/postgres/change_feed.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>

namespace licentia::store::postgres {
namespace {

TEST(PgChangeFeedTest, ParsesWhatTheTriggersSend) {
  ChangedKeys keys;
  EXPECT_TRUE(PgChangeFeed::Parse("c42", keys));
  EXPECT_TRUE(PgChangeFeed::Parse("d" + std::string(64, 'a'), keys));
  ASSERT_EQ(keys.codes.size(), 1u);
  EXPECT_EQ(keys.codes[0], 42);
  ASSERT_EQ(keys.devices.size(), 1u);
  EXPECT_EQ(keys.devices[0][0], 0xaa);
  // Anything else is ignored.
  for (const char* junk : {"", "c", "c4x", "x42", "d00", "dzz"}) {
    EXPECT_FALSE(PgChangeFeed::Parse(junk, keys)) << junk;
  }
  EXPECT_EQ(keys.codes.size() + keys.devices.size(), 2u);
}

// When its connection is cut, the feed reconnects by itself and says
// that anything may have changed meanwhile; notifications flow again.
TEST(PgChangeFeedTest, ALostConnectionComesBackSayingEverything) {
  const char* base = std::getenv("LICENTIA_TEST_POSTGRES_URL");
  if (base == nullptr || *base == '\0') {
    GTEST_SKIP() << "LICENTIA_TEST_POSTGRES_URL is not set";
  }
  // A database of its own: the connections cut below are this test's only.
  std::string name = "change_feed_" + std::to_string(::getpid());
  {
    auto admin = *PgConnection::Connect(std::string(base) + "/postgres");
    (void)admin->Exec("DROP DATABASE IF EXISTS " + name);
    ASSERT_TRUE(admin->Exec("CREATE DATABASE " + name).ok());
  }
  std::string url = std::string(base) + "/" + name;
  std::mutex mu;
  std::condition_variable cv;
  bool everything = false;
  std::vector<std::int64_t> codes;
  PgChangeFeed feed(url, [&](const ChangedKeys& keys) {
    std::lock_guard lock(mu);
    everything = everything || keys.everything;
    codes.insert(codes.end(), keys.codes.begin(), keys.codes.end());
    cv.notify_all();
  });
  auto admin = *PgConnection::Connect(url);
  ASSERT_TRUE(admin->Exec("NOTIFY licentia_changes, 'c7'").ok());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                            [&] { return !codes.empty(); }));
    EXPECT_EQ(codes[0], 7);
    EXPECT_FALSE(everything);
  }
  ASSERT_TRUE(admin
                  ->Exec("SELECT pg_terminate_backend(pid) FROM "
                         "pg_stat_activity WHERE datname = current_database() "
                         "AND query = 'LISTEN licentia_changes' AND pid <> "
                         "pg_backend_pid()")
                  .ok());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20),
                            [&] { return everything; }));
    codes.clear();
  }
  ASSERT_TRUE(admin->Exec("NOTIFY licentia_changes, 'c8'").ok());
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                          [&] { return !codes.empty(); }));
  EXPECT_EQ(codes.back(), 8);
}

}  // namespace
}  // namespace licentia::store::postgres
