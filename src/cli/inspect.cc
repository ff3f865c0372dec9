#include "cli/inspect.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "io/file_system.h"
#include "protocol/http/encoding.h"
#include "protocol/http/json_writer.h"
#include "storage/format.h"
#include "storage/manifest.h"
#include "storage/record.h"
#include "storage/segment_reader.h"

namespace cairn::cli {
namespace {

constexpr size_t kShortHashChars = 16;  // hashes in text mode; --json has them in full

// Valid UTF-8 without control characters: shown as is; anything else as hex.
bool Printable(std::string_view bytes) {
  for (unsigned char c : bytes) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return http::IsValidUtf8(bytes);
}

std::string_view TypeName(format::RecordType t) {
  switch (t) {
    case format::RecordType::kEvents:
      return "events";
    case format::RecordType::kStreamState:
      return "stream_state";
    case format::RecordType::kGroupCursor:
      return "group_cursor";
    case format::RecordType::kSchema:
      return "schema";
  }
  return "unknown";
}

// Writes objects made of named fields either as text lines ("kind key value key value ...",
// nested objects on indented lines of their own) or as one JSON object per line. Each
// top-level object is written out when it is closed.
class Emitter {
 public:
  Emitter(bool json, std::FILE* out) : json_(json), out_(out), w_(&buf_) {}

  void Open(std::string_view kind) {
    if (json_) {
      w_.BeginObject();
      if (w_.depth() == 1) Str("kind", kind);
      return;
    }
    if (depth_ > 0) NewLine();
    buf_.append(kind);
    ++depth_;
  }
  void Close() {
    if (json_) {
      w_.EndObject();
      if (w_.depth() == 0) Flush();
      return;
    }
    if (--depth_ == 0) Flush();
  }
  // A list of nested objects.
  void List(std::string_view key) {
    if (json_) {
      w_.Key(key);
      w_.BeginArray();
    }
  }
  void EndList() {
    if (json_) w_.EndArray();
  }

  void Uint(std::string_view key, uint64_t v) {
    if (json_) {
      w_.Key(key);
      w_.Uint(v);
    } else {
      Text(key, std::to_string(v));
    }
  }
  void Str(std::string_view key, std::string_view v) {
    if (json_) {
      w_.Key(key);
      w_.String(v);
    } else {
      Text(key, v);
    }
  }
  void Bool(std::string_view key, bool v) {
    if (json_) {
      w_.Key(key);
      w_.Bool(v);
    } else {
      Text(key, v ? "yes" : "no");
    }
  }
  void Hash(std::string_view key, const Hash256& h, bool full = false) {
    std::string hex = HashToHex(h);
    Str(key, json_ || full ? hex : hex.substr(0, kShortHashChars));
  }
  // Bytes as text when printable, else as hex ("<key>_hex" in JSON, "hex:..." in text).
  // With `own_line`, text mode gives them an indented line of their own.
  void Bytes(std::string_view key, std::string_view v, bool own_line = false) {
    if (own_line && !json_) {
      NewLine();
      buf_.append(key);
      buf_.push_back(' ');
      buf_.append(Printable(v) ? std::string(v) : "hex:" + BytesToHex(v));
      return;
    }
    if (Printable(v)) return Str(key, v);
    if (json_) return Str(std::string(key) + "_hex", BytesToHex(v));
    Text(key, "hex:" + BytesToHex(v));
  }

 private:
  void Text(std::string_view key, std::string_view v) {
    buf_.push_back(' ');
    buf_.append(key);
    buf_.push_back(' ');
    buf_.append(v);
  }
  void NewLine() {
    buf_.push_back('\n');
    std::fwrite(buf_.data(), 1, buf_.size(), out_);
    buf_.clear();
    buf_.append(2 * depth_, ' ');
  }
  void Flush() {
    buf_.push_back('\n');
    std::fwrite(buf_.data(), 1, buf_.size(), out_);
    buf_.clear();
  }

  bool json_;
  std::FILE* out_;
  std::string buf_;
  http::JsonWriter w_;
  int depth_ = 0;  // text mode
};

std::string LogDir(const std::string& data_dir, uint32_t shard) {
  char dir[64];
  std::snprintf(dir, sizeof(dir), "/shard-%03u/log", shard);
  return data_dir + dir;
}

class SegmentInspector {
 public:
  SegmentInspector(const InspectOptions& o, SegmentReader* r, Emitter* e)
      : o_(o), r_(r), e_(e), head_(r->header().prev_hash) {}

