// JSON calls to licentiad: sends a JSON body, returns the JSON reply, and
// turns the server's error replies back into a Status with the server's
// stable error code and message. Not thread-safe (one per thread).
#ifndef LICENTIA_CLIENT_API_CLIENT_H_
#define LICENTIA_CLIENT_API_CLIENT_H_

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "client/http_client.h"
#include "core/status.h"

namespace licentia::client {

class ApiClient {
 public:
  explicit ApiClient(std::string base_url, std::string bearer_token = {},
                     HttpClientOptions options = {})
      : http_(std::move(base_url), options), token_(std::move(bearer_token)) {}

  // kUnavailable for network failures; the server's error code for error
  // replies; kInternal for a reply that is not the JSON the API promises.
  Result<boost::json::value> Call(std::string_view method,
                                  std::string_view path,
                                  const boost::json::value& body = nullptr,
                                  const SendOptions& send = {});

  // GET `path` and hand the body of its 200 answer to `sink` as it
  // arrives (an export); errors as Call's. The transfer may take up to
  // `total_timeout_ms`.
  Status Download(std::string_view path,
                  std::function<bool(std::string_view)> sink,
                  long total_timeout_ms);

  HttpClient& http() { return http_; }

 private:
  HttpClient http_;
  std::string token_;
};

}  // namespace licentia::client

#endif  // LICENTIA_CLIENT_API_CLIENT_H_
