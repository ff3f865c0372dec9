#include "storage/segment_files.h"

#include <fcntl.h>

#include "base/aligned_buffer.h"
#include "storage/format.h"

namespace cairn {
namespace {

// Reads go through the page cache (the log is written with O_DIRECT): events of one stream
// are scattered over the log, one small read each, and a direct read of a 4 KiB block costs
// a device round trip (~70 µs here) every time, while the page cache serves repeated and
// neighbouring reads from memory and the kernel can reclaim it under pressure. A direct
// write invalidates the cached pages it covers, so readers never see stale bytes.
constexpr int kReadFlags = O_RDONLY;

}  // namespace

std::string SegmentFiles::PathOf(uint64_t segment_id) const {
  return dir_ + "/" + format::SegmentFileName(segment_id);
}

Status SegmentFiles::Add(uint64_t segment_id) {
  CAIRN_ASSIGN_OR_RETURN(int fd, fs_->OpenFile(PathOf(segment_id), kReadFlags, 0));
  auto f = std::make_shared<File>(fs_, fd);
  std::lock_guard lock(mu_);
  ids_.insert(segment_id);
  if (open_.count(segment_id) == 0) InsertLocked(segment_id, std::move(f));
  return Status::Ok();
}

std::vector<uint64_t> SegmentFiles::Ids() const {
  std::lock_guard lock(mu_);
  return std::vector<uint64_t>(ids_.begin(), ids_.end());
}

size_t SegmentFiles::open_files() const {
  std::lock_guard lock(mu_);
  return open_.size();
}

void SegmentFiles::InsertLocked(uint64_t segment_id, std::shared_ptr<File> f) const {
  f->last_use = ++uses_;
  open_[segment_id] = std::move(f);
  while (open_.size() > kMaxOpenFiles) {
    auto victim = open_.begin();
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      if (it->second->last_use < victim->second->last_use) victim = it;
    }
    open_.erase(victim);  // closed when its last reader lets go
  }
}

Result<std::shared_ptr<SegmentFiles::File>> SegmentFiles::Get(uint64_t segment_id) const {
  {
    std::lock_guard lock(mu_);
    if (ids_.count(segment_id) == 0) {
      return Status::Corruption("index points to missing segment " + std::to_string(segment_id));
    }
    auto it = open_.find(segment_id);
    if (it != open_.end()) {
      it->second->last_use = ++uses_;
      return it->second;
    }
  }
  CAIRN_ASSIGN_OR_RETURN(int fd, fs_->OpenFile(PathOf(segment_id), kReadFlags, 0));
  auto f = std::make_shared<File>(fs_, fd);
  std::lock_guard lock(mu_);
  auto it = open_.find(segment_id);
  if (it != open_.end()) return it->second;  // opened meanwhile; ours closes on return
  InsertLocked(segment_id, f);
  return f;
}

Status SegmentFiles::Read(const index::Location& loc, std::string* out) const {
  CAIRN_ASSIGN_OR_RETURN(std::shared_ptr<File> f, Get(loc.segment_id));
  uint64_t start = format::AlignDown(loc.offset, format::kBlockSize);
  uint64_t end = format::AlignUp(uint64_t{loc.offset} + loc.length, format::kBlockSize);
  thread_local AlignedBuffer scratch;
  scratch.Resize(end - start);
  CAIRN_ASSIGN_OR_RETURN(size_t got, fs_->ReadAt(f->fd, scratch.data(), end - start, start));
  if (got < uint64_t{loc.offset} + loc.length - start) {
    return Status::Corruption("short read of " + PathOf(loc.segment_id) + " at offset " +
                              std::to_string(loc.offset));
  }
  out->assign(scratch.data() + (loc.offset - start), loc.length);
  return Status::Ok();
}

Status SegmentFiles::ReadDirect(const index::Location& loc, std::string* out) const {
  CAIRN_ASSIGN_OR_RETURN(int fd, fs_->OpenFile(PathOf(loc.segment_id), O_RDONLY | O_DIRECT, 0));
  uint64_t start = format::AlignDown(loc.offset, format::kBlockSize);
  uint64_t end = format::AlignUp(uint64_t{loc.offset} + loc.length, format::kBlockSize);
  AlignedBuffer buf;
  buf.Resize(end - start);
  auto got = fs_->ReadAt(fd, buf.data(), end - start, start);
  (void)fs_->CloseFile(fd);
  if (!got.ok()) return got.status();
  if (*got < uint64_t{loc.offset} + loc.length - start) {
    return Status::Corruption("short read of " + PathOf(loc.segment_id) + " at offset " +
                              std::to_string(loc.offset));
  }
  out->assign(buf.data() + (loc.offset - start), loc.length);
  return Status::Ok();
}

}  // namespace cairn
