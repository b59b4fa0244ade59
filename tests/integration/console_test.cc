// The management console's API against the real licentiad: accounts,
// sessions, CSRF, device connections, codes held by accounts, rule 8 for
// codes that require an account, and isolation between accounts.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "integration/api_test_base.h"
#include "integration/console_client.h"
#include "server/totp.h"

namespace licentia::testing {
namespace {

constexpr char kPassword[] = "correct horse battery";

class ConsoleTest : public ApiTestBase {
 protected:
  void SetUp() override {
    ApiTestBase::SetUp();
    CreateProduct("photo");
  }

  ConsoleClient Client() { return ConsoleClient(server_->url()); }

  // A signed-up account's client.
  ConsoleClient Account(const std::string& email) {
    ConsoleClient c = Client();
    ConsoleAnswer a = c.SignUp(email, kPassword);
    EXPECT_EQ(a.status, 201) << json::serialize(a.body);
    return c;
  }

  std::string ConnectCode(ConsoleClient& c) {
    ConsoleAnswer a = c.Post("/console/api/connect-codes", json::object{});
    EXPECT_EQ(a.status, 201) << json::serialize(a.body);
    return a.status == 201 ? std::string(a.body.at("code").as_string()) : "";
  }

  // Connects the device `fingerprint`, which says it uses `codes` (as the
  // SDK sends the code of its license).
  Result<json::value> Connect(const std::string& code,
                              const std::string& fingerprint,
                              json::array codes = {}) {
    return DeviceCall("/v1/connect", {{"connect_code", code},
                                      {"fingerprint", fingerprint},
                                      {"device_name", "laptop " + fingerprint},
                                      {"os", "Linux"},
                                      {"app_version", "22.0"},
                                      {"codes", std::move(codes)}});
  }

  json::array Devices(ConsoleClient& c) {
    ConsoleAnswer a = c.Get("/console/api/devices");
    EXPECT_EQ(a.status, 200) << json::serialize(a.body);
    return a.status == 200 ? a.body.at("devices").as_array() : json::array{};
  }
};

TEST_F(ConsoleTest, SignUpSignOutAndSignInAgain) {
  ConsoleClient c = Account("Ann@Example.com");
  EXPECT_FALSE(c.session.empty());
  ConsoleAnswer me = c.Get("/console/api/session");
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body.at("account").at("email"), "ann@example.com");

  EXPECT_EQ(c.Post("/console/api/signout", json::object{}).status, 200);
  EXPECT_EQ(c.Get("/console/api/session").error(), "UNAUTHORIZED");

  ConsoleClient again = Client();
  EXPECT_EQ(again.SignIn("ann@example.com", "wrong password!").error(),
            "UNAUTHORIZED");
  EXPECT_EQ(again.SignIn(" ANN@example.com", kPassword).status, 200);
  EXPECT_EQ(again.Get("/console/api/session").status, 200);

