// Unit tests of the encryption building blocks: AES-256-GCM, the master key file checks,
// the key check file, key wrapping and the key store (rotation, shredding, nonces) across
// reopenings.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <thread>

#include "io/file_system.h"
#include "storage/aead.h"
#include "storage/chain.h"
#include "storage/event_cipher.h"
#include "storage/key_store.h"
#include "storage/master_key.h"
#include "storage/record.h"
#include "testing/temp_dir.h"

namespace cairn {
namespace {

crypto::Key RandomKey() {
  crypto::Key k;
  EXPECT_TRUE(crypto::RandomBytes(k.data(), k.size()).ok());
  return k;
}

std::string WriteKeyFile(const std::string& dir, const std::string& name, std::string_view bytes,
                         mode_t mode) {
  std::string path = dir + "/" + name;
  {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_EQ(chmod(path.c_str(), mode), 0);
  return path;
}

std::string_view Bytes(const crypto::Key& k) {
  return {reinterpret_cast<const char*>(k.data()), k.size()};
}

TEST(Aead, SealOpenRoundTripAndTamperDetection) {
  crypto::Key key = RandomKey();
  crypto::Nonce nonce{};
  nonce[11] = 7;
  for (std::string plain : {std::string(), std::string("hello, world"), std::string(100000, 'z')}) {
    std::string ct;
    crypto::Tag tag;
    ASSERT_TRUE(crypto::Seal(key, nonce, "aad", plain, &ct, &tag).ok());
    ASSERT_EQ(ct.size(), plain.size());
    if (!plain.empty()) {
      EXPECT_NE(ct, plain);
    }
    std::string back;
    ASSERT_TRUE(crypto::Open(key, nonce, "aad", ct, tag, &back).ok());
    EXPECT_EQ(back, plain);
    EXPECT_EQ(crypto::Open(key, nonce, "other aad", ct, tag, &back).code(),
              StatusCode::kCorruption);
    EXPECT_EQ(crypto::Open(RandomKey(), nonce, "aad", ct, tag, &back).code(),
              StatusCode::kCorruption);
    if (!ct.empty()) {
      std::string flipped = ct;
      flipped[0] ^= 1;
      EXPECT_EQ(crypto::Open(key, nonce, "aad", flipped, tag, &back).code(),
                StatusCode::kCorruption);
    }
  }
}

TEST(MasterKey, RefusesMissingOpenWrongSizeAndAcceptsAPrivateKey) {
  testing::TempDir dir;
  crypto::Key key = RandomKey();
  std::string good = WriteKeyFile(dir.path(), "good.key", Bytes(key), 0600);
  auto loaded = LoadMasterKey(good);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, key);

  auto missing = LoadMasterKey(dir.path() + "/none.key");
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalid);
  EXPECT_NE(missing.status().message().find("none.key"), std::string::npos);

  std::string open = WriteKeyFile(dir.path(), "open.key", Bytes(key), 0644);
  auto o = LoadMasterKey(open);
  EXPECT_EQ(o.status().code(), StatusCode::kInvalid);
  EXPECT_NE(o.status().message().find("permissions 0644"), std::string::npos)
      << o.status().message();
  std::string group = WriteKeyFile(dir.path(), "group.key", Bytes(key), 0640);
  EXPECT_FALSE(LoadMasterKey(group).ok());

