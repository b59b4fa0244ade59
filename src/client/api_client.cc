#include "client/api_client.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace licentia::client {
namespace json = boost::json;

namespace {

// The error an answer other than 2xx stands for: its stable code and
// message when the body is the API's error object.
Status ErrorOf(const HttpReply& reply) {
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  if (!ec && v.is_object()) {
    const auto* err = v.as_object().if_contains("error");
    if (err && err->is_object()) {
      const auto* code = err->as_object().if_contains("code");
      const auto* msg = err->as_object().if_contains("message");
      if (code && code->is_string() && msg && msg->is_string()) {
        auto parsed = ErrorCodeFromName(code->as_string());
        return Status(parsed.value_or(ErrorCode::kInternal),
                      std::string(msg->as_string()));
      }
    }
  }
  if (reply.status >= 500) {
    return Status(
        ErrorCode::kUnavailable,
        fmt::format("The license server answered HTTP {}.", reply.status));
  }
  return Status(
      ErrorCode::kInternal,
      fmt::format("Unexpected HTTP {} from the server.", reply.status));
}

}  // namespace

Result<json::value> ApiClient::Call(std::string_view method,
                                    std::string_view path,
                                    const json::value& body,
                                    const SendOptions& send) {
  std::string text = body.is_null() ? std::string() : json::serialize(body);
  LICENTIA_ASSIGN_OR_RETURN(HttpReply reply,
                            http_.Send(method, path, text, token_, send));
  if (reply.status < 200 || reply.status >= 300) return ErrorOf(reply);
  boost::system::error_code ec;
  json::value v = json::parse(reply.body, ec);
  if (ec) {
    return Status(ErrorCode::kInternal,
                  "The server's reply is not valid JSON.");
  }
  return v;
}

Status ApiClient::Download(std::string_view path,
                           std::function<bool(std::string_view)> sink,
                           long total_timeout_ms) {
  SendOptions send;
  send.sink = std::move(sink);
  send.total_timeout_ms = total_timeout_ms;
  LICENTIA_ASSIGN_OR_RETURN(HttpReply reply,
                            http_.Send("GET", path, "", token_, send));
  if (reply.status != 200) return ErrorOf(reply);
  return Status::Ok();
}

}  // namespace licentia::client
