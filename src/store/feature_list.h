// How a code's features are kept in one text column by every backend: one
// feature per line (features cannot contain control characters).
#ifndef LICENTIA_STORE_FEATURE_LIST_H_
#define LICENTIA_STORE_FEATURE_LIST_H_

#include <string>
#include <vector>

namespace licentia::store {

std::string EncodeFeatures(const std::vector<std::string>& features);
std::vector<std::string> DecodeFeatures(const std::string& text);

}  // namespace licentia::store

#endif  // LICENTIA_STORE_FEATURE_LIST_H_