  // Prints the header and the records; returns the exit code (0 or 1) or an I/O error.
  Result<int> Run() {
    const format::SegmentHeader& h = r_->header();
    e_->Open("segment");
    e_->Uint("shard", h.shard);
    e_->Uint("segment_id", h.segment_id);
    e_->Uint("first_position", h.first_position);
    e_->Hash("prev_hash", h.prev_hash, /*full=*/true);
    e_->Uint("format_version", h.version);
    e_->Str("file", r_->path());
    e_->Close();
    uint64_t offset = format::kSegmentHeaderSize;
    uint64_t printed = 0;
    for (;;) {
      if (o_.limit != 0 && printed == o_.limit) {
        e_->Open("limit");
        e_->Uint("records", printed);
        e_->Uint("next_offset", offset);
        Summary();
        e_->Close();
        return rc_;
      }
      CAIRN_ASSIGN_OR_RETURN(SegmentReader::Item item, r_->ReadRecord(offset));
      if (item.kind == SegmentReader::Item::Kind::kEnd) return End(offset);
      if (item.kind == SegmentReader::Item::Kind::kBad) return Bad(item, offset, item.error);
      if (Skip(item)) {
        offset = item.next_offset;
        continue;
      }
      std::string error = Record(item, offset);
      if (!error.empty()) return Bad(item, offset, error);
      ++printed;
      offset = item.next_offset;
    }
  }

 private:
  // Before --from-position: skipped, keeping the chain head at the last event passed.
  bool Skip(const SegmentReader::Item& item) {
    if (!o_.from_position) return false;
    const format::RecordHeader& h = item.header;
    if (h.type != format::RecordType::kEvents) return h.first_position < *o_.from_position;
    if (h.first_position + h.event_count > *o_.from_position) return false;
    auto view = DecodeEventsRecord(item.bytes);
    head_.reset();  // a record that does not decode leaves the chain unchecked
    if (view.ok() && !view->clauses.empty() && !view->clauses.back().entries.empty()) {
      head_ = view->clauses.back().entries.back().chain_hash;
    }
    return true;
  }

  void RecordHeader(const format::RecordHeader& h, uint64_t offset, bool crc_ok) {
    e_->Open("record");
    e_->Uint("offset", offset);
    e_->Uint("length", h.length);
    e_->Str("type", TypeName(h.type));
    e_->Str("crc", crc_ok ? "ok" : "BAD");
    e_->Str("time", http::FormatRfc3339Ms(h.timestamp_ms));
    e_->Uint("first_position", h.first_position);
    if (h.type == format::RecordType::kEvents) e_->Uint("event_count", h.event_count);
  }

  // Prints one record whose CRC checked out; returns why its body does not decode, if so.
  std::string Record(const SegmentReader::Item& item, uint64_t offset) {
    switch (item.header.type) {
      case format::RecordType::kEvents:
        return Decoded(DecodeEventsRecord(item.bytes), item.header, offset,
                       [&](const EventsRecordView& v) { Events(v); });
      case format::RecordType::kStreamState:
        return Decoded(DecodeStreamStateRecord(item.bytes), item.header, offset,
                       [&](const StreamStateView& v) {
                         e_->Str("stream", v.stream);
                         e_->Uint("stream_id", v.stream_id);
                         e_->Uint("version", v.version);
                         e_->Uint("first_readable", v.first_readable);
                         e_->Str("deleted", DeletedStateName(v.deleted));
                       });
      case format::RecordType::kGroupCursor:
        return Decoded(DecodeGroupCursorRecord(item.bytes), item.header, offset,
                       [&](const GroupCursorView& v) {
                         e_->Str("group", v.group);
                         e_->Str("scope", v.scope);
                         e_->Uint("cursor", v.cursor);
                         e_->Bool("deleted", v.deleted);
                       });
      case format::RecordType::kSchema:
        return Decoded(DecodeSchemaRecord(item.bytes), item.header, offset,
                       [&](const SchemaView& v) {
                         e_->Str("org", v.org);
                         e_->Str("type", v.type);
                         e_->Str("version", v.version.ToString());
                         e_->Uint("schema_bytes", v.body.size());
                       });
    }
    return "unknown record type";
  }

  template <typename View, typename Body>
  std::string Decoded(const Result<View>& v, const format::RecordHeader& h, uint64_t offset,
                      const Body& body) {
    if (!v.ok()) return v.status().message();
    RecordHeader(h, offset, true);
    body(*v);
    e_->Close();
    return {};
  }

  void Events(const EventsRecordView& r) {
    // The key is stored as "org \0 key"; the transaction flag only with a key.
    if (!r.idempotency_key.empty()) {
      const size_t nul = r.idempotency_key.find('\0');
      if (nul != std::string_view::npos) e_->Bytes("org", r.idempotency_key.substr(0, nul));
      e_->Bytes("idempotency_key",
                r.idempotency_key.substr(nul == std::string_view::npos ? 0 : nul + 1));
      e_->Bool("transaction", r.transaction);
    }
    e_->List("clauses");
    for (const ClauseView& c : r.clauses) {
      e_->Open("clause");
      e_->Str("stream", c.stream);
      e_->Uint("stream_id", c.stream_id);
      e_->Uint("first_version", c.first_version);
      e_->Uint("first_readable", c.first_readable);
      e_->Bool("created", c.created);
      e_->List("events");
      for (const EntryView& ev : c.entries) Event(c, ev);
      e_->EndList();
      e_->Close();
    }
    e_->EndList();
  }

