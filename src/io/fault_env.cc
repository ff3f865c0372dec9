#include "io/fault_env.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>

#include "base/aligned_buffer.h"

namespace cairn {

class FaultInjectionEnv::Fs final : public FileSystem {
 public:
  Fs(FaultInjectionEnv* env, FileSystem* base) : env_(env), base_(base) {}

  Result<int> OpenFile(const std::string& path, int flags, mode_t mode) override {
    if (env_->plan_.dead) return Status::IoError("injected: machine is down");
    auto fd = base_->OpenFile(path, flags, mode);
    if (fd.ok()) env_->RememberPath(*fd, path);
    return fd;
  }
  Status CloseFile(int fd) override { return base_->CloseFile(fd); }
  Result<size_t> ReadAt(int fd, void* buf, size_t n, uint64_t off) override {
    if (env_->plan_.dead) return Status::IoError("injected: machine is down");
    auto r = base_->ReadAt(fd, buf, n, off);
    if (!r.ok()) return r;
    FaultPlan& p = env_->plan_;
    std::lock_guard<std::mutex> lock(p.flip_mu);
    if (!p.flip_path_suffix.empty()) {
      std::string path = env_->PathOf(fd);
      bool match = path.size() >= p.flip_path_suffix.size() &&
                   path.compare(path.size() - p.flip_path_suffix.size(), p.flip_path_suffix.size(),
                                p.flip_path_suffix) == 0;
      if (match && p.flip_offset >= off && p.flip_offset < off + *r) {
        static_cast<uint8_t*>(buf)[p.flip_offset - off] ^= static_cast<uint8_t>(1u << p.flip_bit);
      }
    }
    return r;
  }
  Status WriteAt(int fd, const void* buf, size_t n, uint64_t off) override {
    if (env_->plan_.dead) return Status::IoError("injected: machine is down");
    return base_->WriteAt(fd, buf, n, off);
  }
  Status SyncData(int fd) override {
    if (env_->plan_.dead) return Status::IoError("injected: machine is down");
    return base_->SyncData(fd);
  }
  Status Allocate(int fd, uint64_t len) override { return base_->Allocate(fd, len); }
  Result<uint64_t> FileSize(int fd) override { return base_->FileSize(fd); }
  Status SyncDir(const std::string& p) override { return base_->SyncDir(p); }
  Result<std::vector<std::string>> ListDir(const std::string& p) override {
    return base_->ListDir(p);
  }
  Status CreateDir(const std::string& p) override { return base_->CreateDir(p); }
  Status Rename(const std::string& a, const std::string& b) override { return base_->Rename(a, b); }
  Status Remove(const std::string& p) override { return base_->Remove(p); }
  bool Exists(const std::string& p) override { return base_->Exists(p); }
  Result<int> LockFile(const std::string& p) override { return base_->LockFile(p); }

 private:
  FaultInjectionEnv* env_;
  FileSystem* base_;
};

class FaultInjectionEnv::Disk final : public AsyncDisk {
 public:
  Disk(FaultInjectionEnv* env, std::unique_ptr<AsyncDisk> base)
      : env_(env), base_(std::move(base)) {}

  Status SubmitWriteAndSync(int fd, const void* buf, uint32_t len, uint64_t offset,
                            uint64_t token) override {
    FaultPlan& p = env_->plan_;
    p.log_writes++;
    if (p.dead) return Local(token, -EIO, "write", false);
    if (int e = p.write_errno.exchange(0); e != 0) return Local(token, -e, "write", false);
    if (p.short_write.exchange(false)) {
      uint32_t half = (len / 2) & ~4095u;
      if (half > 0) (void)PersistPrefix(fd, buf, half, offset);
      return Local(token, -EIO, "write", true);
    }
    if (uint32_t n = p.torn_write_bytes.exchange(0); n != 0) {
      (void)PersistPrefix(fd, buf, n < len ? n : len, offset);
      p.dead = true;
      return Local(token, -EIO, "write", false);
    }
    if (int e = p.sync_errno.exchange(0); e != 0) {
      (void)PersistPrefix(fd, buf, len, offset);
      return Local(token, -e, "fdatasync", false);
    }
    if (held_.empty() && TakeAllowance())
      return base_->SubmitWriteAndSync(fd, buf, len, offset, token);
    held_.push_back(Held{fd, buf, len, offset, token});
    return Status::Ok();
  }

