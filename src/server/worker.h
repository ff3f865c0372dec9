#pragma once
// One reactor thread of the server: its io_uring loop, its listening sockets (every worker
// accepts on the same ports with SO_REUSEPORT), its receive buffers, its connections and
// its metrics.
//
// Owner: its thread (Run). Other threads reach it only through reactor().Post() and the
// atomics of metrics(); the Server creates workers before starting them and destroys them
// after their threads have joined.

#include <atomic>
#include <cstdint>
#include <memory>

#include "reactor/buffer_ring.h"
#include "reactor/reactor.h"
#include "server/config.h"
#include "server/metrics.h"

namespace cairn::server {

class Connection;
class Server;

class Worker {
 public:
  Worker(Server* server, uint32_t index);
  ~Worker();

  // Opens this worker's listening sockets (ports already resolved by the server).
  Status Init(uint16_t resp_port, uint16_t http_port);
  void Run();  // the thread body
  uint16_t resp_listen_port() const;
  uint16_t http_listen_port() const;

  // Thread-safe: stop accepting and reading; report drained once replies are sent.
  void BeginDrain();
  bool drained() const { return drained_.load(std::memory_order_acquire); }

  reactor::Reactor& reactor() { return reactor_; }
  reactor::BufferRing& buffers() { return *buffers_; }
  Server& server() { return *server_; }
  const ServerConfig& config() const;
  WorkerMetrics& metrics() { return metrics_; }
  const WorkerMetrics& metrics() const { return metrics_; }
  uint32_t index() const { return index_; }
  uint64_t now_ms() const { return now_ms_; }

  void OnClosing(Connection* c);
  void Forget(Connection* c);
  void MaybeDrained();

 private:
  class Acceptor;
  void Accepted(int fd, bool http);
  void Tick();

  Server* server_;
  uint32_t index_;
  reactor::Reactor reactor_;
  std::unique_ptr<reactor::BufferRing> buffers_;
  std::unique_ptr<Acceptor> resp_acceptor_;
  std::unique_ptr<Acceptor> http_acceptor_;
  WorkerMetrics metrics_;
  Connection* connections_ = nullptr;  // intrusive list of open connections
  uint64_t live_connections_ = 0;      // allocated, including closing ones
  uint64_t now_ms_ = 0;
  bool draining_ = false;
  std::atomic<bool> drained_{false};
};

}  // namespace cairn::server