  // One account per address.
  EXPECT_EQ(Client().SignUp("ann@example.com", kPassword).error(), "CONFLICT");
  // No account: the same answer as a wrong password.
  EXPECT_EQ(Client().SignIn("bob@example.com", kPassword).error(),
            "UNAUTHORIZED");
}

TEST_F(ConsoleTest, BadInputIsRefusedWithAStableCode) {
  ConsoleClient c = Client();
  c.csrf = "x";
  struct Case {
    std::string body, code;
  } cases[] = {
      {"{", "INVALID_REQUEST"},
      {R"({"email": 7, "password": "correct horse"})", "INVALID_REQUEST"},
      {R"({"email": "ann", "password": "correct horse"})", "INVALID_REQUEST"},
      {R"({"email": "a@b", "password": "short"})", "INVALID_REQUEST"},
      {R"({"email": "a@b", "password": "correct horse", "admin": true})",
       "INVALID_REQUEST"},
      {R"({"email": "a b@c", "password": "correct horse"})", "INVALID_REQUEST"},
  };
  for (const Case& k : cases) {
    ConsoleAnswer a = c.Call("POST", "/console/api/signup", k.body);
    EXPECT_EQ(a.error(), k.code) << k.body;
  }
  ConsoleAnswer huge =
      c.Call("POST", "/console/api/signup", std::string(100 * 1024, ' '));
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(c.Get("/console/api/nothing").error(), "NOT_FOUND");
  EXPECT_EQ(c.Get("/console/nothing.js").error(), "NOT_FOUND");
  EXPECT_EQ(c.Call("DELETE", "/console/api/signup").error(),
            "METHOD_NOT_ALLOWED");
  // Nothing was created.
  EXPECT_EQ(Client().SignIn("a@b", "correct horse").error(), "UNAUTHORIZED");
}

TEST_F(ConsoleTest, StateChangesNeedTheSessionsCsrfToken) {
  ConsoleClient ann = Account("ann@example.com");
  ConsoleClient bob = Account("bob@example.com");
  // Without the header even sign-up is refused: a form on another site
  // cannot send it.
  ConsoleClient bare = Client();
  EXPECT_EQ(bare.Post("/console/api/signup",
                      json::object{{"email", "eve@example.com"},
                                   {"password", kPassword}})
                .error(),
            "UNAUTHORIZED");
  // Ann's cookie with Bob's token, or with none, or a made-up one.
  for (std::string token : {bob.csrf, std::string("x"), std::string()}) {
    ConsoleClient forged = ann;
    forged.csrf = token;
    EXPECT_EQ(forged.Post("/console/api/connect-codes", json::object{}).error(),
              "UNAUTHORIZED")
        << token;
    EXPECT_EQ(
        forged.Post("/console/api/signout-everywhere", json::object{}).error(),
        "UNAUTHORIZED");
  }
  // Ann's session survived every forged request.
  EXPECT_EQ(ann.Get("/console/api/session").status, 200);
}

TEST_F(ConsoleTest, APlantedSessionCookieIsNeverAdopted) {
  Account("ann@example.com");
  ConsoleClient victim = Client();
  victim.session = "lts_planted_by_an_attacker_000000000000000000000";
  ASSERT_EQ(victim.SignIn("ann@example.com", kPassword).status, 200);
  EXPECT_NE(victim.session, "lts_planted_by_an_attacker_000000000000000000000");
  ConsoleClient attacker = Client();
  attacker.session = "lts_planted_by_an_attacker_000000000000000000000";
  EXPECT_EQ(attacker.Get("/console/api/session").error(), "UNAUTHORIZED");
}

TEST_F(ConsoleTest, SignOutEverywhereAndAPasswordChangeEndOtherSessions) {
  ConsoleClient first = Account("ann@example.com");
  ConsoleClient second = Client();
  ASSERT_EQ(second.SignIn("ann@example.com", kPassword).status, 200);
  ConsoleAnswer changed =
      second.Post("/console/api/password",
                  json::object{{"current_password", kPassword},
                               {"new_password", "a new long password"}});
  ASSERT_EQ(changed.status, 200) << json::serialize(changed.body);
  second.csrf = std::string(changed.body.at("csrf_token").as_string());
  EXPECT_EQ(first.Get("/console/api/session").error(), "UNAUTHORIZED");
  EXPECT_EQ(second.Get("/console/api/session").status, 200);
  EXPECT_EQ(Client().SignIn("ann@example.com", kPassword).error(),
            "UNAUTHORIZED");
  ConsoleClient third = Client();
  ASSERT_EQ(third.SignIn("ann@example.com", "a new long password").status, 200);
  EXPECT_EQ(third
                .Post("/console/api/password",
                      json::object{{"current_password", "not the password"},
                                   {"new_password", "another password!"}})
                .error(),
            "UNAUTHORIZED");

  EXPECT_EQ(
      third.Post("/console/api/signout-everywhere", json::object{}).status,
      200);
  EXPECT_EQ(second.Get("/console/api/session").error(), "UNAUTHORIZED");
  EXPECT_EQ(third.Get("/console/api/session").error(), "UNAUTHORIZED");
}

TEST_F(ConsoleTest, ASessionEndsWhenItExpires) {
  ConsoleClient c = Account("ann@example.com");
  AdvanceDays(13);
  EXPECT_EQ(c.Get("/console/api/session").status, 200);
  AdvanceDays(2);
  EXPECT_EQ(c.Get("/console/api/session").error(), "UNAUTHORIZED");
}

TEST_F(ConsoleTest, ConnectingADeviceShowsItInTheAccount) {
  ConsoleClient ann = Account("ann@example.com");
  IssuedCode code = Issue({{"product", "photo"}, {"max_devices", 2}});
  ASSERT_TRUE(Activate(code.code, "fp-1").ok());
  std::string connect = ConnectCode(ann);
  auto connected = Connect(connect, "fp-1", {code.code});
  ASSERT_TRUE(connected.ok()) << connected.status().ToString();
  EXPECT_EQ(connected->at("account"), "ann@example.com");
  // The code the device holds joined the account, as its administrator.
  ASSERT_EQ(connected->at("codes_added").as_array().size(), 1u);

  json::array devices = Devices(ann);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].at("name"), "laptop fp-1");
  ASSERT_EQ(devices[0].at("licenses").as_array().size(), 1u);
  EXPECT_EQ(devices[0].at("licenses").at(0).at("id"), code.id);
  EXPECT_EQ(devices[0].at("licenses").at(0).at("state"), "active");

  // Used once; a lowercase retyping is the same code.
  std::string lower = connect;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
  EXPECT_API_ERROR(Connect(lower, "fp-2"), "CONNECT_CODE_INVALID");
  EXPECT_API_ERROR(Connect("ABCD-EFGH", "fp-2"), "CONNECT_CODE_INVALID");
  EXPECT_API_ERROR(Connect("not a code", "fp-2"), "INVALID_REQUEST");
  // Ten minutes, then it is gone.
  std::string late = ConnectCode(ann);
  auto r = AdminCall("POST", "/v1/admin/test/clock",
                     json::object{{"advance_seconds", 10 * 60}});
  ASSERT_TRUE(r.ok());
  EXPECT_API_ERROR(Connect(late, "fp-2"), "CONNECT_CODE_INVALID");
  EXPECT_EQ(Devices(ann).size(), 1u);
}

