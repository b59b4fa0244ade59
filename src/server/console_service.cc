#include "server/console_service.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <functional>
#include <utility>
#include <vector>

#include "core/activation_code.h"
#include "core/password_hash.h"
#include "server/admin_service.h"
#include "server/blocking_worker.h"
#include "server/console_assets.h"
#include "server/console_session.h"
#include "server/device_actions.h"
#include "server/error_response.h"
#include "server/json_fields.h"
#include "server/rate_limiter.h"
#include "server/router.h"
#include "server/routes.h"
#include "server/second_factor.h"

namespace licentia::server {
namespace json = boost::json;

namespace {

constexpr size_t kMaxEmailBytes = 254;
constexpr size_t kMaxConnectCodeInput = 32;
// Connection codes: eight symbols of the activation codes' alphabet
// (40 bits), shown as XXXX-XXXX; valid for kConnectCodeSeconds, once.
constexpr size_t kConnectCodeSymbols = 8;
// Licenses ending within this many days are flagged in the console.
constexpr int kExpiringSoonDays = 14;

// The headers every console answer carries: nothing is loaded from
// elsewhere, nothing runs inline, no page frames the console.
void AddSecurityHeaders(HttpResponse& r) {
  r.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; "
      "img-src 'self'; connect-src 'self'; form-action 'self'; "
      "base-uri 'none'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
}

// A successful API answer: its body, status and the cookie it sets.
struct Answer {
  json::object body;
  int status = 200;
  std::string set_cookie;
};
using AnswerFn = std::function<void(Result<Answer>)>;

HttpResponse ApiResponse(Result<Answer> a, std::string_view route) {
  HttpResponse res;
  if (a.ok()) {
    res.status = a->status;
    res.body = json::serialize(a->body);
    if (!a->set_cookie.empty()) {
      res.headers.emplace_back("Set-Cookie", a->set_cookie);
    }
  } else {
    res = ErrorResponse(a.status());
  }
  AddSecurityHeaders(res);
  res.headers.emplace_back("Cache-Control", "no-store");
  res.route = route;
  return res;
}

Status NotFound(std::string_view what) {
  return Status(ErrorCode::kNotFound,
                fmt::format("Your account has no such {}.", what));
}

Status SignInNeeded() {
  return Status(ErrorCode::kUnauthorized,
                "Sign in to the management console first.");
}

// Lower case, trimmed; kInvalidRequest unless it looks like an address.
Result<std::string> NormalizeEmail(std::string_view raw) {
  while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
  while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
  std::string email;
  for (unsigned char c : raw) {
    if (c <= ' ' || c == 0x7f) {
      return Status(ErrorCode::kInvalidRequest,
                    "An email address has no spaces or control characters.");
    }
    email.push_back(static_cast<char>(std::tolower(c)));
  }
  size_t at = email.find('@');
  if (email.size() > kMaxEmailBytes || at == std::string::npos || at == 0 ||
      at + 1 == email.size() || email.find('@', at + 1) != std::string::npos) {
    return Status(ErrorCode::kInvalidRequest,
                  "Enter an email address such as ann@example.com.");
  }
  return email;
}

// A connection code as typed: case, blanks and dashes do not matter.
std::optional<std::string> NormalizeConnectCode(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (c == '-' || c == ' ') continue;
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (kCodeAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    out.push_back(c);
  }
  if (out.size() != kConnectCodeSymbols) return std::nullopt;
  return out;
}

crypto::Hash ConnectCodeHash(std::string_view canonical) {
  return crypto::Blake2b(fmt::format("licentia-connect/1:{}", canonical));
}

Status ConnectCodeInvalid() {
  return Status(ErrorCode::kConnectCodeInvalid,
                "This connection code is unknown, used already or expired; "
                "show a new one in the management console.");
}

// A positive id field the request must have.
Result<std::int64_t> RequiredId(const JsonFields& f, std::string_view name) {
  LICENTIA_ASSIGN_OR_RETURN(auto id, f.OptInt(name, 1, INT64_MAX));
  if (!id) {
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("The field {} is missing.", name));
  }
  return *id;
}

std::string_view RoleName(store::AccountRole role) {
  return role == store::AccountRole::kAdministrator ? "administrator"
                                                    : "member";
}

// A code as an owner sees it: the terms, the state now, the end and the
// days left.
json::object LicenseJson(const store::CodeRow& code, UnixSeconds now) {
  json::object o = CodeJson(code);
  CodeFacts facts = FactsOf(code);
  o["state"] = std::string(CodeStateName(CodeStateAt(facts, now)));
  if (auto end = CodeExpiry(code)) {
    o["expires_at"] = *end;
    std::int64_t days = *end > now ? (*end - now) / kSecondsPerDay : 0;
    o["days_left"] = days;
    o["expiring_soon"] = *end > now && days < kExpiringSoonDays;
  } else {
    o["expires_at"] = nullptr;
    o["days_left"] = nullptr;
    o["expiring_soon"] = false;
  }
  return o;
}

constexpr std::string_view kInvitationStateNames[] = {"pending", "accepted",
                                                      "declined", "revoked"};

json::object InvitationJson(const store::InvitationRow& i) {
  json::object o{
      {"id", i.id},
      {"code_id", i.code_id},
      {"email", i.email},
      {"state", std::string(kInvitationStateNames[static_cast<int>(i.state)])},
      {"created_at", i.created_at}};
  o["decided_at"] = i.decided_at ? json::value(*i.decided_at) : nullptr;
  return o;
}

// The code `code_id` if `account` is its license administrator;
// NOT_FOUND otherwise (whether or not the code exists).
Result<store::CodeRow> AdministeredCode(store::Transaction& txn,
                                        std::int64_t account,
                                        std::int64_t code_id) {
  LICENTIA_ASSIGN_OR_RETURN(auto held, txn.FindAccountCode(account, code_id));
  if (!held || held->role != store::AccountRole::kAdministrator) {
    return Status(ErrorCode::kNotFound,
                  "You are not the license administrator of such a license.");
  }
  LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(code_id));
  if (!code) return NotFound("license");
  return std::move(*code);
}

}  // namespace

bool ConsoleService::IsConsolePath(std::string_view path) {
  return path == "/console" || path.starts_with("/console/");
}

// The signed-in account of a request.
struct Session {
  std::string token;
  std::int64_t account_id = 0;
  std::string email;
  bool second_factor = false;
};

struct ConsoleService::Impl {
  using Handler = std::function<void(const HttpRequest&, const PathParams&,
                                     const Session*, AnswerFn)>;
  struct Route {
    bool signed_in;  // needs a session (and, for POST, its CSRF token)
    Handler fn;
  };

  ServiceContext& ctx;
  const CodeSealKey seal_key;
  const ConsoleOptions options;
  RateLimiter signin_per_address;
  RateLimiter signin_per_account;
  RateLimiter code_attempts_per_address;
  RateLimiter signups_per_address;
  BlockingWorker hashing;
  DeviceActions actions;
  Router router;
  std::vector<Route> routes;  // indexed as router numbers them

