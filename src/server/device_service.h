// The device-facing API: activate, deactivate, status, and the reserve code
// (pre-check, register, unregister). Each method takes the JSON request body
// and answers with the JSON response object, or an error with a stable code:
// reads return it, writes reply through `reply` once durable. Nothing
// changes when an error is returned. Thread-safe.
#ifndef LICENTIA_SERVER_DEVICE_SERVICE_H_
#define LICENTIA_SERVER_DEVICE_SERVICE_H_

#include <boost/json/object.hpp>
#include <memory>
#include <string_view>

#include "core/status.h"
#include "server/http_types.h"
#include "server/rate_limiter.h"
#include "server/reply.h"
#include "server/service_context.h"
#include "server/wait_registry.h"

namespace licentia::server {

// What a status read learnt of the seat beyond its answer
// (device_service.cc).
struct SeatSeen;

class DeviceService {
 public:
  // `per_code` limits attempts per activation code (may be disabled).
  // `waits` holds the devices waiting in Wait.
  DeviceService(ServiceContext& ctx, RateLimiter& per_code, WaitRegistry& waits)
      : ctx_(ctx), per_code_(per_code), waits_(waits) {}

  // Rules 2-5: takes a seat (or returns the device's existing seat with the
  // same expiry) and returns a signed license key.
  void Activate(std::string_view body, Reply reply);
  // Frees the seat. Only the device holding it (fingerprint + activation
  // token) can.
  void Deactivate(std::string_view body, Reply reply);
  // Blocked? expiry? reserve state? server time. Reads only.
  void LicenseStatus(std::string_view body, Reply reply);
  // The status, with the version of what the device holds, as soon as that
  // differs from the version the device names ("since"), or when its wait
  // times out (docs/api.md, POST /v1/wait). Reads only.
  // `client_gone` (may be null): the wait ends when the device closes its
  // connection, rather than at its timeout.
  void Wait(std::string_view body, std::shared_ptr<ClientGone> client_gone,
            Reply reply);
  // Rule 6 without consuming anything.
  void CheckReserve(std::string_view body, Reply reply);
  void RegisterReserve(std::string_view body, Reply reply);
  void UnregisterReserve(std::string_view body, Reply reply);
  // POST /v1/reserve/prepare: offline rollover. Verifies the device's
  // reserve as at the moment its current license ends, takes its seat, and
  // answers a key valid from that moment (docs/api.md).
  void PrepareRollover(std::string_view body, Reply reply);
  // POST /v1/admin/offline/answer: the vendor turns a device's request
  // file into its response file, with the same verification as the
  // online call the request stands for (docs/offline-files.md).
  void AnswerOfflineRequest(std::string_view body, Reply reply);
  // The server's time signed for the device's nonce (docs/api.md, POST
  // /v1/time): what a device whose clock ran ahead may trust to come back.
  Result<boost::json::object> AttestTime(std::string_view body);

 private:
  // A call ready to run: its transaction (read or write) and what makes
  // the response once the transaction has succeeded.
  struct PreparedCall {
    store::TransactionFn fn;
    ResultMaker finish;
    // If set, a refusal of this call counts against this per-code limiter
    // key (attempts that succeed do not).
    std::string charge_on_refusal;
    // If set, the call issues a license key: the transaction fills in the
    // payload; the KeySigner signs it after the commit and `finish` finds
    // the signed key here.
    std::shared_ptr<IssuedKey> key;
    // If set, a read that may record the device's contact (heartbeats)
    // before it answers.
    std::shared_ptr<SeatSeen> seen;
  };
  Reply ChargingRefusals(std::string key, Reply reply);
  Result<PreparedCall> PrepareActivate(std::string_view body);
  Result<PreparedCall> PrepareDeactivate(std::string_view body);
  Result<PreparedCall> PrepareReserve(std::string_view body, bool register_it);
  Result<PreparedCall> PrepareUnregisterReserve(std::string_view body);
  Result<PreparedCall> PrepareRolloverCall(std::string_view body);
  Result<PreparedCall> PrepareOfflineAnswer(std::string_view body);
  void Submit(Result<PreparedCall> write, Reply reply);
  Result<PreparedCall> PrepareLicenseStatus(std::string_view body);
  void SubmitRead(Result<PreparedCall> read, Reply reply);
  struct WaitState;
  // Reads the device's view; answers if it moved from `since` (or if
  // `final`), else waits for a change if `wait_if_unchanged`.
  void EvaluateWait(std::shared_ptr<WaitState> w, bool final,
                    bool wait_if_unchanged = true);
  // Answers `w` once, dropping its waiter if it still waits.
  // Records, without waiting, that the device of seat `activation_id`
  // was in contact now (heartbeats); 0: nothing to record.
  // Then runs `then` (if set), whether or not the write succeeded.
  void RecordContact(std::int64_t activation_id, std::function<void()> then);
  void AnswerWait(WaitState& w, Result<JsonBody> result);

  ServiceContext& ctx_;
  RateLimiter& per_code_;
  WaitRegistry& waits_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_DEVICE_SERVICE_H_
