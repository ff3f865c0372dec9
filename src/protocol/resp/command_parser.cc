#include "protocol/resp/command_parser.h"

#include <charconv>

namespace cairn::resp {
namespace {

bool Fail(CommandError* e, const char* code, std::string message) {
  e->code = code;
  e->message = std::move(message);
  return false;
}

bool WrongArgs(const Args& args, CommandError* e) {
  return Fail(
      e, "ERR",
      "wrong number of arguments for '" + std::string(args.empty() ? "" : args[0]) + "' command");
}

bool Syntax(CommandError* e, std::string_view near) {
  return Fail(e, "ERR", "syntax error near '" + std::string(near.substr(0, 64)) + "'");
}

bool ParseExpected(std::string_view s, Expected* out, CommandError* e) {
  auto x = Expected::Parse(s);
  if (!x) {
    return Fail(e, "INVALID",
                "expected version must be ANY, EXISTS, NONE or a version number, got '" +
                    std::string(s.substr(0, 64)) + "'");
  }
  *out = *x;
  return true;
}

bool ParseNumberArg(std::string_view name, std::string_view s, uint64_t* out, CommandError* e) {
  if (!ParseUint(s, out)) {
    return Fail(e, "INVALID",
                std::string(name) + " must be a non-negative integer, got '" +
                    std::string(s.substr(0, 64)) + "'");
  }
  return true;
}

bool ParseCount(std::string_view s, uint32_t* out, CommandError* e) {
  uint64_t v = 0;
  if (!ParseNumberArg("COUNT", s, &v, e)) return false;
  *out = v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v);
  return true;
}

// EVENT <type> <data> [ID <uuid>] [META <bytes>], starting at args[*i] == EVENT.
bool ParseEvent(const Args& args, size_t* i, std::vector<ProposedEvent>* events, CommandError* e) {
  if (*i + 2 >= args.size()) return Syntax(e, args[*i]);
  ProposedEvent ev;
  ev.type = std::string(args[*i + 1]);
  ev.data = std::string(args[*i + 2]);
  *i += 3;
  while (*i < args.size()) {
    std::string_view k = args[*i];
    if (EqualsNoCase(k, "ID") && *i + 1 < args.size()) {
      auto id = Uuid::Parse(args[*i + 1]);
      if (!id) {
        return Fail(
            e, "INVALID",
            "event id must be a UUID, got '" + std::string(args[*i + 1].substr(0, 64)) + "'");
      }
      ev.id = *id;
      *i += 2;
    } else if (EqualsNoCase(k, "META") && *i + 1 < args.size()) {
      ev.metadata = std::string(args[*i + 1]);
      *i += 2;
    } else {
      break;
    }
  }
  events->push_back(std::move(ev));
  return true;
}

bool ParseIdempotency(const Args& args, size_t* i, AppendRequest* out, CommandError* e) {
  if (*i + 1 >= args.size()) return Syntax(e, args[*i]);
  if (args[*i + 1].empty()) return Fail(e, "INVALID", "idempotency key must be 1-128 bytes");
  out->idempotency_key = std::string(args[*i + 1]);
  *i += 2;
  return true;
}

}  // namespace

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

bool ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::vector<std::string> SplitTypes(std::string_view list) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p <= list.size()) {
    size_t c = list.find(',', p);
    if (c == std::string_view::npos) c = list.size();
    if (c > p) out.emplace_back(list.substr(p, c - p));
    p = c + 1;
  }
  return out;
}

bool ParseAppend(const Args& args, AppendRequest* out, CommandError* e) {
  if (args.size() < 3) return WrongArgs(args, e);
  AppendClause clause;
  clause.stream = std::string(args[1]);
  if (!ParseExpected(args[2], &clause.expected, e)) return false;
  size_t i = 3;
  if (i < args.size() && EqualsNoCase(args[i], "IDEMPOTENCY")) {
    if (!ParseIdempotency(args, &i, out, e)) return false;
  }
  // Every event takes at least three arguments: room for all of them, grown once.
  clause.events.reserve((args.size() - i) / 3);
  while (i < args.size()) {
    if (!EqualsNoCase(args[i], "EVENT")) return Syntax(e, args[i]);
    if (!ParseEvent(args, &i, &clause.events, e)) return false;
  }
  if (clause.events.empty()) {
    return Fail(e, "ERR", "EAPPEND needs at least one EVENT <type> <data>");
  }
  out->transaction = false;
  out->clauses.push_back(std::move(clause));
  return true;
}

