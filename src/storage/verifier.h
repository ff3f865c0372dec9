#pragma once
// Verification of a shard's log from its segment files alone (no index needed), so the
// same code serves EVERIFY online and `cairn verify --data-dir` offline: every record's
// CRC32C, every event entry's CRC32C, every payload hash and the hash chain, and the
// links between segments.

#include <string>

#include "cairn/types.h"
#include "io/file_system.h"

namespace cairn {

// Checks positions [from, to] (to is clamped to the end of the log). Events before
// `from` in the starting segment are checked too (the chain needs them) but not counted.
Result<VerifyResult> VerifyShardLog(FileSystem* fs, const std::string& log_dir, uint32_t shard,
                                    uint64_t from, uint64_t to);

}  // namespace cairn
