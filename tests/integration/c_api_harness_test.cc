// Runs the plain C program (tests/c_api/c_api_test.c) against a real server.
#include "integration/api_test_base.h"
#include "integration/console_client.h"

namespace licentia::testing {
namespace {

class CApiTest : public ApiTestBase {};

TEST_F(CApiTest, PlainCProgramPassesAgainstARealServer) {
  CreateProduct("photo");
  IssuedCode code = Issue({{"product", "photo"}, {"term_days", 30}});
  IssuedCode reserve = Issue({{"product", "photo"}, {"term_days", 365}});
  std::string state = (server_->data_dir().parent_path() / "c-state").string();
  // An account whose console shows a connection code for the program.
  ConsoleClient console(server_->url());
  ASSERT_EQ(console.SignUp("c@example.com", "correct horse battery").status,
            201);
  ConsoleAnswer connect =
      console.Post("/console/api/connect-codes", json::object{});
  ASSERT_EQ(connect.status, 201);
  auto r = RunCommand(
      {C_API_TEST_PATH},
      {"LICENTIA_TEST_SERVER=" + server_->url(),
       "LICENTIA_TEST_KEY=" + server_->public_key_hex(),
       "LICENTIA_TEST_STATE_DIR=" + state, "LICENTIA_TEST_CODE=" + code.code,
       "LICENTIA_TEST_RESERVE=" + reserve.code,
       "LICENTIA_TEST_ADMIN_TOKEN=" + server_->admin_token(),
       "LICENTIA_TEST_RESERVE_ID=" + std::to_string(reserve.id),
       "LICENTIA_TEST_CONNECT_CODE=" +
           std::string(connect.body.at("code").as_string())});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(" 0 failed"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(" 0 passed"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace licentia::testing
