// Every device and admin request body goes through JsonFields: no body,
// however malformed, may crash it, and each accessor either returns a value
// within its stated bounds or an error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/json_fields.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)licentia::server::ParseDate(body);
  auto f = licentia::server::JsonFields::Parse(body, {"a", "b", "c", "d"});
  if (!f.ok()) return 0;
  for (std::string_view name : {"a", "b", "c", "d", "missing"}) {
    if (auto s = f->String(name, 16); s.ok() && s->size() > 16) {
      __builtin_trap();
    }
    if (auto s = f->OptString(name, 16); s.ok() && *s && (*s)->size() > 16) {
      __builtin_trap();
    }
    if (auto i = f->Int(name, -5, 5, 0); i.ok() && (*i < -5 || *i > 5)) {
      __builtin_trap();
    }
    if (auto i = f->OptInt(name, 0, 100);
        i.ok() && *i && (**i < 0 || **i > 100)) {
      __builtin_trap();
    }
    (void)f->Bool(name, false);
    if (auto l = f->StringList(name, 3, 8); l.ok()) {
      if (l->size() > 3) __builtin_trap();
      for (const auto& s : *l) {
        if (s.size() > 8) __builtin_trap();
      }
    }
    (void)f->OptDate(name);
  }
  return 0;
}
