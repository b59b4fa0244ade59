// Activation codes (domain rule 1).
//
// A code is 20 symbols from a 32-symbol alphabet without look-alikes
// (digits and upper-case letters except I, L, O, U), shown as
// XXXXX-XXXXX-XXXXX-XXXXX. The first 18 symbols are random (90 bits from the
// CSPRNG); the last two are check symbols: the value
//   S = sum_{i=0}^{17} (i + 1) * value(symbol_i)  mod 1021
// written as two base-32 digits. Because 1021 is prime and larger than any
// weight times symbol difference, every single wrong symbol and every swap of
// two neighbouring symbols changes the check, so a device catches typing
// mistakes before any network call. docs/activation-codes.md has the details.
#ifndef LICENTIA_CORE_ACTIVATION_CODE_H_
#define LICENTIA_CORE_ACTIVATION_CODE_H_

#include <string>
#include <string_view>

#include "core/status.h"

namespace licentia {

constexpr size_t kCodeSymbols = 20;
constexpr size_t kCodeDataSymbols = 18;
constexpr size_t kCodeGroupSize = 5;
constexpr std::string_view kCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// A code known to be well-formed: 20 alphabet symbols with valid check
// symbols. Only constructible through Generate() and Parse().
class ActivationCode {
 public:
  // A fresh code from the CSPRNG. Never fails.
  static ActivationCode Generate();

  // Normalises user input and validates it. Accepts any case, blanks and
  // dashes anywhere, and the look-alikes O->0, I->1, L->1, U->V.
  // Returns kInvalidCodeFormat with a sentence naming the problem
  // (length, unknown symbol, check symbols) for anything else.
  static Result<ActivationCode> Parse(std::string_view input);

  // "XXXXX-XXXXX-XXXXX-XXXXX".
  std::string Formatted() const;
  // The 20 symbols without separators: the canonical form that is hashed.
  const std::string& Canonical() const { return symbols_; }
  // "*****-*****-*****-XXXXX": what is shown after issue.
  std::string Masked() const;

  bool operator==(const ActivationCode&) const = default;

 private:
  explicit ActivationCode(std::string symbols) : symbols_(std::move(symbols)) {}
  std::string symbols_;
};

// Masks a canonical or formatted code's display: keeps the last group.
std::string MaskCode(std::string_view canonical);

}  // namespace licentia

#endif  // LICENTIA_CORE_ACTIVATION_CODE_H_
