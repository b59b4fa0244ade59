// Actions taken in the console reach devices running the real SDK: a
// license sent to a connected device, a reserve set or removed remotely,
// "use this code as the reserve on all my devices", each carried out with
// the device's own checks and its outcome shown back in the console.
#include <gtest/gtest.h>

#include <algorithm>

#include "e2e/device_test_base.h"
#include "integration/console_client.h"

namespace licentia::testing {
namespace {

class ConsoleActionsTest : public DeviceTestBase {
 protected:
  void SetUp() override {
    DeviceTestBase::SetUp();
    owner_ = std::make_unique<ConsoleClient>(server_->url());
    ASSERT_EQ(owner_->SignUp("ann@example.com", "correct horse battery").status,
              201);
  }

  // Connects the device `name` to the owner's account; its console id.
  std::int64_t Connect(const std::string& name) {
    ConsoleAnswer code =
        owner_->Post("/console/api/connect-codes", json::object{});
    EXPECT_EQ(code.status, 201);
    auto account =
        Device(name).Connect(std::string(code.body.at("code").as_string()));
    EXPECT_TRUE(account.ok()) << account.status().ToString();
    // The newest connection has the largest id.
    std::int64_t newest = 0;
    for (const auto& d : Devices()) {
      newest = std::max(newest, d.at("id").as_int64());
    }
    return newest;
  }

  json::array Devices() {
    ConsoleAnswer a = owner_->Get("/console/api/devices");
    EXPECT_EQ(a.status, 200);
    return a.status == 200 ? a.body.at("devices").as_array() : json::array{};
  }

  // The owner types the code into the console (it becomes the license
  // administrator, and the code can be sent to devices).
  void AddToAccount(const IssuedCode& c) {
    ConsoleAnswer a =
        owner_->Post("/console/api/codes", json::object{{"code", c.code}});
    ASSERT_EQ(a.status, 201) << json::serialize(a.body);
  }

  ConsoleAnswer Queue(std::int64_t device, const std::string& kind,
                      std::int64_t code_id) {
    return owner_->Post(
        "/console/api/devices/" + std::to_string(device) + "/actions",
        json::object{{"kind", kind}, {"code_id", code_id}});
  }

  // The newest action the console shows for `device`.
  json::object LastAction(std::int64_t device) {
    for (const auto& d : Devices()) {
      if (d.at("id").as_int64() != device) continue;
      const auto& actions = d.at("actions").as_array();
      if (!actions.empty()) return actions.at(0).as_object();
    }
    return {};
  }

  std::unique_ptr<ConsoleClient> owner_;
};

TEST_F(ConsoleActionsTest, ALicenseSentFromTheConsoleActivatesAtTheNextSync) {
  IssuedCode code = NewCode(365, 2);
  AddToAccount(code);
  LicenseManager& laptop = Device("laptop");
  std::int64_t id = Connect("laptop");
  ConsoleAnswer queued = Queue(id, "activate", code.id);
  ASSERT_EQ(queued.status, 201) << json::serialize(queued.body);
  EXPECT_EQ(queued.body.at("state"), "pending");
  // Twice is once.
  EXPECT_EQ(Queue(id, "activate", code.id).error(), "CONFLICT");

  ASSERT_OK(laptop.Sync());
  EXPECT_EQ(laptop.Details().state, LicenseState::kActive);
  EXPECT_EQ(laptop.Details().masked_code, Masked(code));
  EXPECT_EQ(LastAction(id).at("state"), "done");
  EXPECT_EQ(Code(code.id).at("seats_used"), 1);
  // In use now: a second send is refused at once.
  EXPECT_EQ(Queue(id, "activate", code.id).error(), "CONFLICT");
}

TEST_F(ConsoleActionsTest, AReserveSetRemotelyIsCheckedAndShownLikeOneTyped) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve = NewCode(365);
  IssuedCode trial = NewCode(30, 1, "trial");
  AddToAccount(reserve);
  AddToAccount(trial);
  LicenseManager& laptop = Device("laptop");
  ASSERT_OK(laptop.Activate(current.code));
  std::int64_t id = Connect("laptop");
  // Rule 6's refusals show in the console at once.
  EXPECT_EQ(Queue(id, "set_reserve", trial.id).error(), "RESERVE_IS_TRIAL");
  // A code the account does not hold, a device it does not have.
  IssuedCode stranger = NewCode(365);
  EXPECT_EQ(Queue(id, "set_reserve", stranger.id).error(), "NOT_FOUND");
  EXPECT_EQ(Queue(id + 100, "set_reserve", reserve.id).error(), "NOT_FOUND");
  EXPECT_EQ(
      owner_
          ->Post("/console/api/devices/" + std::to_string(id) + "/actions",
                 json::object{{"kind", "format_disk"}, {"code_id", reserve.id}})
          .error(),
      "INVALID_REQUEST");

