// The typed client: builds each command's arguments as views into the caller's data (no
// copies of event payloads), sends it, and decodes the reply shape of the contract.

#include "cairn/client.h"

#include <algorithm>
#include <charconv>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "client/reply_decoder.h"

namespace cairn::client {
namespace {

// Decimal numbers and joined lists outlive the argument views that point at them.
class Args {
 public:
  void Add(std::string_view a) { args_.push_back(a); }
  void AddNumber(uint64_t v) {
    char b[24];
    char* p = std::to_chars(b, b + sizeof(b), v).ptr;
    owned_.emplace_back(b, p);
    args_.push_back(owned_.back());
  }
  void AddExpected(const Expected& e) {
    if (e.kind == Expected::Kind::kExact) {
      AddNumber(e.version);
    } else {
      owned_.push_back(e.ToString());
      args_.push_back(owned_.back());
    }
  }
  // "NAME value" when the value is given.
  void AddNumberOption(std::string_view name, const std::optional<uint64_t>& v) {
    if (!v) return;
    Add(name);
    AddNumber(*v);
  }
  // "NAME a,b,c" when the list is not empty.
  void AddListOption(std::string_view name, const std::vector<std::string>& items) {
    if (items.empty()) return;
    Add(name);
    AddJoined(items);
  }
  void AddJoined(const std::vector<std::string>& items) {
    std::string s;
    for (const std::string& i : items) {
      if (!s.empty()) s += ',';
      s += i;
    }
    owned_.push_back(std::move(s));
    args_.push_back(owned_.back());
  }
  void AddEvents(std::span<const ProposedEvent> events) {
    for (const ProposedEvent& e : events) {
      Add("EVENT");
      Add(e.type);
      Add(e.data);
      if (e.id) {
        owned_.push_back(e.id->ToString());
        Add("ID");
        Add(owned_.back());
      }
      if (!e.metadata.empty()) {
        Add("META");
        Add(e.metadata);
      }
    }
  }
  std::span<const std::string_view> span() const { return args_; }

