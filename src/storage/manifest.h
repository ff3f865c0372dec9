#pragma once
// The data directory's manifest (docs/formats/manifest.md): the facts fixed at creation.

#include <string>

#include "cairn/types.h"
#include "io/file_system.h"

namespace cairn {

// 2: a stream's metadata entry in the index may trail its runs (docs/formats/index.md), which
// a version 1 binary would take for the stream's version. Version 1 directories are opened and
// upgraded by rewriting the manifest.
inline constexpr uint32_t kDataDirFormat = 2;

struct Manifest {
  uint32_t format_version = kDataDirFormat;
  uint32_t shards = 0;
  ShardKey shard_key = ShardKey::kOrg;
  uint64_t created_ms = 0;
};

inline constexpr char kManifestFile[] = "MANIFEST";

// Reads <dir>/MANIFEST; NotFound when absent.
Result<Manifest> ReadManifest(FileSystem* fs, const std::string& dir);
// Writes it atomically (temporary file, fdatasync, rename, directory fsync).
Status WriteManifest(FileSystem* fs, const std::string& dir, const Manifest& m);

}  // namespace cairn
