// Must NOT compile under the "thread-safety" check (scripts/test.sh): it
// touches guarded state without its lock. If it ever compiles, the
// annotations have stopped checking anything.
#include "core/mutex.h"

namespace {

class Counter {
 public:
  void Increment() { ++count_; }  // the error: mu_ is not held

 private:
  licentia::Mutex mu_;
  int count_ GUARDED_BY(mu_) = 0;
};

}  // namespace

int main() {
  Counter c;
  c.Increment();
}
