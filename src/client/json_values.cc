#include "client/json_values.h"

#include <boost/json/object.hpp>

namespace licentia::client {
namespace json = boost::json;

json::value OptTimeJson(const std::optional<UnixSeconds>& t) {
  return t ? json::value(*t) : json::value(nullptr);
}

json::value ProblemJson(const std::optional<ProblemReport>& p) {
  if (!p) return nullptr;
  return json::object{{"code", ErrorCodeName(p->code)},
                      {"message", p->message},
                      {"what_to_do", p->what_to_do},
                      {"at", p->at}};
}

}  // namespace licentia::client
