#pragma once
// Test helper: a minimal blocking HTTP/1.1 client over one keep-alive connection, precise
// enough to test framing (pipelining, chunked bodies, malformed requests). Owned by one
// thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::testing {

struct HttpResponse {
  int status = 0;  // 0 when no response could be read (see HttpConn::last_error)
  std::string reason;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpConn {
 public:
  explicit HttpConn(uint16_t port);
  ~HttpConn();
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Builds a request with Host and (for a body) Content-Length, sends it, reads the reply.
  HttpResponse Request(const std::string& method, const std::string& target,
                       const std::string& body = "",
                       const std::vector<std::string>& extra_headers = {});
  static std::string Build(const std::string& method, const std::string& target,
                           const std::string& body = "",
                           const std::vector<std::string>& extra_headers = {});
  bool SendRaw(std::string_view bytes);
  // Reads one response (Content-Length or chunked body). The response to a HEAD request has
  // no body whatever its headers say (RFC 9110 section 9.3.2): pass `head` for one.
  HttpResponse Read(int timeout_ms = 20000, bool head = false);
  // True when the server closes the connection within the timeout (after reading and
  // discarding whatever it still sends).
  bool WaitClosed(int timeout_ms = 10000);
  const std::string& last_error() const { return last_error_; }

 private:
  bool Fill(int timeout_ms);

  int fd_ = -1;
  std::string in_;
  std::string last_error_;
};

}  // namespace cairn::testing
