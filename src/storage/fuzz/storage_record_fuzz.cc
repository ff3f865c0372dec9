// Feeds arbitrary bytes to the log's decoders as recovery, reads and verification meet them:
// a segment header, then a record (its CRC fixed up, so that mutations reach the body
// decoders instead of stopping at the checksum), each event entry of an events record (CRC
// fixed up too), and the chain check. Nothing may crash or read out of bounds; a record that
// decodes must hold the entries its header says.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/assert.h"
#include "base/coding.h"
#include "base/crc32c.h"
#include "storage/chain.h"
#include "storage/format.h"
#include "storage/record.h"

using namespace cairn;

namespace {

void FixRecordCrc(std::string* rec) {
  if (rec->size() < format::kRecordCrcStart) return;
  EncodeFixed32(
      rec->data() + format::kRecordCrcOffset,
      crc32c::Value(rec->data() + format::kRecordCrcStart, rec->size() - format::kRecordCrcStart));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)format::DecodeSegmentHeader(in);
  if (size >= 8) {  // the input as one event entry, its own CRC fixed up
    std::string entry(in);
    const uint32_t len = DecodeFixed32(entry.data());
    if (len >= 8 && len <= entry.size()) {
      EncodeFixed32(entry.data() + 4, crc32c::Value(entry.data() + 8, len - 8));
    }
    (void)DecodeEntry(entry);
  }
  auto h = format::DecodeRecordHeader(in);
  if (!h.ok() || h->length > in.size() || h->length < format::kRecordHeaderSize) return 0;
  std::string rec(in.substr(0, h->length));
  FixRecordCrc(&rec);
  CAIRN_ASSERT(CheckRecordCrc(rec).ok());
  switch (h->type) {
    case format::RecordType::kEvents: {
      uint64_t failed = 0;
      auto r = DecodeEventsRecord(rec, &failed);
      if (!r.ok()) break;
      uint64_t events = 0;
      for (const ClauseView& c : r->clauses) events += c.entries.size();
      CAIRN_ASSERT(events == r->header.event_count);
      Hash256 head{};
      uint64_t bad = 0;
      (void)CheckRecordChain(kChainV1, *r, &head, &bad);
      head = Hash256{};
      (void)CheckRecordChain(kChainV2, *r, &head, &bad);
      break;
    }
    case format::RecordType::kStreamState:
      (void)DecodeStreamStateRecord(rec);
      break;
    case format::RecordType::kGroupCursor:
      (void)DecodeGroupCursorRecord(rec);
      break;
    case format::RecordType::kSchema:
      (void)DecodeSchemaRecord(rec);
      break;
  }
  return 0;
}
