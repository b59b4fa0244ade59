// The devices of bench/continuity.py: N applications running the real SDK
// (LicenseManager) on one simulated clock, against real licentiad
// instances running with --test-clock. Each device's license ends at its
// own time, with a reserve waiting; the driver moves time from one moment
// that matters to the next (a license's end, a retry the SDK scheduled),
// keeps the servers' clocks with it, and records how long each device was
// without a valid license, and why.
//
// The harness starts and stops the servers: at the outage the driver
// prints "DOWN <unix time>" and waits for a line on stdin; at its end
// "UP <unix time>" (the harness starts the server with that test clock)
// and waits again. At the end it prints one JSON object.
//
// Usage: continuity_driver --servers URL[,URL] --token T --public-key HEX
//          --devices N --state-dir DIR [--outage-minutes M]
#include <fmt/format.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "client/api_client.h"
#include "licentia/license_manager.h"

namespace {

namespace json = boost::json;
using licentia::ErrorCode;
using licentia::LicenseManager;
using licentia::LicenseState;
using licentia::ReserveState;
using licentia::UnixSeconds;

constexpr UnixSeconds kStart = 1800000000;
constexpr UnixSeconds kDay = 86400;

// What a device's reserve is like.
enum class Kind { kValid, kBlocked, kSeatsTaken };

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kValid:
      return "valid";
    case Kind::kBlocked:
      return "blocked";
    case Kind::kSeatsTaken:
      return "seats_taken";
  }
  return "?";
}

struct Device {
  std::unique_ptr<LicenseManager> sdk;
  Kind kind = Kind::kValid;
  std::size_t server = 0;  // which instance it talks to
  UnixSeconds end = 0;     // its current license's end
  std::string reserve_masked;
  bool done = false;
  // Seconds without a valid license, by cause.
  UnixSeconds network = 0;
  UnixSeconds refusal = 0;
  std::string refusal_code;
};

std::map<std::string, std::string> Args(int argc, char** argv) {
  std::map<std::string, std::string> a;
  for (int i = 1; i + 1 < argc; i += 2) a[argv[i]] = argv[i + 1];
  return a;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "continuity_driver: " << what << "\n";
  std::exit(1);
}

json::value Must(licentia::Result<json::value> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.status().ToString());
  return std::move(*r);
}

void WaitForHarness(const std::string& line) {
  std::cout << line << std::endl;
  std::string reply;
  if (!std::getline(std::cin, reply)) Die("the harness went away");
}

}  // namespace

