// The management console's files (web/console), built into licentiad so
// that it serves them with no install step and nothing fetched from
// elsewhere. console_assets.cc is generated at build time
// (cmake/embed_console_assets.cmake).
#ifndef LICENTIA_SERVER_CONSOLE_ASSETS_H_
#define LICENTIA_SERVER_CONSOLE_ASSETS_H_

#include <string_view>

namespace licentia::server {

struct ConsoleAsset {
  std::string_view name;  // "index.html", "app.js", ...
  std::string_view content_type;
  std::string_view body;
};

// The file named `name` (no directories), or null.
const ConsoleAsset* FindConsoleAsset(std::string_view name);

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_CONSOLE_ASSETS_H_
