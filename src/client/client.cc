// The typed client: builds each command's arguments as views into the caller's data (no
// copies of event payloads), sends it, and decodes the reply shape of the contract.

#include "cairn/client.h"

#include <charconv>
#include <list>
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
  if (request.from) {
    a.Add("FROM");
    a.AddNumber(*request.from);
  }
  a.Add("COUNT");
  a.AddNumber(request.count);
  if (!request.types.empty()) {
    a.Add("TYPES");
    a.AddJoined(request.types);
  }
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
  if (!request.types.empty()) {
    a.Add("TYPES");
    a.AddJoined(request.types);
  }
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

Status Client::Ping() {
  const std::string_view args[] = {"PING"};
  auto r = Call(args);
  if (!r.ok()) return r.status();
  if (!r->IsString())
    return Status::Corruption("PING answered with a " + std::string(RespTypeName(r->type)));
  return Status::Ok();
}

}  // namespace cairn::client
