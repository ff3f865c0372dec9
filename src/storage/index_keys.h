#pragma once
// Keys and values of a shard's index (one RocksDB per shard, one column family). Keys
// start with a tag byte; integers in keys are big-endian so bytewise order is numeric.
// The layout is documented in docs/formats/index.md.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "cairn/types.h"
#include "storage/record.h"

namespace cairn::index {

inline constexpr char kCheckpointTag = 'C';  // C -> Checkpoint
// Where the last metadata mark was taken: every stream's metadata entry covered the log up
// to it (a Checkpoint; only its position, segment and offset are read).
inline constexpr char kMetaMarkTag = 'M';  // M -> Checkpoint
inline constexpr char kStreamTag = 'S';    // S stream -> StreamMeta
inline constexpr char kRunTag = 'E';       // E stream_id first_version -> Run
// Scope groups: the records of one group commit in a scope, keyed by the first position
// among them; the value lists their locations in position order (EncodeLocations).
inline constexpr char kPositionTag = 'P';   // P first_position -> Locations (every record)
inline constexpr char kOrgScopeTag = 'G';   // G org \0 first_position -> Locations
inline constexpr char kTypeScopeTag = 'H';  // H org/type \0 first_position -> Locations
inline constexpr char kOrgTag = 'O';        // O org -> "" (never removed: see KnownListings)
inline constexpr char kTypeTag = 'T';       // T org \0 type -> "" (never removed, as O)
inline constexpr char kIdemTag = 'I';       // I org \0 key -> IdempotencyEntry
inline constexpr char kExpiryTag = 'X';     // X expiry_ms org \0 key -> ""
inline constexpr char kGroupTag = 'U';      // U scope \0 group -> cursor (u64 LE)
inline constexpr char kSchemaTag = 'J';     // J org \0 type \0 major minor patch -> JSON text

// What the index covers: everything in the log up to (segment, end_offset).
struct Checkpoint {
  uint64_t next_position = 1;  // first position not yet covered
  uint64_t segment_id = 0;
  uint64_t end_offset = 0;  // offset after the last covered record
  Hash256 chain_head{};     // h[next_position - 1]
  uint64_t next_stream_id = 1;
  uint64_t last_timestamp_ms = 0;
};

struct StreamMeta {
  uint64_t stream_id = 0;
  uint64_t version = 0;
  uint64_t first_readable = 1;
  uint64_t created_ms = 0;
  uint64_t updated_ms = 0;
  DeletedState deleted = DeletedState::kNone;
};

// Where bytes live in the log.
struct Location {
  uint32_t segment_id = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
};

// A run: consecutive events of one stream written by one record.
struct Run {
  uint64_t first_position = 0;
  uint32_t count = 0;
  Location entries;         // the run's entries, contiguous
  uint64_t updated_ms = 0;  // its record's time; 0 in runs written before it was kept
};

struct IdempotencyEntry {
  uint64_t expiry_ms = 0;
  Fingerprint fingerprint{};
  AppendResult result;
};

std::string CheckpointKey();
std::string MetaMarkKey();
std::string StreamKey(std::string_view stream);
std::string RunKey(uint64_t stream_id, uint64_t first_version);
std::string PositionKey(uint64_t first_position);
std::string OrgScopeKey(std::string_view org, uint64_t first_position);
std::string TypeScopeKey(std::string_view org_type, uint64_t first_position);
std::string OrgKey(std::string_view org);
std::string TypeKey(std::string_view org, std::string_view type);
std::string IdemKey(std::string_view org, std::string_view key);
std::string ExpiryKey(uint64_t expiry_ms, std::string_view org, std::string_view key);
std::string GroupKey(std::string_view scope, std::string_view group);
// Schemas sort by org, type, then version (u32 big-endian each); shard 0 only.
std::string SchemaKey(std::string_view org, std::string_view type, const SchemaVersion& v);
// The org, type and version of a SchemaKey; false when the key is malformed.
bool ParseSchemaKey(std::string_view key, std::string* org, std::string* type, SchemaVersion* v);

// A list of record locations: count:u32 then 12 bytes each.
void AppendLocation(std::string* list, const Location& l);  // list starts empty or encoded
std::optional<std::vector<Location>> DecodeLocations(std::string_view v);

std::string EncodeCheckpoint(const Checkpoint& c);
std::optional<Checkpoint> DecodeCheckpoint(std::string_view v);
std::string EncodeStreamMeta(const StreamMeta& m);
std::optional<StreamMeta> DecodeStreamMeta(std::string_view v);
std::string EncodeLocation(const Location& l);
std::optional<Location> DecodeLocation(std::string_view v);
std::string EncodeRun(const Run& r);
std::optional<Run> DecodeRun(std::string_view v);
std::string EncodeIdempotency(const IdempotencyEntry& e);
std::optional<IdempotencyEntry> DecodeIdempotency(std::string_view v);

// The trailing big-endian u64 of a key (positions, versions).
uint64_t KeySuffix64(std::string_view key);

}  // namespace cairn::index
