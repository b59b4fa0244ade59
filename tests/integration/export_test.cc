// Exports of codes, activations and events, streamed as CSV or JSON lines
// and filtered like the listings, against the real server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "client/http_client.h"
#include "integration/api_test_base.h"

namespace licentia::testing {
namespace {

class ExportTest : public ApiTestBase {
 protected:
  // The export's body; fails the test on another status.
  std::string Export(const std::string& path) {
    client::HttpClient http(server_->url());
    auto r = http.Send("GET", path, "", server_->admin_token());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return "";
    EXPECT_EQ(r->status, 200) << r->body;
    return r->body;
  }
  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      out.push_back(line);
    }
    return out;
  }
  // The raw response head of GET `path` (to see how it is sent).
  std::string RawHead(const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string url = server_->url();
    addr.sin_port = htons(std::stoi(url.substr(url.rfind(':') + 1)));
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
              0);
    std::string req = "GET " + path +
                      " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                      server_->admin_token() + "\r\nConnection: close\r\n\r\n";
    (void)!::write(fd, req.data(), req.size());
    std::string all;
    char buf[8192];
    for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) all.append(buf, n);
    ::close(fd);
    return all.substr(0, all.find("\r\n\r\n"));
  }
};

TEST_F(ExportTest, CodesPageByPageAsCsvAndJsonLines) {
  CreateProduct("photo");
  CreateProduct("video");
  // More than two pages of the export (1000 rows each).
  auto codes = IssueMany({{"product", "photo"}, {"max_devices", 2}}, 2100);
  Issue({{"product", "video"}});
  ASSERT_TRUE(
      AdminCall("POST",
                "/v1/admin/codes/" + std::to_string(codes[5].id) + "/block",
                json::object{{"reason", "=HYPERLINK(\"x\"), refund"}})
          .ok());
  std::string head = RawHead("/v1/admin/export/codes?product=photo");
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
  EXPECT_NE(head.find("text/csv"), std::string::npos) << head;

  auto csv = Lines(Export("/v1/admin/export/codes?product=photo"));
  ASSERT_EQ(csv.size(), 2101u);  // the header and every photo code
  EXPECT_TRUE(csv[0].starts_with("id,masked_code,product,batch_id,")) << csv[0];
  EXPECT_TRUE(csv[1].starts_with(std::to_string(codes[0].id) + ",*****-"))
      << csv[1];
  // A reason that a spreadsheet would run is quoted and defused.
  EXPECT_NE(csv[6].find(",\"'=HYPERLINK(\"\"x\"\"), refund\","),
            std::string::npos)
      << csv[6];
  for (const auto& line : csv) EXPECT_EQ(line.find("video"), std::string::npos);

  auto blocked =
      Lines(Export("/v1/admin/export/codes?format=jsonl&status=blocked"));
  ASSERT_EQ(blocked.size(), 1u);
  json::value row = json::parse(blocked[0]);
  EXPECT_EQ(row.at("id").as_int64(), codes[5].id);
  EXPECT_TRUE(row.at("blocked").as_bool());
  // No plaintext code anywhere.
  std::string all = Export("/v1/admin/export/codes?format=jsonl");
  EXPECT_EQ(all.find(codes[0].code), std::string::npos);
  EXPECT_EQ(Lines(all).size(), 2101u);
}

TEST_F(ExportTest, ActivationsAndEventsFilteredLikeTheListings) {
  CreateProduct("photo");
  IssuedCode a = Issue({{"product", "photo"}, {"max_devices", 3}});
  IssuedCode b = Issue({{"product", "photo"}});
  ASSERT_TRUE(Activate(a.code, "laptop").ok());
  ASSERT_TRUE(Activate(a.code, "desktop").ok());
  ASSERT_TRUE(Activate(b.code, "phone").ok());
  auto acts =
      Lines(Export("/v1/admin/export/activations?code=" + std::to_string(a.id) +
                   "&format=jsonl"));
  ASSERT_EQ(acts.size(), 2u);
  EXPECT_EQ(json::parse(acts[0]).at("code_id").as_int64(), a.id);
  auto csv = Lines(Export("/v1/admin/export/activations"));
  ASSERT_EQ(csv.size(), 4u);
  EXPECT_EQ(csv[0],
            "id,code_id,device,device_name,os,app_version,activated_at,"
            "last_seen_at,deactivated_at,key_serial");
  auto events =
      Lines(Export("/v1/admin/export/events?type=code.activated&format=jsonl"));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(json::parse(events[2]).at("code_id").as_int64(), b.id);
  auto event_csv = Lines(Export("/v1/admin/export/events?type=code.activated"));
  ASSERT_EQ(event_csv.size(), 4u);
  EXPECT_NE(event_csv[1].find("\"{\"\"activation_id\"\""), std::string::npos)
      << event_csv[1];
  // Nothing matches: only the header.
  EXPECT_EQ(Lines(Export("/v1/admin/export/events?type=code.renewed")).size(),
            1u);
}

TEST_F(ExportTest, BadExportRequestsAreRefused) {
  for (const char* path :
       {"/v1/admin/export/codes?format=xml", "/v1/admin/export/codes?limit=5",
        "/v1/admin/export/codes?status=lost",
        "/v1/admin/export/activations?code=x",
        "/v1/admin/export/events?type=code.exploded",
        "/v1/admin/export/events?product=Bad%20Id"}) {
    EXPECT_API_ERROR(AdminCall("GET", path), "INVALID_REQUEST");
  }
  EXPECT_API_ERROR(client::ApiClient(server_->url(), "lta_wrong")
                       .Call("GET", "/v1/admin/export/codes"),
                   "UNAUTHORIZED");
}

}  // namespace
}  // namespace licentia::testing
