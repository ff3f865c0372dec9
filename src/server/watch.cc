#include "server/watch.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "base/thread_name.h"
#include "protocol/resp/reply_format.h"
#include "protocol/resp/reply_writer.h"
#include "server/connection.h"
#include "server/http_replies.h"
#include "server/server.h"
#include "server/worker.h"

namespace cairn::server {
namespace {

// Events read per catch-up step of one watcher, and per step of live dispatch: small enough
// that no watcher holds the hub for long, large enough to amortise a read.
constexpr uint32_t kCatchUpChunk = 256;
constexpr uint32_t kDispatchChunk = 1024;

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Frames travelling from a hub to the reactor that owns the watcher's connection.
class PushTask final : public reactor::Task {
 public:
  PushTask(std::shared_ptr<Watcher> w, std::string bytes)
      : w_(std::move(w)), bytes_(std::move(bytes)) {}
  void Run() override {
    std::unique_ptr<PushTask> self(this);
    // A cancelled watcher's connection may be gone: its frames are dropped.
    if (w_->cancelled.load(std::memory_order_acquire)) return;
    w_->conn->DeliverPush(w_, std::move(bytes_));
  }

 private:
  std::shared_ptr<Watcher> w_;
  std::string bytes_;
};

bool TypeWanted(const std::vector<std::string>& types, std::string_view type) {
  return types.empty() || std::find(types.begin(), types.end(), type) != types.end();
}

// Does the event belong to the scope (the shard is already the scope's)?
bool InScope(const WatchScope& s, std::string_view stream) {
  switch (s.kind) {
    case WatchScope::Kind::kShard:
      return true;
    case WatchScope::Kind::kStream:
      return stream == s.canonical;
    case WatchScope::Kind::kOrg:
      return stream.size() > s.canonical.size() && stream[s.canonical.size()] == '/' &&
             stream.starts_with(s.canonical);
    case WatchScope::Kind::kType: {
      // org/type/id: the scope is everything before the second '/'.
      size_t first = stream.find('/');
      size_t second = first == std::string_view::npos ? first : stream.find('/', first + 1);
      return second != std::string_view::npos && stream.substr(0, second) == s.canonical;
    }
  }
  return false;
}

uint64_t CursorOf(const Watcher& w, const RecordedEvent& e) {
  return w.spec.scope.by_version() ? e.version : e.position;
}

}  // namespace

std::string LiveFrame(const Watcher& w, uint64_t cursor) {
  std::string c = std::to_string(cursor);
  if (w.spec.sse) return "id: " + c + "\nevent: live\ndata: {\"cursor\":" + c + "}\n\n";
  return ">3\r\n$4\r\nlive\r\n:" + std::to_string(w.id) + "\r\n:" + c + "\r\n";
}

// The encodings of one event, made at most once whatever the number of watchers taking it.
struct WatchHub::Frames {
  std::string resp;  // RESP3 event map
  std::string json;  // the event's JSON document
};

WatchHub::WatchHub(Server* server, uint32_t shard, const WatchLimits& limits)
    : server_(server), shard_(shard), limits_(limits) {}

WatchHub::~WatchHub() { Stop(); }

void WatchHub::Start(uint64_t next_position) {
  committed_next_.store(next_position, std::memory_order_release);
  dispatched_ = next_position - 1;
  thread_ = std::thread([this] {
    SetThreadName("cairn-watch-" + std::to_string(shard_));
    Run();
  });
}

void WatchHub::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard l(mu_);
    stop_.store(true);
    signalled_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void WatchHub::OnCommit(uint64_t next_position) {
  committed_next_.store(next_position, std::memory_order_seq_cst);
  // Without watchers there is nothing to dispatch; a watcher added later wakes the hub
  // itself, and its first turn reads committed_next_.
  if (!has_watchers_.load(std::memory_order_seq_cst)) return;
  if (!sleeping_.load(std::memory_order_seq_cst)) return;
  {
    std::lock_guard l(mu_);
    signalled_ = true;
  }
  cv_.notify_one();
}

void WatchHub::Add(std::shared_ptr<Watcher> w) {
  // A LIVE watch starts from what is durable now, as its reply is written: an event appended
  // after the client saw the reply is pushed, however late the hub thread starts the watcher.
  // Commits are recorded here before their writers are acknowledged (Shard::FinishBatch).
  w->live_after = committed_next_.load(std::memory_order_seq_cst) - 1;
  {
    std::lock_guard l(mu_);
    added_.push_back(std::move(w));
    signalled_ = true;
  }
  cv_.notify_one();
}

void WatchHub::Resume(std::shared_ptr<Watcher> w) {
  {
    std::lock_guard l(mu_);
    resume_.push_back(std::move(w));
    signalled_ = true;
  }
  cv_.notify_one();
}

void WatchHub::Wake() {
  {
    std::lock_guard l(mu_);
    signalled_ = true;
  }
  cv_.notify_one();
}

void WatchHub::Run() {
  while (!stop_.load()) {
    if (Turn()) continue;
    std::unique_lock l(mu_);
    sleeping_.store(true, std::memory_order_seq_cst);
    // A commit stored before `sleeping_` was set is seen here; one after it signals.
    const bool behind =
        !watchers_.empty() && committed_next_.load(std::memory_order_seq_cst) - 1 > dispatched_;
    if (!behind && !signalled_) {
      cv_.wait_for(l, std::chrono::seconds(1), [&] { return signalled_; });
    }
    signalled_ = false;
    sleeping_.store(false, std::memory_order_relaxed);
  }
}

void WatchHub::TakeControl() {
  std::vector<std::shared_ptr<Watcher>> added, resumed;
  {
    std::lock_guard l(mu_);
    added.swap(added_);
    resumed.swap(resume_);
  }
  for (auto& w : added) watchers_.push_back(std::move(w));
  for (auto& w : resumed) {
    if (w->state != Watcher::State::kPaused) continue;
    w->state = Watcher::State::kCatchUp;
    w->scan_next = w->cursor + 1;
  }
  std::erase_if(watchers_, [](const std::shared_ptr<Watcher>& w) {
    return w->cancelled.load(std::memory_order_acquire);
  });
  has_watchers_.store(!watchers_.empty(), std::memory_order_seq_cst);
}

bool WatchHub::Turn() {
  TakeControl();
  bool more = false;
  for (auto& w : watchers_) {
    if (w->state == Watcher::State::kStarting) StartWatcher(*w);
  }
  more = Dispatch();
  // Each catching-up watcher gets one step per turn, so live dispatch never waits for a
  // long catch-up and catch-ups share the hub fairly.
  for (auto& w : watchers_) {
    if (w->state == Watcher::State::kCatchUp && CatchUp(*w)) more = true;
  }
  const uint64_t now = NowMs();
  Heartbeats(now);
  for (auto& w : watchers_) {
    if (!w->pending.empty()) {
      Flush(*w);
      w->last_frame_ms = now;
    }
  }
  return more;
}

void WatchHub::StartWatcher(Watcher& w) {
  Engine& engine = server_->engine();
  const WatchSpec& spec = w.spec;
  switch (spec.start) {
    case WatchSpec::Start::kFrom:
      w.cursor = spec.from;
      break;
    case WatchSpec::Start::kGroup: {
      auto c = engine.GroupOffset(spec.group, spec.scope.canonical);
      if (!c.ok()) {
        spdlog::warn("watch: group {} offset for {}: {}", spec.group, spec.scope.canonical,
                     c.status().ToString());
        return;  // tried again next turn
      }
      w.cursor = *c;
      break;
    }
    case WatchSpec::Start::kLive: {
      uint64_t cursor = w.live_after;
      if (spec.scope.by_version()) {
        auto version = VersionAt(spec.scope.canonical, w.live_after);
        if (!version.ok()) {
          spdlog::warn("watch {}: {}", spec.scope.canonical, version.status().ToString());
          return;  // tried again next turn
        }
        cursor = *version;
      }
      w.cursor = cursor;
      w.last_frame_ms = NowMs();
      GoLive(w);
      // Events committed since the watch was asked for and already offered to the live
      // watchers passed this one by: it reads them from the log like a catch-up.
      if (dispatched_ > w.live_after) {
        w.state = Watcher::State::kCatchUp;
        w.scan_next = cursor + 1;
      }
      return;
    }
  }
  w.scan_next = w.cursor + 1;
  w.last_frame_ms = NowMs();
  w.state = Watcher::State::kCatchUp;
}

bool WatchHub::Full(Watcher& w) {
  return static_cast<uint64_t>(w.unsent.load(std::memory_order_acquire)) + w.pending.size() >=
         limits_.buffer_bytes;
}

void WatchHub::Emit(Watcher& w, const RecordedEvent& e, Frames& frames) {
  const uint64_t cursor = CursorOf(w, e);
  if (w.spec.sse) {
    if (frames.json.empty()) frames.json = JsonEvent(e);
    w.pending.append("id: ").append(std::to_string(cursor)).append("\nevent: ");
    w.pending.append(e.type).append("\ndata: ").append(frames.json).append("\n\n");
  } else {
    if (frames.resp.empty()) {
      resp::ReplyWriter rw(&frames.resp, 3);
      resp::WriteEvent(rw, e, false);
    }
    w.pending.append(">3\r\n$5\r\nevent\r\n:").append(std::to_string(w.id)).append("\r\n");
    w.pending.append(frames.resp);
  }
  w.cursor = cursor;
  w.delivered.fetch_add(1, std::memory_order_relaxed);
  pushed_.fetch_add(1, std::memory_order_relaxed);
}

void WatchHub::GoLive(Watcher& w) {
  w.state = Watcher::State::kLive;
  if (w.live_sent) return;  // a watcher resumed after a pause goes on without a second frame
  w.live_sent = true;
  w.pending.append(LiveFrame(w, w.cursor));
}

// The version `stream` had when the shard's log ended at `position`: its current version less
// the events it got after that position, found by reading it backward from its end.
Result<uint64_t> WatchHub::VersionAt(const std::string& stream, uint64_t position) {
  Engine& engine = server_->engine();
  auto info = engine.Info(stream);
  if (!info.ok()) return info.status();
  uint64_t version = info->version;
  ReadRequest r;
  r.stream = stream;
  r.backward = true;
  r.count = 16;
  while (version > 0) {
    r.from = version;
    auto res = engine.Read(r);
    if (!res.ok()) {
      // A hard-deleted stream gets no more events: nothing after `position` to send either.
      if (res.status().code() == StatusCode::kDeleted) return version;
      return res.status();
    }
    for (const RecordedEvent& e : res->events) {
      if (e.position <= position) return version;
      version = e.version - 1;
    }
    if (!res->next || res->events.empty()) break;  // the rest is trimmed: nothing to send
  }
  return version;
}

// Stops pushing to a watcher whose buffer is full. Either its connection's reactor sees
// `paused` once enough is sent and asks for a resume, or the buffer drained meanwhile and the
// watcher goes on now: exactly one of the two takes `paused` back.
void WatchHub::Pause(Watcher& w) {
  Flush(w);
  w.state = Watcher::State::kPaused;
  w.paused.store(true, std::memory_order_seq_cst);
  if (static_cast<uint64_t>(w.unsent.load(std::memory_order_seq_cst)) <= limits_.buffer_bytes / 2 &&
      w.paused.exchange(false)) {
    w.state = Watcher::State::kCatchUp;
    w.scan_next = w.cursor + 1;
    return;
  }
  pauses_.fetch_add(1, std::memory_order_relaxed);
}

bool WatchHub::CatchUp(Watcher& w) {
  Engine& engine = server_->engine();
  const WatchSpec& spec = w.spec;
  std::vector<RecordedEvent> events;
  bool at_end = false;
  uint64_t next = w.scan_next;
  if (spec.scope.by_version()) {
    ReadRequest r;
    r.stream = spec.scope.canonical;
    r.from = w.scan_next;
    r.count = kCatchUpChunk;
    r.types = spec.types;
    auto res = engine.Read(r);
    if (!res.ok()) {
      if (res.status().code() != StatusCode::kDeleted) {
        spdlog::warn("watch {}: {}", spec.scope.canonical, res.status().ToString());
        return false;  // tried again next turn
      }
      at_end = true;  // a hard-deleted stream gets no more events
    } else {
      events = std::move(res->events);
      at_end = !res->next.has_value();
      if (res->next) next = *res->next;
    }
  } else {
    ScanRequest s;
    s.scope = spec.scope.canonical;
    s.from = w.scan_next;
    s.count = kCatchUpChunk;
    s.types = spec.types;
    auto res = engine.Scan(s);
    if (!res.ok()) {
      spdlog::warn("watch {}: {}", spec.scope.canonical, res.status().ToString());
      return false;
    }
    events = std::move(res->events);
    next = res->next.value_or(w.scan_next);
    at_end = next <= w.scan_next;  // nothing left to look at
  }
  for (const RecordedEvent& e : events) {
    if (CursorOf(w, e) <= w.cursor) continue;
    if (Full(w)) {
      Pause(w);
      return w.state == Watcher::State::kCatchUp;
    }
    Frames frames;
    Emit(w, e, frames);
  }
  w.scan_next = next;
  if (at_end) GoLive(w);
  return !at_end;
}

bool WatchHub::Dispatch() {
  dispatch_stalled_ = false;
  const uint64_t end = committed_next_.load(std::memory_order_acquire) - 1;
  if (end <= dispatched_) return false;
  const bool any_live = std::any_of(watchers_.begin(), watchers_.end(), [](const auto& w) {
    return w->state == Watcher::State::kLive;
  });
  if (!any_live) {
    dispatched_ = end;  // nobody to offer these to; catch-ups read them from the log
    return false;
  }
  ScanRequest s;
  s.scope = "#" + std::to_string(shard_);
  s.from = dispatched_ + 1;
  s.count = kDispatchChunk;
  auto res = server_->engine().Scan(s);
  if (!res.ok()) {
    spdlog::warn("watch dispatch, shard {}: {}", shard_, res.status().ToString());
    dispatch_stalled_ = true;
    return false;
  }
  // One read of the new events, offered to every live watcher.
  for (const RecordedEvent& e : res->events) {
    Frames frames;
    for (auto& wp : watchers_) {
      Watcher& w = *wp;
      if (w.state != Watcher::State::kLive || !InScope(w.spec.scope, e.stream) ||
          CursorOf(w, e) <= w.cursor || !TypeWanted(w.spec.types, e.type)) {
        continue;
      }
      if (Full(w)) {
        Pause(w);  // if it resumed at once, it catches up from its cursor, this event included
        continue;
      }
      Emit(w, e, frames);
    }
  }
  const uint64_t next = res->next.value_or(dispatched_ + 1);
  if (next <= dispatched_ + 1) {
    dispatch_stalled_ = true;  // nothing readable yet
    return false;
  }
  dispatched_ = next - 1;
  return dispatched_ < end;
}

void WatchHub::Flush(Watcher& w) {
  if (w.pending.empty()) return;
  w.unsent.fetch_add(static_cast<int64_t>(w.pending.size()), std::memory_order_seq_cst);
  w.worker->reactor().Post(new PushTask(w.shared_from_this(), std::move(w.pending)));
  w.pending = std::string();
}

void WatchHub::Heartbeats(uint64_t now_ms) {
  const uint64_t every = static_cast<uint64_t>(limits_.heartbeat_s) * 1000;
  for (auto& w : watchers_) {
    if (w->spec.sse && w->pending.empty() && now_ms - w->last_frame_ms >= every) {
      w->pending = ": heartbeat\n\n";
    }
  }
}

Watches::Watches(const WatchLimits& limits) : limits_(limits) {}

Watches::~Watches() { Stop(); }

void Watches::Start(Server* server) {
  Engine& engine = server->engine();
  EngineStats st = engine.Stats();
  for (uint32_t i = 0; i < engine.shard_count(); ++i) {
    hubs_.push_back(std::make_unique<WatchHub>(server, i, limits_));
  }
  for (uint32_t i = 0; i < engine.shard_count(); ++i) hubs_[i]->Start(st.shards[i].next_position);
  started_.store(static_cast<uint32_t>(hubs_.size()), std::memory_order_release);
}

void Watches::Stop() {
  for (auto& h : hubs_) h->Stop();
}

void Watches::OnCommit(uint32_t shard, uint64_t next_position) {
  if (shard < started_.load(std::memory_order_acquire)) hubs_[shard]->OnCommit(next_position);
}

bool Watches::Admit() {
  if (active_.fetch_add(1, std::memory_order_relaxed) < limits_.max_watchers) return true;
  active_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

std::string Watches::MetricsText() const {
  uint64_t pushed = 0, pauses = 0;
  for (const auto& h : hubs_) {
    pushed += h->pushed_events();
    pauses += h->pauses();
  }
  std::string out;
  out += "# HELP cairn_watchers Live watches open.\n# TYPE cairn_watchers gauge\ncairn_watchers ";
  out += std::to_string(active()) + "\n";
  out += "# HELP cairn_watch_events_pushed_total Events sent to watchers.\n";
  out += "# TYPE cairn_watch_events_pushed_total counter\ncairn_watch_events_pushed_total ";
  out += std::to_string(pushed) + "\n";
  out +=
      "# HELP cairn_watch_pauses_total Times a slow watcher's buffer filled and pushing paused.\n";
  out += "# TYPE cairn_watch_pauses_total counter\ncairn_watch_pauses_total ";
  out += std::to_string(pauses) + "\n";
  return out;
}

}  // namespace cairn::server
