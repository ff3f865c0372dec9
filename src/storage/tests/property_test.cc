// Property test of the engine against the wire contract (docs/reference/protocol.md):
// random operation sequences run against the real Engine and against a small in-memory
// model of the contract, and every result is compared: status codes and conflict details,
// versions, positions, timestamps, idempotent replays, and the full event list of every
// read, scan and listing. Writes also run pipelined (several in flight, reads among them),
// and the engine is closed and reopened at random points.
//
// The seed comes from CAIRN_SEED (one run) or is random (several runs). A failure prints
// the seed and the operations that led to it: `CAIRN_SEED=<seed> property_tests` replays
// it. CAIRN_PROPERTY_OPS sets the operations per seed (longer soaks).
//
// Interpretations of points the contract leaves open, chosen as the engine does:
// - ESCAN reads the shard's log: it shows events of deleted and trimmed streams too.
// - Only successful appends are remembered under their idempotency key.
// - On a soft-deleted stream NONE fails even when the version is 0 (the soft-delete rule
//   is more specific than "NONE is the same as 0").
// - ETRIM with a version beyond the end hides every existing event, not later ones.
// - A stream named by an append or a delete (soft or hard) stays listed; `created` is the
//   time it was first named, and recreation after a soft delete keeps it.
// - A pure condition on a hard-deleted stream fails the transaction with DELETED.
// - The first failing clause decides the error (CONFLICT or DELETED); CROSSSHARD comes
//   before idempotency, which comes before the expected-version checks.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "cairn/engine.h"
#include "testing/temp_dir.h"

namespace cairn {
namespace {

using namespace std::string_literals;

constexpr int kDefaultRuns = 4;
constexpr int kDefaultOpsPerRun = 1500;
constexpr size_t kHistory = 40;

// A disagreement between the engine and the model; it ends the run that found it.
struct Discrepancy {
  std::string what;
};

#define PROP_CHECK(cond, msg)                                   \
  do {                                                          \
    if (!(cond)) {                                              \
      std::ostringstream prop_os;                               \
      prop_os << "line " << __LINE__ << ": " #cond "\n" << msg; \
      throw Discrepancy{prop_os.str()};                         \
    }                                                           \
  } while (0)

// ---- printing ----

std::string Esc(std::string_view s, size_t max = 20) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + "B)";
  return out;
}

// The contract's words for an expected version (CONFLICT's `expected` field).
std::string ExpStr(const Expected& e) {
  switch (e.kind) {
    case Expected::Kind::kAny:
      return "any";
    case Expected::Kind::kExists:
      return "exists";
    case Expected::Kind::kNoStream:
      return "none";
    case Expected::Kind::kExact:
      return std::to_string(e.version);
  }
  return "?";
}

std::string Describe(const AppendRequest& r) {
  std::ostringstream o;
  o << (r.transaction ? "ETXN" : "EAPPEND");
  if (!r.idempotency_key.empty()) o << " key=" << Esc(r.idempotency_key);
  for (const AppendClause& c : r.clauses) {
    o << " {" << Esc(c.stream, 40) << " " << ExpStr(c.expected);
    for (const ProposedEvent& e : c.events) {
      o << " " << e.type << "(" << e.data.size() << "," << e.metadata.size() << (e.id ? ",id" : "")
        << ")";
    }
    o << "}";
  }
  return o.str();
}

std::string Describe(const AppendResult& r) {
  std::ostringstream o;
  o << "shard " << r.shard << " p" << r.first_position << ".." << r.last_position << " ts "
    << r.timestamp_ms << (r.duplicate ? " dup" : "");
  for (const StreamRange& s : r.streams) {
    o << " " << Esc(s.stream, 40) << ":" << s.first_version << ".." << s.last_version;
  }
  return o.str();
}

std::string Describe(const StreamInfo& i) {
  std::ostringstream o;
  o << Esc(i.stream, 40) << " v" << i.version << " first " << i.first_version << " shard "
    << i.shard << " created " << i.created_ms << " updated " << i.updated_ms << " deleted "
    << DeletedStateName(i.deleted);
  return o.str();
}

template <typename T>
std::string DescribeResult(const Result<T>& r) {
  return r.ok() ? Describe(*r) : r.status().ToString();
}

std::string Describe(const RecordedEvent& e) {
  std::ostringstream o;
  o << Esc(e.stream, 40) << "@" << e.version << " shard " << e.shard << " p" << e.position << " "
    << e.type << " id " << e.id.ToString() << " ts " << e.timestamp_ms << " data " << Esc(e.data)
    << " meta " << Esc(e.metadata);
  return o.str();
}

// ---- the model ----

struct MEvent {
  std::string stream;
  uint64_t version = 0;
  uint64_t position = 0;
  std::string type;
  std::string data;
  std::string metadata;
  std::optional<Uuid> id;                       // given, or learned at the first read
  std::optional<std::array<uint8_t, 32>> hash;  // learned at the first read
  uint64_t timestamp_ms = 0;
};

struct MStream {
  bool known = false;  // an append or a delete has named it
  uint64_t version = 0;
  uint64_t first_readable = 1;
  DeletedState deleted = DeletedState::kNone;
  uint64_t created_ms = 0;
  uint64_t updated_ms = 0;
  std::vector<uint64_t> positions;  // positions[version - 1]
};

struct MShard {
  std::vector<MEvent> log;  // log[position - 1]
  uint64_t last_ts = 0;
  uint64_t next() const { return log.size() + 1; }
};

struct MIdem {
  AppendRequest request;
  AppendResult result;  // the first result, duplicate = false
};

std::string OrgOf(std::string_view s) { return std::string(s.substr(0, s.find('/'))); }
std::string OrgTypeOf(std::string_view s) {
  return std::string(s.substr(0, s.find('/', s.find('/') + 1)));
}

bool SameRequest(const AppendRequest& a, const AppendRequest& b) {
  if (a.transaction != b.transaction || a.clauses.size() != b.clauses.size()) return false;
  for (size_t i = 0; i < a.clauses.size(); ++i) {
    const AppendClause& x = a.clauses[i];
    const AppendClause& y = b.clauses[i];
    if (x.stream != y.stream || !(x.expected == y.expected) || x.events.size() != y.events.size()) {
      return false;
    }
    for (size_t j = 0; j < x.events.size(); ++j) {
      const ProposedEvent& e = x.events[j];
      const ProposedEvent& f = y.events[j];
      if (e.type != f.type || e.data != f.data || e.metadata != f.metadata || e.id != f.id) {
        return false;
      }
    }
  }
  return true;
}

// The expected-version rules of the contract (a hard-deleted stream is checked before).
bool Holds(const MStream& s, const Expected& e) {
  const bool live = s.deleted == DeletedState::kNone;
  switch (e.kind) {
    case Expected::Kind::kAny:
      return true;
    case Expected::Kind::kExists:
      return s.version >= 1 && live;
    case Expected::Kind::kNoStream:
      return s.version == 0 && live;
    case Expected::Kind::kExact:
      return s.version == e.version;
  }
  return false;
}

bool TypeMatches(const std::vector<std::string>& types, const std::string& t) {
  return types.empty() || std::find(types.begin(), types.end(), t) != types.end();
}

const std::vector<std::string> kOrgs = {"acme", "acme-eu", "beta"};
const std::vector<std::string> kStreamTypes = {"order", "order.v2", "cart"};
const std::vector<std::string> kIds = {"1",  "2", "a/b",   "x y",      "\xc3\xa9t\xc3\xa9",
                                       "3",  "4", "a/b/c", "\xff\xfe", "0",
                                       "10", "~", "-",     "_.:",      "tab\tid",
                                       "Z",  "9", "q",     "\x01\x7f", "long-id-0123456789abcdef"};
constexpr size_t kHotIds = 5;
const std::vector<std::string> kEventTypes = {"Created", "Updated", "item.added", "ns:Thing-2",
                                              "X"};

// A write submitted asynchronously, settled against the model once all are answered.
struct PendingWrite {
  enum Kind { kAppend, kDelete, kTrim };
  Kind kind = kAppend;
  AppendRequest append;
  DeleteRequest del;
  TrimRequest trim;
  std::promise<Result<AppendResult>> appended;
  std::promise<Result<StreamInfo>> changed;
};

class PropertyRun {
 public:
  PropertyRun(uint64_t seed, int ops) : ops_(ops), rng_(seed) {}
  void Execute();
  std::string History() const;
  int op() const { return op_; }
  uint32_t shards() const { return shards_; }
  std::string Summary() const;