  Status Poll(std::vector<IoCompletion>* out, uint32_t timeout_ms) override {
    env_->plan_.disk_polls++;
    StartAllowed();
    bool had_local = !local_.empty();
    while (!local_.empty()) {
      out->push_back(local_.front());
      local_.pop_front();
    }
    size_t before = out->size();
    CAIRN_RETURN_IF_ERROR(base_->Poll(out, had_local ? 0 : timeout_ms));
    for (size_t i = before; i < out->size(); ++i) copies_.erase((*out)[i].token);
    if (env_->plan_.dead) {
      // A dead machine completes nothing successfully.
      for (size_t i = before; i < out->size(); ++i) {
        if ((*out)[i].result == 0) {
          (*out)[i].result = -EIO;
          (*out)[i].failed_op = "fdatasync";
        }
      }
    }
    return Status::Ok();
  }

  void Wake() override { base_->Wake(); }
  uint32_t InFlight() const override {
    return base_->InFlight() + static_cast<uint32_t>(local_.size() + held_.size());
  }

 private:
  struct Held {
    int fd;
    const void* buf;
    uint32_t len;
    uint64_t offset;
    uint64_t token;
  };

  bool TakeAllowance() {
    std::atomic<int64_t>& allowed = env_->plan_.writes_allowed;
    int64_t v = allowed.load();
    while (v != 0) {
      if (v < 0 || allowed.compare_exchange_weak(v, v - 1)) return true;
    }
    return false;
  }

  // Starts the held writes the plan now allows, in order. Each is started from a copy of its
  // buffer taken now, which the write owns until it completes. One that cannot start (the
  // machine died meanwhile, or the base disk refused it) completes with EIO.
  void StartAllowed() {
    while (!held_.empty() && TakeAllowance()) {
      Held h = held_.front();
      held_.pop_front();
      AlignedBuffer copy(h.len);
      copy.Append(h.buf, h.len);
      if (env_->plan_.dead) {
        (void)Local(h.token, -EIO, "write", false);
        continue;
      }
      const char* data = copy.data();
      copies_.emplace(h.token, std::move(copy));
      if (!base_->SubmitWriteAndSync(h.fd, data, h.len, h.offset, h.token).ok()) {
        copies_.erase(h.token);
        (void)Local(h.token, -EIO, "write", false);
      }
    }
  }

  Status Local(uint64_t token, int result, const char* op, bool short_write) {
    IoCompletion c;
    c.token = token;
    c.result = result;
    c.failed_op = op;
    c.short_write = short_write;
    local_.push_back(c);
    base_->Wake();
    return Status::Ok();
  }

  // Writes through a buffered descriptor so any length can persist (O_DIRECT cannot). Opened
  // through /proc/self/fd, not by the path the file was opened with: a segment is opened
  // under its temporary name and renamed.
  Status PersistPrefix(int fd, const void* buf, uint32_t n, uint64_t offset) {
    FileSystem* fs = PosixFileSystem();
    auto bfd = fs->OpenFile("/proc/self/fd/" + std::to_string(fd), O_WRONLY, 0);
    if (!bfd.ok()) return bfd.status();
    Status st = fs->WriteAt(*bfd, buf, n, offset);
    if (st.ok()) st = fs->SyncData(*bfd);
    (void)fs->CloseFile(*bfd);
    return st;
  }

  FaultInjectionEnv* env_;
  // Destroyed after base_ (declared before it): the base disk may still be writing a copy.
  std::unordered_map<uint64_t, AlignedBuffer> copies_;  // started from a copy, by token
  std::unique_ptr<AsyncDisk> base_;
  std::deque<IoCompletion> local_;
  std::deque<Held> held_;  // submitted, not started
};

FaultInjectionEnv::FaultInjectionEnv(Env* base)
    : base_(base), fs_(std::make_unique<Fs>(this, base->fs())) {}
FaultInjectionEnv::~FaultInjectionEnv() = default;

FileSystem* FaultInjectionEnv::fs() { return fs_.get(); }

Result<std::unique_ptr<AsyncDisk>> FaultInjectionEnv::NewAsyncDisk() {
  auto base = base_->NewAsyncDisk();
  if (!base.ok()) return base.status();
  return std::unique_ptr<AsyncDisk>(std::make_unique<Disk>(this, std::move(base).value()));
}

Status FaultInjectionEnv::BeforeIndexWrite() {
  if (int e = plan_.index_write_errno.exchange(0); e != 0) {
    return Status::IoError(std::string("index write: injected: ") + std::strerror(e));
  }
  return Status::Ok();
}

std::string FaultInjectionEnv::PathOf(int fd) {
  std::lock_guard<std::mutex> lock(paths_mu_);
  auto it = paths_.find(fd);
  return it == paths_.end() ? std::string() : it->second;
}

void FaultInjectionEnv::RememberPath(int fd, const std::string& path) {
  std::lock_guard<std::mutex> lock(paths_mu_);
  paths_[fd] = path;
}

}  // namespace cairn
