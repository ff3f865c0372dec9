#pragma once

#include <functional>
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
// Called after each segment: events checked so far, segments done, segments to check.
using VerifyProgress = std::function<void(uint64_t checked, size_t done, size_t total)>;
// Called between chunks of about kVerifyChunkBytes of log walked, so that an online
// verification can give the processor and the disk back (yield, sleep) without holding
// anything the write path needs.
using VerifyPace = std::function<void()>;
inline constexpr uint64_t kVerifyChunkBytes = 4u << 20;

Result<VerifyResult> VerifyShardLog(FileSystem* fs, const std::string& log_dir, uint32_t shard,
                                    uint64_t from, uint64_t to,
                                    const VerifyProgress& progress = nullptr,
                                    const VerifyPace& pace = nullptr);

}  // namespace cairn
