// Unit tests of the storage engine's building blocks: record encoding, the hash chain,
// index keys, the stream-head cache, the manifest.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "base/coding.h"
#include "base/random.h"
#include "cairn/limits.h"
#include "io/file_system.h"
#include "storage/chain.h"
#include "storage/format.h"
#include "storage/head_cache.h"
#include "storage/index_keys.h"
#include "storage/manifest.h"
#include "storage/record.h"
#include "storage/record_indexer.h"
#include "storage/shard_index.h"
#include "storage/stream_lookup.h"
#include "testing/temp_dir.h"

namespace cairn {
namespace {

Uuid IdOf(uint8_t b) {
  Uuid u;
  u.bytes.fill(b);
  return u;
}

constexpr uint64_t kTime = 1'800'000'000'000;

// Adds one event at kTime with its hashes under chain version `chain_version`; advances *chain.
void AddChained(EventsRecordBuilder* b, uint32_t chain_version, std::string_view stream,
                uint64_t position, uint64_t version, const Uuid& id, std::string_view type,
                std::string_view data, std::string_view metadata, Hash256* chain) {
  const Hash256 payload = PayloadHash(data, metadata);
  const ChainFields f{position,
                      version,
                      kTime,
                      &id,
                      stream,
                      type,
                      static_cast<uint32_t>(data.size()),
                      static_cast<uint32_t>(metadata.size())};
  *chain = ChainStep(chain_version, *chain, f, payload);
  b->AddEvent(position, version, id, type, data, metadata, payload, *chain);
}

// Builds one events record with two clauses (2 + 1 events) at position 10.
std::string BuildRecord(Hash256* chain, uint32_t chain_version = kChainV2) {
  AlignedBuffer buf;
  Fingerprint fp{};
  fp[0] = 7;
  EventsRecordBuilder b(&buf, 10, kTime, std::string("acme\0key", 8), fp, true, 2);
  b.BeginClause("acme/a/1", 3, 5, 1, 111, 2, false);
  AddChained(&b, chain_version, "acme/a/1", 10, 5, IdOf(1), "T1", "data-1", "", chain);
  AddChained(&b, chain_version, "acme/a/1", 11, 6, IdOf(2), "T2", std::string_view("d\0ta", 4),
             "meta", chain);
  b.BeginClause("acme/b/2", 4, 1, 1, 222, 1, true);
  AddChained(&b, chain_version, "acme/b/2", 12, 1, IdOf(3), "T1", "", "", chain);
  size_t start = b.Finish();
  EXPECT_EQ(start, 0u);
  EXPECT_EQ(buf.size() % format::kRecordAlign, 0u);
  auto h = format::DecodeRecordHeader(std::string_view(buf.data(), buf.size()));
  EXPECT_TRUE(h.ok());
  return std::string(buf.data(), h.ok() ? h->length : 0);
}

TEST(Record, EventsRecordRoundTrip) {
  Hash256 chain{};
  const std::string rec = BuildRecord(&chain);
  ASSERT_TRUE(CheckRecordCrc(rec).ok());
  auto v = DecodeEventsRecord(rec);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->header.first_position, 10u);
  EXPECT_EQ(v->header.event_count, 3u);
  EXPECT_EQ(v->header.timestamp_ms, 1'800'000'000'000u);
  EXPECT_EQ(v->idempotency_key, std::string_view("acme\0key", 8));
  EXPECT_TRUE(v->transaction);
  EXPECT_EQ(v->fingerprint[0], 7);
  ASSERT_EQ(v->clauses.size(), 2u);
  const ClauseView& a = v->clauses[0];
  EXPECT_EQ(a.stream, "acme/a/1");
  EXPECT_EQ(a.stream_id, 3u);
  EXPECT_EQ(a.first_version, 5u);
  EXPECT_EQ(a.created_ms, 111u);
  EXPECT_FALSE(a.created);
  ASSERT_EQ(a.entries.size(), 2u);
  EXPECT_EQ(a.entries[1].position, 11u);
  EXPECT_EQ(a.entries[1].version, 6u);
  EXPECT_EQ(a.entries[1].type, "T2");
  EXPECT_EQ(a.entries[1].data, std::string_view("d\0ta", 4));
  EXPECT_EQ(a.entries[1].metadata, "meta");
  EXPECT_EQ(a.entries[1].id, IdOf(2));
  EXPECT_TRUE(v->clauses[1].created);
  EXPECT_EQ(v->clauses[1].entries[0].data, "");
  // The stored chain hash of the last event is the running head.
  EXPECT_EQ(v->clauses[1].entries[0].chain_hash, chain);
  // Entries of one clause are contiguous and decodable on their own (what a run points at).
  std::string_view run(rec.data() + a.entries_offset, a.entries_bytes);
  auto first = DecodeEntry(run);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->position, 10u);
  auto second = DecodeEntry(run.substr(first->length));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->position, 11u);
}