 private:
  uint64_t R(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  bool P(int percent) { return R(100) < static_cast<uint64_t>(percent); }
  void Log(std::string s);
  void Count(const std::string& what) { ++counts_[what]; }
  MStream& S(const std::string& stream) { return streams_[stream]; }
  uint32_t ShardOf(const std::string& stream) const { return shard_of_org_.at(OrgOf(stream)); }
  StreamInfo InfoOf(const std::string& stream);

  // Generators.
  std::string Bytes(size_t n);
  Uuid RandomUuid();
  std::string PickOrg() { return orgs_[R(orgs_.size())]; }
  std::string PickStreamIn(const std::string& org);
  std::string PickStream(int known_percent);
  Expected PickExpected(const MStream& s, int right_percent);
  ProposedEvent NewEvent();
  std::vector<ProposedEvent> NewEvents();
  AppendRequest NewSingle();
  AppendRequest NewTxn(bool cross_org = false);
  AppendRequest NewKeyed();
  AppendRequest RetrySame();
  AppendRequest RetryDifferent();
  void Mutate(AppendRequest* r);
  DeleteRequest NewDelete();
  TrimRequest NewTrim();

  // Operations.
  void Open(bool first);
  void Step();
  void OpAppend(const AppendRequest& r);
  void OpDelete(const DeleteRequest& r);
  void OpTrim(const TrimRequest& r);
  void OpRead();
  void OpScan();
  void OpInvalid();
  void OpInfo(const std::string& stream);
  void OpList();
  void CheckTypes(const std::string& org);
  void CheckOrgs(const std::string& after, uint32_t count);
  std::vector<std::unique_ptr<PendingWrite>> NewPipeline();
  void OpPipeline();
  void Reopen();
  void Sweep(bool verify);

  // Checks: each compares an engine answer with the model and applies committed writes.
  void ExpectError(const Status& st, StatusCode code, const ConflictDetail* conflict,
                   const std::string& ctx);
  void SettleAppend(const AppendRequest& r, const Result<AppendResult>& got);
  void ApplyAppend(const AppendRequest& r, const AppendResult& got);
  void SettleDelete(const DeleteRequest& r, const Result<StreamInfo>& got);
  void SettleTrim(const TrimRequest& r, const Result<StreamInfo>& got);
  void CheckEvent(const RecordedEvent& got, MEvent& want, const std::string& ctx);
  std::vector<MEvent*> ReadMatches(const ReadRequest& q);
  bool SameEvent(const RecordedEvent& got, const MEvent& want) const;
  bool ReadIsCurrent(const ReadRequest& q, const Result<ReadResult>& got);
  std::optional<uint64_t> CheckRead(const ReadRequest& q);
  std::optional<uint64_t> CheckScan(const ScanRequest& q);
  std::optional<std::string> CheckListStreams(const ListStreamsRequest& q);

  const int ops_;
  int op_ = 0;
  std::mt19937_64 rng_;
  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
  uint32_t shards_ = 2;
  std::vector<std::string> orgs_;
  std::vector<std::string> pool_;  // every stream name the run may use
  std::map<std::string, uint32_t> shard_of_org_;
  std::map<std::string, MStream> streams_;
  std::vector<MShard> log_;
  std::map<std::pair<std::string, std::string>, MIdem> idem_;  // (org, key)
  std::vector<std::pair<std::string, std::string>> idem_keys_;
  std::set<std::array<uint8_t, 16>> seen_ids_;
  std::deque<std::string> history_;
  uint64_t unique_key_ = 0;
  std::map<std::string, int> counts_;  // outcomes seen: what the run covered
};

void PropertyRun::Log(std::string s) {
  history_.push_back("#" + std::to_string(op_) + " " + std::move(s));
  if (history_.size() > kHistory) history_.pop_front();
}

std::string PropertyRun::Summary() const {
  std::string out;
  for (const auto& [what, n] : counts_)
    out += (out.empty() ? "" : ", ") + what + " " + std::to_string(n);
  return out;
}

std::string PropertyRun::History() const {
  std::string out;
  for (const std::string& h : history_) out += "  " + h + "\n";
  return out;
}

StreamInfo PropertyRun::InfoOf(const std::string& stream) {
  const MStream& s = S(stream);
  StreamInfo i;
  i.stream = stream;
  i.version = s.version;
  i.first_version =
      (s.deleted == DeletedState::kNone && s.first_readable <= s.version) ? s.first_readable : 0;
  i.shard = ShardOf(stream);
  i.created_ms = s.created_ms;
  i.updated_ms = s.updated_ms;
  i.deleted = s.deleted;
  return i;
}

// ---- generators ----

std::string PropertyRun::Bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng_();
    for (size_t j = i; j < n && j < i + 8; ++j, v >>= 8) s[j] = static_cast<char>(v & 0xff);
  }
  return s;
}

Uuid PropertyRun::RandomUuid() {
  Uuid u;
  std::string b = Bytes(16);
  std::copy(b.begin(), b.end(), u.bytes.begin());
  u.bytes[15] |= 1;  // never nil
  return u;
}

std::string PropertyRun::PickStreamIn(const std::string& org) {
  const std::string& type = kStreamTypes[R(kStreamTypes.size())];
  const std::string& id = P(70) ? kIds[R(kHotIds)] : kIds[R(kIds.size())];
  return org + "/" + type + "/" + id;
}

