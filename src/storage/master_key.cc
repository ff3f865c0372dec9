#include "storage/master_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/assert.h"
#include "base/coding.h"
#include "base/crc32c.h"

namespace cairn {
namespace {

// KEYCHECK (docs/formats/keys.md): magic, version, nonce, AES-256-GCM of 32 zero bytes under
// the master key with kCheckAad, tag, CRC32C of everything before it.
constexpr char kCheckMagic[8] = {'C', 'A', 'I', 'R', 'N', 'K', 'C', '1'};
constexpr uint32_t kCheckVersion = 1;
constexpr std::string_view kCheckAad = "cairn key check v1";
constexpr size_t kCheckSize = 8 + 4 + crypto::kNonceBytes + 32 + crypto::kTagBytes + 4;
static_assert(kCheckSize == 76);

}  // namespace

Result<crypto::Key> LoadMasterKey(const std::string& path) {
  auto refuse = [&path](const std::string& why) {
    return Status::Invalid("encryption key file " + path + ": " + why);
  };
  if (path.empty()) return Status::Invalid("encryption_key_file is not set");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return refuse(std::strerror(errno));
  struct stat st {};
  crypto::Key key{};
  Status result = Status::Ok();
  if (::fstat(fd, &st) != 0) {
    result = refuse(std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    result = refuse("not a regular file");
  } else if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    result = refuse(std::string("permissions ") + mode +
                    " let group or others read or write it; chmod 600 it");
  } else if (st.st_size != static_cast<off_t>(crypto::kKeyBytes)) {
    result = refuse("holds " + std::to_string(st.st_size) + " bytes; a key is exactly " +
                    std::to_string(crypto::kKeyBytes) + " random bytes");
  } else {
    ssize_t n = ::pread(fd, key.data(), key.size(), 0);
    if (n != static_cast<ssize_t>(key.size())) result = refuse("short read");
  }
  ::close(fd);
  if (!result.ok()) {
    crypto::Wipe(key.data(), key.size());
    return result;
  }
  return key;
}

Result<std::string> ReadWholeFile(FileSystem* fs, const std::string& path, size_t max_bytes) {
  if (!fs->Exists(path)) return Status::NotFound(path);
  CAIRN_ASSIGN_OR_RETURN(int fd, fs->OpenFile(path, O_RDONLY, 0));
  auto size = fs->FileSize(fd);
  if (!size.ok() || *size > max_bytes) {
    (void)fs->CloseFile(fd);
    return size.ok() ? Status::Corruption(path + ": too large") : size.status();
  }
  std::string bytes(*size, '\0');
  auto n = fs->ReadAt(fd, bytes.data(), bytes.size(), 0);
  (void)fs->CloseFile(fd);
  if (!n.ok()) return n.status();
  if (*n != bytes.size()) return Status::Corruption(path + ": short read");
  return bytes;
}

Status WriteFileAtomically(FileSystem* fs, const std::string& dir, const std::string& name,
                           std::string_view bytes) {
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp";
  CAIRN_ASSIGN_OR_RETURN(int fd, fs->OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600));
  Status st = fs->WriteAt(fd, bytes.data(), bytes.size(), 0);
  if (st.ok()) st = fs->SyncData(fd);
  (void)fs->CloseFile(fd);
  if (st.ok()) st = fs->Rename(tmp, path);
  if (st.ok()) st = fs->SyncDir(dir);
  return st;
}

Status CheckOrCreateKeyCheck(FileSystem* fs, const std::string& dir, const crypto::Key& master) {
  const std::string path = dir + "/" + kKeyCheckFile;
  auto existing = ReadWholeFile(fs, path, 4096);
  if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  if (existing.ok()) {
    const std::string& b = *existing;
    if (b.size() != kCheckSize || std::memcmp(b.data(), kCheckMagic, 8) != 0 ||
        DecodeFixed32(b.data() + kCheckSize - 4) != crc32c::Value(b.data(), kCheckSize - 4)) {
      return Status::Corruption(path + ": damaged key check file");
    }
    if (DecodeFixed32(b.data() + 8) != kCheckVersion) {
      return Status::Corruption(path + ": unsupported key check version");
    }
    crypto::Nonce nonce;
    std::memcpy(nonce.data(), b.data() + 12, nonce.size());
    crypto::Tag tag;
    std::memcpy(tag.data(), b.data() + 12 + 12 + 32, tag.size());
    std::string plain;
    Status st =
        crypto::Open(master, nonce, kCheckAad, std::string_view(b.data() + 24, 32), tag, &plain);
    if (st.code() == StatusCode::kCorruption) {
      return Status::Invalid(
          "wrong master key: the encryption key file is not the key this data directory's "
          "data keys are wrapped under (" +
          path + " does not verify)");
    }
    return st;
  }
  crypto::Nonce nonce;
  CAIRN_RETURN_IF_ERROR(crypto::RandomBytes(nonce.data(), nonce.size()));
  std::string ct;
  crypto::Tag tag;
  CAIRN_RETURN_IF_ERROR(crypto::Seal(master, nonce, kCheckAad, std::string(32, '\0'), &ct, &tag));
  std::string b(kCheckMagic, 8);
  char v[4];
  EncodeFixed32(v, kCheckVersion);
  b.append(v, 4);
  b.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  b += ct;
  b.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  EncodeFixed32(v, crc32c::Value(b.data(), b.size()));
  b.append(v, 4);
  CAIRN_ASSERT(b.size() == kCheckSize);
  return WriteFileAtomically(fs, dir, kKeyCheckFile, b);
}

}  // namespace cairn
