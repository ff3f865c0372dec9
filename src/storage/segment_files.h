#pragma once
// The segment files of one shard, for reading (O_DIRECT). The shard's thread adds a segment
// when it creates one (or finds it at recovery); readers on any thread read from them.
//
// Descriptors are opened on demand and kept in a small cache (kMaxOpenFiles, least recently
// used out), so a shard with thousands of segments holds a bounded number of files open. A
// reader holds its file through a shared_ptr for the duration of the read, so eviction never
// closes a descriptor under a read. One mutex guards the tables; reads happen outside it.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "io/file_system.h"
#include "storage/index_keys.h"

namespace cairn {

class SegmentFiles {
 public:
  static constexpr size_t kMaxOpenFiles = 64;

  SegmentFiles(FileSystem* fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}
  // Registers a segment; fails when its file cannot be opened.
  Status Add(uint64_t segment_id);
  // Reads exactly the bytes of `loc` into *out.
  Status Read(const index::Location& loc, std::string* out) const;
  // The same bytes read past the page cache (O_DIRECT), for a second look when what the
  // cache returned fails its checks: a buffered read racing the direct write of the same
  // block could, in rare cases, leave that block's older content cached.
  Status ReadDirect(const index::Location& loc, std::string* out) const;
  std::string PathOf(uint64_t segment_id) const;
  std::vector<uint64_t> Ids() const;
  const std::string& dir() const { return dir_; }
  size_t open_files() const;

 private:
  struct File {
    File(FileSystem* f, int d) : fs(f), fd(d) {}
    ~File() { (void)fs->CloseFile(fd); }
    FileSystem* fs;
    int fd;
    uint64_t last_use = 0;  // guarded by mu_
  };
  Result<std::shared_ptr<File>> Get(uint64_t segment_id) const;
  void InsertLocked(uint64_t segment_id, std::shared_ptr<File> f) const;

  FileSystem* fs_;
  std::string dir_;
  mutable std::mutex mu_;
  std::set<uint64_t> ids_;
  mutable std::map<uint64_t, std::shared_ptr<File>> open_;
  mutable uint64_t uses_ = 0;
};

}  // namespace cairn
