#pragma once
// Shared pieces of the watch and consumer group integration tests: RESP3 connections that set
// push frames aside while waiting for a reply, a /metrics sample reader, and the cursors an
// ESCAN/EREAD listing gives for a scope.

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "http_client.h"
#include "resp_client.h"

namespace cairn::testing {

// Connects and says HELLO 3; false (with a test failure) when either fails.
inline bool OpenResp3(RespClient* c, uint16_t port) {
  if (!c->Connect(port)) {
    ADD_FAILURE() << "connect to " << port << ": " << c->last_error();
    return false;
  }
  RespValue hello = c->Call({"HELLO", "3"});
  if (!hello.IsMap()) {
    ADD_FAILURE() << "HELLO 3 answered " << hello.Debug();
    return false;
  }
  return true;
}

// A client-side failure as an error value with code "CLIENT".
inline RespValue ClientError(const RespClient& c) {
  RespValue v;
  v.type = '-';
  v.str = "CLIENT " + c.last_error();
  return v;
}

// Sends a command and reads its reply; push frames read on the way go to `pushes` (when given).
// A client-side failure comes back as an error value with code "CLIENT".
inline RespValue ReplyOf(RespClient* c, const std::vector<std::string>& args,
                         std::vector<RespValue>* pushes = nullptr, int timeout_ms = 20000) {
  c->Send(args);
  if (!c->Flush()) return ClientError(*c);
  while (true) {
    std::optional<RespValue> v = c->Read(timeout_ms);
    if (!v) return ClientError(*c);
    if (v->type != '>') return *v;
    if (pushes != nullptr) pushes->push_back(std::move(*v));
  }
}

// The value of an unlabelled sample in the server's /metrics; -1 when absent.
inline double MetricValue(uint16_t http_port, const std::string& name) {
  HttpConn http(http_port);
  HttpResponse m = http.Request("GET", "/metrics");
  std::smatch match;
  if (!std::regex_search(m.body, match, std::regex("\n" + name + " ([-+0-9.eE]+)"))) return -1;
  return std::stod(match[1]);
}

// A push frame of a watch: kind "event" or "live", the subscription id, and for an event its
// map (for a live frame `cursor` is the frame's cursor).
struct Frame {
  std::string kind;
  int64_t sub = 0;
  int64_t cursor = 0;
  const RespValue* event = nullptr;
};

// Splits a push value into a Frame; false when it is not a watch frame.
inline bool AsFrame(const RespValue& v, bool stream_scope, Frame* f) {
  if (v.type != '>' || v.items.size() != 3 || !v.items[1].IsInt()) return false;
  f->kind = v.items[0].str;
  f->sub = v.items[1].integer;
  if (f->kind == "live") {
    if (!v.items[2].IsInt()) return false;
    f->cursor = v.items[2].integer;
    f->event = nullptr;
    return true;
  }
  if (f->kind != "event" || !v.items[2].IsMap()) return false;
  f->event = &v.items[2];
  const RespValue* c = v.items[2].Find(stream_scope ? "version" : "position");
  if (c == nullptr || !c->IsInt()) return false;
  f->cursor = c->integer;
  return true;
}

// One event of a listing: its cursor in the scope and its id.
struct Listed {
  int64_t cursor = 0;
  std::string id;
  bool operator==(const Listed&) const = default;
};

// Everything ESCAN (a position scope) or EREAD (a stream, filtered here by type) returns for
// a scope from its beginning, with the TYPES filter `types` (comma-separated, empty: all).
inline std::vector<Listed> ListScope(RespClient* c, const std::string& scope, bool stream_scope,
                                     const std::string& types) {
  std::vector<Listed> out;
  std::vector<std::string> wanted;
  for (size_t p = 0; !types.empty() && p <= types.size();) {
    size_t q = types.find(',', p);
    if (q == std::string::npos) q = types.size();
    wanted.push_back(types.substr(p, q - p));
    p = q + 1;
  }
  int64_t from = 1;
  while (true) {
    std::vector<std::string> args = {
        stream_scope ? "EREAD" : "ESCAN", scope, "FROM", std::to_string(from), "COUNT", "1000"};
    if (!stream_scope && !types.empty()) {
      args.push_back("TYPES");
      args.push_back(types);
    }
    RespValue r = ReplyOf(c, args);
    const RespValue* events = r.Find("events");
    if (events == nullptr) {
      ADD_FAILURE() << scope << ": " << r.Debug();
      return out;
    }
    if (events->items.empty()) break;
    for (const RespValue& e : events->items) {
      int64_t cursor = e.Find(stream_scope ? "version" : "position")->integer;
      from = cursor + 1;
      if (stream_scope && !wanted.empty() &&
          std::find(wanted.begin(), wanted.end(), e.Find("type")->str) == wanted.end()) {
        continue;
      }
      out.push_back({cursor, e.Find("id")->str});
    }
    if (!stream_scope) from = r.Find("next")->integer;
  }
  return out;
}

}  // namespace cairn::testing