  std::string shorter = WriteKeyFile(dir.path(), "short.key", Bytes(key).substr(0, 31), 0600);
  auto s = LoadMasterKey(shorter);
  EXPECT_NE(s.status().message().find("31 bytes"), std::string::npos) << s.status().message();
  std::string text = WriteKeyFile(dir.path(), "text.key", std::string(64, 'a') + "\n", 0400);
  EXPECT_FALSE(LoadMasterKey(text).ok());
}

TEST(MasterKey, KeyCheckTellsTheWrongKeyApart) {
  testing::TempDir dir;
  FileSystem* fs = PosixFileSystem();
  crypto::Key key = RandomKey();
  ASSERT_TRUE(CheckOrCreateKeyCheck(fs, dir.path(), key).ok());  // creates
  ASSERT_TRUE(CheckOrCreateKeyCheck(fs, dir.path(), key).ok());  // checks
  Status wrong = CheckOrCreateKeyCheck(fs, dir.path(), RandomKey());
  EXPECT_EQ(wrong.code(), StatusCode::kInvalid);
  EXPECT_NE(wrong.message().find("wrong master key"), std::string::npos) << wrong.message();
}

TEST(KeyStore, WrapUnwrapIsBoundToKeyIdAndScope) {
  crypto::Key master = RandomKey();
  crypto::Key data = RandomKey();
  auto w = WrapKey(master, 3, "acme", data);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->size(), 60u);
  EXPECT_EQ(w->find(std::string(Bytes(data))), std::string::npos);
  auto u = UnwrapKey(master, 3, "acme", *w);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, data);
  EXPECT_FALSE(UnwrapKey(master, 4, "acme", *w).ok());
  EXPECT_FALSE(UnwrapKey(master, 3, "other", *w).ok());
  EXPECT_FALSE(UnwrapKey(RandomKey(), 3, "acme", *w).ok());
}

TEST(KeyStore, RotationAndShreddingSurviveReopening) {
  testing::TempDir dir;
  FileSystem* fs = PosixFileSystem();
  crypto::Key master = RandomKey();
  uint32_t first = 0, second = 0, stream = 0;
  crypto::Key first_key{};
  {
    auto ks = KeyStore::Open(fs, dir.path(), master);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    auto c = (*ks)->Current("acme");
    ASSERT_TRUE(c.ok());
    first = c->id;
    first_key = c->key;
    EXPECT_EQ((*ks)->Current("acme")->id, first);  // stable until rotated
    auto r = (*ks)->Rotate("acme");
    ASSERT_TRUE(r.ok());
    second = *r;
    EXPECT_NE(second, first);
    EXPECT_EQ((*ks)->Current("acme")->id, second);
    stream = (*ks)->Current("acme/order/1")->id;
    ASSERT_TRUE((*ks)->Current("other").ok());
  }
  // The file holds no key in the clear.
  auto file = ReadWholeFile(fs, dir.path() + "/KEYS", 1 << 20);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->find(std::string(Bytes(first_key))), std::string::npos);
  {
    auto ks = KeyStore::Open(fs, dir.path(), master);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    crypto::Key k;
    EXPECT_EQ((*ks)->Find(first, &k), KeyStore::Lookup::kFound);
    EXPECT_EQ(k, first_key);
    EXPECT_EQ((*ks)->Current("acme")->id, second);
    auto n = (*ks)->Shred("acme");  // the org's keys and its streams'
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 3u);
    EXPECT_EQ((*ks)->Find(first, &k), KeyStore::Lookup::kShredded);
    EXPECT_EQ((*ks)->Find(stream, &k), KeyStore::Lookup::kShredded);
    EXPECT_EQ((*ks)->Find(9999, &k), KeyStore::Lookup::kUnknown);
  }
  file = ReadWholeFile(fs, dir.path() + "/KEYS", 1 << 20);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->find(std::string(Bytes(first_key))), std::string::npos);
  {
    auto ks = KeyStore::Open(fs, dir.path(), master);
    ASSERT_TRUE(ks.ok());
    crypto::Key k;
    EXPECT_EQ((*ks)->Find(second, &k), KeyStore::Lookup::kShredded);
    EXPECT_EQ((*ks)->live_keys(), 1u);  // "other"
    // New events of a shredded org get a new key.
    auto c = (*ks)->Current("acme");
    ASSERT_TRUE(c.ok());
    EXPECT_GT(c->id, stream);
  }
  // A wrong master key does not open the store.
  EXPECT_EQ(KeyStore::Open(fs, dir.path(), RandomKey()).status().code(), StatusCode::kInvalid);
}

