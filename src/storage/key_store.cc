#include "storage/key_store.h"

#include <cstring>

#include "base/coding.h"
#include "base/crc32c.h"
#include "storage/master_key.h"

namespace cairn {
namespace {

// docs/formats/keys.md
constexpr char kMagic[8] = {'C', 'A', 'I', 'R', 'N', 'K', 'S', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kWrappedBytes = crypto::kNonceBytes + crypto::kKeyBytes + crypto::kTagBytes;
static_assert(kWrappedBytes == 60);
constexpr uint8_t kFlagShredded = 1;
constexpr uint8_t kFlagCurrent = 2;
constexpr size_t kMaxKeyStoreBytes = 256u << 20;

std::string WrapAad(uint32_t id, const std::string& scope) {
  std::string aad = "cairn data key v1";
  PutFixed32(&aad, id);
  aad += scope;
  return aad;
}

// Whether a key of `scope` falls under `target`: the same scope, or, when `target` is an org
// (no '/'), one of its streams ("org/...").
bool InOrg(const std::string& scope, const std::string& target) {
  if (scope == target) return true;
  if (target.find('/') != std::string::npos) return false;
  return scope.size() > target.size() && scope.compare(0, target.size(), target) == 0 &&
         scope[target.size()] == '/';
}

}  // namespace

Result<std::string> WrapKey(const crypto::Key& master, uint32_t id, const std::string& scope,
                            const crypto::Key& key) {
  crypto::Nonce nonce;
  CAIRN_RETURN_IF_ERROR(crypto::RandomBytes(nonce.data(), nonce.size()));
  std::string ct;
  crypto::Tag tag;
  CAIRN_RETURN_IF_ERROR(crypto::Seal(
      master, nonce, WrapAad(id, scope),
      std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), &ct, &tag));
  std::string out(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  out += ct;
  out.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return out;
}

Result<crypto::Key> UnwrapKey(const crypto::Key& master, uint32_t id, const std::string& scope,
                              std::string_view wrapped) {
  if (wrapped.size() != kWrappedBytes) return Status::Corruption("wrapped key has a bad size");
  crypto::Nonce nonce;
  std::memcpy(nonce.data(), wrapped.data(), nonce.size());
  crypto::Tag tag;
  std::memcpy(tag.data(), wrapped.data() + kWrappedBytes - tag.size(), tag.size());
  std::string plain;
  CAIRN_RETURN_IF_ERROR(crypto::Open(master, nonce, WrapAad(id, scope),
                                     wrapped.substr(nonce.size(), crypto::kKeyBytes), tag, &plain));
  crypto::Key key;
  std::memcpy(key.data(), plain.data(), key.size());
  crypto::Wipe(plain.data(), plain.size());
  return key;
}

Result<std::unique_ptr<KeyStore>> KeyStore::Open(FileSystem* fs, const std::string& dir,
                                                 const crypto::Key& master) {
  std::unique_ptr<KeyStore> ks(new KeyStore(fs, dir, master));
  CAIRN_RETURN_IF_ERROR(ks->Load());
  std::lock_guard l(ks->mu_);
  ++ks->boot_;  // durable before the first nonce of this open
  CAIRN_RETURN_IF_ERROR(ks->PersistLocked());
  return ks;
}

KeyStore::~KeyStore() {
  for (auto& [id, e] : keys_) crypto::Wipe(e.key.data(), e.key.size());
  crypto::Wipe(master_.data(), master_.size());
}

Status KeyStore::Load() {
  const std::string path = dir_ + "/" + kKeyStoreFile;
  auto bytes = ReadWholeFile(fs_, path, kMaxKeyStoreBytes);
  if (!bytes.ok()) {
    return bytes.status().code() == StatusCode::kNotFound ? Status::Ok() : bytes.status();
  }
  const std::string& b = *bytes;
  auto bad = [&path](const std::string& why) { return Status::Corruption(path + ": " + why); };
  if (b.size() < 28 || std::memcmp(b.data(), kMagic, 8) != 0) return bad("not a key store");
  if (DecodeFixed32(b.data() + b.size() - 4) != crc32c::Value(b.data(), b.size() - 4)) {
    return bad("checksum mismatch");
  }
  if (DecodeFixed32(b.data() + 8) != kVersion) return bad("unsupported version");
  boot_ = DecodeFixed32(b.data() + 12);
  next_id_ = DecodeFixed32(b.data() + 16);
  uint32_t count = DecodeFixed32(b.data() + 20);
  size_t at = 24;
  const size_t end = b.size() - 4;
  for (uint32_t i = 0; i < count; ++i) {
    if (at + 7 > end) return bad("truncated entry");
    uint32_t id = DecodeFixed32(b.data() + at);
    uint8_t flags = static_cast<uint8_t>(b[at + 4]);
    uint16_t scope_len = DecodeFixed16(b.data() + at + 5);
    at += 7;
    if (at + scope_len + 2 > end) return bad("truncated entry");
    Entry e;
    e.scope.assign(b.data() + at, scope_len);
    at += scope_len;
    uint16_t wrapped_len = DecodeFixed16(b.data() + at);
    at += 2;
    if (at + wrapped_len > end) return bad("truncated entry");
    e.wrapped.assign(b.data() + at, wrapped_len);
    at += wrapped_len;
    e.shredded = (flags & kFlagShredded) != 0;
    e.current = (flags & kFlagCurrent) != 0;
    if (e.shredded != e.wrapped.empty() || id == 0 || id >= next_id_ || keys_.count(id) != 0) {
      return bad("inconsistent entry for key " + std::to_string(id));
    }
    if (!e.shredded) {
      auto key = UnwrapKey(master_, id, e.scope, e.wrapped);
      if (!key.ok()) {
        return Status::Invalid(path + ": data key " + std::to_string(id) + " of '" + e.scope +
                               "' does not unwrap with this master key");
      }
      e.key = *key;
    }
    if (e.current) {
      if (e.shredded || !current_.emplace(e.scope, id).second) {
        return bad("two current keys for '" + e.scope + "'");
      }
    }
    keys_.emplace(id, std::move(e));
  }
  if (at != end) return bad("trailing bytes");
  return Status::Ok();
}

std::string KeyStore::EncodeLocked() const {
  std::string b(kMagic, 8);
  PutFixed32(&b, kVersion);
  PutFixed32(&b, boot_);
  PutFixed32(&b, next_id_);
  PutFixed32(&b, static_cast<uint32_t>(keys_.size()));
  for (const auto& [id, e] : keys_) {
    PutFixed32(&b, id);
    b.push_back(
        static_cast<char>((e.shredded ? kFlagShredded : 0) | (e.current ? kFlagCurrent : 0)));
    PutFixed16(&b, static_cast<uint16_t>(e.scope.size()));
    b += e.scope;
    PutFixed16(&b, static_cast<uint16_t>(e.wrapped.size()));
    b += e.wrapped;
  }
  PutFixed32(&b, crc32c::Value(b.data(), b.size()));
  return b;
}

Status KeyStore::PersistLocked() {
  return WriteFileAtomically(fs_, dir_, kKeyStoreFile, EncodeLocked());
}

Result<uint32_t> KeyStore::AddKeyLocked(const std::string& scope) {
  if (scope.empty() || scope.size() > UINT16_MAX) return Status::Invalid("bad key scope");
  Entry e;
  e.scope = scope;
  e.current = true;
  CAIRN_RETURN_IF_ERROR(crypto::RandomBytes(e.key.data(), e.key.size()));
  uint32_t id = next_id_;
  CAIRN_ASSIGN_OR_RETURN(e.wrapped, WrapKey(master_, id, scope, e.key));
  std::optional<uint32_t> demoted;
  if (auto it = current_.find(scope); it != current_.end()) {
    demoted = it->second;
    keys_.at(it->second).current = false;
  }
  keys_.emplace(id, std::move(e));
  current_[scope] = id;
  ++next_id_;
  Status st = PersistLocked();
  if (!st.ok()) {  // as if it never happened: the file still holds the previous state
    keys_.erase(id);
    --next_id_;
    current_.erase(scope);
    if (demoted) {
      keys_.at(*demoted).current = true;
      current_[scope] = *demoted;
    }
    return st;
  }
  return id;
}

Result<DataKey> KeyStore::Current(const std::string& scope) {
  std::lock_guard l(mu_);
  if (auto it = current_.find(scope); it != current_.end()) {
    return DataKey{it->second, keys_.at(it->second).key};
  }
  CAIRN_ASSIGN_OR_RETURN(uint32_t id, AddKeyLocked(scope));
  return DataKey{id, keys_.at(id).key};
}

Result<uint32_t> KeyStore::Rotate(const std::string& scope) {
  std::lock_guard l(mu_);
  return AddKeyLocked(scope);
}

Result<uint32_t> KeyStore::RetireAll(const std::string& org) {
  std::lock_guard l(mu_);
  auto before = current_;
  uint32_t n = 0;
  for (auto it = current_.begin(); it != current_.end();) {
    if (InOrg(it->first, org)) {
      keys_.at(it->second).current = false;
      it = current_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  Status st = PersistLocked();
  if (!st.ok()) {
    current_ = std::move(before);
    for (const auto& [scope, id] : current_) keys_.at(id).current = true;
    return st;
  }
  return n;
}

Result<uint32_t> KeyStore::Shred(const std::string& scope) {
  std::lock_guard l(mu_);
  std::map<uint32_t, Entry> before = keys_;
  auto before_current = current_;
  uint32_t n = 0;
  for (auto& [id, e] : keys_) {
    if (e.shredded || !InOrg(e.scope, scope)) continue;
    crypto::Wipe(e.key.data(), e.key.size());
    e.wrapped.clear();
    e.shredded = true;
    if (e.current) current_.erase(e.scope);
    e.current = false;
    ++n;
  }
  Status st = PersistLocked();
  if (!st.ok()) {
    keys_ = std::move(before);
    current_ = std::move(before_current);
    return st;
  }
  for (auto& [id, e] : before) crypto::Wipe(e.key.data(), e.key.size());
  return n;
}

KeyStore::Lookup KeyStore::Find(uint32_t id, crypto::Key* key) const {
  std::lock_guard l(mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) return Lookup::kUnknown;
  if (it->second.shredded) return Lookup::kShredded;
  *key = it->second.key;
  return Lookup::kFound;
}

crypto::Nonce KeyStore::NextNonce() {
  uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  crypto::Nonce nonce;
  EncodeFixed32(reinterpret_cast<char*>(nonce.data()), boot_);
  EncodeFixed64(reinterpret_cast<char*>(nonce.data()) + 4, n);
  return nonce;
}

size_t KeyStore::live_keys() const {
  std::lock_guard l(mu_);
  size_t n = 0;
  for (const auto& [id, e] : keys_) n += e.shredded ? 0 : 1;
  return n;
}

}  // namespace cairn
