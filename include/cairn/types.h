#pragma once
// Value types of Cairn's engine API. Semantics are those of the wire contract
// (docs/reference/protocol.md): streams `org/type/id`, 1-based versions, per-shard
// gap-free positions.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

struct Uuid {
  std::array<uint8_t, 16> bytes{};
  bool operator==(const Uuid&) const = default;
  bool IsNil() const;
  std::string ToString() const;  // lowercase 8-4-4-4-12
  // Accepts the 8-4-4-4-12 text form, any case.
  static std::optional<Uuid> Parse(std::string_view text);
};

// Which part of a stream name picks its shard; fixed when a data directory is created.
enum class ShardKey : uint8_t { kOrg = 0, kType = 1, kStream = 2 };
std::string_view ShardKeyName(ShardKey k);
std::optional<ShardKey> ParseShardKey(std::string_view s);

// Expected version of an append or delete (optimistic concurrency).
struct Expected {
  enum class Kind : uint8_t { kAny = 0, kExists = 1, kNoStream = 2, kExact = 3 };
  Kind kind = Kind::kAny;
  uint64_t version = 0;  // for kExact

  static Expected Any() { return {Kind::kAny, 0}; }
  static Expected Exists() { return {Kind::kExists, 0}; }
  static Expected NoStream() { return {Kind::kNoStream, 0}; }
  static Expected Exact(uint64_t v) { return v == 0 ? NoStream() : Expected{Kind::kExact, v}; }
  // "ANY", "EXISTS", "NONE" (any case) or a decimal version; nullopt otherwise.
  static std::optional<Expected> Parse(std::string_view s);
  std::string ToString() const;
  bool operator==(const Expected&) const = default;
};

// How an encrypted event's stored bytes were sealed (docs/internals/encryption.md): the data
// key's id, the AES-256-GCM nonce and tag. Set by the engine, never by clients.
struct EventSeal {
  uint32_t key_id = 0;
  std::array<uint8_t, 12> nonce{};
  std::array<uint8_t, 16> tag{};
  bool operator==(const EventSeal&) const = default;
};

struct ProposedEvent {
  std::string type;
  std::string data;
  std::string metadata;
  std::optional<Uuid> id;  // generated (UUIDv7) when absent
  // Set by the engine when it encrypted data and metadata (they then hold the ciphertext).
  std::optional<EventSeal> seal;
};

struct AppendClause {
  std::string stream;
  Expected expected;
  std::vector<ProposedEvent> events;  // empty: a pure condition
};

// One atomic append: EAPPEND is one clause; ETXN any number within one shard.
struct AppendRequest {
  bool transaction = false;  // ETXN (affects idempotency identity and reply shape)
  std::string idempotency_key;
  std::vector<AppendClause> clauses;
};

struct StreamRange {
  std::string stream;
  uint64_t first_version = 0;
  uint64_t last_version = 0;
  bool operator==(const StreamRange&) const = default;
};

struct AppendResult {
  uint32_t shard = 0;
  uint64_t first_position = 0;
  uint64_t last_position = 0;
  uint64_t timestamp_ms = 0;
  bool duplicate = false;
  std::vector<StreamRange> streams;  // one per clause that had events, in request order
  bool operator==(const AppendResult&) const = default;
};

struct RecordedEvent {
  std::string stream;
  uint64_t version = 0;
  uint32_t shard = 0;
  uint64_t position = 0;
  Uuid id;
  std::string type;
  uint64_t timestamp_ms = 0;
  std::string data;
  std::string metadata;
  std::array<uint8_t, 32> hash{};  // chain hash h[position]
  // The event's data key was destroyed (EKEY SHRED): data and metadata are empty.
  bool shredded = false;
  // Inside the engine only: how the stored bytes were sealed; the engine decrypts and
  // clears it before an event leaves it.
  std::optional<EventSeal> seal;
  bool operator==(const RecordedEvent&) const = default;
};

struct ReadRequest {
  std::string stream;
  std::optional<uint64_t> from;  // default 1 forward, the stream's version backward
  uint32_t count = 100;
  std::vector<std::string> types;  // empty: all
  bool backward = false;
};

