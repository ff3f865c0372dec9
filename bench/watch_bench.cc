// Live watch delivery, measured against a running `cairn serve` (bench/watch_latency.sh starts
// one): writers append single events to streams of one org while N watchers watch that org
// from LIVE. For every event the program knows when its append was sent and acknowledged
// (writer side) and when each watcher received it, all on one monotonic clock, so it reports
//   ack-to-delivery   receive time - the append's acknowledgement time (the commit is durable
//                     when the server acknowledges, so this is commit-to-delivery as a client
//                     sees it; it can be slightly negative when the push overtakes the ack)
//   send-to-delivery  receive time - the time the append was sent
// and the append throughput and latency, so runs with 0, 1 and 100 watchers show what
// watchers cost the writers. Every watcher must receive every event exactly once, in order.
//
// With --decoders K, only K watchers decode and check their frames (and give the latency); the
// others just drain their sockets, so the figure shows the server's cost of fanning out rather
// than the cost of decoding N streams of frames in this process, which shares the machine.
//
// Usage: watch_bench ADDR [--watchers N] [--decoders K] [--writers N] [--seconds S] [--org O]
//                    [--slow-us U]
// Output: one JSON object on stdout.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cairn/client.h"
#include "client/latency_histogram.h"

namespace {

using cairn::client::Client;
using cairn::client::LatencyHistogram;

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

struct Sent {
  uint64_t send_ns = 0;
  uint64_t ack_ns = 0;
};

struct Received {
  uint64_t position = 0;
  uint64_t recv_ns = 0;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "watch_bench: %s\n", what.c_str());
  std::exit(1);
}

