#include "cli/bench_worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "base/clock.h"
#include "cairn/resp_reply_parser.h"
#include "cairn/resp_request_encoder.h"

namespace cairn::cli {
namespace {

constexpr size_t kReceiveChunkBytes = 256 << 10;
constexpr int kMaxEpollEvents = 256;
constexpr int kEpollTimeoutMs = 20;
constexpr int kConnectTimeoutMs = 5000;

std::string_view FirstWord(std::string_view s) { return s.substr(0, s.find(' ')); }

// One bulk string argument (the array header is written separately).
void AppendBulk(std::string* out, std::string_view arg) {
  out->push_back('$');
  out->append(std::to_string(arg.size()));
  out->append("\r\n");
  out->append(arg);
  out->append("\r\n");
}

// The actual version from a CONFLICT line in the contract's wording ("... but is at N").
bool ConflictActual(std::string_view line, uint64_t* actual) {
  constexpr std::string_view kMarker = " but is at ";
  size_t at = line.rfind(kMarker);
  if (at == std::string_view::npos) return false;
  std::string_view n = line.substr(at + kMarker.size());
  auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), *actual);
  return ec == std::errc() && p == n.data() + n.size();
}

}  // namespace

std::string BenchPlan::StreamName(uint32_t s) const { return org + "/s/" + std::to_string(s); }

std::vector<uint32_t> BenchPlan::StreamsOf(uint32_t connection) const {
  std::vector<uint32_t> out;
  if (streams >= connections) {
    for (uint32_t s = connection; s < streams; s += connections) out.push_back(s);
  } else {
    out.push_back(connection % streams);
  }
  return out;
}

struct BenchWorker::InFlight {
  uint64_t sent_ns = 0;
  uint32_t stream = 0;
  uint32_t epoch = 0;
  bool counted = false;   // false for the HELLO that opens the connection
  bool measured = false;  // sent during the measured phase
};

struct BenchWorker::Conn {
  uint32_t id = 0;
  int fd = -1;
  bool dead = false;
  bool want_write = false;  // EPOLLOUT registered
  client::ReplyParser parser;
  std::string out;
  size_t out_offset = 0;
  // Requests in flight, oldest first: a ring of capacity pipeline + 1 (the HELLO).
  std::vector<InFlight> ring;
  size_t head = 0;
  size_t in_flight = 0;
  std::vector<uint32_t> streams;
  size_t next_stream = 0;
  // "*<argc>\r\n$7\r\nEAPPEND\r\n$<n>\r\n<stream>\r\n" per stream of this connection.
  std::vector<std::string> prefixes;

  void Push(const InFlight& f) {
    ring[(head + in_flight) % ring.size()] = f;
    ++in_flight;
  }
  InFlight Pop() {
    InFlight f = ring[head];
    head = (head + 1) % ring.size();
    --in_flight;
    return f;
  }
};

BenchWorker::BenchWorker(BenchPlan* plan, std::vector<uint32_t> connection_ids) : plan_(plan) {
  // Three bulk strings per event; the array header is in each connection's prefix.
  for (uint32_t i = 0; i < plan->events_per_request; ++i) {
    AppendBulk(&events_suffix_, "EVENT");
    AppendBulk(&events_suffix_, plan->event_type);
    AppendBulk(&events_suffix_, plan->payload);
  }
  stream_epochs_.assign(plan->streams, 0);
  const uint64_t argc = 3 + 3ull * plan->events_per_request;
  for (uint32_t id : connection_ids) {
    auto c = std::make_unique<Conn>();
    c->id = id;
    c->ring.resize(plan->pipeline + 1);
    c->streams = plan->StreamsOf(id);
    for (uint32_t s : c->streams) {
      std::string name = plan->StreamName(s);
      c->prefixes.push_back("*" + std::to_string(argc) + "\r\n$7\r\nEAPPEND\r\n$" +
                            std::to_string(name.size()) + "\r\n" + name + "\r\n");
    }
    conns_.push_back(std::move(c));
  }
}

BenchWorker::~BenchWorker() {
  for (auto& c : conns_) {
    if (c->fd >= 0) ::close(c->fd);
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool BenchWorker::Connect(Conn* c) {
  const sockaddr* sa = reinterpret_cast<const sockaddr*>(&plan_->address);
  c->fd = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) return false;
  if (::connect(c->fd, sa, plan_->address_len) != 0 && errno != EINPROGRESS) return false;
  pollfd p{c->fd, POLLOUT, 0};
  if (::poll(&p, 1, kConnectTimeoutMs) != 1) return false;
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return false;
  int one = 1;
  ::setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = c;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c->fd, &ev) == 0;
}

