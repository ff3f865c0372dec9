#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/thread_name.h"

namespace cairn::server {
namespace {

uint64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

// The verification thread runs under SCHED_IDLE (below every nice level, so it stays behind the
// reactors and shards even when the whole server runs niced), at nice 19 should the policy
// be refused, and in the idle I/O class: the scheduler gives it what the rest leaves. An
// unprivileged process may always lower its own priority; failures are only logged.
void LowerThisThreadsPriority() {
  sched_param param{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) != 0) {
    pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 19) != 0) {
      spdlog::warn("verify thread: setpriority: {}", std::strerror(errno));
    }
  }
  pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  constexpr int kIoprioWhoProcess = 1;
  constexpr int kIoprioClassIdle = 3;
  constexpr int kIoprioClassShift = 13;
  if (syscall(SYS_ioprio_set, kIoprioWhoProcess, tid, kIoprioClassIdle << kIoprioClassShift) != 0) {
    spdlog::warn("verify thread: ioprio_set: {}", std::strerror(errno));
  }
}

// Descriptors kept for the engine (segments, index files) besides client connections.
constexpr uint64_t kReservedFds = 1024;

// Raises the soft descriptor limit as far as the hard limit allows; returns the connections
// that fit.
uint32_t RaiseFileLimit(uint32_t wanted_connections) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rlim_t want = static_cast<rlim_t>(wanted_connections) + kReservedFds;
  if (rl.rlim_cur < want) {
    rlimit raised = rl;
    raised.rlim_cur = want;
    if (raised.rlim_max < want) raised.rlim_max = want;
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {  // not privileged: up to the hard limit
      raised.rlim_max = rl.rlim_max;
      raised.rlim_cur = std::min<rlim_t>(want, rl.rlim_max);
      setrlimit(RLIMIT_NOFILE, &raised);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur <= kReservedFds) return 1;
  return static_cast<uint32_t>(std::min<rlim_t>(wanted_connections, rl.rlim_cur - kReservedFds));
}

}  // namespace

Result<int> Listen(const std::string& bind, uint16_t port, bool reuse_port) {
  sockaddr_in6 addr6{};
  sockaddr_in addr4{};
  bool v6 = bind.find(':') != std::string::npos;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  int rc;
  if (v6) {
    addr6.sin6_family = AF_INET6;
    addr6.sin6_port = htons(port);
    if (inet_pton(AF_INET6, bind.c_str(), &addr6.sin6_addr) != 1) {
      ::close(fd);
      return Status::Invalid("bind address '" + bind + "' is not an IP address");
    }
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr6), sizeof(addr6));
  } else {
    addr4.sin_family = AF_INET;
    addr4.sin_port = htons(port);
    if (inet_pton(AF_INET, bind.c_str(), &addr4.sin_addr) != 1) {
      ::close(fd);
      return Status::Invalid("bind address '" + bind + "' is not an IP address");
    }
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr4), sizeof(addr4));
  }
  if (rc != 0 || ::listen(fd, 4096) != 0) {
    std::string why = strerror(errno);
    ::close(fd);
    return Status::Unavailable("cannot listen on " + bind + ":" + std::to_string(port) + ": " +
                               why);
  }
  return fd;
}

uint16_t LocalPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

Result<std::unique_ptr<Server>> Server::Start(const ServerConfig& config) {
  // Signals are taken by WaitForShutdown (sigwait): block them before any thread starts.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<Server> s(new Server(config));
  CAIRN_RETURN_IF_ERROR(s->Open());
  return s;
}

