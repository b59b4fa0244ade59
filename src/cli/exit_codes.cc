#include "cli/exit_codes.h"

#include <boost/json/serialize.hpp>
#include <iostream>

namespace licentia::cli {

int ReportError(const Status& st, bool as_json, boost::json::object extra) {
  if (as_json) {
    extra["error"] = boost::json::object{{"code", ErrorCodeName(st.code())},
                                         {"message", st.message()}};
    std::cout << boost::json::serialize(extra) << "\n";
  } else {
    std::cerr << "error: " << st.message() << " [" << ErrorCodeName(st.code())
              << "]\n";
  }
  return ExitCodeFor(st);
}

int ExitCodeFor(const Status& status) {
  // Each code's exit class is its row's in licentia/error_codes.def.
  switch (status.code()) {
#define LICENTIA_ERROR_CODE(enumerator, name, http, exit, advice) \
  case ErrorCode::enumerator:                                     \
    return kExit##exit;
#include "licentia/error_codes.def"
#undef LICENTIA_ERROR_CODE
  }
  return kExitError;
}

}  // namespace licentia::cli
