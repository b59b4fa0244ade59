// Domain rules 6-10 on the device, end to end: the reserve code and the
// rollover to it, with the real SDK against the real server.
#include <fstream>

#include "e2e/device_test_base.h"

namespace licentia::testing {
namespace {

class ReserveRolloverTest : public DeviceTestBase {
 protected:
  struct LaptopWithReserve {
    IssuedCode current;
    IssuedCode reserve;
    LicenseManager& dev;
  };
  // The usual start: a laptop activates a fresh `current_days` code and adds
  // a fresh one-seat `reserve_days` code as its reserve. A failure is
  // reported; callers stop with ASSERT_FALSE(HasFailure()).
  LaptopWithReserve StartWithReserve(int current_days, int reserve_days) {
    IssuedCode current = NewCode(current_days);
    IssuedCode reserve = NewCode(reserve_days);
    LicenseManager& dev = Device("laptop");
    Status activated = dev.Activate(current.code);
    EXPECT_TRUE(activated.ok()) << activated.ToString();
    if (activated.ok()) {
      Status added = dev.AddReserve(reserve.code);
      EXPECT_TRUE(added.ok()) << added.ToString();
    }
    return {current, reserve, dev};
  }
};

TEST_F(ReserveRolloverTest, RollsOverByItselfWhenTheLicenseEnds) {
  auto [current, reserve, dev] = StartWithReserve(30, 365);
  ASSERT_FALSE(HasFailure());
  LicenseDetails before = dev.Details();
  EXPECT_EQ(before.reserve.state, ReserveState::kWaiting);
  EXPECT_EQ(before.reserve.masked_code, Masked(reserve));
  // The reserve holds no seat while it waits (rule 7).
  EXPECT_EQ(Code(reserve.id).at("seats_used").as_int64(), 0);

  Advance(29);
  ASSERT_OK(dev.Tick());
  EXPECT_EQ(dev.Details().masked_code, Masked(current));

  Advance(1, 60);  // just past the end of the 30-day term
  ASSERT_OK(dev.Tick());
  LicenseDetails after = dev.Details();
  EXPECT_EQ(after.state, LicenseState::kActive);
  EXPECT_EQ(after.masked_code, Masked(reserve));
  // New expiry = the reserve's first activation (now) + its term.
  EXPECT_EQ(after.expires_at, Now() + 365 * 86400);
  EXPECT_EQ(after.reserve.state, ReserveState::kNone);
  ASSERT_OK(dev.Check());
  EXPECT_EQ(Code(reserve.id).at("seats_used").as_int64(), 1);
}

TEST_F(ReserveRolloverTest, CheckItselfSwitchesWithNoGap) {
  auto [current, reserve, dev] = StartWithReserve(30, 365);
  ASSERT_FALSE(HasFailure());
  Advance(30);
  // No agent ran: the application's own check switches to the reserve.
  ASSERT_OK(dev.Check());
  EXPECT_EQ(dev.Details().masked_code, Masked(reserve));
}

TEST_F(ReserveRolloverTest,
       ExpiryCountsFromTheReservesFirstActivationElsewhere) {
  IssuedCode current = NewCode(90);
  IssuedCode reserve = NewCode(365, 3);
  // Another device started the reserve code's term months earlier.
  ASSERT_OK(Device("desktop").Activate(reserve.code));
  std::int64_t first_activation = Now();
  Advance(60);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(current.code));
  ASSERT_OK(dev.AddReserve(reserve.code));
  EXPECT_EQ(dev.Details().reserve.expires_at, first_activation + 365 * 86400);
  Advance(91);
  ASSERT_OK(dev.Tick());
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.masked_code, Masked(reserve));
  EXPECT_EQ(d.expires_at, first_activation + 365 * 86400);
}

TEST_F(ReserveRolloverTest, OnlyDevicesThatAddedTheReserveRollOver) {
  IssuedCode current = NewCode(30, 3);
  IssuedCode reserve = NewCode(365, 3);
  for (const char* d : {"a", "b", "c"})
    ASSERT_OK(Device(d).Activate(current.code));
  ASSERT_OK(Device("a").AddReserve(reserve.code));
  ASSERT_OK(Device("b").AddReserve(reserve.code));
  Advance(31);
  for (const char* d : {"a", "b", "c"}) (void)Device(d).Tick();
  EXPECT_EQ(Device("a").Details().masked_code, Masked(reserve));
  EXPECT_EQ(Device("b").Details().masked_code, Masked(reserve));
  EXPECT_EQ(Device("c").Details().masked_code, Masked(current));
  EXPECT_EQ(Device("c").Details().state, LicenseState::kExpired);
  EXPECT_EQ(Code(reserve.id).at("seats_used").as_int64(), 2);
}

