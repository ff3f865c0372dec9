#include "server/metrics.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace cairn::server {

std::string_view CommandLabel(Command c) {
  static constexpr std::string_view kLabels[] = {
      "ping",     "hello",   "eappend",    "etxn",    "eread", "escan",   "einfo",
      "estreams", "etypes",  "eorgs",      "edelete", "etrim", "everify", "ewatch",
      "egroup",   "eschema", "connection", "http",    "other"};
  static_assert(std::size(kLabels) == static_cast<size_t>(Command::kCount));
  return kLabels[static_cast<size_t>(c)];
}

uint64_t ResidentBytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

namespace {

void Line(std::string* out, std::string_view name, std::string_view labels, double value) {
  char buf[64];
  out->append(name);
  if (!labels.empty()) {
    out->push_back('{');
    out->append(labels);
    out->push_back('}');
  }
  std::snprintf(buf, sizeof(buf), " %.17g\n", value);
  out->append(buf);
}

void Help(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

template <typename Bounds, typename Counts>
void Histogram(std::string* out, std::string_view name, std::string_view labels,
               const Bounds& bounds, const Counts& counts, double sum, double scale) {
  uint64_t cumulative = 0;
  std::string prefix(labels);
  if (!prefix.empty()) prefix += ",";
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    char le[48];
    if (i < bounds.size()) {
      std::snprintf(le, sizeof(le), "le=\"%g\"", static_cast<double>(bounds[i]) * scale);
    } else {
      std::snprintf(le, sizeof(le), "le=\"+Inf\"");
    }
    Line(out, std::string(name) + "_bucket", prefix + le, static_cast<double>(cumulative));
  }
  Line(out, std::string(name) + "_sum", labels, sum);
  Line(out, std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

uint64_t Sum(const std::vector<const WorkerMetrics*>& ws,
             std::atomic<uint64_t> WorkerMetrics::*field) {
  uint64_t s = 0;
  for (const WorkerMetrics* w : ws) s += (w->*field).load(std::memory_order_relaxed);
  return s;
}

void RenderRequests(std::string* out, const std::vector<const WorkerMetrics*>& ws) {
  Help(out, "cairn_requests_total", "counter", "Requests by command");
  Help(out, "cairn_request_errors_total", "counter", "Requests answered with an error");
  Help(out, "cairn_request_duration_seconds", "histogram", "Request latency by command");
  for (size_t c = 0; c < static_cast<size_t>(Command::kCount); ++c) {
    uint64_t requests = 0, errors = 0, sum_us = 0;
    std::array<uint64_t, kRequestLatencyBoundsUs.size() + 1> buckets{};
    for (const WorkerMetrics* w : ws) {
      const CommandMetrics& m = w->commands[c];
      requests += m.requests.load(std::memory_order_relaxed);
      errors += m.errors.load(std::memory_order_relaxed);
      sum_us += m.latency_sum_us.load(std::memory_order_relaxed);
      for (size_t b = 0; b < buckets.size(); ++b) {
        buckets[b] += m.latency[b].load(std::memory_order_relaxed);
      }
    }
    if (requests == 0) continue;
    std::string labels = "command=\"" + std::string(CommandLabel(static_cast<Command>(c))) + "\"";
    Line(out, "cairn_requests_total", labels, static_cast<double>(requests));
    Line(out, "cairn_request_errors_total", labels, static_cast<double>(errors));
    Histogram(out, "cairn_request_duration_seconds", labels, kRequestLatencyBoundsUs, buckets,
              static_cast<double>(sum_us) / 1e6, 1e-6);
  }
}

void RenderEngine(std::string* out, const EngineStats& e) {
  uint64_t events = 0, appends = 0, batches = 0, batch_bytes = 0, hits = 0, misses = 0;
  uint64_t heads_bytes = 0, sync_sum = 0, failed = 0;
  std::array<uint64_t, kSyncLatencyBoundsUs.size() + 1> sync{};
  std::array<uint64_t, kBatchEventsBounds.size() + 1> batch_events{};
  for (const auto& s : e.shards) {
    events += s.events;
    appends += s.appends;
    batches += s.batches;
    batch_bytes += s.batch_bytes;
    hits += s.head_hits;
    misses += s.head_misses;
    heads_bytes += s.heads_bytes;
    sync_sum += s.sync_latency_sum_us;
    failed += s.failed ? 1 : 0;
    for (size_t i = 0; i < sync.size(); ++i) sync[i] += s.sync_latency_counts[i];
    for (size_t i = 0; i < batch_events.size(); ++i) batch_events[i] += s.batch_events_counts[i];
  }
  Help(out, "cairn_engine_appends_total", "counter", "Committed appends (requests)");
  Line(out, "cairn_engine_appends_total", "", static_cast<double>(appends));
  Help(out, "cairn_engine_events_total", "counter", "Committed events");
  Line(out, "cairn_engine_events_total", "", static_cast<double>(events));
  Help(out, "cairn_engine_log_bytes_total", "counter", "Bytes written to the log");
  Line(out, "cairn_engine_log_bytes_total", "", static_cast<double>(batch_bytes));
  Help(out, "cairn_fsync_duration_seconds", "histogram", "Group-commit write + fdatasync");
  Histogram(out, "cairn_fsync_duration_seconds", "", kSyncLatencyBoundsUs, sync,
            static_cast<double>(sync_sum) / 1e6, 1e-6);
  Help(out, "cairn_group_commit_events", "histogram", "Events per group commit");
  Histogram(out, "cairn_group_commit_events", "", kBatchEventsBounds, batch_events,
            static_cast<double>(events), 1);
  Help(out, "cairn_head_cache_hit_ratio", "gauge", "Stream-head cache hits / lookups");
  Line(out, "cairn_head_cache_hit_ratio", "",
       hits + misses == 0 ? 1.0 : static_cast<double>(hits) / static_cast<double>(hits + misses));
  Help(out, "cairn_head_cache_bytes", "gauge", "Memory charged to cached stream heads");
  Line(out, "cairn_head_cache_bytes", "", static_cast<double>(heads_bytes));
  Help(out, "cairn_block_cache_bytes", "gauge", "Index block cache in use");
  Line(out, "cairn_block_cache_bytes", "", static_cast<double>(e.block_cache_bytes));
  Help(out, "cairn_memory_budget_bytes", "gauge", "Configured memory budget");
  Line(out, "cairn_memory_budget_bytes", "", static_cast<double>(e.memory_budget_bytes));
  Help(out, "cairn_shards_failed", "gauge", "Shards stopped after a disk failure");
  Line(out, "cairn_shards_failed", "", static_cast<double>(failed));
  Help(out, "cairn_recovery_seconds", "gauge", "Time the last start spent recovering");
  Line(out, "cairn_recovery_seconds", "", static_cast<double>(e.recovery_ms) / 1e3);
}

}  // namespace

std::string RenderMetrics(const std::vector<const WorkerMetrics*>& ws, const EngineStats& engine,
                          uint64_t uptime_s) {
  std::string out;
  out.reserve(16 << 10);
  RenderRequests(&out, ws);
  Help(&out, "cairn_appended_events_total", "counter", "Events acknowledged to clients");
  Line(&out, "cairn_appended_events_total", "",
       static_cast<double>(Sum(ws, &WorkerMetrics::appended_events)));
  Help(&out, "cairn_appended_bytes_total", "counter", "Event data+metadata bytes acknowledged");
  Line(&out, "cairn_appended_bytes_total", "",
       static_cast<double>(Sum(ws, &WorkerMetrics::appended_bytes)));
  Help(&out, "cairn_connections", "gauge", "Open client connections");
  Line(&out, "cairn_connections", "",
       static_cast<double>(Sum(ws, &WorkerMetrics::connections_open)));
  Help(&out, "cairn_connections_accepted_total", "counter", "Connections accepted");
  Line(&out, "cairn_connections_accepted_total", "",
       static_cast<double>(Sum(ws, &WorkerMetrics::connections_accepted)));
  Help(&out, "cairn_connections_refused_total", "counter", "Connections over max_connections");
  Line(&out, "cairn_connections_refused_total", "",
       static_cast<double>(Sum(ws, &WorkerMetrics::connections_refused)));
  Help(&out, "cairn_busy_replies_total", "counter", "Requests refused with BUSY");
  Line(&out, "cairn_busy_replies_total", "",
       static_cast<double>(Sum(ws, &WorkerMetrics::busy_replies)));
  Help(&out, "cairn_protocol_errors_total", "counter", "Malformed frames (connection closed)");
  Line(&out, "cairn_protocol_errors_total", "",
       static_cast<double>(Sum(ws, &WorkerMetrics::protocol_errors)));
  Help(&out, "cairn_network_received_bytes_total", "counter", "Bytes received from clients");
  Line(&out, "cairn_network_received_bytes_total", "",
       static_cast<double>(Sum(ws, &WorkerMetrics::bytes_in)));
  Help(&out, "cairn_network_sent_bytes_total", "counter", "Bytes sent to clients");
  Line(&out, "cairn_network_sent_bytes_total", "",
       static_cast<double>(Sum(ws, &WorkerMetrics::bytes_out)));
  RenderEngine(&out, engine);
  Help(&out, "cairn_resident_memory_bytes", "gauge", "Resident set size of the process");
  Line(&out, "cairn_resident_memory_bytes", "", static_cast<double>(ResidentBytes()));
  Help(&out, "cairn_uptime_seconds", "gauge", "Seconds since the server started");
  Line(&out, "cairn_uptime_seconds", "", static_cast<double>(uptime_s));
  return out;
}

}  // namespace cairn::server
