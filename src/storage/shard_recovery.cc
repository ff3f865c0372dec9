// Shard recovery (docs/internals/recovery.md): replay the log past the index checkpoint,
// checking every record's CRC and every event's chain hash; truncate a torn tail (an
// incomplete last write); refuse to open when a bad record is followed by good ones.

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include "base/assert.h"
#include "storage/format.h"
#include "storage/record_indexer.h"
#include "storage/segment_reader.h"
#include "storage/shard.h"

namespace cairn {
namespace {

constexpr size_t kReplayBatchRecords = 1024;

std::string Where(const std::string& path, uint64_t offset) {
  return path + " offset " + std::to_string(offset);
}

// True when none of the segments ids[from..] holds a record (only its header).
Result<bool> NoRecordsFrom(FileSystem* fs, const SegmentFiles& segments,
                           const std::vector<uint64_t>& ids, size_t from) {
  for (size_t j = from; j < ids.size(); ++j) {
    CAIRN_ASSIGN_OR_RETURN(auto r, SegmentReader::Open(fs, segments.PathOf(ids[j])));
    CAIRN_ASSIGN_OR_RETURN(SegmentReader::Item item, r->ReadRecord(format::kSegmentHeaderSize));
    if (item.kind != SegmentReader::Item::Kind::kEnd) return false;
  }
  return true;
}

// The most bytes one group-commit write can span: a batch fills up to max_batch_bytes, but a
// single larger request goes alone (its data, metadata and names up to max_request_bytes,
// plus per-event framing), and the write starts at the block that held the previous tail.
uint64_t MaxWriteBytes(const EngineOptions& o) {
  uint64_t request = static_cast<uint64_t>(o.limits.max_request_bytes) +
                     static_cast<uint64_t>(o.limits.max_events_per_append) * 256 + (64u << 10);
  uint64_t bytes = std::max<uint64_t>(o.max_batch_bytes, request);
  return format::AlignUp(bytes, format::kBlockSize) + format::kBlockSize;
}

}  // namespace

Status Shard::Recover() {
  const uint64_t t0 = env_->clock()->MonotonicNanos();
  CAIRN_RETURN_IF_ERROR(RecoverLog());
  replay_ns_ = env_->clock()->MonotonicNanos() - t0 - meta_ns_;
  // Every metadata entry is current now (the replay rewrote those of its records, and
  // RewriteMetaSince those a crash left behind before them): mark it.
  indexed_cp_ = index::Checkpoint{next_position_, segment_id_,     segment_end_,
                                  chain_head_,    next_stream_id_, last_timestamp_ms_};
  rocksdb::WriteBatch wb;
  CAIRN_RETURN_IF_ERROR(WriteMetaMark(indexed_cp_, &wb));
  // What recovery indexed is persisted at once (in the background), with the mark: the first
  // timed flush comes only one interval after the open, and a crash before it would otherwise
  // replay and rewrite all of it again.
  if (replayed_records_ > 0 || meta_records_ > 0) return index_->Flush(false);
  return Status::Ok();
}

Status Shard::RewriteMetaSince(const index::Checkpoint& mark, const index::Checkpoint& cp,
                               const std::vector<uint64_t>& ids) {
  FileSystem* fs = env_->fs();
  // Segment ids are consecutive: every one from the mark's to the checkpoint's must be there.
  for (uint64_t id = mark.segment_id; id <= cp.segment_id; ++id) {
    if (!std::binary_search(ids.begin(), ids.end(), id)) {
      return Status::Corruption("shard " + std::to_string(id_) + ": segment " +
                                format::SegmentFileName(id) +
                                ", between the metadata mark and the index checkpoint, is missing");
    }
  }
  rocksdb::WriteBatch wb;
  for (uint64_t seg : ids) {
    if (seg < mark.segment_id || seg > cp.segment_id) continue;
    const std::string path = segments_->PathOf(seg);
    CAIRN_ASSIGN_OR_RETURN(auto reader, SegmentReader::Open(fs, path));
    uint64_t offset = seg == mark.segment_id ? mark.end_offset : format::kSegmentHeaderSize;
    const uint64_t end = seg == cp.segment_id ? cp.end_offset : UINT64_MAX;
    while (offset < end) {
      CAIRN_ASSIGN_OR_RETURN(SegmentReader::Item item, reader->ReadRecord(offset));
      if (item.kind != SegmentReader::Item::Kind::kRecord) {
        // Records before the checkpoint were all indexed: only a segment's end stops early.
        if (seg == cp.segment_id || item.kind == SegmentReader::Item::Kind::kBad) {
          return Status::Corruption("corrupt log before the index checkpoint at " +
                                    Where(path, offset) + ": " + item.error);
        }
        break;
      }
      if (item.header.type == format::RecordType::kEvents) {
        auto view = DecodeEventsRecordClauses(item.bytes);
        if (!view.ok()) {
          return Status::Corruption(view.status().message() + " at " + Where(path, offset));
        }
        IndexEventsRecordMeta(*view, &wb);
        ++meta_records_;
      } else if (item.header.type == format::RecordType::kStreamState) {
        auto view = DecodeStreamStateRecord(item.bytes);
        if (!view.ok()) {
          return Status::Corruption(view.status().message() + " at " + Where(path, offset));
        }
        IndexStreamStateRecord(*view, item.header.timestamp_ms, &wb);
        ++meta_records_;
      }
      offset = item.next_offset;
      if (wb.Count() >= 4096) {
        CAIRN_RETURN_IF_ERROR(index_->Write(&wb));
        wb.Clear();
      }
    }
    if (seg == cp.segment_id && offset != cp.end_offset) {
      return Status::Corruption(
          "shard " + std::to_string(id_) + ": records do not end at the index checkpoint (" +
          Where(path, offset) + ", checkpoint offset " + std::to_string(cp.end_offset) + ")");
    }
  }
  return index_->Write(&wb);
}

Status Shard::RecoverLog() {
  FileSystem* fs = env_->fs();
  const std::string log_dir = dir_ + "/log";
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(log_dir));
  std::vector<uint64_t> ids;
  for (const std::string& n : names) {
    uint64_t id;
    if (format::ParseSegmentFileName(n, &id)) {
      ids.push_back(id);
    } else if (n.size() > 4 && n.substr(n.size() - 4) == ".tmp") {
      // A spare prepared ahead, or a segment never made durable.
      CAIRN_RETURN_IF_ERROR(fs->Remove(log_dir + "/" + n));
    }
  }
  std::sort(ids.begin(), ids.end());
  CAIRN_ASSIGN_OR_RETURN(auto cp_raw, index_->Get(index::CheckpointKey()));
  std::optional<index::Checkpoint> cp;
  if (cp_raw) {
    cp = index::DecodeCheckpoint(*cp_raw);
    if (!cp) return Status::Corruption("shard " + std::to_string(id_) + ": bad index checkpoint");
  }
  CAIRN_ASSIGN_OR_RETURN(auto mark_raw, index_->Get(index::MetaMarkKey()));
  std::optional<index::Checkpoint> mark;
  if (mark_raw) {
    mark = index::DecodeCheckpoint(*mark_raw);
    if (!mark) return Status::Corruption("shard " + std::to_string(id_) + ": bad metadata mark");
  }
  if (ids.empty()) {
    if (cp) {
      return Status::Corruption("shard " + std::to_string(id_) +
                                ": the index covers a log but no segment files exist in " +
                                log_dir);
    }
    segment_id_ = 0;
    return StartSegment(/*in_background=*/false);
  }
  // Metadata entries appends left behind before the crash, past the last mark (a directory
  // without one, written by format 1, has none behind). Before the replay, which rewrites the
  // later ones.
  const uint64_t t0 = env_->clock()->MonotonicNanos();
  if (cp && mark && mark->next_position < cp->next_position) {
    CAIRN_RETURN_IF_ERROR(RewriteMetaSince(*mark, *cp, ids));
  }
  meta_ns_ = env_->clock()->MonotonicNanos() - t0;
  size_t start = 0;
  uint64_t offset = format::kSegmentHeaderSize;
  if (cp) {
    auto it = std::find(ids.begin(), ids.end(), cp->segment_id);
    if (it == ids.end()) {
      return Status::Corruption("shard " + std::to_string(id_) + ": checkpoint names segment " +
                                format::SegmentFileName(cp->segment_id) + ", which is missing");
    }
    start = static_cast<size_t>(it - ids.begin());
    offset = cp->end_offset;
    next_position_ = cp->next_position;
    chain_head_ = cp->chain_head;
    next_stream_id_ = cp->next_stream_id;
    last_timestamp_ms_ = cp->last_timestamp_ms;
  }

