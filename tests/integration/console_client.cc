#include "integration/console_client.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <memory>

#include "integration/openapi_check.h"

namespace licentia::testing {
namespace json = boost::json;

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t KeepHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  auto* answer = static_cast<ConsoleAnswer*>(out);
  auto value = [&](std::string_view name) -> std::optional<std::string> {
    if (line.size() < name.size() ||
        strncasecmp(line.data(), name.data(), name.size()) != 0) {
      return std::nullopt;
    }
    std::string v = line.substr(name.size());
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
    return v;
  };
  if (auto v = value("Set-Cookie: ")) answer->set_cookies.push_back(*v);
  if (auto v = value("Retry-After: ")) answer->retry_after = *v;
  return size * n;
}

}  // namespace

std::string ConsoleAnswer::error() const {
  if (!body.is_object()) return "";
  const auto* e = body.as_object().if_contains("error");
  if (!e || !e->is_object()) return "";
  return std::string(e->as_object().at("code").as_string());
}

ConsoleAnswer ConsoleClient::Call(const std::string& method,
                                  const std::string& path,
                                  const std::string& body) {
  ConsoleAnswer answer;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  std::string url = base_ + path, text;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method != "GET") {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(body.size()));
  }
  curl_slist* raw =
      curl_slist_append(nullptr, "Content-Type: application/json");
  if (!session.empty()) {
    raw =
        curl_slist_append(raw, ("Cookie: licentia_session=" + session).c_str());
  }
  if (!csrf.empty()) {
    raw = curl_slist_append(raw, ("X-Licentia-CSRF: " + csrf).c_str());
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &text);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, KeepHeader);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &answer);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  if (curl_easy_perform(curl.get()) != CURLE_OK) return answer;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (!ec) answer.body = std::move(v);
  // Every answer of the console's API must match its description
  // (docs/openapi.json): a success its operation's, an error the shared
  // error schema. The console's own files are not JSON.
  if (path.starts_with("/console/api/") && answer.status > 0) {
    const OpenApi& api = OpenApi::Get();
    std::string p = path.substr(0, path.find('?'));
    bool known = !api.FindPath(method, p).empty();
    auto problems = answer.status < 300 ? api.Check(method, p, answer.body)
                    : known || answer.status == 404 || answer.status == 405
                        ? api.CheckError(answer.body)
                        : std::vector<std::string>{};
    for (const auto& problem : problems) {
      ADD_FAILURE() << "docs/openapi.json: " << problem;
    }
  }
  KeepSession(answer);
  return answer;
}

ConsoleAnswer ConsoleClient::Post(const std::string& path,
                                  const json::value& body) {
  return Call("POST", path, json::serialize(body));
}

void ConsoleClient::KeepSession(const ConsoleAnswer& a) {
  const std::string prefix = "licentia_session=";
  for (const std::string& c : a.set_cookies) {
    if (c.rfind(prefix, 0) != 0) continue;
    session = c.substr(prefix.size(), c.find(';') - prefix.size());
  }
}

ConsoleAnswer ConsoleClient::SignUp(const std::string& email,
                                    const std::string& password) {
  if (csrf.empty()) csrf = "signup";
  ConsoleAnswer a =
      Post("/console/api/signup",
           json::object{{"email", email}, {"password", password}});
  if (a.status == 201) {
    csrf = std::string(a.body.at("csrf_token").as_string());
  }
  return a;
}

ConsoleAnswer ConsoleClient::SignIn(const std::string& email,
                                    const std::string& password) {
  if (csrf.empty()) csrf = "signin";
  ConsoleAnswer a =
      Post("/console/api/signin",
           json::object{{"email", email}, {"password", password}});
  if (a.status == 200) {
    csrf = std::string(a.body.at("csrf_token").as_string());
  }
  return a;
}

}  // namespace licentia::testing
