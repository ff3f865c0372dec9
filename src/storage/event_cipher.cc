#include "storage/event_cipher.h"

#include "base/names.h"
#include "storage/master_key.h"

namespace cairn {

std::string EventAad(std::string_view stream, std::string_view type) {
  std::string aad = "cairn event v1";
  aad.push_back('\0');
  aad.append(stream);
  aad.push_back('\0');
  aad.append(type);
  return aad;
}

Result<std::unique_ptr<EventCipher>> EventCipher::Open(FileSystem* fs, const std::string& dir,
                                                       const EngineOptions& options) {
  if (options.encryption_key_file.empty()) {
    if (fs->Exists(dir + "/" + kKeyCheckFile)) {
      return Status::Invalid("the data directory " + dir +
                             " holds encryption keys (KEYCHECK): set encryption_key_file to its "
                             "master key file");
    }
    if (!options.encrypted_orgs.empty()) {
      return Status::Invalid("encrypted_orgs is set but encryption_key_file is not");
    }
    return std::unique_ptr<EventCipher>();
  }
  CAIRN_ASSIGN_OR_RETURN(crypto::Key master, LoadMasterKey(options.encryption_key_file));
  Status st = CheckOrCreateKeyCheck(fs, dir, master);
  if (!st.ok()) {
    crypto::Wipe(master.data(), master.size());
    return st;
  }
  std::unique_ptr<EventCipher> c(new EventCipher());
  auto ks = KeyStore::Open(fs, dir, master);
  crypto::Wipe(master.data(), master.size());
  if (!ks.ok()) return ks.status();
  c->keys_ = std::move(ks).value();
  c->per_stream_ = options.encryption_key_per_stream;
  for (const std::string& s : options.encrypted_orgs) c->scopes_.insert(s);
  return c;
}

bool EventCipher::Encrypted(std::string_view org, std::string_view org_type) const {
  return scopes_.find(org) != scopes_.end() || scopes_.find(org_type) != scopes_.end();
}

Status EventCipher::Seal(AppendRequest* request) {
  for (AppendClause& c : request->clauses) {
    if (c.events.empty()) continue;
    auto name = ParseStreamName(c.stream);
    if (!name.ok()) return name.status();
    if (!Encrypted(name->org, name->org_type)) continue;
    CAIRN_ASSIGN_OR_RETURN(DataKey key,
                           keys_->Current(per_stream_ ? c.stream : std::string(name->org)));
    for (ProposedEvent& e : c.events) {
      EventSeal seal;
      seal.key_id = key.id;
      seal.nonce = keys_->NextNonce();
      // One message per event: data ‖ metadata, split again at data's length.
      std::string plain = std::move(e.data);
      const size_t data_len = plain.size();
      plain += e.metadata;
      std::string ct;
      crypto::Tag tag;
      Status st = crypto::Seal(key.key, seal.nonce, EventAad(c.stream, e.type), plain, &ct, &tag);
      crypto::Wipe(plain.data(), plain.size());
      crypto::Wipe(e.metadata.data(), e.metadata.size());
      if (!st.ok()) {
        crypto::Wipe(key.key.data(), key.key.size());
        return st;
      }
      seal.tag = tag;
      e.data = ct.substr(0, data_len);
      e.metadata = ct.substr(data_len);
      e.seal = seal;
    }
    crypto::Wipe(key.key.data(), key.key.size());
  }
  return Status::Ok();
}

Status EventCipher::Open(std::vector<RecordedEvent>* events) const {
  for (RecordedEvent& e : *events) {
    if (!e.seal) continue;
    crypto::Key key;
    switch (keys_->Find(e.seal->key_id, &key)) {
      case KeyStore::Lookup::kShredded:
        e.data.clear();
        e.metadata.clear();
        e.shredded = true;
        e.seal.reset();
        continue;
      case KeyStore::Lookup::kUnknown:
        return Status::Corruption("event at position " + std::to_string(e.position) +
                                  " names data key " + std::to_string(e.seal->key_id) +
                                  ", which the key store does not know");
      case KeyStore::Lookup::kFound:
        break;
    }
    const size_t data_len = e.data.size();
    std::string ct = std::move(e.data);
    ct += e.metadata;
    std::string plain;
    Status st =
        crypto::Open(key, e.seal->nonce, EventAad(e.stream, e.type), ct, e.seal->tag, &plain);
    crypto::Wipe(key.data(), key.size());
    if (!st.ok()) {
      return Status::Corruption("event at position " + std::to_string(e.position) +
                                " does not decrypt: " + st.message());
    }
    e.data = plain.substr(0, data_len);
    e.metadata = plain.substr(data_len);
    crypto::Wipe(plain.data(), plain.size());
    e.seal.reset();
  }
  return Status::Ok();
}

Result<uint32_t> EventCipher::Rotate(const std::string& org) {
  if (per_stream_) {
    CAIRN_RETURN_IF_ERROR(keys_->RetireAll(org).status());
    return 0u;
  }
  return keys_->Rotate(org);
}

Result<uint32_t> EventCipher::Shred(const std::string& scope) {
  if (!per_stream_ && scope.find('/') != std::string::npos) {
    return Status::Invalid(
        "keys are per org (encryption_key_scope = org): shredding one stream would destroy the "
        "whole org's key; shred the org, or use encryption_key_scope = stream");
  }
  return keys_->Shred(scope);
}

}  // namespace cairn
