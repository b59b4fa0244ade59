// licentiad as a process: first start, restart, durability across kill -9,
// clean shutdown, health and metrics, configuration file.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "client/http_client.h"
#include "integration/api_test_base.h"
#include "integration/test_database.h"

namespace licentia::testing {
namespace {

namespace fs = std::filesystem;

// Creates product "p" with one code of `max_devices` seats; on failure adds
// a test failure and returns an empty code.
IssuedCode ProductWithOneCode(const ServerProcess& server, int max_devices) {
  auto admin = server.Admin();
  EXPECT_TRUE(admin
                  .Call("POST", "/v1/admin/products",
                        json::object{{"id", "p"}, {"name", "P"}})
                  .ok());
  auto issued = admin.Call(
      "POST", "/v1/admin/codes",
      json::object{
          {"product", "p"}, {"count", 1}, {"max_devices", max_devices}});
  if (!issued.ok()) {
    ADD_FAILURE() << issued.status().ToString();
    return {};
  }
  const json::value& first = issued->at("codes").at(0);
  return {first.at("id").as_int64(), std::string(first.at("code").as_string())};
}

TEST(ServerLifecycleTest, FirstStartCreatesDataDirKeysAndOneAdminToken) {
  ServerProcess server;
  server.Start();
  ASSERT_FALSE(server.admin_token().empty());
  for (const char* f : {"signing.key", "code-hash.key"}) {
    struct stat st {};
    ASSERT_EQ(::stat((server.data_dir() / f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600) << f;
  }
  EXPECT_EQ(fs::exists(server.data_dir() / "licentia.db"),
            server.database_url().empty());
  EXPECT_TRUE(fs::exists(server.data_dir() / "signing.pub"));
  std::string token = server.admin_token();
  EXPECT_EQ(server.Stop(), 0);

  // A restart keeps the token and shows no new one.
  fs::remove(server.data_dir().parent_path() / "admin-token");
  server.Start();
  EXPECT_TRUE(server.admin_token().empty());
  auto r =
      client::ApiClient(server.url(), token).Call("GET", "/v1/admin/products");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST(ServerLifecycleTest, HealthAndMetrics) {
  ServerProcess server;
  server.Start();
  client::HttpClient http(server.url());
  auto health = http.Send("GET", "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");
  ASSERT_TRUE(http.Send("POST", "/v1/activate", "{}").ok());
  auto metrics = http.Send("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("# TYPE licentia_http_requests_total counter"),
            std::string::npos);
  EXPECT_NE(
      metrics->body.find(
          R"(licentia_http_requests_total{route="/v1/activate",status="400"} 1)"),
      std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("licentia_store_commits_total"),
            std::string::npos);
  // Each backend's own counters: a fresh store has checkpointed (SQLite)
  // or retried (PostgreSQL) nothing yet.
  if (UsePostgres()) {
    EXPECT_NE(metrics->body.find("\nlicentia_store_retries_total 0\n"),
              std::string::npos)
        << metrics->body;
    EXPECT_EQ(metrics->body.find("checkpoints"), std::string::npos);
  } else {
    EXPECT_NE(metrics->body.find("\nlicentia_store_checkpoints_total 0\n"),
              std::string::npos);
    EXPECT_NE(metrics->body.find("\nlicentia_store_wal_restarts_total 0\n"),
              std::string::npos);
    EXPECT_EQ(metrics->body.find("retries"), std::string::npos);
  }
  EXPECT_EQ(server.Stop(), 0);
  // One structured line per request in the log.
  std::ifstream log(server.log_path());
  std::string line;
  int request_lines = 0;
  while (std::getline(log, line)) {
    if (line.starts_with("{\"ts\"") &&
        line.find("\"route\":\"/v1/activate\"") != std::string::npos &&
        line.find("\"error\":\"INVALID_REQUEST\"") != std::string::npos) {
      ++request_lines;
    }
  }
  EXPECT_EQ(request_lines, 1);
}

TEST(ServerLifecycleTest, AcknowledgedActivationsSurviveKill9) {
  ServerProcess server({"--rate-limit-ip", "0", "--rate-limit-code", "0"});
  server.Start();
  const IssuedCode issued = ProductWithOneCode(server, 100);
  ASSERT_FALSE(issued.code.empty());
  const std::string& code = issued.code;
  const std::int64_t id = issued.id;
  // Acknowledged activations from several threads, then a crash.
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto device = server.Device();
      for (int i = 0; i < 5; ++i) {
        auto r = device.Call(
            "POST", "/v1/activate",
            json::object{{"code", code},
                         {"fingerprint", fmt::format("d{}-{}", t, i)},
                         {"app_version", "1.0"}});
        if (r.ok()) acknowledged++;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(acknowledged.load(), 40);
  server.Kill();
  server.Start();
  auto detail =
      server.Admin().Call("GET", "/v1/admin/codes/" + std::to_string(id));
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->at("seats_used").as_int64(), 40);
}

// A disk that stops syncing, injected into the real server (LD_PRELOAD,
// tests/fault/fail_sync.c): from the first failed sync nothing is
// acknowledged, /healthz answers 503 so that a load balancer takes the
// instance out, and that holds after the disk recovers (the kernel may have
// dropped the pages it could not write) until a restart. Every activation
// acknowledged before is still there after it.
TEST(ServerLifecycleTest, AFailedDiskSyncFailsClosedUntilARestart) {
  if (UsePostgres()) GTEST_SKIP() << "PostgreSQL syncs its own log";
  ServerProcess server({"--rate-limit-ip", "0", "--rate-limit-code", "0"});
  const fs::path trigger = server.data_dir().parent_path() / "fail-sync";
  server.set_env("LD_PRELOAD", FAIL_SYNC_PRELOAD_PATH);
  server.set_env("LICENTIA_TEST_FAIL_SYNC_IF", trigger.string());
  // The library is not sanitized; a sanitized server must accept it first
  // in the list of libraries.
  const char* asan = std::getenv("ASAN_OPTIONS");
  server.set_env("ASAN_OPTIONS",
                 std::string(asan ? asan : "") + ":verify_asan_link_order=0");
  server.Start();
  const IssuedCode issued = ProductWithOneCode(server, 10);
  ASSERT_FALSE(issued.code.empty());
  const std::string& code = issued.code;
  const std::int64_t id = issued.id;
  auto admin = server.Admin();
  auto activate = [&](const std::string& device) {
    return server.Device().Call(
        "POST", "/v1/activate",
        json::object{
            {"code", code}, {"fingerprint", device}, {"app_version", "1.0"}});
  };
  client::HttpClient http(server.url());
  auto health = [&] {
    auto r = http.Send("GET", "/healthz");
    return r.ok() ? r->status : -1;
  };
  auto before = activate("before");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  std::string token(before->at("activation_token").as_string());
  EXPECT_EQ(health(), 200);

  { std::ofstream(trigger) << "fail"; }
  auto refused = activate("during");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable)
      << refused.status().ToString();
  EXPECT_EQ(health(), 503);

  // The disk syncs again; the server still refuses, as it must.
  fs::remove(trigger);
  auto still = activate("after");
  ASSERT_FALSE(still.ok());
  EXPECT_EQ(still.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(health(), 503);
  auto body = http.Send("GET", "/healthz");
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->body.find("UNAVAILABLE"), std::string::npos) << body->body;
  // Reads that need no write still answer: a device can see its license.
  EXPECT_TRUE(admin.Call("GET", "/v1/admin/codes/" + std::to_string(id)).ok());

  EXPECT_EQ(server.Stop(), 0);
  server.Start();
  EXPECT_EQ(health(), 200);
  ASSERT_TRUE(activate("restarted").ok());
  // The write that was refused may or may not have reached the disk (like
  // any commit whose answer was lost); a retry of it is idempotent. The
  // acknowledged one is there, and so is the new one.
  ASSERT_TRUE(activate("during").ok());
  auto detail = admin.Call("GET", "/v1/admin/codes/" + std::to_string(id));
  ASSERT_TRUE(detail.ok());
  std::int64_t seats = detail->at("seats_used").as_int64();
  EXPECT_GE(seats, 3);  // before, restarted, during
  EXPECT_LE(seats, 4);  // and "after", if its commit reached the disk
  auto status = server.Device().Call("POST", "/v1/status",
                                     json::object{{"code", code},
                                                  {"fingerprint", "before"},
                                                  {"activation_token", token}});
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->at("state").as_string(), "active");
}

TEST(ServerLifecycleTest, SigtermShutsDownCleanly) {
  ServerProcess server;
  server.Start();
  ASSERT_TRUE(server.Device().Call("GET", "/v1/ping").ok());
  EXPECT_EQ(server.Stop(), 0);
  std::ifstream log(server.log_path());
  std::string all((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(all.find("licentiad stopped"), std::string::npos);
}

TEST(ServerLifecycleTest, ConfigFileSetsTheSameOptions) {
  fs::path dir = fs::temp_directory_path() /
                 ("licentia-config-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::path config = dir / "licentiad.toml";
  std::ofstream(config) << "max-body-bytes = 2048\n";
  ServerProcess server({"--config", config.string()});
  server.Start();
  client::HttpClient http(server.url());
  auto r = http.Send("POST", "/v1/activate", std::string(4096, ' '));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(server.Stop(), 0);
  fs::remove_all(dir);
}

// Regression: unknown keys were ignored, and with a [server] section every
// setting was: the server started on defaults, with a new data directory
// and a new admin token.
TEST(ServerLifecycleTest, UnknownConfigSettingsAreRefusedNamingThem) {
  fs::path dir = fs::temp_directory_path() /
                 ("licentia-badconfig-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[server]\nlisten = \"127.0.0.1:0\"\n", "[server]"},
      {"listen = \"127.0.0.1:0\"\nmax-body-byte = 2048\n", "max-body-byte"},
      {"workers = 8\n", "workers"},
  };
  for (const auto& [text, key] : cases) {
    std::ofstream(dir / "licentiad.toml") << text;
    auto r = RunCommand(
        {LicentiadPath(), "--config", (dir / "licentiad.toml").string(),
         "--data-dir", (dir / "data").string()},
        {}, /*merge_stderr=*/true);
    EXPECT_EQ(r.exit_code, 2) << text;
    EXPECT_NE(r.out.find("'" + key + "'"), std::string::npos) << r.out;
  }
  auto missing =
      RunCommand({LicentiadPath(), "--config", (dir / "none.toml").string(),
                  "--data-dir", (dir / "data").string()},
                 {}, /*merge_stderr=*/true);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("none.toml"), std::string::npos) << missing.out;
  EXPECT_FALSE(fs::exists(dir / "data"));  // nothing was started
  fs::remove_all(dir);
}

// The database holds code hashes, seat tokens' hashes and the event log:
// like the keys, for licentiad's user only.
TEST(ServerLifecycleTest, DataFilesAreReadableByTheServersUserOnly) {
  ServerProcess server;
  server.Start();
  EXPECT_TRUE(ProductWithOneCode(server, 1).id > 0);
  for (const auto& entry : fs::directory_iterator(server.data_dir())) {
    auto perms = entry.status().permissions();
    if (entry.path().filename() == "signing.pub") {
      // The public key is handed to application builds.
      EXPECT_EQ(perms & fs::perms::all,
                fs::perms::owner_read | fs::perms::owner_write |
                    fs::perms::group_read | fs::perms::others_read);
      continue;
    }
    EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all),
              fs::perms::none)
        << entry.path();
  }
  EXPECT_EQ(server.Stop(), 0);
}

TEST(ServerLifecycleTest, UnusableDatabaseIsAClearStartupError) {
  fs::path dir = fs::temp_directory_path() /
                 ("licentia-baddb-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "data");
  std::ofstream(dir / "data" / "licentia.db")
      << std::string(4096, 'x');  // not a database
  auto r = RunCommand({LicentiadPath(), "--data-dir", (dir / "data").string(),
                       "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1);
  auto bad_url =
      RunCommand({LicentiadPath(), "--data-dir", (dir / "data2").string(),
                  "--database", "mysql://x", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(bad_url.exit_code, 1);
  fs::remove_all(dir);
}

// Only formats 1 and 2 exist: anything else is refused before the server
// touches its data directory.
TEST(ServerLifecycleTest, UnknownLicenseKeyFormatIsRefusedAtStartup) {
  fs::path dir = fs::temp_directory_path() /
                 ("licentia-keyformat-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  for (const char* format : {"0", "3", "two"}) {
    auto r =
        RunCommand({LicentiadPath(), "--data-dir", (dir / "data").string(),
                    "--listen", "127.0.0.1:0", "--license-key-format", format},
                   {}, /*merge_stderr=*/true);
    EXPECT_NE(r.exit_code, 0) << format;
    EXPECT_NE(r.out.find("license-key-format"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(fs::exists(dir / "data"));
}

TEST(ServerLifecycleTest, CreateAdminTokenAddsAWorkingToken) {
  ServerProcess server;
  server.Start();
  fs::path data = server.data_dir();
  EXPECT_EQ(server.Stop(), 0);
  std::vector<std::string> args = {LicentiadPath(), "--data-dir", data.string(),
                                   "--create-admin-token"};
  if (!server.database_url().empty()) {
    args.insert(args.end(), {"--database", server.database_url()});
  }
  auto r = RunCommand(args);
  ASSERT_EQ(r.exit_code, 0);
  auto pos = r.out.find("lta_");
  ASSERT_NE(pos, std::string::npos);
  std::string token = r.out.substr(pos, 47);
  server.Start();
  EXPECT_TRUE(client::ApiClient(server.url(), token)
                  .Call("GET", "/v1/admin/products")
                  .ok());
}

// The writer on SQLite's own file layer (--sqlite-wal-buffer=false) serves
// and keeps what it acknowledged across a restart, as with the buffer.
class PlainWalTest : public ApiTestBase {
 protected:
  std::vector<std::string> ServerArgs() override {
    auto args = ApiTestBase::ServerArgs();
    args.insert(args.end(), {"--sqlite-wal-buffer", "false"});
    return args;
  }
};

TEST_F(PlainWalTest, ActivationsAreKeptAcrossARestart) {
  CreateProduct("p");
  IssuedCode c = Issue({{"product", "p"}, {"max_devices", 2}});
  ASSERT_TRUE(Activate(c.code, "d1", "22.0").ok());
  EXPECT_EQ(server_->Stop(), 0);
  server_->Start();
  EXPECT_EQ(Code(c.id).at("seats_used").as_int64(), 1);
  ASSERT_TRUE(Activate(c.code, "d2", "22.0").ok());
  EXPECT_API_ERROR(Activate(c.code, "d3", "22.0"), "DEVICE_LIMIT_REACHED");
}

class RateLimitTest : public ApiTestBase {
 protected:
  std::vector<std::string> ServerArgs() override {
    return {"--rate-limit-ip", "6", "--rate-limit-code", "600"};
  }
};

TEST_F(RateLimitTest, GuessingCodesFromOneAddressIsThrottled) {
  client::HttpClient http(server_->url());
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 40; ++i) {
    auto r = http.Send("POST", "/v1/activate",
                       R"({"code":"00000-00000-00000-00000","fingerprint":"d",)"
                       R"("app_version":"1.0"})");
    ASSERT_TRUE(r.ok());
    if (r->status == 429) {
      ++limited;
      retry_after = r->retry_after;
      EXPECT_NE(r->body.find("RATE_LIMITED"), std::string::npos);
    }
  }
  EXPECT_GT(limited, 20);
  EXPECT_FALSE(retry_after.empty());
  // Admin endpoints are authenticated, not throttled by address.
  EXPECT_TRUE(AdminCall("GET", "/v1/admin/products").ok());
}

class CodeRateLimitTest : public ApiTestBase {
 protected:
  std::vector<std::string> ServerArgs() override {
    return {"--rate-limit-ip", "0", "--rate-limit-code", "6"};
  }
};

TEST_F(CodeRateLimitTest, OneCodeCannotBeHammered) {
  CreateProduct("p");
  IssuedCode c = Issue({{"product", "p"}, {"max_devices", 1}});
  int limited = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = Activate(c.code, "d" + std::to_string(i), "1.0");
    if (!r.ok() && r.status().code() == ErrorCode::kRateLimited) ++limited;
  }
  EXPECT_GT(limited, 15);
  // Another code is unaffected.
  IssuedCode other = Issue({{"product", "p"}});
  EXPECT_TRUE(Activate(other.code, "x", "1.0").ok());
}

// Only refused attempts count against a code: a site license's devices all
// activating at once are not throttled by their own code, while a code
// whose seats are full stops answering repeated attempts.
TEST_F(CodeRateLimitTest, OnlyRefusedAttemptsCountAgainstACode) {
  CreateProduct("p");
  IssuedCode c = Issue({{"product", "p"}, {"max_devices", 20}});
  for (int i = 0; i < 20; ++i) {
    auto r = Activate(c.code, "d" + std::to_string(i), "1.0");
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
  }
  int full = 0, limited = 0;
  for (int i = 20; i < 40; ++i) {
    auto r = Activate(c.code, "d" + std::to_string(i), "1.0");
    ASSERT_FALSE(r.ok());
    if (r.status().code() == ErrorCode::kDeviceLimitReached) ++full;
    if (r.status().code() == ErrorCode::kRateLimited) ++limited;
  }
  EXPECT_GE(full, 1);
  EXPECT_LE(full, 6);  // the limit is 6 a minute
  EXPECT_EQ(full + limited, 20);
  // The code's budget is spent: attempts without a token are answered by
  // the limiter first, even a re-activation that would succeed.
  auto again = Activate(c.code, "d0", "1.0");
  EXPECT_EQ(again.status().code(), ErrorCode::kRateLimited);
}

// Regression: status calls of the devices holding a code counted against
// that code's attempt limit, so the devices of a many-seat code syncing
// together were refused RATE_LIMITED.
TEST_F(CodeRateLimitTest, DevicesHoldingACodeAreNotThrottledByIt) {
  CreateProduct("p");
  IssuedCode c = Issue({{"product", "p"}, {"max_devices", 3}});
  auto a = Activate(c.code, "d1", "1.0");
  ASSERT_TRUE(a.ok());
  for (int i = 0; i < 30; ++i) {
    auto s = DeviceCall("/v1/status",
                        {{"code", c.code},
                         {"fingerprint", "d1"},
                         {"activation_token", a->at("activation_token")}});
    ASSERT_TRUE(s.ok()) << i << ": " << s.status().ToString();
  }
}

}  // namespace
}  // namespace licentia::testing
