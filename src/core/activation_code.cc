#include "core/activation_code.h"

#include <fmt/format.h>

#include "core/crypto.h"

namespace licentia {
namespace {

constexpr int kCheckModulus = 1021;  // prime, < 32 * 32

int SymbolValue(char c) {
  auto pos = kCodeAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

int CheckValue(std::string_view data) {
  int sum = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    sum =
        (sum + static_cast<int>(i + 1) * SymbolValue(data[i])) % kCheckModulus;
  }
  return sum;
}

std::string CheckSymbols(std::string_view data) {
  int s = CheckValue(data);
  return {kCodeAlphabet[s / 32], kCodeAlphabet[s % 32]};
}

// Upper-cases and maps the confusable letters; returns 0 for a separator
// that is dropped, and the character itself otherwise.
char NormaliseChar(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  switch (c) {
    case ' ':
    case '-':
    case '\t':
    case '_':
      return 0;
    case 'O':
      return '0';
    case 'I':
    case 'L':
      return '1';
    case 'U':
      return 'V';
    default:
      return c;
  }
}

}  // namespace

ActivationCode ActivationCode::Generate() {
  std::string s;
  s.reserve(kCodeSymbols);
  for (size_t i = 0; i < kCodeDataSymbols; ++i) {
    s += kCodeAlphabet[crypto::RandomUniform(kCodeAlphabet.size())];
  }
  s += CheckSymbols(s);
  return ActivationCode(std::move(s));
}

Result<ActivationCode> ActivationCode::Parse(std::string_view input) {
  if (input.size() > 64) {
    return Status(ErrorCode::kInvalidCodeFormat,
                  "An activation code has 20 symbols; this text is far "
                  "longer.");
  }
  std::string s;
  for (char raw : input) {
    char c = NormaliseChar(raw);
    if (c == 0) continue;
    if (SymbolValue(c) < 0) {
      return Status(ErrorCode::kInvalidCodeFormat,
                    (raw >= 0x20 && raw < 0x7f)
                        ? fmt::format("'{}' cannot appear in an activation "
                                      "code; check what you typed.",
                                      raw)
                        : std::string("The activation code contains a "
                                      "character that cannot appear in it."));
    }
    s += c;
  }
  if (s.size() != kCodeSymbols) {
    return Status(ErrorCode::kInvalidCodeFormat,
                  fmt::format("An activation code has 20 symbols "
                              "(XXXXX-XXXXX-XXXXX-XXXXX); this one has {}.",
                              s.size()));
  }
  std::string_view data(s.data(), kCodeDataSymbols);
  if (CheckSymbols(data) != std::string_view(s).substr(kCodeDataSymbols)) {
    return Status(ErrorCode::kInvalidCodeFormat,
                  "This activation code contains a typing mistake; compare "
                  "it symbol by symbol with the one you received.");
  }
  return ActivationCode(std::move(s));
}

std::string ActivationCode::Formatted() const {
  std::string out;
  for (size_t i = 0; i < symbols_.size(); ++i) {
    if (i > 0 && i % kCodeGroupSize == 0) out += '-';
    out += symbols_[i];
  }
  return out;
}

std::string ActivationCode::Masked() const { return MaskCode(symbols_); }

std::string MaskCode(std::string_view canonical) {
  std::string tail(canonical.substr(canonical.size() >= kCodeGroupSize
                                        ? canonical.size() - kCodeGroupSize
                                        : 0));
  return "*****-*****-*****-" + tail;
}

}  // namespace licentia
