#include "integration/openapi_check.h"

#include <fstream>
#include <sstream>

namespace licentia::testing {
namespace json = boost::json;
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t at = 0;
  while (at < path.size()) {
    if (path[at] == '/') {
      ++at;
      continue;
    }
    size_t end = path.find('/', at);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(at, end - at));
    at = end;
  }
  return out;
}

bool IsParameter(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// "/a/{x}/b" as "/a/{}/b".
std::string Generic(std::string_view path) {
  std::string out;
  for (std::string_view s : Segments(path)) {
    out += "/";
    out += IsParameter(s) ? std::string_view("{}") : s;
  }
  return out.empty() ? "/" : out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(c));
  return out;
}

bool HasType(const json::value& value, std::string_view type) {
  if (type == "null") return value.is_null();
  if (type == "boolean") return value.is_bool();
  if (type == "integer") return value.is_int64() || value.is_uint64();
  if (type == "number") return value.is_number();
  if (type == "string") return value.is_string();
  if (type == "array") return value.is_array();
  if (type == "object") return value.is_object();
  return false;
}

}  // namespace

const OpenApi& OpenApi::Get() {
  static const OpenApi* api = [] {
    std::ifstream in(std::string(LICENTIA_DOCS_DIR) + "/openapi.json");
    std::stringstream text;
    text << in.rdbuf();
    return new OpenApi(json::parse(text.str()));
  }();
  return *api;
}

std::string OpenApi::FindPath(std::string_view method,
                              std::string_view path) const {
  path = path.substr(0, path.find('?'));
  std::vector<std::string_view> want = Segments(path);
  std::string best;
  int best_literals = -1;
  for (const auto& [described, ops] : spec_.at("paths").as_object()) {
    if (!ops.as_object().contains(Lower(method))) continue;
    std::vector<std::string_view> have = Segments(described);
    if (have.size() != want.size()) continue;
    int literals = 0;
    bool match = true;
    for (size_t i = 0; i < have.size() && match; ++i) {
      if (IsParameter(have[i])) continue;
      match = have[i] == want[i];
      ++literals;
    }
    if (match && literals > best_literals) {
      best = described;
      best_literals = literals;
    }
  }
  return best;
}

bool OpenApi::Describes(std::string_view method,
                        std::string_view pattern) const {
  for (const auto& [described, ops] : spec_.at("paths").as_object()) {
    if (Generic(described) == Generic(pattern) &&
        ops.as_object().contains(Lower(method))) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> OpenApi::Operations() const {
  std::vector<std::string> out;
  for (const auto& [described, ops] : spec_.at("paths").as_object()) {
    for (const auto& [method, op] : ops.as_object()) {
      std::string m(method);
      for (char& c : m) c = static_cast<char>(std::toupper(c));
      out.push_back(m + " " + Generic(described));
    }
  }
  return out;
}

std::vector<std::string> OpenApi::Check(std::string_view method,
                                        std::string_view path,
                                        const json::value& body) const {
  std::vector<std::string> errors;
  std::string described = FindPath(method, path);
  if (described.empty()) {
    errors.push_back("no operation describes " + std::string(method) + " " +
                     std::string(path));
    return errors;
  }
  const auto& op =
      spec_.at("paths").at(described).at(Lower(method)).as_object();
  for (const auto& [status, response] : op.at("responses").as_object()) {
    if (status.size() != 3 || status[0] != '2') continue;
    const auto* content = response.as_object().if_contains("content");
    if (!content) continue;
    const auto* media = content->as_object().if_contains("application/json");
    if (!media) continue;
    Validate(media->at("schema"), body,
             std::string(method) + " " + described + " ", errors);
    return errors;
  }
  errors.push_back(described + " describes no JSON success answer");
  return errors;
}

std::vector<std::string> OpenApi::CheckError(const json::value& body) const {
  std::vector<std::string> errors;
  Validate(spec_.at("components").at("schemas").at("Error"), body, "error ",
           errors);
  return errors;
}

void OpenApi::Validate(const json::value& schema, const json::value& value,
                       const std::string& where,
                       std::vector<std::string>& errors) const {
  const auto& s = schema.as_object();
  if (const auto* ref = s.if_contains("$ref")) {
    std::string_view name = ref->as_string();
    name.remove_prefix(std::string_view("#/components/schemas/").size());
    return Validate(spec_.at("components").at("schemas").at(name), value, where,
                    errors);
  }
  if (const auto* all = s.if_contains("allOf")) {
    for (const auto& part : all->as_array()) {
      Validate(part, value, where, errors);
    }
    return;
  }
  if (const auto* any = s.if_contains("oneOf")) {
    for (const auto& part : any->as_array()) {
      std::vector<std::string> trial;
      Validate(part, value, where, trial);
      if (trial.empty()) return;
    }
    errors.push_back(where + "matches none of its alternatives");
    return;
  }
  if (const auto* type = s.if_contains("type")) {
    bool ok = false;
    if (type->is_string()) {
      ok = HasType(value, type->as_string());
    } else {
      for (const auto& t : type->as_array())
        ok |= HasType(value, t.as_string());
    }
    if (!ok) {
      errors.push_back(where + "is " + json::serialize(value).substr(0, 60) +
                       ", not of type " + json::serialize(*type));
      return;
    }
  }
  if (const auto* allowed = s.if_contains("enum")) {
    bool ok = false;
    for (const auto& a : allowed->as_array()) ok |= a == value;
    if (!ok) {
      errors.push_back(where + json::serialize(value) + " is not one of " +
                       json::serialize(*allowed));
    }
  }
  if (value.is_object()) {
    const auto& o = value.as_object();
    if (const auto* required = s.if_contains("required")) {
      for (const auto& name : required->as_array()) {
        if (!o.contains(name.as_string())) {
          errors.push_back(where + "lacks " + std::string(name.as_string()));
        }
      }
    }
    const auto* props = s.if_contains("properties");
    for (const auto& [key, v] : o) {
      const json::value* sub =
          props ? props->as_object().if_contains(key) : nullptr;
      if (sub) {
        Validate(*sub, v, where + std::string(key) + ".", errors);
      } else if (const auto* extra = s.if_contains("additionalProperties");
                 extra && extra->is_bool() && !extra->as_bool()) {
        errors.push_back(where + "has " + std::string(key) +
                         ", which is not described");
      }
    }
  }
  if (value.is_array()) {
    if (const auto* items = s.if_contains("items")) {
      size_t i = 0;
      for (const auto& v : value.as_array()) {
        Validate(*items, v, where + "[" + std::to_string(i++) + "].", errors);
      }
    }
  }
}

}  // namespace licentia::testing