TEST_F(ConsoleTest, DisconnectingFromEitherSide) {
  ConsoleClient ann = Account("ann@example.com");
  IssuedCode code = Issue({{"product", "photo"}, {"max_devices", 2}});
  ASSERT_TRUE(Activate(code.code, "fp-1").ok());
  auto connected = Connect(ConnectCode(ann), "fp-1", {code.code});
  ASSERT_TRUE(connected.ok());
  std::string token(connected->at("connection_token").as_string());
  EXPECT_API_ERROR(
      DeviceCall("/v1/disconnect",
                 {{"fingerprint", "fp-1"}, {"connection_token", "ltc_x"}}),
      "NOT_CONNECTED");
  EXPECT_TRUE(DeviceCall("/v1/disconnect",
                         {{"fingerprint", "fp-1"}, {"connection_token", token}})
                  .ok());
  EXPECT_TRUE(Devices(ann).empty());

  // From the console, freeing the seat too.
  ASSERT_TRUE(Connect(ConnectCode(ann), "fp-1", {code.code}).ok());
  json::array devices = Devices(ann);
  ASSERT_EQ(devices.size(), 1u);
  std::string id = std::to_string(devices[0].at("id").as_int64());
  ConsoleAnswer gone = ann.Post("/console/api/devices/" + id + "/disconnect",
                                json::object{{"free_seats", true}});
  ASSERT_EQ(gone.status, 200) << json::serialize(gone.body);
  EXPECT_EQ(gone.body.at("seats_freed"), 1);
  EXPECT_EQ(Code(code.id).at("seats_used"), 0);
  EXPECT_TRUE(Devices(ann).empty());
  EXPECT_EQ(
      ann.Post("/console/api/devices/" + id + "/disconnect", json::object{})
          .error(),
      "NOT_FOUND");
}

TEST_F(ConsoleTest, TheAdministratorAddsACodeAndViewsItAgain) {
  ConsoleClient ann = Account("ann@example.com");
  ConsoleClient bob = Account("bob@example.com");
  IssuedCode code = Issue({{"product", "photo"}, {"term_days", 30}});
  // Typed with other separators and in lower case: the same code.
  std::string typed = code.code;
  for (char& ch : typed)
    ch = ch == '-' ? ' ' : static_cast<char>(std::tolower(ch));
  ConsoleAnswer added =
      ann.Post("/console/api/codes", json::object{{"code", typed}});
  ASSERT_EQ(added.status, 201) << json::serialize(added.body);
  EXPECT_EQ(added.body.at("role"), "administrator");
  EXPECT_EQ(
      ann.Post("/console/api/codes", json::object{{"code", code.code}}).error(),
      "CONFLICT");
  EXPECT_EQ(
      bob.Post("/console/api/codes", json::object{{"code", code.code}}).error(),
      "CONFLICT");
  ConsoleAnswer licenses = ann.Get("/console/api/licenses");
  ASSERT_EQ(licenses.status, 200);
  ASSERT_EQ(licenses.body.at("licenses").as_array().size(), 1u);
  EXPECT_EQ(licenses.body.at("licenses").at(0).at("can_view_code"), true);
  std::string path =
      "/console/api/licenses/" + std::to_string(code.id) + "/code";
  ConsoleAnswer view = ann.Get(path);
  ASSERT_EQ(view.status, 200);
  EXPECT_EQ(view.body.at("code").as_string(), code.code);
  // Never stored in plaintext: no file of the SQLite database holds it.
  std::string canonical;
  for (char ch : code.code) {
    if (ch != '-') canonical.push_back(ch);
  }
  for (const char* name : {"licentia.db", "licentia.db-wal"}) {
    std::ifstream in(server_->data_dir() / name, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(canonical), std::string::npos) << name;
    EXPECT_EQ(bytes.find(code.code), std::string::npos) << name;
  }
  EXPECT_EQ(bob.Get(path).error(), "NOT_FOUND");
  EXPECT_EQ(
      bob.Get("/console/api/licenses").body.at("licenses").as_array().size(),
      0u);
  // Mistyped and unknown codes.
  EXPECT_EQ(
      ann.Post("/console/api/codes", json::object{{"code", "ABC"}}).error(),
      "INVALID_CODE_FORMAT");
  IssuedCode other = Issue({{"product", "photo"}});
  std::string wrong = other.code;
  wrong[0] = wrong[0] == '2' ? '3' : '2';
  std::string e =
      ann.Post("/console/api/codes", json::object{{"code", wrong}}).error();
  EXPECT_TRUE(e == "INVALID_CODE_FORMAT" || e == "CODE_NOT_FOUND") << e;
  // The account's history shows the addition.
  ConsoleAnswer events = ann.Get("/console/api/events");
  ASSERT_EQ(events.status, 200);
  ASSERT_FALSE(events.body.at("events").as_array().empty());
  EXPECT_EQ(events.body.at("events").at(0).at("type"), "account.code_added");
}

