// docs/api.md lists every error code of licentia/error_codes.def, with the
// HTTP status the table gives it: the page is checked against the one
// table, so a code added there and not documented fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/http_status.h"
#include "core/status.h"

namespace licentia {
namespace {

// The rows "| `NAME` | ... |" of every table on the page: name -> the
// second cell ("" when there is none).
std::map<std::string, std::string> DocumentedCodes(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("| `")) continue;
    size_t end = line.find('`', 3);
    if (end == std::string::npos) continue;
    std::string name = line.substr(3, end - 3);
    std::string rest = line.substr(end + 1);  // " | 400 | ..."
    std::string second;
    if (size_t bar = rest.find('|'); bar != std::string::npos) {
      size_t next = rest.find('|', bar + 1);
      second =
          rest.substr(bar + 1, next == std::string::npos ? std::string::npos
                                                         : next - bar - 1);
      second.erase(0, second.find_first_not_of(' '));
      second.erase(second.find_last_not_of(' ') + 1);
    }
    out.emplace(name, second);
  }
  return out;
}

TEST(ErrorDocsTest, ApiPageListsEveryCodeWithItsHttpStatus) {
  auto documented = DocumentedCodes(LICENTIA_DOCS_DIR "/api.md");
  for (int i = 1; i < kErrorCodeCount; ++i) {
    auto code = static_cast<ErrorCode>(i);
    std::string name(ErrorCodeName(code));
    auto it = documented.find(name);
    ASSERT_NE(it, documented.end()) << name << " is not in docs/api.md";
    // Server codes give their HTTP status; device codes their meaning.
    bool is_status =
        !it->second.empty() &&
        it->second.find_first_not_of("0123456789") == std::string::npos;
    if (is_status) {
      EXPECT_EQ(std::stoi(it->second), HttpStatusFor(code)) << name;
    }
  }
}

}  // namespace
}  // namespace licentia