  Impl(ServiceContext& c, const CodeSealKey& key, ConsoleOptions o)
      : ctx(c),
        seal_key(key),
        options(o),
        signin_per_address(o.signin_failures_per_minute,
                           o.signin_failures_per_minute),
        signin_per_account(o.signin_failures_per_minute,
                           o.signin_failures_per_minute),
        code_attempts_per_address(o.signin_failures_per_minute,
                                  o.signin_failures_per_minute),
        signups_per_address(o.signin_failures_per_minute,
                            o.signin_failures_per_minute),
        hashing(o.hashing_threads),
        actions(key) {
    AddRoutes();
  }

  void Add(std::string method, std::string_view pattern, bool signed_in,
           Handler fn) {
    router.Add(std::move(method), pattern);
    routes.push_back({signed_in, std::move(fn)});
  }

  UnixSeconds Now() const { return ctx.clock.Now(); }

  // Runs `fn` in a write (or read) transaction, then answers with `*out`.
  void Write(std::function<Status(store::Transaction&, Answer&)> fn,
             AnswerFn done) {
    auto out = std::make_shared<Answer>();
    ctx.store.WriteAsync(
        [fn = std::move(fn), out](store::Transaction& txn) {
          *out = Answer{};
          return fn(txn, *out);
        },
        [out, done = std::move(done)](Status st) {
          if (!st.ok()) return done(st);
          done(std::move(*out));
        });
  }
  void Read(std::function<Status(store::Transaction&, Answer&)> fn,
            AnswerFn done) {
    auto out = std::make_shared<Answer>();
    ctx.store.ReadAsync(
        [fn = std::move(fn), out](store::Transaction& txn) {
          *out = Answer{};
          return fn(txn, *out);
        },
        [out, done = std::move(done)](Status st) {
          if (!st.ok()) return done(st);
          done(std::move(*out));
        });
  }

  // A new session for `account` in `txn`; its cookie and CSRF token go
  // into `out`.
  Status StartSession(store::Transaction& txn, const store::AccountRow& account,
                      Answer& out) {
    std::string token = NewSessionToken();
    UnixSeconds now = Now();
    LICENTIA_RETURN_IF_ERROR(txn.InsertSession(
        {SessionHash(token), account.id, now, now + options.session_seconds}));
    out.set_cookie =
        SessionCookie(token, options.session_seconds, options.secure_cookies);
    out.body = {{"account", {{"id", account.id}, {"email", account.email}}},
                {"csrf_token", CsrfToken(token)}};
    return Status::Ok();
  }

