#include "core/license_terms.h"

#include <gtest/gtest.h>

namespace licentia {
namespace {

constexpr UnixSeconds kT0 = 1'800'000'000;

TEST(LicenseTermsTest, TermCountsFromFirstActivation) {
  EXPECT_EQ(ExpiryFrom(kT0, 365), kT0 + 365 * kSecondsPerDay);
}

TEST(LicenseTermsTest, TypeNamesRoundTrip) {
  for (auto t :
       {LicenseType::kTerm, LicenseType::kSubscription, LicenseType::kTrial}) {
    EXPECT_EQ(LicenseTypeFromName(LicenseTypeName(t)), t);
  }
  EXPECT_EQ(LicenseTypeFromName("perpetual"), std::nullopt);
}

TEST(LicenseTermsTest, ValidateNamesTheBadField) {
  CodeTerms t;
  EXPECT_TRUE(t.Validate().ok());
  t.max_devices = 0;
  EXPECT_NE(t.Validate().message().find("max_devices"), std::string::npos);
  t.max_devices = 1;
  t.term_days = 0;
  EXPECT_NE(t.Validate().message().find("term_days"), std::string::npos);
  t.term_days = 30;
  t.compatible_versions = ">=x";
  EXPECT_EQ(t.Validate().code(), ErrorCode::kInvalidRequest);
}

TEST(LicenseTermsTest, VersionCompatibility) {
  CodeTerms t;
  t.compatible_versions = ">=21.0 <23";
  EXPECT_TRUE(CheckVersionCompatible(t, "22.4").ok());
  EXPECT_EQ(CheckVersionCompatible(t, "23.0").code(),
            ErrorCode::kIncompatibleVersion);
  EXPECT_EQ(CheckVersionCompatible(t, "not-a-version").code(),
            ErrorCode::kInvalidRequest);
  // No range: every version, but it must still be one.
  t.compatible_versions = "";
  EXPECT_TRUE(CheckVersionCompatible(t, "1").ok());
  EXPECT_TRUE(CheckVersionCompatible(t, "99.1.2.3").ok());
  EXPECT_EQ(CheckVersionCompatible(t, "not-a-version").code(),
            ErrorCode::kInvalidRequest);
}

}  // namespace
}  // namespace licentia
