#include "server/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/assert.h"
#include "server/server.h"
#include "server/sessions.h"
#include "server/watch.h"
#include "server/worker.h"

namespace cairn::server {
namespace {

// While reading is paused, buffered input beyond this stops the receive until replies drain.
constexpr size_t kPausedInputLimitBytes = 1u << 20;
// Reply buffers larger than this are released once sent rather than kept for reuse.
constexpr size_t kKeepBufferBytes = 1u << 20;

}  // namespace

Connection::Connection(Worker* worker, int fd, Protocol protocol, uint64_t id)
    : worker_(worker), fd_(fd), protocol_(protocol), id_(id) {
  recv_op_.c = this;
  send_op_.c = this;
  last_active_ms_ = worker->now_ms();
}

void Connection::Start() { ArmRecv(); }

void Connection::ArmRecv() {
  CAIRN_DASSERT(!recv_armed_);
  io_uring_sqe* sqe = worker_->reactor().Sqe();
  io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = worker_->buffers().group_id();
  worker_->reactor().Submit(sqe, &recv_op_);
  recv_armed_ = true;
  Ref();
}

bool Connection::ShouldPause() const {
  const ServerConfig& cfg = worker_->config();
  return slots_.size() >= cfg.max_pipeline ||
         out_.size() + (sending_.size() - sent_) > cfg.max_output_bytes;
}

void Connection::OnRecv(int result, uint32_t flags) {
  if (result > 0 && (flags & IORING_CQE_F_BUFFER)) {
    std::string_view data = worker_->buffers().Data(flags, result);
    worker_->metrics().bytes_in.fetch_add(static_cast<uint64_t>(result), std::memory_order_relaxed);
    last_active_ms_ = worker_->now_ms();
    bool can_process = !closing_ && !paused_ && !reading_stopped_ && !close_after_replies_;
    if (streaming_) {
      // A server-sent event stream takes no more requests: input is read and dropped so a
      // close from the client is still seen.
      worker_->buffers().Recycle(flags);
      if (flags & IORING_CQE_F_MORE) return;
      recv_armed_ = false;
      if (result == 0 || (result < 0 && result != -ENOBUFS)) {
        Close();
      } else if (!closing_) {
        ArmRecv();
      }
      Unref();
      return;
    }
    if (in_.empty() && can_process) {
      std::string_view rest;
      Process(data, &rest);  // straight from the kernel's buffer: no copy
      in_.append(rest);
    } else if (!closing_ && !reading_stopped_ && !close_after_replies_) {
      in_.append(data);
      if (can_process && in_.size() >= need_bytes_) {
        std::string_view rest;
        Process(in_, &rest);
        in_.erase(0, in_.size() - rest.size());
      }
    }
    worker_->buffers().Recycle(flags);
    StartSend();
    if (paused_ && recv_armed_ && in_.size() > kPausedInputLimitBytes) {
      io_uring_sqe* sqe = worker_->reactor().Sqe();
      io_uring_prep_cancel(sqe, &recv_op_, 0);
      worker_->reactor().Submit(sqe, nullptr);
    }
  }
  if (flags & IORING_CQE_F_MORE) return;
  recv_armed_ = false;
  if (result == 0) {
    CloseAfterReplies();  // the client closed its side: answer what it sent, then close
  } else if (result < 0 && result != -ENOBUFS && result != -ECANCELED) {
    Close();
  } else if (!closing_ && !paused_ && !reading_stopped_ && !close_after_replies_) {
    ArmRecv();
  }
  Unref();
}

void Connection::Process(std::string_view data, std::string_view* rest) {
  size_t off = 0;
  need_bytes_ = 0;
  while (off < data.size() && !closing_ && !close_after_replies_ && !reading_stopped_ &&
         !streaming_) {
    if (ShouldPause()) {
      paused_ = true;
      break;
    }
    StepResult r = protocol_ == Protocol::kResp ? RespStep(*this, data.substr(off))
                                                : HttpStep(*this, data.substr(off));
    if (r.consumed == 0) {
      need_bytes_ = r.need_bytes;
      break;
    }
    off += r.consumed;
  }
  *rest = data.substr(off);
}

void Connection::Resume() {
  paused_ = false;
  if (closing_ || reading_stopped_ || close_after_replies_) return;
  if (!in_.empty() && in_.size() >= need_bytes_) {
    std::string_view rest;
    Process(in_, &rest);
    in_.erase(0, in_.size() - rest.size());
    StartSend();
  }
  if (!paused_ && !recv_armed_ && !closing_ && !close_after_replies_) ArmRecv();
}

std::string* Connection::SyncReply() {
  if (slots_.empty()) return &out_;
  slots_.push_back(Slot{true, {}, nullptr});
  return &slots_.back().bytes;
}

uint64_t Connection::BeginAsyncReply() {
  slots_.push_back(Slot{false, {}, nullptr});
  Ref();
  return slot_base_ + slots_.size() - 1;
}

void Connection::FinishAsyncReply(uint64_t slot, std::string reply) {
  if (!closing_) {
    CAIRN_ASSERT(slot >= slot_base_ && slot - slot_base_ < slots_.size());
    Slot& s = slots_[slot - slot_base_];
    s.bytes = std::move(reply);
    s.ready = true;
    FlushSlots();
    StartSend();
    if (paused_ && !ShouldPause()) Resume();
  }
  Unref();
}

void Connection::OpDone(OpKind kind) {
  --(kind == OpKind::kRead ? reads_in_flight_ : writes_in_flight_);
  while (!deferred_.empty()) {
    OpKind next = deferred_.front().first;
    if ((next == OpKind::kRead ? writes_in_flight_ : reads_in_flight_) != 0) break;
    ++(next == OpKind::kRead ? reads_in_flight_ : writes_in_flight_);
    std::function<void()> start = std::move(deferred_.front().second);
    deferred_.pop_front();
    start();
  }
}

void Connection::FlushSlots() {
  while (!slots_.empty() && slots_.front().ready) {
    out_.append(slots_.front().bytes);
    std::shared_ptr<Watcher> arms = std::move(slots_.front().arms);
    slots_.pop_front();
    ++slot_base_;
    if (arms) Arm(arms);
  }
}

void Connection::AddWatcher(std::shared_ptr<Watcher> w) {
  watchers_.push_back(w);
  if (slots_.empty()) {
    Arm(w);  // its reply is already in out_
  } else {
    slots_.back().arms = w;
  }
}

void Connection::Arm(const std::shared_ptr<Watcher>& w) {
  w->armed = true;
  if (!w->held.empty() && !w->cancelled.load(std::memory_order_relaxed)) {
    std::string held = std::move(w->held);
    AppendPush(w, held);
  }
}

// Ends a watch on this connection: frames still on their way are dropped, the node's count
// released, and the hub told so that it forgets the watcher.
void Connection::Cancel(Watcher& w) {
  w.cancelled.store(true, std::memory_order_release);
  w.held.clear();
  worker_->server().watches().Release();
  worker_->server().watches().hub(w.spec.scope.shard).Wake();
}

bool Connection::RemoveWatcher(uint64_t id) {
  for (auto it = watchers_.begin(); it != watchers_.end(); ++it) {
    if ((*it)->id != id) continue;
    Cancel(**it);
    watchers_.erase(it);
    return true;
  }
  return false;
}

void Connection::CancelWatchers() {
  for (auto& w : watchers_) Cancel(*w);
  watchers_.clear();
  marks_out_.clear();
  marks_sending_.clear();
}

void Connection::DeliverPush(const std::shared_ptr<Watcher>& w, std::string bytes) {
  if (closing_) return;
  if (!w->armed) {
    w->held.append(bytes);
    return;
  }
  if (out_.empty()) {
    // The common case: nothing else waits to be sent, so the frames become the buffer as
    // they are, without a copy.
    marks_out_.push_back(PushMark{w, bytes.size()});
    out_.swap(bytes);
  } else {
    AppendPush(w, bytes);
  }
  StartSend();
}

void Connection::AppendPush(const std::shared_ptr<Watcher>& w, std::string_view bytes) {
  out_.append(bytes);
  marks_out_.push_back(PushMark{w, bytes.size()});
}

void Connection::ReleasePushes() {
  if (marks_sending_.empty()) return;
  Watches& watches = worker_->server().watches();
  const int64_t low_water = static_cast<int64_t>(watches.limits().buffer_bytes / 2);
  for (PushMark& m : marks_sending_) {
    int64_t left =
        m.w->unsent.fetch_sub(static_cast<int64_t>(m.bytes)) - static_cast<int64_t>(m.bytes);
    if (left <= low_water && m.w->paused.load(std::memory_order_seq_cst) &&
        !m.w->cancelled.load(std::memory_order_relaxed) && m.w->paused.exchange(false)) {
      watches.hub(m.w->spec.scope.shard).Resume(m.w);
    }
  }
  marks_sending_.clear();
}

void Connection::StartSend() {
  if (send_in_flight_ || closing_) return;
  if (out_.empty()) {
    if ((close_after_replies_ || reading_stopped_) && slots_.empty()) Close();
    return;
  }
  sending_.swap(out_);
  out_.clear();
  marks_sending_.swap(marks_out_);
  sent_ = 0;
  send_in_flight_ = true;
  io_uring_sqe* sqe = worker_->reactor().Sqe();
  io_uring_prep_send(sqe, fd_, sending_.data(), sending_.size(), MSG_NOSIGNAL);
  worker_->reactor().Submit(sqe, &send_op_);
  Ref();
}

void Connection::OnSent(int result) {
  if (result < 0 || closing_) {
    send_in_flight_ = false;
    Close();
    Unref();
    return;
  }
  worker_->metrics().bytes_out.fetch_add(static_cast<uint64_t>(result), std::memory_order_relaxed);
  sent_ += static_cast<size_t>(result);
  if (sent_ < sending_.size()) {
    io_uring_sqe* sqe = worker_->reactor().Sqe();
    io_uring_prep_send(sqe, fd_, sending_.data() + sent_, sending_.size() - sent_, MSG_NOSIGNAL);
    worker_->reactor().Submit(sqe, &send_op_);
    return;  // the reference stays with the send
  }
  send_in_flight_ = false;
  ReleasePushes();
  if (sending_.capacity() > kKeepBufferBytes) {
    std::string().swap(sending_);
  } else {
    sending_.clear();
  }
  sent_ = 0;
  StartSend();
  if (paused_ && !ShouldPause()) Resume();
  worker_->MaybeDrained();
  Unref();
}

void Connection::CloseAfterReplies() {
  close_after_replies_ = true;
  if (!send_in_flight_ && out_.empty() && slots_.empty()) Close();
}

void Connection::StopReading() {
  reading_stopped_ = true;
  if (idle()) Close();
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  CancelWatchers();
  ::shutdown(fd_, SHUT_RDWR);  // ends the receive and any send; their completions unref
  worker_->OnClosing(this);
  Unref();
}

void Connection::Unref() {
  CAIRN_ASSERT(refs_ > 0);
  if (--refs_ > 0) return;
  ::close(fd_);
  worker_->Forget(this);
  delete this;
}

}  // namespace cairn::server