  // The request's session, read from the store; kUnauthorized if it has
  // none, or an ended one, or (for POST) not its CSRF token.
  void Authenticate(const HttpRequest& req,
                    std::function<void(Result<Session>)> next) {
    auto token = CookieValue(req.cookie, kSessionCookie);
    if (!token) return next(SignInNeeded());
    if (req.method != "GET" && !CsrfTokenMatches(*token, req.csrf_token)) {
      return next(Status(ErrorCode::kUnauthorized,
                         "This request lacks the page's CSRF token; reload "
                         "the console."));
    }
    auto session = std::make_shared<Session>();
    session->token = *token;
    UnixSeconds now = Now();
    ctx.store.ReadAsync(
        [session, now](store::Transaction& txn) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(
              auto row, txn.FindSession(SessionHash(session->token)));
          if (!row || row->expires_at <= now) return SignInNeeded();
          LICENTIA_ASSIGN_OR_RETURN(auto account,
                                    txn.FindAccountById(row->account_id));
          if (!account) return SignInNeeded();
          session->account_id = account->id;
          session->email = account->email;
          session->second_factor = !account->totp_secret.empty();
          return Status::Ok();
        },
        [session, next = std::move(next)](Status st) {
          if (!st.ok()) return next(st);
          next(std::move(*session));
        });
  }

  void Handle(const HttpRequest& req, const Responder& respond) {
    if (!req.path.starts_with("/console/api/")) {
      return ServeFile(req, respond);
    }
    Router::Match match = router.Find(req.method, req.path);
    if (match.outcome != Router::Outcome::kFound) {
      Status st = match.outcome == Router::Outcome::kWrongMethod
                      ? Status(ErrorCode::kMethodNotAllowed,
                               "This method is not allowed here.")
                      : Status(ErrorCode::kNotFound,
                               "There is no such console endpoint.");
      HttpResponse res = ApiResponse(st, "/console/api/(unmatched)");
      return respond([res] { return res; });
    }
    const Route* route = &routes[match.route];
    auto params = std::make_shared<PathParams>(std::move(match.params));
    AnswerFn answer = [respond](Result<Answer> a) {
      respond([a = std::move(a)]() mutable {
        return ApiResponse(std::move(a), "/console/api");
      });
    };
    // Even before a session exists, state-changing calls carry the CSRF
    // header: another site cannot send it without a preflight.
    if (req.method == "POST" && req.csrf_token.empty()) {
      return answer(Status(ErrorCode::kUnauthorized,
                           "This request lacks the X-Licentia-CSRF header."));
    }
    if (!route->signed_in) return route->fn(req, *params, nullptr, answer);
    Authenticate(req, [&req, route, params, answer](Result<Session> session) {
      if (!session.ok()) return answer(session.status());
      route->fn(req, *params, &*session, answer);
    });
  }

  void ServeFile(const HttpRequest& req, const Responder& respond) {
    std::string_view name = req.path == "/console"
                                ? "index.html"
                                : std::string_view(req.path).substr(9);
    const ConsoleAsset* asset = FindConsoleAsset(name);
    HttpResponse res;
    if (req.method != "GET") {
      res = ErrorResponse(Status(ErrorCode::kMethodNotAllowed,
                                 "The console's pages are read with GET."));
    } else if (asset == nullptr) {
      res = ErrorResponse(
          Status(ErrorCode::kNotFound, "There is no such console page."));
    } else {
      res.body = std::string(asset->body);
      res.content_type = std::string(asset->content_type);
      res.headers.emplace_back("Cache-Control", "no-cache");
    }
    AddSecurityHeaders(res);
    res.route = "/console";
    respond([res] { return res; });
  }

  // Account life.

  void SignUp(const HttpRequest& req, AnswerFn answer) {
    auto parsed = [&]() -> Result<std::pair<std::string, std::string>> {
      LICENTIA_ASSIGN_OR_RETURN(
          JsonFields f, JsonFields::Parse(req.body, {"email", "password"}));
      LICENTIA_ASSIGN_OR_RETURN(std::string raw,
                                f.String("email", kMaxEmailBytes + 16));
      LICENTIA_ASSIGN_OR_RETURN(std::string email, NormalizeEmail(raw));
      LICENTIA_ASSIGN_OR_RETURN(std::string password,
                                f.String("password", kMaxPasswordBytes + 1));
      LICENTIA_RETURN_IF_ERROR(CheckPasswordRules(password));
      return std::pair(std::move(email), std::move(password));
    }();
    if (!parsed.ok()) return answer(parsed.status());
    // Sign-ups cost an Argon2id hash each: limited per address like
    // failed sign-ins.
    if (int wait = signups_per_address.Acquire(req.remote_address)) {
      return answer(
          TooManyRequests("Too many sign-ups from this address", wait));
    }
    hashing.Post([this, creds = std::move(*parsed), answer]() {
      auto hash = HashPassword(creds.second);
      if (!hash.ok()) return answer(hash.status());
      UnixSeconds now = Now();
      store::AccountRow account{0, creds.first, *hash, now, now};
      Write(
          [this, account](store::Transaction& txn, Answer& out) mutable {
            LICENTIA_ASSIGN_OR_RETURN(account.id, txn.InsertAccount(account));
            LICENTIA_RETURN_IF_ERROR(StartSession(txn, account, out));
            out.status = 201;
            return Status::Ok();
          },
          [answer](Result<Answer> a) {
            if (!a.ok() && a.status().code() == ErrorCode::kConflict) {
              return answer(Status(ErrorCode::kConflict,
                                   "An account with this email address "
                                   "exists already; sign in instead."));
            }
            answer(std::move(a));
          });
    });
  }

  struct SignInRequest {
    std::string first;   // the email address
    std::string second;  // the password
    std::optional<std::string> totp_code, recovery_code;
  };

  void SignIn(const HttpRequest& req, AnswerFn answer) {
    auto parsed = [&]() -> Result<SignInRequest> {
      LICENTIA_ASSIGN_OR_RETURN(
          JsonFields f,
          JsonFields::Parse(
              req.body, {"email", "password", "totp_code", "recovery_code"}));
      SignInRequest r;
      LICENTIA_ASSIGN_OR_RETURN(std::string raw,
                                f.String("email", kMaxEmailBytes + 16));
      LICENTIA_ASSIGN_OR_RETURN(r.first, NormalizeEmail(raw));
      LICENTIA_ASSIGN_OR_RETURN(r.second,
                                f.String("password", kMaxPasswordBytes));
      LICENTIA_ASSIGN_OR_RETURN(r.totp_code, f.OptString("totp_code", 16));
      LICENTIA_ASSIGN_OR_RETURN(r.recovery_code,
                                f.OptString("recovery_code", 32));
      return r;
    }();
    if (!parsed.ok()) return answer(parsed.status());
    std::string address = req.remote_address;
    int wait = std::max(signin_per_address.Check(address),
                        signin_per_account.Check(parsed->first));
    if (wait > 0) {
      return answer(TooManyRequests("Too many failed sign-ins", wait));
    }
    auto account = std::make_shared<std::optional<store::AccountRow>>();
    // Copied before the call: its arguments are evaluated in no set order,
    // and the second moves `parsed`.
    std::string email = parsed->first;
    ctx.store.ReadAsync(
        [account, email](store::Transaction& txn) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(*account, txn.FindAccountByEmail(email));
          return Status::Ok();
        },
        [this, account, creds = std::move(*parsed), address,
         answer](Status st) {
          if (!st.ok()) return answer(st);
          hashing.Post([this, account, creds, address, answer] {
            // The same work whether or not the account exists.
            const std::string& stored = account->has_value()
                                            ? (*account)->password_hash
                                            : DummyPasswordHash();
            bool good =
                VerifyPassword(stored, creds.second) && account->has_value();
            if (!good) {
              signin_per_address.Charge(address);
              signin_per_account.Charge(creds.first);
              return answer(Status(ErrorCode::kUnauthorized,
                                   "The email address or the password is "
                                   "wrong."));
            }
            // Always a new session: a token planted in the browser
            // beforehand (session fixation) is never adopted. With a
            // second factor, its code is checked and used up first.
            Write(
                [this, acc = **account, creds](store::Transaction& txn,
                                               Answer& out) {
                  LICENTIA_RETURN_IF_ERROR(
                      CheckSecondFactor(txn, seal_key, acc, creds.totp_code,
                                        creds.recovery_code, Now()));
                  return StartSession(txn, acc, out);
                },
                [this, address, email = creds.first, answer](Result<Answer> a) {
                  if (!a.ok() &&
                      a.status().code() == ErrorCode::kUnauthorized) {
                    signin_per_address.Charge(address);
                    signin_per_account.Charge(email);
                  }
                  answer(std::move(a));
                });
          });
        });
  }

  void SessionInfo(const Session& s, AnswerFn answer) {
    Read(
        [s](store::Transaction& txn, Answer& out) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(int left,
                                    txn.CountRecoveryCodesLeft(s.account_id));
          out.body = {{"account",
                       {{"id", s.account_id},
                        {"email", s.email},
                        {"second_factor", s.second_factor},
                        {"recovery_codes_left", left}}},
                      {"csrf_token", CsrfToken(s.token)}};
          return Status::Ok();
        },
        answer);
  }

  // The second factor (server/second_factor.h).

  void SetUpTotp(const Session& s, AnswerFn answer) {
    Write(
        [this, s](store::Transaction& txn, Answer& out) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(
              out.body, SetUpSecondFactor(txn, seal_key, s.account_id));
          return Status::Ok();
        },
        answer);
  }

  void EnableTotp(const HttpRequest& req, const Session& s, AnswerFn answer) {
    auto code = [&]() -> Result<std::string> {
      LICENTIA_ASSIGN_OR_RETURN(JsonFields f,
                                JsonFields::Parse(req.body, {"code"}));
      return f.String("code", 16);
    }();
    if (!code.ok()) return answer(code.status());
    Write(
        [this, s, code = *code](store::Transaction& txn,
                                Answer& out) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(
              out.body,
              EnableSecondFactor(txn, seal_key, s.account_id, code, Now()));
          return Status::Ok();
        },
        answer);
  }

  // Turning it off asks for the password again: a session left open on
  // someone else's screen must not be enough.
  void DisableTotp(const HttpRequest& req, const Session& s, AnswerFn answer) {
    auto password = [&]() -> Result<std::string> {
      LICENTIA_ASSIGN_OR_RETURN(JsonFields f,
                                JsonFields::Parse(req.body, {"password"}));
      return f.String("password", kMaxPasswordBytes);
    }();
    if (!password.ok()) return answer(password.status());
    WithPassword(s, *password, [this, s, answer](Status st) {
      if (!st.ok()) return answer(st);
      Write(
          [s](store::Transaction& txn, Answer& out) -> Status {
            LICENTIA_RETURN_IF_ERROR(DisableSecondFactor(txn, s.account_id));
            out.body = {{"second_factor", false}};
            return Status::Ok();
          },
          answer);
    });
  }

  // Runs `next` with OK if `password` is the signed-in account's, checked
  // on the hashing thread (where `next` then runs); a wrong one counts as
  // a failed sign-in.
  void WithPassword(const Session& s, std::string password,
                    std::function<void(Status)> next) {
    if (int wait = signin_per_account.Check(s.email)) {
      return next(TooManyRequests("Too many failed sign-ins", wait));
    }
    auto account = std::make_shared<std::optional<store::AccountRow>>();
    ctx.store.ReadAsync(
        [account, id = s.account_id](store::Transaction& txn) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(*account, txn.FindAccountById(id));
          return Status::Ok();
        },
        [this, account, password = std::move(password), email = s.email,
         next = std::move(next)](Status st) {
          if (!st.ok()) return next(st);
          if (!account->has_value()) return next(SignInNeeded());
          hashing.Post([this, account, password, email, next] {
            if (!VerifyPassword((*account)->password_hash, password)) {
              signin_per_account.Charge(email);
              return next(Status(ErrorCode::kUnauthorized,
                                 "The current password is wrong."));
            }
            next(Status::Ok());
          });
        });
  }

  void SignOut(const Session& s, bool everywhere, AnswerFn answer) {
    Write(
        [s, everywhere](store::Transaction& txn, Answer&) {
          return everywhere ? txn.DeleteAccountSessions(s.account_id)
                            : txn.DeleteSession(SessionHash(s.token));
        },
        [this, answer](Result<Answer> a) {
          if (!a.ok()) return answer(a.status());
          answer(Answer{{{"signed_out", true}},
                        200,
                        SessionCookie("", 0, options.secure_cookies)});
        });
  }

  void ChangePassword(const HttpRequest& req, const Session& s,
                      AnswerFn answer) {
    auto parsed = [&]() -> Result<std::pair<std::string, std::string>> {
      LICENTIA_ASSIGN_OR_RETURN(
          JsonFields f,
          JsonFields::Parse(req.body, {"current_password", "new_password"}));
      LICENTIA_ASSIGN_OR_RETURN(
          std::string current, f.String("current_password", kMaxPasswordBytes));
      LICENTIA_ASSIGN_OR_RETURN(
          std::string fresh, f.String("new_password", kMaxPasswordBytes + 1));
      LICENTIA_RETURN_IF_ERROR(CheckPasswordRules(fresh));
      return std::pair(std::move(current), std::move(fresh));
    }();
    if (!parsed.ok()) return answer(parsed.status());
    WithPassword(
        s, parsed->first, [this, s, fresh = parsed->second, answer](Status st) {
          if (!st.ok()) return answer(st);
          // On the hashing thread already (WithPassword).
          auto hash = HashPassword(fresh);
          if (!hash.ok()) return answer(hash.status());
          // Every other session ends: whoever knew the old password is signed
          // out. This browser gets a new session.
          Write(
              [this, s, hash = *hash](store::Transaction& txn,
                                      Answer& out) -> Status {
                LICENTIA_ASSIGN_OR_RETURN(auto acc,
                                          txn.FindAccountById(s.account_id));
                if (!acc) return SignInNeeded();
                LICENTIA_RETURN_IF_ERROR(
                    txn.SetAccountPassword(acc->id, hash, Now()));
                LICENTIA_RETURN_IF_ERROR(txn.DeleteAccountSessions(acc->id));
                return StartSession(txn, *acc, out);
              },
              answer);
        });
  }

  // Devices.

  void NewConnectCode(const Session& s, AnswerFn answer) {
    std::string symbols;
    for (size_t i = 0; i < kConnectCodeSymbols; ++i) {
      symbols.push_back(kCodeAlphabet[crypto::RandomUniform(
          static_cast<std::uint32_t>(kCodeAlphabet.size()))]);
    }
    UnixSeconds expires = Now() + kConnectCodeSeconds;
    Write(
        [symbols, expires, account = s.account_id](store::Transaction& txn,
                                                   Answer& out) {
          LICENTIA_RETURN_IF_ERROR(txn.InsertConnectCode(
              ConnectCodeHash(symbols), account, expires));
          out.status = 201;
          out.body = {{"code", symbols.substr(0, 4) + "-" + symbols.substr(4)},
                      {"expires_at", expires}};
          return Status::Ok();
        },
        answer);
  }

  // The device's licenses, reserves and last contact, as the console
  // shows them.
  Result<json::object> DeviceJson(store::Transaction& txn,
                                  const store::DeviceConnectionRow& c,
                                  UnixSeconds now) {
    json::object o{{"id", c.id},
                   {"name", c.device_name},
                   {"os", c.os},
                   {"app_version", c.app_version},
                   {"connected_at", c.connected_at}};
    UnixSeconds last = c.last_contact_at;
    LICENTIA_ASSIGN_OR_RETURN(auto seats,
                              txn.ListConnectedSeats(c.device_hash));
    json::array licenses;
    for (const store::ActivationRow& seat : seats) {
      LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(seat.code_id));
      if (!code) continue;
      last = std::max(last, seat.last_seen_at);
      json::object l = LicenseJson(*code, now);
      l["activated_at"] = seat.activated_at;
      LICENTIA_ASSIGN_OR_RETURN(
          auto reserve, txn.FindReserve(c.device_hash, code->terms.product));
      if (reserve) {
        LICENTIA_ASSIGN_OR_RETURN(auto r, txn.FindCodeById(reserve->code_id));
        if (r) l["reserve"] = LicenseJson(*r, now);
      }
      if (!l.contains("reserve")) l["reserve"] = nullptr;
      licenses.push_back(std::move(l));
    }
    o["licenses"] = std::move(licenses);
    o["last_contact_at"] = last;
    LICENTIA_ASSIGN_OR_RETURN(o["actions"], actions.Recent(txn, c.device_hash));
    return o;
  }

  void ListDevices(const Session& s, AnswerFn answer) {
    Read(
        [this, account = s.account_id](store::Transaction& txn, Answer& out) {
          LICENTIA_ASSIGN_OR_RETURN(auto connections,
                                    txn.ListDeviceConnections(account));
          json::array devices;
          UnixSeconds now = Now();
          for (const auto& c : connections) {
            LICENTIA_ASSIGN_OR_RETURN(json::object d, DeviceJson(txn, c, now));
            devices.push_back(std::move(d));
          }
          out.body = {{"devices", std::move(devices)}};
          return Status::Ok();
        },
        answer);
  }

  void DisconnectFromConsole(const HttpRequest& req, const PathParams& p,
                             const Session& s, AnswerFn answer) {
    auto parsed = [&]() -> Result<std::pair<std::int64_t, bool>> {
      LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(p[0], "device"));
      LICENTIA_ASSIGN_OR_RETURN(JsonFields f,
                                JsonFields::Parse(req.body, {"free_seats"}));
      LICENTIA_ASSIGN_OR_RETURN(bool free_seats, f.Bool("free_seats", false));
      return std::pair(id, free_seats);
    }();
    if (!parsed.ok()) return answer(parsed.status());
    Write(
        [this, id = parsed->first, free_seats = parsed->second,
         account = s.account_id](store::Transaction& txn, Answer& out) {
          LICENTIA_ASSIGN_OR_RETURN(auto connections,
                                    txn.ListDeviceConnections(account));
          auto it = std::find_if(connections.begin(), connections.end(),
                                 [&](const auto& c) { return c.id == id; });
          if (it == connections.end()) return NotFound("device");
          LICENTIA_ASSIGN_OR_RETURN(
              int freed, Disconnect(txn, *it, "account", free_seats));
          out.body = {{"disconnected", true}, {"seats_freed", freed}};
          return Status::Ok();
        },
        answer);
  }

  // Ends the connection `c`; with `free_seats`, also frees the device's
  // seats on the codes its account holds. Returns the seats freed.
  Result<int> Disconnect(store::Transaction& txn,
                         const store::DeviceConnectionRow& c,
                         std::string_view actor, bool free_seats) {
    UnixSeconds now = Now();
    // Read before the connection goes: the seats it knows go with it.
    LICENTIA_ASSIGN_OR_RETURN(auto seats,
                              txn.ListConnectedSeats(c.device_hash));
    LICENTIA_RETURN_IF_ERROR(txn.DeleteDeviceConnection(c.id));
    std::string device = crypto::ToHex(c.device_hash);
    int freed = 0;
    for (const auto& seat : seats) {
      LICENTIA_ASSIGN_OR_RETURN(
          auto held, txn.FindAccountCode(c.account_id, seat.code_id));
      if (!held) continue;
      LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(seat.code_id));
      if (!code) continue;
      LICENTIA_RETURN_IF_ERROR(
          RecordEvent(txn, now, "device.disconnected", &*code, device, actor));
      if (free_seats) {
        LICENTIA_RETURN_IF_ERROR(txn.ReleaseSeat(seat.id, now, "owner", ""));
        LICENTIA_RETURN_IF_ERROR(RecordEvent(
            txn, now, "code.deactivated", &*code, device, actor,
            {{"activation_id", seat.id}, {"reason", "freed in the console"}}));
        ++freed;
      }
    }
    return freed;
  }

  // Licenses.

  void AddCode(const HttpRequest& req, const Session& s, AnswerFn answer) {
    auto parsed = [&]() -> Result<ActivationCode> {
      LICENTIA_ASSIGN_OR_RETURN(JsonFields f,
                                JsonFields::Parse(req.body, {"code"}));
      LICENTIA_ASSIGN_OR_RETURN(std::string raw, f.String("code", 64));
      return ActivationCode::Parse(raw);
    }();
    if (!parsed.ok()) return answer(parsed.status());
    std::string address = req.remote_address;
    if (int wait = code_attempts_per_address.Check(address)) {
      return answer(TooManyRequests("Too many codes tried", wait));
    }
    Write(
        [this, code_text = *parsed, account = s.account_id](
            store::Transaction& txn, Answer& out) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(
              auto code, txn.FindCodeByHash(ctx.HashCode(code_text)));
          if (!code) {
            return Status(ErrorCode::kCodeNotFound,
                          "No license exists for this activation code; check "
                          "that it was typed exactly as received.");
          }
          LICENTIA_ASSIGN_OR_RETURN(auto held,
                                    txn.FindAccountCode(account, code->id));
          if (held) {
            return Status(ErrorCode::kConflict,
                          "This code is in your account already.");
          }
          LICENTIA_ASSIGN_OR_RETURN(auto admin,
                                    txn.FindCodeAdministrator(code->id));
          if (admin) {
            return Status(ErrorCode::kConflict,
                          "Another account manages this code; ask its "
                          "license administrator to invite you.");
          }
          UnixSeconds now = Now();
          std::string sealed =
              SealCode(seal_key, code->id, code_text.Canonical());
          LICENTIA_ASSIGN_OR_RETURN(
              bool added,
              txn.AddAccountCode({account, code->id,
                                  store::AccountRole::kAdministrator, sealed,
                                  now}));
          if (!added) {
            return Status(ErrorCode::kConflict,
                          "This code is in your account already.");
          }
          LICENTIA_RETURN_IF_ERROR(RecordEvent(txn, now, "account.code_added",
                                               &*code, "", "account",
                                               {{"role", "administrator"}}));
          out.status = 201;
          out.body = LicenseJson(*code, now);
          out.body["role"] = "administrator";
          return Status::Ok();
        },
        [this, address, answer](Result<Answer> a) {
          if (!a.ok() && a.status().code() == ErrorCode::kCodeNotFound) {
            code_attempts_per_address.Charge(address);
          }
          answer(std::move(a));
        });
  }

  void ListLicenses(const Session& s, AnswerFn answer) {
    Read(
        [this, account = s.account_id](store::Transaction& txn, Answer& out) {
          LICENTIA_ASSIGN_OR_RETURN(auto held, txn.ListAccountCodes(account));
          LICENTIA_ASSIGN_OR_RETURN(auto connections,
                                    txn.ListDeviceConnections(account));
          UnixSeconds now = Now();
          json::array licenses;
          for (const auto& h : held) {
            LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(h.code_id));
            if (!code) continue;
            json::object l = LicenseJson(*code, now);
            l["role"] = std::string(RoleName(h.role));
            l["added_at"] = h.added_at;
            l["can_view_code"] = !h.sealed_code.empty();
            // The administrator sees every device using the license; a
            // member, the seat count and its own devices.
            LICENTIA_ASSIGN_OR_RETURN(auto seats,
                                      txn.ListActivations(code->id));
            json::array devices;
            for (const auto& seat : seats) {
              if (seat.deactivated_at) continue;
              auto mine = std::find_if(
                  connections.begin(), connections.end(), [&](const auto& c) {
                    return c.device_hash == seat.device_hash;
                  });
              bool yours = mine != connections.end();
              if (h.role != store::AccountRole::kAdministrator && !yours) {
                continue;
              }
              json::object d{{"device_name", seat.device_name},
                             {"os", seat.os},
                             {"app_version", seat.app_version},
                             {"activated_at", seat.activated_at},
                             {"last_seen_at", seat.last_seen_at},
                             {"connected_to_you", yours}};
              if (yours) d["device_id"] = mine->id;
              devices.push_back(std::move(d));
            }
            l["devices"] = std::move(devices);
            if (h.role == store::AccountRole::kAdministrator) {
              LICENTIA_ASSIGN_OR_RETURN(auto invitations,
                                        txn.ListCodeInvitations(code->id));
              json::array list;
              for (const auto& i : invitations) {
                list.push_back(InvitationJson(i));
              }
              l["invitations"] = std::move(list);
            }
            licenses.push_back(std::move(l));
          }
          out.body = {{"licenses", std::move(licenses)}};
          return Status::Ok();
        },
        answer);
  }

  void ViewCode(const PathParams& p, const Session& s, AnswerFn answer) {
    auto id = ParseId(p[0], "license");
    if (!id.ok()) return answer(id.status());
    Read(
        [this, id = *id, account = s.account_id](store::Transaction& txn,
                                                 Answer& out) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(auto held,
                                    txn.FindAccountCode(account, id));
          if (!held) return NotFound("license");
          if (held->role != store::AccountRole::kAdministrator ||
              held->sealed_code.empty()) {
            return Status(ErrorCode::kNotFound,
                          "Only the license administrator who typed the "
                          "code into the console can view it.");
          }
          LICENTIA_ASSIGN_OR_RETURN(
              std::string canonical,
              OpenSealedCode(seal_key, id, held->sealed_code));
          LICENTIA_ASSIGN_OR_RETURN(ActivationCode code,
                                    ActivationCode::Parse(canonical));
          out.body = {{"code", code.Formatted()}};
          return Status::Ok();
        },
        answer);
  }

  void ListAccountEvents(const Session& s, AnswerFn answer) {
    Read(
        [account = s.account_id](store::Transaction& txn, Answer& out) {
          constexpr int kLimit = 100;
          LICENTIA_ASSIGN_OR_RETURN(auto held, txn.ListAccountCodes(account));
          std::vector<store::EventRow> events;
          for (const auto& h : held) {
            LICENTIA_ASSIGN_OR_RETURN(
                auto newest, txn.ListNewestCodeEvents(h.code_id, kLimit));
            events.insert(events.end(), newest.begin(), newest.end());
          }
          std::sort(events.begin(), events.end(),
                    [](const auto& a, const auto& b) { return a.id > b.id; });
          if (events.size() > kLimit) events.resize(kLimit);
          json::array list;
          for (const auto& e : events) {
            json::object o{{"id", e.id},
                           {"at", e.at},
                           {"type", e.type},
                           {"actor", e.actor}};
            if (e.code_id) o["code_id"] = *e.code_id;
            boost::system::error_code ec;
            json::value details = json::parse(e.details_json, ec);
            o["details"] = ec ? json::value(json::object{}) : details;
            list.push_back(std::move(o));
          }
          out.body = {{"events", std::move(list)}};
          return Status::Ok();
        },
        answer);
  }

  // Invitations.

  void Invite(const HttpRequest& req, const PathParams& p, const Session& s,
              AnswerFn answer) {
    auto parsed = [&]() -> Result<std::pair<std::int64_t, std::string>> {
      LICENTIA_ASSIGN_OR_RETURN(std::int64_t id, ParseId(p[0], "license"));
      LICENTIA_ASSIGN_OR_RETURN(JsonFields f,
                                JsonFields::Parse(req.body, {"email"}));
      LICENTIA_ASSIGN_OR_RETURN(std::string raw,
                                f.String("email", kMaxEmailBytes + 16));
      LICENTIA_ASSIGN_OR_RETURN(std::string email, NormalizeEmail(raw));
      return std::pair(id, std::move(email));
    }();
    if (!parsed.ok()) return answer(parsed.status());
    Write(
        [this, code_id = parsed->first, email = parsed->second, s](
            store::Transaction& txn, Answer& out) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(
              store::CodeRow code,
              AdministeredCode(txn, s.account_id, code_id));
          if (email == s.email) {
            return Status(ErrorCode::kConflict,
                          "You hold this license already.");
          }
          LICENTIA_ASSIGN_OR_RETURN(auto earlier,
                                    txn.ListCodeInvitations(code_id));
          for (const auto& i : earlier) {
            if (i.email == email &&
                (i.state == store::InvitationState::kPending ||
                 i.state == store::InvitationState::kAccepted)) {
              return Status(ErrorCode::kConflict,
                            "This address is invited already.");
            }
          }
          UnixSeconds now = Now();
          store::InvitationRow row{0,
                                   code_id,
                                   s.account_id,
                                   email,
                                   store::InvitationState::kPending,
                                   now,
                                   std::nullopt};
          LICENTIA_ASSIGN_OR_RETURN(row.id, txn.InsertInvitation(row));
          LICENTIA_RETURN_IF_ERROR(RecordEvent(txn, now, "invitation.sent",
                                               &code, "", "account",
                                               {{"email", email}}));
          out.status = 201;
          out.body = InvitationJson(row);
          return Status::Ok();
        },
        answer);
  }

  void MyInvitations(const Session& s, AnswerFn answer) {
    Read(
        [this, s](store::Transaction& txn, Answer& out) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(auto invitations,
                                    txn.ListEmailInvitations(s.email));
          json::array list;
          UnixSeconds now = Now();
          for (const auto& i : invitations) {
            if (i.state != store::InvitationState::kPending) continue;
            LICENTIA_ASSIGN_OR_RETURN(auto code, txn.FindCodeById(i.code_id));
            LICENTIA_ASSIGN_OR_RETURN(
                auto inviter, txn.FindAccountById(i.inviter_account_id));
            if (!code || !inviter) continue;
            json::object o = InvitationJson(i);
            o["license"] = LicenseJson(*code, now);
            o["from"] = inviter->email;
            list.push_back(std::move(o));
          }
          out.body = {{"invitations", std::move(list)}};
          return Status::Ok();
        },
        answer);
  }

  // Accepts or declines (by the invitee), or revokes (by the code's
  // administrator), invitation p[0].
  void DecideInvitation(const PathParams& p, const Session& s,
                        store::InvitationState decision, AnswerFn answer) {
    auto id = ParseId(p[0], "invitation");
    if (!id.ok()) return answer(id.status());
    Write(
        [this, id = *id, s, decision](store::Transaction& txn,
                                      Answer& out) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(auto found, txn.FindInvitation(id));
          bool revoking = decision == store::InvitationState::kRevoked;
          // The invitee decides; the administrator revokes. Anyone else
          // is told there is no such invitation.
          if (!found || (!revoking && found->email != s.email)) {
            return NotFound("invitation");
          }
          store::InvitationRow i = *found;
          std::optional<store::CodeRow> code;
          if (revoking) {
            LICENTIA_ASSIGN_OR_RETURN(
                code, AdministeredCode(txn, s.account_id, i.code_id));
          } else {
            LICENTIA_ASSIGN_OR_RETURN(code, txn.FindCodeById(i.code_id));
            if (!code) return NotFound("invitation");
          }
          bool open =
              i.state == store::InvitationState::kPending ||
              (revoking && i.state == store::InvitationState::kAccepted);
          if (!open) {
            return Status(
                ErrorCode::kConflict,
                fmt::format("This invitation was {} already.",
                            kInvitationStateNames[static_cast<int>(i.state)]));
          }
          UnixSeconds now = Now();
          if (decision == store::InvitationState::kAccepted) {
            LICENTIA_RETURN_IF_ERROR(
                txn.AddAccountCode({s.account_id, i.code_id,
                                    store::AccountRole::kMember, "", now})
                    .status());
          }
          if (revoking && i.state == store::InvitationState::kAccepted) {
            // The member no longer holds the code; its devices keep the
            // seats they have, but take no new one that needs an account.
            LICENTIA_ASSIGN_OR_RETURN(auto member,
                                      txn.FindAccountByEmail(i.email));
            if (member) {
              LICENTIA_ASSIGN_OR_RETURN(
                  auto held, txn.FindAccountCode(member->id, i.code_id));
              if (held && held->role == store::AccountRole::kMember) {
                LICENTIA_RETURN_IF_ERROR(
                    txn.DeleteAccountCode(member->id, i.code_id));
              }
            }
          }
          LICENTIA_RETURN_IF_ERROR(txn.SetInvitationState(id, decision, now));
          i.state = decision;
          i.decided_at = now;
          std::string type =
              fmt::format("invitation.{}",
                          kInvitationStateNames[static_cast<int>(decision)]);
          LICENTIA_RETURN_IF_ERROR(RecordEvent(
              txn, now, type, &*code, "", "account", {{"email", i.email}}));
          out.body = InvitationJson(i);
          return Status::Ok();
        },
        answer);
  }

  // Actions for devices (server/device_actions.h).

  void QueueAction(const HttpRequest& req, const PathParams& p,
                   const Session& s, AnswerFn answer) {
    auto parsed = [&]()
        -> Result<
            std::tuple<std::int64_t, store::DeviceActionKind, std::int64_t>> {
      LICENTIA_ASSIGN_OR_RETURN(std::int64_t device, ParseId(p[0], "device"));
      LICENTIA_ASSIGN_OR_RETURN(
          JsonFields f, JsonFields::Parse(req.body, {"kind", "code_id"}));
      LICENTIA_ASSIGN_OR_RETURN(std::string kind, f.String("kind", 32));
      LICENTIA_ASSIGN_OR_RETURN(std::int64_t code, RequiredId(f, "code_id"));
      for (auto k : {store::DeviceActionKind::kActivate,
                     store::DeviceActionKind::kSetReserve,
                     store::DeviceActionKind::kRemoveReserve}) {
        if (kind == DeviceActionKindName(k)) return std::tuple(device, k, code);
      }
      return Status(ErrorCode::kInvalidRequest,
                    "kind is one of activate, set_reserve, remove_reserve.");
    }();
    if (!parsed.ok()) return answer(parsed.status());
    // Named copies: Clang 14 cannot capture structured bindings.
    std::int64_t device = std::get<0>(*parsed);
    store::DeviceActionKind kind = std::get<1>(*parsed);
    std::int64_t code = std::get<2>(*parsed);
    Write(
        [this, device, kind, code, account = s.account_id](
            store::Transaction& txn, Answer& out) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(
              out.body, actions.Queue(txn, account, device, kind, code, Now()));
          out.status = 201;
          return Status::Ok();
        },
        answer);
  }

  void ReserveEverywhere(const PathParams& p, const Session& s,
                         AnswerFn answer) {
    auto code = ParseId(p[0], "license");
    if (!code.ok()) return answer(code.status());
    Write(
        [this, code = *code, account = s.account_id](store::Transaction& txn,
                                                     Answer& out) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(
              json::array results,
              actions.ReserveEverywhere(txn, account, code, Now()));
          out.body = {{"devices", std::move(results)}};
          return Status::Ok();
        },
        answer);
  }

  // The device side.

  // A device call answered with the object `fn` makes in one write
  // transaction (nothing is written if it fails).
  void DeviceWrite(std::function<Result<json::object>(store::Transaction&)> fn,
                   Reply reply) {
    auto out = std::make_shared<json::object>();
    WriteAndReply(
        ctx.store, out,
        [fn = std::move(fn), out](store::Transaction& txn) -> Status {
          LICENTIA_ASSIGN_OR_RETURN(*out, fn(txn));
          return Status::Ok();
        },
        std::move(reply));
  }

  Result<std::pair<crypto::Hash, std::string>> ParseDeviceToken(
      std::string_view body) {
    LICENTIA_ASSIGN_OR_RETURN(
        JsonFields f,
        JsonFields::Parse(body, {"fingerprint", "connection_token"}));
    LICENTIA_ASSIGN_OR_RETURN(std::string fp, f.String("fingerprint", 128));
    LICENTIA_ASSIGN_OR_RETURN(std::string token,
                              f.String("connection_token", 128));
    return std::pair(DeviceBinding(fp), std::move(token));
  }

  void AddRoutes() {
    auto session = [](auto method) {
      return [method](const HttpRequest& r, const PathParams& p,
                      const Session* s, AnswerFn a) { method(r, p, *s, a); };
    };
    Add("POST", "/console/api/signup", false,
        [this](const HttpRequest& r, const PathParams&, const Session*,
               AnswerFn a) { SignUp(r, std::move(a)); });
    Add("POST", "/console/api/signin", false,
        [this](const HttpRequest& r, const PathParams&, const Session*,
               AnswerFn a) { SignIn(r, std::move(a)); });
    Add("GET", "/console/api/session", true,
        session([this](const HttpRequest&, const PathParams&, const Session& s,
                       AnswerFn a) { SessionInfo(s, std::move(a)); }));
    for (bool everywhere : {false, true}) {
      Add("POST",
          everywhere ? "/console/api/signout-everywhere"
                     : "/console/api/signout",
          true,
          session([this, everywhere](const HttpRequest&, const PathParams&,
                                     const Session& s, AnswerFn a) {
            SignOut(s, everywhere, std::move(a));
          }));
    }
    Add("POST", "/console/api/password", true,
        session([this](const HttpRequest& r, const PathParams&,
                       const Session& s,
                       AnswerFn a) { ChangePassword(r, s, std::move(a)); }));
    Add("POST", "/console/api/second-factor/setup", true,
        session([this](const HttpRequest&, const PathParams&, const Session& s,
                       AnswerFn a) { SetUpTotp(s, std::move(a)); }));
    Add("POST", "/console/api/second-factor/enable", true,
        session([this](const HttpRequest& r, const PathParams&,
                       const Session& s,
                       AnswerFn a) { EnableTotp(r, s, std::move(a)); }));
    Add("POST", "/console/api/second-factor/disable", true,
        session([this](const HttpRequest& r, const PathParams&,
                       const Session& s,
                       AnswerFn a) { DisableTotp(r, s, std::move(a)); }));
    Add("POST", "/console/api/connect-codes", true,
        session([this](const HttpRequest&, const PathParams&, const Session& s,
                       AnswerFn a) { NewConnectCode(s, std::move(a)); }));
    Add("GET", "/console/api/devices", true,
        session([this](const HttpRequest&, const PathParams&, const Session& s,
                       AnswerFn a) { ListDevices(s, std::move(a)); }));
    Add("POST", "/console/api/devices/{}/disconnect", true,
        session([this](const HttpRequest& r, const PathParams& p,
                       const Session& s, AnswerFn a) {
          DisconnectFromConsole(r, p, s, std::move(a));
        }));
    Add("POST", "/console/api/codes", true,
        session([this](const HttpRequest& r, const PathParams&,
                       const Session& s,
                       AnswerFn a) { AddCode(r, s, std::move(a)); }));
    Add("GET", "/console/api/licenses", true,
        session([this](const HttpRequest&, const PathParams&, const Session& s,
                       AnswerFn a) { ListLicenses(s, std::move(a)); }));
    Add("GET", "/console/api/licenses/{}/code", true,
        session([this](const HttpRequest&, const PathParams& p,
                       const Session& s,
                       AnswerFn a) { ViewCode(p, s, std::move(a)); }));
    Add("POST", "/console/api/licenses/{}/invitations", true,
        session([this](const HttpRequest& r, const PathParams& p,
                       const Session& s,
                       AnswerFn a) { Invite(r, p, s, std::move(a)); }));
    Add("GET", "/console/api/invitations", true,
        session([this](const HttpRequest&, const PathParams&, const Session& s,
                       AnswerFn a) { MyInvitations(s, std::move(a)); }));
    for (auto [verb, decision] :
         {std::pair("accept", store::InvitationState::kAccepted),
          std::pair("decline", store::InvitationState::kDeclined),
          std::pair("revoke", store::InvitationState::kRevoked)}) {
      Add("POST", fmt::format("/console/api/invitations/{{}}/{}", verb), true,
          session([this, decision = decision](const HttpRequest&,
                                              const PathParams& p,
                                              const Session& s, AnswerFn a) {
            DecideInvitation(p, s, decision, std::move(a));
          }));
    }
    Add("POST", "/console/api/devices/{}/actions", true,
        session([this](const HttpRequest& r, const PathParams& p,
                       const Session& s,
                       AnswerFn a) { QueueAction(r, p, s, std::move(a)); }));
    Add("POST", "/console/api/licenses/{}/reserve-everywhere", true,
        session([this](const HttpRequest&, const PathParams& p,
                       const Session& s,
                       AnswerFn a) { ReserveEverywhere(p, s, std::move(a)); }));
    Add("GET", "/console/api/events", true,
        session([this](const HttpRequest&, const PathParams&, const Session& s,
                       AnswerFn a) { ListAccountEvents(s, std::move(a)); }));
  }
};

