#include "cli/device_commands.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/exit_codes.h"
#include "cli/private_output_file.h"
#include "client/details_json.h"
#include "core/offline_request.h"
#include "licentia/license_manager.h"

namespace licentia::cli {
namespace json = boost::json;
namespace {

struct DeviceOptions {
  std::string product;
  std::string app_version;
  std::string state_dir;
  std::vector<std::string> public_keys;
  std::string public_key_file;
  std::string fingerprint;
};

std::string Env(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// A device clock fixed by LICENTIA_DEVICE_TIME (Unix seconds): for tests and
// the demo, which move time without waiting. Unset, the real clock is used.
const Clock* DeviceClock() {
  static std::unique_ptr<ManualClock> fixed;
  std::string t = Env("LICENTIA_DEVICE_TIME");
  if (t.empty()) return nullptr;
  fixed = std::make_unique<ManualClock>(std::strtoll(t.c_str(), nullptr, 10));
  return fixed.get();
}

std::string When(std::optional<UnixSeconds> t) {
  return t ? FormatTimestamp(*t).substr(0, 10) : std::string("-");
}

// "1 device", "3 devices".
std::string Count(long n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

void PrintDetails(const LicenseDetails& d) {
  std::string status;
  switch (d.state) {
    case LicenseState::kNone:
      status = "No license";
      break;
    case LicenseState::kActive:
      status = "Active";
      break;
    case LicenseState::kExpired:
      status = "Expired";
      break;
    case LicenseState::kBlocked:
      status = "BLOCKED";
      break;
    case LicenseState::kGrace:
      status = "Renewal due (grace period)";
      break;
    case LicenseState::kSuspended:
      status = "SUSPENDED";
      break;
  }
  fmt::print("License details\n");
  fmt::print("  Activation code   {}\n",
             d.masked_code.empty() ? "-" : d.masked_code);
  fmt::print("  Status            {}\n", status);
  if (d.state != LicenseState::kNone) {
    fmt::print("  Product           {} ({}, {})\n", d.product, d.edition,
               d.license_type);
    fmt::print("  Expires           {}{}\n", When(d.expires_at),
               d.days_left
                   ? fmt::format(" ({} left)", Count(*d.days_left, "day"))
                   : "");
    if (d.grace_until) {
      fmt::print("  Grace until       {}\n", When(d.grace_until));
    }
    fmt::print("  Devices           {} of {} in use\n", d.seats_used,
               d.max_devices);
  }
  if (d.reserve.state == ReserveState::kNone) {
    fmt::print("  Reserve code      none\n");
  } else {
    std::string rs;
    switch (d.reserve.state) {
      case ReserveState::kWaiting:
        rs = d.state == LicenseState::kBlocked
                 ? "waiting: press Activate now to switch to it"
                 : "waiting: activates when the current license ends";
        break;
      case ReserveState::kRetrying:
        rs = fmt::format("activation failed, retrying automatically at {}",
                         d.reserve.next_retry_at
                             ? FormatTimestamp(*d.reserve.next_retry_at)
                             : std::string("-"));
        break;
      case ReserveState::kFailed:
        rs = "activation failed";
        break;
      default:
        break;
    }
    fmt::print("  Reserve code      {} ({}, {}, {}{})\n", d.reserve.masked_code,
               d.reserve.license_type, Count(d.reserve.term_days, "day"),
               Count(d.reserve.max_devices, "device"),
               d.reserve.expires_at ? ", expires " + When(d.reserve.expires_at)
                                    : std::string());
    fmt::print("                    {}\n", rs);
    if (d.reserve.prepared_from) {
      fmt::print(
          "                    prepared: takes over on {} even "
          "without a network\n",
          FormatTimestamp(*d.reserve.prepared_from));
    }
    if (d.reserve.last_error) {
      fmt::print("                    why: {}\n",
                 d.reserve.last_error->message);
      fmt::print("                    what to do: {}\n",
                 d.reserve.last_error->what_to_do);
    }
  }
  if (d.last_error) {
    fmt::print("  Last error        {} [{}]\n", d.last_error->message,
               ErrorCodeName(d.last_error->code));
    fmt::print("  What to do        {}\n", d.last_error->what_to_do);
  }
  fmt::print("  Last sync         {}\n", d.last_sync
                                             ? FormatTimestamp(*d.last_sync)
                                             : std::string("never"));
  fmt::print("  Console account   {}\n", d.connected_account.empty()
                                             ? std::string("not connected")
                                             : d.connected_account);
}

class Device {
 public:
  // Shares ownership of the options: CLI11 writes into them while parsing
  // and the command reads them afterwards.
  Device(GlobalOptions& g, std::shared_ptr<DeviceOptions> o)
      : g_(g), opts_(std::move(o)), o_(*opts_) {}

  Result<LicenseManager*> Manager() {
    if (manager_) return manager_.get();
    ClientConfig c;
    c.server_url = g_.server;
    c.product = o_.product.empty() ? Env("LICENTIA_PRODUCT") : o_.product;
    c.app_version =
        o_.app_version.empty() ? Env("LICENTIA_APP_VERSION") : o_.app_version;
    c.state_dir = o_.state_dir.empty()
                      ? Env("LICENTIA_STATE_DIR",
                            Env("HOME", ".") + "/.local/share/licentia")
                      : o_.state_dir;
    c.fingerprint =
        o_.fingerprint.empty() ? Env("LICENTIA_FINGERPRINT") : o_.fingerprint;
    c.trusted_public_keys = o_.public_keys;
    if (std::string k = Env("LICENTIA_PUBLIC_KEY"); !k.empty()) {
      c.trusted_public_keys.push_back(k);
    }
    if (!o_.public_key_file.empty()) {
      std::ifstream in(o_.public_key_file);
      std::string k;
      if (!(in >> k)) {
        return Status(ErrorCode::kInvalidRequest,
                      "Cannot read the public key file " + o_.public_key_file);
      }
      c.trusted_public_keys.push_back(k);
    }
    c.clock = DeviceClock();
    c.timeout_ms = 10000;
    LICENTIA_ASSIGN_OR_RETURN(manager_, LicenseManager::Open(std::move(c)));
    return manager_.get();
  }

  // Runs `op`, then prints the outcome and (for humans) the details.
  int Run(const std::function<Status(LicenseManager&)>& op,
          std::string_view done_message, bool show_details = true) {
    auto m = Manager();
    if (!m.ok()) return Report(m.status(), nullptr);
    Status st = op(**m);
    if (!st.ok()) return Report(st, *m);
    if (g_.json) {
      json::object out = client::DetailsToJson((*m)->Details());
      std::cout << json::serialize(
                       json::object{{"ok", true}, {"details", std::move(out)}})
                << "\n";
    } else {
      if (!done_message.empty()) fmt::print("{}\n", done_message);
      if (show_details) PrintDetails((*m)->Details());
    }
    return kExitOk;
  }

  int Report(const Status& st, LicenseManager* m) {
    json::object extra{{"ok", false}};
    if (m && g_.json) extra["details"] = client::DetailsToJson(m->Details());
    int rc = ReportError(st, g_.json, std::move(extra));
    if (m && !g_.json) PrintDetails(m->Details());
    return rc;
  }

  GlobalOptions& g_;
  std::shared_ptr<DeviceOptions> opts_;
  DeviceOptions& o_;

 private:
  std::unique_ptr<LicenseManager> manager_;
};

volatile std::sig_atomic_t stop_agent = 0;

}  // namespace

std::function<int()> AddDeviceCommands(CLI::App& app, GlobalOptions& global) {
  auto opts = std::make_shared<DeviceOptions>();
  auto device = std::make_shared<Device>(global, opts);
  auto run = std::make_shared<std::function<int()>>();

  auto add_device_options = [opts](CLI::App* cmd) {
    cmd->add_option("--product", opts->product,
                    "Product id (env LICENTIA_PRODUCT)");
    cmd->add_option("--app-version", opts->app_version,
                    "Installed application version (env LICENTIA_APP_VERSION)");
    cmd->add_option("--state-dir", opts->state_dir,
                    "Where the license state is kept (env LICENTIA_STATE_DIR)");
    cmd->add_option("--public-key", opts->public_keys,
                    "Trusted server public key, hex (env LICENTIA_PUBLIC_KEY)");
    cmd->add_option("--public-key-file", opts->public_key_file,
                    "File holding the server's public key (signing.pub)");
    cmd->add_option(
        "--fingerprint", opts->fingerprint,
        "Override the device fingerprint (env LICENTIA_FINGERPRINT)");
  };
  auto simple = [&](const char* name, const char* help,
                    std::function<Status(LicenseManager&)> op,
                    std::string done) {
    CLI::App* cmd = app.add_subcommand(name, help);
    add_device_options(cmd);
    cmd->callback([=] { *run = [=] { return device->Run(op, done); }; });
    return cmd;
  };

  simple(
      "details", "Show the license details",
      [](LicenseManager&) { return Status::Ok(); }, "");
  simple(
      "sync", "Ask the server for the license's state now",
      [](LicenseManager& m) { return m.Sync(); }, "Synchronised.");
  simple(
      "try-again", "Retry a failed switch to the reserve code",
      [](LicenseManager& m) { return m.TryAgain(); },
      "The reserve code is now the current license.");
  simple(
      "activate-now", "Switch to the reserve code now (e.g. when blocked)",
      [](LicenseManager& m) { return m.ActivateNow(); },
      "The reserve code is now the current license.");
  simple(
      "remove-key",
      "Remove the license key from this device (the reserve takes over)",
      [](LicenseManager& m) { return m.RemoveLicenseKey(); },
      "The license key was removed from this device.");

  {
    auto code = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "connect",
        "Connect this device to a management console account with the "
        "connection code the console shows");
    add_device_options(cmd);
    cmd->add_option("connect_code", *code, "XXXX-XXXX, from the console")
        ->required();
    cmd->callback([=] {
      *run = [=] {
        return device->Run(
            [code](LicenseManager& m) { return m.Connect(*code).status(); },
            "Connected to the management console account.");
      };
    });
  }
  simple(
      "disconnect", "Disconnect this device from its console account",
      [](LicenseManager& m) { return m.Disconnect(); },
      "Disconnected from the management console account.");

  // Writes an offline request to `path` (docs/offline-files.md).
  auto write_request =
      [device](const std::string& path,
               const std::function<Result<std::string>(LicenseManager&)>& make)
      -> int {
    auto m = device->Manager();
    if (!m.ok()) return device->Report(m.status(), nullptr);
    auto text = make(**m);
    if (!text.ok()) return device->Report(text.status(), *m);
    PrivateOutputFile file;
    Status st = file.Create(path);
    if (st.ok()) {
      file.stream() << *text << "\n";
      st = file.Finish();
    }
    if (!st.ok()) return device->Report(st, *m);
    if (device->g_.json) {
      std::cout << json::serialize(
                       json::object{{"ok", true}, {"request_file", path}})
                << "\n";
    } else {
      fmt::print(
          "Wrote the request to {}. Send it to the vendor, then import "
          "their answer with: licentia import-response FILE\n",
          path);
    }
    return kExitOk;
  };
  {
    auto code = std::make_shared<std::string>();
    auto request_file = std::make_shared<std::string>();
    CLI::App* cmd =
        app.add_subcommand("activate", "Activate a code on this device");
    add_device_options(cmd);
    cmd->add_option("code", *code, "XXXXX-XXXXX-XXXXX-XXXXX")->required();
    cmd->add_option("--request-file", *request_file,
                    "No network: write an activation request to this file "
                    "for the vendor instead");
    cmd->callback([=] {
      *run = [=] {
        if (!request_file->empty()) {
          return write_request(*request_file, [code](LicenseManager& m) {
            return m.OfflineActivationRequest(*code);
          });
        }
        return device->Run(
            [code](LicenseManager& m) { return m.Activate(*code); },
            "Activated.");
      };
    });
  }
  {
    auto request_file = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "release-by-file",
        "No network: remove the license key and write the request that "
        "frees its seat, for the vendor");
    add_device_options(cmd);
    cmd->add_option("request_file", *request_file, "Where to write it")
        ->required();
    cmd->callback([=] {
      *run = [=] {
        return write_request(*request_file, [](LicenseManager& m) {
          return m.OfflineDeactivationRequest();
        });
      };
    });
  }
  {
    auto response_file = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "import-response", "Import the vendor's answer to a request file");
    add_device_options(cmd);
    cmd->add_option("response_file", *response_file, "The vendor's answer")
        ->required();
    cmd->callback([=] {
      *run = [=] {
        auto text = ReadSmallFile(*response_file, kMaxOfflineFileBytes);
        if (!text.ok()) return device->Report(text.status(), nullptr);
        return device->Run(
            [t = *text](LicenseManager& m) {
              return m.ImportOfflineResponse(t);
            },
            "Imported.");
      };
    });
  }
  {
    CLI::App* reserve =
        app.add_subcommand("reserve", "The reserve activation code");
    reserve->require_subcommand(1);
    auto code = std::make_shared<std::string>();
    auto request_file = std::make_shared<std::string>();
    CLI::App* add = reserve->add_subcommand("add", "Add a reserve code");
    add_device_options(add);
    add->add_option("code", *code, "XXXXX-XXXXX-XXXXX-XXXXX")->required();
    add->add_option("--request-file", *request_file,
                    "No network: write the request to this file for the "
                    "vendor instead");
    add->callback([=] {
      *run = [=] {
        if (!request_file->empty()) {
          return write_request(*request_file, [code](LicenseManager& m) {
            return m.OfflineReserveRequest(*code);
          });
        }
        return device->Run(
            [code](LicenseManager& m) { return m.AddReserve(*code); },
            "The reserve code was added.");
      };
    });
    auto prepare_file = std::make_shared<std::string>();
    CLI::App* prepare = reserve->add_subcommand(
        "prepare",
        "No network: write the request that prepares the reserve for an "
        "offline rollover, for the vendor");
    add_device_options(prepare);
    prepare->add_option("request_file", *prepare_file, "Where to write it")
        ->required();
    prepare->callback([=] {
      *run = [=] {
        return write_request(*prepare_file, [](LicenseManager& m) {
          return m.OfflinePrepareRequest();
        });
      };
    });
    CLI::App* remove =
        reserve->add_subcommand("remove", "Remove the reserve code");
    add_device_options(remove);
    remove->callback([=] {
      *run = [=] {
        return device->Run([](LicenseManager& m) { return m.RemoveReserve(); },
                           "The reserve code was removed.");
      };
    });
  }
  {
    CLI::App* check = app.add_subcommand(
        "check", "Verify the license offline (exit 0: licensed)");
    add_device_options(check);
    check->callback([=] {
      *run = [=] {
        return device->Run([](LicenseManager& m) { return m.Check(); },
                           "Licensed.", false);
      };
    });
  }
  {
    auto interval = std::make_shared<int>(60);
    auto ticks = std::make_shared<int>(0);
    CLI::App* agent = app.add_subcommand(
        "agent",
        "Stay running: hold a wait on the server for changes, check on an "
        "interval, roll over when due");
    add_device_options(agent);
    agent
        ->add_option("--interval", *interval,
                     "Seconds between checks (changes show at once)")
        ->check(CLI::Range(1, 86400));
    agent->add_option("--ticks", *ticks,
                      "Stop after this many checks (0: never)");
    agent->callback([=] {
      *run = [=]() -> int {
        auto m = device->Manager();
        if (!m.ok()) return device->Report(m.status(), nullptr);
        std::signal(SIGTERM, [](int) { stop_agent = 1; });
        std::signal(SIGINT, [](int) { stop_agent = 1; });
        // A signal handler may only set a flag; this thread turns it into
        // an interruption of the step in progress.
        std::atomic<bool> finished{false};
        std::thread watcher([&finished, manager = *m] {
          while (!finished && !stop_agent) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
          if (stop_agent) manager->Interrupt();
        });
        for (int i = 0; !stop_agent && (*ticks == 0 || i < *ticks); ++i) {
          Status st = (*m)->Tick();
          // The result says whether the application may run licensed now,
          // not only whether the tick's own work went well.
          if (st.ok()) st = (*m)->Check();
          LicenseDetails d = (*m)->Details();
          json::object line{{"at", FormatTimestamp(d.trusted_time)},
                            {"state", LicenseStateName(d.state)},
                            {"reserve", ReserveStateName(d.reserve.state)},
                            {"result", ErrorCodeName(st.code())}};
          if (!st.ok()) line["message"] = st.message();
          std::cout << json::serialize(line) << std::endl;
          if (*ticks != 0 && i + 1 >= *ticks) break;
          // Until the next check: a wait on the server (push), so that a
          // block or a renewal shows at once rather than at the next one.
          (void)(*m)->Step(std::chrono::seconds(*interval));
        }
        finished = true;
        watcher.join();
        return kExitOk;
      };
    });
  }
  return [run] { return *run ? (*run)() : -1; };
}

}  // namespace licentia::cli
