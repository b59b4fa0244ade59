// The licentia command's exit codes (documented in docs/cli.md). Stable:
// scripts depend on them.
#ifndef LICENTIA_CLI_EXIT_CODES_H_
#define LICENTIA_CLI_EXIT_CODES_H_

#include <boost/json/object.hpp>

#include "core/status.h"

namespace licentia::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,         // anything not listed below
  kExitUsage = 2,         // wrong command-line usage
  kExitUnavailable = 3,   // server unreachable or unavailable; retry later
  kExitUnauthorized = 4,  // missing or wrong admin token
  kExitNotFound = 5,      // no such code, product or endpoint
  kExitRefused = 6,       // the server refused by a licensing rule
  kExitInvalidInput = 7,  // malformed input (code format, field values)
  kExitRateLimited = 8,   // too many requests; retry after a pause
  kExitNotLicensed = 9,   // no valid license on this device (check failed)
};

int ExitCodeFor(const Status& status);

// Reports a failure: {"error":{"code","message"}} on stdout (merged into
// `extra`) when `as_json`, otherwise "error: <sentence> [CODE]" on stderr.
// Returns ExitCodeFor(status).
int ReportError(const Status& status, bool as_json,
                boost::json::object extra = {});

}  // namespace licentia::cli

#endif  // LICENTIA_CLI_EXIT_CODES_H_
