#include "storage/head_cache.h"

#include "base/assert.h"

namespace cairn {
namespace {
// Unpinned candidates examined from the cold end per eviction pass; pinned heads are
// few (only those of batches in flight), so a short look is enough.
constexpr int kMaxEvictionProbe = 64;
}  // namespace

StreamHead* HeadCache::Find(std::string_view stream) {
  auto it = map_.find(stream);
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->head;
}

StreamHead* HeadCache::Insert(std::string_view stream, const StreamHead& head) {
  CAIRN_DASSERT(map_.find(stream) == map_.end());
  lru_.push_front(Node{std::string(stream), head});
  auto it = lru_.begin();
  map_.emplace(std::string_view(it->name), it);
  bytes_ += Charge(*it);
  Evict();
  return &it->head;
}

void HeadCache::Unpin(StreamHead* h) {
  CAIRN_ASSERT(h->pins > 0);
  --h->pins;
}

void HeadCache::Evict() {
  int probe = 0;
  auto it = lru_.end();
  while (bytes_ > budget_bytes_ && it != lru_.begin() && probe < kMaxEvictionProbe) {
    --it;
    if (it->head.pins > 0 || it == lru_.begin()) {
      ++probe;
      continue;
    }
    auto victim = it++;
    if (on_evict_ && Behind(victim->head)) on_evict_(victim->name, victim->head);
    bytes_ -= Charge(*victim);
    map_.erase(std::string_view(victim->name));
    lru_.erase(victim);
  }
}

}  // namespace cairn
