#pragma once
// An incremental parser of RESP2 and RESP3 replies: feed it bytes as they arrive, pop
// complete replies in order. Safe on any bytes: malformed input is an error (sticky until
// Reset), never undefined behaviour; nesting depth, string sizes, aggregate lengths and the
// bytes of one reply are bounded (Limits). Work is linear in the input: a reply split over
// many reads is not re-parsed from its start.
//
// Every RESP3 type is understood: + - : $ _ # , ( = ! * % ~ > and | (attributes, which are
// parsed and dropped). RESP2 nulls ($-1, *-1) become kNull. Streamed strings and aggregates
// (`$?`, `*?`) are refused as malformed: no server this library talks to sends them.
//
// Owner: one thread at a time (a connection's). Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "cairn/resp_value.h"
#include "cairn/status.h"

namespace cairn::client {

class ReplyParser {
 public:
  struct Limits {
    uint32_t max_depth = 32;                      // aggregates nested at most this deep
    uint64_t max_bulk_bytes = 64ull << 20;        // one bulk, verbatim or blob error
    uint64_t max_line_bytes = 1ull << 20;         // one simple string, error or number line
    uint64_t max_aggregate_length = 16ull << 20;  // elements (map: pairs) of one aggregate
    uint64_t max_reply_bytes = 512ull << 20;      // bytes of one top-level reply
  };

  ReplyParser() : ReplyParser(Limits{}) {}
  explicit ReplyParser(const Limits& limits);
  ~ReplyParser();
  ReplyParser(const ReplyParser&) = delete;
  ReplyParser& operator=(const ReplyParser&) = delete;

  // Appends received bytes.
  void Feed(std::string_view bytes);
  // Zero-copy receive: a writable span of at least min_bytes at the end of the buffer; after
  // writing n bytes into it, call Commit(n).
  std::span<char> PrepareWrite(size_t min_bytes);
  void Commit(size_t n);

  // Parses what the buffered bytes allow. true and *out set: one complete reply (in arrival
  // order). false: more bytes are needed. An error Status (code kInvalid, "malformed reply:
  // ..." or "reply over limit: ...") means the stream cannot be parsed any further.
  Result<bool> Next(RespValue* out);

  // Bytes received but not yet consumed by complete replies (including a partial one).
  size_t buffered() const { return end_ - pos_; }
  // Forgets the buffered bytes, any partial reply and a sticky error.
  void Reset();

 private:
  struct Frame;
  enum class Step { kValue, kOpened, kNeedMore, kError };

  // Parses one element header or scalar at pos_.
  Step ParseOne(RespValue* scalar);
  Step ParseAggregateHeader(char type, int64_t n, size_t next_pos);
  Step ParseBlob(char type, int64_t n, size_t next_pos, RespValue* v);
  Step ParseLineScalar(char type, std::string_view line, RespValue* v);
  // Attaches a finished value to the open aggregates; true when it completes a reply.
  bool Attach(RespValue v, RespValue* out);
  Step Fail(std::string message);
  void Consume(size_t new_pos);

  Limits limits_;
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t pos_ = 0;  // first unconsumed byte
  size_t end_ = 0;  // one past the last received byte
  std::vector<Frame> stack_;
  uint64_t reply_bytes_ = 0;  // bytes consumed by the reply being assembled
  Status error_;
};

}  // namespace cairn::client
