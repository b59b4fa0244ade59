// Offline rollover, end to end: a reserve from a batch with prepare_days
// is verified by the server ahead of time and takes over at the license's
// end with the device offline, with no gap; the full verification follows
// at the next contact.
#include "e2e/device_test_base.h"

namespace licentia::testing {
namespace {

constexpr std::int64_t kDay = 86400;

class OfflineRolloverTest : public DeviceTestBase {
 protected:
  // A laptop with a 30-day license and a one-year reserve that may be
  // prepared `prepare_days` before the license ends.
  struct Laptop {
    IssuedCode current;
    IssuedCode reserve;
    LicenseManager& dev;
    std::int64_t end;  // the current license's end
  };
  Laptop StartWithPreparableReserve(int prepare_days = 7, int seats = 1) {
    IssuedCode current = NewCode(30);
    IssuedCode reserve =
        NewCode(365, seats, "term", {{"prepare_days", prepare_days}});
    std::int64_t end = Now() + 30 * kDay;
    LicenseManager& dev = Device("laptop");
    Status st = dev.Activate(current.code);
    if (st.ok()) st = dev.AddReserve(reserve.code);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return {current, reserve, dev, end};
  }

  // Into the prepare window (six days before the end), synced.
  void PrepareIt(Laptop& l) {
    Advance(24);
    ASSERT_OK(l.dev.Tick());
    ASSERT_EQ(l.dev.Details().reserve.prepared_from, l.end);
  }

  void GoOffline() { ASSERT_EQ(server_->Stop(), 0); }
  void ComeBack() {
    server_->set_clock_start(Now());
    server_->Start();
  }
  // Moves the device's clock alone (the server is down).
  void AdvanceDeviceOnly(std::int64_t seconds) {
    device_clock_->Advance(seconds);
  }