std::string PropertyRun::PickStream(int known_percent) {
  if (P(known_percent)) {
    std::vector<const std::string*> known;
    for (const auto& [name, s] : streams_) {
      if (s.known) known.push_back(&name);
    }
    if (!known.empty()) return *known[R(known.size())];
  }
  return PickStreamIn(PickOrg());
}

Expected PropertyRun::PickExpected(const MStream& s, int right_percent) {
  const bool live = s.deleted == DeletedState::kNone;
  std::vector<Expected> options;
  if (P(right_percent)) {
    options = {Expected::Any(), Expected::Exact(s.version)};
    if (s.version >= 1 && live) options.push_back(Expected::Exists());
    if (s.version == 0 && live) options.push_back(Expected::NoStream());
  } else {
    options = {Expected::Any(),
               Expected::Exists(),
               Expected::NoStream(),
               Expected::Exact(s.version),
               Expected::Exact(s.version + 1),
               Expected::Exact(s.version + 2 + R(3)),
               Expected::Exact(s.version >= 2 ? s.version - 1 : s.version + 3)};
  }
  return options[R(options.size())];
}

ProposedEvent PropertyRun::NewEvent() {
  ProposedEvent e;
  e.type = kEventTypes[R(kEventTypes.size())];
  // A few large events make 1 MiB segments roll over.
  e.data = P(3) ? Bytes(32768 + R(131072)) : Bytes(R(25));
  if (P(50)) e.metadata = Bytes(1 + R(12));
  if (P(30)) e.id = RandomUuid();
  return e;
}

std::vector<ProposedEvent> PropertyRun::NewEvents() {
  std::vector<ProposedEvent> evs(P(10) ? 1 + R(6) : 1 + R(3));
  for (ProposedEvent& e : evs) e = NewEvent();
  return evs;
}

AppendRequest PropertyRun::NewSingle() {
  AppendRequest r;
  std::string stream = PickStream(60);
  Expected e = PickExpected(S(stream), 50);
  r.clauses.push_back({std::move(stream), e, NewEvents()});
  return r;
}

// Transactions stay in one org, hence one shard; `cross_org` swaps in a stream of another.
AppendRequest PropertyRun::NewTxn(bool cross_org) {
  AppendRequest r;
  r.transaction = true;
  const std::string org = PickOrg();
  const size_t n = P(15) ? 1 : 2 + R(3);
  const int right = P(20) ? 40 : 85;  // sometimes a condition fails
  std::set<std::string> used;
  for (int tries = 0; r.clauses.size() < n && tries < 20; ++tries) {
    std::string s = PickStreamIn(org);
    if (!used.insert(s).second) continue;
    AppendClause c{s, PickExpected(S(s), right), {}};
    if (P(70)) c.events = NewEvents();  // else a pure condition
    r.clauses.push_back(std::move(c));
  }
  bool any_events = false;
  for (const AppendClause& c : r.clauses) any_events |= !c.events.empty();
  if (!any_events) r.clauses[R(r.clauses.size())].events = NewEvents();
  if (cross_org) {
    // Another org: CROSSSHARD unless both orgs hash to one shard.
    std::string other = PickOrg();
    while (other == org) other = PickOrg();
    r.clauses.back().stream = PickStreamIn(other);
  }
  return r;
}

AppendRequest PropertyRun::NewKeyed() {
  static const std::vector<std::string> kKeys = {
      "k0", "k1", "k2", "k3", "k\0x"s, "\xff\xfe", "key with spaces", std::string(128, 'K')};
  AppendRequest r = P(60) ? NewSingle() : NewTxn();
  // Shared keys collide within an org and repeat across orgs (keys are scoped per org).
  r.idempotency_key =
      P(50) ? kKeys[R(kKeys.size())] : "u" + std::to_string(++unique_key_) + Bytes(R(4));
  return r;
}

AppendRequest PropertyRun::RetrySame() {
  if (idem_keys_.empty()) return NewKeyed();
  return idem_.at(idem_keys_[R(idem_keys_.size())]).request;
}

void PropertyRun::Mutate(AppendRequest* r) {
  AppendClause& c0 = r->clauses[0];
  switch (R(5)) {
    case 0:
      for (AppendClause& c : r->clauses) {
        if (!c.events.empty()) {
          c.events[0].data.push_back('!');
          break;
        }
      }
      break;
    case 1:
      c0.expected = c0.expected.kind == Expected::Kind::kAny
                        ? Expected::Exact(S(c0.stream).version + 7)
                        : Expected::Any();
      break;
    case 2:
      if (r->clauses.size() == 1) {
        r->transaction = !r->transaction;
      } else {
        std::swap(r->clauses[0], r->clauses[1]);
      }
      break;
    case 3:
      c0.events.push_back(NewEvent());
      break;
    default:
      for (AppendClause& c : r->clauses) {
        if (!c.events.empty()) {
          c.events[0].id = c.events[0].id ? std::nullopt : std::optional<Uuid>(RandomUuid());
          break;
        }
      }
      break;
  }
}

AppendRequest PropertyRun::RetryDifferent() {
  if (idem_keys_.empty()) return NewKeyed();
  AppendRequest r = idem_.at(idem_keys_[R(idem_keys_.size())]).request;
  Mutate(&r);
  return r;
}

DeleteRequest PropertyRun::NewDelete() {
  DeleteRequest d;
  d.stream = PickStream(80);
  d.expected = PickExpected(S(d.stream), 60);
  d.hard = P(12);
  return d;
}

TrimRequest PropertyRun::NewTrim() {
  TrimRequest t;
  t.stream = PickStream(85);
  const MStream& s = S(t.stream);
  if (P(75) && s.version + 1 >= s.first_readable) {
    t.before_version = s.first_readable + R(s.version + 2 - s.first_readable);
  } else {
    t.before_version = R(s.version + 5);
  }
  return t;
}

// ---- checks ----

void PropertyRun::ExpectError(const Status& st, StatusCode code, const ConflictDetail* conflict,
                              const std::string& ctx) {
  PROP_CHECK(st.code() == code, ctx << "\n  want " << StatusCodeName(code) << ", got "
                                    << (st.ok() ? "OK" : st.ToString()));
  if (conflict == nullptr) return;
  const ConflictDetail* d = st.conflict();
  PROP_CHECK(d != nullptr, ctx << "\n  CONFLICT without detail: " << st.ToString());
  PROP_CHECK(d->stream == conflict->stream && d->expected == conflict->expected &&
                 d->actual == conflict->actual,
             ctx << "\n  want conflict " << Esc(conflict->stream, 40) << " expected "
                 << conflict->expected << " actual " << conflict->actual << ", got "
                 << Esc(d->stream, 40) << " expected " << d->expected << " actual " << d->actual);
}

