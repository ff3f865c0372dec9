#pragma once
// Per-event encryption inside the engine (docs/internals/encryption.md): which events are
// encrypted, sealing an append's events before it goes to its shard, opening read events,
// and key rotation and shredding. Owns the data directory's KeyStore.
//
// Thread-safe: called from any thread that appends or reads (the key store locks).

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cairn/options.h"
#include "cairn/types.h"
#include "io/file_system.h"
#include "storage/key_store.h"

namespace cairn {

class EventCipher {
 public:
  // With a key file: loads the master key, checks it against <dir>/KEYCHECK (created on
  // first use) and opens the key store. Without one: nullptr, unless the directory already
  // holds keys (KEYCHECK present), which is refused.
  static Result<std::unique_ptr<EventCipher>> Open(FileSystem* fs, const std::string& dir,
                                                   const EngineOptions& options);

  // Encrypts data and metadata of every event of an encrypted org or org/type in place and
  // sets its seal. The request was checked (stream names are valid).
  Status Seal(AppendRequest* request);
  // Decrypts sealed events in place (and clears their seals); an event whose key was shredded
  // gets shredded = true and empty data and metadata.
  Status Open(std::vector<RecordedEvent>* events) const;

  // EKEY ROTATE <org>: new events of the org get a new key; returns the new key's id (0 when
  // keys are per stream: each stream gets its new key with its next event).
  Result<uint32_t> Rotate(const std::string& org);
  // EKEY SHRED <stream | org>: the number of keys destroyed.
  Result<uint32_t> Shred(const std::string& scope);

  bool per_stream() const { return per_stream_; }

 private:
  EventCipher() = default;
  bool Encrypted(std::string_view org, std::string_view org_type) const;

  std::unique_ptr<KeyStore> keys_;
  std::set<std::string, std::less<>> scopes_;  // "org" or "org/type"
  bool per_stream_ = false;
};

// The additional authenticated data of an event: binds the ciphertext to its stream and type.
std::string EventAad(std::string_view stream, std::string_view type);

}  // namespace cairn
