#pragma once
// Sequential, validating reader of one segment file, for recovery and verification.
// Reads with O_DIRECT through the FileSystem seam in large aligned windows. Used by one
// thread at a time.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/aligned_buffer.h"
#include "io/file_system.h"
#include "storage/format.h"

namespace cairn {

// The ids of the segment files in a shard's log directory, ascending.
Result<std::vector<uint64_t>> ListSegmentIds(FileSystem* fs, const std::string& log_dir);

class SegmentReader {
 public:
  static constexpr uint64_t kWindowBytes = 4u << 20;  // read-ahead of sequential reads
  static Result<std::unique_ptr<SegmentReader>> Open(FileSystem* fs, const std::string& path);
  ~SegmentReader();

  const format::SegmentHeader& header() const { return header_; }
  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }

  struct Item {
    enum class Kind { kRecord, kEnd, kBad };
    Kind kind = Kind::kEnd;
    format::RecordHeader header;
    std::string_view bytes;  // the record (also for a kBad whose header decoded); valid
                             // until the next call
    uint64_t next_offset = 0;
    std::string error;  // for kBad
  };
  // The record at `offset`: kRecord when its header and CRC check out, kEnd when the bytes
  // there are zero (or the file ends), kBad otherwise.
  Result<Item> ReadRecord(uint64_t offset);
  // The first offset in [from, end of file), at record alignment, holding a valid record.
  Result<std::optional<uint64_t>> FindValidRecord(uint64_t from);
  // The offset just past the last nonzero byte at or after `from` (from if none).
  Result<uint64_t> NonZeroEnd(uint64_t from);

 private:
  SegmentReader(FileSystem* fs, int fd, std::string path, uint64_t size)
      : fs_(fs), fd_(fd), path_(std::move(path)), file_size_(size) {}
  // Makes [off, off+len) (clamped to the file) available; returns a view of it.
  // Bytes [off, off+len), reading a window of at least `window` bytes when not buffered.
  Result<std::string_view> Load(uint64_t off, uint64_t len, uint64_t window = kWindowBytes);

  FileSystem* fs_;
  int fd_;
  std::string path_;
  uint64_t file_size_;
  format::SegmentHeader header_;
  AlignedBuffer window_;
  uint64_t window_start_ = 0;
  uint64_t window_len_ = 0;
};

}  // namespace cairn
