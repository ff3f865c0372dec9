#pragma once
// Live watches (EWATCH, GET /v1/watch): catch-up from a cursor, then live, for one scope.
//
// Threads: each shard has a WatchHub with its own thread, which alone reads events for its
// watchers, encodes their frames and decides their state. A watcher's connection lives on a
// reactor thread; frames reach it as tasks posted to that reactor. The shard's thread only
// tells the hub how far the log is durable (OnCommit: an atomic store, and a wake when the
// hub sleeps).
//
// Order without gaps or duplicates: a watcher's cursor is the last event it was sent (a
// version for a stream scope, a position otherwise). Catch-up reads from the cursor through
// the engine (index and log, only durable events) on the hub thread; live dispatch reads each
// newly committed range of the shard's log once, on the same thread, and offers every event
// to every live watcher, which takes it only past its cursor. Because both run on one thread
// and a catch-up read sees at least everything dispatched so far, a watcher that reaches the
// end of its catch-up can go live at once: what it read beyond the dispatched point is
// filtered by its cursor when dispatch gets there.
//
// Back-pressure: the bytes a watcher has posted and its socket has not yet taken are
// counted (Watcher::unsent). Past the buffer limit the hub stops pushing to it (paused) and
// keeps only its cursor; when its connection has sent enough, the reactor asks the hub to
// resume, and the watcher catches up from its cursor again, from the log.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cairn/engine.h"
#include "reactor/reactor.h"

namespace cairn::server {

class Connection;
class Worker;
class Server;

struct WatchSpec {
  WatchScope scope;
  std::vector<std::string> types;  // empty: every type
  enum class Start : uint8_t { kFrom, kLive, kGroup };
  Start start = Start::kFrom;
  uint64_t from = 0;  // kFrom: the last cursor seen (exclusive)
  std::string group;  // kGroup
  bool sse = false;   // frames as server-sent events, else RESP3 pushes
};

class Watcher : public std::enable_shared_from_this<Watcher> {
 public:
  Watcher(Connection* c, Worker* w, uint64_t id, WatchSpec spec)
      : conn(c), worker(w), id(id), spec(std::move(spec)) {}

  // Reactor thread. `conn` is valid until `cancelled` is set (by that same thread).
  Connection* const conn;
  Worker* const worker;
  const uint64_t id;  // the subscription id, per connection
  const WatchSpec spec;
  bool armed = false;  // the reply that announced it went out: frames may follow it
  std::string held;    // frames that arrived before that

  // Shared.
  std::atomic<bool> cancelled{false};
  std::atomic<int64_t> unsent{0};   // frame bytes posted, not yet taken by the socket
  std::atomic<bool> paused{false};  // the hub stopped pushing: resume when drained
  std::atomic<uint64_t> delivered{0};

  // Hub thread.
  enum class State : uint8_t { kStarting, kCatchUp, kLive, kPaused };
  State state = State::kStarting;
  uint64_t cursor = 0;     // the last event sent
  uint64_t scan_next = 0;  // catch-up by position: the next position to look at
  bool live_sent = false;  // the one `live` frame of the watch went out
  // kLive: the shard's last durable position when the watch was asked for (set by Add).
  uint64_t live_after = 0;
  std::string pending;  // frames of this turn, posted together
  uint64_t last_frame_ms = 0;
};

struct WatchLimits {
  uint32_t max_watchers = 10000;
  uint32_t max_per_connection = 64;
  uint64_t buffer_bytes = 1u << 20;
  uint32_t heartbeat_s = 15;
};

class WatchHub {
 public:
  WatchHub(Server* server, uint32_t shard, const WatchLimits& limits);
  ~WatchHub();
  void Start(uint64_t next_position);
  void Stop();  // joins; afterwards frames are no longer posted

  // Shard thread: everything before `next_position` is durable and readable.
  void OnCommit(uint64_t next_position);
  // Reactor threads.
  void Add(std::shared_ptr<Watcher> w);
  void Resume(std::shared_ptr<Watcher> w);
  void Wake();  // a watcher was cancelled

  uint64_t pushed_events() const { return pushed_.load(std::memory_order_relaxed); }
  uint64_t pauses() const { return pauses_.load(std::memory_order_relaxed); }

 private:
  struct Frames;
  void Run();
  bool Turn();  // true when work remains (do not sleep)
  void TakeControl();
  void StartWatcher(Watcher& w);
  bool CatchUp(Watcher& w);
  Result<uint64_t> VersionAt(const std::string& stream, uint64_t position);
  bool Dispatch();
  void GoLive(Watcher& w);
  void Emit(Watcher& w, const RecordedEvent& e, Frames& frames);
  void Flush(Watcher& w);
  bool Full(Watcher& w);
  void Pause(Watcher& w);
  void Heartbeats(uint64_t now_ms);

  Server* server_;
  const uint32_t shard_;
  const WatchLimits limits_;
  std::thread thread_;
  std::atomic<uint64_t> committed_next_{1};
  std::atomic<bool> stop_{false};
  std::atomic<bool> sleeping_{false};
  // Whether the hub has watchers (set by its thread after taking new ones): with none, a
  // commit only records its position and wakes nobody.
  std::atomic<bool> has_watchers_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool signalled_ = false;                        // guarded by mu_
  std::vector<std::shared_ptr<Watcher>> added_;   // guarded by mu_
  std::vector<std::shared_ptr<Watcher>> resume_;  // guarded by mu_
  // Hub thread.
  std::vector<std::shared_ptr<Watcher>> watchers_;
  uint64_t dispatched_ = 0;  // last position offered to live watchers
  bool dispatch_stalled_ = false;
  std::atomic<uint64_t> pushed_{0};
  std::atomic<uint64_t> pauses_{0};
};

// The hubs of every shard and the node-wide watcher count. Created before the engine (its
// commit hook points here), started once the engine is open, stopped before it closes.
class Watches {
 public:
  explicit Watches(const WatchLimits& limits);
  ~Watches();
  void Start(Server* server);
  void Stop();  // joins the hubs; commits are ignored from then on
  WatchHub& hub(uint32_t shard) { return *hubs_[shard]; }
  // The engine's commit hook (any shard thread).
  void OnCommit(uint32_t shard, uint64_t next_position);
  const WatchLimits& limits() const { return limits_; }
  bool Admit();  // one more watcher on this node, unless at the limit
  void Release() { active_.fetch_sub(1, std::memory_order_relaxed); }
  uint64_t active() const { return active_.load(std::memory_order_relaxed); }
  std::string MetricsText() const;

 private:
  const WatchLimits limits_;
  std::vector<std::unique_ptr<WatchHub>> hubs_;
  std::atomic<uint32_t> started_{0};
  std::atomic<uint64_t> active_{0};
};

// Frame encodings (RESP3 push or server-sent event).
std::string LiveFrame(const Watcher& w, uint64_t cursor);

}  // namespace cairn::server
