// Feeds arbitrary bytes to the key store's decoder (the KEYS file, docs/formats/keys.md) as
// an open of the data directory meets them: the input, with its CRC32C appended so that
// mutations reach the entries, is written as KEYS and opened with a fixed master key (the
// seed corpus was made with the same key, so its wrapped keys unwrap). Nothing may crash;
// an open that succeeds must have read keys it can look up.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "base/assert.h"
#include "base/coding.h"
#include "base/crc32c.h"
#include "io/file_system.h"
#include "storage/key_store.h"

using namespace cairn;

namespace {

const std::string& Dir() {
  static const std::string dir = [] {
    // tmpfs when there is one: every successful open rewrites and syncs the file.
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string tmpl = base + "/cairn-key-store-fuzz-XXXXXX";
    char* p = mkdtemp(tmpl.data());
    CAIRN_ASSERT(p != nullptr);
    return std::string(p);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string file(reinterpret_cast<const char*>(data), size);
  PutFixed32(&file, crc32c::Value(file.data(), file.size()));
  {
    std::ofstream out(Dir() + "/" + kKeyStoreFile, std::ios::binary | std::ios::trunc);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
  }
  crypto::Key master;
  master.fill(0x11);
  auto ks = KeyStore::Open(PosixFileSystem(), Dir(), master);
  if (ks.ok()) {
    crypto::Key key;
    for (uint32_t id = 1; id < 8; ++id) (void)(*ks)->Find(id, &key);
    (void)(*ks)->NextNonce();
  }
  return 0;
}