bool ParseTransaction(const Args& args, AppendRequest* out, CommandError* e) {
  if (args.size() < 2) return WrongArgs(args, e);
  out->transaction = true;
  size_t i = 1;
  if (EqualsNoCase(args[i], "IDEMPOTENCY")) {
    if (!ParseIdempotency(args, &i, out, e)) return false;
  }
  while (i < args.size()) {
    if (!EqualsNoCase(args[i], "STREAM") || i + 2 >= args.size()) return Syntax(e, args[i]);
    AppendClause clause;
    clause.stream = std::string(args[i + 1]);
    if (!ParseExpected(args[i + 2], &clause.expected, e)) return false;
    i += 3;
    while (i < args.size() && EqualsNoCase(args[i], "EVENT")) {
      if (!ParseEvent(args, &i, &clause.events, e)) return false;
    }
    out->clauses.push_back(std::move(clause));
  }
  if (out->clauses.empty()) return Fail(e, "ERR", "ETXN needs at least one STREAM clause");
  return true;
}

bool ParseRead(const Args& args, ReadOptions* out, CommandError* e) {
  if (args.size() < 2) return WrongArgs(args, e);
  out->request.stream = std::string(args[1]);
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view k = args[i];
    bool has_value = i + 1 < args.size();
    if (EqualsNoCase(k, "FROM") && has_value) {
      uint64_t v = 0;
      if (!ParseNumberArg("FROM", args[++i], &v, e)) return false;
      out->request.from = v;
    } else if (EqualsNoCase(k, "COUNT") && has_value) {
      if (!ParseCount(args[++i], &out->request.count, e)) return false;
    } else if (EqualsNoCase(k, "TYPES") && has_value) {
      out->request.types = SplitTypes(args[++i]);
    } else if (EqualsNoCase(k, "BACKWARD")) {
      out->request.backward = true;
    } else if (EqualsNoCase(k, "WITHHASH")) {
      out->with_hash = true;
    } else {
      return Syntax(e, k);
    }
  }
  return true;
}

bool ParseScan(const Args& args, ScanOptions* out, CommandError* e) {
  if (args.size() < 2) return WrongArgs(args, e);
  out->request.scope = std::string(args[1]);
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view k = args[i];
    bool has_value = i + 1 < args.size();
    if (EqualsNoCase(k, "FROM") && has_value) {
      if (!ParseNumberArg("FROM", args[++i], &out->request.from, e)) return false;
    } else if (EqualsNoCase(k, "COUNT") && has_value) {
      if (!ParseCount(args[++i], &out->request.count, e)) return false;
    } else if (EqualsNoCase(k, "TYPES") && has_value) {
      out->request.types = SplitTypes(args[++i]);
    } else if (EqualsNoCase(k, "WITHHASH")) {
      out->with_hash = true;
    } else {
      return Syntax(e, k);
    }
  }
  return true;
}

bool ParseListStreams(const Args& args, ListStreamsRequest* out, CommandError* e) {
  if (args.size() < 2) return WrongArgs(args, e);
  out->scope = std::string(args[1]);
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view k = args[i];
    bool has_value = i + 1 < args.size();
    if (EqualsNoCase(k, "AFTER") && has_value) {
      out->after = std::string(args[++i]);
    } else if (EqualsNoCase(k, "COUNT") && has_value) {
      if (!ParseCount(args[++i], &out->count, e)) return false;
    } else {
      return Syntax(e, k);
    }
  }
  return true;
}

bool ParseDelete(const Args& args, DeleteRequest* out, CommandError* e) {
  if (args.size() < 3 || args.size() > 4) return WrongArgs(args, e);
  out->stream = std::string(args[1]);
  if (!ParseExpected(args[2], &out->expected, e)) return false;
  if (args.size() == 4) {
    if (!EqualsNoCase(args[3], "HARD")) return Syntax(e, args[3]);
    out->hard = true;
  }
  return true;
}

bool ParseTrim(const Args& args, TrimRequest* out, CommandError* e) {
  if (args.size() != 3) return WrongArgs(args, e);
  out->stream = std::string(args[1]);
  return ParseNumberArg("before-version", args[2], &out->before_version, e);
}

