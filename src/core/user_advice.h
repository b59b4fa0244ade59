// What a person at the device can do about each error code (the table in
// licentia/error_codes.def): the SDK shows it beside a failure (Details'
// what_to_do). Never empty except for kOk.
#ifndef LICENTIA_CORE_USER_ADVICE_H_
#define LICENTIA_CORE_USER_ADVICE_H_

#include <string_view>

#include "core/status.h"

namespace licentia {

std::string_view WhatToDoFor(ErrorCode code);

}  // namespace licentia

#endif  // LICENTIA_CORE_USER_ADVICE_H_
