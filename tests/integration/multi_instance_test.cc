// Several licentiad instances on one PostgreSQL database, and what happens
// when the database is missing or goes away.
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "core/license_key.h"
#include "integration/api_test_base.h"
#include "integration/test_database.h"
#include "licentia/license_manager.h"
#include "store/postgres/pg_connection.h"

namespace licentia::testing {
namespace {

// Two instances on one PostgreSQL database (the second shares the first's
// database and its data directory's keys), and a product "p".
class TwoInstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!UsePostgres()) {
      GTEST_SKIP() << "instances share a database on PostgreSQL";
    }
    a_.emplace(std::vector<std::string>{"--rate-limit-ip", "0",
                                        "--rate-limit-code", "0"});
    a_->Start();
    b_.emplace(std::vector<std::string>{"--rate-limit-ip", "0",
                                        "--rate-limit-code", "0"},
               a_->data_dir());
    b_->set_database_url(a_->database_url());
    b_->Start();
    ASSERT_TRUE(a_->Admin()
                    .Call("POST", "/v1/admin/products",
                          json::object{{"id", "p"}, {"name", "P"}})
                    .ok());
  }
  // Issues one single-seat code through instance A: its text and id.
  std::pair<std::string, std::int64_t> IssueOneSeat() {
    auto issued =
        a_->Admin().Call("POST", "/v1/admin/codes",
                         json::object{{"product", "p"}, {"max_devices", 1}});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    if (!issued.ok()) return {"", 0};
    const auto& c = issued->at("codes").at(0);
    return {std::string(c.at("code").as_string()), c.at("id").as_int64()};
  }

  std::optional<ServerProcess> a_;
  std::optional<ServerProcess> b_;
};

