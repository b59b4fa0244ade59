#include "cli/admin_commands.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/exit_codes.h"
#include "cli/private_output_file.h"
#include "client/api_client.h"
#include "core/clock.h"
#include "core/offline_request.h"

namespace licentia::cli {
namespace json = boost::json;
namespace {

constexpr std::int64_t kIssueChunk = 10000;

std::string Str(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "-";
  return json::serialize(v);
}

std::string When(const json::value& v) {
  if (!v.is_int64()) return "-";
  return FormatTimestamp(v.as_int64());
}

// A path segment or query value, percent-encoded (RFC 3986 unreserved
// characters stay as they are).
std::string Percent(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

int Report(const Status& st, bool as_json) { return ReportError(st, as_json); }

class Admin {
 public:
  explicit Admin(GlobalOptions& g) : g_(g) {}

  Result<json::value> Call(std::string_view method, std::string_view path,
                           const json::value& body = nullptr) {
    if (g_.token.empty()) {
      return Status(
          ErrorCode::kUnauthorized,
          "No admin token: pass --token or set LICENTIA_ADMIN_TOKEN.");
    }
    if (!api_) api_ = std::make_unique<client::ApiClient>(g_.server, g_.token);
    return api_->Call(method, path, body);
  }

  // An export, streamed to `sink` (a day at most).
  Status Download(std::string_view path,
                  std::function<bool(std::string_view)> sink) {
    if (g_.token.empty()) {
      return Status(
          ErrorCode::kUnauthorized,
          "No admin token: pass --token or set LICENTIA_ADMIN_TOKEN.");
    }
    if (!api_) api_ = std::make_unique<client::ApiClient>(g_.server, g_.token);
    return api_->Download(path, std::move(sink), 24L * 3600 * 1000);
  }

  // Prints `v` as JSON when --json, otherwise calls `human`.
  template <typename F>
  int Print(const Result<json::value>& v, F human) {
    if (!v.ok()) return Report(v.status(), g_.json);
    if (g_.json) {
      std::cout << json::serialize(*v) << "\n";
    } else {
      human(*v);
    }
    return kExitOk;
  }

  GlobalOptions& g_;

 private:
  std::unique_ptr<client::ApiClient> api_;
};

void PrintCodeRow(const json::object& c) {
  fmt::print(
      "{:>8}  {}  {:<12} {:<12} {:>2}/{:<3} {:<10} {}\n", c.at("id").as_int64(),
      Str(c.at("masked_code")), Str(c.at("product")), Str(c.at("license_type")),
      c.at("seats_used").as_int64(), c.at("max_devices").as_int64(),
      c.at("blocked").as_bool() ? "BLOCKED" : "ok", When(c.at("expires_at")));
}

void PrintCodeDetail(const json::value& v) {
  const auto& c = v.as_object();
  fmt::print("Code {}  {}\n", c.at("id").as_int64(), Str(c.at("masked_code")));
  fmt::print("  product           {} (edition {})\n", Str(c.at("product")),
             Str(c.at("edition")));
  fmt::print("  type              {}, {} days from first activation\n",
             Str(c.at("license_type")), c.at("term_days").as_int64());
  fmt::print("  devices           {} of {} in use\n",
             c.at("seats_used").as_int64(), c.at("max_devices").as_int64());
  fmt::print("  versions          {}\n",
             c.at("compatible_versions").as_string().empty()
                 ? std::string("any")
                 : Str(c.at("compatible_versions")));
  fmt::print("  activate by       {}\n", When(c.at("activate_by")));
  fmt::print("  first activated   {}\n", When(c.at("first_activated_at")));
  fmt::print("  expires           {}\n", When(c.at("expires_at")));
  fmt::print("  account required  {}\n",
             c.at("requires_account").as_bool() ? "yes" : "no");
  if (const auto* p = c.if_contains("prepare_days");
      p && p->is_int64() && p->as_int64() > 0) {
    fmt::print("  offline rollover  prepared {} days ahead\n", p->as_int64());
  }
  if (const auto* g = c.if_contains("grace_days");
      g && g->is_int64() && g->as_int64() > 0) {
    fmt::print("  grace             {} days, until {}\n", g->as_int64(),
               When(c.at("grace_until")));
  }
  if (const auto* h = c.if_contains("heartbeat_days");
      h && h->is_int64() && h->as_int64() > 0) {
    fmt::print(
        "  heartbeat         seats freed after {} days without contact\n",
        h->as_int64());
  }
  std::string status = "ok";
  if (c.at("blocked").as_bool()) {
    status = "BLOCKED " + Str(c.at("blocked_reason"));
  } else if (const auto* sus = c.if_contains("suspended");
             sus && sus->is_bool() && sus->as_bool()) {
    status = "SUSPENDED " + Str(c.at("suspended_reason"));
  }
  fmt::print("  status            {}\n", status);
  if (const auto* acts = c.if_contains("activations")) {
    fmt::print("  activations:\n");
    for (const auto& a : acts->as_array()) {
      const auto& o = a.as_object();
      fmt::print("    #{:<6} {} {:<20} v{:<8} {} {}\n", o.at("id").as_int64(),
                 Str(o.at("device")), Str(o.at("device_name")),
                 Str(o.at("app_version")), When(o.at("activated_at")),
                 o.at("deactivated_at").is_null()
                     ? std::string("active")
                     : "released " + When(o.at("deactivated_at")));
    }
  }
}

}  // namespace

std::function<int()> AddAdminCommands(CLI::App& app, GlobalOptions& global) {
  auto admin = std::make_shared<Admin>(global);
  auto run = std::make_shared<std::function<int()>>();
  CLI::App* cmd =
      app.add_subcommand("admin", "Vendor commands (needs an admin token)");
  cmd->require_subcommand(1);

  // --- products
  CLI::App* product =
      cmd->add_subcommand("product", "Products and their versions");
  product->require_subcommand(1);
  {
    auto* create = product->add_subcommand("create", "Create a product");
    auto id = std::make_shared<std::string>();
    auto name = std::make_shared<std::string>();
    auto versions = std::make_shared<std::vector<std::string>>();
    create->add_option("id", *id, "Product id (lower-case, digits, - _ .)")
        ->required();
    create->add_option("--name", *name, "Display name")->required();
    create->add_option("--version", *versions,
                       "A released version (repeatable)");
    create->callback([=] {
      *run = [=] {
        json::array vs;
        for (const auto& v : *versions) vs.emplace_back(v);
        auto r = admin->Call(
            "POST", "/v1/admin/products",
            json::object{{"id", *id}, {"name", *name}, {"versions", vs}});
        return admin->Print(r, [](const json::value& v) {
          fmt::print("Created product {}\n", Str(v.at("id")));
        });
      };
    });
    auto* list = product->add_subcommand("list", "List products");
    list->callback([=] {
      *run = [=] {
        auto r = admin->Call("GET", "/v1/admin/products");
        return admin->Print(r, [](const json::value& v) {
          for (const auto& p : v.at("products").as_array()) {
            std::string versions;
            for (const auto& ver : p.at("versions").as_array()) {
              versions += (versions.empty() ? "" : ", ") + Str(ver);
            }
            fmt::print("{:<20} {:<30} {}\n", Str(p.at("id")), Str(p.at("name")),
                       versions);
          }
        });
      };
    });
    auto* add_version =
        product->add_subcommand("add-version", "Add a released version");
    auto pid = std::make_shared<std::string>();
    auto version = std::make_shared<std::string>();
    add_version->add_option("id", *pid, "Product id")->required();
    add_version->add_option("version", *version, "Version, e.g. 22.1")
        ->required();
    add_version->callback([=] {
      *run = [=] {
        auto r = admin->Call(
            "POST", "/v1/admin/products/" + Percent(*pid) + "/versions",
            json::object{{"version", *version}});
        return admin->Print(r, [&](const json::value&) {
          fmt::print("Added version {} to {}\n", *version, *pid);
        });
      };
    });
  }

  // --- codes
  CLI::App* codes = cmd->add_subcommand("codes", "Activation codes");
  codes->require_subcommand(1);
  {
    struct IssueOpts {
      std::string product, edition, type = "term", activate_by, versions, note,
                                    format = "csv", output;
      std::vector<std::string> features;
      std::int64_t count = 1, max_devices = 1, prepare_days = 0, grace_days = 0,
                   heartbeat_days = 0;
      std::optional<std::int64_t> term_days;
      bool requires_account = false, quiet = false;
    };
    auto o = std::make_shared<IssueOpts>();
    auto* issue = codes->add_subcommand("issue", "Issue a batch of codes");
    issue->add_option("--product", o->product, "Product id")->required();
    issue->add_option("--count", o->count, "How many codes")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10000000}));
    issue->add_option("--edition", o->edition, "Edition (default standard)");
    issue->add_option("--feature", o->features, "A feature flag (repeatable)");
    issue->add_option("--max-devices", o->max_devices, "Devices per code");
    issue->add_option("--type", o->type, "term, subscription or trial")
        ->check(CLI::IsMember({"term", "subscription", "trial"}));
    issue->add_option("--term-days", o->term_days,
                      "Days from first activation (default 365; trial 30)");
    issue->add_option("--activate-by", o->activate_by,
                      "Last day to activate, YYYY-MM-DD");
    issue->add_option("--versions", o->versions,
                      "Compatible versions, e.g. \">=21.0 <23\"");
    issue->add_flag("--requires-account", o->requires_account,
                    "Devices must be connected to a console account");
    issue
        ->add_option("--prepare-days", o->prepare_days,
                     "Offline rollover: as a reserve, prepare it this many "
                     "days before the license it follows ends (0: never)")
        ->check(CLI::Range(0, 90));
    issue
        ->add_option("--grace-days", o->grace_days,
                     "Subscriptions: days of full function after a missed "
                     "renewal")
        ->check(CLI::Range(0, 90));
    issue
        ->add_option("--heartbeat-days", o->heartbeat_days,
                     "Free a device's seat after this many days without "
                     "contact (0: never)")
        ->check(CLI::Range(0, 365));
    issue->add_option("--note", o->note, "A note kept with the batch");
    issue->add_option("--format", o->format, "csv or json")
        ->check(CLI::IsMember({"csv", "json"}));
    issue->add_option("--output,-o", o->output, "Write the codes to this file");
    issue->add_flag("--quiet,-q", o->quiet, "No progress bar");
    issue->callback([=] {
      *run = [=]() -> int {
        // The file is the only plaintext copy of the codes: never over an
        // existing file, readable by its owner only, and gone again if
        // nothing was issued into it.
        PrivateOutputFile file;
        if (!o->output.empty()) {
          if (Status st = file.Create(o->output); !st.ok()) {
            return Report(st, admin->g_.json);
          }
        }
        std::ostream& out = o->output.empty() ? std::cout : file.stream();
        bool json_out = o->format == "json" || admin->g_.json;
        bool progress = !o->quiet && o->count > kIssueChunk && isatty(2);
        if (!json_out) out << "id,code,product,batch_id\n";
        json::array all;
        std::int64_t done = 0;
        json::array batches;
        json::value terms;  // as the server stated them (same for each part)
        // The JSON document: what the API answers for one batch, with every
        // part's batch id (a large issue is sent in parts).
        auto document = [&] {
          return json::object{{"count", done},
                              {"batch_ids", batches},
                              {"terms", terms},
                              {"codes", std::move(all)}};
        };
        while (done < o->count) {
          std::int64_t n = std::min(kIssueChunk, o->count - done);
          json::object req{{"product", o->product},
                           {"count", n},
                           {"max_devices", o->max_devices},
                           {"license_type", o->type},
                           {"requires_account", o->requires_account}};
          if (!o->edition.empty()) req["edition"] = o->edition;
          if (o->term_days) req["term_days"] = *o->term_days;
          if (!o->activate_by.empty()) req["activate_by"] = o->activate_by;
          if (!o->versions.empty()) req["compatible_versions"] = o->versions;
          if (!o->note.empty()) req["note"] = o->note;
          if (o->prepare_days > 0) req["prepare_days"] = o->prepare_days;
          if (o->grace_days > 0) req["grace_days"] = o->grace_days;
          if (o->heartbeat_days > 0) {
            req["heartbeat_days"] = o->heartbeat_days;
          }
          if (!o->features.empty()) {
            json::array f;
            for (const auto& x : o->features) f.emplace_back(x);
            req["features"] = f;
          }
          auto r = admin->Call("POST", "/v1/admin/codes", req);
          if (!r.ok()) {
            if (progress) std::cerr << "\n";
            if (done > 0) {
              // Issued codes exist on the server; their only copy is here.
              if (json_out) out << json::serialize(document()) << "\n";
              file.Keep();
              std::cerr << fmt::format(
                  "{} codes were issued before the "
                  "failure and are in the output.\n",
                  done);
            }
            return Report(r.status(), admin->g_.json);
          }
          std::int64_t batch = r->at("batch_id").as_int64();
          batches.push_back(batch);
          if (const auto* t = r->as_object().if_contains("terms")) terms = *t;
          for (const auto& c : r->at("codes").as_array()) {
            if (json_out) {
              all.push_back(json::object{{"id", c.at("id")},
                                         {"code", c.at("code")},
                                         {"product", o->product},
                                         {"batch_id", batch}});
            } else {
              out << c.at("id").as_int64() << "," << Str(c.at("code")) << ","
                  << o->product << "," << batch << "\n";
            }
          }
          done += n;
          if (progress) {
            int width = 40;
            int filled = static_cast<int>(width * done / o->count);
            std::cerr << fmt::format(
                             "\r[{}{}] {}/{} codes", std::string(filled, '#'),
                             std::string(width - filled, '.'), done, o->count)
                      << std::flush;
          }
        }
        if (progress) std::cerr << "\n";
        if (json_out) out << json::serialize(document()) << "\n";
        if (!o->output.empty()) {
          if (Status st = file.Finish(); !st.ok()) {
            return Report(st, admin->g_.json);
          }
          std::cerr << fmt::format("Issued {} codes to {}\n", done, o->output);
        }
        return kExitOk;
      };
    });