// Rule 8: a code that requires an account activates only on a device
// connected to an account that holds it.
TEST_F(ConsoleTest, ACodeThatRequiresAnAccountActivatesOnlyOnAConnectedDevice) {
  ConsoleClient ann = Account("ann@example.com");
  ConsoleClient bob = Account("bob@example.com");
  IssuedCode code = Issue(
      {{"product", "photo"}, {"requires_account", true}, {"max_devices", 3}});
  EXPECT_API_ERROR(Activate(code.code, "fp-ann"), "ACCOUNT_REQUIRED");
  ASSERT_TRUE(Connect(ConnectCode(ann), "fp-ann").ok());
  ASSERT_TRUE(Connect(ConnectCode(bob), "fp-bob").ok());
  // Connected, but the account does not hold the code yet.
  EXPECT_API_ERROR(Activate(code.code, "fp-ann"), "ACCOUNT_REQUIRED");
  ASSERT_EQ(
      ann.Post("/console/api/codes", json::object{{"code", code.code}}).status,
      201);
  EXPECT_TRUE(Activate(code.code, "fp-ann").ok());
  // Bob's account does not hold it; an unconnected device neither.
  EXPECT_API_ERROR(Activate(code.code, "fp-bob"), "ACCOUNT_REQUIRED");
  EXPECT_API_ERROR(Activate(code.code, "fp-none"), "ACCOUNT_REQUIRED");
  EXPECT_EQ(Code(code.id).at("seats_used"), 1);
}

// As a reserve too: refused when it is added, taken up at rollover only
// while the device's account holds it.
TEST_F(ConsoleTest, AnAccountReserveNeedsTheAccountToo) {
  ConsoleClient ann = Account("ann@example.com");
  IssuedCode current = Issue({{"product", "photo"}, {"term_days", 30}});
  IssuedCode reserve = Issue(
      {{"product", "photo"}, {"term_days", 365}, {"requires_account", true}});
  auto activated = Activate(current.code, "fp-1");
  ASSERT_TRUE(activated.ok());
  std::string token(activated->at("activation_token").as_string());
  json::object add{{"code", current.code},
                   {"fingerprint", "fp-1"},
                   {"activation_token", token},
                   {"reserve_code", reserve.code}};
  EXPECT_API_ERROR(DeviceCall("/v1/reserve/register", add), "ACCOUNT_REQUIRED");
  ASSERT_TRUE(Connect(ConnectCode(ann), "fp-1", {current.code}).ok());
  ASSERT_EQ(ann.Post("/console/api/codes", json::object{{"code", reserve.code}})
                .status,
            201);
  auto registered = DeviceCall("/v1/reserve/register", add);
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  // The console shows the reserve beside the license.
  json::array devices = Devices(ann);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].at("licenses").at(0).at("reserve").at("id"), reserve.id);
}

