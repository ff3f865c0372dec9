#include "server/http_replies.h"

#include <simdjson.h>

#include <charconv>

#include "protocol/http/encoding.h"
#include "protocol/http/http_parser.h"
#include "protocol/http/json_writer.h"
#include "protocol/resp/reply_format.h"

namespace cairn::server {

using http::JsonWriter;

int HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kTooLarge:
      return 413;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kDeleted:
      return 410;
    case StatusCode::kIdempotency:
    case StatusCode::kSchema:
      return 422;
    case StatusCode::kBusy:
    case StatusCode::kUnavailable:
    case StatusCode::kIoError:
    case StatusCode::kCorruption:
      return 503;
    case StatusCode::kInternal:
      return 500;
    default:
      return 400;
  }
}

void HttpResponse(int status, std::string_view content_type, std::string_view body, bool keep_alive,
                  std::string* out, std::string_view extra_headers, bool omit_body) {
  char head[256];
  std::string_view reason = http::ReasonPhrase(status);
  int n = std::snprintf(head, sizeof(head),
                        "HTTP/1.1 %d %.*s\r\nServer: cairn\r\nContent-Type: %.*s\r\n"
                        "Content-Length: %zu\r\n%s",
                        status, static_cast<int>(reason.size()), reason.data(),
                        static_cast<int>(content_type.size()), content_type.data(), body.size(),
                        keep_alive ? "" : "Connection: close\r\n");
  out->append(head, static_cast<size_t>(n));
  out->append(extra_headers);
  out->append("\r\n");
  if (!omit_body) out->append(body);
}

void HttpErrorCode(int http_status, std::string_view code, std::string_view message,
                   bool keep_alive, std::string* out) {
  std::string body;
  JsonWriter j(&body);
  j.BeginObject();
  j.Key("error");
  j.String(code);
  j.Key("message");
  j.String(message);
  j.EndObject();
  body.push_back('\n');
  HttpResponse(http_status, "application/json", body, keep_alive, out);
}

void HttpError(const Status& status, bool keep_alive, std::string* out) {
  std::string body;
  JsonWriter j(&body);
  j.BeginObject();
  j.Key("error");
  j.String(StatusCodeName(status.code()));
  j.Key("message");
  j.String(status.message());
  if (const ConflictDetail* d = status.conflict()) {
    j.Key("stream");
    j.String(d->stream);
    j.Key("expected");  // a number when it was one, else "any", "exists" or "none"
    uint64_t v = 0;
    auto [end, ec] =
        std::from_chars(d->expected.data(), d->expected.data() + d->expected.size(), v);
    if (ec == std::errc() && end == d->expected.data() + d->expected.size()) {
      j.Uint(v);
    } else {
      j.String(d->expected);
    }
    j.Key("actual");
    j.Uint(d->actual);
  }
  j.EndObject();
  body.push_back('\n');
  HttpResponse(HttpStatusOf(status.code()), "application/json", body, keep_alive, out);
}

namespace {

void Bytes(JsonWriter& j, std::string_view name, std::string_view bytes) {
  if (bytes.empty()) {
    j.Key(name);
    j.String("");
  } else if (http::IsValidJson(bytes)) {
    j.Key(name);
    j.Raw(bytes);
  } else {
    j.Key(std::string(name) + "_base64");
    j.String(http::Base64Encode(bytes));
  }
}

void Event(JsonWriter& j, const RecordedEvent& e, bool with_hash) {
  j.BeginObject();
  j.Key("stream");
  j.String(e.stream);
  j.Key("version");
  j.Uint(e.version);
  j.Key("shard");
  j.Uint(e.shard);
  j.Key("position");
  j.Uint(e.position);
  j.Key("id");
  j.String(e.id.ToString());
  j.Key("type");
  j.String(e.type);
  j.Key("timestamp");
  j.String(http::FormatRfc3339Ms(e.timestamp_ms));
  Bytes(j, "data", e.data);
  Bytes(j, "metadata", e.metadata);
  if (with_hash) {
    j.Key("hash");
    j.String(resp::HexHash(e.hash));
  }
  if (e.shredded) {
    j.Key("shredded");
    j.Bool(true);
  }
  j.EndObject();
}

void Events(JsonWriter& j, const std::vector<RecordedEvent>& events, bool with_hash) {
  j.Key("events");
  j.BeginArray();
  for (const RecordedEvent& e : events) Event(j, e, with_hash);
  j.EndArray();
}

void Next(JsonWriter& j, const std::optional<uint64_t>& next) {
  j.Key("next");
  if (next) {
    j.Uint(*next);
  } else {
    j.Null();
  }
}

void Range(JsonWriter& j, const StreamRange& s) {
  j.Key("stream");
  j.String(s.stream);
  j.Key("first_version");
  j.Uint(s.first_version);
  j.Key("last_version");
  j.Uint(s.last_version);
}

}  // namespace

