#include "core/activation_code.h"

#include <gtest/gtest.h>

#include <set>

namespace licentia {
namespace {

TEST(ActivationCodeTest, GeneratedCodesAreWellFormedAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    ActivationCode c = ActivationCode::Generate();
    std::string f = c.Formatted();
    ASSERT_EQ(f.size(), 23u);
    EXPECT_EQ(f[5], '-');
    EXPECT_EQ(f[11], '-');
    EXPECT_EQ(f[17], '-');
    for (char ch : c.Canonical()) {
      EXPECT_NE(kCodeAlphabet.find(ch), std::string_view::npos);
    }
    auto parsed = ActivationCode::Parse(f);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, c);
    seen.insert(c.Canonical());
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(ActivationCodeTest, AlphabetHasNoLookAlikes) {
  EXPECT_EQ(kCodeAlphabet.size(), 32u);
  for (char c : std::string_view("ILOU")) {
    EXPECT_EQ(kCodeAlphabet.find(c), std::string_view::npos) << c;
  }
}

TEST(ActivationCodeTest, NormalisesWhatPeopleType) {
  ActivationCode c = ActivationCode::Generate();
  std::string lower = c.Formatted();
  for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
  EXPECT_EQ(*ActivationCode::Parse(lower), c);
  std::string spaced;
  for (char ch : c.Canonical()) {
    spaced += ch;
    spaced += ' ';
  }
  EXPECT_EQ(*ActivationCode::Parse("  " + spaced + "\t"), c);
  EXPECT_EQ(*ActivationCode::Parse(c.Canonical()), c);
}

TEST(ActivationCodeTest, ConfusableLettersMapToDigits) {
  // Find a code containing 0, 1 and V so that O, I/L and U can stand in.
  for (int tries = 0; tries < 100000; ++tries) {
    ActivationCode c = ActivationCode::Generate();
    std::string s = c.Canonical();
    if (s.find('0') == std::string::npos || s.find('1') == std::string::npos ||
        s.find('V') == std::string::npos) {
      continue;
    }
    std::string typed = s;
    for (char& ch : typed) {
      if (ch == '0') ch = 'o';
      if (ch == '1') ch = 'l';
      if (ch == 'V') ch = 'u';
    }
    auto parsed = ActivationCode::Parse(typed);
    ASSERT_TRUE(parsed.ok()) << typed;
    EXPECT_EQ(*parsed, c);
    return;
  }
  FAIL() << "no suitable code generated";
}

// Rule 1: every single wrong symbol and every swap of two neighbours is
// caught on the device, before any network call.
TEST(ActivationCodeTest, EverySingleSubstitutionIsRejected) {
  for (int n = 0; n < 300; ++n) {
    std::string s = ActivationCode::Generate().Canonical();
    for (size_t i = 0; i < s.size(); ++i) {
      for (char sym : kCodeAlphabet) {
        if (sym == s[i]) continue;
        std::string bad = s;
        bad[i] = sym;
        auto r = ActivationCode::Parse(bad);
        ASSERT_FALSE(r.ok()) << s << " -> " << bad;
        EXPECT_EQ(r.status().code(), ErrorCode::kInvalidCodeFormat);
      }
    }
  }
}

TEST(ActivationCodeTest, EverySwapOfNeighboursIsRejected) {
  for (int n = 0; n < 3000; ++n) {
    std::string s = ActivationCode::Generate().Canonical();
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      if (s[i] == s[i + 1]) continue;  // swapping equal symbols changes nothing
      std::string bad = s;
      std::swap(bad[i], bad[i + 1]);
      ASSERT_FALSE(ActivationCode::Parse(bad).ok()) << s << " -> " << bad;
    }
  }
}

TEST(ActivationCodeTest, WrongLengthAndForeignCharactersAreRejected) {
  std::string s = ActivationCode::Generate().Canonical();
  for (const std::string& bad :
       {s.substr(0, 19), s + "A", std::string(""),
        s.substr(0, 10) + "!" + s.substr(11), std::string(200, 'A'),
        s.substr(0, 10) + "\xc3\xa9" + s.substr(11)}) {
    auto r = ActivationCode::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidCodeFormat);
    EXPECT_FALSE(r.status().message().empty());
  }
}

TEST(ActivationCodeTest, MaskShowsOnlyTheLastGroup) {
  ActivationCode c = ActivationCode::Generate();
  std::string masked = c.Masked();
  EXPECT_EQ(masked, "*****-*****-*****-" + c.Canonical().substr(15));
}

}  // namespace
}  // namespace licentia
