// HTTP/1.1 requests: framing, routing, and the endpoints of the contract.
#include <string>

#include "base/names.h"
#include "cairn/engine.h"
#include "protocol/http/http_parser.h"
#include "protocol/http/request_bodies.h"
#include "protocol/http/url.h"
#include "protocol/resp/command_parser.h"
#include "server/connection.h"
#include "server/http_replies.h"
#include "server/requests.h"
#include "server/schema_commands.h"
#include "server/server.h"
#include "server/sessions.h"
#include "server/watch.h"
#include "server/worker.h"

namespace cairn::server {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

struct Call {
  Connection& c;
  const http::Request& req;
  std::vector<std::string> path;  // decoded segments
  Query query;
  bool keep_alive;
  bool head = false;  // HEAD: headers only
};

const std::string* Param(const Query& q, std::string_view name) {
  for (const auto& [k, v] : q) {
    if (k == name) return &v;
  }
  return nullptr;
}

void Reply(Call& call, int status, std::string_view body,
           std::string_view type = "application/json") {
  HttpResponse(status, type, body, call.keep_alive, call.c.SyncReply(), {}, call.head);
}

// 405 with the methods the resource does take.
void NotAllowed(Call& call, std::string_view allow) {
  std::string response;
  HttpErrorCode(405, "ERR", "method not allowed here", call.keep_alive, &response);
  size_t end_of_head = response.find("\r\n\r\n");
  response.insert(end_of_head + 2, "Allow: " + std::string(allow) + "\r\n");
  if (call.head) response.resize(response.find("\r\n\r\n") + 4);
  call.c.SyncReply()->append(response);
}

void Fail(Call& call, int status, std::string_view code, std::string_view message) {
  HttpErrorCode(status, code, message, call.keep_alive, call.c.SyncReply());
}

bool UintParam(Call& call, std::string_view name, uint64_t* out) {
  const std::string* v = Param(call.query, name);
  if (v == nullptr) return true;
  if (!resp::ParseUint(*v, out)) {
    Fail(call, 400, "INVALID", std::string(name) + " must be a non-negative integer");
    return false;
  }
  return true;
}

// The Idempotency-Key header, when present, must be 1-128 bytes (the engine checks the top).
bool IdempotencyKey(Call& call, AppendRequest* req) {
  const http::Header* h = call.req.FindHeader("Idempotency-Key");
  if (h == nullptr) return true;
  if (h->value.empty()) {
    Fail(call, 400, "INVALID", "idempotency key must be 1-128 bytes");
    return false;
  }
  req->idempotency_key = std::string(h->value);
  return true;
}

ReplyStyle Style(const Call& call) {
  ReplyStyle s;
  s.http = true;
  s.keep_alive = call.keep_alive;
  return s;
}

// A read on the pool; `run` returns the engine result, `render` its JSON.
template <typename Run, typename Render>
void PoolRead(Call& call, Command cmd, Run run, Render render) {
  SubmitRead(call.c, cmd, Style(call), [run, render](AsyncReply* op) {
    auto r = run();
    op->error = !r.ok();
    if (r.ok()) {
      HttpResponse(200, "application/json", render(*r), op->style().keep_alive, &op->reply);
    } else {
      HttpError(r.status(), op->style().keep_alive, &op->reply);
    }
  });
}

void Stream(Call& call, const std::string& stream, std::string_view sub) {
  Engine& engine = call.c.worker()->server().engine();
  std::string_view method = call.req.method;
  if (sub.empty() && method == "POST") {
    AppendRequest req;
    Status st = http::DecodeAppendBody(call.req.body, stream, &req);
    if (!st.ok()) return HttpError(st, call.keep_alive, call.c.SyncReply());
    if (!IdempotencyKey(call, &req)) return;
    return SubmitAppend(call.c, Command::kAppend, Style(call), std::move(req));
  }
  if (sub.empty() && method == "GET") {
    ReadRequest r;
    r.stream = stream;
    uint64_t from = 0, count = r.count;
    if (!UintParam(call, "from", &from) || !UintParam(call, "count", &count)) return;
    if (Param(call.query, "from")) r.from = from;
    r.count = count > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(count);
    if (const std::string* t = Param(call.query, "types")) r.types = resp::SplitTypes(*t);
    const std::string* dir = Param(call.query, "direction");
    if (dir && *dir != "backward" && *dir != "forward") {
      return Fail(call, 400, "INVALID", "direction must be forward or backward");
    }
    r.backward = dir && *dir == "backward";
    const std::string* h = Param(call.query, "with_hash");
    bool with_hash = h && *h == "true";
    return PoolRead(
        call, Command::kRead, [&engine, r] { return engine.Read(r); },
        [with_hash](const ReadResult& x) { return JsonRead(x, with_hash); });
  }
  if (sub.empty() && method == "DELETE") {
    DeleteRequest d;
    d.stream = stream;
    const std::string* e = Param(call.query, "expected");
    auto x = e ? Expected::Parse(*e) : std::optional<Expected>(Expected::Any());
    if (!x) return Fail(call, 400, "INVALID", "expected must be a version, any, exists or none");
    d.expected = *x;
    const std::string* hard = Param(call.query, "hard");
    d.hard = hard && *hard == "true";
    return SubmitDelete(call.c, Style(call), std::move(d));
  }
  if (sub == "info" && method == "GET") {
    return PoolRead(
        call, Command::kInfo, [&engine, stream] { return engine.Info(stream); }, JsonInfo);
  }
  if (sub == "trim" && method == "POST") {
    TrimRequest t;
    t.stream = stream;
    Status st = http::DecodeTrimBody(call.req.body, &t.before_version);
    if (!st.ok()) return HttpError(st, call.keep_alive, call.c.SyncReply());
    return SubmitTrim(call.c, Style(call), std::move(t));
  }
  NotAllowed(call, sub.empty() ? "GET, POST, DELETE" : (sub == "info" ? "GET" : "POST"));
}

void Orgs(Call& call) {
  Engine& engine = call.c.worker()->server().engine();
  const auto& p = call.path;  // v1 orgs [org [types|streams]]
  if (call.req.method != "GET") return NotAllowed(call, "GET");
  if (p.size() == 2) {
    return PoolRead(
        call, Command::kOrgs, [&engine] { return engine.ListOrgs(); }, JsonStrings);
  }
  if (p.size() == 4 && p[3] == "types") {
    std::string org = p[2];
    return PoolRead(
        call, Command::kTypes, [&engine, org] { return engine.ListTypes(org); }, JsonStrings);
  }
  if (p.size() == 4 && p[3] == "streams") {
    ListStreamsRequest r;
    r.scope = p[2];
    if (const std::string* t = Param(call.query, "type")) r.scope += "/" + *t;
    if (const std::string* a = Param(call.query, "after")) r.after = *a;
    uint64_t count = r.count;
    if (!UintParam(call, "count", &count)) return;
    r.count = count > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(count);
    return PoolRead(
        call, Command::kStreams, [&engine, r] { return engine.ListStreams(r); }, JsonStreams);
  }
  Fail(call, 404, "ERR", "no such endpoint");
}

void Scan(Call& call) {
  Engine& engine = call.c.worker()->server().engine();
  ScanRequest r;
  const std::string* scope = Param(call.query, "scope");
  if (scope == nullptr) return Fail(call, 400, "INVALID", "scan needs scope=");
  r.scope = *scope;
  uint64_t count = r.count;
  if (!UintParam(call, "from", &r.from) || !UintParam(call, "count", &count)) return;
  r.count = count > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(count);
  if (const std::string* t = Param(call.query, "types")) r.types = resp::SplitTypes(*t);
  const std::string* h = Param(call.query, "with_hash");
  bool with_hash = h && *h == "true";
  PoolRead(
      call, Command::kScan, [&engine, r] { return engine.Scan(r); },
      [with_hash](const ScanResult& x) { return JsonScan(x, with_hash); });
}

void Verify(Call& call) {
  Engine& engine = call.c.worker()->server().engine();
  VerifyRequest r;
  uint64_t shard = 0;
  if (!Param(call.query, "shard")) return Fail(call, 400, "INVALID", "verify needs shard=");
  if (!UintParam(call, "shard", &shard) || !UintParam(call, "from", &r.from) ||
      !UintParam(call, "to", &r.to)) {
    return;
  }
  if (r.to < r.from) return Fail(call, 400, "INVALID", "to must not be below from");
  r.shard = shard > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(shard);
  uint64_t rate = call.c.worker()->server().config().verify_rate_bytes;
  PoolRead(
      call, Command::kVerify, [&engine, r, rate] { return engine.Verify(r, MakeVerifyPace(rate)); },
      JsonVerify);
}

// GET /v1/watch: a server-sent event stream for the rest of the connection.
void Watch(Call& call) {
  if (call.req.method != "GET") return NotAllowed(call, "GET");
  Server& s = call.c.worker()->server();
  const std::string* scope_param = Param(call.query, "scope");
  if (scope_param == nullptr) return Fail(call, 400, "INVALID", "watch needs scope=");
  auto scope = s.engine().ParseScope(*scope_param);
  if (!scope.ok()) return HttpError(scope.status(), call.keep_alive, call.c.SyncReply());
  WatchSpec spec;
  spec.sse = true;
  spec.scope = std::move(*scope);
  if (const std::string* t = Param(call.query, "types")) spec.types = resp::SplitTypes(*t);
  for (const std::string& t : spec.types) {
    Status st = ValidateEventType(t);
    if (!st.ok()) return HttpError(st, call.keep_alive, call.c.SyncReply());
  }
  const std::string* live = Param(call.query, "live");
  const std::string* group = Param(call.query, "group");
  const bool has_from = Param(call.query, "from") != nullptr;
  if ((live != nullptr) + (group != nullptr) + has_from > 1) {
    return Fail(call, 400, "INVALID", "from, live and group exclude each other");
  }
  if (!UintParam(call, "from", &spec.from)) return;
  if (live != nullptr) {
    if (*live != "true") return Fail(call, 400, "INVALID", "live must be true when given");
    spec.start = WatchSpec::Start::kLive;
  }
  if (group != nullptr) {
    Status st = ValidateGroupName(*group);
    if (!st.ok()) return HttpError(st, call.keep_alive, call.c.SyncReply());
    spec.start = WatchSpec::Start::kGroup;
    spec.group = *group;
  }
  // A reconnecting EventSource resumes after the last event it saw.
  if (const http::Header* h = call.req.FindHeader("Last-Event-ID")) {
    if (!resp::ParseUint(h->value, &spec.from)) {
      return Fail(call, 400, "INVALID", "Last-Event-ID must be a cursor (a number)");
    }
    spec.start = WatchSpec::Start::kFrom;
  }
  Watches& watches = s.watches();
  if (!watches.Admit()) {
    return HttpError(Status::Busy("too many watches on this node (max_watchers " +
                                  std::to_string(watches.limits().max_watchers) + ")"),
                     call.keep_alive, call.c.SyncReply());
  }
  auto w =
      std::make_shared<Watcher>(&call.c, call.c.worker(), call.c.NextWatchId(), std::move(spec));
  call.c.SyncReply()->append(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n");
  call.c.AddWatcher(w);
  call.c.BeginStreaming();
  watches.hub(w->spec.scope.shard).Add(std::move(w));
}

void HttpFormatGroup(const Result<GroupWriteResult>& r, const GroupCursor& request,
                     AsyncReply* out) {
  if (!r.ok()) return HttpError(r.status(), out->style().keep_alive, &out->reply);
  HttpResponse(200, "application/json", JsonGroup({request.group, request.scope, r->cursor}),
               out->style().keep_alive, &out->reply);
}

void HttpFormatGroupDelete(const Result<GroupWriteResult>& r, const GroupCursor&, AsyncReply* out) {
  if (!r.ok()) return HttpError(r.status(), out->style().keep_alive, &out->reply);
  HttpResponse(200, "application/json", r->existed ? "{\"deleted\":true}" : "{\"deleted\":false}",
               out->style().keep_alive, &out->reply);
}

// /v1/groups[/{group}[/commit]]
void Groups(Call& call) {
  Engine& engine = call.c.worker()->server().engine();
  const auto& p = call.path;
  const std::string* scope = Param(call.query, "scope");
  std::string_view method = call.req.method;
  if (p.size() == 2) {
    if (method != "GET") return NotAllowed(call, "GET");
    std::string sc = scope ? *scope : std::string();
    return PoolRead(
        call, Command::kGroup, [&engine, sc] { return engine.ListGroups(sc); }, JsonGroups);
  }
  if (p.size() == 4 && p[3] == "commit") {
    if (method != "POST") return NotAllowed(call, "POST");
    GroupCursor g;
    g.group = p[2];
    Status st = http::DecodeGroupCommitBody(call.req.body, &g.scope, &g.cursor);
    if (!st.ok()) return HttpError(st, call.keep_alive, call.c.SyncReply());
    return SubmitGroupWrite(call.c, Style(call), std::move(g), false, HttpFormatGroup);
  }
  if (p.size() != 3) return Fail(call, 404, "ERR", "no such endpoint");
  if (scope == nullptr) return Fail(call, 400, "INVALID", "this endpoint needs scope=");
  if (method == "DELETE") {
    return SubmitGroupWrite(call.c, Style(call), GroupCursor{p[2], *scope, 0}, true,
                            HttpFormatGroupDelete);
  }
  if (method != "GET") return NotAllowed(call, "GET, DELETE");
  GroupCursor g{p[2], *scope, 0};
  PoolRead(
      call, Command::kGroup,
      [&engine, g]() -> Result<GroupCursor> {
        CAIRN_ASSIGN_OR_RETURN(uint64_t c, engine.GroupOffset(g.group, g.scope));
        CAIRN_ASSIGN_OR_RETURN(WatchScope w, engine.ParseScope(g.scope));
        return GroupCursor{g.group, w.canonical, c};
      },
      JsonGroup);
}

void Operations(Call& call, std::string_view what) {
  Server& s = call.c.worker()->server();
  if (what == "metrics") {
    return Reply(call, 200, s.MetricsText(), "text/plain; version=0.0.4");
  }
  if (what == "health") return Reply(call, 200, "{\"status\":\"ok\"}\n");
  // ready: recovered and serving; the role is fixed until replication lands
  if (s.ready()) return Reply(call, 200, "{\"ready\":true,\"role\":\"leader\"}\n");
  Reply(call, 503, "{\"ready\":false,\"role\":\"leader\"}\n");
}

void Route(Call& call) {
  const auto& p = call.path;
  if (p.size() == 1 && (p[0] == "metrics" || p[0] == "health" || p[0] == "ready")) {
    if (call.req.method != "GET" && !call.head) {
      return NotAllowed(call, "GET, HEAD");
    }
    return Operations(call, p[0]);
  }
  if (call.head) return NotAllowed(call, "GET");  // HEAD is served on /health, /ready, /metrics
  if (p.size() < 2 || p[0] != "v1") return Fail(call, 404, "ERR", "no such endpoint");
  const std::string& what = p[1];
  if (what == "streams" && (p.size() == 5 || p.size() == 6)) {
    return Stream(call, p[2] + "/" + p[3] + "/" + p[4], p.size() == 6 ? p[5] : "");
  }
  if (what == "transactions" && p.size() == 2) {
    if (call.req.method != "POST") return NotAllowed(call, "POST");
    AppendRequest req;
    Status st = http::DecodeTransactionBody(call.req.body, &req);
    if (!st.ok()) return HttpError(st, call.keep_alive, call.c.SyncReply());
    if (!IdempotencyKey(call, &req)) return;
    ReplyStyle style = Style(call);
    style.transaction = true;
    return SubmitAppend(call.c, Command::kTxn, style, std::move(req));
  }
  if (what == "scan" && p.size() == 2 && call.req.method == "GET") return Scan(call);
  if (what == "orgs") return Orgs(call);
  if (what == "verify" && p.size() == 2 && call.req.method == "GET") return Verify(call);
  if (what == "watch" && p.size() == 2) return Watch(call);
  if (what == "groups") return Groups(call);
  if (what == "schemas") {
    return HttpSchemas(call.c, call.req, {p.begin() + 2, p.end()}, Style(call));
  }
  Fail(call, 404, "ERR", "no such endpoint");
}

bool DecodePath(std::string_view path, std::vector<std::string>* out) {
  for (std::string_view seg : http::SplitPath(path)) {
    if (seg.empty()) continue;
    auto d = http::PercentDecode(seg, false);
    if (!d) return false;
    out->push_back(std::move(*d));
  }
  return true;
}

}  // namespace

StepResult HttpStep(Connection& c, std::string_view input) {
  thread_local http::Request req;
  req.Clear();
  http::Limits limits;
  limits.max_body_bytes = c.worker()->config().max_request_bytes;
  size_t consumed = 0, need = 0;
  http::ParseError err;
  http::ParseStatus st = http::ParseRequest(input, limits, &req, &consumed, &need, &err);
  if (st == http::ParseStatus::kNeedMore) {
    if (req.expect_continue && !c.continue_sent) {
      c.SyncReply()->append("HTTP/1.1 100 Continue\r\n\r\n");
      c.continue_sent = true;
    }
    return StepResult{0, need};
  }
  c.continue_sent = false;
  if (st == http::ParseStatus::kError) {
    c.worker()->metrics().protocol_errors.fetch_add(1, std::memory_order_relaxed);
    HttpErrorCode(err.status, err.status == 413 ? "TOOLARGE" : "ERR", err.message, false,
                  c.SyncReply());
    c.CloseAfterReplies();
    return StepResult{input.size(), 0};
  }
  uint64_t start = NowMicros();
  Call call{c, req, {}, {}, req.keep_alive, req.method == "HEAD"};
  auto q = http::ParseQuery(req.query);
  size_t before = c.pending_replies();
  if (!DecodePath(req.path, &call.path) || !q) {
    Fail(call, 400, "ERR", "bad percent-encoding in the URL");
  } else {
    call.query = std::move(*q);
    Route(call);
  }
  if (c.pending_replies() == before) {  // answered on the spot
    c.worker()->metrics().Record(Command::kHttp, NowMicros() - start, false);
  }
  if (!call.keep_alive && !c.streaming()) c.CloseAfterReplies();
  return StepResult{consumed, 0};
}

void HttpFormatAppend(const Result<AppendResult>& r, AsyncReply* out) {
  if (r.ok()) {
    HttpResponse(201, "application/json", JsonAppend(*r, out->style().transaction),
                 out->style().keep_alive, &out->reply);
  } else {
    HttpError(r.status(), out->style().keep_alive, &out->reply);
  }
}

void HttpFormatState(const Result<StreamInfo>& r, AsyncReply* out) {
  if (r.ok()) {
    HttpResponse(200, "application/json", JsonInfo(*r), out->style().keep_alive, &out->reply);
  } else {
    HttpError(r.status(), out->style().keep_alive, &out->reply);
  }
}

}  // namespace cairn::server