// An account never sees or changes another's devices, codes or events:
// not by guessing ids, not by replaying the other's requests.
TEST_F(ConsoleTest, AccountsAreIsolated) {
  ConsoleClient ann = Account("ann@example.com");
  ConsoleClient bob = Account("bob@example.com");
  IssuedCode code = Issue({{"product", "photo"}});
  ASSERT_TRUE(Activate(code.code, "fp-ann").ok());
  ASSERT_TRUE(Connect(ConnectCode(ann), "fp-ann", {code.code}).ok());
  ASSERT_EQ(
      ann.Post("/console/api/codes", json::object{{"code", code.code}}).error(),
      "CONFLICT");  // joined already, through the device
  std::int64_t device = Devices(ann).at(0).at("id").as_int64();

  EXPECT_TRUE(Devices(bob).empty());
  EXPECT_TRUE(
      bob.Get("/console/api/licenses").body.at("licenses").as_array().empty());
  EXPECT_TRUE(
      bob.Get("/console/api/events").body.at("events").as_array().empty());
  for (std::int64_t id : {device, device + 1, std::int64_t{1}}) {
    EXPECT_EQ(
        bob.Post("/console/api/devices/" + std::to_string(id) + "/disconnect",
                 json::object{{"free_seats", true}})
            .error(),
        "NOT_FOUND");
    EXPECT_EQ(bob.Get("/console/api/licenses/" + std::to_string(id) + "/code")
                  .error(),
              "NOT_FOUND");
  }
  // Ann's requests replayed with Bob's session act on Bob's account only.
  ConsoleClient replay = ann;
  replay.session = bob.session;
  EXPECT_EQ(replay
                .Post("/console/api/devices/" + std::to_string(device) +
                          "/disconnect",
                      json::object{})
                .error(),
            "UNAUTHORIZED");  // Ann's CSRF token is not Bob's session's
  replay.csrf = bob.csrf;
  EXPECT_EQ(replay
                .Post("/console/api/devices/" + std::to_string(device) +
                          "/disconnect",
                      json::object{})
                .error(),
            "NOT_FOUND");
  EXPECT_EQ(Devices(ann).size(), 1u);
  EXPECT_EQ(Code(code.id).at("seats_used"), 1);
}

// Every console endpoint that names something by id, called by another
// account with the first account's ids (and guessed ones), and every
// state-changing one replayed with the other's session: NOT_FOUND or
// UNAUTHORIZED, and the first account's state is unchanged.
TEST_F(ConsoleTest, EveryEndpointKeepsAccountsApart) {
  ConsoleClient ann = Account("ann@example.com");
  ConsoleClient bob = Account("bob@example.com");
  IssuedCode current = Issue({{"product", "photo"}, {"term_days", 30}});
  IssuedCode typed = Issue({{"product", "photo"}, {"term_days", 365}});
  ASSERT_TRUE(Activate(current.code, "fp-ann").ok());
  ASSERT_TRUE(Connect(ConnectCode(ann), "fp-ann", {current.code}).ok());
  ASSERT_EQ(
      ann.Post("/console/api/codes", json::object{{"code", typed.code}}).status,
      201);
  ConsoleAnswer invited = ann.Post(
      "/console/api/licenses/" + std::to_string(typed.id) + "/invitations",
      json::object{{"email", "carol@example.com"}});
  ASSERT_EQ(invited.status, 201);
  std::string device = std::to_string(Devices(ann).at(0).at("id").as_int64());
  std::string license = std::to_string(typed.id);
  std::string invitation = std::to_string(invited.body.at("id").as_int64());
  auto snapshot = [&] {
    return json::serialize(ann.Get("/console/api/devices").body) +
           json::serialize(ann.Get("/console/api/licenses").body) +
           json::serialize(ann.Get("/console/api/events").body);
  };
  const std::string before = snapshot();

  struct Call {
    std::string method, path;
    json::object body;
  };
  std::vector<Call> by_id = {
      {"POST",
       "/console/api/devices/" + device + "/disconnect",
       {{"free_seats", true}}},
      {"POST",
       "/console/api/devices/" + device + "/actions",
       {{"kind", "set_reserve"}, {"code_id", typed.id}}},
      {"GET", "/console/api/licenses/" + license + "/code", {}},
      {"POST",
       "/console/api/licenses/" + license + "/invitations",
       {{"email", "eve@example.com"}}},
      {"POST", "/console/api/licenses/" + license + "/reserve-everywhere", {}},
      {"POST", "/console/api/invitations/" + invitation + "/accept", {}},
      {"POST", "/console/api/invitations/" + invitation + "/decline", {}},
      {"POST", "/console/api/invitations/" + invitation + "/revoke", {}},
  };
  for (const Call& c : by_id) {
    ConsoleAnswer a =
        c.method == "GET" ? bob.Get(c.path) : bob.Post(c.path, c.body);
    EXPECT_EQ(a.error(), "NOT_FOUND") << c.path;
    // Guessed neighbours are no different.
    for (std::string guess : {"1", "2", "999"}) {
      std::string path = c.path;
      for (const std::string& id : {device, license, invitation}) {
        if (auto at = path.find("/" + id + "/"); at != std::string::npos) {
          path.replace(at + 1, id.size(), guess);
        }
      }
      ConsoleAnswer g =
          c.method == "GET" ? bob.Get(path) : bob.Post(path, c.body);
      EXPECT_EQ(g.error(), "NOT_FOUND") << path;  // Bob has nothing at all
    }
  }
  // Bob's own lists show nothing of Ann's.
  EXPECT_TRUE(Devices(bob).empty());
  EXPECT_TRUE(
      bob.Get("/console/api/licenses").body.at("licenses").as_array().empty());
  EXPECT_TRUE(
      bob.Get("/console/api/events").body.at("events").as_array().empty());
  EXPECT_TRUE(bob.Get("/console/api/invitations")
                  .body.at("invitations")
                  .as_array()
                  .empty());
  // Ann's requests replayed with Bob's cookie: her CSRF token is not his
  // session's.
  std::vector<Call> replayed = by_id;
  replayed.push_back({"POST", "/console/api/codes", {{"code", typed.code}}});
  replayed.push_back({"POST", "/console/api/connect-codes", {}});
  replayed.push_back({"POST",
                      "/console/api/password",
                      {{"current_password", kPassword},
                       {"new_password", "a new long password"}}});
  replayed.push_back({"POST", "/console/api/second-factor/setup", {}});
  replayed.push_back({"POST", "/console/api/signout-everywhere", {}});
  ConsoleClient replay = ann;
  replay.session = bob.session;
  for (const Call& c : replayed) {
    if (c.method == "GET") continue;
    EXPECT_EQ(replay.Post(c.path, c.body).error(), "UNAUTHORIZED") << c.path;
  }
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(Code(current.id).at("seats_used"), 1);
  EXPECT_EQ(bob.Get("/console/api/session").status, 200);
}

