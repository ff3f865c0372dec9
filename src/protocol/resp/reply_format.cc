#include "protocol/resp/reply_format.h"

#include "base/hash.h"

namespace cairn::resp {

std::string HexHash(const std::array<uint8_t, 32>& hash) { return HashToHex(hash); }

void WriteStatus(ReplyWriter& w, const Status& status) {
  w.Error(StatusCodeName(status.code()), status.message());
}

void WriteAppend(ReplyWriter& w, const AppendResult& r, bool transaction) {
  if (!transaction) {
    const StreamRange& s = r.streams.front();
    w.Map(8);
    w.KeyBulk("stream", s.stream);
    w.KeyInt("first_version", static_cast<int64_t>(s.first_version));
    w.KeyInt("last_version", static_cast<int64_t>(s.last_version));
    w.KeyInt("shard", r.shard);
  } else {
    w.Map(6);
    w.KeyInt("shard", r.shard);
  }
  w.KeyInt("first_position", static_cast<int64_t>(r.first_position));
  w.KeyInt("last_position", static_cast<int64_t>(r.last_position));
  w.KeyInt("timestamp", static_cast<int64_t>(r.timestamp_ms));
  w.KeyBool("duplicate", r.duplicate);
  if (transaction) {
    w.Bulk("streams");
    w.Array(r.streams.size());
    for (const StreamRange& s : r.streams) {
      w.Map(3);
      w.KeyBulk("stream", s.stream);
      w.KeyInt("first_version", static_cast<int64_t>(s.first_version));
      w.KeyInt("last_version", static_cast<int64_t>(s.last_version));
    }
  }
}

void WriteEvent(ReplyWriter& w, const RecordedEvent& e, bool with_hash) {
  w.Map((with_hash ? 10 : 9) + (e.shredded ? 1 : 0));
  w.KeyBulk("stream", e.stream);
  w.KeyInt("version", static_cast<int64_t>(e.version));
  w.KeyInt("shard", e.shard);
  w.KeyInt("position", static_cast<int64_t>(e.position));
  w.KeyBulk("id", e.id.ToString());
  w.KeyBulk("type", e.type);
  w.KeyInt("timestamp", static_cast<int64_t>(e.timestamp_ms));
  w.KeyBulk("data", e.data);
  w.KeyBulk("metadata", e.metadata);
  if (with_hash) w.KeyBulk("hash", HexHash(e.hash));
  if (e.shredded) w.KeyBool("shredded", true);
}

namespace {

void WriteEvents(ReplyWriter& w, const std::vector<RecordedEvent>& events, bool with_hash) {
  w.Bulk("events");
  w.Array(events.size());
  for (const RecordedEvent& e : events) WriteEvent(w, e, with_hash);
}

void WriteNext(ReplyWriter& w, const std::optional<uint64_t>& next) {
  w.Bulk("next");
  if (next) {
    w.Int(static_cast<int64_t>(*next));
  } else {
    w.Null();
  }
}

}  // namespace

void WriteRead(ReplyWriter& w, const ReadResult& r, bool with_hash) {
  w.Map(3);
  WriteEvents(w, r.events, with_hash);
  WriteNext(w, r.next);
  w.KeyInt("version", static_cast<int64_t>(r.version));
}

void WriteScan(ReplyWriter& w, const ScanResult& r, bool with_hash) {
  w.Map(3);
  WriteEvents(w, r.events, with_hash);
  WriteNext(w, r.next);
  w.KeyInt("shard", r.shard);
}

void WriteInfo(ReplyWriter& w, const StreamInfo& info) {
  w.Map(7);
  w.KeyBulk("stream", info.stream);
  w.KeyInt("version", static_cast<int64_t>(info.version));
  w.KeyInt("first_version", static_cast<int64_t>(info.first_version));
  w.KeyInt("shard", info.shard);
  w.KeyInt("created", static_cast<int64_t>(info.created_ms));
  w.KeyInt("updated", static_cast<int64_t>(info.updated_ms));
  w.KeyBulk("deleted", DeletedStateName(info.deleted));
}

void WriteStreams(ReplyWriter& w, const ListStreamsResult& r) {
  w.Map(2);
  w.Bulk("streams");
  WriteStrings(w, r.streams);
  w.Bulk("next");
  if (r.next) {
    w.Bulk(*r.next);
  } else {
    w.Null();
  }
}

void WriteStrings(ReplyWriter& w, const std::vector<std::string>& items) {
  w.Array(items.size());
  for (const std::string& s : items) w.Bulk(s);
}

void WriteVerify(ReplyWriter& w, const VerifyResult& r) {
  w.Map(r.detail.empty() ? 6 : 7);
  w.KeyBool("ok", r.ok);
  w.KeyInt("checked", static_cast<int64_t>(r.checked));
  w.KeyBulk("head_hash", HexHash(r.head_hash));
  auto optional_int = [&w](const char* key, const std::optional<uint64_t>& v) {
    w.Bulk(key);
    if (v) {
      w.Int(static_cast<int64_t>(*v));
    } else {
      w.Null();
    }
  };
  optional_int("first_bad_position", r.first_bad_position);
  optional_int("first_bad_segment", r.first_bad_segment);
  optional_int("first_bad_offset", r.first_bad_offset);
  if (!r.detail.empty()) w.KeyBulk("detail", r.detail);
}

}  // namespace cairn::resp
