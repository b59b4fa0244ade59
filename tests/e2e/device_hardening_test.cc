// Device-side defects found by trying Licentia as a user and an attacker
// would: time on the device, seats that leaked, and what the user is told.
// Each test failed before its fix.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "e2e/device_test_base.h"

namespace licentia::testing {
namespace {

constexpr std::int64_t kDay = 86400;

class DeviceHardeningTest : public DeviceTestBase {
 protected:
  std::int64_t SeatsUsed(const IssuedCode& c) {
    return Code(c.id).at("seats_used").as_int64();
  }
  bool EverActivated(const IssuedCode& c) {
    return !Code(c.id).at("first_activated_at").is_null();
  }
};

// docs/sdk.md promises a set-back clock can never extend a license. With
// only the offline check running, the trusted time it reached was never
// saved: after a restart, a clock set back 30 days said "Licensed" again.
TEST_F(DeviceHardeningTest, CheckOnlyKeepsItsTrustedTimeAcrossRestarts) {
  IssuedCode c = NewCode(30);
  ASSERT_OK(Device("laptop").Activate(c.code));
  devices_.clear();  // the application restarts; from now on it only checks
  device_clock_->Set(kStart + 31 * kDay);
  EXPECT_CODE(Device("laptop").Check(), "KEY_EXPIRED");
  devices_.clear();
  device_clock_->Set(kStart + 1 * kDay);
  EXPECT_CODE(Device("laptop").Check(), "CLOCK_ROLLED_BACK");
  EXPECT_NE(Device("laptop").Details().state, LicenseState::kActive);
}

// A clock 40 days ahead, with 10 days left and a 365-day reserve, made the
// check switch to the reserve at once: the reserve's term started 10 days
// early on the server, and after the clock was corrected the device was
// locked out (CLOCK_ROLLED_BACK) until real time caught up.
TEST_F(DeviceHardeningTest,
       AClockRunningAheadNeitherBurnsTheReserveNorLocksOut) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve = NewCode(365);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(current.code));
  Advance(20);
  ASSERT_OK(dev.AddReserve(reserve.code));

  device_clock_->Advance(40 * kDay);  // the device clock alone jumps ahead
  ASSERT_OK(dev.Check());             // the server's signed time decides
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.state, LicenseState::kActive);
  EXPECT_EQ(d.days_left, 10);
  EXPECT_EQ(d.reserve.state, ReserveState::kWaiting);
  EXPECT_FALSE(EverActivated(reserve));

  device_clock_->Advance(-40 * kDay);  // the user corrects the clock
  EXPECT_CODE(dev.Check(), "CLOCK_ROLLED_BACK");
  ASSERT_OK(dev.Tick());  // the next contact with the server puts it right
  ASSERT_OK(dev.Check());
  EXPECT_FALSE(dev.Details().clock_rolled_back);
  EXPECT_EQ(dev.Details().days_left, 10);

  // When the license really ends, the reserve takes over with no gap.
  Advance(10);
  ASSERT_OK(dev.Check());
  EXPECT_EQ(dev.Details().masked_code, Masked(reserve));
}

// Regression: activating a second code replaced the current license but
// left its seat taken, with the token needed to release it thrown away.
TEST_F(DeviceHardeningTest, ActivatingAnotherCodeReleasesTheFirstSeat) {
  IssuedCode first = NewCode(365);
  IssuedCode second = NewCode(365);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(first.code));
  EXPECT_EQ(SeatsUsed(first), 1);
  ASSERT_OK(dev.Activate(second.code));
  EXPECT_EQ(dev.Details().masked_code, Masked(second));
  EXPECT_EQ(SeatsUsed(first), 0);
  EXPECT_EQ(SeatsUsed(second), 1);
  ASSERT_OK(Device("desktop").Activate(first.code));  // the seat is free
  // Activating the same code again keeps its seat.
  ASSERT_OK(dev.Activate(second.code));
  EXPECT_EQ(SeatsUsed(second), 1);
}

class ThrottledDeviceTest : public DeviceHardeningTest {
 protected:
  // One device request a minute per address, after a burst of
  // 1/6 + 10 (app.cc): the test can spend the budget down to exactly one
  // call, so that an activation goes through and the release after it
  // does not.
  std::vector<std::string> ServerArgs() override {
    return {"--rate-limit-ip", "1", "--rate-limit-code", "0"};
  }
};

// When the previous seat cannot be released at once (here the server
// refuses the release: its address is out of budget), the release is kept
// in the state file and made at the next contact, even after a restart of
// the application: the seat never leaks.
TEST_F(ThrottledDeviceTest, ASeatThatCouldNotBeReleasedIsReleasedLater) {
  IssuedCode first = NewCode(365);
  IssuedCode second = NewCode(365);
  ASSERT_OK(Device("laptop").Activate(first.code));  // budget 10.17 -> 9.17
  for (int i = 0; i < 8; ++i) {                      // -> 1.17
    (void)DeviceCall("/v1/status", json::object{});
  }
  ASSERT_OK(Device("laptop").Activate(second.code));  // -> 0.17
  EXPECT_EQ(Device("laptop").Details().masked_code, Masked(second));
  EXPECT_EQ(SeatsUsed(first), 1) << "the release was expected to be refused";
  EXPECT_API_ERROR(DeviceCall("/v1/status", json::object{}), "RATE_LIMITED");

  devices_.clear();  // the application restarts
  server_->Stop();   // and the server (its budgets start afresh)
  server_->Start();
  ASSERT_OK(Device("laptop").Sync());
  EXPECT_EQ(SeatsUsed(first), 0);
  EXPECT_EQ(SeatsUsed(second), 1);
  ASSERT_OK(Device("desktop").Activate(first.code));
}

