// `licentia admin ...` against the real server, as a vendor would use it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "cli/exit_codes.h"
#include "core/clock.h"
#include "integration/api_test_base.h"

namespace licentia::testing {
namespace {

class CliAdminTest : public ApiTestBase {
 protected:
  CommandResult Cli(std::vector<std::string> args) {
    return CliAs(server_->admin_token(), std::move(args));
  }
  CommandResult CliAs(const std::string& token, std::vector<std::string> args) {
    args.insert(args.begin(), {LicentiaCliPath(), "--server", server_->url(),
                               "--token", token});
    return RunCommand(args);
  }
};

TEST_F(CliAdminTest, IssueListShowBlockAndEvents) {
  ASSERT_EQ(Cli({"admin", "product", "create", "photo", "--name", "Photo",
                 "--version", "21.0"})
                .exit_code,
            0);
  auto list = Cli({"--json", "admin", "product", "list"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(json::parse(list.out).at("products").at(0).at("id").as_string(),
            "photo");

  auto csv = Cli({"admin", "codes", "issue", "--product", "photo", "--count",
                  "25", "--max-devices", "3", "--versions", ">=21 <23",
                  "--activate-by", "2030-01-01"});
  ASSERT_EQ(csv.exit_code, 0) << csv.out;
  std::istringstream lines(csv.out);
  std::string header, row;
  std::getline(lines, header);
  EXPECT_EQ(header, "id,code,product,batch_id");
  int rows = 0;
  std::string first_code;
  while (std::getline(lines, row)) {
    if (rows == 0) first_code = row.substr(row.find(',') + 1, 23);
    ++rows;
  }
  EXPECT_EQ(rows, 25);
  EXPECT_TRUE(Activate(first_code, "dev").ok());

  auto shown = Cli({"--json", "admin", "codes", "show", "--code", first_code});
  ASSERT_EQ(shown.exit_code, 0);
  auto detail = json::parse(shown.out);
  EXPECT_EQ(detail.at("seats_used").as_int64(), 1);
  EXPECT_EQ(detail.at("compatible_versions").as_string(), ">=21 <23");
  std::string id = std::to_string(detail.at("id").as_int64());

  auto human = Cli({"admin", "codes", "show", id});
  EXPECT_NE(human.out.find("1 of 3 in use"), std::string::npos) << human.out;

  ASSERT_EQ(
      Cli({"admin", "codes", "block", id, "--reason", "chargeback"}).exit_code,
      0);
  EXPECT_API_ERROR(Activate(first_code, "dev2"), "CODE_BLOCKED");
  auto blocked =
      Cli({"--json", "admin", "codes", "list", "--status", "blocked"});
  EXPECT_EQ(json::parse(blocked.out).at("codes").as_array().size(), 1u);

  auto events = Cli({"--json", "admin", "events", "--type", "code.blocked"});
  ASSERT_EQ(events.exit_code, 0);
  EXPECT_EQ(json::parse(events.out)
                .at("events")
                .at(0)
                .at("details")
                .at("reason")
                .as_string(),
            "chargeback");
}

TEST_F(CliAdminTest, JsonOutputToAFile) {
  CreateProduct("p");
  std::string file = server_->data_dir().string() + "/codes.json";
  auto r = Cli({"admin", "codes", "issue", "--product", "p", "--count", "3",
                "--format", "json", "-o", file});
  ASSERT_EQ(r.exit_code, 0);
  std::ifstream in(file);
  auto v = json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
  EXPECT_EQ(v.at("count").as_int64(), 3);
  EXPECT_EQ(v.at("codes").as_array().size(), 3u);
  // What docs/api.md shows for the API's answer is in the CLI's JSON too.
  EXPECT_EQ(v.at("batch_ids").as_array().size(), 1u);
  EXPECT_EQ(v.at("codes").at(0).at("batch_id"), v.at("batch_ids").at(0));
  EXPECT_EQ(v.at("terms").at("product").as_string(), "p");
  EXPECT_EQ(v.at("terms").at("license_type").as_string(), "term");
}

TEST_F(CliAdminTest, ExitCodesAreStable) {
  EXPECT_EQ(Cli({"admin", "codes", "show", "12345"}).exit_code,
            cli::kExitNotFound);
  auto bad_token =
      RunCommand({LicentiaCliPath(), "--server", server_->url(), "--token",
                  "lta_nope", "admin", "product", "list"});
  EXPECT_EQ(bad_token.exit_code, cli::kExitUnauthorized);
  auto unreachable =
      RunCommand({LicentiaCliPath(), "--server", "http://127.0.0.1:1",
                  "--token", "x", "admin", "product", "list"});
  EXPECT_EQ(unreachable.exit_code, cli::kExitUnavailable);
  EXPECT_EQ(Cli({"admin", "codes", "issue", "--product", "none"}).exit_code,
            cli::kExitNotFound);
  EXPECT_EQ(Cli({"admin", "nonsense"}).exit_code, cli::kExitUsage);
  auto json_error = Cli({"--json", "admin", "codes", "show", "777"});
  EXPECT_EQ(json::parse(json_error.out).at("error").at("code").as_string(),
            "NOT_FOUND");
}

// The output file is the only plaintext copy of the codes.
TEST_F(CliAdminTest, IssueToAFileNeverOverwritesAndLeavesNothingOnFailure) {
  CreateProduct("p");
  namespace fs = std::filesystem;
  fs::path file = server_->data_dir() / "codes.csv";
  auto r = Cli({"admin", "codes", "issue", "--product", "p", "--count", "2",
                "-o", file.string()});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  std::string first = [&] {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  // A second run into the same file is refused and the codes stay.
  auto again = Cli({"admin", "codes", "issue", "--product", "p", "--count", "2",
                    "-o", file.string()});
  EXPECT_EQ(again.exit_code, cli::kExitRefused);
  std::ifstream in(file);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), first);
  // A failed issue leaves no file behind.
  fs::path failed = server_->data_dir() / "failed.csv";
  auto none = Cli({"admin", "codes", "issue", "--product", "nothing", "-o",
                   failed.string()});
  EXPECT_EQ(none.exit_code, cli::kExitNotFound);
  EXPECT_FALSE(fs::exists(failed));
  // A file that cannot be created: refused before anything is issued.
  std::int64_t events = EventCount();
  auto nowhere =
      Cli({"admin", "codes", "issue", "--product", "p", "-o",
           (server_->data_dir() / "no-such-dir" / "x.csv").string()});
  EXPECT_EQ(nowhere.exit_code, cli::kExitError);
  EXPECT_EQ(EventCount(), events);
  // Codes that could never be activated are refused (the test clock is
  // in 2027).
  auto past = Cli({"admin", "codes", "issue", "--product", "p", "--activate-by",
                   "2026-01-01", "-o", failed.string()});
  EXPECT_EQ(past.exit_code, cli::kExitInvalidInput);
  EXPECT_FALSE(fs::exists(failed));
}

// Regression: the first-start banner said "licentia admin --token ...",
// which failed: global options were accepted only before the subcommand.
TEST_F(CliAdminTest, GlobalOptionsAreAcceptedAnywhere) {
  CreateProduct("p");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"admin", "--token", server_->admin_token(),
                                 "--server", server_->url(), "product", "list",
                                 "--json"},
        {"admin", "product", "list", "--json", "--token",
         server_->admin_token(), "--server", server_->url()}}) {
    args.insert(args.begin(), LicentiaCliPath());
    auto r = RunCommand(args);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(json::parse(r.out).at("products").at(0).at("id").as_string(),
              "p");
  }
  auto version = RunCommand({LicentiaCliPath(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(version.out.starts_with("licentia ")) << version.out;
  auto server_version = RunCommand({LicentiadPath(), "--version"});
  EXPECT_EQ(server_version.exit_code, 0);
  EXPECT_TRUE(server_version.out.starts_with("licentiad ")) << version.out;
}

// Regression: --limit 0 crashed the server; --type nonsense listed nothing
// and exited 0; --limit 5000 complained about a "Query parameter".
TEST_F(CliAdminTest, ListingOptionsAreCheckedWithClearErrors) {
  for (const char* limit : {"0", "5000", "-1"}) {
    auto codes = RunCommand(
        {LicentiaCliPath(), "--server", server_->url(), "--token",
         server_->admin_token(), "admin", "codes", "list", "--limit", limit},
        {}, /*merge_stderr=*/true);
    EXPECT_EQ(codes.exit_code, cli::kExitUsage) << limit;
    EXPECT_NE(codes.out.find("--limit"), std::string::npos) << codes.out;
    EXPECT_EQ(Cli({"admin", "events", "--limit", limit}).exit_code,
              cli::kExitUsage);
  }
  auto type = Cli({"--json", "admin", "events", "--type", "nonsense"});
  EXPECT_EQ(type.exit_code, cli::kExitInvalidInput);
  EXPECT_EQ(json::parse(type.out).at("error").at("code").as_string(),
            "INVALID_REQUEST");
  // The server is still up.
  EXPECT_EQ(Cli({"admin", "events", "--limit", "1"}).exit_code, 0);
}

// Answers every request on a loopback port with `body` (200, JSON), as a
// server of another kind or version might; stops when destroyed.
class OddServer {
 public:
  explicit OddServer(std::string body) : body_(std::move(body)) {
    fd_ = ListenOnLoopback(port_);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char buf[8192];
        (void)::recv(c, buf, sizeof buf, 0);
        std::string reply =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: " +
            std::to_string(body_.size()) + "\r\n\r\n" + body_;
        (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~OddServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }

 private:
  std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// The commands read the server's answers as documented; an answer of
// another shape ends in a clear error, never an uncaught exception.
TEST(CliOddServerTest, AnswersOfAnotherShapeAreAClearError) {
  OddServer odd(R"({"codes":"not a list","events":7,"products":{}})");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"admin", "codes", "list"},
        {"admin", "events"},
        {"admin", "product", "list"},
        {"admin", "codes", "show", "1"}}) {
    args.insert(args.begin(),
                {LicentiaCliPath(), "--server", odd.url(), "--token", "lta_x"});
    auto r = RunCommand(args, {}, /*merge_stderr=*/true);
    EXPECT_EQ(r.exit_code, cli::kExitError) << r.out;
    EXPECT_NE(r.out.find("[INTERNAL]"), std::string::npos) << r.out;
  }
}

TEST_F(CliAdminTest, TestClockCommand) {
  auto r = Cli({"--json", "admin", "test-clock", "--advance-days", "10"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(json::parse(r.out).at("now").as_int64(), 1800000000 + 10 * 86400);
}

TEST_F(CliAdminTest, SupportReleasesADevicesSeat) {
  CreateProduct("photo");
  IssuedCode code = Issue({{"product", "photo"}, {"max_devices", 2}});
  ASSERT_TRUE(Activate(code.code, "old-laptop").ok());
  auto shown =
      Cli({"--json", "admin", "codes", "show", std::to_string(code.id)});
  ASSERT_EQ(shown.exit_code, 0) << shown.out;
  std::int64_t seat =
      json::parse(shown.out).at("activations").at(0).at("id").as_int64();
  auto released = Cli({"admin", "codes", "release", std::to_string(code.id),
                       std::to_string(seat), "--reason", "stolen laptop"});
  ASSERT_EQ(released.exit_code, 0) << released.out;
  EXPECT_NE(released.out.find("0 of 2 in use"), std::string::npos)
      << released.out;
  auto again = Cli({"admin", "codes", "release", std::to_string(code.id),
                    std::to_string(seat)});
  EXPECT_EQ(again.exit_code,
            cli::ExitCodeFor(Status(ErrorCode::kNotActivated, "")));
  auto events = Cli({"admin", "events", "--type", "code.deactivated"});
  EXPECT_NE(events.out.find("stolen laptop"), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("admin"), std::string::npos) << events.out;
}

// A vendor's day: a subscription renewed, suspended and resumed; a code
// given more seats and a batch new versions; the silent devices' seats
// freed.
TEST_F(CliAdminTest, RenewSuspendChangeTermsAndSweepSeats) {
  CreateProduct("photo");
  auto issued = Cli({"--json", "admin", "codes", "issue", "--product", "photo",
                     "--type", "subscription", "--term-days", "30",
                     "--grace-days", "5", "--heartbeat-days", "10"});
  ASSERT_EQ(issued.exit_code, 0) << issued.out;
  json::value doc = json::parse(issued.out);
  std::string id = std::to_string(doc.at("codes").at(0).at("id").as_int64());
  std::string code(doc.at("codes").at(0).at("code").as_string());
  std::string batch = std::to_string(doc.at("batch_ids").at(0).as_int64());
  ASSERT_TRUE(Activate(code, "laptop").ok());
  auto shown = Cli({"admin", "codes", "show", id});
  EXPECT_NE(shown.out.find("grace             5 days"), std::string::npos)
      << shown.out;
  EXPECT_NE(shown.out.find("after 10 days without contact"), std::string::npos)
      << shown.out;

  auto renewed = Cli({"admin", "codes", "renew", id, "--days", "30"});
  ASSERT_EQ(renewed.exit_code, 0) << renewed.out;
  EXPECT_NE(renewed.out.find(FormatTimestamp(1800000000 + 60 * 86400)),
            std::string::npos)
      << renewed.out;
  EXPECT_EQ(Cli({"admin", "codes", "renew", id, "--days", "3", "--until",
                 "2030-01-01"})
                .exit_code,
            cli::kExitUsage);
  auto until =
      Cli({"--json", "admin", "codes", "renew", id, "--until", "2027-12-31"});
  ASSERT_EQ(until.exit_code, 0) << until.out;

  ASSERT_EQ(Cli({"admin", "codes", "suspend", id, "--reason", "card declined"})
                .exit_code,
            0);
  EXPECT_API_ERROR(Activate(code, "desktop"), "CODE_SUSPENDED");
  EXPECT_NE(Cli({"admin", "codes", "show", id}).out.find("SUSPENDED card"),
            std::string::npos);
  auto resumed = Cli({"admin", "codes", "resume", id});
  EXPECT_NE(resumed.out.find("resumed"), std::string::npos);
  IssuedCode term = Issue({{"product", "photo"}});
  EXPECT_EQ(
      Cli({"admin", "codes", "suspend", std::to_string(term.id)}).exit_code,
      cli::ExitCodeFor(Status(ErrorCode::kConflict, "")));

  auto terms = Cli({"--json", "admin", "codes", "terms", id, "--max-devices",
                    "4", "--activate-by", "none"});
  ASSERT_EQ(terms.exit_code, 0) << terms.out;
  EXPECT_EQ(json::parse(terms.out).at("max_devices").as_int64(), 4);
  auto batch_terms =
      Cli({"admin", "batches", "terms", batch, "--versions", ">=20"});
  ASSERT_EQ(batch_terms.exit_code, 0) << batch_terms.out;
  EXPECT_NE(batch_terms.out.find("1 codes changed"), std::string::npos)
      << batch_terms.out;
  EXPECT_EQ(
      Cli({"admin", "codes", "terms", id, "--max-devices", "1"}).exit_code,
      cli::ExitCodeFor(Status(ErrorCode::kConflict, "")));

  AdvanceDays(11);
  auto swept = Cli({"admin", "seats", "sweep"});
  ASSERT_EQ(swept.exit_code, 0) << swept.out;
  EXPECT_NE(swept.out.find("Freed 1 seats"), std::string::npos) << swept.out;
  auto events = Cli({"admin", "events", "--type", "code.renewed"});
  EXPECT_NE(events.out.find("code.renewed"), std::string::npos) << events.out;
}

// Tokens from the CLI: one for billing renews and cannot block; the events
// name it; revoked, it is refused.
TEST_F(CliAdminTest, TokensWithScopes) {
  CreateProduct("photo");
  auto created = Cli({"--json", "admin", "tokens", "create", "billing",
                      "--scope", "renew", "--scope", "read"});
  ASSERT_EQ(created.exit_code, 0) << created.out;
  json::value token = json::parse(created.out);
  std::string secret(token.at("token").as_string());
  std::string id = std::to_string(token.at("id").as_int64());
  IssuedCode sub = Issue({{"product", "photo"},
                          {"license_type", "subscription"},
                          {"term_days", 30}});
  std::string code_id = std::to_string(sub.id);
  auto renewed =
      CliAs(secret, {"admin", "codes", "renew", code_id, "--days", "30"});
  EXPECT_EQ(renewed.exit_code, 0) << renewed.out;
  auto refused = CliAs(secret, {"admin", "codes", "block", code_id});
  EXPECT_EQ(refused.exit_code,
            cli::ExitCodeFor(Status(ErrorCode::kForbidden, "")));
  auto listed = Cli({"admin", "tokens", "list"});
  EXPECT_NE(listed.out.find("billing"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("renew"), std::string::npos) << listed.out;
  auto events = Cli({"admin", "events", "--type", "code.renewed"});
  EXPECT_NE(events.out.find("admin#" + id), std::string::npos) << events.out;
  ASSERT_EQ(Cli({"admin", "tokens", "revoke", id}).exit_code, 0);
  EXPECT_EQ(CliAs(secret, {"admin", "codes", "show", code_id}).exit_code,
            cli::ExitCodeFor(Status(ErrorCode::kUnauthorized, "")));
  EXPECT_EQ(
      Cli({"admin", "tokens", "create", "x", "--scope", "root"}).exit_code,
      cli::ExitCodeFor(Status(ErrorCode::kInvalidRequest, "")));
}

// Webhooks from the CLI: registered, listed, disabled; the bad ones are
// input errors.
TEST_F(CliAdminTest, Webhooks) {
  auto created =
      Cli({"--json", "admin", "webhooks", "create", "http://127.0.0.1:9/hook",
           "--event", "code.blocked", "--event", "code.renewed"});
  ASSERT_EQ(created.exit_code, 0) << created.out;
  json::value hook = json::parse(created.out);
  EXPECT_TRUE(hook.at("secret").as_string().starts_with("whsec_"));
  std::string id = std::to_string(hook.at("id").as_int64());
  auto listed = Cli({"admin", "webhooks", "list"});
  EXPECT_NE(listed.out.find("code.blocked,code.renewed"), std::string::npos)
      << listed.out;
  ASSERT_EQ(Cli({"admin", "webhooks", "disable", id}).exit_code, 0);
  EXPECT_NE(Cli({"admin", "webhooks", "list"}).out.find("disabled"),
            std::string::npos);
  auto log = Cli({"--json", "admin", "webhooks", "deliveries", id});
  ASSERT_EQ(log.exit_code, 0) << log.out;
  EXPECT_TRUE(json::parse(log.out).at("deliveries").as_array().empty());
  EXPECT_EQ(Cli({"admin", "webhooks", "create", "gopher://x", "--event", "*"})
                .exit_code,
            cli::ExitCodeFor(Status(ErrorCode::kInvalidRequest, "")));
  EXPECT_EQ(Cli({"admin", "webhooks", "redeliver", "4242"}).exit_code,
            cli::ExitCodeFor(Status(ErrorCode::kNotFound, "")));
}

// Exports from the CLI, to stdout and to a file; a bad filter is an
// input error and writes nothing.
TEST_F(CliAdminTest, Exports) {
  CreateProduct("photo");
  auto codes = IssueMany({{"product", "photo"}}, 3);
  ASSERT_TRUE(Activate(codes[0].code, "laptop").ok());
  auto csv = Cli({"admin", "export", "codes", "--product", "photo"});
  ASSERT_EQ(csv.exit_code, 0) << csv.out;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 4) << csv.out;
  EXPECT_TRUE(csv.out.starts_with("id,masked_code,")) << csv.out;
  auto file = std::filesystem::temp_directory_path() /
              ("licentia-export-" + std::to_string(::getpid()) + ".jsonl");
  auto written = Cli({"admin", "export", "events", "--format", "jsonl",
                      "--type", "code.activated", "-o", file.string()});
  ASSERT_EQ(written.exit_code, 0) << written.out;
  std::ifstream in(file);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(json::parse(line).at("type").as_string(), "code.activated");
  std::filesystem::remove(file);
  auto bad = Cli({"admin", "export", "activations", "--product", "Not Valid"});
  EXPECT_EQ(bad.exit_code,
            cli::ExitCodeFor(Status(ErrorCode::kInvalidRequest, "")));
}

}  // namespace
}  // namespace licentia::testing
