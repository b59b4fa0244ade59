#include "integration/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace licentia::testing {

WebhookReceiver::WebhookReceiver() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
          0 ||
      ::listen(listen_fd_, 16) != 0) {
    std::abort();
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stopping_ = true;
  thread_.join();
  ::close(listen_fd_);
  for (int fd : held_) ::close(fd);
}

std::vector<WebhookReceiver::Request> WebhookReceiver::received() const {
  std::lock_guard lock(mu_);
  return received_;
}

void WebhookReceiver::Serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd >= 0) Handle(fd);
  }
}

void WebhookReceiver::Handle(int fd) {
  std::string data;
  char buf[4096];
  size_t header_end = std::string::npos;
  size_t length = 0;
  // Reads the request: its headers, then Content-Length bytes of body.
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      std::string lower = data.substr(0, header_end);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      size_t at = lower.find("content-length:");
      if (at != std::string::npos) length = std::atoi(lower.c_str() + at + 15);
    }
    if (data.size() >= header_end + 4 + length) break;
  }
  if (header_end == std::string::npos) {
    ::close(fd);
    return;
  }
  Request req;
  req.body = data.substr(header_end + 4, length);
  size_t line = data.find("\r\n");
  while (line < header_end) {
    size_t next = data.find("\r\n", line + 2);
    std::string h = data.substr(line + 2, next - line - 2);
    size_t colon = h.find(':');
    if (colon != std::string::npos) {
      std::string name = h.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      size_t v = h.find_first_not_of(' ', colon + 1);
      req.headers[name] = v == std::string::npos ? "" : h.substr(v);
    }
    line = next;
  }
  int status = status_;
  {
    std::lock_guard lock(mu_);
    received_.push_back(std::move(req));
    if (status == 0) {
      held_.push_back(fd);  // no answer: the sender waits
      return;
    }
  }
  std::string answer = "HTTP/1.1 " + std::to_string(status) +
                       " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  (void)!::write(fd, answer.data(), answer.size());
  ::close(fd);
}

}  // namespace licentia::testing
