#include "server/admin_scopes.h"

#include <gtest/gtest.h>

namespace licentia::server {
namespace {

TEST(AdminScopesTest, EveryTokenReadsAndFullGrantsEverything) {
  ScopeSet read_only = *ScopeSet::FromNames({"read"});
  EXPECT_TRUE(read_only.Grants(AdminScope::kRead));
  EXPECT_FALSE(read_only.Grants(AdminScope::kIssue));
  ScopeSet billing = *ScopeSet::FromNames({"renew"});
  EXPECT_TRUE(billing.Grants(AdminScope::kRead));
  EXPECT_TRUE(billing.Grants(AdminScope::kRenew));
  EXPECT_FALSE(billing.Grants(AdminScope::kBlock));
  EXPECT_FALSE(billing.Grants(AdminScope::kFull));
  for (AdminScope s : kAllScopes) {
    EXPECT_TRUE(ScopeSet::Full().Grants(s)) << AdminScopeName(s);
  }
}

TEST(AdminScopesTest, StoredTextRoundTripsAndUnknownNamesAreRefused) {
  ScopeSet support = *ScopeSet::FromNames({"seats", "block", "seats"});
  EXPECT_EQ(support.ToString(), "block seats");
  EXPECT_EQ(*ScopeSet::FromStored(support.ToString()), support);
  EXPECT_EQ(ScopeSet().ToString(), "read");
  EXPECT_EQ(*ScopeSet::FromStored("read"), *ScopeSet::FromNames({"read"}));
  EXPECT_EQ(ScopeSet::FromStored("full").value().ToString(), "full");
  EXPECT_EQ(ScopeSet::FromStored("issue root").status().code(),
            ErrorCode::kCorruption);
  EXPECT_EQ(ScopeSet::FromNames({"admin"}).status().code(),
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(ScopeSet::FromNames({}).status().code(),
            ErrorCode::kInvalidRequest);
}

}  // namespace
}  // namespace licentia::server
