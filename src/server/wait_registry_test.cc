#include "server/wait_registry.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <vector>

namespace licentia::server {
namespace {

using Reason = WaitRegistry::Reason;

// Records the wakes, in order, and lets a test wait for a count of them.
class Wakes {
 public:
  WaitRegistry::Wake For(int id) {
    return [this, id](Reason reason) {
      std::lock_guard lock(mu_);
      seen_.push_back({id, reason});
      cv_.notify_all();
    };
  }
  std::vector<std::pair<int, Reason>> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10),
                 [&] { return seen_.size() >= n; });
    return seen_;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<int, Reason>> seen_;
};

const auto kLater = WaitRegistry::Clock::now() + std::chrono::hours(1);

crypto::Hash Device(std::uint8_t tag) {
  crypto::Hash h{};
  h.fill(tag);
  return h;
}

TEST(WaitRegistryTest, AChangeWakesTheWaitersOfItsCodeOrDeviceOnce) {
  Wakes wakes;
  WaitRegistry r;
  r.Add(1, Device(1), kLater, wakes.For(1));
  r.Add(1, Device(2), kLater, wakes.For(2));
  r.Add(2, Device(3), kLater, wakes.For(3));
  EXPECT_EQ(r.waiting(), 3);
  r.OnChanges({.codes = {1}});
  auto seen = wakes.WaitFor(2);
  ASSERT_EQ(seen.size(), 2u);
  for (auto [id, reason] : seen) {
    EXPECT_NE(id, 3);
    EXPECT_EQ(reason, Reason::kChanged);
  }
  EXPECT_EQ(r.waiting(), 1);
  r.OnChanges({.codes = {1}});  // nobody waits on it any more
  r.OnChanges({.devices = {Device(3)}});
  seen = wakes.WaitFor(3);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].first, 3);
  EXPECT_EQ(r.waiting(), 0);
}

// A device answered otherwise drops its waiter: it is never woken and no
// longer counted.
TEST(WaitRegistryTest, ACancelledWaiterIsNeverWoken) {
  Wakes wakes;
  WaitRegistry r;
  std::uint64_t ticket = r.Add(1, Device(1), kLater, wakes.For(1));
  r.Add(2, Device(2), kLater, wakes.For(2));
  EXPECT_TRUE(r.Cancel(ticket));
  EXPECT_FALSE(r.Cancel(ticket));
  EXPECT_EQ(r.waiting(), 1);
  r.OnChanges({.codes = {1, 2}});
  r.Shutdown();  // returns once every wake due has run
  auto seen = wakes.WaitFor(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, 2);
  EXPECT_FALSE(r.Cancel(999));
}

TEST(WaitRegistryTest, EverythingWakesEveryone) {
  Wakes wakes;
  WaitRegistry r;
  for (int i = 0; i < 5; ++i) r.Add(i, Device(i), kLater, wakes.For(i));
  r.OnChanges({.everything = true});
  EXPECT_EQ(wakes.WaitFor(5).size(), 5u);
  EXPECT_EQ(r.waiting(), 0);
}

TEST(WaitRegistryTest, APassedDeadlineWakesWithDeadline) {
  Wakes wakes;
  WaitRegistry r;
  r.Add(1, Device(1), WaitRegistry::Clock::now() - std::chrono::seconds(1),
        wakes.For(1));
  auto seen = wakes.WaitFor(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].second, Reason::kDeadline);
}

TEST(WaitRegistryTest, ShutdownWakesEveryoneAndLaterWaitsAtOnce) {
  Wakes wakes;
  WaitRegistry r;
  r.Add(1, Device(1), kLater, wakes.For(1));
  r.Add(2, Device(2), kLater, wakes.For(2));
  r.Shutdown();  // returns once every wake has run
  EXPECT_EQ(wakes.count(), 2u);
  r.Add(3, Device(3), kLater, wakes.For(3));  // on this thread, at once
  auto seen = wakes.WaitFor(3);
  ASSERT_EQ(seen.size(), 3u);
  for (auto [id, reason] : seen) EXPECT_EQ(reason, Reason::kShutdown);
  r.OnChanges({.codes = {1}});  // harmless
}

}  // namespace
}  // namespace licentia::server