int main(int argc, char** argv) {
  auto args = Args(argc, argv);
  std::vector<std::string> servers = Split(args["--servers"]);
  const std::string token = args["--token"];
  const int n = std::atoi(args["--devices"].c_str());
  const UnixSeconds outage =
      60 * std::atoi(args.count("--outage-minutes")
                         ? args["--outage-minutes"].c_str()
                         : "10");
  if (servers.empty() || token.empty() || n <= 0) Die("bad arguments");

  licentia::ManualClock clock(kStart);
  std::vector<std::unique_ptr<licentia::client::ApiClient>> admins;
  for (const auto& url : servers) {
    admins.push_back(std::make_unique<licentia::client::ApiClient>(url, token));
  }
  std::vector<bool> up(servers.size(), true);
  auto set_server_clocks = [&](UnixSeconds t) {
    for (std::size_t s = 0; s < servers.size(); ++s) {
      if (!up[s]) continue;
      Must(admins[s]->Call("POST", "/v1/admin/test/clock",
                           json::object{{"now", t}}),
           "setting the test clock");
    }
  };
  set_server_clocks(kStart);

  // Current licenses end between day 30 and day 89; every device has a
  // one-year reserve. One in twenty reserves is blocked by the vendor
  // after it was added, one in twenty has its only seat taken by another
  // device before the rollover.
  std::vector<Device> devices(n);
  auto issue = [&](json::object terms) {
    json::value r = Must(admins[0]->Call("POST", "/v1/admin/codes", terms),
                         "issuing codes");
    const auto& c = r.at("codes").at(0);
    return std::pair<std::string, std::int64_t>(
        std::string(c.at("code").as_string()), c.at("id").as_int64());
  };
  std::vector<std::int64_t> to_block;
  std::vector<std::string> to_take;
  for (int i = 0; i < n; ++i) {
    Device& d = devices[i];
    d.kind = i % 20 == 7    ? Kind::kBlocked
             : i % 20 == 13 ? Kind::kSeatsTaken
                            : Kind::kValid;
    // Spread so that the licenses ending on any one day use every server.
    d.server = static_cast<std::size_t>(i / 60) % servers.size();
    int term = 30 + i % 60;
    auto [current, current_id] =
        issue({{"product", "cont"}, {"term_days", term}, {"max_devices", 1}});
    auto [reserve, reserve_id] =
        issue({{"product", "cont"}, {"term_days", 365}, {"max_devices", 1}});
    licentia::ClientConfig c;
    c.server_url = servers[d.server];
    c.trusted_public_keys = {args["--public-key"]};
    c.product = "cont";
    c.app_version = "1.0";
    c.state_dir = args["--state-dir"] + "/dev" + std::to_string(i);
    c.fingerprint = "dev" + std::to_string(i);
    c.device_name = c.fingerprint;
    c.clock = &clock;
    c.timeout_ms = 3000;
    c.push.enabled = false;  // simulated time: no long polls
    auto sdk = LicenseManager::Open(std::move(c));
    if (!sdk.ok()) Die(sdk.status().ToString());
    d.sdk = std::move(*sdk);
    if (auto st = d.sdk->Activate(current); !st.ok()) Die(st.ToString());
    if (auto st = d.sdk->AddReserve(reserve); !st.ok()) Die(st.ToString());
    d.end = kStart + term * kDay;
    d.reserve_masked = d.sdk->Details().reserve.masked_code;
    if (d.kind == Kind::kBlocked) to_block.push_back(reserve_id);
    if (d.kind == Kind::kSeatsTaken) to_take.push_back(reserve);
  }
  for (std::int64_t id : to_block) {
    Must(admins[0]->Call("POST", fmt::format("/v1/admin/codes/{}/block", id),
                         json::object{{"reason", "refund"}}),
         "blocking");
  }
  licentia::client::ApiClient device_api(servers[0]);
  for (std::size_t k = 0; k < to_take.size(); ++k) {
    Must(
        device_api.Call("POST", "/v1/activate",
                        json::object{{"code", to_take[k]},
                                     {"fingerprint", fmt::format("other{}", k)},
                                     {"app_version", "1.0"}}),
        "taking a seat");
  }

  // The server (or, with two, the second) is down from day 60 for
  // `outage` seconds: the licenses ending then meet it.
  const UnixSeconds down_at = kStart + 60 * kDay - 120;
  const UnixSeconds up_at = down_at + outage;
  const std::size_t down_server = servers.size() - 1;
  bool outage_done = false;

  // Moments that matter, earliest first: (time, device).
  using Moment = std::pair<UnixSeconds, int>;
  std::priority_queue<Moment, std::vector<Moment>, std::greater<>> moments;
  for (int i = 0; i < n; ++i) moments.push({devices[i].end, i});
  // Without a valid license since (per device), and why.
  std::vector<std::optional<UnixSeconds>> without(n);
  const UnixSeconds horizon = kStart + 120 * kDay;
  UnixSeconds now = kStart;

  auto move_to = [&](UnixSeconds t) {
    if (t <= now) return;
    if (!outage_done && up[down_server] && t >= down_at) {
      clock.Set(down_at);
      now = down_at;
      set_server_clocks(down_at);
      up[down_server] = false;
      WaitForHarness(fmt::format("DOWN {}", down_at));
    }
    if (!outage_done && !up[down_server] && t >= up_at) {
      clock.Set(up_at);
      now = up_at;
      WaitForHarness(fmt::format("UP {}", up_at));
      up[down_server] = true;
      outage_done = true;
      set_server_clocks(up_at);
    }
    clock.Set(t);
    now = t;
    set_server_clocks(t);
  };

  while (!moments.empty()) {
    auto [t, i] = moments.top();
    moments.pop();
    if (t > horizon) break;
    Device& d = devices[i];
    if (d.done) continue;
    move_to(t);
    // The application checks its license, as it would on every use.
    licentia::Status st = d.sdk->Check();
    licentia::LicenseDetails det = d.sdk->Details();
    if (st.ok() && det.masked_code == d.reserve_masked) {
      if (without[i]) d.network += now - *without[i];
      d.done = true;
      continue;
    }
    if (!without[i]) without[i] = d.end;
    if (det.reserve.state == ReserveState::kRetrying &&
        det.reserve.next_retry_at) {
      moments.push({std::max(*det.reserve.next_retry_at, now + 1), i});
      continue;
    }
    // A refusal a retry cannot fix: the user must act (another code).
    d.network += now - *without[i];
    d.refusal = horizon - now;
    d.refusal_code =
        det.reserve.last_error
            ? std::string(licentia::ErrorCodeName(det.reserve.last_error->code))
            : std::string(licentia::ErrorCodeName(st.code()));
    d.done = true;
  }

  // Summaries per reserve kind and server.
  json::array rows;
  for (Kind kind : {Kind::kValid, Kind::kBlocked, Kind::kSeatsTaken}) {
    for (int hit = 0; hit < 2; ++hit) {
      int count = 0, with_gap = 0, not_done = 0;
      UnixSeconds total = 0, worst = 0, refusal_total = 0, after_back = 0;
      std::map<std::string, int> codes;
      for (const Device& d : devices) {
        bool met_outage =
            d.server == down_server && d.end >= down_at && d.end < up_at;
        if (d.kind != kind || met_outage != (hit == 1)) continue;
        ++count;
        if (!d.done) ++not_done;
        total += d.network;
        worst = std::max(worst, d.network);
        if (d.network > 0) ++with_gap;
        // Of that, the time after the server was back.
        if (met_outage) {
          after_back = std::max(after_back, d.network - (up_at - d.end));
        }
        refusal_total += d.refusal;
        if (!d.refusal_code.empty()) codes[d.refusal_code] += 1;
      }
      if (count == 0) continue;
      json::object codes_json;
      for (auto& [k, v] : codes) codes_json[k] = v;
      rows.push_back(json::object{{"reserve", KindName(kind)},
                                  {"license_ended_during_outage", hit == 1},
                                  {"devices", count},
                                  {"network_gap_devices", with_gap},
                                  {"network_gap_total_s", total},
                                  {"network_gap_worst_s", worst},
                                  {"worst_after_server_back_s", after_back},
                                  {"refused", codes_json},
                                  {"unfinished", not_done}});
    }
  }
  std::cout << json::serialize(json::object{{"outage_s", outage},
                                            {"servers", servers.size()},
                                            {"rows", rows}})
            << std::endl;
  return 0;
}
