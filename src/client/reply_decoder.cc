#include "client/reply_decoder.h"

#include <charconv>
#include <limits>

namespace cairn::client {
namespace {

Status Bad(std::string_view what, std::string_view field, const RespValue* got) {
  std::string m = "reply does not match the contract: " + std::string(what);
  if (!field.empty()) m += " field '" + std::string(field) + "'";
  m += got == nullptr ? " is missing" : " is a " + std::string(RespTypeName(got->type));
  return Status::Corruption(std::move(m));
}

// Reads the fields of one map-like reply; remembers the first problem.
class MapReader {
 public:
  MapReader(const RespValue& v, std::string_view what) : v_(v), what_(what) {
    if (v.type != RespType::kMap && v.type != RespType::kArray) status_ = Bad(what, "", &v);
  }

  const RespValue* Field(std::string_view key) {
    if (!status_.ok()) return nullptr;
    const RespValue* f = v_.Find(key);
    if (f == nullptr) status_ = Bad(what_, key, nullptr);
    return f;
  }

  template <typename T>
  void Uint(std::string_view key, T* out) {
    const RespValue* f = Field(key);
    if (f != nullptr) AsUint(key, *f, out);
  }

  template <typename T>
  void OptionalUint(std::string_view key, std::optional<T>* out) {
    const RespValue* f = Field(key);
    if (f == nullptr) return;
    if (f->IsNull()) {
      out->reset();
      return;
    }
    T x{};
    if (AsUint(key, *f, &x)) *out = x;
  }

  void String(std::string_view key, std::string* out) {
    const RespValue* f = Field(key);
    if (f == nullptr) return;
    if (f->IsString()) {
      *out = f->str;
    } else {
      status_ = Bad(what_, key, f);
    }
  }

  void Bool(std::string_view key, bool* out) {
    const RespValue* f = Field(key);
    if (f == nullptr) return;
    if ((f->type == RespType::kBoolean || f->type == RespType::kInteger) &&
        (f->integer == 0 || f->integer == 1)) {
      *out = f->integer == 1;
    } else {
      status_ = Bad(what_, key, f);
    }
  }

  const RespValue* Array(std::string_view key) {
    const RespValue* f = Field(key);
    if (f != nullptr && f->type != RespType::kArray && f->type != RespType::kSet) {
      status_ = Bad(what_, key, f);
      return nullptr;
    }
    return f;
  }

  void Fail(Status s) {
    if (status_.ok()) status_ = std::move(s);
  }
  const Status& status() const { return status_; }

 private:
  template <typename T>
  bool AsUint(std::string_view key, const RespValue& f, T* out) {
    uint64_t x = 0;
    bool ok = false;
    if (f.type == RespType::kInteger) {
      ok = f.integer >= 0;
      x = static_cast<uint64_t>(f.integer);
    } else if (f.IsString() || f.type == RespType::kBigNumber) {  // tolerant of text numbers
      auto [p, ec] = std::from_chars(f.str.data(), f.str.data() + f.str.size(), x);
      ok = ec == std::errc() && p == f.str.data() + f.str.size() && !f.str.empty();
    }
    if (!ok || x > std::numeric_limits<T>::max()) {
      status_ = Bad(what_, key, &f);
      return false;
    }
    *out = static_cast<T>(x);
    return true;
  }

