#include "storage/request_check.h"

#include <unordered_set>

#include "base/coding.h"
#include "base/hash.h"
#include "base/names.h"

namespace cairn {

Status CheckStreamName(std::string_view stream) { return ParseStreamName(stream).status(); }

Status CheckAppendRequest(const AppendRequest& req, const EngineLimits& limits) {
  if (req.clauses.empty()) return Status::Invalid("an append names at least one stream");
  if (!req.transaction && req.clauses.size() != 1) {
    return Status::Invalid("a single-stream append names exactly one stream");
  }
  if (req.clauses.size() > limits.max_streams_per_transaction) {
    return Status::TooLarge("a transaction names at most " +
                            std::to_string(limits.max_streams_per_transaction) + " streams");
  }
  if (!req.idempotency_key.empty())
    CAIRN_RETURN_IF_ERROR(ValidateIdempotencyKey(req.idempotency_key));
  std::unordered_set<std::string_view> seen;
  uint64_t events = 0;
  uint64_t bytes = 0;
  for (const AppendClause& c : req.clauses) {
    CAIRN_RETURN_IF_ERROR(CheckStreamName(c.stream));
    if (!seen.insert(c.stream).second) {
      return Status::Invalid("stream " + c.stream + " appears twice in one transaction");
    }
    events += c.events.size();
    bytes += c.stream.size();
    for (const ProposedEvent& e : c.events) {
      CAIRN_RETURN_IF_ERROR(ValidateEventType(e.type));
      if (e.data.size() > limits.max_event_data_bytes) {
        return Status::TooLarge("event data is " + std::to_string(e.data.size()) +
                                " bytes; the limit is " +
                                std::to_string(limits.max_event_data_bytes));
      }
      if (e.metadata.size() > limits.max_metadata_bytes) {
        return Status::TooLarge("event metadata is " + std::to_string(e.metadata.size()) +
                                " bytes; the limit is " +
                                std::to_string(limits.max_metadata_bytes));
      }
      if (e.id && e.id->IsNil()) return Status::Invalid("event id may not be the nil UUID");
      bytes += e.type.size() + e.data.size() + e.metadata.size() + 16;
    }
  }
  if (events == 0) return Status::Invalid("an append needs at least one event");
  if (events > limits.max_events_per_append) {
    return Status::TooLarge(std::to_string(events) + " events in one append; the limit is " +
                            std::to_string(limits.max_events_per_append));
  }
  if (bytes > limits.max_request_bytes) {
    return Status::TooLarge("request is " + std::to_string(bytes) + " bytes; the limit is " +
                            std::to_string(limits.max_request_bytes));
  }
  return Status::Ok();
}

Fingerprint RequestFingerprint(const AppendRequest& req) {
  Blake3Hasher h;
  std::string buf;
  auto bytes = [&](std::string_view s) {
    buf.clear();
    PutFixed64(&buf, s.size());
    h.Update(buf);
    h.Update(s);
  };
  auto u64 = [&](uint64_t v) {
    buf.clear();
    PutFixed64(&buf, v);
    h.Update(buf);
  };
  u64(req.transaction ? 2 : 1);
  u64(req.clauses.size());
  for (const AppendClause& c : req.clauses) {
    bytes(c.stream);
    u64(static_cast<uint64_t>(c.expected.kind));
    u64(c.expected.version);
    u64(c.events.size());
    for (const ProposedEvent& e : c.events) {
      bytes(e.type);
      bytes(e.data);
      bytes(e.metadata);
      u64(e.id ? 1 : 0);
      if (e.id) h.Update(e.id->bytes.data(), 16);
    }
  }
  Hash256 full = h.Finalize();
  Fingerprint fp;
  std::memcpy(fp.data(), full.data(), fp.size());
  return fp;
}

}  // namespace cairn
