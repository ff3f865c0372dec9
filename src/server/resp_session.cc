// RESP requests: connection commands answered on the reactor, engine commands submitted.
#include <string>

#include "base/names.h"
#include "cairn/engine.h"
#include "protocol/resp/command_parser.h"
#include "protocol/resp/reply_format.h"
#include "protocol/resp/request_parser.h"
#include "server/connection.h"
#include "server/requests.h"
#include "server/schema_commands.h"
#include "server/server.h"
#include "server/sessions.h"
#include "server/watch.h"
#include "server/worker.h"

namespace cairn::server {
namespace {

using resp::Args;
using resp::EqualsNoCase;

ReplyStyle StyleOf(const Connection& c) {
  ReplyStyle s;
  s.resp_version = static_cast<uint8_t>(c.resp_version);
  return s;
}

void Error(Connection& c, std::string_view code, std::string_view message) {
  resp::ReplyWriter w(c.SyncReply(), c.resp_version);
  w.Error(code, message);
}

void Hello(Connection& c, const Args& args) {
  size_t i = 1;
  if (args.size() > 1) {
    uint64_t v = 0;
    if (!resp::ParseUint(args[1], &v) || v < 2 || v > 3) {
      Error(c, "NOPROTO", "unsupported protocol version");
      return;
    }
    c.resp_version = static_cast<int>(v);
    i = 2;
  }
  while (i < args.size()) {
    if (EqualsNoCase(args[i], "AUTH") && i + 2 < args.size()) {
      i += 3;  // accepted: authentication arrives with the security work
    } else if (EqualsNoCase(args[i], "SETNAME") && i + 1 < args.size()) {
      c.name = std::string(args[i + 1]);
      i += 2;
    } else {
      Error(c, "ERR", "syntax error in HELLO");
      return;
    }
  }
  resp::ReplyWriter w(c.SyncReply(), c.resp_version);
  w.Map(7);
  w.KeyBulk("server", "cairn");
  w.KeyBulk("version", CAIRN_VERSION);
  w.KeyInt("proto", c.resp_version);
  w.KeyInt("id", static_cast<int64_t>(c.id()));
  w.KeyBulk("mode", "standalone");
  w.KeyBulk("role", "master");
  w.Bulk("modules");
  w.Array(0);
}

void Client(Connection& c, const Args& args) {
  resp::ReplyWriter w(c.SyncReply(), c.resp_version);
  if (args.size() >= 3 && EqualsNoCase(args[1], "SETNAME")) {
    c.name = std::string(args[2]);
    w.Simple("OK");
  } else if (args.size() == 2 && EqualsNoCase(args[1], "GETNAME")) {
    if (c.name.empty()) {
      w.Null();
    } else {
      w.Bulk(c.name);
    }
  } else if (args.size() == 2 && EqualsNoCase(args[1], "ID")) {
    w.Int(static_cast<int64_t>(c.id()));
  } else if (args.size() >= 2 && EqualsNoCase(args[1], "SETINFO")) {
    w.Simple("OK");
  } else {
    w.Error("ERR", "unknown CLIENT subcommand; try SETNAME, GETNAME or ID");
  }
}

void Info(Connection& c, const Args& args) {
  Server& s = c.worker()->server();
  EngineStats st = s.engine().Stats();
  uint64_t events = 0;
  for (const auto& sh : st.shards) events += sh.next_position - 1;
  std::string text = "# Server\r\ncairn_version:" CAIRN_VERSION "\r\nredis_version:7.0.0\r\n";
  text += "tcp_port:" + std::to_string(s.resp_port()) + "\r\n";
  text += "http_port:" + std::to_string(s.http_port()) + "\r\n";
  text += "uptime_in_seconds:" + std::to_string((c.worker()->now_ms() - s.started_ms()) / 1000) +
          "\r\n";
  text += "\r\n# Keyspace\r\nshards:" + std::to_string(st.shards.size()) + "\r\n";
  text += "shard_key:" + std::string(ShardKeyName(s.engine().shard_key())) + "\r\n";
  text += "events:" + std::to_string(events) + "\r\n";
  text += "data_dir:" + s.engine().data_dir() + "\r\n";
  text += "\r\n# Memory\r\nused_memory_rss:" + std::to_string(ResidentBytes()) + "\r\n";
  text += "memory_budget:" + std::to_string(st.memory_budget_bytes) + "\r\n";
  resp::ReplyWriter w(c.SyncReply(), c.resp_version);
  w.Verbatim(text);
}

// Commands redis-cli and redis-benchmark send on their own; answered so they work.
void ClientToolCommands(Connection& c, const Args& args) {
  resp::ReplyWriter w(c.SyncReply(), c.resp_version);
  if (EqualsNoCase(args[0], "COMMAND")) {
    if (args.size() >= 2 && EqualsNoCase(args[1], "COUNT")) {
      w.Int(0);
    } else if (args.size() >= 2 && EqualsNoCase(args[1], "DOCS")) {
      w.Map(0);
    } else {
      w.Array(0);
    }
  } else if (EqualsNoCase(args[0], "CONFIG")) {
    // No Redis settings: CONFIG GET answers each asked name with an empty value, which is
    // what redis-benchmark needs to start quietly.
    size_t n = args.size() >= 3 && EqualsNoCase(args[1], "GET") ? args.size() - 2 : 0;
    w.Map(n);
    for (size_t i = 0; i < n; ++i) w.KeyBulk(args[i + 2], "");
  } else {
    w.Simple("OK");  // SELECT 0
  }
}

template <typename Request, typename Parser>
bool ParseOrReply(Connection& c, const Args& args, Parser parse, Request* out) {
  resp::CommandError e;
  if (parse(args, out, &e)) return true;
  Error(c, e.code, e.message);
  return false;
}

void WriteError(Connection& c, const Status& st) {
  resp::ReplyWriter w(c.SyncReply(), c.resp_version);
  resp::WriteStatus(w, st);
}

// EWATCH: answered here with the subscription id; the scope's hub then sends its frames.
bool Watch(Connection& c, const Args& args) {
  if (c.resp_version < 3) {
    Error(c, "ERR", "EWATCH requires RESP3: send HELLO 3 first");
    return false;
  }
  resp::WatchOptions o;
  if (!ParseOrReply(c, args, resp::ParseWatch, &o)) return false;
  Server& s = c.worker()->server();
  auto scope = s.engine().ParseScope(o.scope);
  Status st = scope.ok() ? Status::Ok() : scope.status();
  for (const std::string& t : o.types) {
    if (st.ok()) st = ValidateEventType(t);
  }
  if (st.ok() && o.start == resp::WatchOptions::Start::kGroup) st = ValidateGroupName(o.group);
  if (!st.ok()) {
    WriteError(c, st);
    return false;
  }
  Watches& watches = s.watches();
  if (c.watcher_count() >= watches.limits().max_per_connection) {
    WriteError(c, Status::Busy("too many watches on this connection (max_watchers_per_connection " +
                               std::to_string(watches.limits().max_per_connection) + ")"));
    return false;
  }
  if (!watches.Admit()) {
    WriteError(c, Status::Busy("too many watches on this node (max_watchers " +
                               std::to_string(watches.limits().max_watchers) + ")"));
    return false;
  }
  WatchSpec spec;
  spec.scope = std::move(*scope);
  spec.types = std::move(o.types);
  spec.start = o.start == resp::WatchOptions::Start::kLive    ? WatchSpec::Start::kLive
               : o.start == resp::WatchOptions::Start::kGroup ? WatchSpec::Start::kGroup
                                                              : WatchSpec::Start::kFrom;
  spec.from = o.from;
  spec.group = std::move(o.group);
  auto w = std::make_shared<Watcher>(&c, c.worker(), c.NextWatchId(), std::move(spec));
  resp::ReplyWriter(c.SyncReply(), c.resp_version).Int(static_cast<int64_t>(w->id));
  c.AddWatcher(w);
  watches.hub(w->spec.scope.shard).Add(std::move(w));
  return true;
}

bool Unwatch(Connection& c, const Args& args) {
  uint64_t id = 0;
  if (args.size() != 2) {
    Error(c, "ERR", "wrong number of arguments for 'EUNWATCH' command");
    return false;
  }
  if (!resp::ParseUint(args[1], &id) || !c.RemoveWatcher(id)) {
    Error(c, "INVALID", "no watch " + std::string(args[1].substr(0, 32)) + " on this connection");
    return false;
  }
  resp::ReplyWriter(c.SyncReply(), c.resp_version).Simple("OK");
  return true;
}

void FormatGroupWrite(const Result<GroupWriteResult>& r, const GroupCursor&, AsyncReply* out) {
  resp::ReplyWriter w(&out->reply, out->style().resp_version);
  if (!r.ok()) {
    resp::WriteStatus(w, r.status());
  } else {
    w.Int(static_cast<int64_t>(r->cursor));
  }
}

void FormatGroupDelete(const Result<GroupWriteResult>& r, const GroupCursor&, AsyncReply* out) {
  resp::ReplyWriter w(&out->reply, out->style().resp_version);
  if (!r.ok()) {
    resp::WriteStatus(w, r.status());
  } else {
    w.Int(r->existed ? 1 : 0);
  }
}

// EKEY ROTATE <org> -> {org, key_id}; EKEY SHRED <stream | org> -> {scope, keys_destroyed}.
// On the read pool: each rewrites and syncs the key store file before it answers.
void Key(Connection& c, const Args& args, ReplyStyle style) {
  const bool rotate = args.size() == 3 && EqualsNoCase(args[1], "ROTATE");
  const bool shred = args.size() == 3 && EqualsNoCase(args[1], "SHRED");
  if (!rotate && !shred) {
    return Error(c, "ERR", "syntax: EKEY ROTATE <org> | EKEY SHRED <stream | org>");
  }
  Server& s = c.worker()->server();
  SubmitRead(c, Command::kOther, style,
             [&s, rotate, target = std::string(args[2])](AsyncReply* op) {
               resp::ReplyWriter w(&op->reply, op->style().resp_version);
               auto r = rotate ? s.engine().RotateKey(target) : s.engine().ShredKeys(target);
               op->error = !r.ok();
               if (!r.ok()) return resp::WriteStatus(w, r.status());
               w.Map(2);
               w.KeyBulk(rotate ? "org" : "scope", target);
               w.KeyInt(rotate ? "key_id" : "keys_destroyed", static_cast<int64_t>(*r));
             });
}

void Group(Connection& c, const Args& args, ReplyStyle style) {
  resp::GroupCommand g;
  if (!ParseOrReply(c, args, resp::ParseGroup, &g)) return;
  Server& s = c.worker()->server();
  switch (g.op) {
    case resp::GroupCommand::Op::kCommit:
      SubmitGroupWrite(c, style, GroupCursor{g.group, g.scope, g.cursor}, false, FormatGroupWrite);
      return;
    case resp::GroupCommand::Op::kDelete:
      SubmitGroupWrite(c, style, GroupCursor{g.group, g.scope, 0}, true, FormatGroupDelete);
      return;
    case resp::GroupCommand::Op::kOffset:
      SubmitRead(c, Command::kGroup, style, [&s, g](AsyncReply* op) {
        resp::ReplyWriter w(&op->reply, op->style().resp_version);
        auto r = s.engine().GroupOffset(g.group, g.scope);
        op->error = !r.ok();
        r.ok() ? w.Int(static_cast<int64_t>(*r)) : resp::WriteStatus(w, r.status());
      });
      return;
    case resp::GroupCommand::Op::kList:
      SubmitRead(c, Command::kGroup, style, [&s, scope = g.scope](AsyncReply* op) {
        resp::ReplyWriter w(&op->reply, op->style().resp_version);
        auto r = s.engine().ListGroups(scope);
        op->error = !r.ok();
        if (!r.ok()) return resp::WriteStatus(w, r.status());
        w.Array(r->size());
        for (const GroupCursor& gc : *r) {
          w.Map(3);
          w.KeyBulk("group", gc.group);
          w.KeyBulk("scope", gc.scope);
          w.KeyInt("cursor", static_cast<int64_t>(gc.cursor));
        }
      });
      return;
  }
}

void Engine(Connection& c, std::string_view name, const Args& args) {
  Server& s = c.worker()->server();
  ReplyStyle style = StyleOf(c);
  if (EqualsNoCase(name, "EAPPEND") || EqualsNoCase(name, "ETXN")) {
    bool txn = EqualsNoCase(name, "ETXN");
    AppendRequest req;
    if (!ParseOrReply(c, args, txn ? resp::ParseTransaction : resp::ParseAppend, &req)) return;
    style.transaction = txn;
    SubmitAppend(c, txn ? Command::kTxn : Command::kAppend, style, std::move(req));
  } else if (EqualsNoCase(name, "EDELETE")) {
    DeleteRequest req;
    if (ParseOrReply(c, args, resp::ParseDelete, &req)) SubmitDelete(c, style, std::move(req));
  } else if (EqualsNoCase(name, "ETRIM")) {
    TrimRequest req;
    if (ParseOrReply(c, args, resp::ParseTrim, &req)) SubmitTrim(c, style, std::move(req));
  } else if (EqualsNoCase(name, "EREAD")) {
    resp::ReadOptions o;
    if (!ParseOrReply(c, args, resp::ParseRead, &o)) return;
    SubmitRead(c, Command::kRead, style, [&s, o = std::move(o)](AsyncReply* op) {
      resp::ReplyWriter w(&op->reply, op->style().resp_version);
      auto r = s.engine().Read(o.request);
      op->error = !r.ok();
      r.ok() ? resp::WriteRead(w, *r, o.with_hash) : resp::WriteStatus(w, r.status());
    });
  } else if (EqualsNoCase(name, "ESCAN")) {
    resp::ScanOptions o;
    if (!ParseOrReply(c, args, resp::ParseScan, &o)) return;
    SubmitRead(c, Command::kScan, style, [&s, o = std::move(o)](AsyncReply* op) {
      resp::ReplyWriter w(&op->reply, op->style().resp_version);
      auto r = s.engine().Scan(o.request);
      op->error = !r.ok();
      r.ok() ? resp::WriteScan(w, *r, o.with_hash) : resp::WriteStatus(w, r.status());
    });
  } else if (EqualsNoCase(name, "EINFO")) {
    if (args.size() != 2) return Error(c, "ERR", "wrong number of arguments for 'EINFO' command");
    SubmitRead(c, Command::kInfo, style, [&s, stream = std::string(args[1])](AsyncReply* op) {
      resp::ReplyWriter w(&op->reply, op->style().resp_version);
      auto r = s.engine().Info(stream);
      op->error = !r.ok();
      r.ok() ? resp::WriteInfo(w, *r) : resp::WriteStatus(w, r.status());
    });
  } else if (EqualsNoCase(name, "ESTREAMS")) {
    ListStreamsRequest req;
    if (!ParseOrReply(c, args, resp::ParseListStreams, &req)) return;
    SubmitRead(c, Command::kStreams, style, [&s, req = std::move(req)](AsyncReply* op) {
      resp::ReplyWriter w(&op->reply, op->style().resp_version);
      auto r = s.engine().ListStreams(req);
      op->error = !r.ok();
      r.ok() ? resp::WriteStreams(w, *r) : resp::WriteStatus(w, r.status());
    });
  } else if (EqualsNoCase(name, "ETYPES")) {
    if (args.size() != 2) return Error(c, "ERR", "wrong number of arguments for 'ETYPES' command");
    SubmitRead(c, Command::kTypes, style, [&s, org = std::string(args[1])](AsyncReply* op) {
      resp::ReplyWriter w(&op->reply, op->style().resp_version);
      auto r = s.engine().ListTypes(org);
      op->error = !r.ok();
      r.ok() ? resp::WriteStrings(w, *r) : resp::WriteStatus(w, r.status());
    });
  } else if (EqualsNoCase(name, "EORGS")) {
    if (args.size() != 1) return Error(c, "ERR", "wrong number of arguments for 'EORGS' command");
    SubmitRead(c, Command::kOrgs, style, [&s](AsyncReply* op) {
      resp::ReplyWriter w(&op->reply, op->style().resp_version);
      auto r = s.engine().ListOrgs();
      op->error = !r.ok();
      r.ok() ? resp::WriteStrings(w, *r) : resp::WriteStatus(w, r.status());
    });
  } else if (EqualsNoCase(name, "EVERIFY")) {
    VerifyRequest req;
    if (!ParseOrReply(c, args, resp::ParseVerify, &req)) return;
    SubmitRead(c, Command::kVerify, style, [&s, req](AsyncReply* op) {
      resp::ReplyWriter w(&op->reply, op->style().resp_version);
      auto r = s.engine().Verify(req, MakeVerifyPace(s.config().verify_rate_bytes));
      op->error = !r.ok();
      r.ok() ? resp::WriteVerify(w, *r) : resp::WriteStatus(w, r.status());
    });
  } else if (EqualsNoCase(name, "EGROUP")) {
    Group(c, args, style);
  } else if (EqualsNoCase(name, "ESCHEMA")) {
    RespSchema(c, args, style);
  } else if (EqualsNoCase(name, "EKEY")) {
    Key(c, args, style);
  } else {
    Error(c, "ERR", "unknown command '" + std::string(name.substr(0, 64)) + "'");
  }
}

void Dispatch(Connection& c, const Args& args) {
  std::string_view name = args[0];
  uint64_t start = NowMicros();
  Command counted = Command::kConnection;
  bool error = false;
  if (EqualsNoCase(name, "PING")) {
    counted = Command::kPing;
    resp::ReplyWriter w(c.SyncReply(), c.resp_version);
    if (args.size() > 2) {
      w.Error("ERR", "wrong number of arguments for 'ping' command");
      error = true;
    } else if (args.size() == 2) {
      w.Bulk(args[1]);
    } else {
      w.Simple("PONG");
    }
  } else if (EqualsNoCase(name, "HELLO")) {
    counted = Command::kHello;
    Hello(c, args);
  } else if (EqualsNoCase(name, "ECHO")) {
    resp::ReplyWriter w(c.SyncReply(), c.resp_version);
    if (args.size() != 2) {
      w.Error("ERR", "wrong number of arguments for 'echo' command");
    } else {
      w.Bulk(args[1]);
    }
  } else if (EqualsNoCase(name, "AUTH")) {
    resp::ReplyWriter(c.SyncReply(), c.resp_version).Simple("OK");
  } else if (EqualsNoCase(name, "CLIENT")) {
    Client(c, args);
  } else if (EqualsNoCase(name, "INFO")) {
    Info(c, args);
  } else if (EqualsNoCase(name, "COMMAND") || EqualsNoCase(name, "CONFIG") ||
             EqualsNoCase(name, "SELECT")) {
    ClientToolCommands(c, args);
  } else if (EqualsNoCase(name, "QUIT")) {
    resp::ReplyWriter(c.SyncReply(), c.resp_version).Simple("OK");
    c.CloseAfterReplies();
  } else if (EqualsNoCase(name, "RESET")) {
    c.resp_version = 2;
    c.name.clear();
    resp::ReplyWriter(c.SyncReply(), c.resp_version).Simple("RESET");
  } else if (EqualsNoCase(name, "EWATCH")) {
    counted = Command::kWatch;
    error = !Watch(c, args);
  } else if (EqualsNoCase(name, "EUNWATCH")) {
    counted = Command::kWatch;
    error = !Unwatch(c, args);
  } else {
    Engine(c, name, args);
    return;  // engine commands record their own metrics when they complete
  }
  c.worker()->metrics().Record(counted, NowMicros() - start, error);
}

}  // namespace

StepResult RespStep(Connection& c, std::string_view input) {
  thread_local std::vector<std::string_view> args;
  resp::ParserLimits limits;
  const ServerConfig& cfg = c.worker()->config();
  limits.max_request_bytes = cfg.max_request_bytes + (1u << 20);  // room for framing and names
  limits.max_bulk_bytes = limits.max_request_bytes;
  resp::ParseOutcome o = resp::ParseRequest(input, limits, &args);
  if (o.status == resp::ParseStatus::kNeedMore) return StepResult{0, o.need_bytes};
  if (o.status == resp::ParseStatus::kError) {
    // The stream of frames cannot be resynchronised: answer, then close.
    c.worker()->metrics().protocol_errors.fetch_add(1, std::memory_order_relaxed);
    Error(c, o.too_large ? "TOOLARGE" : "ERR", o.error);
    c.CloseAfterReplies();
    return StepResult{input.size(), 0};
  }
  if (!args.empty()) Dispatch(c, args);
  return StepResult{o.consumed, 0};
}

}  // namespace cairn::server
