#pragma once
// Running a request against the engine on behalf of a connection, and delivering its reply
// in order: writes go to the owning shard's thread (over the engine's lock-free queue) and
// come back to the connection's reactor through its inbox; reads run on the read pool.

#include <cstdint>
#include <functional>
#include <string>

#include "cairn/types.h"
#include "reactor/reactor.h"
#include "server/metrics.h"

namespace cairn::server {

class Connection;
enum class OpKind : uint8_t;

// How a reply is to be written.
struct ReplyStyle {
  uint8_t resp_version = 2;
  bool http = false;
  bool keep_alive = true;
  bool transaction = false;
};

// A reply produced off the reactor thread, then handed back to it.
class AsyncReply final : public reactor::Task {
 public:
  AsyncReply(Connection& c, Command command, ReplyStyle style, OpKind kind);
  void Run() override;  // on the connection's reactor: record metrics, queue the reply
  void Deliver();       // from any thread: post to the connection's reactor

  const ReplyStyle& style() const { return style_; }
  std::string reply;
  bool error = false;
  uint64_t events = 0;  // appended, for the metrics
  uint64_t bytes = 0;

 private:
  Connection* conn_;
  uint64_t slot_;
  Command command_;
  ReplyStyle style_;
  OpKind kind_;
  uint64_t start_us_;
};

uint64_t NowMicros();

// EAPPEND / ETXN (and POST of events): the reply comes when the events are durable.
void SubmitAppend(Connection& c, Command command, ReplyStyle style, AppendRequest request);
// EDELETE / ETRIM: `deleting` chooses the engine call.
void SubmitDelete(Connection& c, ReplyStyle style, DeleteRequest request);
void SubmitTrim(Connection& c, ReplyStyle style, TrimRequest request);
// EGROUP COMMIT / DELETE (and their HTTP forms): `format` writes the reply from the
// engine's answer, once the group's record is durable.
using GroupFormat = void (*)(const Result<GroupWriteResult>& r, const GroupCursor& request,
                             AsyncReply* out);
void SubmitGroupWrite(Connection& c, ReplyStyle style, GroupCursor request, bool remove,
                      GroupFormat format);
// ESCHEMA REGISTER (and PUT /v1/schemas/...): checked by the registry, logged by the engine,
// then published; `format` writes the reply (true: registered now, false: it already was).
using SchemaFormat = void (*)(const Result<bool>& r, const SchemaDefinition& def, AsyncReply* out);
void SubmitSchemaRegister(Connection& c, ReplyStyle style, SchemaDefinition def,
                          SchemaFormat format);
// Between chunks (kVerifyChunkBytes) of one online verification: yields the processor and,
// when `bytes_per_s` is not 0, sleeps as needed to keep the verification's reading at that
// rate (the disk is shared with the log's writes and fdatasyncs).
std::function<void()> MakeVerifyPace(uint64_t bytes_per_s);
// A read: `work` runs on the read pool and fills the reply (and sets `error`); a
// Command::kVerify runs on the server's verification thread instead.
void SubmitRead(Connection& c, Command command, ReplyStyle style,
                std::function<void(AsyncReply*)> work);

// Formatting of write results, per style (RESP in requests.cc, HTTP in http_replies.cc).
void FormatAppendReply(const Result<AppendResult>& r, AsyncReply* out);
void FormatStateReply(const Result<StreamInfo>& r, AsyncReply* out);
void HttpFormatAppend(const Result<AppendResult>& r, AsyncReply* out);
void HttpFormatState(const Result<StreamInfo>& r, AsyncReply* out);

}  // namespace cairn::server
