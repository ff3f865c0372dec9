#include "storage/stream_lookup.h"

#include <memory>
#include <string>

#include "base/coding.h"

namespace cairn {
namespace {

template <class Reader>
Result<std::optional<StreamLookup>> Lookup(const Reader& r, std::string_view stream) {
  CAIRN_ASSIGN_OR_RETURN(auto raw, r.Get(index::StreamKey(stream)));
  if (!raw) return std::optional<StreamLookup>();
  auto m = index::DecodeStreamMeta(*raw);
  if (!m) return Status::Corruption("index: bad metadata for stream " + std::string(stream));
  StreamLookup out{*m, m->version};
  // A delete or trim writes the entry with the whole version, and an append after a delete
  // rewrites it: only a live stream can have runs past it.
  if (m->deleted != DeletedState::kNone) return std::optional<StreamLookup>(out);
  CAIRN_ASSIGN_OR_RETURN(auto next, r.Get(index::RunKey(m->stream_id, m->version + 1)));
  if (!next) return std::optional<StreamLookup>(out);
  std::unique_ptr<rocksdb::Iterator> it = r.NewIterator();
  it->SeekForPrev(index::RunKey(m->stream_id, UINT64_MAX));
  if (!it->status().ok()) return Status::IoError("index: " + it->status().ToString());
  std::string prefix(1, index::kRunTag);
  PutBigEndian64(&prefix, m->stream_id);
  std::string_view key =
      it->Valid() ? std::string_view(it->key().data(), it->key().size()) : std::string_view();
  std::optional<index::Run> run;
  if (key.size() == prefix.size() + 8 && key.substr(0, prefix.size()) == prefix) {
    run = index::DecodeRun(std::string_view(it->value().data(), it->value().size()));
  }
  // The run found by the first lookup is at or before the last one.
  const uint64_t first = run ? index::KeySuffix64(key) : 0;
  if (!run || run->count == 0 || first <= m->version) {
    return Status::Corruption("index: bad last run for stream " + std::string(stream));
  }
  out.meta.version = first + run->count - 1;
  if (run->updated_ms != 0) out.meta.updated_ms = run->updated_ms;
  return std::optional<StreamLookup>(out);
}

}  // namespace

Result<std::optional<StreamLookup>> LookupStream(const ShardIndex& index, std::string_view stream) {
  return Lookup(index, stream);
}

Result<std::optional<StreamLookup>> LookupStream(const ShardIndex::View& view,
                                                 std::string_view stream) {
  return Lookup(view, stream);
}

}  // namespace cairn
