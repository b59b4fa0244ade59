#include "core/backoff.h"

#include <gtest/gtest.h>

namespace licentia {
namespace {

TEST(BackoffTest, DoublesUpToTheCap) {
  BackoffPolicy p{.initial = 30, .max = 600, .jitter = 0};
  EXPECT_EQ(BackoffDelay(p, 1, 0.5), 30);
  EXPECT_EQ(BackoffDelay(p, 2, 0.5), 60);
  EXPECT_EQ(BackoffDelay(p, 3, 0.5), 120);
  EXPECT_EQ(BackoffDelay(p, 6, 0.5), 600);
  EXPECT_EQ(BackoffDelay(p, 100, 0.5), 600);
}

TEST(BackoffTest, JitterStaysWithinItsBand) {
  BackoffPolicy p{.initial = 100, .max = 1000, .jitter = 0.2};
  EXPECT_EQ(BackoffDelay(p, 1, 0.0), 80);
  EXPECT_EQ(BackoffDelay(p, 1, 1.0), 120);
  EXPECT_EQ(BackoffDelay(p, 1, 0.5), 100);
  EXPECT_EQ(BackoffDelay(p, 1, 7.0), 120);  // a bad draw is clamped
}

TEST(BackoffTest, NeverBelowTheFloor) {
  BackoffPolicy p{.initial = 0, .max = 0, .jitter = 1};
  EXPECT_EQ(BackoffDelay(p, 1, 0.0), 1);
  p.floor = 50;
  EXPECT_EQ(BackoffDelay(p, 1, 0.0), 50);
}

}  // namespace
}  // namespace licentia