TEST(Record, ClausesDecodeAgreesWithTheFullDecode) {
  Hash256 chain{};
  const std::string rec = BuildRecord(&chain);
  auto full = DecodeEventsRecord(rec);
  auto shallow = DecodeEventsRecordClauses(rec);
  ASSERT_TRUE(full.ok() && shallow.ok());
  EXPECT_EQ(shallow->idempotency_key, full->idempotency_key);
  EXPECT_EQ(shallow->transaction, full->transaction);
  ASSERT_EQ(shallow->clauses.size(), full->clauses.size());
  const uint64_t first_positions[] = {10, 12};
  const uint32_t counts[] = {2, 1};
  for (size_t i = 0; i < full->clauses.size(); ++i) {
    const ClauseView& f = full->clauses[i];
    const ClauseView& c = shallow->clauses[i];
    EXPECT_EQ(f.first_position, first_positions[i]);
    EXPECT_EQ(f.count, counts[i]);
    EXPECT_EQ(f.first_position, f.entries.front().position);
    EXPECT_EQ(f.count, f.entries.size());
    EXPECT_EQ(c.stream, f.stream);
    EXPECT_EQ(c.stream_id, f.stream_id);
    EXPECT_EQ(c.first_version, f.first_version);
    EXPECT_EQ(c.first_readable, f.first_readable);
    EXPECT_EQ(c.created_ms, f.created_ms);
    EXPECT_EQ(c.created, f.created);
    EXPECT_EQ(c.first_position, f.first_position);
    EXPECT_EQ(c.count, f.count);
    EXPECT_EQ(c.entries_offset, f.entries_offset);
    EXPECT_EQ(c.entries_bytes, f.entries_bytes);
    EXPECT_TRUE(c.entries.empty());
  }
  // Entry lengths are still checked: one that runs past the record is refused...
  const uint32_t first_entry = full->clauses[0].entries_offset;
  std::string bad = rec;
  EncodeFixed32(bad.data() + first_entry, static_cast<uint32_t>(rec.size()));
  EXPECT_FALSE(DecodeEventsRecordClauses(bad).ok());
  EncodeFixed32(bad.data() + first_entry, 4);
  EXPECT_FALSE(DecodeEventsRecordClauses(bad).ok());
  // ...but an entry's contents are not (its CRC is the full decode's job).
  bad = rec;
  bad[first_entry + 40] = static_cast<char>(bad[first_entry + 40] ^ 1);
  EXPECT_TRUE(DecodeEventsRecordClauses(bad).ok());
  EXPECT_FALSE(DecodeEventsRecord(bad).ok());
}

TEST(Record, AnEventCountTheRecordCannotHoldIsRefused) {
  // A clause (and header) claiming billions of events in a few hundred bytes: refused as
  // corrupt, never used to size anything.
  Hash256 chain{};
  const std::string rec = BuildRecord(&chain);
  auto v = DecodeEventsRecord(rec);
  ASSERT_TRUE(v.ok());
  std::string bad = rec;
  EncodeFixed32(bad.data() + 32, 0xF0000000u);                                // header count
  EncodeFixed32(bad.data() + v->clauses[0].entries_offset - 5, 0xE0000000u);  // clause count
  EXPECT_EQ(DecodeEventsRecord(bad).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeEventsRecordClauses(bad).status().code(), StatusCode::kCorruption);
  // The largest count that fits is still checked against the entries themselves.
  EncodeFixed32(bad.data() + v->clauses[0].entries_offset - 5, 3);
  EXPECT_FALSE(DecodeEventsRecord(bad).ok());
}

TEST(Record, EveryFlippedByteIsCaught) {
  Hash256 chain{};
  const std::string rec = BuildRecord(&chain);
  for (size_t i = 0; i < rec.size(); ++i) {
    std::string bad = rec;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    const bool header_magic = i < 4;
    const bool rejected =
        !CheckRecordCrc(bad).ok() || header_magic || !format::DecodeRecordHeader(bad).ok();
    ASSERT_TRUE(rejected) << "byte " << i;
  }
}

