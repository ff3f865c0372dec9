#pragma once
// A stream's metadata as the index knows it. Appends to a stream whose head is cached do not
// rewrite its metadata entry (S): its version and update time may trail the stream's runs
// (E), and the runs say how far. Readers of a stream's version that do not see the shard's
// heads go through here (docs/formats/index.md, "Entries behind their runs").

#include <optional>
#include <string_view>

#include "cairn/status.h"
#include "storage/index_keys.h"
#include "storage/shard_index.h"

namespace cairn {

struct StreamLookup {
  index::StreamMeta meta;       // brought up to date from the runs
  uint64_t stored_version = 0;  // the version the S entry holds
};

// Both lookups see the same index state: a view's snapshot, or the index read by its only
// writer's thread. Costs one S lookup, plus one run lookup that the bloom filters answer
// without reading a block when the entry is current; one seek more when it is not.
Result<std::optional<StreamLookup>> LookupStream(const ShardIndex& index, std::string_view stream);
Result<std::optional<StreamLookup>> LookupStream(const ShardIndex::View& view,
                                                 std::string_view stream);

}  // namespace cairn
