#pragma once
// `cairn serve`: the engine, one Worker (reactor thread) per core, a pool for reads, and the
// shutdown sequence.
//
// Owner: the main thread creates it (Start), waits (WaitForShutdown) and destroys it.
// Workers reach the shared parts (engine, read pool, counters) from their own threads; those
// are thread-safe.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cairn/engine.h"
#include "schema/registry.h"
#include "server/config.h"
#include "server/watch.h"
#include "server/worker.h"
#include "storage/blocking_pool.h"

namespace cairn::server {

class Server {
 public:
  // Opens (and recovers) the data directory, binds the ports, starts the workers.
  static Result<std::unique_ptr<Server>> Start(const ServerConfig& config);
  ~Server();

  // Blocks until SIGTERM or SIGINT (blocked in every thread by Start), then stops accepting,
  // lets in-flight requests finish, closes the engine durably. Returns the exit code.
  int WaitForShutdown();

  Engine& engine() { return *engine_; }
  Watches& watches() { return *watches_; }
  schema::Registry& schemas() { return *schemas_; }
  const ServerConfig& config() const { return config_; }
  uint16_t resp_port() const { return resp_port_; }
  uint16_t http_port() const { return http_port_; }

  // Runs a read on the read pool; false (BUSY) when too many reads are queued.
  bool SubmitRead(std::function<void()> job);
  void ReadDone() { queued_reads_.fetch_sub(1, std::memory_order_relaxed); }
  // Runs a verification (EVERIFY, /v1/verify) on its own background thread, never on the
  // read pool, so a long verification cannot occupy every read thread; false (BUSY) when
  // kMaxQueuedVerifies are already queued or running.
  static constexpr uint32_t kMaxQueuedVerifies = 4;
  bool SubmitVerify(std::function<void()> job);
  void VerifyDone() { queued_verifies_.fetch_sub(1, std::memory_order_relaxed); }

  // Connection admission across all workers.
  bool AdmitConnection();
  void ReleaseConnection() { connections_.fetch_sub(1, std::memory_order_relaxed); }
  uint64_t NextConnectionId() { return next_connection_id_.fetch_add(1); }

  std::string MetricsText() const;
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  bool shutting_down() const { return shutting_down_.load(std::memory_order_acquire); }
  uint64_t started_ms() const { return started_ms_; }

 private:
  explicit Server(const ServerConfig& config) : config_(config) {}
  Status Open();
  void Drain();

  ServerConfig config_;
  std::unique_ptr<Watches> watches_;  // before the engine: its commit hook points here
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<schema::Registry> schemas_;  // loaded from the engine before serving
  std::unique_ptr<BlockingPool> reads_;
  std::unique_ptr<BlockingPool> verifies_;  // one thread at the lowest CPU and I/O priority
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  uint16_t resp_port_ = 0;
  uint16_t http_port_ = 0;
  std::atomic<uint32_t> connections_{0};
  std::atomic<uint32_t> queued_reads_{0};
  std::atomic<uint32_t> queued_verifies_{0};
  std::atomic<uint64_t> next_connection_id_{1};
  std::atomic<bool> ready_{false};
  std::atomic<bool> shutting_down_{false};
  uint64_t started_ms_ = 0;
  uint32_t effective_max_connections_ = 0;
};

// Listening socket helpers (SO_REUSEPORT so every worker accepts on the same port).
Result<int> Listen(const std::string& bind, uint16_t port, bool reuse_port = true);
uint16_t LocalPort(int fd);

}  // namespace cairn::server
