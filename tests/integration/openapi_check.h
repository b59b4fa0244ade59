// The API's description (docs/openapi.json) held against the real server:
// every route it serves is described, and every successful answer the
// integration tests receive validates against its operation's schema.
//
// The schema check covers the JSON Schema the description uses: $ref,
// allOf, oneOf (as any of), type (one or a list), enum, properties,
// required, additionalProperties false, items.
#ifndef LICENTIA_TESTS_INTEGRATION_OPENAPI_CHECK_H_
#define LICENTIA_TESTS_INTEGRATION_OPENAPI_CHECK_H_

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace licentia::testing {

class OpenApi {
 public:
  // docs/openapi.json, read once.
  static const OpenApi& Get();

  // The described path (e.g. "/v1/admin/codes/{code}") that `path` is an
  // instance of for `method`, preferring literal segments; "" if none.
  std::string FindPath(std::string_view method, std::string_view path) const;
  // Whether `pattern` ("/v1/admin/codes/{}", a captured segment as {}) is
  // described for `method`.
  bool Describes(std::string_view method, std::string_view pattern) const;
  // Every described operation, "METHOD /path" with {} for parameters.
  std::vector<std::string> Operations() const;
  // What is wrong with `body` as the success answer of `method` `path`
  // (the query string is ignored); empty when it validates.
  std::vector<std::string> Check(std::string_view method, std::string_view path,
                                 const boost::json::value& body) const;
  // What is wrong with `body` as an error answer (the shared Error
  // schema); empty when it validates.
  std::vector<std::string> CheckError(const boost::json::value& body) const;

 private:
  explicit OpenApi(boost::json::value spec) : spec_(std::move(spec)) {}
  void Validate(const boost::json::value& schema,
                const boost::json::value& value, const std::string& where,
                std::vector<std::string>& errors) const;

  boost::json::value spec_;
};

}  // namespace licentia::testing

#endif  // LICENTIA_TESTS_INTEGRATION_OPENAPI_CHECK_H_