  void Event(const ClauseView& c, const EntryView& ev) {
    e_->Open("event");
    e_->Uint("position", ev.position);
    e_->Uint("version", ev.version);
    e_->Str("id", ev.id.ToString());
    e_->Bytes("type", ev.type);
    e_->Uint("data_size", ev.data.size());
    e_->Uint("metadata_size", ev.metadata.size());
    if (ev.seal) e_->Uint("sealed_key_id", ev.seal->key_id);  // data and metadata: ciphertext
    e_->Hash("payload_hash", ev.payload_hash);
    e_->Hash("chain_hash", ev.chain_hash);
    // The chain is checked from the segment's prev_hash (or the event before the first one
    // printed) until its first break, which is marked.
    if (head_ && !first_break_) {
      const bool ok = EntryChainOk(format::ChainVersionOf(r_->header()), c, ev, *head_);
      e_->Str("chain", ok ? "ok" : "MISMATCH");
      if (!ok) {
        first_break_ = ev.position;
        rc_ = 1;
      }
      ++checked_;
    }
    head_ = ev.chain_hash;
    if (o_.data) {
      e_->Bytes("data", ev.data, /*own_line=*/true);
      if (!ev.metadata.empty()) e_->Bytes("metadata", ev.metadata, /*own_line=*/true);
    }
    e_->Close();
  }

  void Summary() {
    e_->Uint("chain_checked", checked_);
    if (first_break_) e_->Uint("chain_broken_at", *first_break_);
  }

  Result<int> End(uint64_t offset) {
    CAIRN_ASSIGN_OR_RETURN(uint64_t nonzero_end, r_->NonZeroEnd(offset));
    e_->Open("end");
    e_->Uint("offset", offset);
    e_->Uint("file_size", r_->file_size());
    if (nonzero_end > offset) {  // written bytes past a zeroed record header
      e_->Uint("nonzero_bytes_until", nonzero_end);
      rc_ = 1;
    }
    Summary();
    e_->Close();
    return rc_;
  }

  int Bad(const SegmentReader::Item& item, uint64_t offset, const std::string& reason) {
    if (!item.bytes.empty()) {
      RecordHeader(item.header, offset, item.kind == SegmentReader::Item::Kind::kRecord);
      e_->Close();
    }
    e_->Open("bad");
    e_->Uint("offset", offset);
    e_->Str("reason", reason);
    Summary();
    e_->Close();
    return 1;
  }

  const InspectOptions& o_;
  SegmentReader* r_;
  Emitter* e_;
  std::optional<Hash256> head_;  // chain hash of the event before the next one
  std::optional<uint64_t> first_break_;
  uint64_t checked_ = 0;
  int rc_ = 0;
};

int CannotRun(std::FILE* err, const std::string& message) {
  std::fprintf(err, "cairn inspect: %s\n", message.c_str());
  return 2;
}

}  // namespace

int RunInspect(const InspectOptions& o, std::FILE* out, std::FILE* err) {
  FileSystem* fs = PosixFileSystem();
  auto m = ReadManifest(fs, o.data_dir);
  if (!m.ok()) return CannotRun(err, m.status().ToString());
  if (o.shard >= m->shards) {
    return CannotRun(err, "no shard " + std::to_string(o.shard) + " (the data directory has " +
                              std::to_string(m->shards) + ")");
  }
  const std::string log_dir = LogDir(o.data_dir, o.shard);
  auto ids = ListSegmentIds(fs, log_dir);
  if (!ids.ok()) return CannotRun(err, ids.status().ToString());
  Emitter e(o.json, out);
  std::optional<uint64_t> segment = o.segment;
  int rc = 0;
  if (!segment) {
    // The segment list; with --from-position, the segment holding that position is chosen.
    for (uint64_t id : *ids) {
      std::string path = log_dir + "/" + format::SegmentFileName(id);
      auto r = SegmentReader::Open(fs, path);
      if (!r.ok() && r.status().code() != StatusCode::kCorruption) {
        return CannotRun(err, r.status().ToString());
      }
      if (r.ok() && o.from_position && (*r)->header().first_position <= *o.from_position) {
        segment = id;
      }
      if (o.from_position) continue;
      e.Open("segment");
      e.Uint("segment_id", id);
      if (r.ok()) {
        e.Uint("first_position", (*r)->header().first_position);
        e.Uint("file_size", (*r)->file_size());
      } else {
        e.Str("bad_header", r.status().message());
        rc = 1;
      }
      e.Str("file", path);
      e.Close();
    }
    if (!o.from_position) return rc;
    if (!segment)
      return CannotRun(err, "no segment holds position " + std::to_string(*o.from_position));
  }
  if (std::find(ids->begin(), ids->end(), *segment) == ids->end()) {
    return CannotRun(err, "no segment " + std::to_string(*segment) + " in " + log_dir);
  }
  auto r = SegmentReader::Open(fs, log_dir + "/" + format::SegmentFileName(*segment));
  if (!r.ok()) {
    if (r.status().code() != StatusCode::kCorruption) return CannotRun(err, r.status().ToString());
    e.Open("bad");
    e.Uint("offset", 0);
    e.Str("reason", r.status().message());
    e.Close();
    return 1;
  }
  auto result = SegmentInspector(o, r->get(), &e).Run();
  if (!result.ok()) return CannotRun(err, result.status().ToString());
  return *result;
}

}  // namespace cairn::cli
