// Rule 12: bad input of any kind gets a clear error with a stable code and
// changes nothing.
#include "client/http_client.h"
#include "integration/api_test_base.h"

namespace licentia::testing {
namespace {

class BadInputTest : public ApiTestBase {
 protected:
  void SetUp() override {
    ApiTestBase::SetUp();
    CreateProduct("photo");
    code_ = Issue({{"product", "photo"}, {"max_devices", 2}});
  }

  // Sends raw text and returns {HTTP status, error code}.
  std::pair<long, std::string> Raw(const std::string& method,
                                   const std::string& path,
                                   const std::string& body,
                                   bool admin = false) {
    client::HttpClient http(server_->url());
    auto r = http.Send(method, path, body, admin ? server_->admin_token() : "");
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return {0, ""};
    boost::system::error_code ec;
    auto v = json::parse(r->body, ec);
    std::string code;
    if (!ec && v.is_object() && v.as_object().contains("error")) {
      code = std::string(v.at("error").at("code").as_string());
      EXPECT_FALSE(v.at("error").at("message").as_string().empty());
    }
    return {r->status, code};
  }

  // Everything a bad request could have changed.
  std::string Snapshot() {
    return json::serialize(Code(code_.id)) + std::to_string(EventCount());
  }

  IssuedCode code_;
};

TEST_F(BadInputTest, MalformedJsonAndWrongTypesChangeNothing) {
  std::string before = Snapshot();
  const std::vector<std::string> bodies = {
      "",
      "{",
      "not json",
      "[]",
      "42",
      R"({"code": 12345, "fingerprint": "d", "app_version": "22.0"})",
      R"({"code": ")" + code_.code +
          R"(", "fingerprint": 7, "app_version": "22.0"})",
      R"({"code": ")" + code_.code +
          R"(", "fingerprint": "d", "app_version": 22})",
      R"({"code": ")" + code_.code +
          R"(", "fingerprint": "d", "app_version": "x.y"})",
      R"({"code": ")" + code_.code +
          R"(", "fingerprint": "", "app_version": "22.0"})",
      R"({"code": ")" + code_.code +
          R"(", "fingerprint": "d", "app_version": "22.0", "sneaky": 1})",
      R"({"code": ")" + code_.code + R"(", "fingerprint": ")" +
          std::string(500, 'f') + R"(", "app_version": "22.0"})",
      R"({"code": ")" + code_.code +
          R"(", "fingerprint": "d\u0001", "app_version": "22.0"})",
  };
  for (const auto& body : bodies) {
    auto [status, code] = Raw("POST", "/v1/activate", body);
    EXPECT_EQ(status, 400) << body;
    EXPECT_EQ(code, "INVALID_REQUEST") << body;
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, MistypedCodesAreCaughtByTheirCheckSymbols) {
  std::string before = Snapshot();
  std::string typo = code_.code;
  typo[0] = typo[0] == 'A' ? 'B' : 'A';
  std::string swapped = code_.code;
  for (size_t i = 0; i + 1 < swapped.size(); ++i) {
    if (swapped[i] != '-' && swapped[i + 1] != '-' &&
        swapped[i] != swapped[i + 1]) {
      std::swap(swapped[i], swapped[i + 1]);
      break;
    }
  }
  for (const auto& bad :
       {typo, swapped, code_.code + "X", std::string("hello")}) {
    auto r = Activate(bad, "d");
    EXPECT_API_ERROR(r, "INVALID_CODE_FORMAT");
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(BadInputTest, OversizedBodiesAreRefused) {
  std::string before = Snapshot();
  std::string huge =
      R"({"code": ")" + code_.code +
      R"(", "fingerprint": "d", "app_version": "22.0", "device_name": ")" +
      std::string(200 * 1024, 'x') + R"("})";
  auto [status, code] = Raw("POST", "/v1/activate", huge);
  EXPECT_EQ(status, 413);
  EXPECT_EQ(code, "PAYLOAD_TOO_LARGE");
  auto [admin_status, admin_code] = Raw(
      "POST", "/v1/admin/codes",
      R"({"product":"photo","note":")" + std::string(100 * 1024, 'n') + R"("})",
      true);
  EXPECT_EQ(admin_status, 413);
  EXPECT_EQ(admin_code, "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(Snapshot(), before);
  // The server is still healthy afterwards.
  EXPECT_TRUE(Activate(code_.code, "d").ok());
}

TEST_F(BadInputTest, AdminRequestsAreValidated) {
  std::string before = Snapshot();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/v1/admin/codes", R"({"product":"photo","count":0})"},
      {"/v1/admin/codes", R"({"product":"photo","count":100001})"},
      {"/v1/admin/codes", R"({"product":"photo","max_devices":-1})"},
      {"/v1/admin/codes", R"({"product":"photo","license_type":"forever"})"},
      {"/v1/admin/codes", R"({"product":"photo","term_days":"ten"})"},
      {"/v1/admin/codes", R"({"product":"photo","activate_by":"2027-02-30"})"},
      {"/v1/admin/codes", R"({"product":"photo","compatible_versions":">=x"})"},
      {"/v1/admin/codes", R"({"product":"photo","features":[1,2]})"},
      {"/v1/admin/products", R"({"id":"Bad Id!","name":"x"})"},
      {"/v1/admin/products",
       R"({"id":"ok","name":"x","versions":["1.0","1.0"]})"},
      {"/v1/admin/products", R"({"id":"ok2","name":"x","versions":["one"]})"},
  };
  for (const auto& [path, body] : cases) {
    auto [status, code] = Raw("POST", path, body, true);
    EXPECT_EQ(status, 400) << body;
    EXPECT_EQ(code, "INVALID_REQUEST") << body;
  }
  auto [status, code] =
      Raw("POST", "/v1/admin/codes", R"({"product":"nope"})", true);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(code, "NOT_FOUND");
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(
      AdminCall("GET", "/v1/admin/products")->at("products").as_array().size(),
      1u);
}

