// `cairn bench`: a load generator for the RESP port. Appends (or PINGs) over many
// connections from a few threads, `pipeline` requests in flight per connection, and reports
// throughput and latency percentiles (docs/reference/cli.md).

#include <netdb.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cairn/client.h"
#include "cli/bench_worker.h"
#include "cli/client_output.h"
#include "cli/commands.h"
#include "client/address.h"
#include "client/reply_decoder.h"
#include "protocol/http/json_writer.h"

namespace cairn::cli {
namespace {

// Bounds of the options, so one typo cannot ask for terabytes of buffers.
constexpr uint32_t kMaxConnections = 100000;
constexpr uint32_t kMaxThreads = 256;
constexpr uint32_t kMaxPipeline = 10000;
constexpr uint32_t kMaxEventsPerRequest = 10000;
constexpr uint32_t kMaxStreams = 10000000;
constexpr uint64_t kMaxRequestBytes = 64ull << 20;
constexpr size_t kOccLookupBatch = 1000;
constexpr double kTickToleranceS = 0.05;
constexpr std::string_view kDefaultPayload = R"({"hi":"Hello World"})";  // 20 bytes

struct BenchArgs {
  std::string addr = std::string(client::kDefaultAddress);
  uint32_t connections = 50;
  uint32_t threads = 2;
  double duration_s = 10;
  double warmup_s = 0;
  uint32_t pipeline = 1;
  uint32_t events = 1;
  uint32_t streams = 0;  // 0: one per connection
  std::string org = "bench";
  bool occ = false;
  uint32_t payload_bytes = static_cast<uint32_t>(kDefaultPayload.size());
  std::string command = "append";
  bool json = false;
  bool schema = false;  // register a schema for the event type: every event is validated
};

// --schema: what the events are validated against. It accepts both payload shapes (the
// default {"hi":...} and {"p":"xx..."}); `maxLength` and `additionalProperties` make the
// validator look at every property.
constexpr std::string_view kBenchSchema =
    R"({"type":"object","minProperties":1,"additionalProperties":false,)"
    R"("properties":{"hi":{"type":"string","maxLength":1024},"p":{"type":"string"}}})";

std::string Payload(uint32_t bytes) {
  if (bytes == kDefaultPayload.size()) return std::string(kDefaultPayload);
  if (bytes < 8) return std::string(bytes, 'x');
  return R"({"p":")" + std::string(bytes - 8, 'x') + R"("})";
}

Status Resolve(const std::string& addr, BenchPlan* plan) {
  auto hp = client::SplitHostPort(addr);
  if (!hp.ok()) return hp.status();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(hp->host.c_str(), hp->port.c_str(), &hints, &res);
  if (rc != 0) return Status::Unavailable("resolve " + addr + ": " + gai_strerror(rc));
  std::memcpy(&plan->address, res->ai_addr, res->ai_addrlen);
  plan->address_len = res->ai_addrlen;
  ::freeaddrinfo(res);
  return Status::Ok();
}

// --occ: the current version of every stream, so the first appends expect the right one.
Status LoadVersions(const std::string& addr, BenchPlan* plan) {
  auto conn = client::Connection::Connect(addr);
  if (!conn.ok()) return conn.status();
  plan->versions.assign(plan->streams, 0);
  for (uint32_t base = 0; base < plan->streams; base += kOccLookupBatch) {
    const uint32_t end = std::min<uint64_t>(plan->streams, base + kOccLookupBatch);
    for (uint32_t s = base; s < end; ++s) {
      std::string name = plan->StreamName(s);
      (*conn)->Queue({"EINFO", name});
    }
    for (uint32_t s = base; s < end; ++s) {
      auto r = (*conn)->ReadReply();
      if (!r.ok()) return r.status();
      if (r->IsError()) return client::StatusFromErrorReply(r->str);
      auto info = client::DecodeInfo(*r);
      if (!info.ok()) return info.status();
      plan->versions[s] = info->version;
    }
  }
  return Status::Ok();
}

// --schema: registers kBenchSchema as version 1.0.0 of the bench's event type (idempotent).
Status RegisterSchema(const std::string& addr, const BenchPlan& plan) {
  auto conn = client::Connection::Connect(addr);
  if (!conn.ok()) return conn.status();
  (*conn)->Queue(
      {"ESCHEMA", "REGISTER", plan.org, plan.event_type, "1.0.0", std::string(kBenchSchema)});
  auto r = (*conn)->ReadReply();
  if (!r.ok()) return r.status();
  if (r->IsError()) return client::StatusFromErrorReply(r->str);
  return Status::Ok();
}

// A JSON number with `digits` decimals.
std::string Fixed(double v, int digits) {
  char b[64];
  std::snprintf(b, sizeof(b), "%.*f", digits, v);
  return b;
}

struct Totals {
  uint64_t requests = 0;
  uint64_t events = 0;
  uint64_t errors = 0;
  uint64_t completed_all = 0;
};

Totals Sum(const std::vector<std::unique_ptr<BenchWorker>>& workers) {
  Totals t;
  for (const auto& w : workers) {
    t.requests += w->requests();
    t.events += w->events();
    t.errors += w->errors();
    t.completed_all += w->completed_all();
  }
  return t;
}

void PrintSummary(const BenchArgs& a, const BenchPlan& plan, const Totals& t,
                  const client::LatencyHistogram& h, const std::map<std::string, uint64_t>& errors,
                  double seconds) {
  const double rps = seconds > 0 ? t.requests / seconds : 0;
  const double eps = seconds > 0 ? t.events / seconds : 0;
  auto us = [](uint64_t ns) { return ns / 1000.0; };
  if (a.json) {
    std::string out;
    http::JsonWriter j(&out);
    j.BeginObject();
    j.Key("command");
    j.String(a.command);
    j.Key("addr");
    j.String(a.addr);
    j.Key("connections");
    j.Uint(plan.connections);
    j.Key("threads");
    j.Uint(a.threads);
    j.Key("pipeline");
    j.Uint(plan.pipeline);
    j.Key("events_per_request");
    j.Uint(plan.events_per_request);
    j.Key("streams");
    j.Uint(plan.streams);
    j.Key("occ");
    j.Bool(plan.occ);
    j.Key("schema");
    j.Bool(a.schema);
    j.Key("payload_bytes");
    j.Uint(plan.payload.size());
    j.Key("duration_s");
    j.Raw(Fixed(seconds, 3));
    j.Key("requests");
    j.Uint(t.requests);
    j.Key("events");
    j.Uint(t.events);
    j.Key("errors");
    j.BeginObject();
    for (const auto& [code, n] : errors) {
      j.Key(code);
      j.Uint(n);
    }
    j.EndObject();
    j.Key("requests_per_s");
    j.Raw(Fixed(rps, 1));
    j.Key("events_per_s");
    j.Raw(Fixed(eps, 1));
    j.Key("latency_us");
    j.BeginObject();
    const std::pair<const char*, double> ps[] = {
        {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}};
    for (const auto& [name, p] : ps) {
      j.Key(name);
      j.Raw(Fixed(us(h.Percentile(p)), 1));
    }
    j.Key("max");
    j.Raw(Fixed(us(h.max()), 1));
    j.Key("mean");
    j.Raw(Fixed(h.mean() / 1000.0, 1));
    j.EndObject();
    j.EndObject();
    std::printf("%s\n", out.c_str());
    return;
  }
  std::printf("\n%s %s, %u connections, %u threads, pipeline %u", a.command.c_str(), a.addr.c_str(),
              plan.connections, a.threads, plan.pipeline);
  if (!plan.ping) {
    std::printf(", %u event%s of %zu bytes per request, %u streams, expected %s",
                plan.events_per_request, plan.events_per_request == 1 ? "" : "s",
                plan.payload.size(), plan.streams, plan.occ ? "exact (--occ)" : "ANY");
    if (a.schema) std::printf(", validated (--schema)");
  }
  std::printf("\nduration    %.2f s\n", seconds);
  std::printf("requests    %llu  (%.0f/s)\n", static_cast<unsigned long long>(t.requests), rps);
  if (!plan.ping) {
    std::printf("events      %llu  (%.0f/s)\n", static_cast<unsigned long long>(t.events), eps);
  }
  std::printf("errors      %llu", static_cast<unsigned long long>(t.errors));
  for (const auto& [code, n] : errors) {
    std::printf("  %s=%llu", code.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("\nlatency us  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (mean %.1f)\n",
              us(h.Percentile(50)), us(h.Percentile(90)), us(h.Percentile(99)),
              us(h.Percentile(99.9)), us(h.max()), h.mean() / 1000.0);
}

int RunBench(BenchArgs a) {
  if (a.command != "append" && a.command != "ping") {
    return UsageError("bench", "--command must be append or ping");
  }
  if (a.connections == 0 || a.connections > kMaxConnections || a.threads == 0 ||
      a.threads > kMaxThreads || a.pipeline == 0 || a.pipeline > kMaxPipeline || a.events == 0 ||
      a.events > kMaxEventsPerRequest || a.streams > kMaxStreams || a.duration_s <= 0 ||
      a.warmup_s < 0) {
    return UsageError("bench", "an option is out of range (see --help)");
  }
  BenchPlan plan;
  plan.connections = a.connections;
  plan.pipeline = a.pipeline;
  plan.events_per_request = a.events;
  plan.streams = a.streams == 0 ? a.connections : a.streams;
  plan.occ = a.occ;
  plan.ping = a.command == "ping";
  plan.org = a.org;
  plan.payload = Payload(a.payload_bytes);
  if (uint64_t{a.events} * (plan.payload.size() + 64) > kMaxRequestBytes) {
    return UsageError("bench", "--events x --payload is over 64 MiB per request");
  }
  if (plan.occ && !plan.ping && plan.streams < plan.connections) {
    return UsageError("bench", "--occ needs --streams >= --connections (one owner per stream)");
  }
  a.threads = std::min(a.threads, a.connections);
  if (Status s = Resolve(a.addr, &plan); !s.ok()) return ReportError(s);
  if (plan.occ && !plan.ping) {
    if (Status s = LoadVersions(a.addr, &plan); !s.ok()) return ReportError(s);
  }
  if (a.schema && !plan.ping) {
    if (a.payload_bytes < 8) return UsageError("bench", "--schema needs --payload of 8 or more");
    if (Status s = RegisterSchema(a.addr, plan); !s.ok()) return ReportError(s);
  }

  std::vector<std::unique_ptr<BenchWorker>> workers;
  for (uint32_t t = 0; t < a.threads; ++t) {
    std::vector<uint32_t> ids;
    for (uint32_t c = t; c < a.connections; c += a.threads) ids.push_back(c);
    workers.push_back(std::make_unique<BenchWorker>(&plan, std::move(ids)));
  }
  std::atomic<int> phase{
      static_cast<int>(a.warmup_s > 0 ? BenchPhase::kWarmup : BenchPhase::kMeasure)};
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&phase, w = w.get()] { w->Run(&phase); });

  using Clock = std::chrono::steady_clock;
  FILE* progress = a.json ? stderr : stdout;
  const auto start = Clock::now();
  auto measure_start = start;
  bool measuring = a.warmup_s <= 0;
  Totals last;
  double last_s = 0;
  for (int tick = 1;; ++tick) {
    std::this_thread::sleep_until(start + std::chrono::seconds(tick));
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    Totals now = Sum(workers);
    const double dt = elapsed - last_s;
    // During warm-up nothing is measured: the line counts every completed request.
    const uint64_t done =
        measuring ? now.requests - last.requests : now.completed_all - last.completed_all;
    const uint64_t events = plan.ping   ? 0
                            : measuring ? now.events - last.events
                                        : done * plan.events_per_request;
    std::fprintf(progress, "[%5.1fs]%s %10.0f req/s  %10.0f events/s  errors %llu\n", elapsed,
                 measuring ? "" : " warm-up", done / dt, events / dt,
                 static_cast<unsigned long long>(now.errors));
    std::fflush(progress);
    last = now;
    last_s = elapsed;
    if (!measuring && elapsed >= a.warmup_s) {
      measuring = true;
      measure_start = Clock::now();
      phase.store(static_cast<int>(BenchPhase::kMeasure));
      last.requests = last.events = 0;
      continue;
    }
    // Ticks are whole seconds from the start; the tolerance keeps a 2 s run from taking 3.
    if (measuring && std::chrono::duration<double>(Clock::now() - measure_start).count() >=
                         a.duration_s - kTickToleranceS) {
      break;
    }
  }
  phase.store(static_cast<int>(BenchPhase::kStop));
  const double seconds = std::chrono::duration<double>(Clock::now() - measure_start).count();
  for (std::thread& t : threads) t.join();

  client::LatencyHistogram h;
  std::map<std::string, uint64_t> errors;
  for (const auto& w : workers) {
    h.Merge(w->histogram());
    for (const auto& [code, n] : w->errors_by_code()) errors[code] += n;
  }
  Totals t = Sum(workers);
  PrintSummary(a, plan, t, h, errors, seconds);
  if (t.requests > 0) return kExitOk;
  return errors.count("CONNECTION") ? kExitUnavailable : kExitOther;
}

}  // namespace

Command AddBenchCommand(CLI::App* app) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* sub = app->add_subcommand("bench", "Load generator: appends or PINGs over RESP");
  sub->add_option("--addr", a->addr, "Server address host:port (RESP)")->capture_default_str();
  sub->add_option("--connections", a->connections, "Connections")->capture_default_str();
  sub->add_option("--threads", a->threads, "Client threads (epoll loops)")->capture_default_str();
  sub->add_option("--duration", a->duration_s, "Measured seconds")->capture_default_str();
  sub->add_option("--warmup", a->warmup_s, "Seconds of load before measuring")
      ->capture_default_str();
  sub->add_option("--pipeline", a->pipeline, "Requests in flight per connection")
      ->capture_default_str();
  sub->add_option("--events", a->events, "Events per append")->capture_default_str();
  sub->add_option("--streams", a->streams, "Distinct streams (default: --connections)");
  sub->add_option("--org", a->org, "Org of the streams <org>/s/<n>")->capture_default_str();
  sub->add_flag("--occ", a->occ,
                "Expect each stream's exact version (each stream owned by one connection)");
  sub->add_option("--payload", a->payload_bytes, "Bytes of data per event")->capture_default_str();
  sub->add_option("--command", a->command, "append or ping")->capture_default_str();
  sub->add_flag("--json", a->json, "Print the summary as one JSON document");
  sub->add_flag("--schema", a->schema,
                "Register a JSON Schema for the event type first: every event is validated");
  return Command{sub, [a] { return RunBench(*a); }};
}

}  // namespace cairn::cli
