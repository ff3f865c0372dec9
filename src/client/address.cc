#include "client/address.h"

#include <charconv>

namespace cairn::client {

Result<HostPort> SplitHostPort(std::string_view address) {
  auto bad = [&](const char* why) {
    return Status::Invalid("address '" + std::string(address) + "': " + why);
  };
  HostPort hp;
  std::string_view rest;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    hp.host = std::string(address.substr(1, close - 1));
    rest = address.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return bad("expected ':' after ']'");
  } else {
    size_t colon = address.rfind(':');
    if (colon != std::string_view::npos && address.find(':') != colon) {
      return bad("an IPv6 address needs brackets: [addr]:port");
    }
    hp.host = std::string(address.substr(0, colon));
    if (colon != std::string_view::npos) rest = address.substr(colon);
  }
  if (hp.host.empty()) hp.host = "127.0.0.1";
  if (rest.empty()) {
    hp.port = std::string(kDefaultPort);
    return hp;
  }
  std::string_view port = rest.substr(1);
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return bad("port must be 1..65535");
  }
  hp.port = std::string(port);
  return hp;
}

}  // namespace cairn::client