void PropertyRun::SettleAppend(const AppendRequest& r, const Result<AppendResult>& got) {
  const std::string ctx = Describe(r) + " -> " + DescribeResult(got);
  Log(ctx);
  const std::string org = OrgOf(r.clauses[0].stream);
  for (const AppendClause& c : r.clauses) {
    if (ShardOf(c.stream) != ShardOf(r.clauses[0].stream)) {
      Count("CROSSSHARD");
      return ExpectError(got.status(), StatusCode::kCrossShard, nullptr, ctx);
    }
  }
  if (!r.idempotency_key.empty()) {
    auto it = idem_.find({org, r.idempotency_key});
    if (it != idem_.end()) {
      if (!SameRequest(it->second.request, r)) {
        Count("IDEMPOTENCY");
        return ExpectError(got.status(), StatusCode::kIdempotency, nullptr, ctx);
      }
      AppendResult want = it->second.result;
      want.duplicate = true;
      Count("duplicate");
      PROP_CHECK(got.ok() && *got == want, ctx << "\n  want the first result " << Describe(want));
      return;
    }
  }
  for (const AppendClause& c : r.clauses) {
    const MStream& s = S(c.stream);
    if (s.deleted == DeletedState::kHard) {
      Count("append DELETED");
      return ExpectError(got.status(), StatusCode::kDeleted, nullptr, ctx);
    }
    if (!Holds(s, c.expected)) {
      Count(std::string(r.transaction ? "txn" : "append") + " CONFLICT " +
            (s.deleted == DeletedState::kSoft ? "soft-deleted " : "") +
            (c.events.empty() ? "condition " : "") +
            (c.expected.kind == Expected::Kind::kExact ? "N" : ExpStr(c.expected)));
      ConflictDetail d{c.stream, ExpStr(c.expected), s.version};
      return ExpectError(got.status(), StatusCode::kConflict, &d, ctx);
    }
  }
  PROP_CHECK(got.ok(), ctx << "\n  want success");
  Count(r.transaction ? "txn ok" : "append ok");
  for (const AppendClause& c : r.clauses) {
    if (S(c.stream).deleted == DeletedState::kSoft && !c.events.empty()) Count("recreated");
    if (r.transaction && c.events.empty()) Count("txn ok condition");
  }
  const uint32_t shard = ShardOf(r.clauses[0].stream);
  AppendResult want;
  want.shard = shard;
  want.first_position = log_[shard].next();
  want.last_position = want.first_position - 1;
  want.timestamp_ms = got->timestamp_ms;
  for (const AppendClause& c : r.clauses) {
    if (c.events.empty()) continue;
    const uint64_t v = S(c.stream).version;
    want.streams.push_back({c.stream, v + 1, v + c.events.size()});
    want.last_position += c.events.size();
  }
  PROP_CHECK(*got == want, ctx << "\n  want " << Describe(want));
  PROP_CHECK(got->timestamp_ms >= log_[shard].last_ts,
             ctx << "\n  timestamp went back from " << log_[shard].last_ts);
  // Milliseconds since the Unix epoch, server time: near this machine's clock.
  const auto now_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  PROP_CHECK(got->timestamp_ms + 60000 > now_ms && got->timestamp_ms < now_ms + 60000,
             ctx << "\n  timestamp is not near now (" << now_ms << ")");
  ApplyAppend(r, *got);
}

void PropertyRun::ApplyAppend(const AppendRequest& r, const AppendResult& got) {
  MShard& sh = log_[got.shard];
  sh.last_ts = got.timestamp_ms;
  for (const AppendClause& c : r.clauses) {
    if (c.events.empty()) continue;
    MStream& s = S(c.stream);
    if (!s.known) s.created_ms = got.timestamp_ms;
    s.known = true;
    s.deleted = DeletedState::kNone;
    s.updated_ms = got.timestamp_ms;
    for (const ProposedEvent& e : c.events) {
      MEvent m{c.stream,   ++s.version, sh.next(),    e.type,          e.data,
               e.metadata, e.id,        std::nullopt, got.timestamp_ms};
      if (e.id) seen_ids_.insert(e.id->bytes);
      s.positions.push_back(m.position);
      sh.log.push_back(std::move(m));
    }
  }
  if (!r.idempotency_key.empty()) {
    std::pair<std::string, std::string> k{OrgOf(r.clauses[0].stream), r.idempotency_key};
    idem_[k] = MIdem{r, got};
    idem_keys_.push_back(k);
  }
}

void PropertyRun::SettleDelete(const DeleteRequest& r, const Result<StreamInfo>& got) {
  const std::string ctx = "EDELETE " + Esc(r.stream, 40) + " " + ExpStr(r.expected) +
                          (r.hard ? " HARD" : "") + " -> " + DescribeResult(got);
  Log(ctx);
  MStream& s = S(r.stream);
  if (s.deleted == DeletedState::kHard) {
    return ExpectError(got.status(), StatusCode::kDeleted, nullptr, ctx);
  }
  if (!Holds(s, r.expected)) {
    ConflictDetail d{r.stream, ExpStr(r.expected), s.version};
    return ExpectError(got.status(), StatusCode::kConflict, &d, ctx);
  }
  PROP_CHECK(got.ok(), ctx << "\n  want success");
  Count(r.hard ? "hard delete" : "soft delete");
  MShard& sh = log_[ShardOf(r.stream)];
  PROP_CHECK(got->updated_ms >= sh.last_ts, ctx << "\n  timestamp went back from " << sh.last_ts);
  sh.last_ts = got->updated_ms;
  if (!s.known) s.created_ms = got->updated_ms;
  s.known = true;
  s.updated_ms = got->updated_ms;
  s.deleted = r.hard ? DeletedState::kHard : DeletedState::kSoft;
  if (!r.hard) s.first_readable = s.version + 1;
  StreamInfo want = InfoOf(r.stream);
  PROP_CHECK(*got == want, ctx << "\n  want " << Describe(want));
}

void PropertyRun::SettleTrim(const TrimRequest& r, const Result<StreamInfo>& got) {
  const std::string ctx = "ETRIM " + Esc(r.stream, 40) + " " + std::to_string(r.before_version) +
                          " -> " + DescribeResult(got);
  Log(ctx);
  MStream& s = S(r.stream);
  if (s.deleted == DeletedState::kHard) {
    return ExpectError(got.status(), StatusCode::kDeleted, nullptr, ctx);
  }
  PROP_CHECK(got.ok(), ctx << "\n  want success");
  const uint64_t before = std::min(r.before_version, s.version + 1);
  if (s.known && before > s.first_readable) {
    MShard& sh = log_[ShardOf(r.stream)];
    PROP_CHECK(got->updated_ms >= sh.last_ts, ctx << "\n  timestamp went back from " << sh.last_ts);
    sh.last_ts = got->updated_ms;
    s.first_readable = before;
    s.updated_ms = got->updated_ms;
    Count("trimmed");
  } else if (s.known) {
    // Nothing to trim: whether that counts as an update is the engine's choice.
    PROP_CHECK(got->updated_ms >= s.updated_ms, ctx << "\n  updated went back");
    s.updated_ms = got->updated_ms;
  }
  StreamInfo want = InfoOf(r.stream);
  PROP_CHECK(*got == want, ctx << "\n  want " << Describe(want));
}

