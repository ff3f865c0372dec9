#include "storage/verifier.h"

#include <algorithm>

#include "storage/format.h"
#include "storage/record.h"
#include "storage/segment_reader.h"

namespace cairn {
namespace {

struct Walk {
  VerifyResult result;
  uint64_t from;
  uint64_t to;
  Hash256 head{};
  bool done = false;
  uint64_t segment_id = 0;  // the segment being walked
  const VerifyPace* pace = nullptr;
  uint64_t since_pace_bytes = 0;

  // `offset`: byte offset in the current segment of the damaged entry, record or header.
  void Bad(uint64_t position, uint64_t offset, const std::string& detail) {
    result.ok = false;
    result.first_bad_position = position;
    result.first_bad_segment = segment_id;
    result.first_bad_offset = offset;
    result.detail = detail;
    done = true;
  }
  void Walked(uint64_t bytes) {
    since_pace_bytes += bytes;
    if (since_pace_bytes < kVerifyChunkBytes) return;
    since_pace_bytes = 0;
    if (pace != nullptr && *pace) (*pace)();
  }
};

std::string Where(const std::string& path, uint64_t offset) {
  return path + " offset " + std::to_string(offset);
}

// The offset (from the record's start) of the entry of `position`, or 0 (the record).
uint32_t EntryOffset(const EventsRecordView& view, uint64_t position) {
  for (const ClauseView& c : view.clauses) {
    for (const EntryView& e : c.entries) {
      if (e.position == position) return e.offset;
    }
  }
  return 0;
}

struct Damage {
  uint64_t position = 0;
  uint64_t offset = 0;  // in the segment file
};

// The first damaged event of a record whose CRC failed: an entry whose own CRC fails, or
// the first event whose chain hash no longer matches (damage in a clause header).
Damage LocateDamage(uint32_t chain, const SegmentReader::Item& item, const Walk& w,
                    uint64_t record_offset, uint64_t next_position) {
  Damage d{next_position, record_offset};
  if (item.bytes.empty() || item.header.type != format::RecordType::kEvents) return d;
  uint64_t failed = next_position;
  uint32_t failed_offset = 0;
  auto view = DecodeEventsRecord(item.bytes, &failed, &failed_offset);
  if (!view.ok()) return {std::max(failed, next_position), record_offset + failed_offset};
  Hash256 head = w.head;
  uint64_t bad = next_position;
  (void)CheckRecordChain(chain, *view, &head, &bad);
  return {bad, record_offset + EntryOffset(*view, bad)};
}

// Walks one segment's records. `next_position` is the position the next event must have.
Status WalkSegment(SegmentReader* r, bool last, Walk* w, uint64_t* next_position) {
  uint64_t offset = format::kSegmentHeaderSize;
  while (!w->done) {
    CAIRN_ASSIGN_OR_RETURN(SegmentReader::Item item, r->ReadRecord(offset));
    if (item.kind != SegmentReader::Item::Kind::kRecord) {
      CAIRN_ASSIGN_OR_RETURN(auto later, r->FindValidRecord(offset + format::kRecordAlign));
      if (later || (!last && item.kind == SegmentReader::Item::Kind::kBad)) {
        std::string what =
            item.kind == SegmentReader::Item::Kind::kBad ? item.error : "zeroed bytes";
        Damage d =
            LocateDamage(format::ChainVersionOf(r->header()), item, *w, offset, *next_position);
        w->Bad(d.position, d.offset, what + " at " + Where(r->path(), offset));
        return Status::Ok();
      }
      if (item.kind == SegmentReader::Item::Kind::kBad) {
        w->result.detail = "torn tail (an incomplete last write) at " + Where(r->path(), offset);
      }
      return Status::Ok();
    }
    if (item.header.type == format::RecordType::kEvents) {
      uint64_t failed = item.header.first_position;
      uint32_t failed_offset = 0;
      auto view = DecodeEventsRecord(item.bytes, &failed, &failed_offset);
      if (!view.ok()) {
        w->Bad(failed, offset + failed_offset,
               view.status().message() + " at " + Where(r->path(), offset));
        return Status::Ok();
      }
      if (view->header.first_position != *next_position) {
        w->Bad(*next_position, offset, "record out of sequence at " + Where(r->path(), offset));
        return Status::Ok();
      }
      uint64_t last_pos = view->header.first_position + view->header.event_count - 1;
      Hash256 head = w->head;
      uint64_t bad = 0;
      Status chain = CheckRecordChain(format::ChainVersionOf(r->header()), *view, &head, &bad);
      if (!chain.ok()) {
        w->Bad(bad, offset + EntryOffset(*view, bad),
               chain.message() + " (record at " + Where(r->path(), offset) + ")");
        return Status::Ok();
      }
      // Count and remember the head only for events inside [from, to].
      for (const ClauseView& c : view->clauses) {
        for (const EntryView& e : c.entries) {
          if (e.position >= w->from && e.position <= w->to) {
            ++w->result.checked;
            w->result.head_hash = e.chain_hash;
          }
        }
      }
      w->head = head;
      *next_position = last_pos + 1;
      if (last_pos >= w->to) w->done = true;
    }
    w->Walked(item.next_offset - offset);
    offset = item.next_offset;
  }
  return Status::Ok();
}

}  // namespace

Result<VerifyResult> VerifyShardLog(FileSystem* fs, const std::string& log_dir, uint32_t shard,
                                    uint64_t from, uint64_t to, const VerifyProgress& progress,
                                    const VerifyPace& pace) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<uint64_t> ids, ListSegmentIds(fs, log_dir));
  Walk w;
  w.pace = &pace;
  w.from = std::max<uint64_t>(from, 1);
  w.to = to;
  if (ids.empty() || w.from > w.to) return w.result;
  // Start at the last segment whose first position is at or before `from`.
  size_t start = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto r = SegmentReader::Open(fs, log_dir + "/" + format::SegmentFileName(ids[i]));
    if (!r.ok()) break;
    if ((*r)->header().first_position <= w.from)
      start = i;
    else
      break;
  }
  uint64_t next_position = 0;
  uint32_t previous_format = format::kOldestFormatVersion;
  for (size_t i = start; i < ids.size() && !w.done; ++i) {
    std::string path = log_dir + "/" + format::SegmentFileName(ids[i]);
    w.segment_id = ids[i];
    auto r = SegmentReader::Open(fs, path);
    if (!r.ok()) {
      w.Bad(next_position == 0 ? w.from : next_position, 0, r.status().message());
      break;
    }
    const format::SegmentHeader& h = (*r)->header();
    if (h.shard != shard || h.segment_id != ids[i]) {
      w.Bad(h.first_position, 0, path + ": header names another shard or segment");
      break;
    }
    if (i == start) {
      next_position = h.first_position;
      w.head = h.prev_hash;
    } else if (h.first_position != next_position || h.prev_hash != w.head) {
      w.Bad(next_position, 0, path + ": does not continue the previous segment's chain");
      break;
    } else if (h.version < previous_format) {
      w.Bad(next_position, 0,
            path + ": segment format version " + std::to_string(h.version) + " after version " +
                std::to_string(previous_format));
      break;
    }
    previous_format = h.version;
    CAIRN_RETURN_IF_ERROR(WalkSegment(r->get(), i + 1 == ids.size(), &w, &next_position));
    if (progress) progress(w.result.checked, i + 1 - start, ids.size() - start);
  }
  return w.result;
}

}  // namespace cairn