TEST_F(BadInputTest, DuplicatesAreConflictsAndChangeNothing) {
  std::string code_before = json::serialize(Code(code_.id));
  std::int64_t events_before = EventCount();
  auto [status, code] = Raw("POST", "/v1/admin/products",
                            R"({"id":"photo","name":"Again"})", true);
  EXPECT_EQ(status, 409);
  EXPECT_EQ(code, "CONFLICT");
  ASSERT_TRUE(AdminCall("POST", "/v1/admin/products/photo/versions",
                        json::object{{"version", "23.0"}})
                  .ok());
  auto [vstatus, vcode] = Raw("POST", "/v1/admin/products/photo/versions",
                              R"({"version":"23.0"})", true);
  EXPECT_EQ(vstatus, 409);
  EXPECT_EQ(vcode, "CONFLICT");
  auto [nstatus, ncode] = Raw("POST", "/v1/admin/products/nope/versions",
                              R"({"version":"1.0"})", true);
  EXPECT_EQ(nstatus, 404);
  EXPECT_EQ(ncode, "NOT_FOUND");
  auto product = AdminCall("GET", "/v1/admin/products/photo");
  ASSERT_TRUE(product.ok());
  EXPECT_EQ(product->at("name").as_string(), "Product photo");
  EXPECT_EQ(product->at("versions").as_array().size(), 3u);
  // Only the one version that was added left a trace.
  EXPECT_EQ(json::serialize(Code(code_.id)), code_before);
  EXPECT_EQ(EventCount(), events_before + 1);
}

TEST_F(BadInputTest, UnknownRoutesMethodsAndIds) {
  EXPECT_EQ(Raw("GET", "/v1/nothing", "").second, "NOT_FOUND");
  EXPECT_EQ(Raw("GET", "/v1/activate", "").second, "METHOD_NOT_ALLOWED");
  EXPECT_EQ(Raw("GET", "/v1/admin/codes/abc", "", true).second, "NOT_FOUND");
  EXPECT_EQ(Raw("GET", "/v1/admin/codes/99999", "", true).second, "NOT_FOUND");
  EXPECT_EQ(Raw("GET", "/v1/admin/codes?limit=-5", "", true).second,
            "INVALID_REQUEST");
  EXPECT_EQ(Raw("POST", "/v1/admin/codes/1/block", "{oops", true).second,
            "INVALID_REQUEST");
  EXPECT_FALSE(Code(code_.id).at("blocked").as_bool());
}

// Regression: limit=0 made the listing read past an empty page and killed
// the server (SIGSEGV): one admin request took every device's service down.
TEST_F(BadInputTest, AdminListingParametersAreValidated) {
  std::string before = Snapshot();
  for (const char* listing : {"/v1/admin/codes", "/v1/admin/events"}) {
    for (const char* query :
         {"?limit=0", "?limit=1001", "?limit=-1", "?limit=1e3", "?limit=%00",
          "?after=-1", "?after=x", "?product=BAD%20ID", "?nonsense=1",
          "?limit=99999999999999999999"}) {
      auto [status, code] = Raw("GET", std::string(listing) + query, "", true);
      EXPECT_EQ(status, 400) << listing << query;
      EXPECT_EQ(code, "INVALID_REQUEST") << listing << query;
    }
  }
  EXPECT_EQ(Raw("GET", "/v1/admin/events?type=nonsense", "", true).second,
            "INVALID_REQUEST");
  EXPECT_EQ(Raw("GET", "/v1/admin/codes?status=maybe", "", true).second,
            "INVALID_REQUEST");
  // The smallest page works, and pages on.
  auto page = AdminCall("GET", "/v1/admin/events?limit=1");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->at("events").as_array().size(), 1u);
  EXPECT_FALSE(page->at("next_after").is_null());
  auto typed = AdminCall("GET", "/v1/admin/events?type=codes.issued");
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ(typed->at("events").as_array().size(), 1u);
  EXPECT_EQ(Snapshot(), before);
  EXPECT_TRUE(Activate(code_.code, "d").ok());  // still serving
}

// Found by admin_api_fuzz: an error message quoting a percent-decoded
// parameter name that is not UTF-8 made the answer invalid JSON.
TEST_F(BadInputTest, ErrorsQuotingRawBytesAreStillJson) {
  for (const char* path :
       {"/v1/admin/codes?laaa%aaaaa=1", "/v1/admin/events?%ff%fe=1",
        "/v1/admin/products/%c3", "/v1/admin/codes?product=%e2%82"}) {
    auto [status, code] = Raw("GET", path, "", true);
    EXPECT_GE(status, 400) << path;
    EXPECT_FALSE(code.empty()) << path << ": the answer is not JSON";
  }
}

TEST_F(BadInputTest, TheTestClockNeedsTheAdminToken) {
  auto [status, code] =
      Raw("POST", "/v1/admin/test/clock", R"({"advance_days":1})");
  EXPECT_EQ(status, 401);
  EXPECT_EQ(code, "UNAUTHORIZED");
}

}  // namespace
}  // namespace licentia::testing