TEST_F(ReserveRolloverTest, EveryCannotAddCaseHasItsOwnError) {
  LicenseManager& none = Device("fresh");
  EXPECT_CODE(none.AddReserve(NewCode(365).code), "NO_CURRENT_LICENSE");

  IssuedCode sub = NewCode(30, 1, "subscription");
  LicenseManager& subdev = Device("subscriber");
  ASSERT_OK(subdev.Activate(sub.code));
  EXPECT_CODE(subdev.AddReserve(NewCode(365).code), "CURRENT_IS_SUBSCRIPTION");

  IssuedCode current = NewCode(30);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(current.code));
  EXPECT_CODE(dev.AddReserve("AAAAA-AAAAA-AAAAA-AAAAA"), "INVALID_CODE_FORMAT");
  EXPECT_CODE(dev.AddReserve(NewCode(365, 1, "subscription").code),
              "RESERVE_IS_SUBSCRIPTION");
  EXPECT_CODE(dev.AddReserve(NewCode(365, 1, "trial").code),
              "RESERVE_IS_TRIAL");
  EXPECT_CODE(dev.AddReserve(current.code), "RESERVE_IS_CURRENT_CODE");
  IssuedCode blocked = NewCode(365);
  Block(blocked);
  EXPECT_CODE(dev.AddReserve(blocked.code), "CODE_BLOCKED");
  auto video = Issue({{"product", "video"}, {"term_days", 365}});
  EXPECT_CODE(dev.AddReserve(video.code), "WRONG_PRODUCT");
  IssuedCode late = NewCode(365, 1, "term", {{"activate_by", kStart + 86400}});
  IssuedCode earlier = NewCode(20, 2);
  ASSERT_OK(Device("other").Activate(earlier.code));
  Advance(2);
  EXPECT_CODE(dev.AddReserve(late.code), "ACTIVATION_DEADLINE_PASSED");
  EXPECT_CODE(dev.AddReserve(earlier.code), "RESERVE_NOT_LATER");
  ASSERT_OK(dev.AddReserve(NewCode(365).code));
  EXPECT_CODE(dev.AddReserve(NewCode(365).code), "RESERVE_ALREADY_SET");
  // Nothing was consumed by the refusals.
  EXPECT_EQ(Code(late.id).at("seats_used").as_int64(), 0);
  EXPECT_EQ(dev.Details().reserve.state, ReserveState::kWaiting);
}

TEST_F(ReserveRolloverTest, TypingMistakesAreCaughtBeforeAnyNetworkCall) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve = NewCode(365);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(current.code));
  ASSERT_EQ(server_->Stop(), 0);
  std::string typo = reserve.code;
  typo[0] = typo[0] == 'A' ? 'B' : 'A';
  // With the server down, a mistyped code still says what is wrong.
  EXPECT_CODE(dev.AddReserve(typo), "INVALID_CODE_FORMAT");
  EXPECT_CODE(dev.Activate(typo), "INVALID_CODE_FORMAT");
  EXPECT_CODE(dev.AddReserve(reserve.code), "UNAVAILABLE");
}

