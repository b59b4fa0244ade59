// Threads for work too slow for a network thread: hashing a console
// password with Argon2id takes ~60-100 ms of one core (core/password_hash.h),
// which would stall every connection on that network thread meanwhile.
//
// Tasks run in the order posted. The destructor runs the tasks still
// queued, then joins: a request waiting on one is always answered.
//
// Thread safety: Post may be called from any thread.
#ifndef LICENTIA_SERVER_BLOCKING_WORKER_H_
#define LICENTIA_SERVER_BLOCKING_WORKER_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "core/mutex.h"

namespace licentia::server {

class BlockingWorker {
 public:
  // REQUIRES: threads >= 1.
  explicit BlockingWorker(int threads);
  ~BlockingWorker();
  BlockingWorker(const BlockingWorker&) = delete;
  BlockingWorker& operator=(const BlockingWorker&) = delete;

  void Post(std::function<void()> task) EXCLUDES(mu_);

 private:
  void Run() EXCLUDES(mu_);

  Mutex mu_;
  CondVar ready_;
  std::deque<std::function<void()>> tasks_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_BLOCKING_WORKER_H_
