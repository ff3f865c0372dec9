#include "http_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "server_process.h"

namespace cairn::testing {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

HttpConn::HttpConn(uint16_t port) {
  fd_ = ConnectLoopback(port);
  if (fd_ < 0) last_error_ = std::string("connect: ") + strerror(errno);
}

HttpConn::~HttpConn() {
  if (fd_ >= 0) ::close(fd_);
}

std::string HttpConn::Build(const std::string& method, const std::string& target,
                            const std::string& body,
                            const std::vector<std::string>& extra_headers) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : extra_headers) r += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  r += "\r\n";
  r += body;
  return r;
}

HttpResponse HttpConn::Request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::vector<std::string>& extra_headers) {
  if (!SendRaw(Build(method, target, body, extra_headers))) return HttpResponse();
  return Read();
}

bool HttpConn::SendRaw(std::string_view bytes) {
  if (fd_ < 0) {
    last_error_ = "not connected";
    return false;
  }
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      last_error_ = std::string("send: ") + strerror(errno);
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool HttpConn::Fill(int timeout_ms) { return ReceiveSome(fd_, timeout_ms, &in_, &last_error_); }

HttpResponse HttpConn::Read(int timeout_ms, bool head_request) {
  HttpResponse resp;
  if (fd_ < 0) return resp;
  size_t head_end;
  while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(timeout_ms)) return resp;
  }
  std::string head = in_.substr(0, head_end);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.1 ", 0) != 0 || status_line.size() < 12) {
    last_error_ = "bad status line: " + status_line;
    return resp;
  }
  int status = std::atoi(status_line.substr(9, 3).c_str());
  resp.reason = status_line.size() > 13 ? status_line.substr(13) : "";
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      resp.headers[Lower(line.substr(0, colon))] = Trim(std::string_view(line).substr(colon + 1));
    }
    pos = e + 2;
  }
  size_t body_start = head_end + 4;
  if (head_request) {
    in_.erase(0, body_start);
  } else if (Lower(resp.Header("transfer-encoding")) == "chunked") {
    size_t p = body_start;
    while (true) {
      size_t e;
      while ((e = in_.find("\r\n", p)) == std::string::npos) {
        if (!Fill(timeout_ms)) return resp;
      }
      size_t len = std::stoul(in_.substr(p, e - p), nullptr, 16);
      while (in_.size() < e + 2 + len + 2) {
        if (!Fill(timeout_ms)) return resp;
      }
      resp.body += in_.substr(e + 2, len);
      p = e + 2 + len + 2;
      if (len == 0) break;
    }
    in_.erase(0, p);
  } else {
    size_t len =
        std::stoul(resp.Header("content-length").empty() ? "0" : resp.Header("content-length"));
    while (in_.size() < body_start + len) {
      if (!Fill(timeout_ms)) return resp;
    }
    resp.body = in_.substr(body_start, len);
    in_.erase(0, body_start + len);
  }
  resp.status = status;
  return resp;
}

bool HttpConn::WaitClosed(int timeout_ms) {
  in_.clear();
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n < 0) return false;
  }
}

}  // namespace cairn::testing
