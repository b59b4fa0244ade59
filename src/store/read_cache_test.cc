#include "store/read_cache.h"

#include <gtest/gtest.h>

namespace licentia::store {
namespace {

CodeRow Code(std::int64_t id, std::uint8_t tag) {
  CodeRow c;
  c.id = id;
  c.code_hash[0] = tag;
  c.terms.product = "p";
  return c;
}

crypto::Hash Device(std::uint8_t tag) {
  crypto::Hash h{};
  h[0] = tag;
  return h;
}

TEST(ReadCacheTest, ServesWhatWasPutUntilItsCodeChanges) {
  ReadCache cache(100);
  CodeRow c = Code(1, 7);
  EXPECT_FALSE(cache.CodeByHash(c.code_hash).has_value());
  cache.PutCode(c, cache.Epoch());
  ASSERT_TRUE(cache.CodeByHash(c.code_hash).has_value());
  EXPECT_EQ(cache.CodeById(1)->id, 1);
  // A change to another code leaves it alone.
  cache.Invalidate({.codes = {2}, .devices = {}});
  EXPECT_TRUE(cache.CodeByHash(c.code_hash).has_value());
  cache.Invalidate({.codes = {1}, .devices = {}});
  EXPECT_FALSE(cache.CodeByHash(c.code_hash).has_value());
  EXPECT_FALSE(cache.CodeById(1).has_value());
}

// A row read in a snapshot that began before a commit must not be served
// after that commit's invalidation, even if it is put afterwards.
TEST(ReadCacheTest, ARowReadBeforeAChangeIsNeverServedAfterIt) {
  ReadCache cache(100);
  std::uint64_t stamp = cache.Epoch();  // a reader starts its snapshot
  cache.Invalidate({.codes = {1}, .devices = {}});  // the writer commits
  cache.PutCode(Code(1, 7), stamp);  // the reader caches its older row
  EXPECT_FALSE(cache.CodeById(1).has_value());
  cache.PutActivation(1, Device(3), std::nullopt, stamp);
  EXPECT_FALSE(cache.Activation(1, Device(3)).has_value());
  // Put with a fresh stamp is served.
  cache.PutCode(Code(1, 7), cache.Epoch());
  EXPECT_TRUE(cache.CodeById(1).has_value());
}

TEST(ReadCacheTest, NegativeAnswersAreCachedAndInvalidatedToo) {
  ReadCache cache(100);
  cache.PutActivation(1, Device(3), std::nullopt, cache.Epoch());
  auto hit = cache.Activation(1, Device(3));
  ASSERT_TRUE(hit.has_value());
  EXPECT_FALSE(hit->has_value());  // cached: "no activation"
  cache.Invalidate({.codes = {1}, .devices = {}});
  EXPECT_FALSE(cache.Activation(1, Device(3)).has_value());

  cache.PutReserve(Device(3), "p", std::nullopt, cache.Epoch());
  ASSERT_TRUE(cache.Reserve(Device(3), "p").has_value());
  EXPECT_FALSE(cache.Reserve(Device(3), "q").has_value());  // other product
  cache.Invalidate({.codes = {}, .devices = {Device(4)}});
  EXPECT_TRUE(cache.Reserve(Device(3), "p").has_value());
  cache.Invalidate({.codes = {}, .devices = {Device(3)}});
  EXPECT_FALSE(cache.Reserve(Device(3), "p").has_value());
}

// When it forgets its change marks to stay bounded, everything cached
// before is dropped with them.
TEST(ReadCacheTest, StaysBoundedAndForgetsSafely) {
  ReadCache cache(4);
  cache.PutCode(Code(1, 1), cache.Epoch());
  for (std::int64_t id = 10; id < 20; ++id) {
    cache.Invalidate({.codes = {id}, .devices = {}});
  }
  EXPECT_FALSE(cache.CodeById(1).has_value());
  for (std::uint8_t t = 1; t < 20; ++t) {
    cache.PutCode(Code(100 + t, t), cache.Epoch());
  }
  int kept = 0;
  for (std::uint8_t t = 1; t < 20; ++t) kept += cache.CodeById(100 + t) ? 1 : 0;
  EXPECT_LE(kept, 4);
  EXPECT_GT(kept, 0);
}

// Rows in use stay cached while new rows keep arriving; rows nobody reads
// are the ones that go.
TEST(ReadCacheTest, RowsInUseSurviveWhileOthersAreDropped) {
  ReadCache cache(8);
  cache.PutCode(Code(1, 1), cache.Epoch());
  for (std::uint8_t t = 2; t < 100; ++t) {
    cache.PutCode(Code(t, t), cache.Epoch());
    ASSERT_TRUE(cache.CodeById(1).has_value()) << int{t};
  }
  int kept = 0;
  for (std::uint8_t t = 2; t < 100; ++t) kept += cache.CodeById(t) ? 1 : 0;
  EXPECT_LE(kept, 8);
}

}  // namespace
}  // namespace licentia::store