TEST_F(TwoInstanceTest, RacingForTheLastSeatsAcrossTwoInstances) {
  ServerProcess& a = *a_;
  ServerProcess& b = *b_;
  auto admin = a.Admin();
  crypto::PublicKey pk = a.public_key();
  constexpr int kRounds = 20;
  constexpr int kRacers = 64;
  constexpr int kSeats = 100;
  constexpr int kFree = 5;
  for (int round = 0; round < kRounds; ++round) {
    auto issued =
        admin.Call("POST", "/v1/admin/codes",
                   json::object{{"product", "p"}, {"max_devices", kSeats}});
    ASSERT_TRUE(issued.ok());
    std::string code(issued->at("codes").at(0).at("code").as_string());
    std::int64_t id = issued->at("codes").at(0).at("id").as_int64();
    // Fill all but the last five seats, alternating instances.
    for (int i = 0; i < kSeats - kFree; ++i) {
      auto r =
          (i % 2 ? b : a)
              .Device()
              .Call("POST", "/v1/activate",
                    json::object{{"code", code},
                                 {"fingerprint", "fill-" + std::to_string(i)},
                                 {"app_version", "1.0"}});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    std::atomic<int> won{0}, full{0}, other{0};
    std::vector<std::string> keys(kRacers);
    std::vector<std::thread> racers;
    for (int i = 0; i < kRacers; ++i) {
      racers.emplace_back([&, i] {
        auto r = (i % 2 ? b : a)
                     .Device()
                     .Call("POST", "/v1/activate",
                           json::object{
                               {"code", code},
                               {"fingerprint", "racer-" + std::to_string(i)},
                               {"app_version", "1.0"}});
        if (r.ok()) {
          won++;
          keys[i] = std::string(r->at("license_key").as_string());
        } else if (r.status().code() == ErrorCode::kDeviceLimitReached) {
          full++;
        } else {
          other++;
        }
      });
    }
    for (auto& t : racers) t.join();
    ASSERT_EQ(won.load(), kFree) << "round " << round;
    ASSERT_EQ(full.load(), kRacers - kFree) << "round " << round;
    ASSERT_EQ(other.load(), 0) << "round " << round;
    auto detail = admin.Call("GET", "/v1/admin/codes/" + std::to_string(id));
    ASSERT_EQ(detail->at("seats_used").as_int64(), kSeats);
    // Keys signed by either instance verify with the one shared key.
    for (const auto& k : keys) {
      if (!k.empty()) {
        EXPECT_TRUE(VerifyLicenseKey(k, std::span(&pk, 1)).ok());
      }
    }
  }
  // Both instances count the same first activation (rule 3).
  EXPECT_EQ(a.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);
}

// A device waiting on instance B hears of a block written through
// instance A: the database announces the change to every instance.
TEST_F(TwoInstanceTest, ABlockThroughOneInstanceWakesADeviceWaitingOnAnother) {
  ServerProcess& a = *a_;
  ServerProcess& b = *b_;
  auto admin = a.Admin();
  auto [code, id] = IssueOneSeat();
  ASSERT_FALSE(HasFailure());
  auto activated = b.Device().Call(
      "POST", "/v1/activate",
      json::object{{"code", code}, {"fingerprint", "d"}, {"app_version", "1"}});
  ASSERT_TRUE(activated.ok()) << activated.status().ToString();
  json::object wait{{"code", code},
                    {"fingerprint", "d"},
                    {"activation_token", activated->at("activation_token")},
                    {"timeout_seconds", 0}};
  auto now = b.Device().Call("POST", "/v1/wait", wait);
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  wait["since"] = now->at("version");
  // Far beyond the client's own 30 s: only the change can end it in time.
  wait["timeout_seconds"] = 300;
  std::thread blocker([&] {
    EXPECT_TRUE(admin
                    .Call("POST",
                          "/v1/admin/codes/" + std::to_string(id) + "/block",
                          json::object{{"reason", "r"}})
                    .ok());
  });
  auto woken = b.Device().Call("POST", "/v1/wait", wait);
  blocker.join();
  ASSERT_TRUE(woken.ok()) << woken.status().ToString();
  EXPECT_EQ(woken->at("state").as_string(), "blocked");
  EXPECT_EQ(a.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);
}

// The same through the SDK: an application whose agent waits on instance B
// shows the block the vendor made through instance A, and the unblock.
TEST_F(TwoInstanceTest, TheSdkAgentOnOneInstanceHearsABlockMadeOnAnother) {
  ServerProcess& a = *a_;
  ServerProcess& b = *b_;
  auto admin = a.Admin();
  auto [code, id] = IssueOneSeat();
  ASSERT_FALSE(HasFailure());
  std::string block_path = "/v1/admin/codes/" + std::to_string(id);
  ClientConfig config;
  config.server_url = b.url();
  config.trusted_public_keys = {b.public_key_hex()};
  config.product = "p";
  config.app_version = "1.0";
  config.state_dir = b.data_dir().parent_path() / "device";
  config.fingerprint = "d";
  auto device = LicenseManager::Open(config);
  ASSERT_TRUE(device.ok()) << device.status().ToString();
  LicenseManager& dev = **device;
  ASSERT_TRUE(dev.Activate(code).ok());
  ASSERT_TRUE(dev.StartAgent().ok());
  auto shows = [&](LicenseState state) {
    for (int i = 0; i < 6000; ++i) {
      if (dev.Details().state == state) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  ASSERT_TRUE(
      admin.Call("POST", block_path + "/block", json::object{{"reason", "r"}})
          .ok());
  EXPECT_TRUE(shows(LicenseState::kBlocked));
  ASSERT_TRUE(admin.Call("POST", block_path + "/unblock").ok());
  EXPECT_TRUE(shows(LicenseState::kActive));
  dev.StopAgent();
  EXPECT_EQ(a.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);
}

TEST(MultiInstanceTest, UnreachableDatabaseAtStartIsAClearError) {
  auto r = RunCommand({LicentiadPath(), "--listen", "127.0.0.1:0", "--data-dir",
                       ::testing::TempDir() + "/unreachable-db", "--database",
                       "postgresql://postgres@127.0.0.1:1/nothing"},
                      {}, /*merge_stderr=*/true);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("UNAVAILABLE: Cannot connect to PostgreSQL"),
            std::string::npos)
      << r.out;
}

TEST(MultiInstanceTest, LostConnectionsFailCleanlyAndRecover) {
  if (!UsePostgres()) GTEST_SKIP() << "needs PostgreSQL";
  ServerProcess s({"--rate-limit-ip", "0", "--rate-limit-code", "0"});
  s.Start();
  auto admin = s.Admin();
  ASSERT_TRUE(admin
                  .Call("POST", "/v1/admin/products",
                        json::object{{"id", "p"}, {"name", "P"}})
                  .ok());
  auto issued = admin.Call("POST", "/v1/admin/codes",
                           json::object{{"product", "p"}, {"max_devices", 50}});
  ASSERT_TRUE(issued.ok());
  std::string code(issued->at("codes").at(0).at("code").as_string());
  std::int64_t id = issued->at("codes").at(0).at("id").as_int64();
  int acknowledged = 0;
  auto activate = [&](int i) {
    auto r =
        s.Device().Call("POST", "/v1/activate",
                        json::object{{"code", code},
                                     {"fingerprint", "d" + std::to_string(i)},
                                     {"app_version", "1.0"}});
    if (r.ok()) ++acknowledged;
    return r;
  };
  ASSERT_TRUE(activate(0).ok());
  // The database drops every connection of this server.
  std::string db = s.database_url().substr(s.database_url().rfind('/') + 1);
  auto killer =
      store::postgres::PgConnection::Connect(PostgresBaseUrl() + "/postgres");
  ASSERT_TRUE(killer.ok());
  auto killed = (*killer)->Query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
      "$1",
      store::postgres::Params().Add(db));
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  // Requests fail with UNAVAILABLE (503) at worst, then the server
  // reconnects by itself.
  int unavailable = 0;
  for (int i = 1; i <= 10; ++i) {
    auto r = activate(i);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable)
          << r.status().message();
      ++unavailable;
    }
  }
  // Each connection the pool held fails one request at most (8 per
  // instance by default); after that every request succeeds again.
  EXPECT_LE(unavailable, 8);
  for (int i = 100; i < 105; ++i) EXPECT_TRUE(activate(i).ok()) << i;
  // Nothing half-written: exactly the acknowledged activations hold seats.
  auto detail = admin.Call("GET", "/v1/admin/codes/" + std::to_string(id));
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->at("seats_used").as_int64(), acknowledged);
  EXPECT_EQ(s.Stop(), 0);
}

