#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/file_system.h"

namespace cairn {
namespace {

Status Errno(const char* op, const std::string& what, int err) {
  std::string m = std::string(op) + " " + what + ": " + std::strerror(err);
  if (err == ENOSPC) return Status::IoError("no space left on device: " + m);
  return Status::IoError(m);
}

class PosixFs final : public FileSystem {
 public:
  Result<int> OpenFile(const std::string& path, int flags, mode_t mode) override {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) return Errno("open", path, errno);
    return fd;
  }
  Status CloseFile(int fd) override {
    if (::close(fd) != 0) return Errno("close", "fd", errno);
    return Status::Ok();
  }
  Result<size_t> ReadAt(int fd, void* buf, size_t n, uint64_t off) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r =
          ::pread(fd, static_cast<char*>(buf) + done, n - done, static_cast<off_t>(off + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Errno("pread", "fd", errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }
  Status WriteAt(int fd, const void* buf, size_t n, uint64_t off) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pwrite(fd, static_cast<const char*>(buf) + done, n - done,
                           static_cast<off_t>(off + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Errno("pwrite", "fd", errno);
      }
      done += static_cast<size_t>(r);
    }
    return Status::Ok();
  }
  Status SyncData(int fd) override {
    if (::fdatasync(fd) != 0) return Errno("fdatasync", "fd", errno);
    return Status::Ok();
  }
  Status Allocate(int fd, uint64_t len) override {
    int r = ::posix_fallocate(fd, 0, static_cast<off_t>(len));
    if (r != 0) return Errno("fallocate", "fd", r);
    return Status::Ok();
  }
  Result<uint64_t> FileSize(int fd) override {
    struct stat st;
    if (::fstat(fd, &st) != 0) return Errno("fstat", "fd", errno);
    return static_cast<uint64_t>(st.st_size);
  }
  Status SyncDir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path, errno);
    int r = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (r != 0) return Errno("fsync", path, err);
    return Status::Ok();
  }
  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return Errno("opendir", path, errno);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    return names;
  }
  Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", path, errno);
    return Status::Ok();
  }
  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return Errno("rename", from, errno);
    return Status::Ok();
  }
  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return Errno("unlink", path, errno);
    return Status::Ok();
  }
  bool Exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }
  Result<int> LockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("open", path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::Unavailable("data directory is in use by another process (" + path + ")");
      }
      return Errno("flock", path, err);
    }
    return fd;
  }
};

}  // namespace

FileSystem* PosixFileSystem() {
  static PosixFs fs;
  return &fs;
}

}  // namespace cairn