  std::int64_t EventsOfType(const std::string& type) {
    auto r = AdminCall("GET", "/v1/admin/events?type=" + type);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? static_cast<std::int64_t>(r->at("events").as_array().size())
                  : -1;
  }
};

TEST_F(OfflineRolloverTest, APreparedReserveTakesOverOfflineWithNoGap) {
  Laptop l = StartWithPreparableReserve();
  ASSERT_FALSE(HasFailure());
  // Eight days before the end: outside the window, nothing is prepared.
  Advance(22);
  ASSERT_OK(l.dev.Tick());
  EXPECT_EQ(l.dev.Details().reserve.prepared_from, std::nullopt);
  EXPECT_EQ(Code(l.reserve.id).at("seats_used").as_int64(), 0);
  // Six days before: the sync prepares it. The seat is held from now, and
  // the never-activated reserve's term counts from the license's end.
  Advance(2);
  ASSERT_OK(l.dev.Tick());
  LicenseDetails d = l.dev.Details();
  ASSERT_EQ(d.reserve.prepared_from, l.end);
  EXPECT_EQ(d.reserve.state, ReserveState::kWaiting);
  EXPECT_EQ(d.reserve.expires_at, l.end + 365 * kDay);
  json::object code = Code(l.reserve.id);
  EXPECT_EQ(code.at("seats_used").as_int64(), 1);
  EXPECT_EQ(code.at("first_activated_at").as_int64(), l.end);
  EXPECT_EQ(EventsOfType("reserve.prepared"), 1);
  ASSERT_OK(l.dev.Check());
  EXPECT_EQ(l.dev.Details().masked_code, Masked(l.current));

  // Offline from here. A minute past the end the application's check
  // switches to the prepared key by itself: no gap, no network.
  GoOffline();
  AdvanceDeviceOnly(6 * kDay + 60);
  ASSERT_OK(l.dev.Check());
  d = l.dev.Details();
  EXPECT_EQ(d.state, LicenseState::kActive);
  EXPECT_EQ(d.masked_code, Masked(l.reserve));
  EXPECT_EQ(d.expires_at, l.end + 365 * kDay);
  EXPECT_EQ(d.reserve.state, ReserveState::kNone);
  EXPECT_EQ(d.last_error, std::nullopt);
  // The application restarts, still offline: the switch was saved.
  devices_.erase("laptop");
  LicenseManager& again = Device("laptop");
  ASSERT_OK(again.Check());
  EXPECT_EQ(again.Details().masked_code, Masked(l.reserve));

  // Back online: the rollover is verified in full, the reserve registration
  // is consumed and the old seat given back.
  ComeBack();
  ASSERT_OK(again.Sync());
  EXPECT_EQ(again.Details().state, LicenseState::kActive);
  EXPECT_EQ(again.Details().last_error, std::nullopt);
  EXPECT_EQ(EventsOfType("reserve.activated"), 1);
  EXPECT_EQ(Code(l.current.id).at("seats_used").as_int64(), 0);
  EXPECT_EQ(Code(l.reserve.id).at("seats_used").as_int64(), 1);
  ASSERT_OK(again.Check());
}

TEST_F(OfflineRolloverTest, OnlineAtTheEndTheRolloverIsVerifiedThen) {
  Laptop l = StartWithPreparableReserve();
  ASSERT_FALSE(HasFailure());
  PrepareIt(l);
  Advance(6, 60);
  ASSERT_OK(l.dev.Check());
  LicenseDetails d = l.dev.Details();
  EXPECT_EQ(d.masked_code, Masked(l.reserve));
  EXPECT_EQ(d.expires_at, l.end + 365 * kDay);
  // The server took it up as the rollover, on the seat prepared for it.
  EXPECT_EQ(EventsOfType("reserve.activated"), 1);
  EXPECT_EQ(Code(l.reserve.id).at("seats_used").as_int64(), 1);
}

TEST_F(OfflineRolloverTest, ABlockBeforeTheEndCancelsThePreparedKey) {
  Laptop l = StartWithPreparableReserve();
  ASSERT_FALSE(HasFailure());
  PrepareIt(l);
  Block(l.reserve);
  ASSERT_OK(l.dev.Sync());
  LicenseDetails d = l.dev.Details();
  EXPECT_EQ(d.reserve.prepared_from, std::nullopt);
  ASSERT_TRUE(d.reserve.last_error.has_value());
  EXPECT_EQ(d.reserve.last_error->code, ErrorCode::kCodeBlocked);
  // Offline at the end, there is no key to switch to: the license ends.
  GoOffline();
  AdvanceDeviceOnly(6 * kDay + 60);
  EXPECT_CODE(l.dev.Check(), "KEY_EXPIRED");
  EXPECT_EQ(l.dev.Details().masked_code, Masked(l.current));
}

TEST_F(OfflineRolloverTest,
       ABlockMadeAfterAnOfflineSwitchShowsAtTheNextContact) {
  Laptop l = StartWithPreparableReserve();
  ASSERT_FALSE(HasFailure());
  PrepareIt(l);
  GoOffline();
  AdvanceDeviceOnly(6 * kDay + 60);
  ASSERT_OK(l.dev.Check());
  // What an offline device cannot learn: the vendor blocked the reserve
  // while it was away. It learns it at its next contact.
  ComeBack();
  Block(l.reserve);
  (void)l.dev.Sync();
  EXPECT_EQ(l.dev.Details().state, LicenseState::kBlocked);
  EXPECT_CODE(l.dev.Check(), "CODE_BLOCKED");
}

TEST_F(OfflineRolloverTest, RemovingAPreparedReserveGivesItsSeatBack) {
  Laptop l = StartWithPreparableReserve();
  ASSERT_FALSE(HasFailure());
  PrepareIt(l);
  EXPECT_EQ(Code(l.reserve.id).at("seats_used").as_int64(), 1);
  ASSERT_OK(l.dev.RemoveReserve());
  EXPECT_EQ(Code(l.reserve.id).at("seats_used").as_int64(), 0);
  EXPECT_EQ(l.dev.Details().reserve.state, ReserveState::kNone);
  EXPECT_EQ(l.dev.Details().reserve.prepared_from, std::nullopt);
}

// Taken up before the end (the key removed), the prepared reserve's term
// starts then, as rule 3 says: no days are gained by preparing.
TEST_F(OfflineRolloverTest, TakenUpEarlyTheTermStartsThen) {
  Laptop l = StartWithPreparableReserve();
  ASSERT_FALSE(HasFailure());
  PrepareIt(l);
  ASSERT_OK(l.dev.RemoveLicenseKey());
  LicenseDetails d = l.dev.Details();
  EXPECT_EQ(d.masked_code, Masked(l.reserve));
  EXPECT_EQ(d.expires_at, Now() + 365 * kDay);
  EXPECT_EQ(Code(l.reserve.id).at("first_activated_at").as_int64(), Now());
}

// Without prepare_days the device never asks, and an offline device at
// the end keeps retrying the rollover as before.
TEST_F(OfflineRolloverTest, AReserveWithoutPrepareDaysIsNeverPrepared) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve = NewCode(365);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(current.code));
  ASSERT_OK(dev.AddReserve(reserve.code));
  Advance(29);
  ASSERT_OK(dev.Tick());
  EXPECT_EQ(dev.Details().reserve.prepared_from, std::nullopt);
  EXPECT_EQ(EventsOfType("reserve.prepared"), 0);
  GoOffline();
  AdvanceDeviceOnly(kDay + 60);
  EXPECT_CODE(dev.Check(), "KEY_EXPIRED");
  EXPECT_EQ(dev.Details().reserve.state, ReserveState::kRetrying);
}

}  // namespace
}  // namespace licentia::testing
