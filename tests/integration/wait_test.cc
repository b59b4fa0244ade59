// POST /v1/wait against the real server: a device waiting on what it holds
// hears a change as it is made, resumes from the version it last saw, and
// gets the same version back when nothing changed.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "client/http_client.h"
#include "integration/api_test_base.h"

namespace licentia::testing {
namespace {

class WaitTest : public ApiTestBase {
 protected:
  void SetUp() override {
    ApiTestBase::SetUp();
    CreateProduct("p");
    code_ = Issue({{"product", "p"}, {"max_devices", 2}});
    auto a = Activate(code_.code, "d1");
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    token_ = std::string(a->at("activation_token").as_string());
  }

  json::object Request(const std::string& since, int timeout_seconds) {
    json::object body{{"code", code_.code},
                      {"fingerprint", "d1"},
                      {"activation_token", token_},
                      {"timeout_seconds", timeout_seconds}};
    if (!since.empty()) body["since"] = since;
    return body;
  }
  // A wait that must end by a change: its timeout is far beyond the
  // client's own (30 s), so a wait that is not woken fails the call.
  std::future<Result<json::value>> WaitForChange(const std::string& since) {
    return std::async(std::launch::async, [this, since] {
      return DeviceCall("/v1/wait", Request(since, 300));
    });
  }
  std::string Version(const Result<json::value>& r) {
    return r.ok() ? std::string(r->at("version").as_string()) : "";
  }