// The administrator invites another account, which then uses the code on
// its own connected devices until the invitation is revoked.
TEST_F(ConsoleTest, InvitationsLetAnotherAccountUseTheCode) {
  ConsoleClient ann = Account("ann@example.com");
  ConsoleClient bob = Account("bob@example.com");
  ConsoleClient carol = Account("carol@example.com");
  IssuedCode code = Issue(
      {{"product", "photo"}, {"requires_account", true}, {"max_devices", 3}});
  ASSERT_EQ(
      ann.Post("/console/api/codes", json::object{{"code", code.code}}).status,
      201);
  std::string invite_path =
      "/console/api/licenses/" + std::to_string(code.id) + "/invitations";
  ConsoleAnswer sent =
      ann.Post(invite_path, json::object{{"email", "Bob@Example.com"}});
  ASSERT_EQ(sent.status, 201) << json::serialize(sent.body);
  std::string id = std::to_string(sent.body.at("id").as_int64());
  EXPECT_EQ(
      ann.Post(invite_path, json::object{{"email", "bob@example.com"}}).error(),
      "CONFLICT");
  // Only the administrator invites.
  EXPECT_EQ(
      carol.Post(invite_path, json::object{{"email", "x@example.com"}}).error(),
      "NOT_FOUND");

  ConsoleAnswer mine = bob.Get("/console/api/invitations");
  ASSERT_EQ(mine.status, 200);
  ASSERT_EQ(mine.body.at("invitations").as_array().size(), 1u);
  EXPECT_EQ(mine.body.at("invitations").at(0).at("from"), "ann@example.com");
  EXPECT_TRUE(carol.Get("/console/api/invitations")
                  .body.at("invitations")
                  .as_array()
                  .empty());
  // Another account cannot accept it for Bob, nor revoke it.
  EXPECT_EQ(
      carol.Post("/console/api/invitations/" + id + "/accept", json::object{})
          .error(),
      "NOT_FOUND");
  EXPECT_EQ(
      carol.Post("/console/api/invitations/" + id + "/revoke", json::object{})
          .error(),
      "NOT_FOUND");

  ASSERT_TRUE(Connect(ConnectCode(bob), "fp-bob").ok());
  EXPECT_API_ERROR(Activate(code.code, "fp-bob"), "ACCOUNT_REQUIRED");
  ASSERT_EQ(
      bob.Post("/console/api/invitations/" + id + "/accept", json::object{})
          .status,
      200);
  EXPECT_EQ(
      bob.Post("/console/api/invitations/" + id + "/accept", json::object{})
          .error(),
      "CONFLICT");
  EXPECT_TRUE(Activate(code.code, "fp-bob").ok());
  ConsoleAnswer bobs = bob.Get("/console/api/licenses");
  ASSERT_EQ(bobs.body.at("licenses").as_array().size(), 1u);
  EXPECT_EQ(bobs.body.at("licenses").at(0).at("role"), "member");
  EXPECT_EQ(bobs.body.at("licenses").at(0).at("can_view_code"), false);
  EXPECT_EQ(
      bob.Get("/console/api/licenses/" + std::to_string(code.id) + "/code")
          .error(),
      "NOT_FOUND");
  // The administrator sees Bob's device among the license's.
  ConsoleAnswer anns = ann.Get("/console/api/licenses");
  ASSERT_EQ(anns.body.at("licenses").at(0).at("devices").as_array().size(), 1u);
  EXPECT_EQ(anns.body.at("licenses").at(0).at("invitations").at(0).at("state"),
            "accepted");

  // Revoked: Bob's devices take no new seat on it.
  ASSERT_EQ(
      ann.Post("/console/api/invitations/" + id + "/revoke", json::object{})
          .status,
      200);
  ASSERT_TRUE(Connect(ConnectCode(bob), "fp-bob-2").ok());
  EXPECT_API_ERROR(Activate(code.code, "fp-bob-2"), "ACCOUNT_REQUIRED");
  EXPECT_TRUE(
      bob.Get("/console/api/licenses").body.at("licenses").as_array().empty());

  // The vendor's event log knows the invitations' events by type (a
  // regression: they were recorded, but missing from the types the log
  // and its filter know).
  for (const char* type : {"invitation.sent", "invitation.accepted",
                           "invitation.revoked", "account.code_added"}) {
    auto events =
        AdminCall("GET", std::string("/v1/admin/events?type=") + type);
    ASSERT_TRUE(events.ok()) << type << ": " << events.status().ToString();
    EXPECT_EQ(events->at("events").as_array().size(), 1u) << type;
  }
  // A declined invitation gives nothing.
  ConsoleAnswer again =
      ann.Post(invite_path, json::object{{"email", "carol@example.com"}});
  ASSERT_EQ(again.status, 201);
  std::string carol_id = std::to_string(again.body.at("id").as_int64());
  ASSERT_EQ(carol
                .Post("/console/api/invitations/" + carol_id + "/decline",
                      json::object{})
                .status,
            200);
  EXPECT_TRUE(carol.Get("/console/api/licenses")
                  .body.at("licenses")
                  .as_array()
                  .empty());
}