Status Server::Open() {
  started_ms_ = MonotonicMs();
  effective_max_connections_ = RaiseFileLimit(config_.max_connections);
  if (effective_max_connections_ < config_.max_connections) {
    spdlog::warn(
        "max_connections {} lowered to {}: the descriptor limit (RLIMIT_NOFILE) allows "
        "no more; raise it (ulimit -Hn) to accept more",
        config_.max_connections, effective_max_connections_);
  }
  // Before recovery, which may take a while. Every worker listens with SO_REUSEPORT, which would
  // also let a second server (of the same user) share the ports and silently take half the
  // connections: a plain bind first makes a port already in use an error.
  for (uint16_t port : {config_.resp_port, config_.http_port}) {
    if (port == 0) continue;
    auto probe = Listen(config_.bind, port, /*reuse_port=*/false);
    if (!probe.ok()) return probe.status();
    ::close(*probe);
  }
  WatchLimits limits;
  limits.max_watchers = config_.max_watchers;
  limits.max_per_connection = config_.max_watchers_per_connection;
  limits.buffer_bytes = config_.watch_buffer_bytes;
  limits.heartbeat_s = config_.watch_heartbeat_s;
  watches_ = std::make_unique<Watches>(limits);
  EngineOptions options = ToEngineOptions(config_);
  options.hosted_shards = true;  // run by the network threads, below
  options.on_commit = [w = watches_.get()](uint32_t shard, uint64_t next) {
    w->OnCommit(shard, next);
  };
  auto engine = Engine::Open(options);
  if (!engine.ok()) return engine.status();
  engine_ = std::move(*engine);
  schemas_ =
      std::make_unique<schema::Registry>(schema::RegistryLimits{}, config_.schema_required_orgs);
  auto stored = engine_->ListSchemas();
  if (!stored.ok()) return stored.status();
  CAIRN_RETURN_IF_ERROR(schemas_->Load(*stored));
  watches_->Start(this);
  reads_ = std::make_unique<BlockingPool>(static_cast<int>(config_.read_threads), "cairn-read");
  verifies_ = std::make_unique<BlockingPool>(1, "cairn-verify");
  verifies_->Submit(LowerThisThreadsPriority);
  uint32_t n = config_.reactors;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  uint16_t resp_port = config_.resp_port;
  uint16_t http_port = config_.http_port;
  for (uint32_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>(this, i);
    CAIRN_RETURN_IF_ERROR(w->Init(resp_port, http_port));
    if (i == 0) {  // port 0 picks a free port; every worker then listens on the same one
      resp_port = w->resp_listen_port();
      http_port = w->http_listen_port();
    }
    workers_.push_back(std::move(w));
  }
  resp_port_ = resp_port;
  http_port_ = http_port;
  // Each shard's loop runs on a network thread: a request for a shard of the thread that read
  // it is written and acknowledged without a hand-off (docs/internals/server.md).
  for (uint32_t s = 0; s < engine_->shard_count(); ++s) {
    ShardLoop* loop = engine_->hosted_shard(s);
    if (loop == nullptr) continue;  // a disk that cannot be waited on: the shard has a thread
    workers_[s % workers_.size()]->reactor().Host(loop);
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    threads_.emplace_back([w = workers_[i].get(), i] {
      SetThreadName("cairn-net-" + std::to_string(i));
      w->Run();
    });
  }
  ready_.store(true, std::memory_order_release);
  EngineStats st = engine_->Stats();
  uint64_t events = 0;
  for (const auto& sh : st.shards) events += sh.next_position - 1;
  spdlog::info(
      "cairn {} serving: resp {}:{} http {}:{}, {} shards (key {}), {} reactors, data dir {}, "
      "{} events recovered in {} ms (metadata of {} records rewritten, slowest shard {} ms; {} "
      "events replayed, slowest shard {} ms)",
      CAIRN_VERSION, config_.bind, resp_port_, config_.bind, http_port_, engine_->shard_count(),
      ShardKeyName(engine_->shard_key()), n, engine_->data_dir(), events, st.recovery_ms,
      st.recovery_meta_records, st.recovery_meta_ms, st.recovery_replayed_events,
      st.recovery_replay_ms);
  return Status::Ok();
}

bool Server::AdmitConnection() {
  uint32_t now = connections_.fetch_add(1, std::memory_order_relaxed);
  if (now < effective_max_connections_) return true;
  connections_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

bool Server::SubmitVerify(std::function<void()> job) {
  if (queued_verifies_.fetch_add(1, std::memory_order_relaxed) >= kMaxQueuedVerifies) {
    queued_verifies_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  verifies_->Submit(std::move(job));
  return true;
}

bool Server::SubmitRead(std::function<void()> job) {
  if (queued_reads_.fetch_add(1, std::memory_order_relaxed) >= config_.max_queued_reads) {
    queued_reads_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  reads_->Submit(std::move(job));
  return true;
}

std::string Server::MetricsText() const {
  std::vector<const WorkerMetrics*> ms;
  for (const auto& w : workers_) ms.push_back(&w->metrics());
  return RenderMetrics(ms, engine_->Stats(), (MonotonicMs() - started_ms_) / 1000) +
         watches_->MetricsText();
}

int Server::WaitForShutdown() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("received {}, shutting down: no new connections, finishing requests in flight",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
  Drain();
  return 0;
}

void Server::Drain() {
  auto t0 = std::chrono::steady_clock::now();
  shutting_down_.store(true, std::memory_order_release);
  ready_.store(false, std::memory_order_release);
  for (auto& w : workers_) w->BeginDrain();
  watches_->Stop();  // no frames are posted to the reactors from here on
  auto deadline = t0 + std::chrono::seconds(config_.shutdown_timeout_s);
  for (auto& w : workers_) {
    while (!w->drained() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!w->drained()) spdlog::warn("worker {} did not drain in time", w->index());
  }
  for (auto& w : workers_) w->reactor().Stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  reads_.reset();  // finishes queued reads
  verifies_.reset();
  engine_.reset();  // completes writes in flight, persists the index
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  spdlog::info("stopped cleanly in {} ms", ms);
}

Server::~Server() {
  if (!threads_.empty()) Drain();
  // A start that failed after the hubs started: they read the engine, so they stop first.
  if (watches_) watches_->Stop();
}

}  // namespace cairn::server
