#pragma once
// The stream heads a shard needs for optimistic concurrency checks, in an LRU bounded by
// bytes. Owned by the shard's thread; nothing else touches it. Heads changed by a batch
// that is not yet indexed are pinned (never evicted) until the index has them, because the
// index would return a stale head. A head whose version is ahead of its stream's metadata
// entry in the index (appends do not rewrite it) is handed to the eviction callback, which
// writes the entry, when it leaves the cache.

#include <cstdint>
#include <functional>
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
  bool exists = false;         // the stream has (or will have, once indexed) a metadata entry
  uint64_t meta_version = 0;   // the version that entry holds (or will hold)
  uint64_t last_position = 0;  // of its last event appended since it was cached (0: none)
  uint32_t pins = 0;
};

class HeadCache {
 public:
  using EvictFn = std::function<void(std::string_view stream, const StreamHead& head)>;
  explicit HeadCache(uint64_t budget_bytes) : budget_bytes_(budget_bytes) {}
  // Called for each evicted head whose version its metadata entry does not hold.
  void set_on_evict(EvictFn fn) { on_evict_ = std::move(fn); }
  static bool Behind(const StreamHead& h) { return h.exists && h.meta_version != h.version; }
  StreamHead* Find(std::string_view stream);
  // Whether the head is cached, without counting a hit or touching the LRU order.
  bool Contains(std::string_view stream) const { return map_.count(stream) > 0; }
  // The head if cached (nullptr if not), without counting a hit or touching the LRU order.
  StreamHead* Peek(std::string_view stream) {
    auto it = map_.find(stream);
    return it == map_.end() ? nullptr : &it->second->head;
  }
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
  // What a head really costs on the heap: the list node, the name's buffer when it does not
  // fit the string's inline buffer, the hash node and its bucket, and the allocator's header
  // on each allocation. Under-charging here would let RSS exceed the memory budget.
  static uint64_t Charge(const Node& n) {
    constexpr uint64_t kMallocHeader = 16;
    constexpr uint64_t kListNode = sizeof(Node) + 2 * sizeof(void*) + kMallocHeader;
    constexpr uint64_t kHashNode =
        sizeof(std::string_view) + 3 * sizeof(void*) + kMallocHeader + 2 * sizeof(void*);
    const uint64_t name_heap =
        n.name.capacity() > 15 ? ((n.name.capacity() + 1 + 15) & ~uint64_t{15}) + kMallocHeader : 0;
    return kListNode + kHashNode + name_heap;
  }
  void Evict();

  uint64_t budget_bytes_;
  uint64_t bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  EvictFn on_evict_;
  std::list<Node> lru_;  // front: most recently used
  std::unordered_map<std::string_view, std::list<Node>::iterator> map_;
};

}  // namespace cairn