// The second factor: set up with a code typed back, then asked for at
// every sign-in; each code good once; recovery codes for a lost phone.
TEST_F(ConsoleTest, TwoStepSignIn) {
  ConsoleClient ann = Account("ann@example.com");
  auto server_now = [&] {
    auto r = server_->Device().Call("GET", "/v1/ping", nullptr);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->at("server_time").as_int64() : 0;
  };
  auto code_now = [&](const std::vector<std::uint8_t>& secret) {
    return server::TotpCode(secret, server::TotpStep(server_now()));
  };
  auto next_step = [&] {
    ASSERT_TRUE(AdminCall("POST", "/v1/admin/test/clock",
                          json::object{{"advance_seconds", 30}})
                    .ok());
  };
  ConsoleAnswer setup =
      ann.Post("/console/api/second-factor/setup", json::object{});
  ASSERT_EQ(setup.status, 200) << json::serialize(setup.body);
  EXPECT_TRUE(
      setup.body.at("otpauth_uri")
          .as_string()
          .starts_with("otpauth://totp/Licentia:ann%40example.com?secret="));
  auto secret =
      *server::FromBase32(std::string(setup.body.at("secret").as_string()));
  EXPECT_EQ(ann.Post("/console/api/second-factor/enable",
                     json::object{{"code", "000000"}})
                .error(),
            "UNAUTHORIZED");
  ConsoleAnswer enabled = ann.Post("/console/api/second-factor/enable",
                                   json::object{{"code", code_now(secret)}});
  ASSERT_EQ(enabled.status, 200) << json::serialize(enabled.body);
  const auto& recovery = enabled.body.at("recovery_codes").as_array();
  ASSERT_EQ(recovery.size(), 10u);
  EXPECT_EQ(
      ann.Post("/console/api/second-factor/setup", json::object{}).error(),
      "CONFLICT");

  // The password alone is not enough any more.
  ConsoleClient c = Client();
  EXPECT_EQ(c.SignIn("ann@example.com", kPassword).error(),
            "SECOND_FACTOR_REQUIRED");
  auto with = [&](const char* field, std::string value) {
    ConsoleClient fresh = Client();
    fresh.csrf = "signin";
    return fresh.Post("/console/api/signin",
                      json::object{{"email", "ann@example.com"},
                                   {"password", kPassword},
                                   {field, value}});
  };
  // The code used to turn it on is used up; the next one signs in, once.
  EXPECT_EQ(with("totp_code", code_now(secret)).error(), "UNAUTHORIZED");
  next_step();
  std::string code = code_now(secret);
  EXPECT_EQ(with("totp_code", code).status, 200);
  EXPECT_EQ(with("totp_code", code).error(), "UNAUTHORIZED");
  // A wrong password with a right code is still a wrong password.
  next_step();
  ConsoleClient wrong = Client();
  wrong.csrf = "signin";
  EXPECT_EQ(wrong
                .Post("/console/api/signin",
                      json::object{{"email", "ann@example.com"},
                                   {"password", "not the password"},
                                   {"totp_code", code_now(secret)}})
                .error(),
            "UNAUTHORIZED");
  // A recovery code, typed in lower case, once.
  std::string rc(recovery.at(0).as_string());
  std::string lower = rc;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
  ConsoleAnswer recovered = with("recovery_code", lower);
  ASSERT_EQ(recovered.status, 200);
  EXPECT_EQ(with("recovery_code", rc).error(), "UNAUTHORIZED");
  EXPECT_EQ(ann.Get("/console/api/session")
                .body.at("account")
                .at("recovery_codes_left"),
            9);

  // Turning it off needs the password.
  EXPECT_EQ(ann.Post("/console/api/second-factor/disable",
                     json::object{{"password", "not the password"}})
                .error(),
            "UNAUTHORIZED");
  ASSERT_EQ(ann.Post("/console/api/second-factor/disable",
                     json::object{{"password", kPassword}})
                .status,
            200);
  EXPECT_EQ(Client().SignIn("ann@example.com", kPassword).status, 200);
}

