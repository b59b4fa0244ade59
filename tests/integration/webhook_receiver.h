// A webhook receiver for tests: a real HTTP listener on 127.0.0.1 that
// records each POST (headers and body) and answers with the status the
// test sets, or not at all ("hang": it holds the connection open, as a
// receiver that stalls would). Stopped when destroyed.
#ifndef LICENTIA_TESTS_INTEGRATION_WEBHOOK_RECEIVER_H_
#define LICENTIA_TESTS_INTEGRATION_WEBHOOK_RECEIVER_H_

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace licentia::testing {

class WebhookReceiver {
 public:
  struct Request {
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
  };

  WebhookReceiver();
  ~WebhookReceiver();

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hooks";
  }
  // The answer from now on: an HTTP status, or 0 to hang.
  void set_status(int status) { status_ = status; }
  // What arrived so far, in order.
  std::vector<Request> received() const;

 private:
  void Serve();
  void Handle(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> status_{200};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<Request> received_;
  std::vector<int> held_;  // hung connections, closed at the end
  std::thread thread_;
};

}  // namespace licentia::testing

#endif  // LICENTIA_TESTS_INTEGRATION_WEBHOOK_RECEIVER_H_
