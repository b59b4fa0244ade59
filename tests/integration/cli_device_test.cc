// The device commands of `licentia`, as an application's user or a script
// would run them, against the real server.
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "cli/exit_codes.h"
#include "client/http_client.h"
#include "integration/api_test_base.h"
#include "licentia/clock.h"

namespace licentia::testing {
namespace {

class CliDeviceTest : public ApiTestBase {
 protected:
  void SetUp() override {
    ApiTestBase::SetUp();
    CreateProduct("photo");
  }
  std::vector<std::string> Env(const std::string& device = "dev1") {
    return {"LICENTIA_SERVER=" + server_->url(),
            "LICENTIA_PRODUCT=photo",
            "LICENTIA_APP_VERSION=22.0",
            "LICENTIA_STATE_DIR=" +
                (server_->data_dir().parent_path() / device).string(),
            "LICENTIA_PUBLIC_KEY=" + server_->public_key_hex(),
            "LICENTIA_FINGERPRINT=" + device,
            "LICENTIA_DEVICE_TIME=" + std::to_string(device_now_)};
  }
  // Time passes on both sides: the server's test clock and the device's.
  void Advance(int days) {
    AdvanceDays(days);
    device_now_ += days * std::int64_t{86400};
  }
  std::int64_t device_now_ = 1800000000;
  CommandResult Cli(std::vector<std::string> args,
                    const std::string& device = "dev1") {
    args.insert(args.begin(), LicentiaCliPath());
    return RunCommand(args, Env(device));
  }
  json::value Json(std::vector<std::string> args,
                   const std::string& device = "dev1") {
    args.insert(args.begin(), "--json");
    auto r = Cli(args, device);
    boost::system::error_code ec;
    auto v = json::parse(r.out, ec);
    EXPECT_FALSE(ec) << r.out;
    return v;
  }
};

TEST_F(CliDeviceTest, ActivateReserveDetailsAndRollover) {
  IssuedCode current = Issue({{"product", "photo"}, {"term_days", 30}});
  IssuedCode reserve = Issue({{"product", "photo"}, {"term_days", 365}});
  EXPECT_EQ(Cli({"check"}).exit_code, cli::kExitNotLicensed);
  auto activated = Json({"activate", current.code});
  EXPECT_TRUE(activated.at("ok").as_bool());
  EXPECT_EQ(activated.at("details").at("state").as_string(), "active");
  EXPECT_EQ(activated.at("details").at("days_left").as_int64(), 30);
  EXPECT_EQ(Cli({"reserve", "add", reserve.code}).exit_code, 0);

  auto human = Cli({"details"});
  EXPECT_NE(human.out.find("Status            Active"), std::string::npos)
      << human.out;
  EXPECT_NE(human.out.find("waiting: activates when the current license ends"),
            std::string::npos)
      << human.out;
  EXPECT_EQ(human.out.find(current.code), std::string::npos)
      << "the code must be shown masked";

  Advance(31);
  auto synced = Json({"sync"});
  EXPECT_EQ(synced.at("details").at("masked_code").as_string(),
            "*****-*****-*****-" + reserve.code.substr(18));
  EXPECT_EQ(synced.at("details").at("reserve").at("state").as_string(), "none");
  EXPECT_EQ(Cli({"check"}).exit_code, 0);
}

TEST_F(CliDeviceTest, RefusalsHaveCodesAndExitCodes) {
  IssuedCode current = Issue({{"product", "photo"}, {"term_days", 30}});
  auto bad = Json({"activate", "AAAAA-AAAAA-AAAAA-AAAAA"});
  EXPECT_FALSE(bad.at("ok").as_bool());
  EXPECT_EQ(bad.at("error").at("code").as_string(), "INVALID_CODE_FORMAT");
  EXPECT_EQ(Cli({"activate", "AAAAA-AAAAA-AAAAA-AAAAA"}).exit_code,
            cli::kExitInvalidInput);
  EXPECT_EQ(Cli({"reserve", "add", current.code}).exit_code,
            cli::kExitNotLicensed);  // no current license yet
  EXPECT_EQ(Cli({"activate", current.code}).exit_code, 0);
  EXPECT_EQ(Cli({"reserve", "add", current.code}).exit_code, cli::kExitRefused);
  EXPECT_EQ(Cli({"reserve", "remove"}).exit_code, cli::kExitNotFound);
  EXPECT_EQ(Cli({"try-again"}).exit_code, cli::kExitInvalidInput);
  IssuedCode one_seat = Issue({{"product", "photo"}, {"max_devices", 1}});
  EXPECT_EQ(Cli({"activate", one_seat.code}, "dev2").exit_code, 0);
  EXPECT_EQ(Cli({"activate", one_seat.code}, "dev3").exit_code,
            cli::kExitRefused);
}

TEST_F(CliDeviceTest, BlockedThenActivateNow) {
  IssuedCode current = Issue({{"product", "photo"}});
  IssuedCode reserve = Issue({{"product", "photo"}});
  ASSERT_EQ(Cli({"activate", current.code}).exit_code, 0);
  ASSERT_EQ(Cli({"reserve", "add", reserve.code}).exit_code, 0);
  ASSERT_TRUE(AdminCall("POST", "/v1/admin/codes/" +
                                    std::to_string(current.id) + "/block")
                  .ok());
  auto synced = Json({"sync"});
  EXPECT_EQ(synced.at("details").at("state").as_string(), "blocked");
  auto details = Cli({"details"});
  EXPECT_NE(details.out.find("Activate now"), std::string::npos) << details.out;
  EXPECT_EQ(Cli({"check"}).exit_code, cli::kExitRefused);
  EXPECT_EQ(Cli({"activate-now"}).exit_code, 0);
  EXPECT_EQ(Cli({"check"}).exit_code, 0);
}

TEST_F(CliDeviceTest, AgentRollsOverWhenDue) {
  IssuedCode current = Issue({{"product", "photo"}, {"term_days", 10}});
  IssuedCode reserve = Issue({{"product", "photo"}, {"term_days", 365}});
  ASSERT_EQ(Cli({"activate", current.code}).exit_code, 0);
  ASSERT_EQ(Cli({"reserve", "add", reserve.code}).exit_code, 0);
  Advance(11);
  auto agent = Cli({"agent", "--ticks", "1"});
  EXPECT_EQ(agent.exit_code, 0);
  auto line = json::parse(agent.out);
  EXPECT_EQ(line.at("state").as_string(), "active");
  EXPECT_EQ(line.at("result").as_string(), "OK");
  EXPECT_EQ(Json({"details"}).at("details").at("masked_code").as_string(),
            "*****-*****-*****-" + reserve.code.substr(18));
}

// Between its checks the agent waits on the server: a block shows in its
// next line at once, not at the next interval (here an hour).
TEST_F(CliDeviceTest, TheAgentHearsABlockAsItIsMade) {
  IssuedCode code = Issue({{"product", "photo"}});
  ASSERT_EQ(Cli({"activate", code.code}).exit_code, 0);
  auto agent = std::async(std::launch::async, [&] {
    return Cli({"agent", "--ticks", "2", "--interval", "3600"});
  });
  auto waiting = [&] {
    auto m = client::HttpClient(server_->url()).Send("GET", "/metrics");
    return m.ok() &&
           m->body.find("\nlicentia_waiting_devices 1\n") != std::string::npos;
  };
  for (int i = 0; i < 6000 && !waiting(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(waiting());
  ASSERT_TRUE(
      AdminCall("POST", "/v1/admin/codes/" + std::to_string(code.id) + "/block")
          .ok());
  ASSERT_EQ(agent.wait_for(std::chrono::seconds(60)),
            std::future_status::ready);
  auto out = agent.get();
  EXPECT_EQ(out.exit_code, 0);
  auto second = out.out.substr(out.out.find('\n') + 1);
  EXPECT_EQ(json::parse(out.out.substr(0, out.out.find('\n')))
                .at("state")
                .as_string(),
            "active");
  EXPECT_EQ(json::parse(second).at("state").as_string(), "blocked");
}

// Regression: the agent printed "result":"OK" while the license was
// expired or blocked and nothing could take over.
TEST_F(CliDeviceTest, AgentSaysWhenTheApplicationIsNotLicensed) {
  IssuedCode current = Issue({{"product", "photo"}, {"term_days", 10}});
  ASSERT_EQ(Cli({"activate", current.code}).exit_code, 0);
  auto ok = json::parse(Cli({"agent", "--ticks", "1"}).out);
  EXPECT_EQ(ok.at("result").as_string(), "OK");
  Advance(11);
  auto expired = json::parse(Cli({"agent", "--ticks", "1"}).out);
  EXPECT_EQ(expired.at("state").as_string(), "expired");
  EXPECT_EQ(expired.at("result").as_string(), "KEY_EXPIRED");
  IssuedCode other = Issue({{"product", "photo"}});
  ASSERT_EQ(Cli({"activate", other.code}, "dev2").exit_code, 0);
  ASSERT_TRUE(AdminCall("POST", "/v1/admin/codes/" + std::to_string(other.id) +
                                    "/block")
                  .ok());
  Advance(1);  // the agent's next sync is due
  auto blocked = json::parse(Cli({"agent", "--ticks", "1"}, "dev2").out);
  EXPECT_EQ(blocked.at("state").as_string(), "blocked");
  EXPECT_EQ(blocked.at("result").as_string(), "CODE_BLOCKED");
}

// Regression: a blocked license's reserve still said "activates when the
// current license ends" (it never would), and counts read "1 devices".
TEST_F(CliDeviceTest, DetailsSayWhatWillHappen) {
  IssuedCode current = Issue({{"product", "photo"}});
  IssuedCode reserve = Issue({{"product", "photo"}, {"max_devices", 1}});
  ASSERT_EQ(Cli({"activate", current.code}).exit_code, 0);
  ASSERT_EQ(Cli({"reserve", "add", reserve.code}).exit_code, 0);
  auto waiting = Cli({"details"}).out;
  EXPECT_NE(waiting.find("365 days, 1 device)"), std::string::npos) << waiting;
  EXPECT_EQ(waiting.find("1 devices"), std::string::npos) << waiting;
  ASSERT_TRUE(AdminCall("POST", "/v1/admin/codes/" +
                                    std::to_string(current.id) + "/block")
                  .ok());
  ASSERT_EQ(Cli({"sync"}).exit_code, 0);
  auto blocked = Cli({"details"}).out;
  EXPECT_NE(blocked.find("waiting: press Activate now to switch to it"),
            std::string::npos)
      << blocked;
  EXPECT_EQ(blocked.find("activates when the current license ends"),
            std::string::npos)
      << blocked;
}

TEST(DemoTest, TellsTheWholeStory) {
  auto r = RunCommand({"/bin/bash", DEMO_SCRIPT_PATH},
                      {std::string("LICENTIAD=") + LicentiadPath(),
                       std::string("LICENTIA=") + LicentiaCliPath()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("The reserve code was added."), std::string::npos);
  EXPECT_NE(r.out.find("Licensed."), std::string::npos);
  EXPECT_NE(r.out.find("reserve.activated"), std::string::npos) << r.out;
}

// A reserve from a batch with prepare_days is prepared at the sync inside
// the window, and the details say when it takes over.
TEST_F(CliDeviceTest, DetailsShowAPreparedReserve) {
  IssuedCode current = Issue({{"product", "photo"}, {"term_days", 30}});
  IssuedCode reserve =
      Issue({{"product", "photo"}, {"term_days", 365}, {"prepare_days", 7}});
  ASSERT_EQ(Cli({"activate", current.code}).exit_code, 0);
  ASSERT_EQ(Cli({"reserve", "add", reserve.code}).exit_code, 0);
  Advance(25);
  ASSERT_EQ(Cli({"sync"}).exit_code, 0);
  auto details = Cli({"details"});
  EXPECT_NE(details.out.find("prepared: takes over on " +
                             FormatTimestamp(1800000000 + 30 * 86400) +
                             " even without a network"),
            std::string::npos)
      << details.out;
  EXPECT_EQ(Json({"details"})
                .at("details")
                .at("reserve")
                .at("prepared_from")
                .as_int64(),
            1800000000 + 30 * 86400);
}

// Offline activation through the CLI, as a factory-floor machine and the
// vendor's support desk would run it: the device never reaches the server
// (its server URL refuses connections); files go back and forth.
TEST_F(CliDeviceTest, ActivationAndReleaseByFile) {
  IssuedCode code = Issue({{"product", "photo"}, {"max_devices", 1}});
  auto dir = server_->data_dir().parent_path();
  std::string request = (dir / "request.json").string();
  std::string response = (dir / "response.json").string();
  std::vector<std::string> gapped = Env("floor");
  gapped[0] = "LICENTIA_SERVER=http://127.0.0.1:1";
  auto device = [&](std::vector<std::string> args) {
    args.insert(args.begin(), LicentiaCliPath());
    return RunCommand(args, gapped, /*merge_stderr=*/true);
  };
  auto vendor = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {LicentiaCliPath(), "--server", server_->url(),
                               "--token", server_->admin_token()});
    return RunCommand(args, {}, /*merge_stderr=*/true);
  };
  auto wrote = device({"activate", code.code, "--request-file", request});
  ASSERT_EQ(wrote.exit_code, 0) << wrote.out;
  EXPECT_NE(wrote.out.find("licentia import-response"), std::string::npos);
  // The file is not overwritten by a second request.
  EXPECT_EQ(
      device({"activate", code.code, "--request-file", request}).exit_code,
      cli::ExitCodeFor(Status(ErrorCode::kConflict, "")));
  std::filesystem::remove(request);
  ASSERT_EQ(
      device({"activate", code.code, "--request-file", request}).exit_code, 0);
  auto answered =
      vendor({"admin", "offline", "answer", request, "-o", response});
  ASSERT_EQ(answered.exit_code, 0) << answered.out;
  EXPECT_NE(answered.out.find("Answered the activate request"),
            std::string::npos)
      << answered.out;
  // Answered once.
  auto again = vendor({"admin", "offline", "answer", request, "-o",
                       (dir / "again.json").string()});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.out.find("OFFLINE_REQUEST_USED"), std::string::npos)
      << again.out;
  auto imported = device({"import-response", response});
  ASSERT_EQ(imported.exit_code, 0) << imported.out;
  EXPECT_NE(imported.out.find("Status            Active"), std::string::npos)
      << imported.out;
  EXPECT_EQ(device({"check"}).exit_code, 0);
  EXPECT_EQ(Code(code.id).at("seats_used").as_int64(), 1);

  // A reserve by file; preparing it is refused: its batch does not offer
  // offline rollover.
  IssuedCode reserve = Issue({{"product", "photo"}, {"term_days", 730}});
  std::string add = (dir / "reserve.json").string();
  std::string added = (dir / "reserve-answer.json").string();
  ASSERT_EQ(
      device({"reserve", "add", reserve.code, "--request-file", add}).exit_code,
      0);
  ASSERT_EQ(vendor({"admin", "offline", "answer", add, "-o", added}).exit_code,
            0);
  auto with_reserve = device({"import-response", added});
  EXPECT_NE(with_reserve.out.find("waiting: activates when the current "
                                  "license ends"),
            std::string::npos)
      << with_reserve.out;
  std::string prepare = (dir / "prepare.json").string();
  ASSERT_EQ(device({"reserve", "prepare", prepare}).exit_code, 0);
  auto refused = vendor({"admin", "offline", "answer", prepare, "-o",
                         (dir / "prepared.json").string()});
  EXPECT_NE(refused.out.find("PREPARE_NOT_OFFERED"), std::string::npos)
      << refused.out;

  // Released by file: the key goes at once, the seat with the answer.
  std::string release = (dir / "release.json").string();
  ASSERT_EQ(device({"release-by-file", release}).exit_code, 0);
  EXPECT_EQ(device({"check"}).exit_code, cli::kExitNotLicensed);
  std::string receipt = (dir / "receipt.json").string();
  ASSERT_EQ(
      vendor({"admin", "offline", "answer", release, "-o", receipt}).exit_code,
      0);
  EXPECT_EQ(Code(code.id).at("seats_used").as_int64(), 0);
  EXPECT_EQ(device({"import-response", receipt}).exit_code, 0);
  // A response imported twice, or a file that is not one, is refused.
  auto twice = device({"import-response", receipt});
  EXPECT_NE(twice.out.find("OFFLINE_RESPONSE_MISMATCH"), std::string::npos)
      << twice.out;
  EXPECT_NE(device({"import-response", (dir / "missing").string()}).exit_code,
            0);
}

}  // namespace
}  // namespace licentia::testing