 private:
  std::vector<std::string_view> args_;
  // Stable addresses: the views in args_ point into these strings.
  std::list<std::string> owned_;
};

}  // namespace

Result<Client> Client::Connect(std::string_view address, const ConnectionOptions& options) {
  auto c = Connection::Connect(address, options);
  if (!c.ok()) return c.status();
  return Client(std::move(c).value());
}

Client::Client(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}

Result<RespValue> Client::Call(std::span<const std::string_view> args) {
  auto r = connection_->Call(args);
  if (r.ok() && r->IsError()) return StatusFromErrorReply(r->str);
  return r;
}

Result<AppendResult> Client::Append(std::string_view stream, Expected expected,
                                    std::span<const ProposedEvent> events,
                                    std::string_view idempotency_key) {
  Args a;
  a.Add("EAPPEND");
  a.Add(stream);
  a.AddExpected(expected);
  if (!idempotency_key.empty()) {
    a.Add("IDEMPOTENCY");
    a.Add(idempotency_key);
  }
  a.AddEvents(events);
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  return DecodeAppend(*r, false);
}

Result<AppendResult> Client::Transaction(std::span<const AppendClause> clauses,
                                         std::string_view idempotency_key) {
  Args a;
  a.Add("ETXN");
  if (!idempotency_key.empty()) {
    a.Add("IDEMPOTENCY");
    a.Add(idempotency_key);
  }
  for (const AppendClause& c : clauses) {
    a.Add("STREAM");
    a.Add(c.stream);
    a.AddExpected(c.expected);
    a.AddEvents(c.events);
  }
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  return DecodeAppend(*r, true);
}

Result<AppendResult> Client::Append(const AppendRequest& request) {
  if (request.transaction) return Transaction(request.clauses, request.idempotency_key);
  if (request.clauses.size() != 1) {
    return Status::Invalid("an EAPPEND request has exactly one clause; use a transaction");
  }
  const AppendClause& c = request.clauses.front();
  return Append(c.stream, c.expected, c.events, request.idempotency_key);
}

Result<ReadResult> Client::Read(const ReadRequest& request, bool with_hash) {
  Args a;
  a.Add("EREAD");
  a.Add(request.stream);
  a.AddNumberOption("FROM", request.from);
  a.Add("COUNT");
  a.AddNumber(request.count);
  a.AddListOption("TYPES", request.types);
  if (request.backward) a.Add("BACKWARD");
  if (with_hash) a.Add("WITHHASH");
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  return DecodeRead(*r);
}

Result<ScanResult> Client::Scan(const ScanRequest& request, bool with_hash) {
  Args a;
  a.Add("ESCAN");
  a.Add(request.scope);
  a.Add("FROM");
  a.AddNumber(request.from);
  a.Add("COUNT");
  a.AddNumber(request.count);
  a.AddListOption("TYPES", request.types);
  if (with_hash) a.Add("WITHHASH");
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  return DecodeScan(*r);
}

Result<StreamInfo> Client::Info(std::string_view stream) {
  const std::string_view args[] = {"EINFO", stream};
  auto r = Call(args);
  if (!r.ok()) return r.status();
  return DecodeInfo(*r);
}

Result<ListStreamsResult> Client::ListStreams(const ListStreamsRequest& request) {
  Args a;
  a.Add("ESTREAMS");
  a.Add(request.scope);
  if (!request.after.empty()) {
    a.Add("AFTER");
    a.Add(request.after);
  }
  a.Add("COUNT");
  a.AddNumber(request.count);
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  return DecodeStreams(*r);
}

Result<std::vector<std::string>> Client::ListTypes(std::string_view org) {
  const std::string_view args[] = {"ETYPES", org};
  auto r = Call(args);
  if (!r.ok()) return r.status();
  return DecodeStrings(*r);
}

Result<std::vector<std::string>> Client::ListOrgs() {
  const std::string_view args[] = {"EORGS"};
  auto r = Call(args);
  if (!r.ok()) return r.status();
  return DecodeStrings(*r);
}

Result<StreamInfo> Client::Delete(const DeleteRequest& request) {
  Args a;
  a.Add("EDELETE");
  a.Add(request.stream);
  a.AddExpected(request.expected);
  if (request.hard) a.Add("HARD");
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  return DecodeInfo(*r);
}

Result<StreamInfo> Client::Trim(const TrimRequest& request) {
  Args a;
  a.Add("ETRIM");
  a.Add(request.stream);
  a.AddNumber(request.before_version);
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  return DecodeInfo(*r);
}

Result<VerifyResult> Client::Verify(const VerifyRequest& request) {
  std::string shard = "#" + std::to_string(request.shard);
  Args a;
  a.Add("EVERIFY");
  a.Add(shard);
  a.Add("FROM");
  a.AddNumber(request.from);
  if (request.to != UINT64_MAX) {
    a.Add("TO");
    a.AddNumber(request.to);
  }
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  return DecodeVerify(*r);
}

namespace {

// The integer field `key` of an EKEY reply map.
Result<uint32_t> KeyReplyField(const RespValue& v, std::string_view key) {
  const RespValue* f = v.Find(key);
  if (f == nullptr || f->type != RespType::kInteger || f->integer < 0 || f->integer > UINT32_MAX) {
    return Status::Corruption("reply does not match the contract: EKEY field '" + std::string(key) +
                              "'");
  }
  return static_cast<uint32_t>(f->integer);
}

}  // namespace

Result<uint32_t> Client::RotateKey(std::string_view org) {
  const std::string_view args[] = {"EKEY", "ROTATE", org};
  auto r = Call(args);
  if (!r.ok()) return r.status();
  return KeyReplyField(*r, "key_id");
}

Result<uint32_t> Client::ShredKeys(std::string_view scope) {
  const std::string_view args[] = {"EKEY", "SHRED", scope};
  auto r = Call(args);
  if (!r.ok()) return r.status();
  return KeyReplyField(*r, "keys_destroyed");
}

Result<uint32_t> Client::ShardCount() {
  const std::string_view args[] = {"INFO", "keyspace"};
  auto r = Call(args);
  if (!r.ok()) return r.status();
  return DecodeInfoShards(*r);
}

Status Client::Ping() {
  const std::string_view args[] = {"PING"};
  auto r = Call(args);
  if (!r.ok()) return r.status();
  if (!r->IsString())
    return Status::Corruption("PING answered with a " + std::string(RespTypeName(r->type)));
  return Status::Ok();
}

namespace {

// A stream scope is org/type/id (the id may hold more slashes); org, org/type and #<shard>
// scopes count positions.
bool IsStreamScope(std::string_view scope) {
  return !scope.starts_with('#') && std::count(scope.begin(), scope.end(), '/') >= 2;
}

}  // namespace

Result<uint64_t> Client::Watch(const WatchRequest& request) {
  Args a;
  a.Add("EWATCH");
  a.Add(request.scope);
  a.AddNumberOption("FROM", request.from);
  if (request.live) a.Add("LIVE");
  a.AddListOption("TYPES", request.types);
  if (!request.group.empty()) {
    a.Add("GROUP");
    a.Add(request.group);
  }
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  auto id = DecodeUint(*r, "EWATCH reply");
  if (id.ok()) subscriptions_[*id] = IsStreamScope(request.scope);
  return id;
}

Status Client::Unwatch(uint64_t subscription) {
  Args a;
  a.Add("EUNWATCH");
  a.AddNumber(subscription);
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  subscriptions_.erase(subscription);
  // Frames set aside before the reply: the subscription's are of no use now.
  connection_->DropPushes([subscription](const RespValue& v) {
    return v.elements.size() == 3 && v.elements[1].type == RespType::kInteger &&
           static_cast<uint64_t>(v.elements[1].integer) == subscription;
  });
  return Status::Ok();
}

Result<std::optional<WatchFrame>> Client::NextWatchFrame(uint32_t timeout_ms) {
  auto push = connection_->NextPush(timeout_ms);
  if (!push.ok()) return push.status();
  if (!push->has_value()) return std::optional<WatchFrame>();
  auto f = DecodeWatchFrame(**push, subscriptions_);
  if (!f.ok()) return f.status();
  return std::optional<WatchFrame>(std::move(f).value());
}

Result<uint64_t> Client::GroupCommit(std::string_view group, std::string_view scope,
                                     uint64_t cursor) {
  Args a;
  a.Add("EGROUP");
  a.Add("COMMIT");
  a.Add(group);
  a.Add(scope);
  a.AddNumber(cursor);
  auto r = Call(a.span());
  if (!r.ok()) return r.status();
  return DecodeUint(*r, "EGROUP COMMIT reply");
}

Result<uint64_t> Client::GroupOffset(std::string_view group, std::string_view scope) {
  const std::string_view args[] = {"EGROUP", "OFFSET", group, scope};
  auto r = Call(args);
  if (!r.ok()) return r.status();
  return DecodeUint(*r, "EGROUP OFFSET reply");
}

Result<std::vector<GroupCursor>> Client::GroupList(std::string_view scope) {
  const std::string_view args[] = {"EGROUP", "LIST", scope};
  auto r = Call(std::span<const std::string_view>(args, scope.empty() ? 2 : 3));
  if (!r.ok()) return r.status();
  return DecodeGroupList(*r);
}

Result<bool> Client::GroupDelete(std::string_view group, std::string_view scope) {
  const std::string_view args[] = {"EGROUP", "DELETE", group, scope};
  auto r = Call(args);
  if (!r.ok()) return r.status();
  return DecodeFlag(*r, "EGROUP DELETE reply");
}

}  // namespace cairn::client