TEST(Record, StreamStateRoundTrip) {
  AlignedBuffer buf;
  StreamStateView s{"acme/a/1", 3, 9, 10, 111, DeletedState::kSoft};
  AppendStreamStateRecord(&buf, 42, 5, s);
  auto h = format::DecodeRecordHeader(std::string_view(buf.data(), buf.size()));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->type, format::RecordType::kStreamState);
  EXPECT_EQ(h->first_position, 42u);
  std::string rec(buf.data(), h->length);
  ASSERT_TRUE(CheckRecordCrc(rec).ok());
  auto v = DecodeStreamStateRecord(rec);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->stream, "acme/a/1");
  EXPECT_EQ(v->version, 9u);
  EXPECT_EQ(v->first_readable, 10u);
  EXPECT_EQ(v->deleted, DeletedState::kSoft);
}

TEST(Chain, DependsOnEveryFieldAndOnThePast) {
  for (uint32_t version : {kChainV1, kChainV2}) {
    SCOPED_TRACE("chain version " + std::to_string(version));
    Uuid id = IdOf(9);
    ChainFields f{1, 1, 1000, &id, "acme/a/1", "T", 4, 0};
    const Hash256 payload = PayloadHash("data", "");
    const Hash256 zero{};
    const Hash256 h1 = ChainStep(version, zero, f, payload);
    EXPECT_EQ(h1, ChainStep(version, zero, f, payload));  // deterministic
    Hash256 other_prev{};
    other_prev[0] = 1;
    EXPECT_NE(h1, ChainStep(version, other_prev, f, payload));
    EXPECT_NE(h1, ChainStep(version, zero, f, PayloadHash("dat4", "")));
    ChainFields g = f;
    g.version = 2;
    EXPECT_NE(h1, ChainStep(version, zero, g, payload));
    g = f;
    g.stream = "acme/a/2";
    EXPECT_NE(h1, ChainStep(version, zero, g, payload));
    // Data and metadata are hashed as one payload, but their lengths are in the header, so
    // moving bytes from data to metadata changes the chain.
    ChainFields split = f;
    split.data_len = 2;
    split.meta_len = 2;
    EXPECT_EQ(PayloadHash("da", "ta"), payload);
    EXPECT_NE(ChainStep(version, zero, split, PayloadHash("da", "ta")), h1);
  }
}

// The two definitions, from bytes laid out here independently of chain.cc.
TEST(Chain, VersionsHashWhatTheFormatSays) {
  Uuid id = IdOf(0xA5);
  const ChainFields f{
      0x0102030405060708, 7, 1'800'000'000'123, &id, "acme/order/42", "Placed", 17, 3};
  const Hash256 payload = PayloadHash("{\"hello\":\"world\"}", "m=1");
  Hash256 prev{};
  for (size_t i = 0; i < prev.size(); ++i) prev[i] = static_cast<uint8_t>(i * 7);
  std::string header;
  auto u64 = [&header](uint64_t v) {
    for (int i = 0; i < 8; ++i) header.push_back(static_cast<char>(v >> (8 * i)));
  };
  auto u16 = [&header](uint16_t v) {
    header.push_back(static_cast<char>(v & 0xFF));
    header.push_back(static_cast<char>(v >> 8));
  };
  u64(f.position);
  u64(f.version);
  u64(f.timestamp_ms);
  header.append(reinterpret_cast<const char*>(id.bytes.data()), 16);
  u16(13);
  header += "acme/order/42";
  u16(6);
  header += "Placed";
  header += std::string("\x11\0\0\0\x03\0\0\0", 8);  // data_len 17, meta_len 3
  const std::string p(reinterpret_cast<const char*>(payload.data()), 32);
  const std::string pv(reinterpret_cast<const char*>(prev.data()), 32);
  EXPECT_EQ(ChainStep(kChainV1, prev, f, payload), Blake3(pv + header + p));
  const Hash256 leaf = Blake3(header + p);
  EXPECT_EQ(ChainStep(kChainV2, prev, f, payload),
            Blake3(pv + std::string(reinterpret_cast<const char*>(leaf.data()), 32)));
  EXPECT_NE(ChainStep(kChainV1, prev, f, payload), ChainStep(kChainV2, prev, f, payload));
}

