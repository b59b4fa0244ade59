// Application versions and the ranges a code is compatible with (rule 2).
//
// A version is up to four dot-separated non-negative integers ("21", "21.0",
// "22.3.1"); missing components count as 0. A range is one or more
// alternatives separated by "||"; an alternative is comparators separated by
// blanks, all of which must hold: ">=21.0 <23", "=22.1", "22.1" (same as
// "=22.1"), "*" (any). The empty range matches every version.
#ifndef LICENTIA_CORE_VERSION_RANGE_H_
#define LICENTIA_CORE_VERSION_RANGE_H_

#include <array>
#include <compare>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace licentia {

class Version {
 public:
  // kInvalidRequest for anything but 1-4 numeric components.
  static Result<Version> Parse(std::string_view text);
  std::string ToString() const;
  // Missing components count as 0, so 21 == 21.0.
  std::strong_ordering operator<=>(const Version& o) const {
    return parts_ <=> o.parts_;
  }
  bool operator==(const Version& o) const { return parts_ == o.parts_; }

 private:
  std::array<long, 4> parts_{};
  int count_ = 0;
  friend class VersionRange;
};

// The longest normalised range text (what ToString() returns and what is
// stored with a code).
constexpr std::size_t kMaxVersionRangeBytes = 256;

class VersionRange {
 public:
  // kInvalidRequest naming the bad comparator, or if the normalised text is
  // longer than kMaxVersionRangeBytes. Whatever it accepts, it accepts again
  // from ToString().
  static Result<VersionRange> Parse(std::string_view text);
  bool Contains(const Version& v) const;
  // The text it was parsed from, normalised (single blanks).
  const std::string& ToString() const { return text_; }

 private:
  enum class Op { kEq, kLt, kLe, kGt, kGe };
  struct Comparator {
    Op op;
    Version version;
  };
  std::vector<std::vector<Comparator>> alternatives_;
  std::string text_;
};

}  // namespace licentia

#endif  // LICENTIA_CORE_VERSION_RANGE_H_
