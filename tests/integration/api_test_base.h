// A running licentiad plus helpers that speak its API, for integration
// tests.
#ifndef LICENTIA_TESTS_INTEGRATION_API_TEST_BASE_H_
#define LICENTIA_TESTS_INTEGRATION_API_TEST_BASE_H_

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "integration/server_process.h"

namespace licentia::testing {

namespace json = boost::json;

struct IssuedCode {
  std::int64_t id;
  std::string code;
};

class ApiTestBase : public ::testing::Test {
 protected:
  // Rate limits are off unless a test asks for them.
  virtual std::vector<std::string> ServerArgs() {
    return {"--rate-limit-ip", "0", "--rate-limit-code", "0"};
  }
  void SetUp() override;
  void TearDown() override;

  // Asserting helpers (fail the test on an unexpected error).
  void CreateProduct(const std::string& id,
                     json::array versions = {"21.0", "22.0"});
  IssuedCode Issue(json::object terms);
  std::vector<IssuedCode> IssueMany(json::object terms, int count);
  json::object Code(std::int64_t id);
  void AdvanceDays(int days);
  std::int64_t EventCount();

  // Raw calls returning the result, for asserting on errors.
  Result<json::value> Activate(const std::string& code,
                               const std::string& fingerprint,
                               const std::string& app_version = "22.0");
  // One thread per fingerprint, all at once; the answers in the same order.
  std::vector<Result<json::value>> ActivateConcurrently(
      const std::string& code, const std::vector<std::string>& fingerprints);
  Result<json::value> DeviceCall(const std::string& path, json::object body);
  Result<json::value> AdminCall(const std::string& method,
                                const std::string& path,
                                const json::value& body = nullptr);

  std::unique_ptr<ServerProcess> server_;
};

// EXPECT that `r` failed with `code`.
#define EXPECT_API_ERROR(r, code_name)                                    \
  do {                                                                    \
    auto&& _r = (r);                                                      \
    ASSERT_FALSE(_r.ok()) << "expected " << code_name << ", got success"; \
    EXPECT_EQ(ErrorCodeName(_r.status().code()), code_name)               \
        << _r.status().message();                                         \
  } while (0)

}  // namespace licentia::testing

#endif  // LICENTIA_TESTS_INTEGRATION_API_TEST_BASE_H_
