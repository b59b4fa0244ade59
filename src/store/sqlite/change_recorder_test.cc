// The writer's changes become read-cache keys by themselves, whatever
// statement makes them (change_recorder.h).
#include "store/sqlite/change_recorder.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace licentia::store::sqlite {
namespace {

class ChangeRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = std::move(*Connection::Open(":memory:", false));
    ASSERT_TRUE(conn_
                    ->Exec("CREATE TABLE codes (id INTEGER PRIMARY KEY, x, "
                           "blocked, blocked_reason, max_devices, activate_by, "
                           "compatible_versions, term_days, license_type, "
                           "edition, features, seats_used, ends_at, "
                           "suspended, suspended_reason);"
                           "CREATE TABLE activations (id INTEGER PRIMARY KEY, "
                           "code_id, device_hash, deactivated_at, seen);"
                           "CREATE TABLE reserves (device_hash, product_id, "
                           "code_id, PRIMARY KEY (device_hash, product_id));"
                           "CREATE TABLE device_actions (id INTEGER "
                           "PRIMARY KEY, device_hash, state);"
                           "CREATE TABLE other (a);"
                           "INSERT INTO codes(id, x) VALUES (5, 0), (6, 0);"
                           "INSERT INTO activations VALUES (1, 5, x'01', "
                           "NULL, 0);")
                    .ok());
    auto recorder = ChangeRecorder::Attach(*conn_, keys_, &shown_);
    ASSERT_TRUE(recorder.ok()) << recorder.status().ToString();
    recorder_ = std::move(*recorder);
  }

  static bool Has(const std::vector<std::int64_t>& v, std::int64_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }

  std::unique_ptr<Connection> conn_;
  ChangedKeys keys_;
  ChangedKeys shown_;
  std::unique_ptr<ChangeRecorder> recorder_;
};

TEST_F(ChangeRecorderTest, CodeChangesAreKeyedByTheCode) {
  ASSERT_TRUE(conn_->Exec("UPDATE codes SET x = 1 WHERE id = 6").ok());
  EXPECT_EQ(keys_.codes, std::vector<std::int64_t>({6, 6}));
  EXPECT_TRUE(keys_.devices.empty());
}

// An action queued for a device in the console, or finished by it, is news
// to the device (the feed) but nothing the read cache holds.
TEST_F(ChangeRecorderTest, DeviceActionsAreShownToTheirDevice) {
  std::string device = "x'01" + std::string(62, '0') + "'";
  ASSERT_TRUE(conn_
                  ->Exec("INSERT INTO device_actions VALUES (1, " + device +
                         ", 'pending')")
                  .ok());
  ASSERT_EQ(shown_.devices.size(), 1u);
  EXPECT_EQ(shown_.devices[0][0], 1);
  EXPECT_TRUE(keys_.devices.empty());
  shown_.Clear();
  ASSERT_TRUE(
      conn_->Exec("UPDATE device_actions SET state = 'done' WHERE id = 1")
          .ok());
  EXPECT_EQ(shown_.devices.size(), 2u);  // before and after
}

TEST_F(ChangeRecorderTest, SeatChangesAreKeyedByTheirCode) {
  ASSERT_TRUE(
      conn_->Exec("INSERT INTO activations VALUES (2, 6, x'02', NULL, 0)")
          .ok());
  EXPECT_TRUE(Has(keys_.codes, 6));
  keys_.Clear();
  ASSERT_TRUE(
      conn_->Exec("UPDATE activations SET deactivated_at = 9 WHERE id = 1")
          .ok());
  EXPECT_TRUE(Has(keys_.codes, 5));
  EXPECT_FALSE(Has(keys_.codes, 1));  // the activation's own id is no key
  keys_.Clear();
  // A seat moved to another code invalidates both.
  ASSERT_TRUE(
      conn_->Exec("UPDATE activations SET code_id = 6 WHERE id = 1").ok());
  EXPECT_TRUE(Has(keys_.codes, 5));
  EXPECT_TRUE(Has(keys_.codes, 6));
  keys_.Clear();
  ASSERT_TRUE(conn_->Exec("DELETE FROM activations").ok());
  EXPECT_TRUE(Has(keys_.codes, 6));
}

TEST_F(ChangeRecorderTest, ReserveChangesAreKeyedByTheDevice) {
  crypto::Hash device{};
  device.fill(0x11);
  ASSERT_TRUE(conn_
                  ->Exec("INSERT INTO reserves VALUES (x'" +
                         std::string(64, '1') + "', 'p', 5)")
                  .ok());
  ASSERT_EQ(keys_.devices.size(), 1u);
  EXPECT_EQ(keys_.devices[0], device);
  keys_.Clear();
  ASSERT_TRUE(conn_->Exec("DELETE FROM reserves").ok());
  ASSERT_EQ(keys_.devices.size(), 1u);
  EXPECT_EQ(keys_.devices[0], device);
}

// The change feed gets only what devices are told of: a block or new
// terms, a seat freed, a reserve; not a new seat, a seat count or a
// seen-at time, and not an update that leaves the value as it was.
TEST_F(ChangeRecorderTest, TheFeedGetsOnlyWhatDevicesAreToldOf) {
  auto exec = [&](const char* sql) {
    ASSERT_TRUE(conn_->Exec(sql).ok()) << sql;
  };
  exec("UPDATE codes SET seats_used = 3, x = 1 WHERE id = 5");
  exec("INSERT INTO activations VALUES (3, 5, x'03', NULL, 0)");
  exec("UPDATE activations SET seen = 9 WHERE id = 1");
  exec("UPDATE codes SET blocked = NULL WHERE id = 6");  // NULL already
  EXPECT_TRUE(shown_.empty());
  EXPECT_FALSE(keys_.empty());  // the cache hears of all of it
  exec("UPDATE codes SET blocked = 1, blocked_reason = 'r' WHERE id = 6");
  EXPECT_EQ(shown_.codes, std::vector<std::int64_t>({6}));
  shown_.Clear();
  exec("UPDATE activations SET deactivated_at = 4 WHERE id = 3");
  EXPECT_EQ(shown_.codes, std::vector<std::int64_t>({5}));
  shown_.Clear();
  exec("UPDATE codes SET term_days = 30 WHERE id = 5");
  EXPECT_EQ(shown_.codes, std::vector<std::int64_t>({5}));
  shown_.Clear();
  ASSERT_TRUE(conn_
                  ->Exec("INSERT INTO reserves VALUES (x'" +
                         std::string(64, '2') + "', 'p', 5)")
                  .ok());
  EXPECT_EQ(shown_.devices.size(), 1u);
}

TEST_F(ChangeRecorderTest, OtherTablesAndDetachingRecordNothing) {
  ASSERT_TRUE(conn_->Exec("INSERT INTO other VALUES (1)").ok());
  EXPECT_TRUE(keys_.empty());
  recorder_.reset();
  ASSERT_TRUE(conn_->Exec("UPDATE codes SET x = 2").ok());
  EXPECT_TRUE(keys_.empty());
}

}  // namespace
}  // namespace licentia::store::sqlite
