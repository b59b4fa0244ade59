#include "client/backoff.h"

#include <gtest/gtest.h>

namespace licentia::client {
namespace {

TEST(BackoffTest, DoublesUpToTheCap) {
  RetryPolicy p{.initial_delay = 30, .max_delay = 600, .jitter = 0};
  auto mid = [] { return 0.5; };
  EXPECT_EQ(BackoffDelay(p, 1, mid), 30);
  EXPECT_EQ(BackoffDelay(p, 2, mid), 60);
  EXPECT_EQ(BackoffDelay(p, 3, mid), 120);
  EXPECT_EQ(BackoffDelay(p, 6, mid), 600);
  EXPECT_EQ(BackoffDelay(p, 100, mid), 600);
}

TEST(BackoffTest, JitterStaysWithinItsBand) {
  RetryPolicy p{.initial_delay = 100, .max_delay = 1000, .jitter = 0.2};
  EXPECT_EQ(BackoffDelay(p, 1, [] { return 0.0; }), 80);
  EXPECT_EQ(BackoffDelay(p, 1, [] { return 1.0; }), 120);
  EXPECT_EQ(BackoffDelay(p, 1, [] { return 0.5; }), 100);
}

TEST(BackoffTest, NeverBelowOneSecond) {
  RetryPolicy p{.initial_delay = 0, .max_delay = 0, .jitter = 1};
  EXPECT_EQ(BackoffDelay(p, 1, [] { return 0.0; }), 1);
}

}  // namespace
}  // namespace licentia::client