void PropertyRun::CheckEvent(const RecordedEvent& got, MEvent& want, const std::string& ctx) {
  const uint32_t shard = ShardOf(want.stream);
  PROP_CHECK(got.stream == want.stream && got.version == want.version && got.shard == shard &&
                 got.position == want.position && got.type == want.type && got.data == want.data &&
                 got.metadata == want.metadata && got.timestamp_ms == want.timestamp_ms,
             ctx << "\n  got  " << Describe(got) << "\n  want " << Esc(want.stream, 40) << "@"
                 << want.version << " shard " << shard << " p" << want.position << " " << want.type
                 << " ts " << want.timestamp_ms << " data " << Esc(want.data) << " meta "
                 << Esc(want.metadata));
  if (want.id) {
    PROP_CHECK(got.id == *want.id,
               ctx << "\n  id " << got.id.ToString() << " want " << want.id->ToString());
  } else {
    // Generated: a UUIDv7 (version 7, RFC 9562 variant), unique.
    PROP_CHECK((got.id.bytes[6] >> 4) == 7 && (got.id.bytes[8] & 0xc0) == 0x80,
               ctx << "\n  generated id is not a UUIDv7: " << got.id.ToString());
    PROP_CHECK(seen_ids_.insert(got.id.bytes).second,
               ctx << "\n  generated id repeats: " << got.id.ToString());
    want.id = got.id;
  }
  if (want.hash) {
    PROP_CHECK(got.hash == *want.hash, ctx << "\n  chain hash changed at p" << want.position);
  } else {
    want.hash = got.hash;
  }
}

// Every event a read may return, in read order, before COUNT applies.
std::vector<MEvent*> PropertyRun::ReadMatches(const ReadRequest& q) {
  std::vector<MEvent*> match;
  const MStream& s = S(q.stream);
  const uint64_t lo = s.first_readable;
  const uint64_t hi = s.version;
  MShard& sh = log_[ShardOf(q.stream)];
  auto at = [&](uint64_t v) -> MEvent& { return sh.log[s.positions[v - 1] - 1]; };
  if (s.deleted != DeletedState::kNone || lo > hi) return match;
  if (!q.backward) {
    for (uint64_t v = std::max(q.from.value_or(1), lo); v <= hi; ++v) {
      if (TypeMatches(q.types, at(v).type)) match.push_back(&at(v));
    }
  } else {
    for (uint64_t v = std::min(q.from.value_or(hi), hi); v >= lo; --v) {
      if (TypeMatches(q.types, at(v).type)) match.push_back(&at(v));
    }
  }
  return match;
}

// Whether `got` is exactly what the model holds now (no learning, no throwing).
bool PropertyRun::SameEvent(const RecordedEvent& got, const MEvent& want) const {
  return got.stream == want.stream && got.version == want.version &&
         got.shard == ShardOf(want.stream) && got.position == want.position &&
         got.type == want.type && got.data == want.data && got.metadata == want.metadata &&
         got.timestamp_ms == want.timestamp_ms && (!want.id || got.id == *want.id) &&
         (!want.hash || got.hash == *want.hash);
}

bool PropertyRun::ReadIsCurrent(const ReadRequest& q, const Result<ReadResult>& got) {
  const MStream& s = S(q.stream);
  if (s.deleted == DeletedState::kHard) return got.status().code() == StatusCode::kDeleted;
  if (!got.ok() || got->version != s.version) return false;
  std::vector<MEvent*> match = ReadMatches(q);
  if (got->events.size() != std::min<size_t>(q.count, match.size())) return false;
  for (size_t i = 0; i < got->events.size(); ++i) {
    if (!SameEvent(got->events[i], *match[i])) return false;
  }
  return true;
}

// Checks one page; returns the `next` to continue from.
std::optional<uint64_t> PropertyRun::CheckRead(const ReadRequest& q) {
  std::ostringstream c;
  c << "EREAD " << Esc(q.stream, 40) << " FROM "
    << (q.from ? std::to_string(*q.from) : std::string("-")) << " COUNT " << q.count
    << (q.backward ? " BACKWARD" : "");
  for (const std::string& t : q.types) c << " " << t;
  auto got = engine_->Read(q);
  if (got.ok()) {
    c << " -> " << got->events.size() << " events, version " << got->version << ", next "
      << (got->next ? std::to_string(*got->next) : std::string("null"));
  }
  const std::string ctx = c.str();
  Log(ctx);
  MStream& s = S(q.stream);
  if (s.deleted == DeletedState::kHard) {
    Count("read DELETED");
    ExpectError(got.status(), StatusCode::kDeleted, nullptr, ctx);
    return std::nullopt;
  }
  PROP_CHECK(got.ok(), ctx << "\n  " << got.status().ToString());
  PROP_CHECK(got->version == s.version, ctx << "\n  want version " << s.version);
  const uint64_t lo = s.first_readable;
  const uint64_t hi = s.version;
  std::vector<MEvent*> match = ReadMatches(q);
  const size_t page = std::min<size_t>(q.count, match.size());
  PROP_CHECK(got->events.size() == page, ctx << "\n  want " << page << " events");
  for (size_t i = 0; i < page; ++i) CheckEvent(got->events[i], *match[i], ctx);
  Count(page > 0 ? "read events" : "read empty");
  if (page < match.size()) {
    // More to read: `next` continues without skipping any.
    const uint64_t last = match[page - 1]->version;
    const uint64_t more = match[page]->version;
    PROP_CHECK(got->next && (q.backward ? (*got->next < last && *got->next >= more)
                                        : (*got->next > last && *got->next <= more)),
               ctx << "\n  want next between " << last << " and " << more);
  } else if (got->next) {
    // Nothing more matches: a `next` is only acceptable when the page filled before the end.
    PROP_CHECK(page == q.count && page > 0, ctx << "\n  want next null at the end");
    const uint64_t last = match[page - 1]->version;
    PROP_CHECK(q.backward ? (*got->next < last && *got->next >= lo)
                          : (*got->next > last && *got->next <= hi),
               ctx << "\n  next out of range");
  }
  return got->next;
}

