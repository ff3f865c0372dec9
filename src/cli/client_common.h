#pragma once
// What the client subcommands share: the common options (--addr, --json, --timeout-ms), the
// connection, error reporting and argument helpers.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "cairn/client.h"
#include "cli/client_output.h"
#include "cli/commands.h"

namespace cairn::cli {

struct Common {
  std::string addr = std::string(client::kDefaultAddress);
  bool json = false;
  uint32_t timeout_ms = 30000;
};

inline void AddCommon(CLI::App* sub, Common* c) {
  sub->add_option("--addr", c->addr, "Server address host:port (RESP)")->capture_default_str();
  sub->add_flag("--json", c->json, "Print one JSON document (the HTTP API's shapes)");
  sub->add_option("--timeout-ms", c->timeout_ms, "Connect and I/O timeout")->capture_default_str();
}

// Connects, runs `call` on the client; prints the error and returns its exit code on failure.
template <typename F>
int WithClient(const Common& c, F call) {
  client::ConnectionOptions o;
  o.connect_timeout_ms = c.timeout_ms;
  o.io_timeout_ms = c.timeout_ms;
  auto cl = client::Client::Connect(c.addr, o);
  if (!cl.ok()) return ReportError(cl.status());
  return call(*cl);
}

template <typename T, typename P>
int PrintOr(const Result<T>& r, P print) {
  if (!r.ok()) return ReportError(r.status());
  print(*r);
  return kExitOk;
}

// "a,b,,c" -> {"a", "b", "c"}.
inline std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// `cairn watch` and `cairn group` (watch_commands.cc).
Command AddWatch(CLI::App* app);
Command AddGroup(CLI::App* app);

}  // namespace cairn::cli