    struct ListOpts {
      std::string product, status, q;
      std::int64_t limit = 50, after = 0;
    };
    auto l = std::make_shared<ListOpts>();
    auto* list = codes->add_subcommand("list", "List codes (masked)");
    list->add_option("--product", l->product, "Only this product");
    list->add_option("--status", l->status, "blocked or unblocked")
        ->check(CLI::IsMember({"blocked", "unblocked"}));
    list->add_option("--search,-s", l->q, "Last symbols of the code");
    list->add_option("--limit", l->limit, "Page size, 1 to 1000")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}));
    list->add_option("--after", l->after, "Show codes after this id")
        ->check(CLI::NonNegativeNumber);
    list->callback([=] {
      *run = [=] {
        std::string path = fmt::format("/v1/admin/codes?limit={}&after={}",
                                       l->limit, l->after);
        if (!l->product.empty()) path += "&product=" + Percent(l->product);
        if (!l->status.empty()) path += "&status=" + Percent(l->status);
        if (!l->q.empty()) path += "&q=" + Percent(l->q);
        auto r = admin->Call("GET", path);
        return admin->Print(r, [](const json::value& v) {
          fmt::print("{:>8}  {:<23}  {:<12} {:<12} {:<6} {:<10} {}\n", "ID",
                     "CODE", "PRODUCT", "TYPE", "SEATS", "STATUS", "EXPIRES");
          for (const auto& c : v.at("codes").as_array()) {
            PrintCodeRow(c.as_object());
          }
          if (!v.at("next_after").is_null()) {
            fmt::print("(more: --after {})\n", v.at("next_after").as_int64());
          }
        });
      };
    });

    auto show_id = std::make_shared<std::string>();
    auto show_code = std::make_shared<std::string>();
    auto* show =
        codes->add_subcommand("show", "Show one code with its activations");
    show->add_option("id", *show_id, "Code id");
    show->add_option("--code", *show_code,
                     "Find the code by its full text instead");
    show->callback([=] {
      *run = [=] {
        Result<json::value> r =
            !show_code->empty()
                ? admin->Call("POST", "/v1/admin/codes/lookup",
                              json::object{{"code", *show_code}})
                : admin->Call("GET", "/v1/admin/codes/" + Percent(*show_id));
        return admin->Print(r, PrintCodeDetail);
      };
    });

    // A state the vendor sets and clears on a code (block, suspend), with
    // an optional reason when it is set.
    auto add_switch = [&](const char* verb, const char* done, const char* help,
                          bool with_reason) {
      auto id = std::make_shared<std::string>();
      auto reason = std::make_shared<std::string>();
      auto* sub = codes->add_subcommand(verb, help);
      sub->add_option("id", *id, "Code id")->required();
      if (with_reason) {
        sub->add_option("--reason", *reason,
                        "Why (kept in the event log and shown on devices)");
      }
      sub->callback([=] {
        *run = [=] {
          json::object body;
          if (!reason->empty()) body["reason"] = *reason;
          auto r = admin->Call(
              "POST", "/v1/admin/codes/" + Percent(*id) + "/" + verb, body);
          return admin->Print(r, [&](const json::value& v) {
            fmt::print("Code {} is {}{}\n", *id, done,
                       v.at("changed").as_bool() ? "" : " (it already was)");
          });
        };
      });
    };
    add_switch("block", "blocked",
               "Block a code: its devices learn it at their next sync", true);
    add_switch("unblock", "unblocked", "Unblock a code", false);
    add_switch("suspend", "suspended",
               "Suspend a subscription (a missed payment): it stops until "
               "resumed",
               true);
    add_switch("resume", "resumed", "Resume a suspended subscription", false);
    {
      auto id = std::make_shared<std::string>();
      auto seat = std::make_shared<std::string>();
      auto reason = std::make_shared<std::string>();
      auto* release = codes->add_subcommand(
          "release",
          "Free a device's seat (the device learns it at its next contact)");
      release->add_option("id", *id, "Code id")->required();
      release
          ->add_option("activation", *seat,
                       "Activation id (see 'admin codes show')")
          ->required();
      release->add_option("--reason", *reason, "Why (kept in the event log)");
      release->callback([=] {
        *run = [=] {
          json::object body;
          if (!reason->empty()) body["reason"] = *reason;
          auto r =
              admin->Call("POST",
                          "/v1/admin/codes/" + Percent(*id) + "/activations/" +
                              Percent(*seat) + "/release",
                          body);
          return admin->Print(r, [&](const json::value& v) {
            fmt::print("Released seat {} of code {}: {} of {} in use\n", *seat,
                       *id, v.at("seats_used").as_int64(),
                       v.at("max_devices").as_int64());
          });
        };
      });
    }
  }

  // --- subscriptions, terms and seats (docs/domain-rules.md)
  {
    auto id = std::make_shared<std::string>();
    auto days = std::make_shared<std::int64_t>(0);
    auto until = std::make_shared<std::string>();
    auto* renew = codes->add_subcommand(
        "renew",
        "Renew a subscription: its devices get a new key at their next "
        "contact");
    renew->add_option("id", *id, "Code id")->required();
    auto* by_days = renew->add_option("--days", *days,
                                      "Extend by this many days (from its end "
                                      "while paid up or in its grace)");
    auto* by_date =
        renew->add_option("--until", *until, "The new end, YYYY-MM-DD");
    by_days->excludes(by_date);
    renew->callback([=] {
      *run = [=] {
        json::object body;
        if (!until->empty()) {
          body["ends_at"] = *until;
        } else {
          body["days"] = *days;
        }
        auto r = admin->Call(
            "POST", "/v1/admin/codes/" + Percent(*id) + "/renew", body);
        return admin->Print(r, [&](const json::value& v) {
          fmt::print("Code {} now runs until {}\n", *id,
                     When(v.at("expires_at")));
        });
      };
    });
  }
  CLI::App* batches = cmd->add_subcommand("batches", "Batches of codes");
  batches->require_subcommand(1);
  for (bool batch : {false, true}) {
    struct TermsOpts {
      std::string id, activate_by, versions;
      std::optional<std::int64_t> max_devices;
    };
    auto t = std::make_shared<TermsOpts>();
    auto* terms =
        (batch ? batches : codes)
            ->add_subcommand("terms", batch ? "Change every code of a batch's "
                                              "terms (only widening seats)"
                                            : "Change a code's terms (only "
                                              "widening seats)");
    terms->add_option("id", t->id, batch ? "Batch id" : "Code id")->required();
    terms->add_option("--max-devices", t->max_devices, "More seats");
    terms->add_option("--activate-by", t->activate_by,
                      "Last day to activate, YYYY-MM-DD, or none");
    terms->add_option("--versions", t->versions,
                      "Compatible versions, e.g. \">=21.0 <24\"");
    terms->callback([=] {
      *run = [=] {
        json::object body;
        if (t->max_devices) body["max_devices"] = *t->max_devices;
        if (t->activate_by == "none") {
          body["activate_by"] = nullptr;
        } else if (!t->activate_by.empty()) {
          body["activate_by"] = t->activate_by;
        }
        if (!t->versions.empty()) body["compatible_versions"] = t->versions;
        auto r = admin->Call(
            "POST",
            std::string(batch ? "/v1/admin/batches/" : "/v1/admin/codes/") +
                Percent(t->id) + "/terms",
            body);
        return admin->Print(r, [&](const json::value& v) {
          if (batch) {
            fmt::print("Batch {}: {} codes changed\n", t->id,
                       v.at("codes_changed").as_int64());
          } else {
            PrintCodeDetail(v);
          }
        });
      };
    });
  }
  {
    CLI::App* seats = cmd->add_subcommand("seats", "Seats across codes");
    seats->require_subcommand(1);
    auto* sweep = seats->add_subcommand(
        "sweep",
        "Free now the seats of devices that missed their code's heartbeat");
    sweep->callback([=] {
      *run = [=] {
        auto r = admin->Call("POST", "/v1/admin/seats/sweep");
        return admin->Print(r, [](const json::value& v) {
          fmt::print("Freed {} seats\n", v.at("released").as_int64());
        });
      };
    });
  }

  // --- events
  {
    struct EventOpts {
      std::int64_t code = 0, limit = 100, after = 0;
      std::string product, type;
    };
    auto e = std::make_shared<EventOpts>();
    auto* events = cmd->add_subcommand("events", "The event log");
    events->add_option("--code", e->code, "Only events of this code id");
    events->add_option("--product", e->product, "Only this product");
    events->add_option("--type", e->type, "Only this type, e.g. code.blocked");
    events->add_option("--limit", e->limit, "Page size, 1 to 1000")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}));
    events->add_option("--after", e->after, "Events after this id")
        ->check(CLI::NonNegativeNumber);
    events->callback([=] {
      *run = [=] {
        std::string path = fmt::format("/v1/admin/events?limit={}&after={}",
                                       e->limit, e->after);
        if (e->code) path += fmt::format("&code={}", e->code);
        if (!e->product.empty()) path += "&product=" + Percent(e->product);
        if (!e->type.empty()) path += "&type=" + Percent(e->type);
        auto r = admin->Call("GET", path);
        return admin->Print(r, [](const json::value& v) {
          for (const auto& ev : v.at("events").as_array()) {
            // An admin's event names the token that acted.
            std::string actor = Str(ev.at("actor"));
            if (const auto* t = ev.as_object().if_contains("token_id");
                t && t->is_int64()) {
              actor += fmt::format("#{}", t->as_int64());
            }
            fmt::print("{:>6}  {}  {:<18} code={:<6} {:<8} {}\n",
                       ev.at("id").as_int64(), When(ev.at("at")),
                       Str(ev.at("type")), Str(ev.at("code_id")), actor,
                       json::serialize(ev.at("details")));
          }
        });
      };
    });
  }

  // --- exports
  CLI::App* exports = cmd->add_subcommand(
      "export", "Stream codes, activations or events as CSV or JSON lines");
  exports->require_subcommand(1);
  for (std::string what : {"codes", "activations", "events"}) {
    struct ExportOpts {
      std::string format = "csv", product, status, type, output;
      std::int64_t batch = 0, code = 0;
    };
    auto o = std::make_shared<ExportOpts>();
    auto* sub = exports->add_subcommand(what, "Export " + what);
    sub->add_option("--format", o->format, "csv (default) or jsonl")
        ->check(CLI::IsMember({"csv", "jsonl"}));
    sub->add_option("--product", o->product, "Only this product");
    if (what == "codes") {
      sub->add_option("--status", o->status, "blocked or unblocked")
          ->check(CLI::IsMember({"blocked", "unblocked"}));
      sub->add_option("--batch", o->batch, "Only this batch");
    } else {
      sub->add_option("--code", o->code, "Only this code id");
    }
    if (what == "events") {
      sub->add_option("--type", o->type, "Only this type");
    }
    sub->add_option("--output,-o", o->output, "Write to this file");
    sub->callback([=] {
      *run = [=]() -> int {
        std::string path =
            fmt::format("/v1/admin/export/{}?format={}", what, o->format);
        if (!o->product.empty()) path += "&product=" + Percent(o->product);
        if (!o->status.empty()) path += "&status=" + Percent(o->status);
        if (!o->type.empty()) path += "&type=" + Percent(o->type);
        if (o->batch) path += fmt::format("&batch={}", o->batch);
        if (o->code) path += fmt::format("&code={}", o->code);
        std::ofstream file;
        if (!o->output.empty()) {
          file.open(o->output, std::ios::binary | std::ios::trunc);
          if (!file) {
            return Report(
                Status(ErrorCode::kIoError, "Cannot write " + o->output + "."),
                admin->g_.json);
          }
        }
        std::ostream& out = o->output.empty() ? std::cout : file;
        Status st = admin->Download(path, [&out](std::string_view piece) {
          out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
          return static_cast<bool>(out);
        });
        out.flush();
        if (!st.ok()) return Report(st, admin->g_.json);
        return kExitOk;
      };
    });
  }

  // --- webhooks
  {
    CLI::App* hooks = cmd->add_subcommand("webhooks", "Webhook endpoints");
    hooks->require_subcommand(1);
    auto url = std::make_shared<std::string>();
    auto types = std::make_shared<std::vector<std::string>>();
    auto description = std::make_shared<std::string>();
    auto* create = hooks->add_subcommand(
        "create", "Register an endpoint; its signing secret is shown once");
    create->add_option("url", *url, "http:// or https:// address")->required();
    create
        ->add_option("--event", *types,
                     "An event type it wants, e.g. code.blocked, or * for "
                     "all (repeatable)")
        ->required();
    create->add_option("--description", *description, "What it is for");
    create->callback([=] {
      *run = [=] {
        json::array list;
        for (const auto& t : *types) list.emplace_back(t);
        json::object body{{"url", *url}, {"event_types", list}};
        if (!description->empty()) body["description"] = *description;
        auto r = admin->Call("POST", "/v1/admin/webhooks", body);
        return admin->Print(r, [](const json::value& v) {
          fmt::print(
              "Webhook #{} for {}. Its signing secret, shown once:\n\n"
              "  {}\n",
              v.at("id").as_int64(), Str(v.at("url")), Str(v.at("secret")));
        });
      };
    });
    auto* list = hooks->add_subcommand("list", "Endpoints");
    list->callback([=] {
      *run = [=] {
        auto r = admin->Call("GET", "/v1/admin/webhooks");
        return admin->Print(r, [](const json::value& v) {
          for (const auto& h : v.at("webhooks").as_array()) {
            std::string events;
            for (const auto& t : h.at("event_types").as_array()) {
              events += (events.empty() ? "" : ",") + Str(t);
            }
            fmt::print("{:>5}  {:<8} {}  [{}]\n", h.at("id").as_int64(),
                       h.at("enabled").as_bool() ? "enabled" : "disabled",
                       Str(h.at("url")), events);
          }
        });
      };
    });
    for (bool enable : {true, false}) {
      auto id = std::make_shared<std::string>();
      auto* sub = hooks->add_subcommand(
          enable ? "enable" : "disable",
          enable ? "Deliver to the endpoint again"
                 : "Stop queuing events for the endpoint");
      sub->add_option("id", *id, "Webhook id")->required();
      sub->callback([=] {
        *run = [=] {
          auto r = admin->Call("POST", "/v1/admin/webhooks/" + Percent(*id) +
                                           (enable ? "/enable" : "/disable"));
          return admin->Print(r, [&](const json::value&) {
            fmt::print("Webhook {} is {}\n", *id,
                       enable ? "enabled" : "disabled");
          });
        };
      });
    }
    auto hook_id = std::make_shared<std::string>();
    auto* log = hooks->add_subcommand("deliveries", "An endpoint's deliveries");
    log->add_option("id", *hook_id, "Webhook id")->required();
    log->callback([=] {
      *run = [=] {
        auto r = admin->Call(
            "GET", "/v1/admin/webhooks/" + Percent(*hook_id) + "/deliveries");
        return admin->Print(r, [](const json::value& v) {
          for (const auto& d : v.at("deliveries").as_array()) {
            fmt::print("{:>7}  {:<10} {:<20} {:<26} attempts={} {} {}\n",
                       d.at("id").as_int64(), Str(d.at("state")),
                       Str(d.at("event_type")), Str(d.at("event_id")),
                       d.at("attempts").as_int64(),
                       When(d.at("last_attempt_at")), Str(d.at("last_error")));
          }
        });
      };
    });
    auto delivery = std::make_shared<std::string>();
    auto* redeliver =
        hooks->add_subcommand("redeliver", "Send a delivery again (same id)");
    redeliver->add_option("delivery", *delivery, "Delivery id")->required();
    redeliver->callback([=] {
      *run = [=] {
        auto r = admin->Call("POST", "/v1/admin/webhooks/deliveries/" +
                                         Percent(*delivery) + "/redeliver");
        return admin->Print(r, [&](const json::value&) {
          fmt::print("Delivery {} is queued again\n", *delivery);
        });
      };
    });
  }

  // --- admin tokens
  {
    CLI::App* tokens = cmd->add_subcommand("tokens", "Admin API tokens");
    tokens->require_subcommand(1);
    auto name = std::make_shared<std::string>();
    auto scopes = std::make_shared<std::vector<std::string>>();
    auto* create = tokens->add_subcommand(
        "create", "Create a token with scopes; it is shown this once");
    create->add_option("name", *name, "What the token is for")->required();
    create
        ->add_option("--scope", *scopes,
                     "read, issue, renew, block, seats, webhooks or full "
                     "(repeatable)")
        ->required();
    create->callback([=] {
      *run = [=] {
        json::array list;
        for (const auto& s : *scopes) list.emplace_back(s);
        auto r = admin->Call("POST", "/v1/admin/tokens",
                             json::object{{"name", *name}, {"scopes", list}});
        return admin->Print(r, [](const json::value& v) {
          fmt::print(
              "Token #{} ({}), shown once; it is stored only as a hash:\n\n"
              "  {}\n",
              v.at("id").as_int64(), Str(v.at("name")), Str(v.at("token")));
        });
      };
    });
    auto* list = tokens->add_subcommand("list", "Tokens with their last use");
    list->callback([=] {
      *run = [=] {
        auto r = admin->Call("GET", "/v1/admin/tokens");
        return admin->Print(r, [](const json::value& v) {
          fmt::print("{:>5}  {:<24} {:<28} {:<22} {}\n", "ID", "NAME", "SCOPES",
                     "LAST USED", "REVOKED");
          for (const auto& t : v.at("tokens").as_array()) {
            std::string scope_list;
            for (const auto& s : t.at("scopes").as_array()) {
              scope_list += (scope_list.empty() ? "" : ",") + Str(s);
            }
            fmt::print("{:>5}  {:<24} {:<28} {:<22} {}\n",
                       t.at("id").as_int64(), Str(t.at("name")), scope_list,
                       When(t.at("last_used_at")), When(t.at("revoked_at")));
          }
        });
      };
    });
    auto id = std::make_shared<std::string>();
    auto* revoke = tokens->add_subcommand("revoke", "Revoke a token");
    revoke->add_option("id", *id, "Token id (see tokens list)")->required();
    revoke->callback([=] {
      *run = [=] {
        auto r =
            admin->Call("POST", "/v1/admin/tokens/" + Percent(*id) + "/revoke");
        return admin->Print(r, [&](const json::value&) {
          fmt::print("Token {} is revoked\n", *id);
        });
      };
    });
  }

  // --- offline activation by file
  {
    auto request = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>();
    auto* offline =
        cmd->add_subcommand("offline", "Offline activation by file");
    offline->require_subcommand(1);
    auto* answer = offline->add_subcommand(
        "answer", "Turn a device's request file into its response file");
    answer->add_option("request", *request, "The device's request file")
        ->required();
    answer->add_option("--output,-o", *output,
                       "Write the response file here (default: stdout)");
    answer->callback([=] {
      *run = [=]() -> int {
        auto text = ReadSmallFile(*request, kMaxOfflineFileBytes);
        if (!text.ok()) return Report(text.status(), admin->g_.json);
        auto r = admin->Call("POST", "/v1/admin/offline/answer",
                             json::object{{"request", *text}});
        if (!r.ok()) return Report(r.status(), admin->g_.json);
        std::string response(r->at("response").as_string());
        if (output->empty()) {
          std::cout << response << "\n";
          return kExitOk;
        }
        PrivateOutputFile file;
        Status st = file.Create(*output);
        if (st.ok()) {
          file.stream() << response << "\n";
          st = file.Finish();
        }
        if (!st.ok()) return Report(st, admin->g_.json);
        if (admin->g_.json) {
          std::cout << json::serialize(
                           json::object{{"ok", true},
                                        {"kind", r->at("kind")},
                                        {"request_id", r->at("request_id")},
                                        {"output", *output}})
                    << "\n";
        } else {
          fmt::print(
              "Answered the {} request of {}; send {} back to the "
              "device.\n",
              Str(r->at("kind")), Str(r->at("device_name")), *output);
        }
        return kExitOk;
      };
    });
  }

  // --- test clock
  {
    auto days = std::make_shared<std::int64_t>(0);
    auto set = std::make_shared<std::string>();
    auto* clock = cmd->add_subcommand(
        "test-clock", "Move a --test-clock server's time (tests and demos)");
    clock->add_option("--advance-days", *days, "Days to move forward");
    clock->add_option("--set", *set, "Set to a date, YYYY-MM-DD");
    clock->callback([=] {
      *run = [=] {
        json::object body;
        if (*days) body["advance_days"] = *days;
        if (!set->empty()) body["now"] = *set;
        auto r = admin->Call("POST", "/v1/admin/test/clock", body);
        return admin->Print(r, [](const json::value& v) {
          fmt::print("Server time is now {}\n", Str(v.at("now_text")));
        });
      };
    });
  }

  return [run] { return *run ? (*run)() : static_cast<int>(kExitUsage); };
}

}  // namespace licentia::cli
