#include "core/status.h"

#include <array>

#include "core/http_status.h"
#include "core/user_advice.h"

namespace licentia {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int http;
  std::string_view advice;
};

constexpr std::array kCodes = {
#define LICENTIA_ERROR_CODE(enumerator, name, http, exit, advice) \
  CodeInfo{ErrorCode::enumerator, #name, http, advice},
#include "licentia/error_codes.def"
#undef LICENTIA_ERROR_CODE
};

static_assert(kCodes.size() == static_cast<size_t>(kLastErrorCode) + 1,
              "every error code has a row");

const CodeInfo& Info(ErrorCode code) {
  for (const auto& info : kCodes) {
    if (info.code == code) return info;
  }
  return kCodes[static_cast<size_t>(ErrorCode::kInternal)];
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) { return Info(code).name; }

int HttpStatusFor(ErrorCode code) { return Info(code).http; }

std::string_view WhatToDoFor(ErrorCode code) { return Info(code).advice; }

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (const auto& info : kCodes) {
    if (info.name == name) return info.code;
  }
  return std::nullopt;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(ErrorCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace licentia
