#include "core/password_hash.h"

#include <gtest/gtest.h>

namespace licentia {
namespace {

TEST(PasswordHashTest, VerifiesTheRightPasswordOnly) {
  auto stored = HashPassword("correct horse battery");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_TRUE(stored->starts_with("$argon2id$"));
  EXPECT_TRUE(VerifyPassword(*stored, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*stored, "correct horse batterY"));
  EXPECT_FALSE(VerifyPassword(*stored, ""));
  // The salt differs each time.
  EXPECT_NE(*HashPassword("correct horse battery"), *stored);
}

TEST(PasswordHashTest, AMalformedStoredHashFailsClosed) {
  EXPECT_FALSE(VerifyPassword("", "anything at all"));
  EXPECT_FALSE(VerifyPassword("$argon2id$v=19$garbage", "anything at all"));
  EXPECT_FALSE(VerifyPassword(DummyPasswordHash(), ""));
  EXPECT_FALSE(DummyPasswordHash().empty());
}

TEST(PasswordHashTest, RulesCountCharactersAndCapBytes) {
  EXPECT_EQ(CheckPasswordRules("short").code(), ErrorCode::kInvalidRequest);
  EXPECT_TRUE(CheckPasswordRules("ten chars!").ok());
  // Ten characters of two bytes each are ten characters.
  EXPECT_TRUE(CheckPasswordRules("éééééééééé").ok());
  EXPECT_FALSE(CheckPasswordRules("ééééé").ok());
  EXPECT_EQ(CheckPasswordRules(std::string(kMaxPasswordBytes + 1, 'x')).code(),
            ErrorCode::kInvalidRequest);
}

}  // namespace
}  // namespace licentia