TEST_F(ReserveRolloverTest, NoFreeSeatFailsPlainlyAndTryAgainSucceedsLater) {
  auto [current, reserve, dev] = StartWithReserve(30, 365);
  ASSERT_FALSE(HasFailure());
  // Someone else takes the reserve code's only seat meanwhile.
  LicenseManager& other = Device("other");
  ASSERT_OK(other.Activate(reserve.code));
  Advance(31);
  EXPECT_CODE(dev.Tick(), "DEVICE_LIMIT_REACHED");
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.state, LicenseState::kExpired);
  EXPECT_EQ(d.reserve.state, ReserveState::kFailed);
  ASSERT_TRUE(d.reserve.last_error.has_value());
  EXPECT_EQ(d.reserve.last_error->code, ErrorCode::kDeviceLimitReached);
  EXPECT_NE(d.reserve.last_error->what_to_do.find("Try again"),
            std::string::npos);
  // A permanent failure is not retried by itself.
  Advance(1);
  (void)dev.Tick();
  EXPECT_EQ(dev.Details().reserve.failed_attempts, 1);
  // The cause goes away; the user presses Try again.
  ASSERT_OK(other.RemoveLicenseKey());
  ASSERT_OK(dev.TryAgain());
  EXPECT_EQ(dev.Details().masked_code, Masked(reserve));
  EXPECT_EQ(dev.Details().state, LicenseState::kActive);
}

TEST_F(ReserveRolloverTest, IncompatibleVersionFailsUntilTheAppIsUpdated) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve =
      NewCode(365, 1, "term", {{"compatible_versions", ">=23"}});
  ASSERT_OK(Device("laptop", "22.0").Activate(current.code));
  ASSERT_OK(Device("laptop").AddReserve(reserve.code));
  Advance(31);
  EXPECT_CODE(Device("laptop").Tick(), "INCOMPATIBLE_VERSION");
  EXPECT_EQ(Device("laptop").Details().reserve.state, ReserveState::kFailed);
  devices_.erase("laptop");
  // The application is updated to 23.0 and opens its state again.
  auto updated = Reopen("laptop", "23.0");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  ASSERT_OK((*updated)->TryAgain());
  EXPECT_EQ((*updated)->Details().masked_code, Masked(reserve));
}

TEST_F(ReserveRolloverTest, BlockedReserveFailsUntilUnblocked) {
  auto [current, reserve, dev] = StartWithReserve(30, 365);
  ASSERT_FALSE(HasFailure());
  Block(reserve);
  Advance(31);
  EXPECT_CODE(dev.Tick(), "CODE_BLOCKED");
  EXPECT_EQ(dev.Details().reserve.last_error->code, ErrorCode::kCodeBlocked);
  Unblock(reserve);
  ASSERT_OK(dev.TryAgain());
  EXPECT_EQ(dev.Details().masked_code, Masked(reserve));
}

TEST_F(ReserveRolloverTest, ServerDownAtExpiryRetriesWithBackoffUntilItIsBack) {
  auto [current, reserve, dev] = StartWithReserve(30, 365);
  ASSERT_FALSE(HasFailure());
  Advance(30, 10);
  ASSERT_EQ(server_->Stop(), 0);
  EXPECT_CODE(dev.Tick(), "UNAVAILABLE");
  LicenseDetails d1 = dev.Details();
  EXPECT_EQ(d1.reserve.state, ReserveState::kRetrying);
  ASSERT_TRUE(d1.reserve.next_retry_at.has_value());
  std::int64_t first_delay = *d1.reserve.next_retry_at - Now();
  EXPECT_GE(first_delay, 48);  // 60 s +/- 20%
  EXPECT_LE(first_delay, 72);
  // Not yet due: nothing is attempted.
  (void)dev.Tick();
  EXPECT_EQ(dev.Details().reserve.failed_attempts, 1);
  // Due, still down: the next wait is about twice as long.
  Advance(0, first_delay);
  EXPECT_CODE(dev.Tick(), "UNAVAILABLE");
  LicenseDetails d2 = dev.Details();
  EXPECT_EQ(d2.reserve.failed_attempts, 2);
  std::int64_t second_delay = *d2.reserve.next_retry_at - Now();
  EXPECT_GE(second_delay, 96);
  EXPECT_LE(second_delay, 144);
  // The server comes back; at the next retry the switch happens by itself.
  server_->set_clock_start(Now());
  server_->Start();
  Advance(0, second_delay);
  ASSERT_OK(dev.Tick());
  EXPECT_EQ(dev.Details().masked_code, Masked(reserve));
  EXPECT_EQ(dev.Details().reserve.state, ReserveState::kNone);
}

