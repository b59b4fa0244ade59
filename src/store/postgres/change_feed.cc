#include "store/postgres/change_feed.h"

#include <charconv>
#include <chrono>
#include <vector>

#include "core/backoff.h"
#include "core/crypto.h"
#include "core/thread_name.h"

namespace licentia::store::postgres {
namespace {

constexpr int kPollMillis = 200;  // how soon a stop is noticed

}  // namespace

PgChangeFeed::PgChangeFeed(std::string url, ChangeListener listener)
    : url_(std::move(url)), listener_(std::move(listener)) {
  auto first = Listen();
  thread_ = std::thread(
      [this, conn = first.ok() ? std::move(*first) : nullptr]() mutable {
        SetCurrentThreadName("lic-pg-feed");
        Loop(std::move(conn));
      });
}

PgChangeFeed::~PgChangeFeed() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<PgConnection>> PgChangeFeed::Listen() const {
  LICENTIA_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(url_));
  LICENTIA_RETURN_IF_ERROR(conn->Exec("LISTEN licentia_changes"));
  return conn;
}

bool PgChangeFeed::Parse(std::string_view payload, ChangedKeys& into) {
  if (payload.size() < 2) return false;
  std::string_view rest = payload.substr(1);
  if (payload[0] == 'c') {
    std::int64_t id = 0;
    auto [end, ec] =
        std::from_chars(rest.data(), rest.data() + rest.size(), id);
    if (ec != std::errc() || end != rest.data() + rest.size()) return false;
    into.codes.push_back(id);
    return true;
  }
  if (payload[0] == 'd') {
    auto bytes = crypto::FromHex(rest);
    if (!bytes || bytes->size() != crypto::kHashBytes) return false;
    crypto::Hash device{};
    std::copy(bytes->begin(), bytes->end(), device.begin());
    into.devices.push_back(device);
    return true;
  }
  return false;
}

void PgChangeFeed::Loop(std::unique_ptr<PgConnection> conn) {
  int failures = 0;
  std::vector<std::string> payloads;
  while (!stopping_) {
    if (conn == nullptr) {
      // Wait a little (100 ms doubling to 5 s), in steps that notice a
      // stop, then try again.
      auto wait = std::chrono::microseconds(BackoffDelay(
          {.initial = 100'000, .max = 5'000'000, .jitter = 0.2}, ++failures,
          static_cast<double>(crypto::RandomUniform(1u << 20)) /
              static_cast<double>(1u << 20)));
      auto until = std::chrono::steady_clock::now() + wait;
      while (!stopping_ && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMillis));
      }
      if (stopping_) return;
      auto again = Listen();
      if (!again.ok()) continue;
      conn = std::move(*again);
      failures = 0;
      // Whatever was committed while no one listened is unknown.
      listener_(ChangedKeys{.everything = true});
      continue;
    }
    payloads.clear();
    if (!conn->WaitForNotifications(kPollMillis, payloads).ok()) {
      conn.reset();
      continue;
    }
    if (payloads.empty()) continue;
    ChangedKeys keys;
    for (const auto& p : payloads) (void)Parse(p, keys);
    if (!keys.empty()) listener_(keys);
  }
}

}  // namespace licentia::store::postgres