void BenchWorker::Run(const std::atomic<int>* phase_flag) {
  Clock* clock = Clock::Real();
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  for (auto& c : conns_) {
    if (!Connect(c.get())) {
      Fail(c.get(), "CONNECTION");
      continue;
    }
    client::RequestEncoder(&c->out).Encode({"HELLO", "3"});
    c->Push(InFlight{clock->MonotonicNanos(), 0, 0, false, false});
    Fill(c.get(), static_cast<BenchPhase>(phase_flag->load()), clock->MonotonicNanos());
    Flush(c.get());
  }
  epoll_event events[kMaxEpollEvents];
  while (true) {
    const auto phase = static_cast<BenchPhase>(phase_flag->load(std::memory_order_relaxed));
    if (phase == BenchPhase::kStop) break;
    int n = ::epoll_wait(epoll_fd_, events, kMaxEpollEvents, kEpollTimeoutMs);
    for (int i = 0; i < n; ++i) {
      Conn* c = static_cast<Conn*>(events[i].data.ptr);
      if (c->dead) continue;
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) OnReadable(c, phase);
      if (!c->dead && (events[i].events & EPOLLOUT)) Flush(c);
    }
  }
}

void BenchWorker::Fill(Conn* c, BenchPhase phase, uint64_t now_ns) {
  if (c->streams.empty() && !plan_->ping) return;
  while (c->in_flight < plan_->pipeline) {
    InFlight f{now_ns, 0, 0, true, phase == BenchPhase::kMeasure};
    if (plan_->ping) {
      client::RequestEncoder(&c->out).Encode({"PING"});
    } else {
      const size_t k = c->next_stream;
      c->next_stream = (k + 1) % c->streams.size();
      f.stream = c->streams[k];
      f.epoch = stream_epochs_[f.stream];
      c->out += c->prefixes[k];
      EncodeAppend(c, f.stream);
    }
    c->Push(f);
  }
}

void BenchWorker::EncodeAppend(Conn* c, uint32_t stream) {
  if (plan_->occ) {
    uint64_t& v = plan_->versions[stream];
    AppendBulk(&c->out, v == 0 ? std::string("NONE") : std::to_string(v));
    v += plan_->events_per_request;
  } else {
    AppendBulk(&c->out, "ANY");
  }
  c->out += events_suffix_;
}

void BenchWorker::Flush(Conn* c) {
  while (c->out_offset < c->out.size()) {
    ssize_t n =
        ::send(c->fd, c->out.data() + c->out_offset, c->out.size() - c->out_offset, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_offset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Fail(c, "CONNECTION");
    return;
  }
  const bool pending = c->out_offset < c->out.size();
  if (!pending) {
    c->out.clear();
    c->out_offset = 0;
  }
  if (pending != c->want_write) {
    epoll_event ev{};
    ev.events = pending ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.ptr = c;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_write = pending;
  }
}

void BenchWorker::OnReadable(Conn* c, BenchPhase phase) {
  for (int round = 0; round < 4; ++round) {
    std::span<char> w = c->parser.PrepareWrite(kReceiveChunkBytes);
    ssize_t n = ::recv(c->fd, w.data(), w.size(), 0);
    if (n == 0) return Fail(c, "CONNECTION");
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return Fail(c, "CONNECTION");
    }
    c->parser.Commit(static_cast<size_t>(n));
    if (static_cast<size_t>(n) < w.size()) break;
  }
  const uint64_t now = Clock::Real()->MonotonicNanos();
  client::RespValue v;
  while (true) {
    auto r = c->parser.Next(&v);
    if (!r.ok()) return Fail(c, "PROTOCOL");
    if (!*r) break;
    if (v.type == client::RespType::kPush) continue;
    if (c->in_flight == 0) return Fail(c, "PROTOCOL");  // a reply nobody asked for
    InFlight f = c->Pop();
    OnReply(c, f, v.IsError(), v.IsError() ? std::string_view(v.str) : std::string_view(), now);
  }
  Fill(c, phase, now);
  Flush(c);
}

void BenchWorker::OnReply(Conn* c, const InFlight& f, bool error, std::string_view line,
                          uint64_t now_ns) {
  if (!f.counted) return;  // HELLO: RESP2-only servers refuse it, which is fine
  completed_all_.fetch_add(1, std::memory_order_relaxed);
  if (error) {
    std::string code(FirstWord(line));
    CountError(code, f.measured);
    uint64_t actual = 0;
    // Resynchronise a stream's version once per divergence: requests sent before the
    // resync carried stale expectations and fail too, without resetting it again.
    if (plan_->occ && code == "CONFLICT" && f.epoch == stream_epochs_[f.stream] &&
        ConflictActual(line, &actual)) {
      plan_->versions[f.stream] = actual;
      ++stream_epochs_[f.stream];
    }
    return;
  }
  if (!f.measured) return;
  histogram_.Record(now_ns - f.sent_ns);
  requests_.fetch_add(1, std::memory_order_relaxed);
  events_.fetch_add(plan_->ping ? 0 : plan_->events_per_request, std::memory_order_relaxed);
}

void BenchWorker::CountError(const std::string& code, bool measured) {
  if (!measured) return;
  ++errors_by_code_[code.empty() ? "ERR" : code];
  errors_.fetch_add(1, std::memory_order_relaxed);
}

void BenchWorker::Fail(Conn* c, const std::string& why) {
  ++errors_by_code_[why];
  errors_.fetch_add(1, std::memory_order_relaxed);
  c->dead = true;
  if (c->fd >= 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
    ::close(c->fd);
    c->fd = -1;
  }
}

}  // namespace cairn::cli