  IssuedCode code_;
  std::string token_;
};

TEST_F(WaitTest, ADeviceBehindIsAnsweredAtOnceWithTheStatus) {
  auto r = DeviceCall("/v1/wait", Request("", 300));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("state").as_string(), "active");
  EXPECT_EQ(r->at("license").at("id").as_int64(), code_.id);
  EXPECT_EQ(Version(r).size(), 32u);
  // A version the server never gave is behind too.
  auto again = DeviceCall("/v1/wait", Request("0123", 300));
  EXPECT_EQ(Version(again), Version(r));
}

TEST_F(WaitTest, NothingChangedGivesTheSameVersionAtTheTimeout) {
  std::string v = Version(DeviceCall("/v1/wait", Request("", 0)));
  // Another device taking a seat changes the seat count, not what this
  // device holds.
  ASSERT_TRUE(Activate(code_.code, "d2").ok());
  auto r = DeviceCall("/v1/wait", Request(v, 1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Version(r), v);
  EXPECT_EQ(r->at("state").as_string(), "active");
}

TEST_F(WaitTest, ABlockAndAnUnblockReachTheWaitingDevice) {
  std::string v = Version(DeviceCall("/v1/wait", Request("", 0)));
  auto waiting = WaitForChange(v);
  ASSERT_TRUE(
      AdminCall("POST",
                "/v1/admin/codes/" + std::to_string(code_.id) + "/block",
                json::object{{"reason", "chargeback"}})
          .ok());
  auto blocked = waiting.get();
  ASSERT_TRUE(blocked.ok()) << blocked.status().ToString();
  EXPECT_EQ(blocked->at("state").as_string(), "blocked");
  EXPECT_NE(Version(blocked), v);
  // Resumed from the version it got: the unblock wakes it again.
  auto waiting_again = WaitForChange(Version(blocked));
  ASSERT_TRUE(
      AdminCall("POST",
                "/v1/admin/codes/" + std::to_string(code_.id) + "/unblock",
                json::object{})
          .ok());
  auto unblocked = waiting_again.get();
  ASSERT_TRUE(unblocked.ok()) << unblocked.status().ToString();
  EXPECT_EQ(unblocked->at("state").as_string(), "active");
  EXPECT_EQ(Version(unblocked), v);
}

TEST_F(WaitTest, AChangeMadeWhileDisconnectedIsAnsweredOnResuming) {
  std::string v = Version(DeviceCall("/v1/wait", Request("", 0)));
  ASSERT_TRUE(
      AdminCall("POST",
                "/v1/admin/codes/" + std::to_string(code_.id) + "/block",
                json::object{{"reason", "r"}})
          .ok());
  auto r = DeviceCall("/v1/wait", Request(v, 300));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("state").as_string(), "blocked");
}

TEST_F(WaitTest, AReleasedSeatEndsTheWaitWithNotActivated) {
  std::string v = Version(DeviceCall("/v1/wait", Request("", 0)));
  auto waiting = WaitForChange(v);
  ASSERT_TRUE(
      DeviceCall("/v1/deactivate", json::object{{"code", code_.code},
                                                {"fingerprint", "d1"},
                                                {"activation_token", token_}})
          .ok());
  EXPECT_API_ERROR(waiting.get(), "NOT_ACTIVATED");
}

// A server told to stop answers its waiting devices (with what they hold)
// before it goes.
TEST_F(WaitTest, StoppingTheServerAnswersWaitingDevices) {
  std::string v = Version(DeviceCall("/v1/wait", Request("", 0)));
  auto waiting = WaitForChange(v);
  // The wait is registered once a second wait, made after it, answers;
  // nothing changes, so only the stop can end the first one.
  ASSERT_TRUE(DeviceCall("/v1/wait", Request(v, 1)).ok());
  auto metrics = client::HttpClient(server_->url()).Send("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("\nlicentia_waiting_devices 1\n"),
            std::string::npos)
      << metrics->body;
  EXPECT_EQ(server_->Stop(), 0);
  auto answered = waiting.get();
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_EQ(Version(answered), v);
  server_->Start();  // for TearDown
}

// A device that closes its connection while it waits (its application
// quit, it went offline) is let go at once, not at its timeout: dead
// waits hold no memory and count against no connection cap.
TEST_F(WaitTest, ADeviceThatHangsUpStopsWaiting) {
  std::string v = Version(DeviceCall("/v1/wait", Request("", 0)));
  client::HttpClient device(server_->url());
  // A wait answered earlier on the same connection (kept alive): its
  // subscription to the connection must not linger into the next one.
  auto earlier =
      device.Send("POST", "/v1/wait", json::serialize(Request(v, 0)));
  ASSERT_TRUE(earlier.ok() && earlier->status == 200);
  std::atomic<bool> hang_up{false};
  auto waiting = std::async(std::launch::async, [&] {
    return device.Send("POST", "/v1/wait", json::serialize(Request(v, 300)), "",
                       client::SendOptions{.cancel = &hang_up});
  });
  auto waiting_devices = [&] {
    auto m = client::HttpClient(server_->url()).Send("GET", "/metrics");
    if (!m.ok()) return std::string("?");
    auto at = m->body.find("\nlicentia_waiting_devices ");
    return at == std::string::npos ? std::string("?")
                                   : m->body.substr(at + 26, 2);
  };
  auto until = [&](const std::string& value) {
    for (int i = 0; i < 6000 && waiting_devices() != value; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return waiting_devices();
  };
  ASSERT_EQ(until("1\n"), "1\n");
  hang_up = true;
  device.Wake();
  EXPECT_FALSE(waiting.get().ok());  // abandoned by the client
  EXPECT_EQ(until("0\n"), "0\n");
  // The server goes on serving that device and others.
  auto r = DeviceCall("/v1/wait", Request(v, 0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Version(r), v);
}

TEST_F(WaitTest, BadRequestsAreRefusedWithClearCodes) {
  json::object too_long = Request("", 301);
  EXPECT_API_ERROR(DeviceCall("/v1/wait", too_long), "INVALID_REQUEST");
  json::object odd = Request("", 1);
  odd["since"] = 5;
  EXPECT_API_ERROR(DeviceCall("/v1/wait", odd), "INVALID_REQUEST");
  json::object extra = Request("", 1);
  extra["cursor"] = "x";
  EXPECT_API_ERROR(DeviceCall("/v1/wait", extra), "INVALID_REQUEST");
  json::object wrong = Request("", 1);
  wrong["activation_token"] = "not-the-token";
  EXPECT_API_ERROR(DeviceCall("/v1/wait", wrong), "NOT_ACTIVATED");
}

}  // namespace
}  // namespace licentia::testing