  rocksdb::WriteBatch wb;
  ScopeIndexer scopes;
  // Listing keys already put by this replay (each replay batch is written before the next).
  KnownListings listings;
  size_t pending = 0;
  auto flush_replay = [&](uint64_t seg, uint64_t end) -> Status {
    scopes.Flush(&wb);
    index::Checkpoint c{next_position_, seg, end, chain_head_, next_stream_id_, last_timestamp_ms_};
    std::string v = index::EncodeCheckpoint(c);
    (void)wb.Put(rocksdb::Slice(index::CheckpointKey()), rocksdb::Slice(v));
    Status st = index_->Write(&wb);
    wb.Clear();
    pending = 0;
    return st;
  };

  uint32_t previous_format = format::kOldestFormatVersion;
  for (size_t i = start; i < ids.size(); ++i) {
    const uint64_t seg = ids[i];
    bool last = i + 1 == ids.size();
    bool ends_log_early = false;  // the log ends here although later segments exist
    const std::string path = segments_->PathOf(seg);
    CAIRN_ASSIGN_OR_RETURN(auto reader, SegmentReader::Open(fs, path));
    const format::SegmentHeader& sh = reader->header();
    const uint32_t chain_version = format::ChainVersionOf(sh);  // kept: the reader may close
    // A log is only ever written forward: format 2 segments follow format 1 ones, never the
    // other way round.
    if (sh.version < previous_format) {
      return Status::Corruption(path + ": segment format version " + std::to_string(sh.version) +
                                " after version " + std::to_string(previous_format));
    }
    previous_format = sh.version;
    if (sh.segment_id != seg || sh.shard != id_) {
      return Status::Corruption(path + ": header names shard " + std::to_string(sh.shard) +
                                " segment " + std::to_string(sh.segment_id));
    }
    if (i == start && !cp) {
      next_position_ = sh.first_position;
      chain_head_ = sh.prev_hash;
    }
    if (i > start || !cp) {
      if (sh.first_position != next_position_ || sh.prev_hash != chain_head_) {
        return Status::Corruption(path + ": does not continue the log (expected position " +
                                  std::to_string(next_position_) + ")");
      }
      offset = format::kSegmentHeaderSize;
    }
    for (;;) {
      CAIRN_ASSIGN_OR_RETURN(SegmentReader::Item item, reader->ReadRecord(offset));
      if (item.kind != SegmentReader::Item::Kind::kRecord) {
        CAIRN_ASSIGN_OR_RETURN(auto later, reader->FindValidRecord(offset + format::kRecordAlign));
        std::string what =
            item.kind == SegmentReader::Item::Kind::kBad ? item.error : "zeroed bytes";
        if (later) {
          // One write is in flight per shard, so only the last write can be torn. It began
          // at the block holding `offset` (each write rewrites the previous tail block), and
          // the device may have kept some of its blocks but not an earlier one: zeros, then
          // records of that same unacknowledged write. Anything beyond one write's reach
          // from here is mid-log damage.
          CAIRN_ASSIGN_OR_RETURN(uint64_t nz_end, reader->NonZeroEnd(offset));
          bool torn_last_write =
              item.kind == SegmentReader::Item::Kind::kEnd &&
              nz_end <= format::AlignDown(offset, format::kBlockSize) + MaxWriteBytes(options_);
          if (torn_last_write && !last) {
            CAIRN_ASSIGN_OR_RETURN(torn_last_write, NoRecordsFrom(fs, *segments_, ids, i + 1));
          }
          if (!torn_last_write) {
            return Status::Corruption("corrupt log: " + what + " at " + Where(path, offset) +
                                      " is followed by a valid record at offset " +
                                      std::to_string(*later) + "; refusing to open");
          }
          last = true;
          ends_log_early = i + 1 < ids.size();
        }
        if (!last && !later) {
          // A segment is created (its header made durable) while batches of the one
          // before may still be in flight: after a crash, later segments that hold no
          // record at all were created ahead of this one's lost tail, which ends the log.
          CAIRN_ASSIGN_OR_RETURN(ends_log_early, NoRecordsFrom(fs, *segments_, ids, i + 1));
          last = ends_log_early;
        }
        if (!last && item.kind == SegmentReader::Item::Kind::kBad) {
          return Status::Corruption("corrupt log: " + what + " at " + Where(path, offset) +
                                    " in a segment that is not the last; refusing to open");
        }
        if (last) {
          CAIRN_ASSIGN_OR_RETURN(uint64_t nz_end, reader->NonZeroEnd(offset));
          if (nz_end > offset) {
            std::fprintf(stderr, "cairn: shard %u: truncating torn tail (%llu bytes) at %s\n", id_,
                         static_cast<unsigned long long>(nz_end - offset),
                         Where(path, offset).c_str());
            reader.reset();
            CAIRN_RETURN_IF_ERROR(ZeroRange(path, offset, nz_end));
          }
        }
        break;
      }
      if (item.header.type == format::RecordType::kEvents) {
        auto view = DecodeEventsRecord(item.bytes);
        if (!view.ok()) {
          return Status::Corruption(view.status().message() + " at " + Where(path, offset));
        }
        if (view->header.first_position != next_position_) {
          return Status::Corruption("record at " + Where(path, offset) + " has position " +
                                    std::to_string(view->header.first_position) + ", expected " +
                                    std::to_string(next_position_));
        }
        uint64_t bad = 0;
        Status chain = CheckRecordChain(chain_version, *view, &chain_head_, &bad);
        if (!chain.ok()) {
          return Status::Corruption(chain.message() + " (record at " + Where(path, offset) + ")");
        }
        RecordPlace place{id_, static_cast<uint32_t>(seg), offset};
        IndexEventsRecord(*view, place, options_.idempotency_window_ms, &wb, &scopes, &listings);
        next_position_ += view->header.event_count;
        replayed_events_ += view->header.event_count;
        for (const ClauseView& c : view->clauses) {
          next_stream_id_ = std::max(next_stream_id_, c.stream_id + 1);
        }
      } else if (item.header.type == format::RecordType::kGroupCursor) {
        auto view = DecodeGroupCursorRecord(item.bytes);
        if (!view.ok()) {
          return Status::Corruption(view.status().message() + " at " + Where(path, offset));
        }
        IndexGroupCursorRecord(*view, &wb);
      } else if (item.header.type == format::RecordType::kSchema) {
        auto view = DecodeSchemaRecord(item.bytes);
        if (!view.ok()) {
          return Status::Corruption(view.status().message() + " at " + Where(path, offset));
        }
        IndexSchemaRecord(*view, &wb);
      } else {
        auto view = DecodeStreamStateRecord(item.bytes);
        if (!view.ok()) {
          return Status::Corruption(view.status().message() + " at " + Where(path, offset));
        }
        IndexStreamStateRecord(*view, item.header.timestamp_ms, &wb);
        next_stream_id_ = std::max(next_stream_id_, view->stream_id + 1);
      }
      last_timestamp_ms_ = std::max(last_timestamp_ms_, item.header.timestamp_ms);
      offset = item.next_offset;
      ++replayed_records_;
      if (++pending >= kReplayBatchRecords) CAIRN_RETURN_IF_ERROR(flush_replay(seg, offset));
    }
    if (ends_log_early) {
      // The next segment continues the log when no event was lost (nothing, or only a
      // stream state record, was torn off): keep it. Otherwise the later segments never
      // held data: remove them, and this segment is the one written next.
      CAIRN_ASSIGN_OR_RETURN(auto next, SegmentReader::Open(fs, segments_->PathOf(ids[i + 1])));
      if (next->header().first_position != next_position_ ||
          next->header().prev_hash != chain_head_) {
        next.reset();
        for (size_t j = i + 1; j < ids.size(); ++j) {
          std::fprintf(stderr,
                       "cairn: shard %u: removing segment %s, created ahead of a log tail "
                       "that was never written\n",
                       id_, format::SegmentFileName(ids[j]).c_str());
          CAIRN_RETURN_IF_ERROR(fs->Remove(segments_->PathOf(ids[j])));
        }
        CAIRN_RETURN_IF_ERROR(fs->SyncDir(log_dir));
        ids.resize(i + 1);
      }
    }
    if (i + 1 == ids.size()) {
      segment_id_ = seg;
      segment_version_ = chain_version;
      segment_end_ = offset;
    }
  }
  // Readers find segments here; only the ones that survived recovery.
  for (uint64_t id : ids) CAIRN_RETURN_IF_ERROR(segments_->Add(id));
  CAIRN_RETURN_IF_ERROR(flush_replay(segment_id_, segment_end_));

