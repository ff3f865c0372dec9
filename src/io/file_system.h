#pragma once
// Synchronous file operations: opening, reading, recovery-time writes, directories.
// Every disk access of the engine goes through this interface (or AsyncDisk) so tests
// can inject faults. Implementations are thread-safe.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/status.h"

namespace cairn {

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual Result<int> OpenFile(const std::string& path, int flags, mode_t mode) = 0;
  virtual Status CloseFile(int fd) = 0;
  // Reads up to n bytes at off; returns fewer only at end of file.
  virtual Result<size_t> ReadAt(int fd, void* buf, size_t n, uint64_t off) = 0;
  // Writes all n bytes at off (retries partial writes; fails on error).
  virtual Status WriteAt(int fd, const void* buf, size_t n, uint64_t off) = 0;
  virtual Status SyncData(int fd) = 0;
  virtual Status Allocate(int fd, uint64_t len) = 0;
  virtual Result<uint64_t> FileSize(int fd) = 0;
  virtual Status SyncDir(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  virtual Status CreateDir(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Takes an exclusive advisory lock (flock) held until the fd is closed.
  virtual Result<int> LockFile(const std::string& path) = 0;
};

// The real file system (POSIX calls).
FileSystem* PosixFileSystem();

}  // namespace cairn
