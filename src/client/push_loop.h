// The SDK's push channel: one long poll (POST /v1/wait, docs/api.md) held
// while the device is online, so a block, new terms, a released seat or a
// reserve changed elsewhere reach the device within moments instead of at
// its next interval sync.
//
// The loop knows nothing of licenses: it asks its PushTarget (the
// LicenseManager) what is due, what to wait with, and hands it the answer.
// It owns the timing: the reconnect delay after a failed wait (doubling,
// jittered, so devices do not return together after an outage), the
// version it resumes from after a reconnect, interruption, and the
// optional agent thread.
//
// Thread safety: Step() runs one at a time (a second caller waits for the
// first); Interrupt(), Start() and Stop() may be called from any thread.
// No lock of the target is held while the request waits.
#ifndef LICENTIA_CLIENT_PUSH_LOOP_H_
#define LICENTIA_CLIENT_PUSH_LOOP_H_

#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "client/api_client.h"
#include "core/mutex.h"
#include "core/status.h"
#include "licentia/license_manager.h"

namespace licentia::client {

// What a wait is made with.
// The answers after which the device no longer holds the seat it named
// (released on the server, by anyone): the state's to apply, never to be
// retried.
bool SeatGone(ErrorCode code);

struct WaitRequest {
  // code, fingerprint, activation_token: the device's credentials.
  boost::json::object credentials;
  // Seconds until the device next has work due (its license's end, a
  // retry): the wait ends by then. >= 0.
  std::int64_t seconds_until_due = 0;
};

// What the loop needs of the license manager it serves.
class PushTarget {
 public:
  virtual ~PushTarget() = default;
  // Does what is due now (as LicenseManager::Tick()).
  virtual Status RunDueWork() = 0;
  // What to wait with; nullopt when there is nothing to wait on (no
  // license on the device).
  virtual std::optional<WaitRequest> PrepareWait() = 0;
  // Applies the server's answer to a wait made with `request` (a status
  // with a version, or an error), as a sync's answer is applied. An answer
  // for credentials the device no longer holds is ignored.
  virtual Status ApplyWaitAnswer(const WaitRequest& request,
                                 const Result<boost::json::value>& answer) = 0;
  // A digest of what the license details show; it changes when they do.
  virtual std::string DetailsDigest() = 0;
};

class PushLoop {
 public:
  // `target` must outlive the loop.
  // `timeout_ms` is allowed beyond each wait's own length for its answer.
  PushLoop(PushTarget& target, std::string server_url, PushPolicy policy,
           long timeout_ms);
  ~PushLoop();  // Stop()s the agent thread
  PushLoop(const PushLoop&) = delete;
  PushLoop& operator=(const PushLoop&) = delete;

  // Does what is due, then waits for at most `max_wait` for whichever
  // comes first: a change the server reports (applied by the target), the
  // target's next due work, or Interrupt(). While waits fail it waits out
  // the reconnect delay instead of asking the server again.
  // Returns the outcome of the due work if it failed, else that of the
  // wait (kUnavailable while the server cannot be reached).
  Status Step(std::chrono::milliseconds max_wait) EXCLUDES(step_mu_);

  // Ends the Step() in progress at once, or the next one if none is
  // (after its due work). Thread-safe.
  void Interrupt() EXCLUDES(wake_mu_);

  // Runs Step() in a loop on a thread of its own until Stop().
  // `on_change`, if set, is called on that thread after each step that
  // changed what the details show. kConflict if already running.
  Status Start(std::function<void()> on_change) EXCLUDES(agent_mu_);
  // Stops the agent thread (interrupting its wait) and joins it. A no-op
  // if none runs. Must not be called from `on_change`.
  void Stop() EXCLUDES(agent_mu_);

  // Waits the server answered (changed or not) and waits that failed,
  // since the loop was made: for tests and diagnostics.
  std::uint64_t waits_answered() const { return waits_answered_.load(); }
  std::uint64_t waits_failed() const { return waits_failed_.load(); }

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  // Sleeps until `until` or an interruption. REQUIRES: step_mu_ held.
  void SleepUntil(SteadyTime until) EXCLUDES(wake_mu_);
  bool Interrupted() EXCLUDES(wake_mu_);
  // After a failure: no request before the (doubling, jittered) delay.
  void ScheduleReconnect(const Status& failure) REQUIRES(step_mu_);
  Status WaitOnServer(const WaitRequest& request, SteadyTime deadline)
      REQUIRES(step_mu_);

  PushTarget& target_;
  const PushPolicy policy_;
  const long timeout_ms_;

  Mutex step_mu_;
  ApiClient api_ GUARDED_BY(step_mu_);
  // The version of what the device holds, as the last answered wait named
  // it, and the credentials it was for: the next wait resumes from it.
  std::string version_ GUARDED_BY(step_mu_);
  std::string version_for_ GUARDED_BY(step_mu_);
  int failures_ GUARDED_BY(step_mu_) = 0;
  Status last_failure_ GUARDED_BY(step_mu_) = Status::Ok();
  SteadyTime reconnect_at_ GUARDED_BY(step_mu_);

  // Interruption: a latched flag, cleared when a Step() returns. The
  // atomic copy is what the HTTP transfer polls.
  Mutex wake_mu_;
  CondVar wake_cv_;
  bool interrupted_ GUARDED_BY(wake_mu_) = false;
  std::atomic<bool> cancel_request_{false};

  Mutex agent_mu_;
  std::thread agent_ GUARDED_BY(agent_mu_);
  std::atomic<bool> stopping_{false};

  std::atomic<std::uint64_t> waits_answered_{0};
  std::atomic<std::uint64_t> waits_failed_{0};
};

}  // namespace licentia::client

#endif  // LICENTIA_CLIENT_PUSH_LOOP_H_
