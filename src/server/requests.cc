#include "server/requests.h"

#include <chrono>

#include "protocol/resp/reply_format.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/worker.h"

namespace cairn::server {

uint64_t NowMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

AsyncReply::AsyncReply(Connection& c, Command command, ReplyStyle style)
    : conn_(&c),
      slot_(c.BeginAsyncReply()),
      command_(command),
      style_(style),
      start_us_(NowMicros()) {}

void AsyncReply::Deliver() { conn_->worker()->reactor().Post(this); }

void AsyncReply::Run() {
  WorkerMetrics& m = conn_->worker()->metrics();
  m.Record(command_, NowMicros() - start_us_, error);
  if (events > 0) {
    m.appended_events.fetch_add(events, std::memory_order_relaxed);
    m.appended_bytes.fetch_add(bytes, std::memory_order_relaxed);
  }
  Worker* worker = conn_->worker();  // the connection may be freed by its last reference
  conn_->FinishAsyncReply(slot_, std::move(reply));
  worker->MaybeDrained();
  delete this;
}

void FormatAppendReply(const Result<AppendResult>& r, AsyncReply* out) {
  out->error = !r.ok();
  if (out->style().http) {
    HttpFormatAppend(r, out);
    return;
  }
  resp::ReplyWriter w(&out->reply, out->style().resp_version);
  if (r.ok()) {
    resp::WriteAppend(w, *r, out->style().transaction);
  } else {
    out->events = 0;
    resp::WriteStatus(w, r.status());
  }
}

void FormatStateReply(const Result<StreamInfo>& r, AsyncReply* out) {
  out->error = !r.ok();
  if (out->style().http) {
    HttpFormatState(r, out);
    return;
  }
  resp::ReplyWriter w(&out->reply, out->style().resp_version);
  if (r.ok()) {
    resp::WriteInfo(w, *r);
  } else {
    resp::WriteStatus(w, r.status());
  }
}

void SubmitAppend(Connection& c, Command command, ReplyStyle style, AppendRequest request) {
  auto* op = new AsyncReply(c, command, style);
  for (const AppendClause& cl : request.clauses) {
    op->events += cl.events.size();
    for (const ProposedEvent& e : cl.events) op->bytes += e.data.size() + e.metadata.size();
  }
  c.worker()->server().engine().Append(std::move(request), [op](Result<AppendResult> r) {
    if (r.ok() && r->duplicate) op->events = 0;
    FormatAppendReply(r, op);
    op->Deliver();
  });
}

void SubmitDelete(Connection& c, ReplyStyle style, DeleteRequest request) {
  auto* op = new AsyncReply(c, Command::kDelete, style);
  c.worker()->server().engine().Delete(std::move(request), [op](Result<StreamInfo> r) {
    FormatStateReply(r, op);
    op->Deliver();
  });
}

void SubmitTrim(Connection& c, ReplyStyle style, TrimRequest request) {
  auto* op = new AsyncReply(c, Command::kTrim, style);
  c.worker()->server().engine().Trim(std::move(request), [op](Result<StreamInfo> r) {
    FormatStateReply(r, op);
    op->Deliver();
  });
}

void SubmitRead(Connection& c, Command command, ReplyStyle style,
                std::function<void(AsyncReply*)> work) {
  auto* op = new AsyncReply(c, command, style);
  Server* server = &c.worker()->server();
  bool queued = server->SubmitRead([op, server, work = std::move(work)] {
    work(op);
    server->ReadDone();
    op->Deliver();
  });
  if (!queued) {
    c.worker()->metrics().busy_replies.fetch_add(1, std::memory_order_relaxed);
    Status busy = Status::Busy("too many reads queued; retry shortly");
    if (style.http) {
      HttpFormatAppend(busy, op);  // same error shape for every HTTP reply
    } else {
      resp::ReplyWriter w(&op->reply, style.resp_version);
      resp::WriteStatus(w, busy);
    }
    op->error = true;
    op->Deliver();  // through the inbox: never re-enter the connection's parsing
  }
}

}  // namespace cairn::server
