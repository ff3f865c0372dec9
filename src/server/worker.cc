#include "server/worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "server/connection.h"
#include "server/server.h"

namespace cairn::server {
namespace {

// Receive buffers per worker: 1024 x 16 KiB = 16 MiB, whatever the number of connections.
constexpr uint32_t kRecvBuffers = 1024;
constexpr uint32_t kRecvBufferBytes = 16u << 10;
constexpr uint32_t kTickMs = 100;

uint64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

}  // namespace

// Accepts connections on one listening socket (multishot accept).
class Worker::Acceptor final : public reactor::IoHandler {
 public:
  Acceptor(Worker* w, int fd, bool http) : worker_(w), fd_(fd), http_(http) {}
  ~Acceptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  void Arm() {
    io_uring_sqe* sqe = worker_->reactor().Sqe();
    io_uring_prep_multishot_accept(sqe, fd_, nullptr, nullptr, SOCK_CLOEXEC);
    worker_->reactor().Submit(sqe, this);
    armed_ = true;
  }
  // Stops accepting: later connection attempts are refused by the kernel.
  void Stop() {
    stopped_ = true;
    if (fd_ >= 0) {
      ::shutdown(fd_, SHUT_RDWR);  // completes the pending accept
    }
  }
  void OnIo(int result, uint32_t flags) override {
    if (result >= 0) {
      if (stopped_) {
        ::close(result);
      } else {
        worker_->Accepted(result, http_);
      }
    }
    if (!(flags & IORING_CQE_F_MORE)) {
      armed_ = false;
      if (!stopped_ && result != -EBADF && result != -EINVAL) Arm();
    }
  }
  bool armed() const { return armed_; }
  int fd() const { return fd_; }

 private:
  Worker* worker_;
  int fd_;
  bool http_;
  bool armed_ = false;
  bool stopped_ = false;
};

Worker::Worker(Server* server, uint32_t index) : server_(server), index_(index) {}

Worker::~Worker() = default;

uint16_t Worker::resp_listen_port() const { return LocalPort(resp_acceptor_->fd()); }
uint16_t Worker::http_listen_port() const { return LocalPort(http_acceptor_->fd()); }

const ServerConfig& Worker::config() const { return server_->config(); }

Status Worker::Init(uint16_t resp_port, uint16_t http_port) {
  CAIRN_RETURN_IF_ERROR(reactor_.Init());
  buffers_ =
      std::make_unique<reactor::BufferRing>(reactor_.ring(), 1, kRecvBuffers, kRecvBufferBytes);
  CAIRN_RETURN_IF_ERROR(buffers_->Init());
  auto resp_fd = Listen(config().bind, resp_port);
  if (!resp_fd.ok()) return resp_fd.status();
  resp_acceptor_ = std::make_unique<Acceptor>(this, *resp_fd, false);
  auto http_fd = Listen(config().bind, http_port);
  if (!http_fd.ok()) return http_fd.status();
  http_acceptor_ = std::make_unique<Acceptor>(this, *http_fd, true);
  return Status::Ok();
}

void Worker::Run() {
  now_ms_ = MonotonicMs();
  resp_acceptor_->Arm();
  http_acceptor_->Arm();
  reactor_.Run([this] { Tick(); }, kTickMs);
  // Stopped: close whatever is left (their operations are gone with the ring).
  while (connections_ != nullptr) {
    Connection* c = connections_;
    connections_ = c->next;
    c->prev = c->next = nullptr;
  }
}

void Worker::Accepted(int fd, bool http) {
  metrics_.connections_accepted.fetch_add(1, std::memory_order_relaxed);
  if (draining_ || !server_->AdmitConnection()) {
    metrics_.connections_refused.fetch_add(1, std::memory_order_relaxed);
    static constexpr std::string_view kResp = "-ERR max number of clients reached\r\n";
    static constexpr std::string_view kBody =
        "{\"error\":\"BUSY\",\"message\":\"max number of clients reached\"}\n";
    static const std::string kHttp =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(kBody.size()) + "\r\nConnection: close\r\n\r\n" + std::string(kBody);
    std::string_view reply = http ? std::string_view(kHttp) : kResp;
    ssize_t n = ::send(fd, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)n;
    ::close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  auto* c = new Connection(this, fd, http ? Protocol::kHttp : Protocol::kResp,
                           server_->NextConnectionId());
  c->next = connections_;
  if (connections_ != nullptr) connections_->prev = c;
  connections_ = c;
  ++live_connections_;
  metrics_.connections_open.fetch_add(1, std::memory_order_relaxed);
  c->Start();
}

void Worker::OnClosing(Connection* c) {
  if (c->prev != nullptr) c->prev->next = c->next;
  if (c->next != nullptr) c->next->prev = c->prev;
  if (connections_ == c) connections_ = c->next;
  c->prev = c->next = nullptr;
  metrics_.connections_open.fetch_sub(1, std::memory_order_relaxed);
  server_->ReleaseConnection();
}

void Worker::Forget(Connection* c) {
  --live_connections_;
  MaybeDrained();
}

void Worker::Tick() {
  now_ms_ = MonotonicMs();
  uint32_t idle_s = config().idle_timeout_s;
  if (idle_s > 0 && !draining_) {
    uint64_t limit = static_cast<uint64_t>(idle_s) * 1000;
    for (Connection* c = connections_; c != nullptr;) {
      Connection* next = c->next;
      if (c->quiet() && now_ms_ - c->last_active_ms() > limit) c->Close();
      c = next;
    }
  }
  MaybeDrained();
}

namespace {

struct DrainTask final : reactor::Task {
  explicit DrainTask(std::function<void()> f) : fn(std::move(f)) {}
  std::function<void()> fn;
  void Run() override {
    fn();
    delete this;
  }
};

}  // namespace

void Worker::BeginDrain() {
  reactor_.Post(new DrainTask([this] {
    draining_ = true;
    resp_acceptor_->Stop();
    http_acceptor_->Stop();
    for (Connection* c = connections_; c != nullptr;) {
      Connection* next = c->next;
      c->StopReading();
      c = next;
    }
    MaybeDrained();
  }));
}

void Worker::MaybeDrained() {
  if (draining_ && live_connections_ == 0) drained_.store(true, std::memory_order_release);
}

}  // namespace cairn::server
