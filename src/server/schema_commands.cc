#include "server/schema_commands.h"

#include "base/names.h"
#include "protocol/http/json_writer.h"
#include "protocol/resp/reply_format.h"
#include "protocol/resp/reply_writer.h"
#include "schema/registry.h"
#include "server/connection.h"
#include "server/http_replies.h"
#include "server/server.h"
#include "server/worker.h"

namespace cairn::server {
namespace {

schema::Registry& RegistryOf(Connection& c) { return c.worker()->server().schemas(); }

// GET: the entry a version names ("", "2", "2.1" or "2.1.0"); null when none is registered.
Result<const schema::Entry*> Lookup(const schema::Snapshot& s, const std::string& org,
                                    const std::string& type, const std::string& version) {
  CAIRN_RETURN_IF_ERROR(ValidateOrg(org));
  CAIRN_RETURN_IF_ERROR(ValidateEventType(type));
  if (version.empty()) return s.Resolve(org, type, nullptr);
  CAIRN_ASSIGN_OR_RETURN(schema::VersionSelector sel, schema::ParseSelector(version));
  return s.Resolve(org, type, &sel);
}

// LIST: every version of an org (of one type when `type` is not empty), sorted.
Result<std::vector<const schema::Entry*>> List(const schema::Snapshot& s, const std::string& org,
                                               const std::string& type) {
  CAIRN_RETURN_IF_ERROR(ValidateOrg(org));
  if (!type.empty()) CAIRN_RETURN_IF_ERROR(ValidateEventType(type));
  std::vector<const schema::Entry*> out;
  const schema::Snapshot::Types* types = s.TypesOf(org);
  if (types == nullptr) return out;
  for (const auto& [name, versions] : *types) {
    if (!type.empty() && name != type) continue;
    for (const schema::Entry& e : versions) out.push_back(&e);
  }
  return out;
}

std::string NotFound(const std::string& org, const std::string& type, const std::string& v) {
  return "no schema " + org + "/" + type + (v.empty() ? "" : "@" + v) + " registered";
}

void RespRegistered(const Result<bool>& r, const SchemaDefinition& d, AsyncReply* out) {
  resp::ReplyWriter w(&out->reply, out->style().resp_version);
  if (!r.ok()) return resp::WriteStatus(w, r.status());
  w.Map(4);
  w.KeyBulk("org", d.org);
  w.KeyBulk("type", d.type);
  w.KeyBulk("version", d.version.ToString());
  w.KeyBool("registered", *r);
}

std::string JsonRegistered(const SchemaDefinition& d, bool registered) {
  std::string out;
  http::JsonWriter j(&out);
  j.BeginObject();
  j.Key("org");
  j.String(d.org);
  j.Key("type");
  j.String(d.type);
  j.Key("version");
  j.String(d.version.ToString());
  j.Key("registered");
  j.Bool(registered);
  j.EndObject();
  return out;
}

void HttpRegistered(const Result<bool>& r, const SchemaDefinition& d, AsyncReply* out) {
  if (!r.ok()) return HttpError(r.status(), out->style().keep_alive, &out->reply);
  HttpResponse(*r ? 201 : 200, "application/json", JsonRegistered(d, *r), out->style().keep_alive,
               &out->reply);
}

// Parses what REGISTER names; the version must be complete.
Result<SchemaDefinition> Definition(std::string org, std::string type, std::string_view version,
                                    std::string body) {
  CAIRN_ASSIGN_OR_RETURN(SchemaVersion v, schema::ParseVersion(version));
  return SchemaDefinition{std::move(org), std::move(type), v, std::move(body)};
}

std::string JsonEntry(const schema::Entry& e) {
  std::string out;
  http::JsonWriter j(&out);
  j.BeginObject();
  j.Key("org");
  j.String(e.def.org);
  j.Key("type");
  j.String(e.def.type);
  j.Key("version");
  j.String(e.def.version.ToString());
  j.Key("schema");
  j.Raw(e.def.body);  // valid JSON: it compiled when registered
  j.EndObject();
  return out;
}

std::string JsonList(const std::vector<const schema::Entry*>& entries) {
  std::string out;
  http::JsonWriter j(&out);
  j.BeginObject();
  j.Key("schemas");
  j.BeginArray();
  for (const schema::Entry* e : entries) {
    j.BeginObject();
    j.Key("type");
    j.String(e->def.type);
    j.Key("version");
    j.String(e->def.version.ToString());
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
  return out;
}

}  // namespace

void RespSchema(Connection& c, const resp::Args& args, ReplyStyle style) {
  resp::SchemaCommand cmd;
  resp::CommandError e;
  uint64_t start = NowMicros();
  if (!resp::ParseSchema(args, &cmd, &e)) {
    resp::ReplyWriter(c.SyncReply(), c.resp_version).Error(e.code, e.message);
    c.worker()->metrics().Record(Command::kSchema, NowMicros() - start, true);
    return;
  }
  if (cmd.op == resp::SchemaCommand::Op::kRegister) {
    auto def = Definition(cmd.org, cmd.type, cmd.version, std::move(cmd.body));
    if (def.ok()) return SubmitSchemaRegister(c, style, std::move(*def), RespRegistered);
    resp::ReplyWriter w(c.SyncReply(), c.resp_version);
    resp::WriteStatus(w, def.status());
    c.worker()->metrics().Record(Command::kSchema, NowMicros() - start, true);
    return;
  }
  // GET and LIST answer from the registry's snapshot in memory, at once.
  auto snapshot = RegistryOf(c).snapshot();
  resp::ReplyWriter w(c.SyncReply(), c.resp_version);
  bool error = false;
  if (cmd.op == resp::SchemaCommand::Op::kGet) {
    auto entry = Lookup(*snapshot, cmd.org, cmd.type, cmd.version);
    error = !entry.ok();
    if (!entry.ok()) {
      resp::WriteStatus(w, entry.status());
    } else if (*entry == nullptr) {
      w.Null();
    } else {
      const SchemaDefinition& d = (*entry)->def;
      w.Map(4);
      w.KeyBulk("org", d.org);
      w.KeyBulk("type", d.type);
      w.KeyBulk("version", d.version.ToString());
      w.KeyBulk("schema", d.body);
    }
  } else {
    auto entries = List(*snapshot, cmd.org, cmd.type);
    error = !entries.ok();
    if (!entries.ok()) {
      resp::WriteStatus(w, entries.status());
    } else {
      w.Array(entries->size());
      for (const schema::Entry* x : *entries) {
        w.Map(2);
        w.KeyBulk("type", x->def.type);
        w.KeyBulk("version", x->def.version.ToString());
      }
    }
  }
  c.worker()->metrics().Record(Command::kSchema, NowMicros() - start, error);
}

void HttpSchemas(Connection& c, const http::Request& req, const std::vector<std::string>& p,
                 ReplyStyle style) {
  std::string* out = c.SyncReply();
  const bool keep_alive = style.keep_alive;
  if (p.empty() || p.size() > 3) {
    return HttpErrorCode(404, "ERR", "no such endpoint", keep_alive, out);
  }
  if (req.method == "PUT") {
    if (p.size() != 3) return HttpErrorCode(405, "ERR", "method not allowed here", keep_alive, out);
    auto def = Definition(p[0], p[1], p[2], std::string(req.body));
    if (!def.ok()) return HttpError(def.status(), keep_alive, out);
    return SubmitSchemaRegister(c, style, std::move(*def), HttpRegistered);
  }
  if (req.method != "GET") {
    return HttpErrorCode(405, "ERR", "method not allowed here", keep_alive, out);
  }
  auto snapshot = RegistryOf(c).snapshot();
  if (p.size() == 1) {
    auto entries = List(*snapshot, p[0], "");
    if (!entries.ok()) return HttpError(entries.status(), keep_alive, out);
    return HttpResponse(200, "application/json", JsonList(*entries), keep_alive, out);
  }
  const std::string version = p.size() == 3 ? p[2] : "";
  auto entry = Lookup(*snapshot, p[0], p[1], version);
  if (!entry.ok()) return HttpError(entry.status(), keep_alive, out);
  if (*entry == nullptr) {
    return HttpErrorCode(404, "ERR", NotFound(p[0], p[1], version), keep_alive, out);
  }
  HttpResponse(200, "application/json", JsonEntry(**entry), keep_alive, out);
}

}  // namespace cairn::server