std::optional<uint64_t> PropertyRun::CheckScan(const ScanRequest& q) {
  std::ostringstream c;
  c << "ESCAN " << q.scope << " FROM " << q.from << " COUNT " << q.count;
  for (const std::string& t : q.types) c << " " << t;
  auto got = engine_->Scan(q);
  if (got.ok()) {
    c << " -> " << got->events.size() << " events, shard " << got->shard << ", next "
      << (got->next ? std::to_string(*got->next) : std::string("null"));
  }
  const std::string ctx = c.str();
  Log(ctx);
  PROP_CHECK(got.ok(), ctx << "\n  " << got.status().ToString());
  const bool by_shard = q.scope[0] == '#';
  const bool by_type = !by_shard && q.scope.find('/') != std::string::npos;
  const uint32_t shard = by_shard ? static_cast<uint32_t>(std::stoul(q.scope.substr(1)))
                                  : shard_of_org_.at(OrgOf(q.scope));
  PROP_CHECK(got->shard == shard, ctx << "\n  want shard " << shard);
  MShard& sh = log_[shard];
  std::vector<MEvent*> match;
  for (uint64_t p = std::max<uint64_t>(q.from, 1); p <= sh.log.size(); ++p) {
    MEvent& e = sh.log[p - 1];
    if (!by_shard && (by_type ? OrgTypeOf(e.stream) : OrgOf(e.stream)) != q.scope) continue;
    if (TypeMatches(q.types, e.type)) match.push_back(&e);
  }
  const size_t page = std::min<size_t>(q.count, match.size());
  PROP_CHECK(got->events.size() == page, ctx << "\n  want " << page << " events");
  for (size_t i = 0; i < page; ++i) CheckEvent(got->events[i], *match[i], ctx);
  const uint64_t lower = page > 0 ? match[page - 1]->position + 1 : q.from;
  if (page < match.size()) {
    PROP_CHECK(got->next && *got->next >= lower && *got->next <= match[page]->position,
               ctx << "\n  want next between " << lower << " and " << match[page]->position);
  } else if (got->next) {
    PROP_CHECK(*got->next >= lower && *got->next <= std::max(q.from, sh.next()),
               ctx << "\n  next out of range [" << lower << ", " << sh.next() << "]");
  }
  return got->next;
}

std::optional<std::string> PropertyRun::CheckListStreams(const ListStreamsRequest& q) {
  auto got = engine_->ListStreams(q);
  std::ostringstream c;
  c << "ESTREAMS " << q.scope << " AFTER " << Esc(q.after, 40) << " COUNT " << q.count;
  if (got.ok()) c << " -> " << got->streams.size() << " streams";
  const std::string ctx = c.str();
  Log(ctx);
  PROP_CHECK(got.ok(), ctx << "\n  " << got.status().ToString());
  const std::string prefix = q.scope + "/";
  std::vector<std::string> want;
  bool more = false;
  for (const auto& [name, s] : streams_) {
    if (!s.known || name.compare(0, prefix.size(), prefix) != 0 || name <= q.after) continue;
    if (want.size() == q.count) {
      more = true;
      break;
    }
    want.push_back(name);
  }
  std::string listed;
  for (const std::string& n : got->streams) listed += " " + Esc(n, 40);
  PROP_CHECK(got->streams == want, ctx << "\n  got" << listed);
  PROP_CHECK(more ? (got->next && *got->next == want.back()) : !got->next,
             ctx << "\n  next " << (got->next ? Esc(*got->next, 40) : "null") << ", more " << more);
  return got->next;
}

// ---- operations ----

void PropertyRun::Open(bool first) {
  EngineOptions o;
  o.data_dir = dir_.Sub("data");
  // After creation the manifest decides: other shard settings must be ignored.
  o.shards = first ? shards_ : static_cast<uint32_t>(1 + R(6));
  o.shard_key = first ? ShardKey::kOrg : static_cast<ShardKey>(R(3));
  o.memory_budget_bytes = 64ull << 20;
  o.segment_size_bytes = 1ull << 20;
  auto e = Engine::Open(o);
  PROP_CHECK(e.ok(), "Engine::Open: " << e.status().ToString());
  engine_ = std::move(*e);
  PROP_CHECK(engine_->shard_count() == shards_ && engine_->shard_key() == ShardKey::kOrg,
             "reopen changed the shard layout to " << engine_->shard_count());
  for (const std::string& org : orgs_) {
    if (first) shard_of_org_[org] = engine_->ShardOf(org + "/t/1");
    PROP_CHECK(engine_->ShardOf(org + "/t/1") == shard_of_org_[org], "org " << org << " moved");
  }
  if (first) {
    for (const std::string& s : pool_) {
      PROP_CHECK(engine_->ShardOf(s) == shard_of_org_[OrgOf(s)], "shard key org: " << Esc(s));
    }
  }
}

void PropertyRun::OpAppend(const AppendRequest& r) {
  auto got = engine_->AppendSync(r);
  SettleAppend(r, got);
}

void PropertyRun::OpDelete(const DeleteRequest& r) {
  auto got = engine_->DeleteSync(r);
  SettleDelete(r, got);
}

void PropertyRun::OpTrim(const TrimRequest& r) {
  auto got = engine_->TrimSync(r);
  SettleTrim(r, got);
}

void PropertyRun::OpRead() {
  ReadRequest q;
  q.stream = PickStream(80);
  const MStream& s = S(q.stream);
  if (P(60)) q.from = R(s.version + 3);
  q.count = P(50) ? static_cast<uint32_t>(1 + R(5)) : 100;
  if (P(25)) {
    q.types.push_back(kEventTypes[R(kEventTypes.size())]);
    if (P(50)) q.types.push_back(kEventTypes[R(kEventTypes.size())]);
  }
  q.backward = P(35);
  const bool paging = P(25);
  for (int i = 0; i < 1000; ++i) {
    auto next = CheckRead(q);
    if (!paging || !next) return;
    q.from = next;
  }
  PROP_CHECK(false, "read paging does not end");
}

void PropertyRun::OpScan() {
  ScanRequest q;
  const std::string org = PickOrg();
  switch (R(3)) {
    case 0:
      q.scope = org;
      break;
    case 1:
      q.scope = org + "/" + kStreamTypes[R(kStreamTypes.size())];
      break;
    default:
      q.scope = "#" + std::to_string(R(shards_));
      break;
  }
  const uint32_t shard = q.scope[0] == '#' ? static_cast<uint32_t>(std::stoul(q.scope.substr(1)))
                                           : shard_of_org_.at(org);
  q.from = P(50) ? 1 : 1 + R(log_[shard].next() + 2);
  q.count = P(50) ? static_cast<uint32_t>(1 + R(8)) : 100;
  if (P(20)) q.types.push_back(kEventTypes[R(kEventTypes.size())]);
  // Paging stops after a few pages: every page is checked on its own.
  const int pages = P(30) ? 30 : 1;
  for (int i = 0; i < pages; ++i) {
    const uint64_t from = q.from;
    auto next = CheckScan(q);
    if (!next || *next == from) return;
    q.from = *next;
  }
}

