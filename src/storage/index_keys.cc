#include "storage/index_keys.h"

#include "base/coding.h"

namespace cairn::index {

std::string CheckpointKey() { return std::string(1, kCheckpointTag); }

std::string MetaMarkKey() { return std::string(1, kMetaMarkTag); }

std::string StreamKey(std::string_view stream) {
  std::string k(1, kStreamTag);
  k.append(stream);
  return k;
}

std::string RunKey(uint64_t stream_id, uint64_t first_version) {
  std::string k(1, kRunTag);
  PutBigEndian64(&k, stream_id);
  PutBigEndian64(&k, first_version);
  return k;
}

std::string PositionKey(uint64_t first_position) {
  std::string k(1, kPositionTag);
  PutBigEndian64(&k, first_position);
  return k;
}

static std::string ScopeKey(char tag, std::string_view scope, uint64_t pos) {
  std::string k(1, tag);
  k.append(scope);
  k.push_back('\0');
  PutBigEndian64(&k, pos);
  return k;
}

std::string OrgScopeKey(std::string_view org, uint64_t p) { return ScopeKey(kOrgScopeTag, org, p); }
std::string TypeScopeKey(std::string_view ot, uint64_t p) { return ScopeKey(kTypeScopeTag, ot, p); }

std::string OrgKey(std::string_view org) {
  std::string k(1, kOrgTag);
  k.append(org);
  return k;
}

std::string TypeKey(std::string_view org, std::string_view type) {
  std::string k(1, kTypeTag);
  k.append(org);
  k.push_back('\0');
  k.append(type);
  return k;
}

std::string IdemKey(std::string_view org, std::string_view key) {
  std::string k(1, kIdemTag);
  k.append(org);
  k.push_back('\0');
  k.append(key);
  return k;
}

std::string GroupKey(std::string_view scope, std::string_view group) {
  std::string k(1, kGroupTag);
  k.append(scope);
  k.push_back('\0');
  k.append(group);
  return k;
}

std::string SchemaKey(std::string_view org, std::string_view type, const SchemaVersion& v) {
  std::string k(1, kSchemaTag);
  k.append(org);
  k.push_back('\0');
  k.append(type);
  k.push_back('\0');
  PutBigEndian32(&k, v.major);
  PutBigEndian32(&k, v.minor);
  PutBigEndian32(&k, v.patch);
  return k;
}

bool ParseSchemaKey(std::string_view key, std::string* org, std::string* type, SchemaVersion* v) {
  if (key.size() < 1 + 2 + 12 || key[0] != kSchemaTag) return false;
  std::string_view names = key.substr(1, key.size() - 1 - 12);
  size_t zero = names.find('\0');
  if (zero == std::string_view::npos || names.back() != '\0') return false;
  *org = std::string(names.substr(0, zero));
  *type = std::string(names.substr(zero + 1, names.size() - zero - 2));
  const char* p = key.data() + key.size() - 12;
  v->major = DecodeBigEndian32(p);
  v->minor = DecodeBigEndian32(p + 4);
  v->patch = DecodeBigEndian32(p + 8);
  return !org->empty() && !type->empty() && type->find('\0') == std::string::npos;
}

std::string ExpiryKey(uint64_t expiry_ms, std::string_view org, std::string_view key) {
  std::string k(1, kExpiryTag);
  PutBigEndian64(&k, expiry_ms);
  k.append(org);
  k.push_back('\0');
  k.append(key);
  return k;
}

uint64_t KeySuffix64(std::string_view key) {
  return key.size() < 8 ? 0 : DecodeBigEndian64(key.data() + key.size() - 8);
}

void AppendLocation(std::string* list, const Location& l) {
  if (list->empty()) PutFixed32(list, 0);
  EncodeFixed32(list->data(), DecodeFixed32(list->data()) + 1);
  PutFixed32(list, l.segment_id);
  PutFixed32(list, l.offset);
  PutFixed32(list, l.length);
}

std::optional<std::vector<Location>> DecodeLocations(std::string_view v) {
  Decoder d(v);
  uint32_t n = d.Get32();
  if (!d.ok() || d.remaining() != static_cast<size_t>(n) * 12) return std::nullopt;
  std::vector<Location> out(n);
  for (Location& l : out) {
    l.segment_id = d.Get32();
    l.offset = d.Get32();
    l.length = d.Get32();
  }
  return out;
}

std::string EncodeCheckpoint(const Checkpoint& c) {
  std::string v;
  PutFixed64(&v, c.next_position);
  PutFixed64(&v, c.segment_id);
  PutFixed64(&v, c.end_offset);
  v.append(reinterpret_cast<const char*>(c.chain_head.data()), 32);
  PutFixed64(&v, c.next_stream_id);
  PutFixed64(&v, c.last_timestamp_ms);
  return v;
}

std::optional<Checkpoint> DecodeCheckpoint(std::string_view v) {
  Decoder d(v);
  Checkpoint c;
  c.next_position = d.Get64();
  c.segment_id = d.Get64();
  c.end_offset = d.Get64();
  std::string_view h = d.GetBytes(32);
  if (h.size() == 32) std::memcpy(c.chain_head.data(), h.data(), 32);
  c.next_stream_id = d.Get64();
  c.last_timestamp_ms = d.Get64();
  if (!d.ok() || d.remaining() != 0) return std::nullopt;
  return c;
}

std::string EncodeStreamMeta(const StreamMeta& m) {
  std::string v;
  PutFixed64(&v, m.stream_id);
  PutFixed64(&v, m.version);
  PutFixed64(&v, m.first_readable);
  PutFixed64(&v, m.created_ms);
  PutFixed64(&v, m.updated_ms);
  v.push_back(static_cast<char>(m.deleted));
  return v;
}

std::optional<StreamMeta> DecodeStreamMeta(std::string_view v) {
  Decoder d(v);
  StreamMeta m;
  m.stream_id = d.Get64();
  m.version = d.Get64();
  m.first_readable = d.Get64();
  m.created_ms = d.Get64();
  m.updated_ms = d.Get64();
  uint8_t del = d.Get8();
  if (!d.ok() || d.remaining() != 0 || del > 2) return std::nullopt;
  m.deleted = static_cast<DeletedState>(del);
  return m;
}

std::string EncodeLocation(const Location& l) {
  std::string v;
  PutFixed32(&v, l.segment_id);
  PutFixed32(&v, l.offset);
  PutFixed32(&v, l.length);
  return v;
}

std::optional<Location> DecodeLocation(std::string_view v) {
  Decoder d(v);
  Location l;
  l.segment_id = d.Get32();
  l.offset = d.Get32();
  l.length = d.Get32();
  if (!d.ok() || d.remaining() != 0) return std::nullopt;
  return l;
}

std::string EncodeRun(const Run& r) {
  std::string v;
  PutFixed64(&v, r.first_position);
  PutFixed32(&v, r.count);
  v += EncodeLocation(r.entries);
  PutFixed64(&v, r.updated_ms);
  return v;
}

std::optional<Run> DecodeRun(std::string_view v) {
  if (v.size() != 24 && v.size() != 32) return std::nullopt;
  Run r;
  r.first_position = DecodeFixed64(v.data());
  r.count = DecodeFixed32(v.data() + 8);
  auto l = DecodeLocation(v.substr(12, 12));
  if (!l) return std::nullopt;
  r.entries = *l;
  if (v.size() == 32) r.updated_ms = DecodeFixed64(v.data() + 24);
  return r;
}

std::string EncodeIdempotency(const IdempotencyEntry& e) {
  std::string v;
  PutFixed64(&v, e.expiry_ms);
  v.append(reinterpret_cast<const char*>(e.fingerprint.data()), 16);
  PutFixed32(&v, e.result.shard);
  PutFixed64(&v, e.result.first_position);
  PutFixed64(&v, e.result.last_position);
  PutFixed64(&v, e.result.timestamp_ms);
  PutFixed32(&v, static_cast<uint32_t>(e.result.streams.size()));
  for (const StreamRange& s : e.result.streams) {
    PutFixed16(&v, static_cast<uint16_t>(s.stream.size()));
    v.append(s.stream);
    PutFixed64(&v, s.first_version);
    PutFixed64(&v, s.last_version);
  }
  return v;
}

std::optional<IdempotencyEntry> DecodeIdempotency(std::string_view v) {
  Decoder d(v);
  IdempotencyEntry e;
  e.expiry_ms = d.Get64();
  std::string_view fp = d.GetBytes(16);
  if (fp.size() == 16) std::memcpy(e.fingerprint.data(), fp.data(), 16);
  e.result.shard = d.Get32();
  e.result.first_position = d.Get64();
  e.result.last_position = d.Get64();
  e.result.timestamp_ms = d.Get64();
  uint32_t n = d.Get32();
  for (uint32_t i = 0; i < n && d.ok(); ++i) {
    StreamRange s;
    s.stream = std::string(d.GetBytes(d.Get16()));
    s.first_version = d.Get64();
    s.last_version = d.Get64();
    e.result.streams.push_back(std::move(s));
  }
  if (!d.ok() || d.remaining() != 0) return std::nullopt;
  return e;
}

}  // namespace cairn::index