std::string JsonEvent(const RecordedEvent& e) {
  std::string out;
  JsonWriter j(&out);
  Event(j, e, false);
  return out;
}

std::string JsonAppend(const AppendResult& r, bool transaction) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  if (!transaction && !r.streams.empty()) Range(j, r.streams.front());
  j.Key("shard");
  j.Uint(r.shard);
  j.Key("first_position");
  j.Uint(r.first_position);
  j.Key("last_position");
  j.Uint(r.last_position);
  j.Key("timestamp");
  j.String(http::FormatRfc3339Ms(r.timestamp_ms));
  j.Key("duplicate");
  j.Bool(r.duplicate);
  if (transaction) {
    j.Key("streams");
    j.BeginArray();
    for (const StreamRange& s : r.streams) {
      j.BeginObject();
      Range(j, s);
      j.EndObject();
    }
    j.EndArray();
  }
  j.EndObject();
  out.push_back('\n');
  return out;
}

std::string JsonRead(const ReadResult& r, bool with_hash) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  Events(j, r.events, with_hash);
  Next(j, r.next);
  j.Key("version");
  j.Uint(r.version);
  j.EndObject();
  out.push_back('\n');
  return out;
}

std::string JsonScan(const ScanResult& r, bool with_hash) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  Events(j, r.events, with_hash);
  Next(j, r.next);
  j.Key("shard");
  j.Uint(r.shard);
  j.EndObject();
  out.push_back('\n');
  return out;
}

std::string JsonInfo(const StreamInfo& info) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Key("stream");
  j.String(info.stream);
  j.Key("version");
  j.Uint(info.version);
  j.Key("first_version");
  j.Uint(info.first_version);
  j.Key("shard");
  j.Uint(info.shard);
  j.Key("created");
  if (info.created_ms == 0) {
    j.Null();
  } else {
    j.String(http::FormatRfc3339Ms(info.created_ms));
  }
  j.Key("updated");
  if (info.updated_ms == 0) {
    j.Null();
  } else {
    j.String(http::FormatRfc3339Ms(info.updated_ms));
  }
  j.Key("deleted");
  j.String(DeletedStateName(info.deleted));
  j.EndObject();
  out.push_back('\n');
  return out;
}

std::string JsonStreams(const ListStreamsResult& r) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Key("streams");
  j.BeginArray();
  for (const std::string& s : r.streams) j.String(s);
  j.EndArray();
  j.Key("next");
  if (r.next) {
    j.String(*r.next);
  } else {
    j.Null();
  }
  j.EndObject();
  out.push_back('\n');
  return out;
}

std::string JsonStrings(const std::vector<std::string>& items) {
  std::string out;
  JsonWriter j(&out);
  j.BeginArray();
  for (const std::string& s : items) j.String(s);
  j.EndArray();
  out.push_back('\n');
  return out;
}

std::string JsonVerify(const VerifyResult& r) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  WriteVerifyFields(j, r);
  j.EndObject();
  out.push_back('\n');
  return out;
}

void WriteVerifyFields(JsonWriter& j, const VerifyResult& r) {
  j.Key("ok");
  j.Bool(r.ok);
  j.Key("checked");
  j.Uint(r.checked);
  j.Key("head_hash");
  j.String(resp::HexHash(r.head_hash));
  for (auto [key, v] : {std::pair{"first_bad_position", &r.first_bad_position},
                        std::pair{"first_bad_segment", &r.first_bad_segment},
                        std::pair{"first_bad_offset", &r.first_bad_offset}}) {
    j.Key(key);
    if (*v) {
      j.Uint(**v);
    } else {
      j.Null();
    }
  }
  if (!r.detail.empty()) {
    j.Key("detail");
    j.String(r.detail);
  }
}

namespace {

void Group(JsonWriter& j, const GroupCursor& g) {
  j.BeginObject();
  j.Key("group");
  j.String(g.group);
  j.Key("scope");
  j.String(g.scope);
  j.Key("cursor");
  j.Uint(g.cursor);
  j.EndObject();
}

}  // namespace

std::string JsonGroup(const GroupCursor& g) {
  std::string out;
  JsonWriter j(&out);
  Group(j, g);
  return out;
}

std::string JsonGroups(const std::vector<GroupCursor>& groups) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject();
  j.Key("groups");
  j.BeginArray();
  for (const GroupCursor& g : groups) Group(j, g);
  j.EndArray();
  j.EndObject();
  return out;
}

}  // namespace cairn::server
