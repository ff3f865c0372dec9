#include "storage/manifest.h"

#include <fcntl.h>

#include <charconv>
#include <sstream>

namespace cairn {
namespace {

// A decimal number filling the whole word; no exceptions on garbage.
bool ParseNumber(const std::string& s, uint64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Result<Manifest> ReadManifest(FileSystem* fs, const std::string& dir) {
  const std::string path = dir + "/" + kManifestFile;
  if (!fs->Exists(path)) return Status::NotFound(path);
  CAIRN_ASSIGN_OR_RETURN(int fd, fs->OpenFile(path, O_RDONLY, 0));
  std::string text(4096, '\0');
  auto n = fs->ReadAt(fd, text.data(), text.size(), 0);
  (void)fs->CloseFile(fd);
  if (!n.ok()) return n.status();
  text.resize(*n);
  Manifest m;
  bool magic = false, shards = false, key = false;
  std::istringstream in(text);
  std::string k, v;
  uint64_t num = 0;
  auto bad = [&](const std::string& what) {
    return Status::Corruption(path + ": bad " + what + " '" + v + "'");
  };
  while (in >> k >> v) {
    if (k == "cairn-data-dir") {
      if (!ParseNumber(v, &num) || num > UINT32_MAX) return bad("format version");
      magic = true;
      m.format_version = static_cast<uint32_t>(num);
    } else if (k == "shards") {
      if (!ParseNumber(v, &num) || num > UINT32_MAX) return bad("shard count");
      shards = true;
      m.shards = static_cast<uint32_t>(num);
    } else if (k == "shard_key") {
      auto sk = ParseShardKey(v);
      if (!sk) return Status::Corruption(path + ": unknown shard_key " + v);
      key = true;
      m.shard_key = *sk;
    } else if (k == "created_ms") {
      if (!ParseNumber(v, &m.created_ms)) return bad("creation time");
    }
  }
  if (!magic || !shards || !key || m.shards == 0 || m.shards > 1024) {
    return Status::Corruption(path + ": not a valid Cairn manifest");
  }
  if (m.format_version < 1 || m.format_version > kDataDirFormat) {
    return Status::Corruption(path + ": unsupported data directory format " +
                              std::to_string(m.format_version));
  }
  return m;
}

Status WriteManifest(FileSystem* fs, const std::string& dir, const Manifest& m) {
  std::string text = "cairn-data-dir " + std::to_string(m.format_version) + "\nshards " +
                     std::to_string(m.shards) + "\nshard_key " +
                     std::string(ShardKeyName(m.shard_key)) + "\ncreated_ms " +
                     std::to_string(m.created_ms) + "\n";
  const std::string path = dir + "/" + kManifestFile;
  const std::string tmp = path + ".tmp";
  CAIRN_ASSIGN_OR_RETURN(int fd, fs->OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  Status st = fs->WriteAt(fd, text.data(), text.size(), 0);
  if (st.ok()) st = fs->SyncData(fd);
  (void)fs->CloseFile(fd);
  if (st.ok()) st = fs->Rename(tmp, path);
  if (st.ok()) st = fs->SyncDir(dir);
  return st;
}

}  // namespace cairn
