#include "core/code_seal.h"

#include <gtest/gtest.h>

namespace licentia {
namespace {

CodeSealKey Key(std::uint8_t fill) {
  CodeSealKey k;
  k.fill(fill);
  return k;
}

TEST(CodeSealTest, OpensOnlyWithItsKeyAndCodeId) {
  const std::string code = "ABCDE-FGHJK-LMNPQ-RSTUV-WXYZ2";
  std::string sealed = SealCode(Key(1), 42, code);
  EXPECT_EQ(sealed.find(code), std::string::npos);
  EXPECT_EQ(*OpenSealedCode(Key(1), 42, sealed), code);
  EXPECT_EQ(OpenSealedCode(Key(2), 42, sealed).status().code(),
            ErrorCode::kCorruption);
  // Copied onto another code's row, it does not open.
  EXPECT_EQ(OpenSealedCode(Key(1), 43, sealed).status().code(),
            ErrorCode::kCorruption);
  // Each seal has its own nonce.
  EXPECT_NE(SealCode(Key(1), 42, code), sealed);
}

TEST(CodeSealTest, ASecretOpensOnlyForItsPurpose) {
  std::string sealed = SealSecret(Key(1), "totp", 42, "secret");
  EXPECT_EQ(*OpenSealedSecret(Key(1), "totp", 42, sealed), "secret");
  EXPECT_FALSE(OpenSealedSecret(Key(1), "code", 42, sealed).ok());
  EXPECT_FALSE(OpenSealedCode(Key(1), 42, sealed).ok());
  // SealCode is the "code" purpose.
  EXPECT_EQ(*OpenSealedSecret(Key(1), "code", 7, SealCode(Key(1), 7, "C")),
            "C");
}

TEST(CodeSealTest, DamagedSealsFailClosed) {
  std::string sealed = SealCode(Key(1), 7, "CODE");
  std::string flipped = sealed;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {flipped, std::string(""), std::string("!!"), sealed.substr(0, 20)}) {
    EXPECT_EQ(OpenSealedCode(Key(1), 7, bad).status().code(),
              ErrorCode::kCorruption)
        << bad;
  }
}

}  // namespace
}  // namespace licentia
