#include "server/webhook_dispatcher.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sodium.h>

#include <memory>

#include "core/thread_name.h"
#include "server/webhook_signature.h"

namespace licentia::server {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// The receiver's answer is not kept: only its status counts.
size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

// What one attempt got: the receiver's status, or why there was none.
struct Attempt {
  std::optional<std::int64_t> status;
  std::string error;
};

Attempt Post(const std::string& url, const std::string& body,
             const std::string& signature, const store::WebhookDeliveryRow& d,
             long timeout_ms) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return {std::nullopt, "could not start an HTTP request"};
  curl_slist* raw = nullptr;
  for (const std::string& h :
       {std::string("Content-Type: application/json"),
        fmt::format("{}: {}", kWebhookSignatureHeader, signature),
        fmt::format("Licentia-Event: {}", d.event_type),
        fmt::format("Licentia-Delivery: {}", d.id),
        std::string("User-Agent: licentiad-webhooks/1")}) {
    raw = curl_slist_append(raw, h.c_str());
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Discard);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return {std::nullopt, curl_easy_strerror(rc)};
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return {status, ""};
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(store::Store& store, const Clock& clock,
                                     const CodeSealKey& seal_key,
                                     WebhookOptions options)
    : store_(store), clock_(clock), seal_key_(seal_key), options_(options) {
  // Before the thread: libcurl's global set-up is made once per process.
  static const CURLcode kCurlReady = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)kCurlReady;
  thread_ = std::thread([this] { Run(); });
}

WebhookDispatcher::~WebhookDispatcher() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.SignalAll();
  thread_.join();
}

void WebhookDispatcher::Wake() {
  {
    MutexLock lock(mu_);
    woken_ = true;
  }
  wake_.SignalAll();
}

void WebhookDispatcher::Run() {
  SetCurrentThreadName("lic-webhooks");
  MutexLock lock(mu_);
  while (!stopping_) {
    woken_ = false;
    lock.Unlock();
    // A full batch: there may be more due at once.
    while (DispatchBatch() == options_.batch) {
    }
    lock.Lock();
    if (!stopping_ && !woken_) (void)wake_.WaitFor(mu_, options_.poll);
  }
}

int WebhookDispatcher::DispatchBatch() {
  std::vector<store::WebhookDeliveryRow> due;
  UnixSeconds now = clock_.Now();
  Status st = store_.Write([&](store::Transaction& txn) -> Status {
    LICENTIA_ASSIGN_OR_RETURN(
        due, txn.ClaimDueDeliveries(now, now + options_.lease_seconds,
                                    options_.batch));
    return Status::Ok();
  });
  if (!st.ok()) return 0;  // looked at again at the next poll
  for (const auto& d : due) {
    {
      MutexLock lock(mu_);
      if (stopping_) return 0;  // the lease brings them back
    }
    Deliver(d);
  }
  return static_cast<int>(due.size());
}

void WebhookDispatcher::Deliver(const store::WebhookDeliveryRow& d) {
  Attempt attempt;
  Result<std::string> secret =
      OpenSealedSecret(seal_key_, "webhook", d.endpoint_id, d.sealed_secret);
  bool permanent = !secret.ok();
  if (permanent) {
    attempt.error =
        "the endpoint's secret cannot be opened with this "
        "server's code-seal.key";
  } else {
    UnixSeconds sent_at = clock_.Now();
    attempt = Post(d.url, d.payload, SignWebhook(*secret, sent_at, d.payload),
                   d, options_.timeout_ms);
  }
  UnixSeconds at = clock_.Now();
  bool delivered =
      attempt.status && *attempt.status >= 200 && *attempt.status < 300;
  int attempts = d.attempts + 1;
  store::DeliveryState state = delivered ? store::DeliveryState::kDelivered
                               : permanent || attempts >= options_.max_attempts
                                   ? store::DeliveryState::kFailed
                                   : store::DeliveryState::kPending;
  UnixSeconds next =
      at + BackoffDelay(options_.backoff, attempts,
                        randombytes_uniform(1000001) / 1000000.0);
  if (!delivered && attempt.error.empty()) {
    attempt.error = fmt::format("the receiver answered {}", *attempt.status);
  }
  // A failure to record leaves the lease to bring the delivery back.
  (void)store_.Write([&](store::Transaction& txn) {
    return txn.RecordDeliveryAttempt(d.id, state, at, next, attempt.status,
                                     attempt.error);
  });
}

}  // namespace licentia::server
