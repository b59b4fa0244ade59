#include "integration/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "integration/test_database.h"

namespace licentia::testing {
namespace fs = std::filesystem;

std::string LicentiadPath() { return LICENTIAD_PATH; }

int ListenOnLoopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(addr.sin_port);
  return fd;
}
std::string LicentiaCliPath() { return LICENTIA_CLI_PATH; }

namespace {
std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
int counter = 0;
}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> extra_args,
                             fs::path data_dir)
    : extra_args_(std::move(extra_args)) {
  root_ =
      fs::temp_directory_path() / ("licentia-it-" + std::to_string(::getpid()) +
                                   "-" + std::to_string(counter++));
  fs::remove_all(root_);
  fs::create_directories(root_);
  owns_root_ = true;
  data_dir_ = data_dir.empty() ? root_ / "data" : data_dir;
  if (UsePostgres()) database_url_ = NewPostgresDatabase();
  log_ = root_ / "licentiad.log";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop();
  if (owns_root_ && !::testing::Test::HasFailure()) fs::remove_all(root_);
}

void ServerProcess::Start() {
  fs::path port_file = root_ / "port";
  fs::path token_file = root_ / "admin-token";
  fs::remove(port_file);
  // A restart keeps the port, so clients configured with the URL find it.
  std::vector<std::string> args = {LicentiadPath(),
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port_),
                                   "--data-dir",
                                   data_dir_.string(),
                                   "--port-file",
                                   port_file.string(),
                                   "--admin-token-file",
                                   token_file.string(),
                                   "--test-clock",
                                   "--test-clock-start",
                                   std::to_string(clock_start_)};
  if (!database_url_.empty()) {
    args.push_back("--database");
    args.push_back(database_url_);
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  // Everything the child needs is made before fork: between fork and exec a
  // child of a multi-threaded process must not allocate.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : env_) {
      replaced = replaced || (entry.starts_with(name) &&
                              entry.substr(name.size()).starts_with('='));
    }
    if (!replaced) env_strings.emplace_back(entry);
  }
  for (const auto& [name, value] : env_) {
    env_strings.push_back(name + "=" + value);
  }
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_ = ::fork();
  ASSERT_GE(pid_, 0);
  if (pid_ == 0) {
    // If the test process dies without stopping the server (a crash, an
    // abort), the server is told to stop too instead of running on.
    // REQUIRES: Start() is called on a thread that outlives the server (the
    // signal follows the forking thread).
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    if (fd_limit_ > 0) {
      struct rlimit limit = {static_cast<rlim_t>(fd_limit_),
                             static_cast<rlim_t>(fd_limit_)};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
    }
    int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  // Wait for the port file (written once the server listens).
  for (int i = 0; i < 1000; ++i) {
    if (fs::exists(port_file)) break;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "licentiad exited during start:\n" << ReadFile(log_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fs::exists(port_file)) << "licentiad did not start:\n"
                                     << ReadFile(log_);
  port_ = std::stoi(ReadFile(port_file));
  admin_token_.clear();
  if (fs::exists(token_file)) {
    admin_token_ = ReadFile(token_file);
    while (!admin_token_.empty() && admin_token_.back() == '\n') {
      admin_token_.pop_back();
    }
  }
}

std::string ServerProcess::public_key_hex() const {
  std::string hex = ReadFile(data_dir_ / "signing.pub");
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' '))
    hex.pop_back();
  return hex;
}

crypto::PublicKey ServerProcess::public_key() const {
  auto bytes = crypto::FromHex(public_key_hex());
  crypto::PublicKey pk{};
  if (bytes && bytes->size() == pk.size()) {
    std::copy(bytes->begin(), bytes->end(), pk.begin());
  }
  return pk;
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env,
                         bool merge_stderr) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return {-1, ""};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    if (merge_stderr) ::dup2(pipefd[1], 2);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, n);
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace licentia::testing