// ChainRun (leaves side by side) gives what one ChainStep after another gives, for runs of
// every length to 40 with streams and types of different lengths (leaves of one to seven
// blocks: passes of sixteen and eight lanes, remainders, lanes that finish early).
TEST(Chain, RunEqualsStepByStep) {
  std::vector<Uuid> ids;
  std::vector<std::string> streams, types;
  for (int i = 0; i < 40; ++i) {
    ids.push_back(IdOf(static_cast<uint8_t>(i)));
    streams.push_back("acme/s/" + std::string(static_cast<size_t>(i * 37 % 250), 'x'));
    types.push_back("T" + std::string(static_cast<size_t>(i * 13 % 120), 'y'));
  }
  for (uint32_t version : {kChainV1, kChainV2}) {
    for (size_t n = 1; n <= 40; ++n) {
      std::vector<ChainFields> f;
      std::vector<Hash256> payloads;
      for (size_t i = 0; i < n; ++i) {
        f.push_back(ChainFields{100 + i, 1 + i, 5000, &ids[i], streams[i], types[i],
                                static_cast<uint32_t>(i), 0});
        payloads.push_back(PayloadHash(std::string(i, 'p'), ""));
      }
      Hash256 head{};
      head[3] = static_cast<uint8_t>(n);
      Hash256 step = head;
      std::vector<Hash256> out(n);
      ChainRun(version, f.data(), payloads.data(), n, &head, out.data());
      for (size_t i = 0; i < n; ++i) {
        step = ChainStep(version, step, f[i], payloads[i]);
        ASSERT_EQ(out[i], step) << "version " << version << " run " << n << " event " << i;
      }
      EXPECT_EQ(head, step);
    }
  }
}

TEST(Chain, RecordChainCheckFindsTheBadEvent) {
  for (uint32_t version : {kChainV1, kChainV2}) {
    SCOPED_TRACE("chain version " + std::to_string(version));
    Hash256 chain{};
    std::string rec = BuildRecord(&chain, version);
    auto v = DecodeEventsRecord(rec);
    ASSERT_TRUE(v.ok());
    Hash256 head{};
    uint64_t bad = 0;
    ASSERT_TRUE(CheckRecordChain(version, *v, &head, &bad).ok());
    EXPECT_EQ(head, chain);
    // Starting from the wrong head fails at the first event.
    Hash256 wrong{};
    wrong[5] = 1;
    EXPECT_FALSE(CheckRecordChain(version, *v, &wrong, &bad).ok());
    EXPECT_EQ(bad, 10u);
    // Checked under the other version's definition, the first event does not match.
    head = Hash256{};
    bad = 0;
    EXPECT_FALSE(CheckRecordChain(kChainV1 + kChainV2 - version, *v, &head, &bad).ok());
    EXPECT_EQ(bad, 10u);
  }
}

TEST(InsertHints, NamesTheStreamsAddedUntilCleared) {
  InsertHints h;
  EXPECT_TRUE(h.empty());
  EXPECT_FALSE(h.HasId(7));
  h.Add(9);
  h.Add(7);
  h.Add(3);
  h.Seal();
  EXPECT_TRUE(h.HasId(3) && h.HasId(7) && h.HasId(9));
  EXPECT_FALSE(h.HasId(8));
  h.Clear();
  EXPECT_TRUE(h.empty());
  EXPECT_FALSE(h.HasId(7));
}

// The keys an index write batch puts, in order.
std::vector<std::string> PutKeys(rocksdb::WriteBatch* wb) {
  struct Keys final : rocksdb::WriteBatch::Handler {
    std::vector<std::string> keys;
    rocksdb::Status PutCF(uint32_t, const rocksdb::Slice& k, const rocksdb::Slice&) override {
      keys.push_back(k.ToString());
      return rocksdb::Status::OK();
    }
  } h;
  EXPECT_TRUE(wb->Iterate(&h).ok());
  return h.keys;
}

bool HasKey(const std::vector<std::string>& keys, const std::string& k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

// With a KnownListings (the live write path, recovery's replay), an org or type listing key
// is written once, not with every new stream; without one, every new stream writes them.
TEST(RecordIndexer, KnownListingsWriteEachListingKeyOnce) {
  Hash256 chain{};
  const std::string rec = BuildRecord(&chain);  // its second clause creates acme/b/2
  auto view = DecodeEventsRecordClauses(rec);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  const RecordPlace place{0, 1, 4096};
  const std::string org = index::OrgKey("acme");
  const std::string type = index::TypeKey("acme", "b");
  KnownListings known;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    rocksdb::WriteBatch wb;
    ScopeIndexer scopes;
    IndexEventsRecord(*view, place, 1000, &wb, &scopes, round < 2 ? &known : nullptr);
    const std::vector<std::string> keys = PutKeys(&wb);
    const bool listed = round != 1;  // known after the first round; always without `known`
    EXPECT_EQ(HasKey(keys, org), listed);
    EXPECT_EQ(HasKey(keys, type), listed);
    // The stream's metadata and run are written every time.
    EXPECT_TRUE(HasKey(keys, index::StreamKey("acme/b/2")));
    EXPECT_TRUE(HasKey(keys, index::RunKey(4, 1)));
  }
  // The first clause (acme/a/1) does not create its stream: its type is never listed here.
  EXPECT_EQ(known.size(), 2u);
}

