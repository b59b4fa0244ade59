#include "store/feature_list.h"

namespace licentia::store {

std::string EncodeFeatures(const std::vector<std::string>& features) {
  std::string out;
  for (size_t i = 0; i < features.size(); ++i) {
    if (i) out += '\n';
    out += features[i];
  }
  return out;
}

std::vector<std::string> DecodeFeatures(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t pos = text.find('\n', start);
    out.push_back(text.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

}  // namespace licentia::store
