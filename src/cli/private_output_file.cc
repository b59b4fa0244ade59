#include "cli/private_output_file.h"

#include <sstream>

namespace licentia::cli {

Result<std::string> ReadSmallFile(const std::string& path,
                                  std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status(ErrorCode::kNotFound, fmt::format("Cannot read {}.", path));
  }
  std::string text;
  text.resize(max_bytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    return Status(ErrorCode::kPayloadTooLarge,
                  fmt::format("{} is larger than {} bytes.", path, max_bytes));
  }
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  return text;
}

}  // namespace licentia::cli
