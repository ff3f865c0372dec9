#pragma once
// `cairn inspect`: the records of one log segment in readable form (docs/reference/cli.md),
// for operators and debugging. It only reads segment files (never the LOCK, never a write),
// so it runs beside a live server. A segment is read sequentially in bounded windows.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace cairn::cli {

struct InspectOptions {
  std::string data_dir = "./data";
  uint32_t shard = 0;
  std::optional<uint64_t> segment;        // none: list the shard's segments
  std::optional<uint64_t> from_position;  // start at the record holding this position
  uint64_t limit = 0;                     // records to print; 0: no limit
  bool json = false;                      // one JSON object per line
  bool data = false;                      // also print event data and metadata
};

// Writes to `out` (results) and `err` (why it could not run). Returns the exit code: 0 done,
// 1 damage found (a bad or torn record, a broken hash chain, an unreadable segment header),
// 2 could not run (no such shard or segment, I/O error).
int RunInspect(const InspectOptions& options, std::FILE* out, std::FILE* err);

}  // namespace cairn::cli
