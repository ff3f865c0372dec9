#pragma once
// One client connection, RESP or HTTP: receives bytes, cuts them into requests, and sends
// the replies back in request order however the requests complete.
//
// Owner: its Worker's reactor thread, which alone touches it. Lifecycle: created on accept
// and Start()ed; it stays alive while anything refers to it (the receive, a send, each
// request in flight, counted by Ref/Unref); Close() shuts the socket down and the last
// Unref() closes the descriptor and frees it. Replies of requests that complete after
// Close() are dropped.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "reactor/reactor.h"
#include "server/metrics.h"

namespace cairn::server {

class Worker;
class Watcher;

enum class Protocol : uint8_t { kResp, kHttp };

// Engine work of a request: reads see durable events, writes change them.
enum class OpKind : uint8_t { kRead, kWrite };

class Connection {
 public:
  Connection(Worker* worker, int fd, Protocol protocol, uint64_t id);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();
  // Stops reading and shuts the socket down; pending replies are dropped.
  void Close();
  // Sends what is pending, then closes (QUIT, a protocol error, Connection: close).
  void CloseAfterReplies();
  // Stops taking new requests; replies of those in flight are still sent (shutdown).
  void StopReading();

  // A reply written now, in order: the returned buffer is valid until the next call.
  std::string* SyncReply();
  // Reserves the place of a reply that another thread will produce; holds a reference.
  uint64_t BeginAsyncReply();
  void FinishAsyncReply(uint64_t slot, std::string reply);

  // Starts `start` now, or once the requests before it that it must not overtake are done:
  // a read waits for the writes before it and a write for the reads before it, so a pipeline
  // sees the same results as the same commands sent one by one. Reads among themselves and
  // writes among themselves run concurrently (writes keep their order in the shard's queue).
  template <typename Start>
  void RunInOrder(OpKind kind, Start&& start) {
    if (deferred_.empty() && (kind == OpKind::kRead ? writes_in_flight_ : reads_in_flight_) == 0) {
      ++(kind == OpKind::kRead ? reads_in_flight_ : writes_in_flight_);
      start();
    } else {
      deferred_.emplace_back(kind, std::function<void()>(std::forward<Start>(start)));
    }
  }
  // The engine work of one request completed; starts what waited for it.
  void OpDone(OpKind kind);

  // Live watches. AddWatcher registers `w` as announced by the reply written just before
  // (SyncReply): its frames go out only after that reply. DeliverPush takes a hub's frames.
  void AddWatcher(std::shared_ptr<Watcher> w);
  bool RemoveWatcher(uint64_t id);  // EUNWATCH: no frame of it follows
  void DeliverPush(const std::shared_ptr<Watcher>& w, std::string bytes);
  size_t watcher_count() const { return watchers_.size(); }
  uint64_t NextWatchId() { return ++last_watch_id_; }
  // HTTP server-sent events: the response runs until the connection closes; input is ignored.
  void BeginStreaming() { streaming_ = true; }
  bool streaming() const { return streaming_; }

  void Ref() { ++refs_; }
  void Unref();

  Worker* worker() const { return worker_; }
  Protocol protocol() const { return protocol_; }
  uint64_t id() const { return id_; }
  bool closed() const { return closing_; }
  bool idle() const { return slots_.empty() && out_.empty() && !send_in_flight_; }
  // Idle for the idle timeout: no request or reply pending and nothing watched.
  bool quiet() const { return idle() && watchers_.empty() && !streaming_; }
  uint64_t last_active_ms() const { return last_active_ms_; }

  // Session state, set by the protocol handlers.
  int resp_version = 2;
  std::string name;
  bool continue_sent = false;  // HTTP: "100 Continue" sent for the request being received

  // Replies reserved but not yet handed to the kernel's queue.
  size_t pending_replies() const { return slots_.size(); }

  // Intrusive list of the worker's connections.
  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  struct RecvOp final : reactor::IoHandler {
    Connection* c;
    void OnIo(int result, uint32_t flags) override { c->OnRecv(result, flags); }
  };
  struct SendOp final : reactor::IoHandler {
    Connection* c;
    void OnIo(int result, uint32_t flags) override { c->OnSent(result); }
  };
  struct Slot {
    bool ready = false;
    std::string bytes;
    std::shared_ptr<Watcher> arms;  // a watch this reply announces
  };
  // Frame bytes of a watcher in out_ or sending_, released from its count once sent.
  struct PushMark {
    std::shared_ptr<Watcher> w;
    size_t bytes;
  };

  void ArmRecv();
  void OnRecv(int result, uint32_t flags);
  void OnSent(int result);
  // Cuts the buffered bytes into requests and hands each to its protocol handler.
  void Process(std::string_view data, std::string_view* rest);
  bool ShouldPause() const;
  void Resume();
  void FlushSlots();
  void StartSend();
  void Arm(const std::shared_ptr<Watcher>& w);
  void AppendPush(const std::shared_ptr<Watcher>& w, std::string_view bytes);
  void ReleasePushes();
  void Cancel(Watcher& w);
  void CancelWatchers();

  Worker* worker_;
  int fd_;
  Protocol protocol_;
  uint64_t id_;
  RecvOp recv_op_;
  SendOp send_op_;
  std::string in_;         // unparsed bytes (only while a request is incomplete or paused)
  size_t need_bytes_ = 0;  // don't re-parse `in_` before it holds this many bytes
  std::deque<Slot> slots_;
  uint64_t slot_base_ = 0;  // sequence number of slots_.front()
  std::string out_;         // replies not yet handed to the kernel
  std::string sending_;     // the bytes of the send in flight
  size_t sent_ = 0;
  bool send_in_flight_ = false;
  bool recv_armed_ = false;
  bool paused_ = false;
  bool reading_stopped_ = false;
  bool close_after_replies_ = false;
  bool closing_ = false;
  uint32_t refs_ = 1;  // the connection's own, dropped by Close()
  uint32_t reads_in_flight_ = 0;
  uint32_t writes_in_flight_ = 0;
  std::deque<std::pair<OpKind, std::function<void()>>> deferred_;
  uint64_t last_active_ms_ = 0;
  std::vector<std::shared_ptr<Watcher>> watchers_;
  std::vector<PushMark> marks_out_;      // pushes in out_
  std::vector<PushMark> marks_sending_;  // pushes in sending_
  uint64_t last_watch_id_ = 0;
  bool streaming_ = false;
};

}  // namespace cairn::server