// On PostgreSQL a read can wait (on a lock, a slow query). Admin requests
// then wait on the store's threads, never on the network threads, so
// devices are still served meanwhile. (The token check used to read on the
// network thread: two waiting admin calls stopped the whole server.)
TEST(MultiInstanceTest, WaitingAdminReadsDoNotHoldTheNetworkThreads) {
  if (!UsePostgres()) GTEST_SKIP() << "only PostgreSQL reads can wait";
  ServerProcess s({"--rate-limit-ip", "0", "--io-threads", "2"});
  s.Start();
  ASSERT_TRUE(s.Admin()
                  .Call("POST", "/v1/admin/products",
                        json::object{{"id", "p"}, {"name", "P"}})
                  .ok());
  auto issued = s.Admin().Call("POST", "/v1/admin/codes",
                               json::object{{"product", "p"}, {"count", 1}});
  ASSERT_TRUE(issued.ok());
  std::string code(issued->at("codes").at(0).at("code").as_string());
  // Another client locks the admin tokens: every token check now waits.
  auto locker = store::postgres::PgConnection::Connect(s.database_url());
  ASSERT_TRUE(locker.ok()) << locker.status().ToString();
  ASSERT_TRUE(
      (*locker)
          ->Exec("BEGIN; LOCK TABLE admin_tokens IN ACCESS EXCLUSIVE MODE")
          .ok());
  constexpr int kWaiting = 4;  // more than the network threads
  std::atomic<int> admin_ok{0};
  std::vector<std::thread> waiting;
  for (int i = 0; i < kWaiting; ++i) {
    waiting.emplace_back([&] {
      if (s.Admin().Call("GET", "/v1/admin/products").ok()) admin_ok++;
    });
  }
  // Until all of them wait on the lock (a condition, not a delay). From
  // another connection: inside the locker's transaction the statistics
  // views would show one frozen snapshot.
  auto watcher = store::postgres::PgConnection::Connect(s.database_url());
  ASSERT_TRUE(watcher.ok());
  std::string db = s.database_url().substr(s.database_url().rfind('/') + 1);
  int blocked = 0;
  for (int poll = 0; poll < 100000 && blocked < kWaiting; ++poll) {
    auto r = (*watcher)->Query(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND "
        "wait_event_type = 'Lock'",
        store::postgres::Params().Add(db));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    blocked = static_cast<int>(r->Int(0, 0));
  }
  EXPECT_EQ(blocked, kWaiting);
  // Devices are served while the admin calls wait.
  auto ping = s.Device().Call("GET", "/v1/ping");
  EXPECT_TRUE(ping.ok()) << ping.status().ToString();
  auto activated = s.Device().Call(
      "POST", "/v1/activate",
      json::object{
          {"code", code}, {"fingerprint", "d"}, {"app_version", "1.0"}});
  EXPECT_TRUE(activated.ok()) << activated.status().ToString();
  // Released, the admin calls all complete.
  ASSERT_TRUE((*locker)->Exec("COMMIT").ok());
  for (auto& t : waiting) t.join();
  EXPECT_EQ(admin_ok.load(), kWaiting);
  EXPECT_EQ(s.Stop(), 0);
}

}  // namespace
}  // namespace licentia::testing
