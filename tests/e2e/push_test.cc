// Push, end to end: devices running the real SDK's agent (or the
// application's own Step() calls) hold a wait on the real server and learn
// of the vendor's changes as they are made, not at their next hourly sync.
#include <atomic>
#include <future>

#include "e2e/device_test_base.h"

namespace licentia::testing {
namespace {

using std::chrono::milliseconds;

class PushTest : public DeviceTestBase {
 protected:
  // The device's agent, counting the changes it reports.
  void StartAgent(LicenseManager& dev) {
    ASSERT_OK(dev.StartAgent([this] { changes_.fetch_add(1); }));
  }
  // Until the server holds `n` waiting devices.
  void AwaitWaiting(int n) {
    ASSERT_TRUE(Eventually([&] { return WaitingDevices() == n; }))
        << "waiting devices: " << WaitingDevices();
  }
  bool Shows(LicenseManager& dev, LicenseState state) {
    return Eventually([&] { return dev.Details().state == state; });
  }

  // A laptop activated with a fresh year's code, its agent waiting.
  LicenseManager& WaitingLaptop(const IssuedCode& code) {
    LicenseManager& dev = Device("laptop");
    Status activated = dev.Activate(code.code);
    EXPECT_TRUE(activated.ok()) << activated.ToString();
    StartAgent(dev);
    AwaitWaiting(1);
    return dev;
  }

  // The same, with `reserve` added as its reserve before the agent starts.
  LicenseManager& WaitingLaptop(const IssuedCode& code,
                                const IssuedCode& reserve) {
    LicenseManager& dev = Device("laptop");
    Status st = dev.Activate(code.code);
    if (st.ok()) st = dev.AddReserve(reserve.code);
    EXPECT_TRUE(st.ok()) << st.ToString();
    StartAgent(dev);
    AwaitWaiting(1);
    return dev;
  }

