#include "core/version_range.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace licentia {
namespace {

std::vector<std::string_view> Split(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + sep.size();
  }
  return out;
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

Result<Version> Version::Parse(std::string_view text) {
  Version v;
  auto bad = [&] {
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("'{}' is not a version; use numbers separated "
                              "by dots, like 22.1.",
                              text.substr(0, 40)));
  };
  if (text.empty()) return bad();
  // Walked in place rather than split: every activation parses a version.
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t dot = std::min(text.find('.', start), text.size());
    std::string_view part = text.substr(start, dot - start);
    start = dot + 1;
    if (part.empty() || v.count_ == 4 || part.size() > 9 ||
        part.find_first_not_of("0123456789") != std::string_view::npos) {
      return bad();
    }
    long value = 0;
    auto [ptr, ec] =
        std::from_chars(part.data(), part.data() + part.size(), value);
    if (ec != std::errc() || ptr != part.data() + part.size()) return bad();
    v.parts_[v.count_++] = value;
  }
  return v;
}

std::string Version::ToString() const {
  std::string out;
  for (int i = 0; i < count_; ++i) {
    if (i) out += '.';
    out += std::to_string(parts_[i]);
  }
  return out;
}

Result<VersionRange> VersionRange::Parse(std::string_view text) {
  VersionRange range;
  // The limit is on the normalised text (checked below), which is what is
  // stored and parsed again; this bound on the raw input only caps the
  // work done on blanks.
  if (text.size() > 4 * kMaxVersionRangeBytes) {
    return Status(ErrorCode::kInvalidRequest, "The version range is too long.");
  }
  std::vector<std::string> normalised_alts;
  for (std::string_view alt : Split(text, "||")) {
    std::vector<Comparator> comparators;
    std::vector<std::string> normalised;
    for (std::string_view word : Words(alt)) {
      if (word == "*") {
        normalised.emplace_back("*");
        continue;
      }
      Op op = Op::kEq;
      std::string_view rest = word;
      if (word.starts_with(">=")) {
        op = Op::kGe, rest = word.substr(2);
      } else if (word.starts_with("<=")) {
        op = Op::kLe, rest = word.substr(2);
      } else if (word.starts_with(">")) {
        op = Op::kGt, rest = word.substr(1);
      } else if (word.starts_with("<")) {
        op = Op::kLt, rest = word.substr(1);
      } else if (word.starts_with("=")) {
        rest = word.substr(1);
      }
      auto v = Version::Parse(rest);
      if (!v.ok()) {
        return Status(ErrorCode::kInvalidRequest,
                      fmt::format("'{}' in the version range '{}' is not a "
                                  "comparator like >=21.0 or <23.",
                                  word.substr(0, 40), text.substr(0, 80)));
      }
      comparators.push_back({op, *v});
      normalised.emplace_back(word);
    }
    if (normalised.empty() && Split(text, "||").size() > 1) {
      return Status(ErrorCode::kInvalidRequest,
                    "A version range has an empty alternative around '||'.");
    }
    range.alternatives_.push_back(std::move(comparators));
    normalised_alts.push_back(fmt::format("{}", fmt::join(normalised, " ")));
  }
  range.text_ = fmt::format("{}", fmt::join(normalised_alts, " || "));
  // Normalising adds blanks around '||': checking the result, not the input,
  // keeps every accepted range parseable again from its ToString().
  if (range.text_.size() > kMaxVersionRangeBytes) {
    return Status(
        ErrorCode::kInvalidRequest,
        fmt::format("The version range is too long (over {} "
                    "characters once written as '{}').",
                    kMaxVersionRangeBytes, range.text_.substr(0, 40)));
  }
  return range;
}

bool VersionRange::Contains(const Version& v) const {
  for (const auto& alt : alternatives_) {
    bool all = true;
    for (const auto& c : alt) {
      auto cmp = v.parts_ <=> c.version.parts_;
      bool holds = false;
      switch (c.op) {
        case Op::kEq:
          holds = cmp == 0;
          break;
        case Op::kLt:
          holds = cmp < 0;
          break;
        case Op::kLe:
          holds = cmp <= 0;
          break;
        case Op::kGt:
          holds = cmp > 0;
          break;
        case Op::kGe:
          holds = cmp >= 0;
          break;
      }
      if (!holds) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return alternatives_.empty();
}

}  // namespace licentia
