#pragma once
// On-disk layout of log segments. The byte grammar is in docs/formats/log.md; this file
// and that document must agree. All integers are little-endian.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/hash.h"
#include "cairn/status.h"

namespace cairn::format {

inline constexpr uint64_t kBlockSize = 4096;  // O_DIRECT alignment of every log write
inline constexpr uint64_t kRecordAlign = 8;   // every record starts 8-aligned

// Segment header, at offset 0 of every segment file.
inline constexpr uint64_t kSegmentMagic = 0x31474553'4E524941ull;  // "AIRNSEG1"
// The version new segments are written with; version 1 segments are still read. The two
// differ only in the hash chain's definition (docs/internals/chain.md): a segment's version
// is the chain version of its events.
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint32_t kOldestFormatVersion = 1;
inline constexpr uint32_t kSegmentHeaderSize = 72;
static_assert(kSegmentHeaderSize % kRecordAlign == 0);

struct SegmentHeader {
  uint32_t version = kFormatVersion;
  uint32_t shard = 0;
  uint64_t segment_id = 0;
  uint64_t first_position = 0;  // position the first event of this segment gets
  Hash256 prev_hash{};          // chain hash h[first_position - 1] (zeros for position 1)
};
// The hash chain version of the segment's events (docs/internals/chain.md): format 1 holds
// chain version 1, format 2 chain version 2.
inline uint32_t ChainVersionOf(const SegmentHeader& h) { return h.version; }
void EncodeSegmentHeader(const SegmentHeader& h, char* out /* kSegmentHeaderSize */);
Result<SegmentHeader> DecodeSegmentHeader(std::string_view in);

// Record header, at the start of every record.
inline constexpr uint32_t kRecordMagic = 0x43524E43;  // "CNRC"
inline constexpr uint32_t kRecordHeaderSize = 40;
inline constexpr uint32_t kMaxRecordBytes = 64u << 20;  // far above any accepted request
static_assert(kRecordHeaderSize % kRecordAlign == 0);

enum class RecordType : uint8_t {
  kEvents = 1,       // one atomic append: events of one or more streams
  kStreamState = 2,  // delete or trim: the new state of one stream
  kGroupCursor = 3,  // a consumer group's cursor for one scope, committed or deleted
  kSchema = 4,       // a JSON Schema registered for (org, event type, version); shard 0 only
  // 5 is reserved (encryption keys).
};

struct RecordHeader {
  uint32_t length = 0;  // header + body, without the padding to kRecordAlign
  RecordType type = RecordType::kEvents;
  uint64_t first_position = 0;  // kEvents: position of its first event
  uint64_t timestamp_ms = 0;
  uint32_t event_count = 0;
};
// The CRC32C at bytes [4,8) covers bytes [8, length) of the record.
inline constexpr uint32_t kRecordCrcOffset = 4;
inline constexpr uint32_t kRecordCrcStart = 8;
void EncodeRecordHeader(const RecordHeader& h, char* out /* kRecordHeaderSize */);
// Decodes and sanity-checks the header fields (not the CRC).
Result<RecordHeader> DecodeRecordHeader(std::string_view in);

inline uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
inline uint64_t AlignDown(uint64_t v, uint64_t a) { return v & ~(a - 1); }

// Fixed part of an event entry inside a kEvents record (see docs/formats/log.md).
inline constexpr uint32_t kEntryFixedSize = 4 + 4 + 8 + 8 + 8 + 16 + 2 + 4 + 4 + 32 + 32;
static_assert(kEntryFixedSize == 122);
// An encrypted entry sets this bit of type_len (type lengths are at most 128) and carries
// kEntrySealSize bytes between the fixed part and the type: key_id:u32 nonce[12] tag[16].
inline constexpr uint16_t kEntrySealedFlag = 0x8000;
inline constexpr uint32_t kEntrySealSize = 4 + 12 + 16;
static_assert(kEntrySealSize == 32);

std::string SegmentFileName(uint64_t segment_id);
bool ParseSegmentFileName(std::string_view name, uint64_t* segment_id);

}  // namespace cairn::format
