#include "resp_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "server_process.h"

namespace cairn::testing {
namespace {

constexpr int kMaxDepth = 64;

// Reads "<text>\r\n" at in[*pos].
ParseResult Line(std::string_view in, size_t* pos, std::string_view* line) {
  size_t cr = in.find("\r\n", *pos);
  if (cr == std::string_view::npos) return ParseResult::kNeedMore;
  *line = in.substr(*pos, cr - *pos);
  *pos = cr + 2;
  return ParseResult::kOk;
}

bool ToInt(std::string_view s, int64_t* v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

ParseResult Parse(std::string_view in, size_t* pos, RespValue* out, int depth) {
  if (depth > kMaxDepth) return ParseResult::kBad;
  if (*pos >= in.size()) return ParseResult::kNeedMore;
  out->type = in[(*pos)++];
  std::string_view line;
  ParseResult r = Line(in, pos, &line);
  if (r != ParseResult::kOk) return r;
  int64_t n = 0;
  switch (out->type) {
    case '+':
    case '-':
    case ',':
    case '(':
      out->str = std::string(line);
      return ParseResult::kOk;
    case ':':
      return ToInt(line, &out->integer) ? ParseResult::kOk : ParseResult::kBad;
    case '_':
      out->null = true;
      return line.empty() ? ParseResult::kOk : ParseResult::kBad;
    case '#':
      if (line != "t" && line != "f") return ParseResult::kBad;
      out->boolean = line == "t";
      return ParseResult::kOk;
    case '$':
    case '!':
    case '=': {
      if (!ToInt(line, &n) || n < -1) return ParseResult::kBad;
      if (n == -1) {
        out->null = out->type == '$';
        return out->null ? ParseResult::kOk : ParseResult::kBad;
      }
      size_t len = static_cast<size_t>(n);
      if (in.size() < *pos + len + 2) return ParseResult::kNeedMore;
      if (in.substr(*pos + len, 2) != "\r\n") return ParseResult::kBad;
      out->str = std::string(in.substr(*pos, len));
      *pos += len + 2;
      if (out->type == '=') {
        if (out->str.size() < 4 || out->str[3] != ':') return ParseResult::kBad;
        out->str.erase(0, 4);
      }
      return ParseResult::kOk;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      if (!ToInt(line, &n) || n < -1) return ParseResult::kBad;
      if (n == -1) {
        out->null = out->type == '*';
        return out->null ? ParseResult::kOk : ParseResult::kBad;
      }
      size_t count = static_cast<size_t>(n) * ((out->type == '%' || out->type == '|') ? 2 : 1);
      out->items.resize(count);
      for (size_t i = 0; i < count; ++i) {
        r = Parse(in, pos, &out->items[i], depth + 1);
        if (r != ParseResult::kOk) return r;
      }
      return ParseResult::kOk;
    }
    default:
      return ParseResult::kBad;
  }
}

void Render(const RespValue& v, std::string* out) {
  switch (v.type) {
    case '+':
    case '$':
    case '=':
      if (v.null) {
        *out += "(nil$)";
      } else {
        *out += "\"" + v.str.substr(0, 200) + (v.str.size() > 200 ? "...\"" : "\"");
      }
      return;
    case '-':
    case '!':
      *out += "(error " + v.str + ")";
      return;
    case ':':
      *out += std::to_string(v.integer);
      return;
    case '#':
      *out += v.boolean ? "#t" : "#f";
      return;
    case '_':
      *out += "(null)";
      return;
    default:
      break;
  }
  if (v.null) {
    *out += "(nil*)";
    return;
  }
  bool map = v.type == '%' || v.type == '|';
  *out += map ? "{" : (v.type == '*' ? "[" : std::string(1, v.type) + "[");
  for (size_t i = 0; i < v.items.size(); ++i) {
    if (i > 0) *out += map && i % 2 == 1 ? ": " : ", ";
    Render(v.items[i], out);
  }
  *out += map ? "}" : "]";
}

}  // namespace

std::string RespValue::ErrorCode() const {
  if (!IsError()) return "";
  return str.substr(0, str.find(' '));
}

const RespValue* RespValue::Find(std::string_view key) const {
  if (type != '%' && !(type == '*' && !null)) return nullptr;
  if (items.size() % 2 != 0) return nullptr;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].IsBulk() && items[i].str == key) return &items[i + 1];
  }
  return nullptr;
}

std::vector<std::string> RespValue::Keys() const {
  std::vector<std::string> keys;
  for (size_t i = 0; i + 1 < items.size(); i += 2) keys.push_back(items[i].str);
  return keys;
}

std::string RespValue::Debug() const {
  std::string s;
  Render(*this, &s);
  return s;
}

ParseResult ParseResp(std::string_view in, size_t* consumed, RespValue* out) {
  size_t pos = 0;
  *out = RespValue();
  ParseResult r = Parse(in, &pos, out, 0);
  if (r == ParseResult::kOk) *consumed = pos;
  return r;
}

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) {
    s += "$" + std::to_string(a.size()) + "\r\n";
    s += a;
    s += "\r\n";
  }
  return s;
}

RespClient::~RespClient() { Close(); }

RespClient::RespClient(RespClient&& o) noexcept
    : fd_(o.fd_), out_(std::move(o.out_)), in_(std::move(o.in_)) {
  o.fd_ = -1;
}

RespClient& RespClient::operator=(RespClient&& o) noexcept {
  if (this != &o) {
    Close();
    fd_ = o.fd_;
    out_ = std::move(o.out_);
    in_ = std::move(o.in_);
    o.fd_ = -1;
  }
  return *this;
}

bool RespClient::Connect(uint16_t port) {
  Close();
  fd_ = ConnectLoopback(port);
  if (fd_ < 0) last_error_ = std::string("connect: ") + strerror(errno);
  return fd_ >= 0;
}

void RespClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  out_.clear();
  in_.clear();
}

void RespClient::Send(const std::vector<std::string>& args) { out_ += EncodeCommand(args); }

void RespClient::SendRaw(std::string_view bytes) { out_.append(bytes); }

bool RespClient::Flush() {
  size_t off = 0;
  while (off < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + off, out_.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      last_error_ = std::string("send: ") + strerror(errno);
      out_.erase(0, off);
      return false;
    }
    off += static_cast<size_t>(n);
  }
  out_.clear();
  return true;
}

bool RespClient::Fill(int timeout_ms) { return ReceiveSome(fd_, timeout_ms, &in_, &last_error_); }

std::optional<RespValue> RespClient::Read(int timeout_ms) {
  if (fd_ < 0) {
    last_error_ = "not connected";
    return std::nullopt;
  }
  while (true) {
    RespValue v;
    size_t used = 0;
    ParseResult r = in_.empty() ? ParseResult::kNeedMore : ParseResp(in_, &used, &v);
    if (r == ParseResult::kOk) {
      in_.erase(0, used);
      return v;
    }
    if (r == ParseResult::kBad) {
      last_error_ = "unparsable reply: " + in_.substr(0, 200);
      return std::nullopt;
    }
    if (!Fill(timeout_ms)) return std::nullopt;
  }
}

RespValue RespClient::Call(const std::vector<std::string>& args, int timeout_ms) {
  Send(args);
  std::optional<RespValue> v;
  if (Flush()) v = Read(timeout_ms);
  if (v) return *v;
  RespValue e;
  e.type = '-';
  e.str = "CLIENT " + last_error_;
  return e;
}

bool RespClient::WaitClosed(int timeout_ms) {
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