ConsoleService::ConsoleService(ServiceContext& ctx, const CodeSealKey& seal_key,
                               ConsoleOptions options)
    : impl_(std::make_unique<Impl>(ctx, seal_key, options)) {}

ConsoleService::~ConsoleService() = default;

void ConsoleService::Handle(const HttpRequest& request,
                            const Responder& respond) {
  impl_->Handle(request, respond);
}

std::vector<std::string> ConsoleService::Routes() const {
  return impl_->router.List();
}

void ConsoleService::ConnectDevice(std::string_view body, Reply reply) {
  struct Request {
    std::string code;
    std::string fingerprint, name, os, app_version;
    std::vector<ActivationCode> codes;  // the codes the device says it uses
  };
  auto parsed = [&]() -> Result<Request> {
    LICENTIA_ASSIGN_OR_RETURN(
        JsonFields f,
        JsonFields::Parse(body, {"connect_code", "fingerprint", "device_name",
                                 "os", "app_version", "codes"}));
    Request r;
    LICENTIA_ASSIGN_OR_RETURN(std::string raw,
                              f.String("connect_code", kMaxConnectCodeInput));
    auto code = NormalizeConnectCode(raw);
    if (!code) {
      return Status(ErrorCode::kInvalidRequest,
                    "A connection code is eight letters and digits, as the "
                    "console shows it (XXXX-XXXX).");
    }
    r.code = *code;
    LICENTIA_ASSIGN_OR_RETURN(r.fingerprint, f.String("fingerprint", 128));
    LICENTIA_ASSIGN_OR_RETURN(auto name, f.OptString("device_name", 128));
    LICENTIA_ASSIGN_OR_RETURN(auto os, f.OptString("os", 128));
    LICENTIA_ASSIGN_OR_RETURN(auto version, f.OptString("app_version", 32));
    r.name = name.value_or("");
    r.os = os.value_or("");
    r.app_version = version.value_or("");
    LICENTIA_ASSIGN_OR_RETURN(auto codes, f.StringList("codes", 4, 64));
    for (const std::string& text : codes) {
      LICENTIA_ASSIGN_OR_RETURN(ActivationCode c, ActivationCode::Parse(text));
      r.codes.push_back(std::move(c));
    }
    return r;
  }();
  if (!parsed.ok()) return ReplyNow(reply, parsed.status());
  Impl& impl = *impl_;
  std::string token = crypto::RandomToken("ltc_");
  auto out = std::make_shared<json::object>();
  WriteAndReply(
      impl.ctx.store, out,
      [&impl, r = std::move(*parsed), token,
       out](store::Transaction& txn) -> Status {
        UnixSeconds now = impl.Now();
        LICENTIA_ASSIGN_OR_RETURN(
            auto account_id, txn.UseConnectCode(ConnectCodeHash(r.code), now));
        if (!account_id) return ConnectCodeInvalid();
        LICENTIA_ASSIGN_OR_RETURN(auto account,
                                  txn.FindAccountById(*account_id));
        if (!account) return ConnectCodeInvalid();
        store::DeviceConnectionRow c;
        c.device_hash = DeviceBinding(r.fingerprint);
        c.account_id = *account_id;
        c.token_hash = crypto::Blake2b(token);
        c.device_name = r.name;
        c.os = r.os;
        c.app_version = r.app_version;
        c.connected_at = c.last_contact_at = now;
        LICENTIA_RETURN_IF_ERROR(txn.PutDeviceConnection(c).status());
        // The codes the device shows it holds a seat of join the account
        // (the first account to hold a code administers it, and - since the
        // device proved it has the code - may view it later); the console
        // shows them on the device's card.
        std::string device = crypto::ToHex(c.device_hash);
        json::array added;
        for (const ActivationCode& text : r.codes) {
          LICENTIA_ASSIGN_OR_RETURN(
              store::CodeSeat seat,
              txn.FindCodeSeat(impl.ctx.HashCode(text), c.device_hash));
          if (!seat.code || !seat.activation) continue;  // not its seat
          const store::CodeRow* code = &*seat.code;
          LICENTIA_RETURN_IF_ERROR(txn.NoteDeviceCode(c.device_hash, code->id));
          LICENTIA_RETURN_IF_ERROR(RecordEvent(txn, now, "device.connected",
                                               code, device, "device",
                                               {{"account_id", *account_id}}));
          LICENTIA_ASSIGN_OR_RETURN(auto admin,
                                    txn.FindCodeAdministrator(code->id));
          if (admin) continue;
          LICENTIA_ASSIGN_OR_RETURN(
              bool fresh,
              txn.AddAccountCode(
                  {*account_id, code->id, store::AccountRole::kAdministrator,
                   SealCode(impl.seal_key, code->id, text.Canonical()), now}));
          if (!fresh) continue;
          LICENTIA_RETURN_IF_ERROR(RecordEvent(txn, now, "account.code_added",
                                               code, device, "device",
                                               {{"role", "administrator"}}));
          added.push_back(
              json::object{{"id", code->id},
                           {"masked_code", MaskCode(code->code_tail)},
                           {"role", "administrator"}});
        }
        *out = {{"connection_token", token},
                {"account", account->email},
                {"codes_added", std::move(added)}};
        return Status::Ok();
      },
      std::move(reply));
}

