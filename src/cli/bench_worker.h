#pragma once
// One thread of `cairn bench`: drives its share of the connections with non-blocking
// sockets and epoll, keeping `pipeline` requests in flight on each, and records every
// request's latency in its own histogram.
//
// Owner: the worker's thread runs Run(); the main thread reads the atomic counters while it
// runs (progress lines) and everything else after joining it. The shared BenchPlan is read
// only, except versions[s], which only the worker owning stream s touches.

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/latency_histogram.h"

namespace cairn::cli {

enum class BenchPhase : int { kWarmup = 0, kMeasure = 1, kStop = 2 };

struct BenchPlan {
  sockaddr_storage address{};
  socklen_t address_len = 0;
  uint32_t connections = 50;
  uint32_t pipeline = 1;
  uint32_t events_per_request = 1;
  uint32_t streams = 50;
  bool occ = false;
  bool ping = false;
  std::string org = "bench";
  std::string event_type = "BenchEvent";
  std::string payload;
  // Per stream: the version the next append expects (--occ). Owned by the stream's
  // connection's worker.
  std::vector<uint64_t> versions;

  std::string StreamName(uint32_t s) const;
  // The streams connection c appends to: with at least as many streams as connections each
  // stream belongs to one connection (s % connections == c); otherwise connection c shares
  // stream c % streams.
  std::vector<uint32_t> StreamsOf(uint32_t connection) const;
};

class BenchWorker {
 public:
  BenchWorker(BenchPlan* plan, std::vector<uint32_t> connection_ids);
  ~BenchWorker();
  BenchWorker(const BenchWorker&) = delete;
  BenchWorker& operator=(const BenchWorker&) = delete;

  // Connects, then runs until phase is kStop.
  void Run(const std::atomic<int>* phase);

  // Completed requests sent during the measured phase (relaxed; for progress lines).
  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  uint64_t events() const { return events_.load(std::memory_order_relaxed); }
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  // Completed in any phase, warm-up included.
  uint64_t completed_all() const { return completed_all_.load(std::memory_order_relaxed); }
  // After Run returns.
  const client::LatencyHistogram& histogram() const { return histogram_; }
  const std::map<std::string, uint64_t>& errors_by_code() const { return errors_by_code_; }

 private:
  struct Conn;
  struct InFlight;

  bool Connect(Conn* c);
  void Fill(Conn* c, BenchPhase phase, uint64_t now_ns);
  void EncodeAppend(Conn* c, uint32_t stream);
  void OnReadable(Conn* c, BenchPhase phase);
  void OnReply(Conn* c, const InFlight& f, bool error, std::string_view error_line,
               uint64_t now_ns);
  void Flush(Conn* c);
  void Fail(Conn* c, const std::string& why);
  void CountError(const std::string& code, bool measured);

  BenchPlan* plan_;
  std::vector<std::unique_ptr<Conn>> conns_;
  int epoll_fd_ = -1;
  std::string events_suffix_;  // the EVENT arguments, identical for every request
  std::vector<uint32_t> stream_epochs_;
  client::LatencyHistogram histogram_;
  std::map<std::string, uint64_t> errors_by_code_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> completed_all_{0};
};

}  // namespace cairn::cli
