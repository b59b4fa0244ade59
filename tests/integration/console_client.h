// A browser's view of the console API for integration tests: one cookie
// jar (the session cookie only), the CSRF header, and the raw answers, so
// that a test can replay another session's requests or forge its own.
#ifndef LICENTIA_TESTS_INTEGRATION_CONSOLE_CLIENT_H_
#define LICENTIA_TESTS_INTEGRATION_CONSOLE_CLIENT_H_

#include <boost/json.hpp>
#include <string>
#include <vector>

namespace licentia::testing {

struct ConsoleAnswer {
  long status = 0;
  boost::json::value body;  // null if the body is not JSON
  std::vector<std::string> set_cookies;
  std::string retry_after;

  // The error code of an error answer, or "".
  std::string error() const;
};

class ConsoleClient {
 public:
  explicit ConsoleClient(std::string base_url) : base_(std::move(base_url)) {}

  // Sends a request with this client's session cookie and CSRF token (each
  // if set); a Set-Cookie answer replaces the session cookie.
  ConsoleAnswer Call(const std::string& method, const std::string& path,
                     const std::string& body = "");
  ConsoleAnswer Post(const std::string& path, const boost::json::value& body);
  ConsoleAnswer Get(const std::string& path) { return Call("GET", path); }

  // Signs up or in and keeps the session and its CSRF token.
  ConsoleAnswer SignUp(const std::string& email, const std::string& password);
  ConsoleAnswer SignIn(const std::string& email, const std::string& password);

  std::string session;  // the licentia_session cookie's value, or ""
  std::string csrf;     // sent as X-Licentia-CSRF unless empty

 private:
  void KeepSession(const ConsoleAnswer& a);
  std::string base_;
};

}  // namespace licentia::testing

#endif  // LICENTIA_TESTS_INTEGRATION_CONSOLE_CLIENT_H_
