#pragma once
// "host:port" parsing shared by the client and the load generator.

#include <string>
#include <string_view>

#include "cairn/status.h"

namespace cairn::client {

inline constexpr std::string_view kDefaultPort = "7379";

struct HostPort {
  std::string host;
  std::string port;
};

// Accepts "host:port", "[v6addr]:port", "host" (default port 7379) and ":port" (127.0.0.1).
// The port must be a decimal in 1..65535. kInvalid otherwise.
Result<HostPort> SplitHostPort(std::string_view address);

}  // namespace cairn::client
