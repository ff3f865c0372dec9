// A blocking RESP connection built on a non-blocking socket and poll(2), so that every wait
// has a timeout and writes can interleave with reads.

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "cairn/client.h"
#include "cairn/resp_request_encoder.h"
#include "client/address.h"

namespace cairn::client {
namespace {

constexpr size_t kReceiveChunkBytes = 64 << 10;
// The send buffer is kept for reuse unless a burst grew it past this.
constexpr size_t kMaxRetainedSendBufferBytes = 1 << 20;

std::string ErrnoText(int err) { return std::strerror(err); }

// Non-blocking connect to one resolved address, waiting at most timeout_ms.
Result<int> ConnectOne(const addrinfo* ai, uint32_t timeout_ms) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return Status::Unavailable("socket: " + ErrnoText(errno));
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    return Status::Unavailable(ErrnoText(err));
  }
  pollfd p{fd, POLLOUT, 0};
  int n;
  do {
    n = ::poll(&p, 1, static_cast<int>(timeout_ms));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    ::close(fd);
    return Status::Unavailable(n == 0 ? "connect timed out" : ErrnoText(errno));
  }
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    ::close(fd);
    return Status::Unavailable(ErrnoText(err));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Connect(std::string_view address,
                                                        const ConnectionOptions& options) {
  auto hp = SplitHostPort(address);
  if (!hp.ok()) return hp.status();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(hp->host.c_str(), hp->port.c_str(), &hints, &res);
  if (rc != 0) {
    return Status::Unavailable("resolve " + std::string(address) + ": " + gai_strerror(rc));
  }
  Status last = Status::Unavailable("no address");
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    auto r = ConnectOne(ai, options.connect_timeout_ms);
    if (r.ok()) {
      fd = *r;
    } else {
      last = r.status();
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0) {
    return Status::Unavailable("connect " + std::string(address) + ": " + last.message());
  }
  std::unique_ptr<Connection> c(new Connection(fd, std::string(address), options));
  if (options.protocol >= 3) CAIRN_RETURN_IF_ERROR(c->Hello());
  return c;
}

Connection::Connection(int fd, std::string address, const ConnectionOptions& options)
    : fd_(fd), address_(std::move(address)), options_(options), parser_(options.limits) {}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

Status Connection::Hello() {
  auto r = Call({"HELLO", "3"});
  if (!r.ok()) return r.status();
  // A server without RESP3 refuses HELLO (or HELLO 3) with an error and stays on RESP2.
  protocol_ = r->IsError() ? 2 : 3;
  return Status::Ok();
}

Status Connection::Break(Status s) {
  if (status_.ok()) {
    status_ = Status(s.code(), s.message() + " (" + address_ + ")");
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  return status_;
}

void Connection::Queue(std::span<const std::string_view> args) {
  RequestEncoder(&out_).Encode(args);
  ++pending_;
}

Status Connection::Wait(short events, short* revents) {
  pollfd p{fd_, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, static_cast<int>(options_.io_timeout_ms));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Break(Status::Unavailable("poll: " + ErrnoText(errno)));
  if (n == 0) {
    return Break(
        Status::Unavailable("timed out after " + std::to_string(options_.io_timeout_ms) + " ms"));
  }
  *revents = p.revents;
  return Status::Ok();
}

Status Connection::ReceiveSome() {
  std::span<char> w = parser_.PrepareWrite(kReceiveChunkBytes);
  ssize_t n = ::recv(fd_, w.data(), w.size(), 0);
  if (n > 0) {
    parser_.Commit(static_cast<size_t>(n));
    return Status::Ok();
  }
  if (n == 0) return Break(Status::Unavailable("connection closed by the server"));
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Status::Ok();
  return Break(Status::Unavailable("recv: " + ErrnoText(errno)));
}

Status Connection::Flush() {
  if (!status_.ok()) return status_;
  while (out_offset_ < out_.size()) {
    short revents = 0;
    CAIRN_RETURN_IF_ERROR(Wait(POLLIN | POLLOUT, &revents));
    if (revents & POLLIN) CAIRN_RETURN_IF_ERROR(ReceiveSome());
    if (revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t n = ::send(fd_, out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL);
      if (n > 0) {
        out_offset_ += static_cast<size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return Break(Status::Unavailable("send: " + ErrnoText(errno)));
      }
    }
  }
  out_.clear();
  if (out_.capacity() > kMaxRetainedSendBufferBytes) out_.shrink_to_fit();
  out_offset_ = 0;
  return Status::Ok();
}

Result<bool> Connection::Parse(RespValue* v) {
  auto r = parser_.Next(v);
  if (!r.ok()) return Break(Status::Corruption(r.status().message()));
  return *r;
}

Result<RespValue> Connection::ReadReply() {
  if (!status_.ok()) return status_;
  if (pending_ == 0) return Status::Invalid("ReadReply without a request in flight");
  CAIRN_RETURN_IF_ERROR(Flush());
  RespValue v;
  while (true) {
    auto r = Parse(&v);
    if (!r.ok()) return r.status();
    if (*r) {
      if (v.type == RespType::kPush) {  // out of band (a watch's frames): not a reply
        pushes_.push_back(std::move(v));
        continue;
      }
      --pending_;
      return v;
    }
    short revents = 0;
    CAIRN_RETURN_IF_ERROR(Wait(POLLIN, &revents));
    CAIRN_RETURN_IF_ERROR(ReceiveSome());
  }
}

Result<std::optional<RespValue>> Connection::NextPush(uint32_t timeout_ms) {
  if (!pushes_.empty()) {
    RespValue v = std::move(pushes_.front());
    pushes_.pop_front();
    return std::optional<RespValue>(std::move(v));
  }
  if (!status_.ok()) return status_;
  if (pending_ != 0) return Status::Invalid("NextPush with replies of earlier requests unread");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  RespValue v;
  while (true) {
    auto r = Parse(&v);
    if (!r.ok()) return r.status();
    if (*r) {
      if (v.type == RespType::kPush) return std::optional<RespValue>(std::move(v));
      return Break(Status::Corruption("a reply (" + std::string(RespTypeName(v.type)) +
                                      ") arrived with no request in flight"));
    }
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<RespValue>();
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30)));
    if (n < 0 && errno == EINTR) return std::optional<RespValue>();  // the caller checks why
    if (n < 0) return Break(Status::Unavailable("poll: " + ErrnoText(errno)));
    if (n > 0) CAIRN_RETURN_IF_ERROR(ReceiveSome());
  }
}

Result<RespValue> Connection::Call(std::span<const std::string_view> args) {
  if (!status_.ok()) return status_;
  if (pending_ != 0) return Status::Invalid("Call with replies of earlier requests unread");
  Queue(args);
  return ReadReply();
}

}  // namespace cairn::client
