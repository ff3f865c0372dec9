#pragma once
// The segment files of one shard, opened for reading (O_DIRECT). Segments are added by
// the shard's thread when it creates one; readers on any thread look them up. A
// shared_mutex guards the table: readers take it shared, segment creation (rare) takes it
// exclusively.

#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include "io/file_system.h"
#include "storage/index_keys.h"

namespace cairn {

class SegmentFiles {
 public:
  SegmentFiles(FileSystem* fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}
  ~SegmentFiles();
  Status Add(uint64_t segment_id);
  // Reads exactly the bytes of `loc` into *out.
  Status Read(const index::Location& loc, std::string* out) const;
  std::string PathOf(uint64_t segment_id) const;
  std::vector<uint64_t> Ids() const;
  const std::string& dir() const { return dir_; }

 private:
  FileSystem* fs_;
  std::string dir_;
  mutable std::shared_mutex mu_;
  std::map<uint64_t, int> fds_;
};

}  // namespace cairn
