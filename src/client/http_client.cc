#include "client/http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <mutex>

namespace licentia::client {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// Where a body goes: the reply, or the caller's sink for a 200 answer.
struct BodyTarget {
  CURL* curl;
  std::string* body;
  const std::function<bool(std::string_view)>* sink;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* target = static_cast<BodyTarget*>(user);
  if (*target->sink) {
    long status = 0;
    curl_easy_getinfo(target->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200) {
      // Anything but the whole piece taken makes curl abandon it.
      return (*target->sink)(std::string_view(data, size * n)) ? size * n : 0;
    }
  }
  target->body->append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  std::string_view line(data, size * n);
  constexpr std::string_view kRetry = "retry-after:";
  if (line.size() > kRetry.size()) {
    std::string lower(line.substr(0, kRetry.size()));
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    if (lower == kRetry) {
      std::string v(line.substr(kRetry.size()));
      while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
      *static_cast<std::string*>(user) = v;
    }
  }
  return size * n;
}

}  // namespace

struct HttpClient::Impl {
  std::unique_ptr<CURL, CurlDeleter> curl;
  // Drives `curl`, so that a transfer can be woken from another thread
  // (curl_multi_wakeup); the connection cache lives here.
  std::unique_ptr<CURLM, MultiDeleter> multi;

  // Runs the transfer set up on `curl` to its end. CURLE_ABORTED_BY_CALLBACK
  // when `cancel` became true.
  CURLcode Perform(const std::atomic<bool>* cancel) {
    CURLM* m = multi.get();
    if (curl_multi_add_handle(m, curl.get()) != CURLM_OK) {
      return CURLE_FAILED_INIT;
    }
    CURLcode result = CURLE_OK;
    for (;;) {
      int running = 0;
      if (curl_multi_perform(m, &running) != CURLM_OK) {
        result = CURLE_FAILED_INIT;
        break;
      }
      if (running == 0) {
        int left = 0;
        CURLMsg* msg = curl_multi_info_read(m, &left);
        result = msg && msg->msg == CURLMSG_DONE ? msg->data.result
                                                 : CURLE_FAILED_INIT;
        break;
      }
      if (cancel != nullptr && cancel->load()) {
        result = CURLE_ABORTED_BY_CALLBACK;
        break;
      }
      // Wakes on socket activity, on curl's own timers (the request's
      // timeout), on Wake(), or after a second at most.
      if (curl_multi_poll(m, nullptr, 0, 1000, nullptr) != CURLM_OK) {
        result = CURLE_FAILED_INIT;
        break;
      }
    }
    curl_multi_remove_handle(m, curl.get());
    return result;
  }
};

HttpClient::HttpClient(std::string base_url, HttpClientOptions options)
    : base_url_(std::move(base_url)),
      options_(options),
      impl_(std::make_unique<Impl>()) {
  GlobalInit();
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  impl_->curl.reset(curl_easy_init());
  impl_->multi.reset(curl_multi_init());
}

void HttpClient::Wake() {
  if (impl_->multi) curl_multi_wakeup(impl_->multi.get());
}

HttpClient::~HttpClient() = default;

Result<HttpReply> HttpClient::Send(std::string_view method,
                                   std::string_view path, std::string_view body,
                                   std::string_view bearer_token,
                                   const SendOptions& send) {
  CURL* c = impl_->curl.get();
  if (c == nullptr || impl_->multi == nullptr) {
    return Status(ErrorCode::kInternal, "libcurl could not be initialised.");
  }
  curl_easy_reset(c);
  std::string url = base_url_ + std::string(path);
  std::string m(method);
  HttpReply reply;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  add_header("Content-Type: application/json");
  add_header("Accept: application/json");
  if (!bearer_token.empty()) {
    add_header("Authorization: Bearer " + std::string(bearer_token));
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());
  if (m != "GET") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  BodyTarget target{c, &reply.body, &send.sink};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &target);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply.retry_after);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   send.total_timeout_ms > 0 ? send.total_timeout_ms
                                             : options_.total_timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = impl_->Perform(send.cancel);
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return Status(ErrorCode::kUnavailable, "The request was interrupted.");
  }
  if (rc != CURLE_OK) {
    return Status(ErrorCode::kUnavailable,
                  fmt::format("Cannot reach the license server at {} ({}).",
                              base_url_, curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace licentia::client
