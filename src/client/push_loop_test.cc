// The push loop's own rules, against a loopback port that refuses every
// connection: a failed wait is not repeated before the reconnect delay,
// an interruption ends a step at once, the agent stops when told. What a
// wait brings from the real server is tested end to end
// (tests/e2e/push_test.cc).
#include "client/push_loop.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

namespace licentia::client {
namespace {

using std::chrono::milliseconds;

// A loopback port bound but not listening: connections to it are refused
// at once, as to a server that is down.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  ~RefusingPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class FakeDevice final : public PushTarget {
 public:
  Status RunDueWork() override {
    due_work_runs.fetch_add(1);
    return Status::Ok();
  }
  std::optional<WaitRequest> PrepareWait() override {
    if (!licensed) return std::nullopt;
    return WaitRequest{
        {{"code", "C"}, {"fingerprint", "f"}, {"activation_token", "t"}}, 3600};
  }
  Status ApplyWaitAnswer(const WaitRequest&,
                         const Result<boost::json::value>&) override {
    answers_applied.fetch_add(1);
    return Status::Ok();
  }
  std::string DetailsDigest() override { return "same"; }

  bool licensed = true;
  std::atomic<int> due_work_runs{0};
  std::atomic<int> answers_applied{0};
};

PushPolicy SlowReconnect() {
  PushPolicy p;
  p.reconnect_initial_ms = 600000;  // far beyond any step of these tests
  p.reconnect_max_ms = 600000;
  return p;
}

TEST(PushLoopTest, AFailedWaitIsNotRepeatedBeforeTheReconnectDelay) {
  RefusingPort port;
  ASSERT_NE(port.port(), 0);
  FakeDevice device;
  PushLoop loop(device, port.url(), SlowReconnect(), 2000);
  Status first = loop.Step(milliseconds(5000));
  EXPECT_EQ(first.code(), ErrorCode::kUnavailable) << first.ToString();
  EXPECT_EQ(loop.waits_failed(), 1u);
  EXPECT_EQ(device.due_work_runs.load(), 1);
  // Within the delay: no request, no due work, the same failure.
  Status second = loop.Step(milliseconds(50));
  EXPECT_EQ(second.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(loop.waits_failed(), 1u);
  EXPECT_EQ(device.due_work_runs.load(), 1);
  EXPECT_EQ(device.answers_applied.load(), 0);
}

TEST(PushLoopTest, InterruptEndsAStepAtOnce) {
  RefusingPort port;
  FakeDevice device;
  PushLoop loop(device, port.url(), SlowReconnect(), 2000);
  (void)loop.Step(milliseconds(0));  // fails; the next step sleeps long
  auto step = std::async(std::launch::async,
                         [&] { return loop.Step(milliseconds(600000)); });
  loop.Interrupt();
  // Bounded only so that a broken interrupt fails instead of hanging.
  ASSERT_EQ(step.wait_for(std::chrono::seconds(60)), std::future_status::ready);
}

TEST(PushLoopTest, AnInterruptBeforeAStepEndsThatStep) {
  FakeDevice device;
  device.licensed = false;  // nothing to wait on: the step only sleeps
  PushLoop loop(device, RefusingPort().url(), PushPolicy{}, 2000);
  loop.Interrupt();
  auto step = std::async(std::launch::async,
                         [&] { return loop.Step(milliseconds(600000)); });
  ASSERT_EQ(step.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_TRUE(step.get().ok());
  EXPECT_EQ(device.due_work_runs.load(), 1);
  EXPECT_EQ(loop.waits_failed() + loop.waits_answered(), 0u);
}

TEST(PushLoopTest, TheAgentRunsUntilStoppedAndCanBeStartedAgain) {
  FakeDevice device;
  device.licensed = false;
  PushLoop loop(device, RefusingPort().url(), PushPolicy{}, 2000);
  ASSERT_TRUE(loop.Start({}).ok());
  EXPECT_EQ(loop.Start({}).code(), ErrorCode::kConflict);
  // Once the agent is in its first step (which would sleep five minutes),
  // Stop() interrupts it and joins.
  while (device.due_work_runs.load() < 1) std::this_thread::yield();
  loop.Stop();
  int runs = device.due_work_runs.load();
  ASSERT_TRUE(loop.Start({}).ok());
  while (device.due_work_runs.load() < runs + 1) std::this_thread::yield();
  loop.Stop();
  // After Stop(), the application's own steps wait again (not cut short by
  // the stop): an interrupt is what ends this one.
  auto step = std::async(std::launch::async,
                         [&] { return loop.Step(milliseconds(600000)); });
  EXPECT_EQ(step.wait_for(milliseconds(200)), std::future_status::timeout);
  loop.Interrupt();
  ASSERT_EQ(step.wait_for(std::chrono::seconds(60)), std::future_status::ready);
}

}  // namespace
}  // namespace licentia::client
