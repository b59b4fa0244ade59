#include "client/push_loop.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/backoff.h"
#include "core/crypto.h"

namespace licentia::client {
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

namespace {

// The agent's steps are this long at most; a step ends earlier whenever a
// wait is answered.
constexpr milliseconds kAgentStep{300000};
// A wait shorter than this is not worth a request: the step sleeps instead.
constexpr milliseconds kShortestWait{1000};
// The server's bound on timeout_seconds (docs/api.md).
constexpr std::int64_t kMaxWaitSeconds = 300;
// Work due further away than this is looked at again by then anyway.
constexpr std::int64_t kFarAhead = 86400;

std::string CredentialsKey(const json::object& credentials) {
  std::string key;
  for (const char* field : {"code", "activation_token"}) {
    const auto* v = credentials.if_contains(field);
    if (v && v->is_string()) key += v->as_string();
    key += '\n';
  }
  return key;
}

double UniformDraw() {
  return static_cast<double>(crypto::RandomUniform(1u << 30)) /
         static_cast<double>(1u << 30);
}

}  // namespace

bool SeatGone(ErrorCode code) {
  return code == ErrorCode::kNotActivated || code == ErrorCode::kSeatReleased ||
         code == ErrorCode::kHeartbeatMissed ||
         code == ErrorCode::kUnauthorized || code == ErrorCode::kCodeNotFound;
}

PushLoop::PushLoop(PushTarget& target, std::string server_url,
                   PushPolicy policy, long timeout_ms)
    : target_(target),
      policy_(policy),
      timeout_ms_(timeout_ms),
      api_(std::move(server_url), "",
           HttpClientOptions{.connect_timeout_ms = timeout_ms,
                             .total_timeout_ms = timeout_ms}) {}

PushLoop::~PushLoop() { Stop(); }

bool PushLoop::Interrupted() {
  MutexLock lock(wake_mu_);
  return interrupted_ || stopping_.load();
}

void PushLoop::SleepUntil(SteadyTime until) {
  MutexLock lock(wake_mu_);
  while (!interrupted_ && !stopping_.load()) {
    SteadyTime now = steady_clock::now();
    if (now >= until) break;
    wake_cv_.WaitFor(wake_mu_, until - now);
  }
}

// HttpClient::Wake() is the one call on the client that is safe from any
// thread; the analysis cannot know that about one method of a guarded
// member.
void PushLoop::Interrupt() NO_THREAD_SAFETY_ANALYSIS {
  {
    MutexLock lock(wake_mu_);
    interrupted_ = true;
    cancel_request_.store(true);
  }
  wake_cv_.SignalAll();
  api_.http().Wake();
}

void PushLoop::ScheduleReconnect(const Status& failure) {
  last_failure_ = failure;
  failures_ += 1;
  reconnect_at_ =
      steady_clock::now() +
      milliseconds(BackoffDelay({.initial = policy_.reconnect_initial_ms,
                                 .max = policy_.reconnect_max_ms,
                                 .jitter = policy_.reconnect_jitter},
                                failures_, UniformDraw()));
}

Status PushLoop::Step(milliseconds max_wait) {
  MutexLock lock(step_mu_);
  SteadyTime deadline = steady_clock::now() + max_wait;
  Status result = Status::Ok();
  if (steady_clock::now() < reconnect_at_) {
    // After a failure nothing is asked of the server, and no due work is
    // tried again, before the reconnect delay is over: a device whose
    // server is down does not hammer it (Check() still rolls over by
    // itself, with no gap).
    SleepUntil(std::min(deadline, reconnect_at_));
    result = last_failure_;
  } else {
    result = target_.RunDueWork();
    if (!result.ok()) ScheduleReconnect(result);
    std::optional<WaitRequest> request = target_.PrepareWait();
    SteadyTime until = deadline;
    if (request) {
      std::int64_t due =
          std::clamp<std::int64_t>(request->seconds_until_due, 0, kFarAhead);
      until = std::min(until, steady_clock::now() + seconds(due));
    }
    if (steady_clock::now() < reconnect_at_) {
      SleepUntil(std::min(deadline, reconnect_at_));
    } else if (policy_.enabled && request) {
      result = WaitOnServer(*request, until);
    } else {
      SleepUntil(until);
    }
  }
  MutexLock wake(wake_mu_);
  interrupted_ = false;
  cancel_request_.store(false);
  return result;
}

Status PushLoop::WaitOnServer(const WaitRequest& request, SteadyTime until) {
  std::string key = CredentialsKey(request.credentials);
  for (;;) {
    SteadyTime now = steady_clock::now();
    if (until - now < kShortestWait) {
      SleepUntil(until);
      return Status::Ok();
    }
    std::int64_t wait_seconds =
        std::min({policy_.wait_seconds, kMaxWaitSeconds,
                  std::chrono::duration_cast<seconds>(until - now).count()});
    json::object body = request.credentials;
    bool resuming = !version_.empty() && version_for_ == key;
    if (resuming) body["since"] = version_;
    body["timeout_seconds"] = wait_seconds;
    std::string digest = resuming ? std::string() : target_.DetailsDigest();
    Result<json::value> answer = api_.Call(
        "POST", "/v1/wait", body,
        SendOptions{.total_timeout_ms = wait_seconds * 1000 + timeout_ms_,
                    .cancel = &cancel_request_});
    if (Interrupted()) return Status::Ok();  // abandoned, not failed
    if (!answer.ok() && !SeatGone(answer.status().code())) {
      // The server cannot be reached, is shedding load, or does not offer
      // waits (an older server: NOT_FOUND): ask again after a delay. The
      // interval sync goes on meanwhile.
      waits_failed_.fetch_add(1);
      ScheduleReconnect(answer.status());
      return answer.status();
    }
    waits_answered_.fetch_add(1);
    failures_ = 0;
    last_failure_ = Status::Ok();
    version_.clear();
    if (answer.ok() && answer->is_object()) {
      const auto* v = answer->as_object().if_contains("version");
      if (v && v->is_string()) {
        version_ = std::string(v->as_string());
        version_for_ = key;
      }
    }
    Status applied = target_.ApplyWaitAnswer(request, answer);
    // A first wait (no version to resume from) is answered at once with
    // the status: if that changed nothing the device saw, the step goes on
    // to wait for a change.
    if (resuming || !applied.ok() || version_.empty() ||
        target_.DetailsDigest() != digest) {
      return applied;
    }
  }
}

Status PushLoop::Start(std::function<void()> on_change) {
  MutexLock lock(agent_mu_);
  if (agent_.joinable()) {
    return Status(ErrorCode::kConflict, "The agent is already running.");
  }
  stopping_.store(false);
  agent_ = std::thread([this, on_change = std::move(on_change)] {
    while (!stopping_.load()) {
      std::string before = on_change ? target_.DetailsDigest() : std::string();
      (void)Step(kAgentStep);
      if (on_change && !stopping_.load() && target_.DetailsDigest() != before) {
        on_change();
      }
    }
  });
  return Status::Ok();
}

void PushLoop::Stop() {
  std::thread agent;
  {
    MutexLock lock(agent_mu_);
    agent = std::move(agent_);
  }
  if (!agent.joinable()) return;
  stopping_.store(true);
  Interrupt();
  agent.join();
  // The stop's interruption was for the agent: later Step() calls of the
  // application wait as usual.
  MutexLock wake(wake_mu_);
  interrupted_ = false;
  cancel_request_.store(false);
  stopping_.store(false);
}

}  // namespace licentia::client