  ASSERT_EQ(Queue(id, "set_reserve", reserve.id).status, 201);
  ASSERT_OK(laptop.Sync());
  EXPECT_EQ(laptop.Details().reserve.state, ReserveState::kWaiting);
  EXPECT_EQ(laptop.Details().reserve.masked_code, Masked(reserve));
  EXPECT_EQ(LastAction(id).at("state"), "done");
  json::array devices = Devices();
  EXPECT_EQ(devices.at(0).at("licenses").at(0).at("reserve").at("id"),
            reserve.id);

  // Removed remotely.
  ASSERT_EQ(Queue(id, "remove_reserve", reserve.id).status, 201);
  ASSERT_OK(laptop.Sync());
  EXPECT_EQ(laptop.Details().reserve.state, ReserveState::kNone);
  EXPECT_EQ(LastAction(id).at("state"), "done");
  EXPECT_EQ(Queue(id, "remove_reserve", reserve.id).error(), "NO_RESERVE");
}

// A refusal that only the device finds (here: the vendor blocked the code
// after it was queued) is shown in the console with its code.
TEST_F(ConsoleActionsTest, TheDevicesRefusalIsShownInTheConsole) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve = NewCode(365);
  AddToAccount(reserve);
  LicenseManager& laptop = Device("laptop");
  ASSERT_OK(laptop.Activate(current.code));
  std::int64_t id = Connect("laptop");
  ASSERT_EQ(Queue(id, "set_reserve", reserve.id).status, 201);
  Block(reserve);
  ASSERT_OK(laptop.Sync());
  EXPECT_EQ(laptop.Details().reserve.state, ReserveState::kNone);
  json::object action = LastAction(id);
  EXPECT_EQ(action.at("state"), "refused");
  EXPECT_EQ(action.at("error").at("code"), "CODE_BLOCKED");
}

TEST_F(ConsoleActionsTest, OneCodeAsTheReserveOfEveryDevice) {
  IssuedCode a = NewCode(30), b = NewCode(30);
  IssuedCode reserve = NewCode(365, 3);
  AddToAccount(reserve);
  ASSERT_OK(Device("one").Activate(a.code));
  ASSERT_OK(Device("two").Activate(b.code));
  Connect("one");
  Connect("two");
  Device("three");
  Connect("three");  // no license: refused for that device alone
  ConsoleAnswer all =
      owner_->Post("/console/api/licenses/" + std::to_string(reserve.id) +
                       "/reserve-everywhere",
                   json::object{});
  ASSERT_EQ(all.status, 200) << json::serialize(all.body);
  const auto& results = all.body.at("devices").as_array();
  ASSERT_EQ(results.size(), 3u);
  int queued = 0;
  for (const auto& r : results) {
    if (r.at("result") == "queued") {
      ++queued;
    } else {
      EXPECT_EQ(r.at("error").at("code"), "NO_CURRENT_LICENSE");
    }
  }
  EXPECT_EQ(queued, 2);
  ASSERT_OK(Device("one").Sync());
  ASSERT_OK(Device("two").Sync());
  EXPECT_EQ(Device("one").Details().reserve.masked_code, Masked(reserve));
  EXPECT_EQ(Device("two").Details().reserve.masked_code, Masked(reserve));
}