TEST(RecordIndexer, KnownListingsForgetEverythingWhenFull) {
  KnownListings k(2);
  EXPECT_TRUE(k.Learn("Oa"));
  EXPECT_FALSE(k.Learn("Oa"));
  EXPECT_TRUE(k.Learn("Ob"));
  EXPECT_FALSE(k.Learn("Ob"));
  EXPECT_EQ(k.size(), 2u);
  EXPECT_TRUE(k.Learn("Oc"));  // full: forgets a and b
  EXPECT_EQ(k.size(), 1u);
  EXPECT_TRUE(k.Learn("Oa"));  // written again, which is harmless
  EXPECT_FALSE(k.Learn("Oc"));
}

TEST(IndexKeys, OrderAndRoundTrips) {
  EXPECT_LT(index::RunKey(1, 255), index::RunKey(1, 256));
  EXPECT_LT(index::RunKey(1, UINT64_MAX), index::RunKey(2, 0));
  EXPECT_LT(index::PositionKey(9), index::PositionKey(10));
  EXPECT_LT(index::OrgScopeKey("a", UINT64_MAX), index::OrgScopeKey("a.", 0));
  EXPECT_LT(index::TypeScopeKey("a/b", 5), index::TypeScopeKey("a/b", 6));
  index::Checkpoint c{5, 6, 7, {}, 8, 9};
  c.chain_head[3] = 3;
  auto c2 = index::DecodeCheckpoint(index::EncodeCheckpoint(c));
  ASSERT_TRUE(c2.has_value());
  EXPECT_EQ(c2->next_position, 5u);
  EXPECT_EQ(c2->chain_head, c.chain_head);
  EXPECT_EQ(c2->last_timestamp_ms, 9u);
  index::StreamMeta m{1, 2, 3, 4, 5, DeletedState::kHard};
  auto m2 = index::DecodeStreamMeta(index::EncodeStreamMeta(m));
  ASSERT_TRUE(m2.has_value());
  EXPECT_EQ(m2->deleted, DeletedState::kHard);
  EXPECT_EQ(m2->updated_ms, 5u);
  std::string list;
  index::AppendLocation(&list, {1, 2, 3});
  index::AppendLocation(&list, {4, 5, 6});
  auto locs = index::DecodeLocations(list);
  ASSERT_TRUE(locs.has_value());
  ASSERT_EQ(locs->size(), 2u);
  EXPECT_EQ((*locs)[1].offset, 5u);
  // Truncated or padded values are refused, never read past their end.
  EXPECT_FALSE(index::DecodeLocations(list.substr(0, list.size() - 1)).has_value());
  EXPECT_FALSE(index::DecodeCheckpoint("short").has_value());
  EXPECT_FALSE(index::DecodeStreamMeta(index::EncodeStreamMeta(m) + "x").has_value());
}

TEST(IndexKeys, RunsKeepTheirTimeAndOlderRunsStillDecode) {
  index::Run r{10, 3, {1, 2, 3}, 444};
  const std::string v = index::EncodeRun(r);
  ASSERT_EQ(v.size(), 32u);
  auto r2 = index::DecodeRun(v);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->first_position, 10u);
  EXPECT_EQ(r2->count, 3u);
  EXPECT_EQ(r2->entries.length, 3u);
  EXPECT_EQ(r2->updated_ms, 444u);
  auto old = index::DecodeRun(v.substr(0, 24));  // a run written before the time was kept
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->entries.offset, 2u);
  EXPECT_EQ(old->updated_ms, 0u);
  EXPECT_FALSE(index::DecodeRun(v.substr(0, 28)).has_value());
  EXPECT_FALSE(index::DecodeRun(v + "x").has_value());
}

class StreamLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto idx = ShardIndex::Open(dir_.Sub("index"), MakeIndexResources(8u << 20, 4u << 20, 1));
    ASSERT_TRUE(idx.ok()) << idx.status().ToString();
    index_ = std::move(*idx);
  }
  void PutMeta(std::string_view stream, const index::StreamMeta& m) {
    rocksdb::WriteBatch wb;
    (void)wb.Put(index::StreamKey(stream), index::EncodeStreamMeta(m));
    ASSERT_TRUE(index_->Write(&wb).ok());
  }
  void PutRun(uint64_t stream_id, uint64_t first_version, uint32_t count, uint64_t ms,
              std::string value = {}) {
    if (value.empty()) value = index::EncodeRun(index::Run{first_version, count, {1, 0, 8}, ms});
    rocksdb::WriteBatch wb;
    (void)wb.Put(index::RunKey(stream_id, first_version), value);
    ASSERT_TRUE(index_->Write(&wb).ok());
  }
  // The lookup through the index and through a view, which must agree.
  std::optional<StreamLookup> Lookup(std::string_view stream) {
    auto a = LookupStream(*index_, stream);
    auto view = index_->NewView();
    auto b = LookupStream(*view, stream);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    if (!a.ok() || !b.ok()) return std::nullopt;
    EXPECT_EQ(a->has_value(), b->has_value());
    if (a->has_value() && b->has_value()) {
      EXPECT_EQ((*a)->meta.version, (*b)->meta.version);
      EXPECT_EQ((*a)->meta.updated_ms, (*b)->meta.updated_ms);
      EXPECT_EQ((*a)->stored_version, (*b)->stored_version);
    }
    return *a;
  }

  testing::TempDir dir_;
  std::unique_ptr<ShardIndex> index_;
};

TEST_F(StreamLookupTest, FollowsTheRunsWrittenAfterTheMetadataEntry) {
  EXPECT_FALSE(Lookup("acme/a/none").has_value());
  // Stream 7: entry written at version 2; runs 1-2, 3, 4-6 (the later ones without it).
  PutMeta("acme/a/7", index::StreamMeta{7, 2, 1, 50, 100, DeletedState::kNone});
  PutRun(7, 1, 2, 100);
  auto cur = Lookup("acme/a/7");
  ASSERT_TRUE(cur.has_value());
  EXPECT_EQ(cur->meta.version, 2u);
  EXPECT_EQ(cur->meta.updated_ms, 100u);
  EXPECT_EQ(cur->stored_version, 2u);
  PutRun(7, 3, 1, 200);
  PutRun(7, 4, 3, 300);
  PutRun(8, 1, 9, 900);  // the next stream's runs are not this one's
  auto behind = Lookup("acme/a/7");
  ASSERT_TRUE(behind.has_value());
  EXPECT_EQ(behind->meta.version, 6u);
  EXPECT_EQ(behind->meta.updated_ms, 300u);
  EXPECT_EQ(behind->stored_version, 2u);
  EXPECT_EQ(behind->meta.created_ms, 50u);
  EXPECT_EQ(behind->meta.first_readable, 1u);
  // A view keeps what it saw: runs written after it are not followed.
  auto view = index_->NewView();
  PutRun(7, 7, 1, 400);
  auto seen = LookupStream(*view, "acme/a/7");
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->meta.version, 6u);
  EXPECT_EQ(Lookup("acme/a/7")->meta.version, 7u);
  // A deleted stream's entry holds its whole version: no lookup of runs past it.
  PutMeta("acme/a/9", index::StreamMeta{9, 3, 4, 50, 500, DeletedState::kSoft});
  PutRun(9, 4, 1, 600);  // cannot happen (a revival rewrites the entry); shows it is not read
  EXPECT_EQ(Lookup("acme/a/9")->meta.version, 3u);
}

TEST_F(StreamLookupTest, ABadLastRunIsCorruptionNotAWrongVersion) {
  PutMeta("acme/a/7", index::StreamMeta{7, 2, 1, 50, 100, DeletedState::kNone});
  PutRun(7, 3, 1, 200);
  PutRun(7, 4, 1, 200, "short");
  auto r = LookupStream(*index_, "acme/a/7");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("acme/a/7"), std::string::npos) << r.status().ToString();
}

