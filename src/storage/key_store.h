#pragma once
// The data keys of a data directory (docs/internals/encryption.md, format in
// docs/formats/keys.md): each wrapped under the master key with AES-256-GCM, all of them in
// one small file, <dir>/KEYS, rewritten atomically (temporary file, fdatasync, rename,
// directory fsync) on every change. A shredded key leaves a tombstone (scope and key id,
// no key material) so that its events read as shredded rather than as damaged.
//
// Keeping wrapped keys only in this file, never in the log or in RocksDB, is what makes a
// shred final: after the rename and the directory fsync no file of the data directory holds
// the key any more (the old KEYS inode is unlinked; see the doc for what that means on disk).
//
// Nonces: an event's nonce is boot(u32) ‖ counter(u64). `boot` is incremented and made
// durable in KEYS by Open, before any nonce of this process is handed out; the counter
// starts at 0 on every open and is an atomic. So (key, nonce) never repeats, whatever the
// crashes, for 2^32 opens and 2^64 events per open.
//
// Thread-safe: every method may be called from any thread (a mutex; key changes are rare
// and Current/Find are a map lookup under it).

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "io/file_system.h"
#include "storage/aead.h"

namespace cairn {

inline constexpr char kKeyStoreFile[] = "KEYS";

struct DataKey {
  uint32_t id = 0;
  crypto::Key key{};
};

class KeyStore {
 public:
  // Opens (or creates) <dir>/KEYS with `master`, unwrapping every live key; bumps the boot
  // number durably. kInvalid when a key does not unwrap (a wrong master key that passed
  // the key check can only mean a damaged or foreign file: the message says which key).
  static Result<std::unique_ptr<KeyStore>> Open(FileSystem* fs, const std::string& dir,
                                                const crypto::Key& master);
  ~KeyStore();

  // The key new events of `scope` are encrypted with: the scope's current key, created and
  // made durable on first use (also after a shred: new events get a new key).
  Result<DataKey> Current(const std::string& scope);
  // A new current key for `scope`; the previous one stays for reading. Returns its id.
  Result<uint32_t> Rotate(const std::string& scope);
  // Makes no key of `org` or of its streams current: their next events get new keys.
  // Returns the number of keys retired (the file is rewritten either way).
  Result<uint32_t> RetireAll(const std::string& org);
  // Destroys the keys of `scope`: a stream's (a scope with '/': exactly that scope), or an
  // org's own and its streams' (a scope without '/'). Returns the number destroyed (0 when
  // there were none; the file is rewritten and synced either way).
  Result<uint32_t> Shred(const std::string& scope);

  enum class Lookup { kFound, kShredded, kUnknown };
  // The key of `id` for reading.
  Lookup Find(uint32_t id, crypto::Key* key) const;

  // A nonce never handed out before for any key of this directory.
  crypto::Nonce NextNonce();

  uint32_t boot() const { return boot_; }
  size_t live_keys() const;

 private:
  struct Entry {
    std::string scope;
    bool shredded = false;
    bool current = false;  // the key new events of the scope use
    crypto::Key key{};     // zeros when shredded
    std::string wrapped;   // nonce ‖ ciphertext ‖ tag; empty when shredded
  };
  KeyStore(FileSystem* fs, std::string dir, const crypto::Key& master)
      : fs_(fs), dir_(std::move(dir)), master_(master) {}
  Status Load();
  Result<uint32_t> AddKeyLocked(const std::string& scope);
  Status PersistLocked();
  std::string EncodeLocked() const;

  FileSystem* fs_;
  std::string dir_;
  crypto::Key master_;
  mutable std::mutex mu_;
  std::map<uint32_t, Entry> keys_;
  std::map<std::string, uint32_t, std::less<>> current_;  // scope -> its current key's id
  uint32_t next_id_ = 1;
  uint32_t boot_ = 0;
  std::atomic<uint64_t> counter_{0};
};

// Wraps a data key under the master key; the AAD binds it to its id and scope.
Result<std::string> WrapKey(const crypto::Key& master, uint32_t id, const std::string& scope,
                            const crypto::Key& key);
// kCorruption when it does not unwrap (wrong master key, or altered bytes).
Result<crypto::Key> UnwrapKey(const crypto::Key& master, uint32_t id, const std::string& scope,
                              std::string_view wrapped);

}  // namespace cairn