// The device calls that take up console actions refuse what a device
// cannot prove, and bad input, with stable codes; nothing changes.
TEST_F(ConsoleTest, TheActionCallsRefuseBadProofAndBadInput) {
  ConsoleClient ann = Account("ann@example.com");
  auto connected = Connect(ConnectCode(ann), "fp-1");
  ASSERT_TRUE(connected.ok());
  std::string token(connected->at("connection_token").as_string());
  json::object wrong{{"fingerprint", "fp-1"}, {"connection_token", "ltc_x"}};
  EXPECT_API_ERROR(DeviceCall("/v1/actions", wrong), "NOT_CONNECTED");
  EXPECT_API_ERROR(DeviceCall("/v1/actions", {{"fingerprint", "fp-2"},
                                              {"connection_token", token}}),
                   "NOT_CONNECTED");
  auto none = DeviceCall(
      "/v1/actions", {{"fingerprint", "fp-1"}, {"connection_token", token}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->at("actions").as_array().empty());
  json::object result{
      {"fingerprint", "fp-1"}, {"connection_token", token}, {"id", 1}};
  EXPECT_API_ERROR(DeviceCall("/v1/actions/result", result), "NOT_FOUND");
  result["error_code"] = "NOT_A_CODE";
  EXPECT_API_ERROR(DeviceCall("/v1/actions/result", result), "INVALID_REQUEST");
  result.erase("id");
  result["error_code"] = "";
  EXPECT_API_ERROR(DeviceCall("/v1/actions/result", result), "INVALID_REQUEST");
  result["id"] = "1";
  EXPECT_API_ERROR(DeviceCall("/v1/actions/result", result), "INVALID_REQUEST");
  EXPECT_API_ERROR(DeviceCall("/v1/actions", {{"fingerprint", "fp-1"}}),
                   "INVALID_REQUEST");
  // Console side: a second factor cannot be turned on before it is set up.
  EXPECT_EQ(ann.Post("/console/api/second-factor/enable",
                     json::object{{"code", "123456"}})
                .error(),
            "CONFLICT");
  EXPECT_EQ(
      ann.Get("/console/api/session").body.at("account").at("second_factor"),
      false);
}

class ConsoleRateLimitTest : public ConsoleTest {
 protected:
  std::vector<std::string> ServerArgs() override {
    return {"--rate-limit-ip",
            "0",
            "--rate-limit-code",
            "0",
            "--rate-limit-signin-failures",
            "3"};
  }
};

TEST_F(ConsoleRateLimitTest, FailedSignInsAreLimited) {
  Account("ann@example.com");
  ConsoleClient c = Client();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c.SignIn("ann@example.com", "wrong password!").error(),
              "UNAUTHORIZED");
  }
  ConsoleAnswer limited = c.SignIn("ann@example.com", kPassword);
  EXPECT_EQ(limited.error(), "RATE_LIMITED");
  EXPECT_FALSE(limited.retry_after.empty());
}

}  // namespace
}  // namespace licentia::testing