// Requests that break a rule or a limit: refused, and nothing commits (later positions
// and reads would show it).
void PropertyRun::OpInvalid() {
  AppendRequest r = NewSingle();
  AppendClause& c = r.clauses[0];
  StatusCode want = StatusCode::kInvalid;
  switch (R(9)) {
    case 0:  // a stream twice
      r.clauses.push_back(AppendClause(c));
      r.transaction = true;
      break;
    case 1:
      r = NewTxn();
      for (AppendClause& x : r.clauses) x.events.clear();
      break;
    case 2:
      r.clauses.push_back({PickStreamIn(OrgOf(c.stream)), Expected::Any(), NewEvents()});
      break;
    case 3:
      c.events[0].type = "bad type";
      break;
    case 4:
      c.events[0].id = Uuid{};
      break;
    case 5:
      r.idempotency_key = std::string(kMaxIdempotencyKeyBytes + 1, 'k');
      break;
    case 6:
      c.stream = OrgOf(c.stream) + "/bad type/1";
      break;
    case 7:
      c.stream = OrgOf(c.stream) + "/order/a\nb";
      break;
    default:
      c.events[0].metadata.assign(EngineLimits{}.max_metadata_bytes + 1, 'm');
      want = StatusCode::kTooLarge;
      break;
  }
  auto got = engine_->AppendSync(r);
  const std::string ctx = Describe(r) + " -> " + DescribeResult(got);
  Log(ctx);
  Count("invalid");
  ExpectError(got.status(), want, nullptr, ctx);
  ReadRequest q;
  q.stream = PickStream(50);
  q.count = kMaxReadCount + 1;
  ExpectError(engine_->Read(q).status(), StatusCode::kTooLarge, nullptr, "EREAD COUNT 10001");
  q.count = 10;
  q.types = {"bad type"};
  ExpectError(engine_->Read(q).status(), StatusCode::kInvalid, nullptr, "EREAD TYPES bad type");
  ScanRequest sq;
  sq.scope = "#" + std::to_string(shards_);
  ExpectError(engine_->Scan(sq).status(), StatusCode::kInvalid, nullptr, "ESCAN of no shard");
}

void PropertyRun::OpInfo(const std::string& stream) {
  auto got = engine_->Info(stream);
  const std::string ctx = "EINFO " + Esc(stream, 40) + " -> " + DescribeResult(got);
  Log(ctx);
  StreamInfo want = InfoOf(stream);
  PROP_CHECK(got.ok() && *got == want, ctx << "\n  want " << Describe(want));
}

void PropertyRun::OpList() {
  if (P(35)) {
    ListStreamsRequest q;
    q.scope = PickOrg();
    if (P(50)) q.scope += "/" + kStreamTypes[R(kStreamTypes.size())];
    if (P(50)) q.after = pool_[R(pool_.size())];
    q.count = P(50) ? static_cast<uint32_t>(1 + R(5)) : 100;
    const bool paging = P(40);
    for (int i = 0; i < 1000; ++i) {
      auto next = CheckListStreams(q);
      if (!paging || !next) return;
      q.after = *next;
    }
    PROP_CHECK(false, "stream listing does not end");
  }
  if (P(50)) return CheckTypes(PickOrg());
  CheckOrgs(P(50) ? std::string() : PickOrg(), P(30) ? 1 : 10000);
}

void PropertyRun::CheckTypes(const std::string& org) {
  std::set<std::string> want;
  for (const auto& [name, s] : streams_) {
    if (!s.known || OrgOf(name) != org) continue;
    std::string ot = OrgTypeOf(name);
    want.insert(ot.substr(ot.find('/') + 1));
  }
  auto got = engine_->ListTypes(org);
  Log("ETYPES " + org + " -> " +
      (got.ok() ? std::to_string(got->size()) : got.status().ToString()));
  PROP_CHECK(got.ok(), "ETYPES " << org << ": " << got.status().ToString());
  std::set<std::string> have(got->begin(), got->end());
  PROP_CHECK(have == want && have.size() == got->size(),
             "ETYPES " << org << ": got " << got->size() << " want " << want.size());
}

void PropertyRun::CheckOrgs(const std::string& after, uint32_t count) {
  std::set<std::string> orgs;
  for (const auto& [name, s] : streams_) {
    if (s.known) orgs.insert(OrgOf(name));
  }
  std::vector<std::string> want;
  for (const std::string& o : orgs) {
    if (o > after && want.size() < count) want.push_back(o);
  }
  auto got = engine_->ListOrgs(after, count);
  Log("EORGS after " + after + " count " + std::to_string(count));
  PROP_CHECK(got.ok(), "EORGS: " << got.status().ToString());
  PROP_CHECK(*got == want, "EORGS after " << after << " count " << count << ": got " << got->size()
                                          << " want " << want.size());
}

// Several writes in flight at once: one shard handles its queue in order, so the model
// settles them in submission order. Covers group commit and idempotent retries that
// arrive while the first is still in flight.
std::vector<std::unique_ptr<PendingWrite>> PropertyRun::NewPipeline() {
  std::vector<std::unique_ptr<PendingWrite>> ops;
  const size_t n = 2 + R(7);
  const AppendRequest* keyed = nullptr;
  for (size_t i = 0; i < n; ++i) {
    auto p = std::make_unique<PendingWrite>();
    const uint64_t pick = R(12);
    if (keyed != nullptr && pick < 3) {
      p->append = *keyed;  // a retry while the first is in flight
      if (pick == 0) Mutate(&p->append);
      Count("in-flight retry");
    } else if (pick < 6) {
      p->append = P(70) ? NewSingle() : NewTxn();
    } else if (pick < 8) {
      p->append = NewKeyed();
    } else if (pick < 9) {
      p->append = RetrySame();
    } else if (pick < 10) {
      p->kind = PendingWrite::kDelete;
      p->del = NewDelete();
    } else {
      p->kind = PendingWrite::kTrim;
      p->trim = NewTrim();
    }
    if (p->kind == PendingWrite::kAppend && !p->append.idempotency_key.empty()) {
      keyed = &p->append;
    }
    ops.push_back(std::move(p));
  }
  return ops;
}