TEST(HeadCache, EvictedHeadsAheadOfTheirEntryAreHandedOver) {
  HeadCache cache(4096);
  std::vector<std::pair<std::string, uint64_t>> handed;
  cache.set_on_evict([&](std::string_view stream, const StreamHead& head) {
    handed.emplace_back(std::string(stream), head.version);
  });
  StreamHead h;
  h.exists = true;
  h.version = 5;
  h.meta_version = 3;  // behind
  StreamHead* pinned = cache.Insert("acme/behind/pinned", h);
  HeadCache::Pin(pinned);
  cache.Insert("acme/behind/0", h);
  h.meta_version = 5;  // current
  cache.Insert("acme/current/0", h);
  StreamHead missing;  // a stream that does not exist has no entry to write
  cache.Insert("acme/missing/0", missing);
  EXPECT_TRUE(HeadCache::Behind(*cache.Peek("acme/behind/0")));
  EXPECT_FALSE(HeadCache::Behind(*cache.Peek("acme/current/0")));
  EXPECT_FALSE(HeadCache::Behind(*cache.Peek("acme/missing/0")));
  h.meta_version = h.version;
  for (int i = 0; i < 200; ++i) cache.Insert("acme/filler/" + std::to_string(i), h);
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0].first, "acme/behind/0");
  EXPECT_EQ(handed[0].second, 5u);
  EXPECT_NE(cache.Find("acme/behind/pinned"), nullptr);
}

TEST(HeadCache, EvictsLeastRecentlyUsedButNeverPinned) {
  HeadCache cache(4096);
  StreamHead h;
  h.exists = true;
  StreamHead* pinned = cache.Insert("acme/pinned/0", h);
  HeadCache::Pin(pinned);
  for (int i = 0; i < 1000; ++i) {
    h.version = static_cast<uint64_t>(i);
    cache.Insert("acme/s/" + std::to_string(i), h);
    ASSERT_LE(cache.bytes(), 4096u + 512u) << "over budget by more than one head";
  }
  EXPECT_LT(cache.size(), 40u);
  ASSERT_NE(cache.Find("acme/pinned/0"), nullptr);
  EXPECT_NE(cache.Find("acme/s/999"), nullptr);
  EXPECT_EQ(cache.Find("acme/s/0"), nullptr);
  EXPECT_TRUE(cache.Contains("acme/s/999"));
  cache.Unpin(pinned);
  for (int i = 1000; i < 2000; ++i) cache.Insert("acme/s/" + std::to_string(i), h);
  EXPECT_EQ(cache.Find("acme/pinned/0"), nullptr);
}

TEST(Manifest, WriteReadRoundTrip) {
  testing::TempDir dir;
  Manifest m;
  m.shards = 7;
  m.shard_key = ShardKey::kStream;
  m.created_ms = 123;
  ASSERT_TRUE(WriteManifest(PosixFileSystem(), dir.path(), m).ok());
  auto r = ReadManifest(PosixFileSystem(), dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->shards, 7u);
  EXPECT_EQ(r->shard_key, ShardKey::kStream);
  EXPECT_EQ(r->created_ms, 123u);
  EXPECT_EQ(ReadManifest(PosixFileSystem(), dir.Sub("none")).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(r->format_version, kDataDirFormat);
  m.format_version = 1;  // read, to be upgraded by the engine
  ASSERT_TRUE(WriteManifest(PosixFileSystem(), dir.path(), m).ok());
  r = ReadManifest(PosixFileSystem(), dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format_version, 1u);
  m.format_version = kDataDirFormat + 1;  // a newer binary's
  ASSERT_TRUE(WriteManifest(PosixFileSystem(), dir.path(), m).ok());
  r = ReadManifest(PosixFileSystem(), dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("unsupported data directory format 3"), std::string::npos)
      << r.status().ToString();
}

TEST(Format, SegmentHeaderAndNames) {
  format::SegmentHeader h;
  h.shard = 3;
  h.segment_id = 17;
  h.first_position = 1000;
  h.prev_hash[31] = 0xEE;
  char buf[format::kSegmentHeaderSize];
  format::EncodeSegmentHeader(h, buf);
  auto d = format::DecodeSegmentHeader(std::string_view(buf, sizeof(buf)));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->segment_id, 17u);
  EXPECT_EQ(d->prev_hash, h.prev_hash);
  buf[20] ^= 1;
  EXPECT_FALSE(format::DecodeSegmentHeader(std::string_view(buf, sizeof(buf))).ok());
  EXPECT_EQ(format::SegmentFileName(17), "00000000000000000017.log");
  uint64_t id = 0;
  EXPECT_TRUE(format::ParseSegmentFileName("00000000000000000017.log", &id));
  EXPECT_EQ(id, 17u);
  EXPECT_FALSE(format::ParseSegmentFileName("0000000000000000017.log", &id));
  EXPECT_FALSE(format::ParseSegmentFileName("00000000000000000017.log.tmp", &id));
}

