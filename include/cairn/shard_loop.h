#pragma once
// Implemented by the engine's shards; run by the server's reactors (docs/internals/server.md).

namespace cairn {

// A shard's loop, run by a thread of the caller's (EngineOptions::hosted_shards). One thread
// makes every call, from Attach to Detach; Detach finishes the writes that thread submitted.
// The engine is closed only after Detach, and then finishes what is still queued itself. The
// host thread must not make a synchronous engine call (AppendSync...): it would wait for a
// loop that only that thread runs (asserted).
class ShardLoop {
 public:
  virtual void Attach() = 0;
  virtual void Detach() = 0;
  // Does the work that is ready (requests, finished writes, timers); never waits.
  virtual void Step() = 0;
  // Called right before the thread sleeps: false when work is ready and it must not. Once
  // it returned true, any new work makes WaitFd() readable. A thread running several loops
  // asks them in turn and stops at the first that has work.
  virtual bool PrepareSleep() = 0;
  // Called when the thread wakes, whatever woke it.
  virtual void Awake() = 0;
  // Readable when the loop has work; the thread waits on it (among its own descriptors).
  virtual int WaitFd() const = 0;

 protected:
  ~ShardLoop() = default;
};

}  // namespace cairn
