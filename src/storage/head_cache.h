#pragma once
// The stream heads a shard needs for optimistic concurrency checks, in an LRU bounded by
// bytes. Owned by the shard's thread; nothing else touches it. Heads changed by a batch
// that is not yet indexed are pinned (never evicted) until the index has them, because the
// index would return a stale head.

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cairn/types.h"

namespace cairn {

struct StreamHead {
  uint64_t stream_id = 0;
  uint64_t version = 0;
  uint64_t first_readable = 1;
  uint64_t created_ms = 0;
  uint64_t updated_ms = 0;
  DeletedState deleted = DeletedState::kNone;
  bool exists = false;  // the stream has (or will have, once indexed) a metadata entry
  uint32_t pins = 0;
};

class HeadCache {
 public:
  explicit HeadCache(uint64_t budget_bytes) : budget_bytes_(budget_bytes) {}
  StreamHead* Find(std::string_view stream);
  // Inserts (the stream must not be present) and evicts unpinned heads over budget.
  StreamHead* Insert(std::string_view stream, const StreamHead& head);
  static void Pin(StreamHead* h) { ++h->pins; }
  void Unpin(StreamHead* h);
  uint64_t bytes() const { return bytes_; }
  size_t size() const { return map_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Node {
    std::string name;
    StreamHead head;
  };
  static uint64_t Charge(const Node& n) { return n.name.size() + sizeof(Node) + 64; }
  void Evict();

  uint64_t budget_bytes_;
  uint64_t bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  std::list<Node> lru_;  // front: most recently used
  std::unordered_map<std::string_view, std::list<Node>::iterator> map_;
};

}  // namespace cairn
