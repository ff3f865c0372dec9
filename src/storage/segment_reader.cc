#include "storage/segment_reader.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include "base/coding.h"
#include "storage/record.h"

namespace cairn {

Result<std::vector<uint64_t>> ListSegmentIds(FileSystem* fs, const std::string& log_dir) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(log_dir));
  std::vector<uint64_t> ids;
  for (const std::string& n : names) {
    uint64_t id;
    if (format::ParseSegmentFileName(n, &id)) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::unique_ptr<SegmentReader>> SegmentReader::Open(FileSystem* fs,
                                                           const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(int fd, fs->OpenFile(path, O_RDONLY | O_DIRECT, 0));
  auto size = fs->FileSize(fd);
  if (!size.ok()) {
    (void)fs->CloseFile(fd);
    return size.status();
  }
  std::unique_ptr<SegmentReader> r(new SegmentReader(fs, fd, path, *size));
  // Only the header block: opening a segment (recovery, verify) must not read 4 MiB.
  CAIRN_ASSIGN_OR_RETURN(std::string_view h,
                         r->Load(0, format::kSegmentHeaderSize, format::kBlockSize));
  auto header = format::DecodeSegmentHeader(h);
  if (!header.ok()) {
    return Status::Corruption(path + " offset 0: " + header.status().message());
  }
  r->header_ = *header;
  return r;
}

SegmentReader::~SegmentReader() { (void)fs_->CloseFile(fd_); }

Result<std::string_view> SegmentReader::Load(uint64_t off, uint64_t len, uint64_t window) {
  if (off >= file_size_) return std::string_view();
  len = std::min(len, file_size_ - off);
  if (off >= window_start_ && off + len <= window_start_ + window_len_) {
    return std::string_view(window_.data() + (off - window_start_), len);
  }
  uint64_t start = format::AlignDown(off, format::kBlockSize);
  uint64_t want = format::AlignUp(std::max(off + len - start, window), format::kBlockSize);
  window_.Resize(want);
  CAIRN_ASSIGN_OR_RETURN(size_t got, fs_->ReadAt(fd_, window_.data(), want, start));
  window_start_ = start;
  window_len_ = got;
  if (off + len > start + got) {
    return Status::IoError(path_ + ": short read at offset " + std::to_string(off));
  }
  return std::string_view(window_.data() + (off - start), len);
}

Result<SegmentReader::Item> SegmentReader::ReadRecord(uint64_t offset) {
  Item item;
  item.next_offset = offset;
  CAIRN_ASSIGN_OR_RETURN(std::string_view h, Load(offset, format::kRecordHeaderSize));
  if (h.size() < format::kRecordHeaderSize) {
    bool zero = std::all_of(h.begin(), h.end(), [](char c) { return c == 0; });
    item.kind = zero ? Item::Kind::kEnd : Item::Kind::kBad;
    item.error = "record header truncated by end of file";
    return item;
  }
  if (std::all_of(h.begin(), h.end(), [](char c) { return c == 0; })) return item;  // kEnd
  auto header = format::DecodeRecordHeader(h);
  if (!header.ok()) {
    item.kind = Item::Kind::kBad;
    item.error = header.status().message();
    return item;
  }
  CAIRN_ASSIGN_OR_RETURN(std::string_view rec, Load(offset, header->length));
  if (rec.size() < header->length) {
    item.kind = Item::Kind::kBad;
    item.error = "record extends past end of file";
    return item;
  }
  item.header = *header;
  item.bytes = rec;
  Status crc = CheckRecordCrc(rec);
  if (!crc.ok()) {
    item.kind = Item::Kind::kBad;  // bytes stay available to locate the damage
    item.error = crc.message();
    return item;
  }
  item.kind = Item::Kind::kRecord;
  item.next_offset = offset + format::AlignUp(header->length, format::kRecordAlign);
  return item;
}

Result<std::optional<uint64_t>> SegmentReader::FindValidRecord(uint64_t from) {
  // Window by window: an all-zero window (the usual rest of a preallocated segment) is skipped
  // with one memcmp; others are searched for the record magic at every 8-byte boundary.
  for (uint64_t off = format::AlignUp(from, format::kRecordAlign);
       off + format::kRecordHeaderSize <= file_size_;) {
    const uint64_t n = std::min<uint64_t>(kWindowBytes, file_size_ - off);
    CAIRN_ASSIGN_OR_RETURN(std::string_view v, Load(off, n));
    if (v.empty()) break;
    if (v[0] != 0 || std::memcmp(v.data(), v.data() + 1, v.size() - 1) != 0) {
      for (size_t i = 0; i + 4 <= v.size(); i += format::kRecordAlign) {
        if (DecodeFixed32(v.data() + i) != format::kRecordMagic) continue;
        const uint64_t at = off + i;
        if (at + format::kRecordHeaderSize > file_size_) break;
        CAIRN_ASSIGN_OR_RETURN(Item item, ReadRecord(at));
        if (item.kind == Item::Kind::kRecord) return std::optional<uint64_t>(at);
        CAIRN_ASSIGN_OR_RETURN(v, Load(off, n));  // ReadRecord moved the window
      }
    }
    off += n;
  }
  return std::optional<uint64_t>();
}

Result<uint64_t> SegmentReader::NonZeroEnd(uint64_t from) {
  // From the end backwards, window by window: the tail of a preallocated segment is mostly
  // zeros, and a zero window is recognised by memcmp against itself shifted by one byte
  // (libc's speed, also under sanitizers) rather than byte by byte.
  uint64_t off = file_size_;
  while (off > from) {
    const uint64_t n = std::min<uint64_t>(kWindowBytes, off - from);
    off -= n;
    CAIRN_ASSIGN_OR_RETURN(std::string_view v, Load(off, n));
    if (v.empty()) continue;
    if (v[0] == 0 && std::memcmp(v.data(), v.data() + 1, v.size() - 1) == 0) continue;
    for (size_t i = v.size(); i > 0; --i) {
      if (v[i - 1] != 0) return off + i;
    }
  }
  return from;
}

}  // namespace cairn
