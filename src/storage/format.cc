#include "storage/format.h"

#include <cstdio>
#include <cstring>

#include "base/coding.h"
#include "base/crc32c.h"

namespace cairn::format {

void EncodeSegmentHeader(const SegmentHeader& h, char* out) {
  std::memset(out, 0, kSegmentHeaderSize);
  EncodeFixed64(out, kSegmentMagic);
  EncodeFixed32(out + 8, h.version);
  EncodeFixed32(out + 12, h.shard);
  EncodeFixed64(out + 16, h.segment_id);
  EncodeFixed64(out + 24, h.first_position);
  std::memcpy(out + 32, h.prev_hash.data(), 32);
  EncodeFixed32(out + 64, crc32c::Value(out, 64));
}

Result<SegmentHeader> DecodeSegmentHeader(std::string_view in) {
  if (in.size() < kSegmentHeaderSize) return Status::Corruption("segment header truncated");
  const char* p = in.data();
  if (DecodeFixed64(p) != kSegmentMagic) return Status::Corruption("bad segment magic");
  if (DecodeFixed32(p + 64) != crc32c::Value(p, 64)) {
    return Status::Corruption("segment header checksum mismatch");
  }
  SegmentHeader h;
  h.version = DecodeFixed32(p + 8);
  if (h.version < kOldestFormatVersion || h.version > kFormatVersion) {
    return Status::Corruption("unsupported segment format version " + std::to_string(h.version));
  }
  h.shard = DecodeFixed32(p + 12);
  h.segment_id = DecodeFixed64(p + 16);
  h.first_position = DecodeFixed64(p + 24);
  std::memcpy(h.prev_hash.data(), p + 32, 32);
  return h;
}

void EncodeRecordHeader(const RecordHeader& h, char* out) {
  EncodeFixed32(out, kRecordMagic);
  EncodeFixed32(out + 4, 0);  // CRC, filled in once the body is written
  EncodeFixed32(out + 8, h.length);
  out[12] = static_cast<char>(h.type);
  out[13] = 0;
  out[14] = 0;
  out[15] = 0;
  EncodeFixed64(out + 16, h.first_position);
  EncodeFixed64(out + 24, h.timestamp_ms);
  EncodeFixed32(out + 32, h.event_count);
  EncodeFixed32(out + 36, 0);
}

Result<RecordHeader> DecodeRecordHeader(std::string_view in) {
  if (in.size() < kRecordHeaderSize) return Status::Corruption("record header truncated");
  const char* p = in.data();
  if (DecodeFixed32(p) != kRecordMagic) return Status::Corruption("bad record magic");
  RecordHeader h;
  h.length = DecodeFixed32(p + 8);
  uint8_t type = static_cast<uint8_t>(p[12]);
  if (h.length < kRecordHeaderSize || h.length > kMaxRecordBytes) {
    return Status::Corruption("bad record length " + std::to_string(h.length));
  }
  if (type != static_cast<uint8_t>(RecordType::kEvents) &&
      type != static_cast<uint8_t>(RecordType::kStreamState) &&
      type != static_cast<uint8_t>(RecordType::kGroupCursor) &&
      type != static_cast<uint8_t>(RecordType::kSchema)) {
    return Status::Corruption("bad record type " + std::to_string(type));
  }
  h.type = static_cast<RecordType>(type);
  h.first_position = DecodeFixed64(p + 16);
  h.timestamp_ms = DecodeFixed64(p + 24);
  h.event_count = DecodeFixed32(p + 32);
  return h;
}

std::string SegmentFileName(uint64_t segment_id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu.log", static_cast<unsigned long long>(segment_id));
  return buf;
}

bool ParseSegmentFileName(std::string_view name, uint64_t* segment_id) {
  if (name.size() != 24 || name.substr(20) != ".log") return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *segment_id = v;
  return true;
}

}  // namespace cairn::format