  // Reopen the last segment for writing and load its partial last block.
  const std::string path = segments_->PathOf(segment_id_);
  CAIRN_ASSIGN_OR_RETURN(int fd, fs->OpenFile(path, O_RDWR | O_DIRECT, 0));
  open_fds_.push_back(fd);
  segment_fd_ = fd;
  uint64_t block = format::AlignDown(segment_end_, format::kBlockSize);
  AlignedBuffer tail;
  tail.Resize(format::kBlockSize);
  CAIRN_ASSIGN_OR_RETURN(size_t got, fs->ReadAt(fd, tail.data(), format::kBlockSize, block));
  if (got < segment_end_ - block) return Status::IoError(path + ": short read of the last block");
  segment_tail_.clear();
  segment_tail_.Append(tail.data(), segment_end_ - block);
  return Status::Ok();
}

Status Shard::ZeroRange(const std::string& path, uint64_t from, uint64_t to) {
  FileSystem* fs = env_->fs();
  CAIRN_ASSIGN_OR_RETURN(int fd, fs->OpenFile(path, O_RDWR | O_DIRECT, 0));
  uint64_t start = format::AlignDown(from, format::kBlockSize);
  uint64_t end = format::AlignUp(to, format::kBlockSize);
  AlignedBuffer buf;
  buf.Resize(end - start);
  Status st;
  auto got = fs->ReadAt(fd, buf.data(), format::kBlockSize, start);
  if (!got.ok()) st = got.status();
  if (st.ok()) {
    std::memset(buf.data() + (from - start), 0, end - from);
    st = fs->WriteAt(fd, buf.data(), buf.size(), start);
  }
  if (st.ok()) st = fs->SyncData(fd);
  (void)fs->CloseFile(fd);
  return st;
}

}  // namespace cairn