void ConsoleService::TakeActions(std::string_view body, Reply reply) {
  auto parsed = impl_->ParseDeviceToken(body);
  if (!parsed.ok()) return ReplyNow(reply, parsed.status());
  impl_->DeviceWrite(
      [&impl = *impl_, device = parsed->first,
       token = parsed->second](store::Transaction& txn) {
        return impl.actions.Take(txn, device, token, impl.Now());
      },
      std::move(reply));
}

void ConsoleService::FinishAction(std::string_view body, Reply reply) {
  struct Outcome {
    crypto::Hash device;
    std::string token;
    std::int64_t id = 0;
    std::string error_code, message;
  };
  auto parsed = [&]() -> Result<Outcome> {
    LICENTIA_ASSIGN_OR_RETURN(
        JsonFields f,
        JsonFields::Parse(body, {"fingerprint", "connection_token", "id",
                                 "error_code", "message"}));
    Outcome o;
    LICENTIA_ASSIGN_OR_RETURN(std::string fp, f.String("fingerprint", 128));
    o.device = DeviceBinding(fp);
    LICENTIA_ASSIGN_OR_RETURN(o.token, f.String("connection_token", 128));
    LICENTIA_ASSIGN_OR_RETURN(o.id, RequiredId(f, "id"));
    LICENTIA_ASSIGN_OR_RETURN(auto code, f.OptString("error_code", 64));
    LICENTIA_ASSIGN_OR_RETURN(auto message, f.OptString("message", 512));
    o.error_code = code.value_or("");
    o.message = message.value_or("");
    if (!o.error_code.empty() && !ErrorCodeFromName(o.error_code).has_value()) {
      return Status(ErrorCode::kInvalidRequest,
                    "error_code is one of the documented error codes.");
    }
    return o;
  }();
  if (!parsed.ok()) return ReplyNow(reply, parsed.status());
  impl_->DeviceWrite(
      [&impl = *impl_, o = std::move(*parsed)](store::Transaction& txn) {
        return impl.actions.Finish(txn, o.device, o.token, o.id, o.error_code,
                                   o.message, impl.Now());
      },
      std::move(reply));
}

void ConsoleService::DisconnectDevice(std::string_view body, Reply reply) {
  auto parsed = impl_->ParseDeviceToken(body);
  if (!parsed.ok()) return ReplyNow(reply, parsed.status());
  impl_->DeviceWrite(
      [&impl = *impl_, device = parsed->first, token = parsed->second](
          store::Transaction& txn) -> Result<json::object> {
        LICENTIA_ASSIGN_OR_RETURN(auto c, ProveConnection(txn, device, token));
        LICENTIA_RETURN_IF_ERROR(
            impl.Disconnect(txn, c, "device", false).status());
        return json::object{{"disconnected", true}};
      },
      std::move(reply));
}

}  // namespace licentia::server
