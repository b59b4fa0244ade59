#include "integration/api_test_base.h"

#include <thread>

#include "integration/openapi_check.h"

namespace licentia::testing {

void ApiTestBase::SetUp() {
  server_ = std::make_unique<ServerProcess>(ServerArgs());
  server_->Start();
}

void ApiTestBase::TearDown() {
  if (server_ && server_->running()) {
    EXPECT_EQ(server_->Stop(), 0) << "licentiad did not shut down cleanly";
  }
}

// Every successful answer a test receives must match the API's
// description (docs/openapi.json).
static Result<json::value> Described(std::string_view method,
                                     std::string_view path,
                                     Result<json::value> r) {
  if (r.ok()) {
    for (const auto& problem : OpenApi::Get().Check(method, path, *r)) {
      ADD_FAILURE() << "docs/openapi.json: " << problem;
    }
  }
  return r;
}

Result<json::value> ApiTestBase::AdminCall(const std::string& method,
                                           const std::string& path,
                                           const json::value& body) {
  return Described(method, path, server_->Admin().Call(method, path, body));
}

Result<json::value> ApiTestBase::DeviceCall(const std::string& path,
                                            json::object body) {
  return Described("POST", path, server_->Device().Call("POST", path, body));
}

void ApiTestBase::CreateProduct(const std::string& id, json::array versions) {
  auto r = AdminCall(
      "POST", "/v1/admin/products",
      json::object{
          {"id", id}, {"name", "Product " + id}, {"versions", versions}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

std::vector<IssuedCode> ApiTestBase::IssueMany(json::object terms, int count) {
  terms["count"] = count;
  auto r = AdminCall("POST", "/v1/admin/codes", terms);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<IssuedCode> out;
  if (!r.ok()) return out;
  for (const auto& c : r->at("codes").as_array()) {
    out.push_back(
        {c.at("id").as_int64(), std::string(c.at("code").as_string())});
  }
  return out;
}

IssuedCode ApiTestBase::Issue(json::object terms) {
  auto codes = IssueMany(std::move(terms), 1);
  return codes.empty() ? IssuedCode{0, ""} : codes[0];
}

json::object ApiTestBase::Code(std::int64_t id) {
  auto r = AdminCall("GET", "/v1/admin/codes/" + std::to_string(id));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->as_object() : json::object();
}

void ApiTestBase::AdvanceDays(int days) {
  auto r = AdminCall("POST", "/v1/admin/test/clock",
                     json::object{{"advance_days", days}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

std::int64_t ApiTestBase::EventCount() {
  auto r = AdminCall("GET", "/v1/admin/events?limit=1000");
  EXPECT_TRUE(r.ok());
  return r.ok() ? static_cast<std::int64_t>(r->at("events").as_array().size())
                : -1;
}

Result<json::value> ApiTestBase::Activate(const std::string& code,
                                          const std::string& fingerprint,
                                          const std::string& app_version) {
  return DeviceCall("/v1/activate", json::object{{"code", code},
                                                 {"fingerprint", fingerprint},
                                                 {"device_name", fingerprint},
                                                 {"app_version", app_version}});
}

std::vector<Result<json::value>> ApiTestBase::ActivateConcurrently(
    const std::string& code, const std::vector<std::string>& fingerprints) {
  std::vector<Result<json::value>> answers(
      fingerprints.size(), Status(ErrorCode::kInternal, "not answered"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < fingerprints.size(); ++i) {
    threads.emplace_back(
        [&, i] { answers[i] = Activate(code, fingerprints[i]); });
  }
  for (auto& t : threads) t.join();
  return answers;
}

}  // namespace licentia::testing
