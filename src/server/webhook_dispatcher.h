// Webhooks (docs/webhooks.md): every event is written, in its own
// transaction, to the outbox of each endpoint that wants its type
// (store.h, EnqueueWebhookDeliveries), so no event is lost to a crash
// between the commit and the send. The dispatcher works the outbox off on a
// thread of its own: it claims what is due (a lease, so that a dispatcher
// that dies mid-send leaves it due again, and instances sharing PostgreSQL
// never send the same one at once), POSTs it signed
// (webhook_signature.h) and records the attempt. A receiver that answers
// 2xx has it; anything else is retried with exponential backoff until
// `max_attempts`, after which the delivery is failed (the vendor can
// redeliver it). A receiver may see a delivery more than once (a crash
// after its answer, a redelivery), always with the same event id.
//
// Thread safety: Wake may be called from any thread.
#ifndef LICENTIA_SERVER_WEBHOOK_DISPATCHER_H_
#define LICENTIA_SERVER_WEBHOOK_DISPATCHER_H_

#include <chrono>
#include <thread>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/code_seal.h"
#include "core/mutex.h"
#include "store/store.h"

namespace licentia::server {

struct WebhookOptions {
  // How often the outbox is looked at when nothing wakes the dispatcher.
  std::chrono::milliseconds poll{1000};
  // Attempts before a delivery is failed: with the backoff below, about
  // two days of a receiver being down.
  int max_attempts = 15;
  // Seconds between attempts: 30 s, doubling, at most 6 h, +/- 20 %.
  BackoffPolicy backoff{
      .initial = 30, .max = 6 * 3600, .jitter = 0.2, .floor = 10};
  // A claimed delivery is due again after this long if its attempt is
  // never recorded (the dispatcher died while sending).
  UnixSeconds lease_seconds = 120;
  long timeout_ms = 10000;  // connect and answer, per attempt
  int batch = 20;           // deliveries claimed at once
};

class WebhookDispatcher {
 public:
  // Starts the thread. REQUIRES: `store`, `clock` and `seal_key` outlive
  // the dispatcher.
  WebhookDispatcher(store::Store& store, const Clock& clock,
                    const CodeSealKey& seal_key, WebhookOptions options);
  // Stops and joins the thread; an attempt under way finishes first
  // (bounded by timeout_ms).
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // Looks at the outbox now (a redelivery was asked for).
  void Wake() EXCLUDES(mu_);

 private:
  void Run() EXCLUDES(mu_);
  // Claims and sends one batch; returns how many it claimed.
  int DispatchBatch();
  void Deliver(const store::WebhookDeliveryRow& d);

  store::Store& store_;
  const Clock& clock_;
  const CodeSealKey& seal_key_;
  const WebhookOptions options_;
  Mutex mu_;
  CondVar wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool woken_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace licentia::server

#endif  // LICENTIA_SERVER_WEBHOOK_DISPATCHER_H_