// New segments are written in format 2; format 1 still decodes (its chain is version 1);
// any other version is refused.
TEST(Format, SegmentHeaderVersions) {
  format::SegmentHeader h;
  EXPECT_EQ(h.version, 2u);
  char buf[format::kSegmentHeaderSize];
  for (uint32_t v : {0u, 1u, 2u, 3u}) {
    h.version = v;
    format::EncodeSegmentHeader(h, buf);
    auto d = format::DecodeSegmentHeader(std::string_view(buf, sizeof(buf)));
    if (v == 1 || v == 2) {
      ASSERT_TRUE(d.ok()) << v;
      EXPECT_EQ(d->version, v);
      EXPECT_EQ(format::ChainVersionOf(*d), v == 1 ? kChainV1 : kChainV2);
    } else {
      EXPECT_FALSE(d.ok()) << v;
    }
  }
}

// A clause of 20 events: a bad payload hash or a bad chain hash in its middle is reported at
// that event, and the head has moved over exactly the events before it.
TEST(Chain, RecordChainCheckFindsABreakInsideAClause) {
  for (uint32_t version : {kChainV1, kChainV2}) {
    for (bool bad_payload : {false, true}) {
      SCOPED_TRACE("chain version " + std::to_string(version) +
                   (bad_payload ? ", bad payload hash" : ", bad chain hash"));
      constexpr uint64_t kBad = 13;  // the 13th event, position 112
      AlignedBuffer buf;
      EventsRecordBuilder b(&buf, 100, kTime, "", Fingerprint{}, false, 1);
      b.BeginClause("acme/a/1", 1, 1, 1, 111, 20, true);
      Hash256 chain{}, before_bad{};
      for (uint64_t i = 0; i < 20; ++i) {
        const Uuid id = IdOf(static_cast<uint8_t>(i));
        const std::string data = "event-" + std::to_string(i);
        Hash256 payload = PayloadHash(data, "");
        if (i == kBad && bad_payload) payload[0] ^= 1;  // the chain still follows it
        if (i == kBad) before_bad = chain;
        chain = ChainStep(version, chain,
                          ChainFields{100 + i, 1 + i, kTime, &id, "acme/a/1", "T",
                                      static_cast<uint32_t>(data.size()), 0},
                          payload);
        Hash256 stored = chain;
        if (i == kBad && !bad_payload) stored[31] ^= 1;
        b.AddEvent(100 + i, 1 + i, id, "T", data, "", payload, stored);
      }
      b.Finish();
      auto h = format::DecodeRecordHeader(std::string_view(buf.data(), buf.size()));
      ASSERT_TRUE(h.ok());
      const std::string rec(buf.data(), h->length);
      ASSERT_TRUE(CheckRecordCrc(rec).ok());  // the CRCs cover what was written
      auto v = DecodeEventsRecord(rec);
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      Hash256 head{};
      uint64_t bad = 0;
      EXPECT_FALSE(CheckRecordChain(version, *v, &head, &bad).ok());
      EXPECT_EQ(bad, 100 + kBad);
      EXPECT_EQ(head, before_bad);
    }
  }
}

// Lengths the writer never produces are refused by the decoder, before any hashing.
TEST(Record, OverlongTypeOrStreamIsCorruption) {
  for (bool long_stream : {false, true}) {
    AlignedBuffer buf;
    EventsRecordBuilder b(&buf, 1, kTime, "", Fingerprint{}, false, 1);
    const std::string stream = long_stream ? std::string(kMaxStreamNameBytes + 1, 's') : "a/b/c";
    const std::string type = long_stream ? "T" : std::string(kMaxEventTypeBytes + 1, 't');
    b.BeginClause(stream, 1, 1, 1, kTime, 1, true);
    b.AddEvent(1, 1, IdOf(1), type, "d", "", PayloadHash("d", ""), Hash256{});
    b.Finish();
    auto h = format::DecodeRecordHeader(std::string_view(buf.data(), buf.size()));
    ASSERT_TRUE(h.ok());
    auto v = DecodeEventsRecord(std::string_view(buf.data(), h->length));
    EXPECT_FALSE(v.ok()) << (long_stream ? "stream" : "type");
    EXPECT_EQ(v.status().code(), StatusCode::kCorruption);
  }
}

}  // namespace
}  // namespace cairn