// A watcher that only drains its socket: HELLO 3, EWATCH <org> LIVE, then reads and drops
// bytes. Ready once its live frame came.
void DrainWatcher(const std::string& addr, const std::string& org, std::atomic<int>* ready,
                  const std::atomic<bool>* stop, std::atomic<uint64_t>* bytes) {
  size_t colon = addr.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::atoi(addr.c_str() + colon + 1)));
  inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    Die("drain watcher: connect failed");
  }
  std::string req = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*3\r\n$6\r\nEWATCH\r\n$" +
                    std::to_string(org.size()) + "\r\n" + org + "\r\n$4\r\nLIVE\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    Die("drain watcher: send failed");
  }
  std::string seen;
  bool live = false;
  std::vector<char> buf(1 << 16);
  while (!stop->load(std::memory_order_relaxed)) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) Die("drain watcher: connection closed");
    bytes->fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    if (!live) {
      seen.append(buf.data(), static_cast<size_t>(n));
      if (seen.find("$4\r\nlive\r\n") != std::string::npos) {
        live = true;
        ready->fetch_add(1);
        seen.clear();
      }
    }
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Die("usage: watch_bench ADDR [--watchers N] [--writers N] [--seconds S] [--org O]");
  std::string addr = argv[1];
  int watchers = 1, writers = 4, decoders = -1;
  double seconds = 5;
  int slow_us = 0;  // a watcher's pause per frame: makes slow readers, whose buffers fill
  std::string org = "wb" + std::to_string(NowNs() % 1000000);
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--watchers") {
      watchers = std::atoi(argv[i + 1]);
    } else if (k == "--decoders") {
      decoders = std::atoi(argv[i + 1]);
    } else if (k == "--writers") {
      writers = std::atoi(argv[i + 1]);
    } else if (k == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (k == "--slow-us") {
      slow_us = std::atoi(argv[i + 1]);
    } else if (k == "--org") {
      org = argv[i + 1];
    } else {
      Die("unknown option " + k);
    }
  }

  // Watchers first, each on its own connection and thread, from LIVE; they are ready once
  // their live frame came.
  if (decoders < 0 || decoders > watchers) decoders = watchers;
  std::atomic<bool> stop_watching{false};
  std::atomic<int> ready{0};
  std::atomic<uint64_t> drained_bytes{0};
  std::vector<std::vector<Received>> received(static_cast<size_t>(decoders));
  std::vector<std::thread> watch_threads;
  for (int w = decoders; w < watchers; ++w) {
    watch_threads.emplace_back(
        [&] { DrainWatcher(addr, org, &ready, &stop_watching, &drained_bytes); });
  }
  for (int w = 0; w < decoders; ++w) {
    watch_threads.emplace_back([&, w] {
      auto c = Client::Connect(addr);
      if (!c.ok()) Die("watcher connect: " + c.status().ToString());
      cairn::client::WatchRequest req;
      req.scope = org;
      req.live = true;
      auto id = c->Watch(req);
      if (!id.ok()) Die("EWATCH: " + id.status().ToString());
      auto& out = received[static_cast<size_t>(w)];
      out.reserve(1 << 20);
      bool live = false;
      while (!stop_watching.load(std::memory_order_relaxed)) {
        auto f = c->NextWatchFrame(200);
        if (!f.ok()) Die("watch frame: " + f.status().ToString());
        if (!f->has_value()) continue;
        const uint64_t t = NowNs();
        if ((*f)->kind == cairn::client::WatchFrame::Kind::kLive) {
          if (!live) ready.fetch_add(1);
          live = true;
          continue;
        }
        out.push_back(Received{(*f)->cursor, t});
        if (slow_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(slow_us));
      }
    });
  }
  while (ready.load() < watchers) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  // Writers: single events, unpipelined, to 1,000 streams of the org.
  std::atomic<bool> stop_writing{false};
  std::vector<std::unordered_map<uint64_t, Sent>> sent(static_cast<size_t>(writers));
  std::vector<LatencyHistogram> append_latency(static_cast<size_t>(writers));
  std::vector<std::thread> write_threads;
  std::atomic<uint32_t> shard_seen{UINT32_MAX};
  const uint64_t t0 = NowNs();
  for (int w = 0; w < writers; ++w) {
    write_threads.emplace_back([&, w] {
      auto c = Client::Connect(addr);
      if (!c.ok()) Die("writer connect: " + c.status().ToString());
      uint64_t n = 0;
      while (!stop_writing.load(std::memory_order_relaxed)) {
        std::string stream = org + "/acct/" + std::to_string((n * 7919 + w) % 1000);
        const uint64_t s = NowNs();
        auto r =
            c->Append(stream, cairn::Expected::Any(),
                      {cairn::ProposedEvent{"Tick", "{\"n\":1}", "", std::nullopt, std::nullopt}});
        const uint64_t a = NowNs();
        if (!r.ok()) Die("append: " + r.status().ToString());
        shard_seen.store(r->shard);
        sent[static_cast<size_t>(w)][r->first_position] = Sent{s, a};
        append_latency[static_cast<size_t>(w)].Record(a - s);
        ++n;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop_writing = true;
  for (auto& t : write_threads) t.join();
  const double write_s = static_cast<double>(NowNs() - t0) / 1e9;

  std::unordered_map<uint64_t, Sent> all;
  LatencyHistogram append;
  for (int w = 0; w < writers; ++w) {
    all.insert(sent[static_cast<size_t>(w)].begin(), sent[static_cast<size_t>(w)].end());
    append.Merge(append_latency[static_cast<size_t>(w)]);
  }
  // Let the watchers receive the last events, then stop them.
  const uint64_t deadline = NowNs() + 30'000'000'000ull;
  while (NowNs() < deadline) {
    bool done = true;
    for (const auto& r : received) done = done && r.size() >= all.size();
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop_watching = true;
  for (auto& t : watch_threads) t.join();

  LatencyHistogram ack_to_delivery, send_to_delivery;
  uint64_t early = 0, problems = 0;
  for (const auto& r : received) {
    if (r.size() != all.size()) ++problems;
    uint64_t last = 0;
    for (const Received& x : r) {
      if (x.position <= last) ++problems;  // out of order or duplicate
      last = x.position;
      auto it = all.find(x.position);
      if (it == all.end()) {
        ++problems;
        continue;
      }
      send_to_delivery.Record(x.recv_ns - it->second.send_ns);
      if (x.recv_ns >= it->second.ack_ns) {
        ack_to_delivery.Record(x.recv_ns - it->second.ack_ns);
      } else {
        ++early;  // the push overtook the acknowledgement
        ack_to_delivery.Record(0);
      }
    }
  }
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  std::printf(
      "{\"watchers\":%d,\"decoders\":%d,\"drained_mb\":%.1f,\"writers\":%d,\"events\":%zu,\"append_"
      "events_per_s\":%.0f,"
      "\"append_p50_us\":%.1f,\"append_p99_us\":%.1f,"
      "\"ack_to_delivery_p50_us\":%.1f,\"ack_to_delivery_p99_us\":%.1f,"
      "\"ack_to_delivery_p999_us\":%.1f,\"send_to_delivery_p50_us\":%.1f,"
      "\"send_to_delivery_p99_us\":%.1f,\"deliveries\":%llu,\"delivered_before_ack\":%llu,"
      "\"problems\":%llu}\n",
      watchers, decoders, static_cast<double>(drained_bytes.load()) / 1e6, writers, all.size(),
      static_cast<double>(all.size()) / write_s, us(append.Percentile(50)),
      us(append.Percentile(99)), us(ack_to_delivery.Percentile(50)),
      us(ack_to_delivery.Percentile(99)), us(ack_to_delivery.Percentile(99.9)),
      us(send_to_delivery.Percentile(50)), us(send_to_delivery.Percentile(99)),
      static_cast<unsigned long long>(ack_to_delivery.count()),
      static_cast<unsigned long long>(early), static_cast<unsigned long long>(problems));
  return problems == 0 ? 0 : 2;
}