// Regression: an application built with another server's public key took a
// seat and started the code's term, then threw the key away
// (KEY_UNKNOWN_SIGNER), leaving the seat taken.
TEST_F(DeviceHardeningTest, AnApplicationThatCannotVerifyTheKeysTakesNoSeat) {
  IssuedCode c = NewCode(365);
  auto stranger = crypto::GenerateSigningKeyPair();
  auto dev = Reopen("laptop", "22.0", crypto::ToHex(stranger.public_key));
  ASSERT_TRUE(dev.ok());
  EXPECT_CODE((*dev)->Activate(c.code), "KEY_UNKNOWN_SIGNER");
  EXPECT_EQ((*dev)->Details().state, LicenseState::kNone);
  EXPECT_EQ(SeatsUsed(c), 0);
  EXPECT_FALSE(EverActivated(c));
  ASSERT_OK(Device("desktop").Activate(c.code));
}

// Regression: after a failed first activation the details said "press Try
// again", and Try again answered "There is nothing to retry".
TEST_F(DeviceHardeningTest, TryAgainRepeatsAFailedActivation) {
  IssuedCode c = NewCode(365);
  LicenseManager& dev = Device("laptop");
  server_->Stop();
  EXPECT_CODE(dev.Activate(c.code), "UNAVAILABLE");
  LicenseDetails d = dev.Details();
  ASSERT_TRUE(d.last_error);
  EXPECT_NE(d.last_error->what_to_do.find("Try again"), std::string::npos);
  EXPECT_EQ(d.last_error->what_to_do.find("automatically"), std::string::npos)
      << "nothing retries a typed code by itself";
  server_->Start();
  ASSERT_OK(dev.TryAgain());
  EXPECT_EQ(dev.Details().state, LicenseState::kActive);
  EXPECT_FALSE(dev.Details().last_error);
  EXPECT_CODE(dev.TryAgain(), "INVALID_REQUEST");  // nothing left to retry
}

// Regression: an expired license with no reserve said nothing about what
// to do.
TEST_F(DeviceHardeningTest, AnExpiredLicenseSaysWhatToDo) {
  IssuedCode c = NewCode(30);
  LicenseManager& dev = Device("laptop");
  ASSERT_OK(dev.Activate(c.code));
  Advance(31);
  EXPECT_CODE(dev.Check(), "KEY_EXPIRED");
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.state, LicenseState::kExpired);
  ASSERT_TRUE(d.last_error);
  EXPECT_EQ(d.last_error->code, ErrorCode::kKeyExpired);
  EXPECT_NE(d.last_error->message.find("ended on"), std::string::npos);
  EXPECT_NE(d.last_error->what_to_do.find("renewal"), std::string::npos);
}

// Regression: the reserve's expiry stayed unknown on this device after the
// reserve was first activated on another device, even after a sync,
// although the server's status answer carried it.
TEST_F(DeviceHardeningTest, SyncLearnsTheReservesExpiry) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve = NewCode(365, 2);
  LicenseManager& laptop = Device("laptop");
  ASSERT_OK(laptop.Activate(current.code));
  ASSERT_OK(laptop.AddReserve(reserve.code));
  EXPECT_FALSE(laptop.Details().reserve.expires_at);
  Advance(5);
  ASSERT_OK(Device("desktop").Activate(reserve.code));
  ASSERT_OK(laptop.Sync());
  auto expires = laptop.Details().reserve.expires_at;
  ASSERT_TRUE(expires);
  EXPECT_EQ(*expires, kStart + 5 * kDay + 365 * kDay);
}

// A server that has received a request and answers it only when told to
// (or after 20 s): a request kept in flight for as long as a test needs.
class HeldServer {
 public:
  HeldServer() {
    fd_ = ListenOnLoopback(port_);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[8192];
      (void)::recv(c, buf, sizeof buf, 0);
      std::unique_lock lock(mu_);
      received_ = true;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(20), [this] { return release_; });
      answered_unreleased_ = !release_;
      lock.unlock();
      std::string reply =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
          "Connection: close\r\n\r\n";
      (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~HeldServer() {
    Release();
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  void WaitForRequest() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return received_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    release_ = true;
    cv_.notify_all();
  }
  // True if the request was answered because the wait ran out.
  bool answered_unreleased() {
    std::lock_guard lock(mu_);
    return answered_unreleased_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool received_ = false;
  bool release_ = false;
  bool answered_unreleased_ = false;
};

// Details() promises "no network": it answered only once a Sync() in
// flight on another thread had its answer, up to a whole request timeout.
TEST_F(DeviceHardeningTest, DetailsDoNotWaitForARequestInFlight) {
  IssuedCode c = NewCode(365);
  ASSERT_OK(Device("laptop").Activate(c.code));
  devices_.clear();
  HeldServer held;
  auto dev = Reopen("laptop", "22.0", "", held.url());
  ASSERT_TRUE(dev.ok());
  LicenseManager& m = **dev;
  std::atomic<bool> sync_done{false};
  std::thread sync([&] {
    (void)m.Sync();
    sync_done = true;
  });
  held.WaitForRequest();
  LicenseDetails d = m.Details();  // the sync's request is still held
  bool waited = sync_done.load();  // (the client gives up after 3 s)
  held.Release();
  sync.join();
  EXPECT_FALSE(waited) << "Details() waited for the request in flight";
  EXPECT_FALSE(held.answered_unreleased());
  EXPECT_EQ(d.state, LicenseState::kActive);
  EXPECT_EQ(d.masked_code, Masked(c));
}

}  // namespace
}  // namespace licentia::testing