TEST(KeyStore, NoncesNeverRepeatAcrossThreadsAndReopenings) {
  testing::TempDir dir;
  FileSystem* fs = PosixFileSystem();
  crypto::Key master = RandomKey();
  std::set<crypto::Nonce> seen;
  uint32_t last_boot = 0;
  for (int open = 0; open < 3; ++open) {
    auto ks = KeyStore::Open(fs, dir.path(), master);
    ASSERT_TRUE(ks.ok());
    EXPECT_GT((*ks)->boot(), last_boot);
    last_boot = (*ks)->boot();
    std::vector<std::vector<crypto::Nonce>> per(4);
    std::vector<std::thread> threads;
    for (auto& v : per) {
      threads.emplace_back([&v, &ks] {
        for (int i = 0; i < 5000; ++i) v.push_back((*ks)->NextNonce());
      });
    }
    for (auto& t : threads) t.join();
    for (auto& v : per) {
      for (auto& n : v) EXPECT_TRUE(seen.insert(n).second);
    }
  }
  EXPECT_EQ(seen.size(), 3u * 4 * 5000);
}

TEST(EntryFormat, SealedAndPlainEntriesRoundTripAndChainOverStoredBytes) {
  AlignedBuffer buf;
  Hash256 chain{};
  EventSeal seal;
  seal.key_id = 42;
  seal.nonce[0] = 1;
  seal.nonce[11] = 2;
  seal.tag[5] = 9;
  EventsRecordBuilder b(&buf, 1, 1'800'000'000'000, "", Fingerprint{}, false, 1);
  b.BeginClause("acme/a/1", 1, 1, 1, 111, 2, true);
  const Uuid id{};
  const Hash256 p1 = PayloadHash("data-1", "meta-1");
  chain = ChainStep(kChainV2, chain,
                    ChainFields{1, 1, 1'800'000'000'000, &id, "acme/a/1", "Plain", 6, 6}, p1);
  b.AddEvent(1, 1, id, "Plain", "data-1", "meta-1", p1, chain);
  const Hash256 p2 = PayloadHash("cipher", "ct");
  chain = ChainStep(kChainV2, chain,
                    ChainFields{2, 2, 1'800'000'000'000, &id, "acme/a/1", "Sealed", 6, 2}, p2);
  b.AddEvent(2, 2, id, "Sealed", "cipher", "ct", p2, chain, &seal);
  b.Finish();
  auto h = format::DecodeRecordHeader(std::string_view(buf.data(), buf.size()));
  ASSERT_TRUE(h.ok());
  std::string rec(buf.data(), h->length);
  ASSERT_TRUE(CheckRecordCrc(rec).ok());
  auto v = DecodeEventsRecord(rec);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const auto& entries = v->clauses[0].entries;
  ASSERT_EQ(entries.size(), 2u);
  // The plain entry decodes as before: no seal, fixed part then type.
  EXPECT_FALSE(entries[0].seal);
  EXPECT_EQ(entries[0].type, "Plain");
  EXPECT_EQ(entries[0].data, "data-1");
  EXPECT_EQ(entries[0].length, format::kEntryFixedSize + 5 + 6 + 6);
  ASSERT_TRUE(entries[1].seal);
  EXPECT_EQ(*entries[1].seal, seal);
  EXPECT_EQ(entries[1].type, "Sealed");
  EXPECT_EQ(entries[1].data, "cipher");
  EXPECT_EQ(entries[1].metadata, "ct");
  EXPECT_EQ(entries[1].length, format::kEntryFixedSize + format::kEntrySealSize + 6 + 6 + 2);
  Hash256 head{};
  EXPECT_TRUE(CheckRecordChain(kChainV2, *v, &head, nullptr).ok());
  EXPECT_EQ(head, chain);
}

