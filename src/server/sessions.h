#pragma once
// The protocol handlers: each takes the bytes at the front of a connection's input, and
// when they hold a whole request, runs it and queues its reply on the connection.

#include <cstddef>
#include <string_view>

namespace cairn::server {

class Connection;

struct StepResult {
  size_t consumed = 0;    // 0: the request is incomplete (or the connection is closing)
  size_t need_bytes = 0;  // with consumed == 0: bytes needed at least (0: unknown)
};

StepResult RespStep(Connection& c, std::string_view input);
StepResult HttpStep(Connection& c, std::string_view input);

}  // namespace cairn::server
