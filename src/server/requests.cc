#include "server/requests.h"

#include <sched.h>

#include <chrono>
#include <thread>

#include "protocol/resp/reply_format.h"
#include "schema/registry.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/worker.h"
#include "storage/verifier.h"

namespace cairn::server {

uint64_t NowMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

AsyncReply::AsyncReply(Connection& c, Command command, ReplyStyle style, OpKind kind)
    : conn_(&c),
      slot_(c.BeginAsyncReply()),
      command_(command),
      style_(style),
      kind_(kind),
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
  conn_->OpDone(kind_);
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
  // One allocation for the whole reply (a single-stream one is about 210 bytes with a 20-byte
  // stream name) instead of one per doubling as it is written.
  out->reply.reserve(256);
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
  auto* op = new AsyncReply(c, command, style, OpKind::kWrite);
  for (const AppendClause& cl : request.clauses) {
    op->events += cl.events.size();
    for (const ProposedEvent& e : cl.events) op->bytes += e.data.size() + e.metadata.size();
  }
  Engine* engine = &c.worker()->server().engine();
  schema::Registry* schemas = &c.worker()->server().schemas();
  c.RunInOrder(OpKind::kWrite, [op, engine, schemas, request = std::move(request)]() mutable {
    // Validated when it runs, not when parsed: a registration pipelined before it on this
    // connection has then been published (docs/internals/schemas.md).
    Status valid = schemas->ValidateAppend(&request);
    if (!valid.ok()) {
      op->events = 0;
      op->bytes = 0;
      FormatAppendReply(valid, op);
      op->Deliver();
      return;
    }
    engine->Append(std::move(request), [op](Result<AppendResult> r) {
      if (r.ok() && r->duplicate) op->events = 0;
      FormatAppendReply(r, op);
      op->Deliver();
    });
  });
}

void SubmitDelete(Connection& c, ReplyStyle style, DeleteRequest request) {
  auto* op = new AsyncReply(c, Command::kDelete, style, OpKind::kWrite);
  Engine* engine = &c.worker()->server().engine();
  c.RunInOrder(OpKind::kWrite, [op, engine, request = std::move(request)]() mutable {
    engine->Delete(std::move(request), [op](Result<StreamInfo> r) {
      FormatStateReply(r, op);
      op->Deliver();
    });
  });
}

void SubmitTrim(Connection& c, ReplyStyle style, TrimRequest request) {
  auto* op = new AsyncReply(c, Command::kTrim, style, OpKind::kWrite);
  Engine* engine = &c.worker()->server().engine();
  c.RunInOrder(OpKind::kWrite, [op, engine, request = std::move(request)]() mutable {
    engine->Trim(std::move(request), [op](Result<StreamInfo> r) {
      FormatStateReply(r, op);
      op->Deliver();
    });
  });
}

void SubmitGroupWrite(Connection& c, ReplyStyle style, GroupCursor request, bool remove,
                      GroupFormat format) {
  auto* op = new AsyncReply(c, Command::kGroup, style, OpKind::kWrite);
  Engine* engine = &c.worker()->server().engine();
  c.RunInOrder(OpKind::kWrite, [op, engine, remove, format, request = std::move(request)]() {
    auto done = [op, format, request](Result<GroupWriteResult> r) {
      op->error = !r.ok();
      format(r, request, op);
      op->Deliver();
    };
    if (remove) {
      engine->DeleteGroup(request.group, request.scope, std::move(done));
    } else {
      engine->CommitGroup(request, std::move(done));
    }
  });
}

void SubmitSchemaRegister(Connection& c, ReplyStyle style, SchemaDefinition def,
                          SchemaFormat format) {
  // Ordered like a read: appends pipelined after it on this connection wait for it, so they
  // are validated against it.
  auto* op = new AsyncReply(c, Command::kSchema, style, OpKind::kRead);
  Server* server = &c.worker()->server();
  c.RunInOrder(OpKind::kRead, [op, server, format, def = std::move(def)]() mutable {
    schema::Registry* registry = &server->schemas();
    auto prepared = registry->Prepare(std::move(def));
    if (!prepared.ok() || prepared->already_registered) {
      op->error = !prepared.ok();
      format(prepared.ok() ? Result<bool>(false) : Result<bool>(prepared.status()),
             prepared.ok() ? prepared->def : SchemaDefinition{}, op);
      op->Deliver();
      return;
    }
    auto p = std::make_shared<schema::Prepared>(std::move(*prepared));
    server->engine().RegisterSchema(p->def, [op, registry, format, p](Result<bool> r) {
      registry->Finish(*p, r.status());
      op->error = !r.ok();
      format(r, p->def, op);
      op->Deliver();
    });
  });
}

namespace {

void StartRead(Server* server, WorkerMetrics* metrics, AsyncReply* op, Command command,
               std::function<void(AsyncReply*)> work) {
  bool queued = false;
  if (command == Command::kVerify) {
    queued = server->SubmitVerify([op, server, work = std::move(work)] {
      work(op);
      server->VerifyDone();
      op->Deliver();
    });
  } else {
    queued = server->SubmitRead([op, server, work = std::move(work)] {
      work(op);
      server->ReadDone();
      op->Deliver();
    });
  }
  if (queued) return;
  metrics->busy_replies.fetch_add(1, std::memory_order_relaxed);
  Status busy =
      Status::Busy(command == Command::kVerify ? "too many verifications queued; retry shortly"
                                               : "too many reads queued; retry shortly");
  if (op->style().http) {
    HttpFormatAppend(busy, op);  // same error shape for every HTTP reply
  } else {
    resp::ReplyWriter w(&op->reply, op->style().resp_version);
    resp::WriteStatus(w, busy);
  }
  op->error = true;
  op->Deliver();  // through the inbox: never re-enter the connection's parsing
}

}  // namespace

std::function<void()> MakeVerifyPace(uint64_t bytes_per_s) {
  auto start = std::chrono::steady_clock::now();
  return [bytes_per_s, start, chunks = uint64_t{0}]() mutable {
    ++chunks;
    if (bytes_per_s == 0) {
      sched_yield();
      return;
    }
    double due_s = static_cast<double>(chunks * kVerifyChunkBytes) / bytes_per_s;
    auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(due_s));
    if (due > std::chrono::steady_clock::now()) {
      std::this_thread::sleep_until(due);
    } else {
      sched_yield();
    }
  };
}

void SubmitRead(Connection& c, Command command, ReplyStyle style,
                std::function<void(AsyncReply*)> work) {
  auto* op = new AsyncReply(c, command, style, OpKind::kRead);
  Server* server = &c.worker()->server();
  WorkerMetrics* metrics = &c.worker()->metrics();
  c.RunInOrder(OpKind::kRead, [op, server, metrics, command, work = std::move(work)]() mutable {
    StartRead(server, metrics, op, command, std::move(work));
  });
}

}  // namespace cairn::server