TEST(EventCipher, SealThenOpenShredAndWrongScope) {
  testing::TempDir dir;
  FileSystem* fs = PosixFileSystem();
  crypto::Key master = RandomKey();
  std::string key_file = WriteKeyFile(dir.path(), "master.key", Bytes(master), 0600);
  std::string data_dir = dir.path() + "/data";
  ASSERT_TRUE(fs->CreateDir(data_dir).ok());
  EngineOptions o;
  o.encryption_key_file = key_file;
  o.encrypted_orgs = {"acme", "beta/secret"};
  auto c = EventCipher::Open(fs, data_dir, o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  AppendRequest req;
  req.clauses.push_back(
      {"acme/order/1", Expected::Any(), {{"Placed", "MARKER-1", "meta", {}, {}}}});
  req.clauses.push_back({"beta/open/1", Expected::Any(), {{"Seen", "clear", "", {}, {}}}});
  req.clauses.push_back({"beta/secret/1", Expected::Any(), {{"Kept", "MARKER-2", "", {}, {}}}});
  ASSERT_TRUE((*c)->Seal(&req).ok());
  const ProposedEvent& sealed = req.clauses[0].events[0];
  ASSERT_TRUE(sealed.seal);
  EXPECT_NE(sealed.data, "MARKER-1");
  EXPECT_EQ(sealed.data.size(), 8u);
  EXPECT_EQ(sealed.metadata.size(), 4u);
  EXPECT_FALSE(req.clauses[1].events[0].seal);  // beta/open is not encrypted
  EXPECT_EQ(req.clauses[1].events[0].data, "clear");
  EXPECT_TRUE(req.clauses[2].events[0].seal);  // beta/secret is, per type

  auto as_read = [&](size_t clause) {
    const ProposedEvent& p = req.clauses[clause].events[0];
    RecordedEvent e;
    e.stream = req.clauses[clause].stream;
    e.type = p.type;
    e.data = p.data;
    e.metadata = p.metadata;
    e.seal = p.seal;
    return e;
  };
  std::vector<RecordedEvent> events = {as_read(0), as_read(1), as_read(2)};
  ASSERT_TRUE((*c)->Open(&events).ok());
  EXPECT_EQ(events[0].data, "MARKER-1");
  EXPECT_EQ(events[0].metadata, "meta");
  EXPECT_FALSE(events[0].seal);
  EXPECT_EQ(events[2].data, "MARKER-2");

  // Moved to another stream, the ciphertext does not open (the AAD binds it).
  std::vector<RecordedEvent> moved = {as_read(0)};
  moved[0].stream = "acme/order/2";
  EXPECT_EQ((*c)->Open(&moved).code(), StatusCode::kCorruption);

  // Keys are per org: a stream cannot be shredded alone.
  EXPECT_EQ((*c)->Shred("acme/order/1").status().code(), StatusCode::kInvalid);
  auto n = (*c)->Shred("acme");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  events = {as_read(0), as_read(2)};
  ASSERT_TRUE((*c)->Open(&events).ok());
  EXPECT_TRUE(events[0].shredded);
  EXPECT_TRUE(events[0].data.empty());
  EXPECT_TRUE(events[0].metadata.empty());
  EXPECT_FALSE(events[1].shredded);
  EXPECT_EQ(events[1].data, "MARKER-2");

  // Without the key file the directory refuses to open; with another key too.
  EngineOptions none;
  EXPECT_EQ(EventCipher::Open(fs, data_dir, none).status().code(), StatusCode::kInvalid);
  std::string other = WriteKeyFile(dir.path(), "other.key", Bytes(RandomKey()), 0600);
  o.encryption_key_file = other;
  auto wrong = EventCipher::Open(fs, data_dir, o);
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalid);
  EXPECT_NE(wrong.status().message().find("wrong master key"), std::string::npos);
}

}  // namespace
}  // namespace cairn