void PropertyRun::OpPipeline() {
  std::vector<std::unique_ptr<PendingWrite>> ops = NewPipeline();
  Log("pipeline of " + std::to_string(ops.size()));
  for (auto& p : ops) {
    PendingWrite* raw = p.get();
    auto changed = [raw](Result<StreamInfo> r) { raw->changed.set_value(std::move(r)); };
    if (p->kind == PendingWrite::kAppend) {
      engine_->Append(p->append,
                      [raw](Result<AppendResult> r) { raw->appended.set_value(std::move(r)); });
    } else if (p->kind == PendingWrite::kDelete) {
      engine_->Delete(p->del, changed);
    } else {
      engine_->Trim(p->trim, changed);
    }
  }
  std::vector<std::future<Result<AppendResult>>> appended;
  std::vector<std::future<Result<StreamInfo>>> changed;
  for (auto& p : ops) {
    appended.push_back(p->appended.get_future());
    changed.push_back(p->changed.get_future());
  }
  // Once the first write is acknowledged, a read while the others are in flight sees the
  // state after some prefix of them that includes the first, and a scan sees a gap-free
  // prefix of the final log.
  const PendingWrite& first = *ops[0];
  ReadRequest rq;
  rq.count = kMaxReadCount;
  if (first.kind == PendingWrite::kAppend) {
    rq.stream = first.append.clauses[0].stream;
    appended[0].wait();
  } else {
    rq.stream = first.kind == PendingWrite::kDelete ? first.del.stream : first.trim.stream;
    changed[0].wait();
  }
  const uint32_t shard = ShardOf(rq.stream);
  ScanRequest sq;
  sq.scope = "#" + std::to_string(shard);
  sq.from = log_[shard].log.size() > 20 ? log_[shard].log.size() - 20 : 1;
  sq.count = kMaxReadCount;
  auto read = engine_->Read(rq);
  auto scan = engine_->Scan(sq);
  // Every answer arrives before any check can end the run and free the promises.
  for (size_t i = 0; i < ops.size(); ++i) {
    ops[i]->kind == PendingWrite::kAppend ? appended[i].wait() : changed[i].wait();
  }
  bool read_matched = false;
  for (size_t i = 0; i < ops.size(); ++i) {
    PendingWrite& p = *ops[i];
    if (p.kind == PendingWrite::kAppend) {
      SettleAppend(p.append, appended[i].get());
    } else if (p.kind == PendingWrite::kDelete) {
      SettleDelete(p.del, changed[i].get());
    } else {
      SettleTrim(p.trim, changed[i].get());
    }
    if (!read_matched && ReadIsCurrent(rq, read)) {
      read_matched = true;
      Count(i + 1 < ops.size() ? "pipeline read saw some" : "pipeline read saw all");
    }
  }
  PROP_CHECK(read_matched,
             "a read of " << Esc(rq.stream, 40) << " during the pipeline got "
                          << (read.ok() ? std::to_string(read->events.size()) +
                                              " events, version " + std::to_string(read->version)
                                        : read.status().ToString())
                          << ": no state after the first acknowledged write");
  PROP_CHECK(scan.ok(), "scan during the pipeline: " << scan.status().ToString());
  for (size_t i = 0; i < scan->events.size(); ++i) {
    const uint64_t p = sq.from + i;
    PROP_CHECK(p <= log_[shard].log.size() && SameEvent(scan->events[i], log_[shard].log[p - 1]),
               "scan during the pipeline, event " << i << ": " << Describe(scan->events[i]));
  }
}

// Every stream, shard and listing against the model; with `verify`, the chains too.
void PropertyRun::Sweep(bool verify) {
  Log("sweep");
  for (const std::string& s : pool_) {
    OpInfo(s);
    ReadRequest q;
    q.stream = s;
    q.count = kMaxReadCount;
    CheckRead(q);
  }
  for (uint32_t shard = 0; shard < shards_; ++shard) {
    ScanRequest q;
    q.scope = "#" + std::to_string(shard);
    q.count = kMaxReadCount;
    CheckScan(q);
    const MShard& sh = log_[shard];
    PROP_CHECK(engine_->Stats().shards[shard].next_position == sh.next(),
               "stats next_position of shard " << shard);
    if (!verify) continue;
    auto v = engine_->Verify({shard, 1, UINT64_MAX});
    PROP_CHECK(v.ok() && v->ok && v->checked == sh.log.size() && !v->first_bad_position,
               "EVERIFY #" << shard << ": "
                           << (v.ok() ? v->detail + " checked " + std::to_string(v->checked)
                                      : v.status().ToString())
                           << " want " << sh.log.size());
    if (!sh.log.empty() && sh.log.back().hash) {
      PROP_CHECK(v->head_hash == *sh.log.back().hash, "EVERIFY #" << shard << " head hash");
    }
  }
  for (const std::string& org : orgs_) {
    CheckListStreams({org, "", kMaxReadCount});
    CheckTypes(org);
  }
  CheckOrgs("", 10000);
}

void PropertyRun::Reopen() {
  Log("reopen");
  Count("reopen");
  engine_.reset();
  Open(false);
  Sweep(true);
}

void PropertyRun::Step() {
  const uint64_t x = R(1000);
  if (x < 220) return OpAppend(NewSingle());
  if (x < 315) return OpAppend(NewTxn());
  if (x < 325) return OpAppend(NewTxn(orgs_.size() > 1));
  if (x < 330) return OpInvalid();
  if (x < 410) return OpAppend(NewKeyed());
  if (x < 470) return OpAppend(RetrySame());
  if (x < 500) return OpAppend(RetryDifferent());
  if (x < 550) return OpDelete(NewDelete());
  if (x < 590) return OpTrim(NewTrim());
  if (x < 760) return OpRead();
  if (x < 850) return OpScan();
  if (x < 890) return OpInfo(PickStream(60));
  if (x < 930) return OpList();
  if (x < 994) return OpPipeline();
  if (x < 997) return Sweep(false);
  return Reopen();
}

void PropertyRun::Execute() {
  shards_ = static_cast<uint32_t>(2 + R(3));
  orgs_.assign(kOrgs.begin(), kOrgs.begin() + (P(50) ? 2 : 3));
  for (const std::string& org : orgs_) {
    for (const std::string& type : kStreamTypes) {
      for (const std::string& id : kIds) pool_.push_back(org + "/" + type + "/" + id);
    }
  }
  log_.resize(shards_);
  Open(true);
  for (op_ = 0; op_ < ops_; ++op_) Step();
  Reopen();
  // Large events should have rolled segments over.
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir_.Sub("data"))) {
    if (f.path().parent_path().filename() == "log") Count("segment files");
  }
}

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 0) : fallback;
}

TEST(PropertyTest, RandomOperationsMatchTheModel) {
  std::vector<uint64_t> seeds;
  if (std::getenv("CAIRN_SEED") != nullptr) {
    seeds.push_back(EnvU64("CAIRN_SEED", 0));
  } else {
    std::random_device rd;
    for (int i = 0; i < kDefaultRuns; ++i) seeds.push_back((uint64_t{rd()} << 32) | rd());
  }
  const int ops = static_cast<int>(EnvU64("CAIRN_PROPERTY_OPS", kDefaultOpsPerRun));
  for (uint64_t seed : seeds) {
    SCOPED_TRACE("replay with CAIRN_SEED=" + std::to_string(seed));
    PropertyRun run(seed, ops);
    try {
      run.Execute();
    } catch (const Discrepancy& d) {
      ADD_FAILURE() << "CAIRN_SEED=" << seed << " (" << run.shards() << " shards), operation "
                    << run.op() << ":\n"
                    << d.what << "\nrecent operations, oldest first:\n"
                    << run.History();
      return;
    }
    std::printf("property: CAIRN_SEED=%llu: %d operations, %u shards, ok; covered: %s\n",
                static_cast<unsigned long long>(seed), ops, run.shards(), run.Summary().c_str());
  }
}

}  // namespace
}  // namespace cairn