  const RespValue& v_;
  std::string_view what_;
  Status status_;
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseHash(std::string_view hex, std::array<uint8_t, 32>* out) {
  if (hex.size() != 64) return false;
  for (size_t i = 0; i < 32; ++i) {
    int hi = HexDigit(hex[2 * i]);
    int lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

Status DecodeEvents(MapReader& m, std::vector<RecordedEvent>* out) {
  const RespValue* events = m.Array("events");
  if (events == nullptr) return m.status();
  out->reserve(events->elements.size());
  for (const RespValue& e : events->elements) {
    auto r = DecodeEvent(e);
    if (!r.ok()) return r.status();
    out->push_back(std::move(r).value());
  }
  return Status::Ok();
}

}  // namespace

Result<AppendResult> DecodeAppend(const RespValue& v, bool transaction) {
  MapReader m(v, transaction ? "ETXN reply" : "EAPPEND reply");
  AppendResult r;
  m.Uint("shard", &r.shard);
  m.Uint("first_position", &r.first_position);
  m.Uint("last_position", &r.last_position);
  m.Uint("timestamp", &r.timestamp_ms);
  m.Bool("duplicate", &r.duplicate);
  if (!transaction) {
    StreamRange s;
    m.String("stream", &s.stream);
    m.Uint("first_version", &s.first_version);
    m.Uint("last_version", &s.last_version);
    r.streams.push_back(std::move(s));
  } else if (const RespValue* streams = m.Array("streams")) {
    for (const RespValue& e : streams->elements) {
      MapReader sm(e, "ETXN reply streams entry");
      StreamRange s;
      sm.String("stream", &s.stream);
      sm.Uint("first_version", &s.first_version);
      sm.Uint("last_version", &s.last_version);
      if (!sm.status().ok()) return sm.status();
      r.streams.push_back(std::move(s));
    }
  }
  if (!m.status().ok()) return m.status();
  return r;
}

Result<RecordedEvent> DecodeEvent(const RespValue& v) {
  MapReader m(v, "event");
  RecordedEvent e;
  m.String("stream", &e.stream);
  m.Uint("version", &e.version);
  m.Uint("shard", &e.shard);
  m.Uint("position", &e.position);
  std::string id;
  m.String("id", &id);
  m.String("type", &e.type);
  m.Uint("timestamp", &e.timestamp_ms);
  m.String("data", &e.data);
  m.String("metadata", &e.metadata);
  if (!m.status().ok()) return m.status();
  auto uuid = Uuid::Parse(id);
  if (!uuid) return Status::Corruption("reply does not match the contract: event id '" + id + "'");
  e.id = *uuid;
  const RespValue* hash = v.Find("hash");
  if (hash != nullptr && !hash->IsNull() && !(hash->IsString() && ParseHash(hash->str, &e.hash))) {
    return Bad("event", "hash", hash);
  }
  if (const RespValue* shredded = v.Find("shredded"); shredded != nullptr) {
    if (shredded->type != RespType::kBoolean && shredded->type != RespType::kInteger) {
      return Bad("event", "shredded", shredded);
    }
    e.shredded = shredded->integer == 1;
  }
  return e;
}

Result<ReadResult> DecodeRead(const RespValue& v) {
  MapReader m(v, "EREAD reply");
  ReadResult r;
  m.OptionalUint("next", &r.next);
  m.Uint("version", &r.version);
  CAIRN_RETURN_IF_ERROR(DecodeEvents(m, &r.events));
  if (!m.status().ok()) return m.status();
  return r;
}

Result<ScanResult> DecodeScan(const RespValue& v) {
  MapReader m(v, "ESCAN reply");
  ScanResult r;
  m.OptionalUint("next", &r.next);
  m.Uint("shard", &r.shard);
  CAIRN_RETURN_IF_ERROR(DecodeEvents(m, &r.events));
  if (!m.status().ok()) return m.status();
  return r;
}

Result<StreamInfo> DecodeInfo(const RespValue& v) {
  MapReader m(v, "EINFO reply");
  StreamInfo info;
  m.String("stream", &info.stream);
  m.Uint("version", &info.version);
  m.Uint("first_version", &info.first_version);
  m.Uint("shard", &info.shard);
  m.Uint("created", &info.created_ms);
  m.Uint("updated", &info.updated_ms);
  std::string deleted;
  m.String("deleted", &deleted);
  if (!m.status().ok()) return m.status();
  if (deleted == "false") {
    info.deleted = DeletedState::kNone;
  } else if (deleted == "soft") {
    info.deleted = DeletedState::kSoft;
  } else if (deleted == "hard") {
    info.deleted = DeletedState::kHard;
  } else {
    return Status::Corruption("reply does not match the contract: deleted is '" + deleted + "'");
  }
  return info;
}

Result<VerifyResult> DecodeVerify(const RespValue& v) {
  MapReader m(v, "EVERIFY reply");
  VerifyResult r;
  m.Bool("ok", &r.ok);
  m.Uint("checked", &r.checked);
  std::string head;
  m.String("head_hash", &head);
  m.OptionalUint("first_bad_position", &r.first_bad_position);
  m.OptionalUint("first_bad_segment", &r.first_bad_segment);
  m.OptionalUint("first_bad_offset", &r.first_bad_offset);
  if (!m.status().ok()) return m.status();
  if (!ParseHash(head, &r.head_hash)) {
    return Status::Corruption("reply does not match the contract: head_hash is not 64 hex digits");
  }
  if (const RespValue* d = v.Find("detail"); d != nullptr && d->IsString()) r.detail = d->str;
  return r;
}

Result<uint32_t> DecodeInfoShards(const RespValue& v) {
  if (!v.IsString()) return Bad("INFO reply", "", &v);
  constexpr std::string_view kKey = "\nshards:";
  size_t at = v.str.find(kKey);
  if (at == std::string::npos) return Bad("INFO reply", "shards", nullptr);
  const char* p = v.str.data() + at + kKey.size();
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(p, v.str.data() + v.str.size(), n);
  if (ec != std::errc() || end == p || n == 0) return Bad("INFO reply", "shards", &v);
  return n;
}

Result<ListStreamsResult> DecodeStreams(const RespValue& v) {
  MapReader m(v, "ESTREAMS reply");
  ListStreamsResult r;
  if (const RespValue* names = m.Array("streams")) {
    auto s = DecodeStrings(*names);
    if (!s.ok()) return s.status();
    r.streams = std::move(s).value();
  }
  if (const RespValue* next = m.Field("next"); next != nullptr && !next->IsNull()) {
    if (!next->IsString()) return Bad("ESTREAMS reply", "next", next);
    r.next = next->str;
  }
  if (!m.status().ok()) return m.status();
  return r;
}

Result<std::vector<std::string>> DecodeStrings(const RespValue& v) {
  if (v.type != RespType::kArray && v.type != RespType::kSet) return Bad("list reply", "", &v);
  std::vector<std::string> out;
  out.reserve(v.elements.size());
  for (const RespValue& e : v.elements) {
    if (!e.IsString()) return Bad("list reply", "element", &e);
    out.push_back(e.str);
  }
  return out;
}

Result<uint64_t> DecodeUint(const RespValue& v, std::string_view what) {
  if (v.type != RespType::kInteger || v.integer < 0) return Bad(what, "", &v);
  return static_cast<uint64_t>(v.integer);
}

Result<bool> DecodeFlag(const RespValue& v, std::string_view what) {
  if ((v.type != RespType::kInteger && v.type != RespType::kBoolean) ||
      (v.integer != 0 && v.integer != 1)) {
    return Bad(what, "", &v);
  }
  return v.integer == 1;
}

Result<std::vector<GroupCursor>> DecodeGroupList(const RespValue& v) {
  if (v.type != RespType::kArray && v.type != RespType::kSet) {
    return Bad("EGROUP LIST reply", "", &v);
  }
  std::vector<GroupCursor> out;
  out.reserve(v.elements.size());
  for (const RespValue& e : v.elements) {
    MapReader m(e, "EGROUP LIST entry");
    GroupCursor g;
    m.String("group", &g.group);
    m.String("scope", &g.scope);
    m.Uint("cursor", &g.cursor);
    if (!m.status().ok()) return m.status();
    out.push_back(std::move(g));
  }
  return out;
}

Result<WatchFrame> DecodeWatchFrame(const RespValue& v,
                                    const std::unordered_map<uint64_t, bool>& stream_scopes) {
  constexpr std::string_view kWhat = "watch frame";
  if (v.type != RespType::kPush || v.elements.size() != 3) return Bad(kWhat, "", &v);
  const RespValue& kind = v.elements[0];
  WatchFrame f;
  if (kind.IsString() && kind.str == "event") {
    f.kind = WatchFrame::Kind::kEvent;
  } else if (kind.IsString() && kind.str == "live") {
    f.kind = WatchFrame::Kind::kLive;
  } else {
    return Bad(kWhat, "kind", &kind);
  }
  auto id = DecodeUint(v.elements[1], "watch frame subscription id");
  if (!id.ok()) return id.status();
  f.subscription = *id;
  auto scope = stream_scopes.find(f.subscription);
  if (scope == stream_scopes.end()) {
    return Status::Corruption("watch frame of subscription " + std::to_string(f.subscription) +
                              ", which is not open");
  }
  if (f.kind == WatchFrame::Kind::kLive) {
    auto cursor = DecodeUint(v.elements[2], "live frame cursor");
    if (!cursor.ok()) return cursor.status();
    f.cursor = *cursor;
    return f;
  }
  auto e = DecodeEvent(v.elements[2]);
  if (!e.ok()) return e.status();
  f.event = std::move(e).value();
  f.cursor = scope->second ? f.event.version : f.event.position;
  return f;
}

}  // namespace cairn::client