// With the agent running, an action reaches the device in seconds: the
// wait it holds is answered when the action is queued.
TEST_F(ConsoleActionsTest, TheAgentTakesUpAnActionWhileItWaits) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve = NewCode(365);
  AddToAccount(reserve);
  LicenseManager& laptop = Device("laptop");
  ASSERT_OK(laptop.Activate(current.code));
  std::int64_t id = Connect("laptop");
  ASSERT_OK(laptop.StartAgent());
  ASSERT_TRUE(Eventually([&] { return WaitingDevices() == 1; }));
  ASSERT_EQ(Queue(id, "set_reserve", reserve.id).status, 201);
  EXPECT_TRUE(Eventually([&] {
    return laptop.Details().reserve.state == ReserveState::kWaiting;
  }));
  laptop.StopAgent();
  EXPECT_EQ(LastAction(id).at("state"), "done");
}

// A code that joined the account through a connected device (which proved
// it holds it) can be viewed by its administrator and sent to another
// device, as if it had been typed.
TEST_F(ConsoleActionsTest, ACodeFromAConnectedDeviceCanBeSentToAnother) {
  IssuedCode code = NewCode(365, 2);
  ASSERT_OK(Device("laptop").Activate(code.code));
  Connect("laptop");
  ConsoleAnswer view =
      owner_->Get("/console/api/licenses/" + std::to_string(code.id) + "/code");
  ASSERT_EQ(view.status, 200);
  EXPECT_EQ(view.body.at("code").as_string(), code.code);
  Device("desktop");
  std::int64_t desktop = Connect("desktop");
  ASSERT_EQ(Queue(desktop, "activate", code.id).status, 201);
  ASSERT_OK(Device("desktop").Sync());
  EXPECT_EQ(Device("desktop").Details().masked_code, Masked(code));
  EXPECT_EQ(Code(code.id).at("seats_used"), 2);
  // Both devices' cards show the license.
  for (const auto& d : Devices()) {
    EXPECT_EQ(d.at("licenses").as_array().size(), 1u) << d.at("name");
  }
}

// Freed in the console by the license's owner: the device says so.
TEST_F(ConsoleActionsTest, ASeatFreedInTheConsoleIsExplainedOnTheDevice) {
  IssuedCode code = NewCode(365);
  LicenseManager& laptop = Device("laptop");
  ASSERT_OK(laptop.Activate(code.code));
  std::int64_t id = Connect("laptop");
  ASSERT_EQ(
      owner_
          ->Post("/console/api/devices/" + std::to_string(id) + "/disconnect",
                 json::object{{"free_seats", true}})
          .status,
      200);
  (void)laptop.Sync();  // handled: the details tell the user
  ASSERT_TRUE(laptop.Details().last_error.has_value());
  EXPECT_NE(laptop.Details().last_error->message.find("license's owner"),
            std::string::npos);
  EXPECT_EQ(laptop.Details().state, LicenseState::kNone);
}

// Rule 8 at the rollover: a reserve that requires an account takes over
// only while the device is connected to an account that holds it.
TEST_F(ConsoleActionsTest, AnAccountReserveRollsOverOnlyOnAConnectedDevice) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve =
      NewCode(365, 1, "term", json::object{{"requires_account", true}});
  AddToAccount(reserve);
  LicenseManager& laptop = Device("laptop");
  ASSERT_OK(laptop.Activate(current.code));
  std::int64_t id = Connect("laptop");
  ASSERT_OK(laptop.AddReserve(reserve.code));
  // Disconnected in the console (the seat stays).
  ASSERT_EQ(
      owner_
          ->Post("/console/api/devices/" + std::to_string(id) + "/disconnect",
                 json::object{})
          .status,
      200);
  Advance(31);
  // The license has ended and the reserve is refused: no license.
  EXPECT_CODE(laptop.Check(), "KEY_EXPIRED");
  ASSERT_TRUE(laptop.Details().reserve.last_error.has_value());
  EXPECT_EQ(laptop.Details().reserve.last_error->code,
            ErrorCode::kAccountRequired);
  // Connected again (the owner signs in anew: a month has passed), Try
  // again takes it over.
  ASSERT_EQ(owner_->SignIn("ann@example.com", "correct horse battery").status,
            200);
  Connect("laptop");
  ASSERT_OK(laptop.TryAgain());
  EXPECT_EQ(laptop.Details().state, LicenseState::kActive);
  EXPECT_EQ(laptop.Details().masked_code, Masked(reserve));
}

}  // namespace
}  // namespace licentia::testing