struct ReadResult {
  std::vector<RecordedEvent> events;
  std::optional<uint64_t> next;  // FROM to continue, nullopt at the end
  uint64_t version = 0;          // the stream's current version
};

struct ScanRequest {
  std::string scope;  // "org", "org/type" or "#<shard>"
  uint64_t from = 1;  // inclusive position
  uint32_t count = 100;
  std::vector<std::string> types;
};

struct ScanResult {
  std::vector<RecordedEvent> events;
  // The position to continue from. Always set: at the current end of the log it is the
  // next position to be written, so a scan can be resumed as the log grows.
  std::optional<uint64_t> next;
  uint32_t shard = 0;
};

enum class DeletedState : uint8_t { kNone = 0, kSoft = 1, kHard = 2 };
std::string_view DeletedStateName(DeletedState d);  // "false", "soft", "hard"

struct StreamInfo {
  std::string stream;
  uint64_t version = 0;
  uint64_t first_version = 0;  // first readable version; 0 when nothing is readable
  uint32_t shard = 0;
  uint64_t created_ms = 0;  // 0 for a stream that never existed
  uint64_t updated_ms = 0;
  DeletedState deleted = DeletedState::kNone;
  bool operator==(const StreamInfo&) const = default;
};

struct DeleteRequest {
  std::string stream;
  Expected expected;
  bool hard = false;
};

struct TrimRequest {
  std::string stream;
  uint64_t before_version = 0;  // versions below this stop being readable
};

struct ListStreamsRequest {
  std::string scope;  // "org" or "org/type"
  std::string after;  // exclusive, a full stream name
  uint32_t count = 100;
};

struct ListStreamsResult {
  std::vector<std::string> streams;
  std::optional<std::string> next;  // AFTER to continue, nullopt at the end
};

struct VerifyRequest {
  uint32_t shard = 0;
  uint64_t from = 1;
  uint64_t to = UINT64_MAX;  // inclusive; clamped to the last committed position
};

struct VerifyResult {
  bool ok = true;
  uint64_t checked = 0;
  std::array<uint8_t, 32> head_hash{};  // chain hash of the last position checked
  std::optional<uint64_t> first_bad_position;
  // Where the first problem is: the segment id (its file name's number) and the byte
  // offset in that file of the damaged event's entry, or of the record or segment header
  // when the damage is not inside one entry. Set exactly when first_bad_position is.
  std::optional<uint64_t> first_bad_segment;
  std::optional<uint64_t> first_bad_offset;
  std::string detail;  // a readable description of the first problem
};

// A consumer group's committed cursor for one watch scope (EGROUP).
struct GroupCursor {
  std::string group;
  std::string scope;  // canonical: a stream, "org", "org/type" or "#<shard>"
  uint64_t cursor = 0;
  bool operator==(const GroupCursor&) const = default;
};

// What a group write did: the cursor now stored (commit), or the one removed (delete).
struct GroupWriteResult {
  uint64_t cursor = 0;
  bool existed = false;  // a cursor was stored before this write
};

// A schema version, MAJOR.MINOR.PATCH (docs/internals/schemas.md).
struct SchemaVersion {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint32_t patch = 0;
  auto operator<=>(const SchemaVersion&) const = default;
  std::string ToString() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  }
};

// One registered JSON Schema: immutable once written (ESCHEMA REGISTER).
struct SchemaDefinition {
  std::string org;
  std::string type;  // an event type, without "@version"
  SchemaVersion version;
  std::string body;  // the schema's JSON text, as registered
  bool operator==(const SchemaDefinition&) const = default;
};

// A watch or group scope, parsed: which shard it lies in and how events match it.
struct WatchScope {
  enum class Kind : uint8_t { kStream, kOrg, kType, kShard };
  Kind kind = Kind::kShard;
  std::string canonical;  // the scope as stored and shown ("#1", "acme", "acme/order", a stream)
  uint32_t shard = 0;
  // Cursors are versions for a stream scope, positions otherwise.
  bool by_version() const { return kind == Kind::kStream; }
};

}  // namespace cairn