TEST_F(ReserveRolloverTest,
       BlockedCurrentCodeShowsBlockedAndActivateNowSwitches) {
  auto [current, reserve, dev] = StartWithReserve(365, 365);
  ASSERT_FALSE(HasFailure());
  Block(current);
  Advance(0, 60);
  ASSERT_OK(dev.Sync());
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.state, LicenseState::kBlocked);
  ASSERT_TRUE(d.last_error.has_value());
  EXPECT_EQ(d.last_error->code, ErrorCode::kCodeBlocked);
  EXPECT_NE(d.last_error->what_to_do.find("Activate now"), std::string::npos);
  EXPECT_CODE(dev.Check(), "CODE_BLOCKED");
  // The reserve does not switch on its own while blocked: the user decides.
  (void)dev.Tick();
  EXPECT_EQ(dev.Details().masked_code, Masked(current));
  ASSERT_OK(dev.ActivateNow());
  EXPECT_EQ(dev.Details().masked_code, Masked(reserve));
  ASSERT_OK(dev.Check());
}

TEST_F(ReserveRolloverTest, RemovingTheKeyActivatesTheReserve) {
  auto [current, reserve, dev] = StartWithReserve(365, 365);
  ASSERT_FALSE(HasFailure());
  ASSERT_OK(dev.RemoveLicenseKey());
  EXPECT_EQ(dev.Details().masked_code, Masked(reserve));
  EXPECT_EQ(Code(current.id).at("seats_used").as_int64(), 0);
  EXPECT_EQ(Code(reserve.id).at("seats_used").as_int64(), 1);
}

TEST_F(ReserveRolloverTest, TamperedStateFileIsCaughtAndNeverTrusted) {
  IssuedCode current = NewCode(30);
  ASSERT_OK(Device("laptop").Activate(current.code));
  devices_.clear();
  std::string text;
  {
    std::ifstream in(StateFile("laptop"));
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Push the stored expiry out by editing the file by hand.
  auto pos = text.find("\\\"term_days\\\":30");
  ASSERT_NE(pos, std::string::npos) << text;
  text.replace(pos, std::string("\\\"term_days\\\":30").size(),
               "\\\"term_days\\\":99");
  std::ofstream(StateFile("laptop"), std::ios::trunc) << text;
  auto reopened = Reopen("laptop");
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), ErrorCode::kStateTampered);
  EXPECT_TRUE(
      std::filesystem::exists(StateFile("laptop").string() + ".corrupt"));
  // Afterwards the device starts without a license, and can activate again.
  auto fresh = Reopen("laptop");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->Details().state, LicenseState::kNone);
  ASSERT_OK((*fresh)->Activate(current.code));
}

TEST_F(ReserveRolloverTest, ClockSetBackIsCaughtAndCannotExtendTheLicense) {
  IssuedCode current = NewCode(30);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(current.code));
  Advance(40);
  ASSERT_OK(dev.Sync());
  EXPECT_EQ(dev.Details().state, LicenseState::kExpired);
  // The user sets the device clock back into the licensed period.
  device_clock_->Set(kStart + 5 * 86400);
  EXPECT_CODE(dev.Check(), "CLOCK_ROLLED_BACK");
  LicenseDetails d = dev.Details();
  EXPECT_TRUE(d.clock_rolled_back);
  EXPECT_EQ(d.state, LicenseState::kExpired);
  // Restarting the application does not help either.
  devices_.clear();
  EXPECT_CODE(Device("laptop").Check(), "CLOCK_ROLLED_BACK");
}

}  // namespace
}  // namespace licentia::testing

namespace licentia::testing {
namespace {

// Regression: a device whose clock runs a few minutes slow was reported as
// having its clock set back once it learnt the server's time.
TEST_F(ReserveRolloverTest, SlowDeviceClockIsNotMistakenForASetBackClock) {
  IssuedCode current = NewCode(30);
  device_clock_->Set(kStart - 600);  // ten minutes behind the server
  LicenseManager& dev = Device("slow");
  ASSERT_OK(dev.Activate(current.code));
  ASSERT_OK(dev.Check());
  LicenseDetails d = dev.Details();
  EXPECT_FALSE(d.clock_rolled_back);
  // Expiry is judged by the server's time, not the slow clock.
  EXPECT_EQ(*d.expires_at - d.trusted_time, 30 * 86400);
  device_clock_->Set(kStart - 600 + 30 * 86400 + 1);
  EXPECT_CODE(dev.Check(), "KEY_EXPIRED");
}

}  // namespace
}  // namespace licentia::testing
