#include "server/rate_limiter.h"

#include <gtest/gtest.h>

namespace licentia::server {
namespace {

using Clock = std::chrono::steady_clock;

TEST(RateLimiterTest, AllowsTheBurstThenRefusesWithAWait) {
  Clock::time_point now{};
  RateLimiter rl(60, 3, [&] { return now; });
  EXPECT_EQ(rl.Acquire("a"), 0);
  EXPECT_EQ(rl.Acquire("a"), 0);
  EXPECT_EQ(rl.Acquire("a"), 0);
  int wait = rl.Acquire("a");
  EXPECT_GE(wait, 1);
  EXPECT_LE(wait, 1);  // one token a second at 60/minute
  // Another key has its own bucket.
  EXPECT_EQ(rl.Acquire("b"), 0);
  now += std::chrono::seconds(1);
  EXPECT_EQ(rl.Acquire("a"), 0);
  EXPECT_GE(rl.Acquire("a"), 1);
}

TEST(RateLimiterTest, RefillsUpToTheBurstOnly) {
  Clock::time_point now{};
  RateLimiter rl(60, 2, [&] { return now; });
  now += std::chrono::hours(1);
  EXPECT_EQ(rl.Acquire("k"), 0);
  EXPECT_EQ(rl.Acquire("k"), 0);
  EXPECT_GT(rl.Acquire("k"), 0);
}

TEST(RateLimiterTest, ZeroDisables) {
  RateLimiter rl(0, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(rl.Acquire("x"), 0);
}

TEST(RateLimiterTest, CheckTakesNothingAndChargeTakesOne) {
  Clock::time_point now{};
  RateLimiter rl(60, 2, [&] { return now; });
  for (int i = 0; i < 10; ++i) EXPECT_EQ(rl.Check("a"), 0);
  rl.Charge("a");
  EXPECT_EQ(rl.Check("a"), 0);
  rl.Charge("a");
  EXPECT_GE(rl.Check("a"), 1);  // both tokens charged
  // Failures that raced past Check are all charged: debt, bounded by one
  // burst, delays the next attempt further.
  rl.Charge("a");
  rl.Charge("a");
  rl.Charge("a");
  EXPECT_EQ(rl.Check("a"), 3);  // from -2 tokens back to 1: 3 s at 60/min
  now += std::chrono::seconds(3);
  EXPECT_EQ(rl.Check("a"), 0);
  // A disabled limiter charges nothing.
  RateLimiter off(0, 2, [&] { return now; });
  off.Charge("a");
  off.Charge("a");
  EXPECT_EQ(off.Check("a"), 0);
}

}  // namespace
}  // namespace licentia::server
