// A small blocking HTTP client over libcurl, for the SDK and the CLI.
// One HttpClient owns one CURL easy handle and the multi handle that drives
// it (connections are reused between requests). It is not thread-safe: use
// one per thread. The one exception is Wake(), which any thread may call to
// end a Send() in progress early (the SDK's long poll, POST /v1/wait).
#ifndef LICENTIA_CLIENT_HTTP_CLIENT_H_
#define LICENTIA_CLIENT_HTTP_CLIENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace licentia::client {

struct HttpClientOptions {
  long connect_timeout_ms = 5000;
  long total_timeout_ms = 30000;
};

// Per-request settings.
struct SendOptions {
  // The whole request's limit; 0: HttpClientOptions::total_timeout_ms.
  long total_timeout_ms = 0;
  // Checked whenever the transfer wakes (at least once a second, and at
  // once after Wake()): when it reads true the request is abandoned with
  // kUnavailable. Not owned; may be null.
  const std::atomic<bool>* cancel = nullptr;
  // If set, the body of a 200 answer goes here piece by piece as it
  // arrives (an export too large to hold), not into HttpReply::body; a
  // false return abandons the transfer (kUnavailable). Other answers (an
  // error's JSON) still come in HttpReply::body.
  std::function<bool(std::string_view)> sink;
};

struct HttpReply {
  long status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, if any
};

class HttpClient {
 public:
  // `base_url` like "http://127.0.0.1:8470"; paths are appended to it.
  explicit HttpClient(std::string base_url, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Any HTTP status is a successful exchange. kUnavailable when the server
  // cannot be reached or does not answer in time (a network-type failure).
  Result<HttpReply> Send(std::string_view method, std::string_view path,
                         std::string_view body = {},
                         std::string_view bearer_token = {},
                         const SendOptions& send = {});

  // Makes a Send() in progress on another thread look at its
  // SendOptions::cancel flag now rather than within the second.
  // Thread-safe.
  void Wake();

  const std::string& base_url() const { return base_url_; }

 private:
  struct Impl;
  std::string base_url_;
  HttpClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace licentia::client

#endif  // LICENTIA_CLIENT_HTTP_CLIENT_H_