  std::atomic<int> changes_{0};
};

TEST_F(PushTest, ABlockAndAnUnblockReachTheAgentAsTheyAreMade) {
  IssuedCode code = NewCode(365);
  LicenseManager& dev = WaitingLaptop(code);
  ASSERT_FALSE(HasFailure());
  int before = changes_.load();
  Block(code);
  // The device's clock has not moved: no interval sync is due. Only the
  // push can bring the block.
  ASSERT_TRUE(Shows(dev, LicenseState::kBlocked));
  EXPECT_EQ(dev.Check().code(), ErrorCode::kCodeBlocked);
  ASSERT_NE(dev.Details().last_error, std::nullopt);
  EXPECT_NE(dev.Details().last_error->message.find("refund"),
            std::string::npos);
  EXPECT_TRUE(Eventually([&] { return changes_.load() > before; }));
  // Still waiting, from the new version: the unblock arrives too.
  AwaitWaiting(1);
  Unblock(code);
  ASSERT_TRUE(Shows(dev, LicenseState::kActive));
  ASSERT_OK(dev.Check());
  dev.StopAgent();
  AwaitWaiting(0);
}

// The wait holds no lock: the application's checks and its details window
// answer while the device waits on the server.
TEST_F(PushTest, CheckAndDetailsAnswerWhileTheDeviceWaits) {
  IssuedCode code = NewCode(365);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(code.code));
  ASSERT_OK(dev.Step(milliseconds(0)));  // syncs; the next step waits
  auto step = std::async(std::launch::async,
                         [&] { return dev.Step(milliseconds(120000)); });
  AwaitWaiting(1);
  ASSERT_OK(dev.Check());
  EXPECT_EQ(dev.Details().state, LicenseState::kActive);
  ASSERT_OK(dev.Sync());
  ASSERT_OK(dev.Tick());
  // Nothing changed, so the wait is still held: all of the above ran
  // beside it.
  EXPECT_EQ(step.wait_for(milliseconds(0)), std::future_status::timeout);
  dev.Interrupt();
  ASSERT_EQ(step.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  ASSERT_OK(step.get());
  AwaitWaiting(0);
}

// An application that drives the steps itself sees a step end with the
// change, applied.
TEST_F(PushTest, AStepEndsWithTheChangeApplied) {
  IssuedCode code = NewCode(365);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(code.code));
  ASSERT_OK(dev.Step(milliseconds(0)));
  auto step = std::async(std::launch::async,
                         [&] { return dev.Step(milliseconds(120000)); });
  AwaitWaiting(1);
  Block(code);
  ASSERT_EQ(step.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  ASSERT_OK(step.get());
  EXPECT_EQ(dev.Details().state, LicenseState::kBlocked);
}

// A change made while the agent was stopped is answered at once when it
// starts again: it resumes from the version it last saw.
TEST_F(PushTest, AChangeMadeWhileTheAgentWasStoppedIsNotMissed) {
  IssuedCode code = NewCode(365);
  LicenseManager& dev = WaitingLaptop(code);
  ASSERT_FALSE(HasFailure());
  dev.StopAgent();
  AwaitWaiting(0);
  Block(code);
  EXPECT_EQ(dev.Details().state, LicenseState::kActive);
  StartAgent(dev);
  ASSERT_TRUE(Shows(dev, LicenseState::kBlocked));
}

// The server restarts under a waiting device: the device reconnects by
// itself (after a short, jittered delay) and hears the next change.
TEST_F(PushTest, TheAgentReconnectsAfterTheServerRestarts) {
  IssuedCode code = NewCode(365);
  LicenseManager& dev = WaitingLaptop(code);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(server_->Stop(), 0);
  server_->Start();
  AwaitWaiting(1);
  Block(code);
  ASSERT_TRUE(Shows(dev, LicenseState::kBlocked));
  // The server's outage is not the license's problem.
  EXPECT_EQ(dev.Details().last_error->code, ErrorCode::kCodeBlocked);
}

// The vendor's block reaches a device whose reserve then takes over when
// the user presses Activate now; the new seat is waited on from then on.
TEST_F(PushTest, AfterActivateNowTheReservesSeatIsWaitedOn) {
  IssuedCode current = NewCode(365);
  IssuedCode reserve = NewCode(365);
  LicenseManager& dev = WaitingLaptop(current, reserve);
  ASSERT_FALSE(HasFailure());
  Block(current);
  ASSERT_TRUE(Shows(dev, LicenseState::kBlocked));
  ASSERT_OK(dev.ActivateNow());
  EXPECT_EQ(dev.Details().masked_code, Masked(reserve));
  // The agent's wait for the old seat ends (the old seat is released);
  // the one for the new seat hears the next block.
  AwaitWaiting(1);
  Block(reserve);
  ASSERT_TRUE(Shows(dev, LicenseState::kBlocked));
  EXPECT_EQ(dev.Details().masked_code, Masked(reserve));
}

// The server is down when the license ends: the rollover fails and waits
// for its retry. When the server is back, the agent's wait reconnects
// within moments, and its answer retries the rollover at once rather than
// at the retry's turn (30 s later or more).
TEST_F(PushTest, AReturningServerRetriesAFailedRolloverAtOnce) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve = NewCode(365);
  LicenseManager& dev = WaitingLaptop(current, reserve);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(server_->Stop(), 0);
  device_clock_->Advance(30 * 86400 + 60);
  EXPECT_CODE(dev.Check(), "KEY_EXPIRED");
  ASSERT_EQ(dev.Details().reserve.state, ReserveState::kRetrying);
  // The device's clock stands still from here: only the server's return
  // can bring the rollover about.
  server_->set_clock_start(Now());
  server_->Start();
  ASSERT_TRUE(
      Eventually([&] { return dev.Details().masked_code == Masked(reserve); }));
  ASSERT_OK(dev.Check());
  EXPECT_EQ(dev.Details().reserve.state, ReserveState::kNone);
}

// Support frees a customer's seat: the device waiting on the server learns
// at once that its key no longer stands for a license, and its reserve, if
// it has one, takes over (rule 8: the key was removed).
TEST_F(PushTest, AVendorReleasingTheSeatReachesTheAgentAtOnce) {
  IssuedCode current = NewCode(365);
  IssuedCode reserve = NewCode(730);
  LicenseManager& dev = WaitingLaptop(current, reserve);
  ASSERT_FALSE(HasFailure());
  auto shown =
      AdminCall("GET", "/v1/admin/codes/" + std::to_string(current.id));
  ASSERT_TRUE(shown.ok());
  std::int64_t seat = shown->at("activations").at(0).at("id").as_int64();
  std::string path =
      "/v1/admin/codes/" + std::to_string(current.id) + "/activations/";
  EXPECT_API_ERROR(AdminCall("POST", path + "999999/release"), "NOT_ACTIVATED");
  EXPECT_API_ERROR(AdminCall("POST", path + "x/release"), "NOT_FOUND");
  auto released = AdminCall("POST", path + std::to_string(seat) + "/release",
                            json::object{{"reason", "customer moved"}});
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_EQ(released->at("seats_used").as_int64(), 0);
  ASSERT_TRUE(
      Eventually([&] { return dev.Details().masked_code == Masked(reserve); }));
  ASSERT_OK(dev.Check());
  // Released once: the seat is no longer in use.
  EXPECT_API_ERROR(AdminCall("POST", path + std::to_string(seat) + "/release"),
                   "NOT_ACTIVATED");
}

// The device is told who freed its seat, when and why, and what to do: it
// proved it held the seat (its activation token), so nothing is revealed
// to anyone else (a wrong token still gets NOT_ACTIVATED).
TEST_F(PushTest, ADeviceWhoseSeatTheVendorReleasedIsToldSo) {
  IssuedCode code = NewCode(365);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(code.code));
  auto shown = AdminCall("GET", "/v1/admin/codes/" + std::to_string(code.id));
  ASSERT_TRUE(shown.ok());
  std::int64_t seat = shown->at("activations").at(0).at("id").as_int64();
  ASSERT_TRUE(AdminCall("POST",
                        "/v1/admin/codes/" + std::to_string(code.id) +
                            "/activations/" + std::to_string(seat) + "/release",
                        json::object{{"reason", "customer moved"}})
                  .ok());
  EXPECT_API_ERROR(DeviceCall("/v1/status", {{"code", code.code},
                                             {"fingerprint", "laptop"},
                                             {"activation_token", "lat_x"}}),
                   "NOT_ACTIVATED");
  (void)dev.Sync();  // handled: the details tell the user
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.state, LicenseState::kNone);
  ASSERT_TRUE(d.last_error.has_value());
  EXPECT_EQ(d.last_error->code, ErrorCode::kSeatReleased);
  EXPECT_NE(d.last_error->message.find("vendor released"), std::string::npos)
      << d.last_error->message;
  EXPECT_NE(d.last_error->message.find("customer moved"), std::string::npos);
  EXPECT_FALSE(d.last_error->what_to_do.empty());
  // A seat is free again: activating again works.
  ASSERT_OK(dev.Activate(code.code));
}

// With push off the agent holds no wait: it falls back to the interval
// sync, which brings the block once the hour has passed.
TEST_F(PushTest, WithPushOffTheIntervalSyncBringsChanges) {
  configure_ = [](ClientConfig& c) { c.push.enabled = false; };
  IssuedCode code = NewCode(365);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(code.code));
  StartAgent(dev);
  Block(code);
  Advance(0, 3601);
  dev.Interrupt();  // the agent looks again now rather than in minutes
  ASSERT_TRUE(Shows(dev, LicenseState::kBlocked));
  EXPECT_EQ(WaitingDevices(), 0);
}

TEST_F(PushTest, BadPushSettingsAreRefusedAtOpen) {
  configure_ = [](ClientConfig& c) { c.push.wait_seconds = 301; };
  EXPECT_EQ(Reopen("laptop").status().code(), ErrorCode::kInvalidRequest);
  configure_ = [](ClientConfig& c) {
    c.push.reconnect_initial_ms = 5000;
    c.push.reconnect_max_ms = 10;
  };
  EXPECT_EQ(Reopen("laptop").status().code(), ErrorCode::kInvalidRequest);
}

}  // namespace
}  // namespace licentia::testing
