#pragma once
// Server counters and latency histograms, rendered in the Prometheus text format.
//
// Each reactor owns one WorkerMetrics and is its only writer (relaxed atomics, so /metrics
// may read them from any reactor without locks); the renderer sums them.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/engine.h"

namespace cairn::server {

// Commands counted separately; kOther takes the rest.
enum class Command : uint8_t {
  kPing,
  kHello,
  kAppend,
  kTxn,
  kRead,
  kScan,
  kInfo,
  kStreams,
  kTypes,
  kOrgs,
  kDelete,
  kTrim,
  kVerify,
  kWatch,
  kGroup,
  kSchema,
  kConnection,
  kHttp,
  kOther,
  kCount
};
std::string_view CommandLabel(Command c);

// Request latency bucket bounds (µs); one more bucket is unbounded.
inline constexpr std::array<uint64_t, 14> kRequestLatencyBoundsUs = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000};

struct CommandMetrics {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> latency_sum_us{0};
  std::array<std::atomic<uint64_t>, kRequestLatencyBoundsUs.size() + 1> latency{};
};

struct WorkerMetrics {
  std::array<CommandMetrics, static_cast<size_t>(Command::kCount)> commands;
  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_refused{0};  // over max_connections
  std::atomic<uint64_t> appended_events{0};
  std::atomic<uint64_t> appended_bytes{0};
  std::atomic<uint64_t> busy_replies{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};

  void Record(Command c, uint64_t latency_us, bool error) {
    CommandMetrics& m = commands[static_cast<size_t>(c)];
    m.requests.fetch_add(1, std::memory_order_relaxed);
    if (error) m.errors.fetch_add(1, std::memory_order_relaxed);
    m.latency_sum_us.fetch_add(latency_us, std::memory_order_relaxed);
    size_t i = 0;
    while (i < kRequestLatencyBoundsUs.size() && latency_us > kRequestLatencyBoundsUs[i]) ++i;
    m.latency[i].fetch_add(1, std::memory_order_relaxed);
  }
};

// The whole /metrics page.
std::string RenderMetrics(const std::vector<const WorkerMetrics*>& workers,
                          const EngineStats& engine, uint64_t uptime_s);

// Resident set size of this process, from /proc/self/statm.
uint64_t ResidentBytes();

}  // namespace cairn::server
