#include "server/blocking_worker.h"

#include "core/thread_name.h"

namespace licentia::server {

BlockingWorker::BlockingWorker(int threads) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      SetCurrentThreadName("lic-hash");
      Run();
    });
  }
}

BlockingWorker::~BlockingWorker() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  ready_.SignalAll();
  for (std::thread& t : threads_) t.join();
}

void BlockingWorker::Post(std::function<void()> task) {
  {
    MutexLock lock(mu_);
    tasks_.push_back(std::move(task));
  }
  ready_.Signal();
}

void BlockingWorker::Run() {
  for (;;) {
    std::function<void()> task;
    {
      MutexLock lock(mu_);
      while (tasks_.empty() && !stopping_) ready_.Wait(mu_);
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace licentia::server
