#pragma once
// The master key (docs/internals/encryption.md): 32 random bytes in a file only its owner
// may read, and the data directory's KEYCHECK file that tells the right master key from a
// wrong one at startup (docs/formats/keys.md).

#include <string>

#include "io/file_system.h"
#include "storage/aead.h"

namespace cairn {

inline constexpr char kKeyCheckFile[] = "KEYCHECK";

// Reads the key file. Refuses (kInvalid, the message names the path and the reason) a
// missing or unreadable file, one that is not a regular file, one that group or others may
// read or write (mode & 077), and one that does not hold exactly 32 bytes.
Result<crypto::Key> LoadMasterKey(const std::string& path);

// Creates <dir>/KEYCHECK for `master` when absent (atomically: temporary file, fdatasync,
// rename, directory fsync); otherwise checks that `master` is the key it was made with:
// kInvalid "wrong master key ..." when not, kCorruption when the file is damaged.
Status CheckOrCreateKeyCheck(FileSystem* fs, const std::string& dir, const crypto::Key& master);

// Writes `bytes` to <dir>/<name> atomically, as above (mode 0600).
Status WriteFileAtomically(FileSystem* fs, const std::string& dir, const std::string& name,
                           std::string_view bytes);
// The whole file; NotFound when absent.
Result<std::string> ReadWholeFile(FileSystem* fs, const std::string& path, size_t max_bytes);

}  // namespace cairn