bool ParseVerify(const Args& args, VerifyRequest* out, CommandError* e) {
  if (args.size() < 2) return WrongArgs(args, e);
  std::string_view scope = args[1];
  uint64_t shard = 0;
  if (scope.size() < 2 || scope[0] != '#' || !ParseUint(scope.substr(1), &shard) ||
      shard > UINT32_MAX) {
    return Fail(e, "INVALID", "EVERIFY scope is #<shard>");
  }
  out->shard = static_cast<uint32_t>(shard);
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view k = args[i];
    bool has_value = i + 1 < args.size();
    if (EqualsNoCase(k, "FROM") && has_value) {
      if (!ParseNumberArg("FROM", args[++i], &out->from, e)) return false;
    } else if (EqualsNoCase(k, "TO") && has_value) {
      if (!ParseNumberArg("TO", args[++i], &out->to, e)) return false;
    } else {
      return Syntax(e, k);
    }
  }
  if (out->to < out->from) return Fail(e, "INVALID", "EVERIFY TO must not be below FROM");
  return true;
}

bool ParseWatch(const Args& args, WatchOptions* out, CommandError* e) {
  if (args.size() < 2) return WrongArgs(args, e);
  out->scope = std::string(args[1]);
  bool started = false;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view k = args[i];
    bool has_value = i + 1 < args.size();
    bool start = EqualsNoCase(k, "FROM") || EqualsNoCase(k, "LIVE") || EqualsNoCase(k, "GROUP");
    if (start && started) return Fail(e, "ERR", "FROM, LIVE and GROUP exclude each other");
    if (EqualsNoCase(k, "FROM") && has_value) {
      if (!ParseNumberArg("FROM", args[++i], &out->from, e)) return false;
      out->start = WatchOptions::Start::kFrom;
    } else if (EqualsNoCase(k, "LIVE")) {
      out->start = WatchOptions::Start::kLive;
    } else if (EqualsNoCase(k, "GROUP") && has_value) {
      out->group = std::string(args[++i]);
      out->start = WatchOptions::Start::kGroup;
    } else if (EqualsNoCase(k, "TYPES") && has_value) {
      out->types = SplitTypes(args[++i]);
    } else {
      return Syntax(e, k);
    }
    started = started || start;
  }
  return true;
}

bool ParseGroup(const Args& args, GroupCommand* out, CommandError* e) {
  if (args.size() < 2) return WrongArgs(args, e);
  std::string_view op = args[1];
  if (EqualsNoCase(op, "COMMIT")) {
    if (args.size() != 5) return WrongArgs(args, e);
    out->op = GroupCommand::Op::kCommit;
    if (!ParseNumberArg("cursor", args[4], &out->cursor, e)) return false;
  } else if (EqualsNoCase(op, "OFFSET") || EqualsNoCase(op, "DELETE")) {
    if (args.size() != 4) return WrongArgs(args, e);
    out->op = EqualsNoCase(op, "OFFSET") ? GroupCommand::Op::kOffset : GroupCommand::Op::kDelete;
  } else if (EqualsNoCase(op, "LIST")) {
    if (args.size() > 3) return WrongArgs(args, e);
    out->op = GroupCommand::Op::kList;
    if (args.size() == 3) out->scope = std::string(args[2]);
    return true;
  } else {
    return Fail(e, "ERR", "unknown EGROUP subcommand; try COMMIT, OFFSET, LIST or DELETE");
  }
  out->group = std::string(args[2]);
  out->scope = std::string(args[3]);
  return true;
}

bool ParseSchema(const Args& args, SchemaCommand* out, CommandError* e) {
  if (args.size() < 3) return WrongArgs(args, e);
  std::string_view op = args[1];
  if (EqualsNoCase(op, "REGISTER")) {
    if (args.size() != 6) return WrongArgs(args, e);
    out->op = SchemaCommand::Op::kRegister;
    out->version = std::string(args[4]);
    out->body = std::string(args[5]);
  } else if (EqualsNoCase(op, "GET")) {
    if (args.size() != 4 && args.size() != 5) return WrongArgs(args, e);
    out->op = SchemaCommand::Op::kGet;
    if (args.size() == 5) out->version = std::string(args[4]);
  } else if (EqualsNoCase(op, "LIST")) {
    if (args.size() > 4) return WrongArgs(args, e);
    out->op = SchemaCommand::Op::kList;
    out->org = std::string(args[2]);
    if (args.size() == 4) out->type = std::string(args[3]);
    return true;
  } else {
    return Fail(e, "ERR", "unknown ESCHEMA subcommand; try REGISTER, GET or LIST");
  }
  out->org = std::string(args[2]);
  out->type = std::string(args[3]);
  return true;
}

}  // namespace cairn::resp
