#pragma once
// Test helper: runs `cairn serve` as a child process on ephemeral loopback ports.
//
// The server is started with `--resp-port 0 --http-port 0` (unless the test names a port) on a
// data directory inside a
// TempDir; its stderr goes to a log file per start (server-1.log, server-2.log, ...), and the
// ports are taken from its startup line `cairn <v> serving: resp <addr>:<port> http
// <addr>:<port>, ...`. Start() returns once PING answers on the RESP port.
//
// Owned by one test thread; not thread-safe. The destructor SIGKILLs a server still running
// (a test that wants a clean exit calls Stop() and checks the status). The child gets
// PR_SET_PDEATHSIG so that it dies with a test process that crashes or times out.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace cairn::testing {

class ServerProcess {
 public:
  // `extra_args`: further `serve` flags, e.g. {"--shards", "4"}.
  explicit ServerProcess(std::vector<std::string> extra_args = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server (creating the data directory on the first start) and waits until it
  // answers PING. False when it exits or does not answer in time; error() says why.
  bool Start();
  // SIGTERM, then waits for the exit. Returns the exit code, 128 + signal when it died of a
  // signal, or -1 when it had to be killed after `timeout_s` or was not running.
  int Stop(int timeout_s = 60);
  // SIGKILL and reap.
  void Kill();
  // Starts again on the same data directory (after Stop or Kill); new ports.
  bool Restart();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  uint16_t resp_port() const { return resp_port_; }
  uint16_t http_port() const { return http_port_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& error() const { return error_; }
  // The exit code of a server that exited during its last Start (128 + signal), else -1.
  int startup_exit_code() const { return startup_exit_code_; }
  // The log of the current (or last) start.
  std::string Log() const;
  // The last `lines` lines of Log(), for failure messages.
  std::string LogTail(size_t lines = 20) const;

  // Path of the cairn binary (the CAIRN_BINARY compile definition).
  static const char* Binary();

 private:
  bool Spawn();
  bool WaitForPorts();
  bool WaitForPing();
  bool Reap(int timeout_ms, int* status);

  std::vector<std::string> extra_args_;
  TempDir dir_;
  std::string data_dir_;
  std::string log_path_;
  int starts_ = 0;
  pid_t pid_ = -1;
  uint16_t resp_port_ = 0;
  uint16_t http_port_ = 0;
  std::string error_;
  int startup_exit_code_ = -1;
};

// One server shared by a test suite: started in SetUpTestSuite, stopped (exit code 0
// expected) and freed in TearDownTestSuite.
void StartSuiteServer(ServerProcess** server, std::vector<std::string> args);
void StopSuiteServer(ServerProcess** server);

// Waits up to `timeout_ms` for bytes on `fd` and appends what one recv() returns to `in`;
// false with `error` set on timeout, error or end of stream.
bool ReceiveSome(int fd, int timeout_ms, std::string* in, std::string* error);

// Connects a blocking TCP socket to 127.0.0.1:port; -1 on failure.
int ConnectLoopback(uint16_t port);

// Raises this process's RLIMIT_NOFILE soft limit to the hard limit; returns the new soft limit.
uint64_t RaiseFileLimit();

}  // namespace cairn::testing
