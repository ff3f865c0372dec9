#include "server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#ifndef CAIRN_BINARY
#error "CAIRN_BINARY must name the cairn executable"
#endif

namespace cairn::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStartTimeout = std::chrono::seconds(30);

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Sends PING and expects +PONG within the deadline.
bool Ping(uint16_t port) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return false;
  static constexpr char kPing[] = "*1\r\n$4\r\nPING\r\n";
  bool ok = ::send(fd, kPing, sizeof(kPing) - 1, MSG_NOSIGNAL) == sizeof(kPing) - 1;
  std::string got;
  while (ok && got.size() < 7) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) break;
    char buf[64];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return got == "+PONG\r\n";
}

}  // namespace

int ConnectLoopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

uint64_t RaiseFileLimit() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

const char* ServerProcess::Binary() { return CAIRN_BINARY; }

ServerProcess::ServerProcess(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {
  data_dir_ = dir_.Sub("data");
}

ServerProcess::~ServerProcess() { Kill(); }

bool ServerProcess::Start() {
  error_.clear();
  if (running()) {
    error_ = "already running";
    return false;
  }
  if (!Spawn()) return false;
  if (WaitForPorts() && WaitForPing()) return true;
  Kill();
  return false;
}

bool ServerProcess::Restart() {
  if (running()) Stop();
  return Start();
}

bool ServerProcess::Spawn() {
  ++starts_;
  log_path_ = dir_.Sub("server-" + std::to_string(starts_) + ".log");
  std::vector<std::string> args = {Binary(), "serve",     "--data-dir",  data_dir_,
                                   "--bind", "127.0.0.1", "--log-level", "info"};
  // Ephemeral ports unless the test names one.
  for (const char* port : {"--resp-port", "--http-port"}) {
    if (std::find(extra_args_.begin(), extra_args_.end(), port) == extra_args_.end()) {
      args.insert(args.end(), {port, "0"});
    }
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    error_ = "cannot create " + log_path_ + ": " + strerror(errno);
    return false;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    error_ = std::string("fork: ") + strerror(errno);
    ::close(log_fd);
    return false;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(log_fd, STDERR_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    // The test may hold thousands of client sockets: the server must not inherit them.
    if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
      for (int fd = 3; fd < 65536; ++fd) ::close(fd);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  resp_port_ = http_port_ = 0;
  return true;
}

bool ServerProcess::WaitForPorts() {
  static const std::regex kServing(R"(serving: resp [^ ]+:([0-9]+) http [^ ]+:([0-9]+),)");
  auto deadline = Clock::now() + kStartTimeout;
  while (Clock::now() < deadline) {
    std::smatch m;
    std::string log = Log();
    if (std::regex_search(log, m, kServing)) {
      resp_port_ = static_cast<uint16_t>(std::stoi(m[1].str()));
      http_port_ = static_cast<uint16_t>(std::stoi(m[2].str()));
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      startup_exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      error_ = "server exited during startup; log:\n" + LogTail();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  error_ = "no startup line within the timeout; log:\n" + LogTail();
  return false;
}

bool ServerProcess::WaitForPing() {
  auto deadline = Clock::now() + kStartTimeout;
  while (Clock::now() < deadline) {
    if (Ping(resp_port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  error_ = "no PONG within the timeout; log:\n" + LogTail();
  return false;
}

bool ServerProcess::Reap(int timeout_ms, int* status) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    pid_t r = waitpid(pid_, status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return true;
    }
    if (r < 0 && errno == ECHILD) {  // reaped elsewhere: the status is lost
      pid_ = -1;
      error_ = "the server was reaped elsewhere";
      return false;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

int ServerProcess::Stop(int timeout_s) {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  if (!Reap(timeout_s * 1000, &status)) {
    if (pid_ > 0) {
      error_ = "server did not exit within " + std::to_string(timeout_s) + " s of SIGTERM";
      Kill();
    }
    return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void ServerProcess::Kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ServerProcess::Log() const { return log_path_.empty() ? "" : ReadFile(log_path_); }

std::string ServerProcess::LogTail(size_t lines) const {
  std::string log = Log();
  size_t pos = log.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    size_t nl = log.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    pos = nl;
  }
  return log.substr(pos);
}

void StartSuiteServer(ServerProcess** server, std::vector<std::string> args) {
  *server = new ServerProcess(std::move(args));
  ASSERT_TRUE((*server)->Start()) << (*server)->error();
}

void StopSuiteServer(ServerProcess** server) {
  EXPECT_EQ((*server)->Stop(), 0) << (*server)->LogTail();
  delete *server;
  *server = nullptr;
}

bool ReceiveSome(int fd, int timeout_ms, std::string* in, std::string* error) {
  pollfd p{fd, POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  if (r <= 0) {
    *error = r == 0 ? "timeout" : std::string("poll: ") + strerror(errno);
    return false;
  }
  char buf[65536];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  if (n <= 0) {
    *error = n == 0 ? "closed by the server" : std::string("recv: ") + strerror(errno);
    return false;
  }
  in->append(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace cairn::testing
