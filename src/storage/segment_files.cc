#include "storage/segment_files.h"

#include <fcntl.h>

#include <mutex>

#include "base/aligned_buffer.h"
#include "storage/format.h"

namespace cairn {

SegmentFiles::~SegmentFiles() {
  for (auto& [id, fd] : fds_) (void)fs_->CloseFile(fd);
}

std::string SegmentFiles::PathOf(uint64_t segment_id) const {
  return dir_ + "/" + format::SegmentFileName(segment_id);
}

Status SegmentFiles::Add(uint64_t segment_id) {
  CAIRN_ASSIGN_OR_RETURN(int fd, fs_->OpenFile(PathOf(segment_id), O_RDONLY | O_DIRECT, 0));
  std::unique_lock lock(mu_);
  auto [it, inserted] = fds_.emplace(segment_id, fd);
  if (!inserted) (void)fs_->CloseFile(fd);
  return Status::Ok();
}

std::vector<uint64_t> SegmentFiles::Ids() const {
  std::shared_lock lock(mu_);
  std::vector<uint64_t> ids;
  for (auto& [id, fd] : fds_) ids.push_back(id);
  return ids;
}

Status SegmentFiles::Read(const index::Location& loc, std::string* out) const {
  int fd;
  {
    std::shared_lock lock(mu_);
    auto it = fds_.find(loc.segment_id);
    if (it == fds_.end()) {
      return Status::Corruption("index points to missing segment " +
                                std::to_string(loc.segment_id));
    }
    fd = it->second;
  }
  uint64_t start = format::AlignDown(loc.offset, format::kBlockSize);
  uint64_t end = format::AlignUp(uint64_t{loc.offset} + loc.length, format::kBlockSize);
  thread_local AlignedBuffer scratch;
  scratch.Resize(end - start);
  CAIRN_ASSIGN_OR_RETURN(size_t got, fs_->ReadAt(fd, scratch.data(), end - start, start));
  if (got < uint64_t{loc.offset} + loc.length - start) {
    return Status::Corruption("short read of " + PathOf(loc.segment_id) + " at offset " +
                              std::to_string(loc.offset));
  }
  out->assign(scratch.data() + (loc.offset - start), loc.length);
  return Status::Ok();
}

}  // namespace cairn
