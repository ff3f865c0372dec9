// Schema records (log record type 4) in the engine: encoding, immutability and idempotence,
// durability across reopen, and replay by recovery when the index is lost.

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "cairn/engine.h"
#include "storage/format.h"
#include "storage/index_keys.h"
#include "storage/record.h"
#include "testing/temp_dir.h"

namespace cairn {
namespace {

TEST(SchemaRecord, RoundTripAndEveryFlippedByteIsCaught) {
  AlignedBuffer buf;
  std::string body = R"({"type":"object"})";
  SchemaView s{"acme", "OrderPlaced", SchemaVersion{2, 1, 0}, body};
  size_t off = AppendSchemaRecord(&buf, 77, 5, s);
  EXPECT_EQ(off, 0u);
  EXPECT_EQ(buf.size() % format::kRecordAlign, 0u);
  auto h = format::DecodeRecordHeader(std::string_view(buf.data(), buf.size()));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->type, format::RecordType::kSchema);
  EXPECT_EQ(h->first_position, 77u);
  EXPECT_EQ(h->event_count, 0u);
  EXPECT_EQ(h->length, SchemaRecordSize(s));
  std::string rec(buf.data(), h->length);
  ASSERT_TRUE(CheckRecordCrc(rec).ok());
  auto v = DecodeSchemaRecord(rec);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->org, "acme");
  EXPECT_EQ(v->type, "OrderPlaced");
  EXPECT_EQ(v->version, (SchemaVersion{2, 1, 0}));
  EXPECT_EQ(v->body, body);
  for (size_t i = 0; i < rec.size(); ++i) {
    std::string bad = rec;
    bad[i] ^= 0x20;
    bool rejected = !format::DecodeRecordHeader(bad).ok() || !CheckRecordCrc(bad).ok() ||
                    !DecodeSchemaRecord(bad).ok();
    ASSERT_TRUE(rejected) << "byte " << i;
  }
  // A truncated body is malformed even with a good CRC: decoders check lengths.
  EXPECT_FALSE(DecodeSchemaRecord(rec.substr(0, rec.size() - 1)).ok());
}

TEST(SchemaRecord, IndexKeysSortByVersionAndRoundTrip) {
  std::string a = index::SchemaKey("acme", "T", {1, 9, 0});
  std::string b = index::SchemaKey("acme", "T", {1, 10, 0});
  std::string c = index::SchemaKey("acme", "T", {2, 0, 0});
  std::string d = index::SchemaKey("acme", "U", {0, 0, 1});
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
  EXPECT_EQ(a[0], index::kSchemaTag);
  std::string org, type;
  SchemaVersion v;
  ASSERT_TRUE(index::ParseSchemaKey(b, &org, &type, &v));
  EXPECT_EQ(org, "acme");
  EXPECT_EQ(type, "T");
  EXPECT_EQ(v, (SchemaVersion{1, 10, 0}));
  EXPECT_FALSE(index::ParseSchemaKey("Jacme", &org, &type, &v));
}

class SchemaEngineTest : public ::testing::Test {
 protected:
  void SetUp() { Open(); }
  void Open() {
    engine_.reset();
    EngineOptions o;
    o.data_dir = dir_.Sub("data");
    o.shards = 2;
    o.memory_budget_bytes = 64ull << 20;
    o.segment_size_bytes = 1ull << 20;
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  Result<bool> Register(std::string org, std::string type, SchemaVersion v, std::string body) {
    return engine_->RegisterSchemaSync(
        SchemaDefinition{std::move(org), std::move(type), v, std::move(body)});
  }
  void Append(const std::string& stream) {
    AppendRequest r;
    r.clauses.push_back(
        AppendClause{stream, Expected::Any(), {{"T", "{}", "", std::nullopt, std::nullopt}}});
    ASSERT_TRUE(engine_->AppendSync(std::move(r)).ok());
  }
  std::vector<SchemaDefinition> Stored() {
    auto l = engine_->ListSchemas();
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? *l : std::vector<SchemaDefinition>{};
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(SchemaEngineTest, ImmutableIdempotentAndOutsideTheChain) {
  Append("acme/o/1");
  ASSERT_TRUE(Register("acme", "T", {1, 0, 0}, "{}").value());
  EXPECT_FALSE(Register("acme", "T", {1, 0, 0}, "{}").value());  // same bytes: nothing written
  auto other = Register("acme", "T", {1, 0, 0}, R"({"type":"object"})");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(Register("ac me", "T", {1, 0, 0}, "{}").status().code(), StatusCode::kInvalid);
  EXPECT_EQ(Register("acme", "T@1", {1, 0, 0}, "{}").status().code(), StatusCode::kInvalid);
  EXPECT_EQ(Register("acme", "T", {1, 0, 1}, "").status().code(), StatusCode::kInvalid);
  EXPECT_EQ(Register("acme", "T", {1, 0, 1}, std::string(kMaxSchemaBytes + 1, ' ')).status().code(),
            StatusCode::kTooLarge);
  // Schema records take no position: the next event gets the next position of its shard.
  auto before = engine_->Stats();
  ASSERT_TRUE(Register("acme", "T", {1, 1, 0}, "{}").value());
  auto after = engine_->Stats();
  for (size_t s = 0; s < before.shards.size(); ++s) {
    EXPECT_EQ(before.shards[s].next_position, after.shards[s].next_position);
  }
  VerifyRequest vr;
  vr.shard = 0;
  auto verified = engine_->Verify(vr);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok);
}

TEST_F(SchemaEngineTest, ConcurrentSameBytesWriteOnce) {
  std::vector<std::promise<Result<bool>>> done(8);
  for (auto& p : done) {
    engine_->RegisterSchema(SchemaDefinition{"acme", "T", {1, 0, 0}, "{}"},
                            [&p](Result<bool> r) { p.set_value(r); });
  }
  int written = 0;
  for (auto& p : done) {
    auto r = p.get_future().get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    written += *r ? 1 : 0;
  }
  EXPECT_EQ(written, 1);
  EXPECT_EQ(Stored().size(), 1u);
}

TEST_F(SchemaEngineTest, SurviveReopenAndIndexLoss) {
  ASSERT_TRUE(Register("acme", "T", {1, 0, 0}, R"({"a":1})").value());
  Append("acme/o/1");
  ASSERT_TRUE(Register("acme", "T", {1, 10, 0}, R"({"a":2})").value());
  ASSERT_TRUE(Register("beta", "U", {0, 0, 1}, R"({"b":1})").value());
  Append("beta/o/1");
  std::vector<SchemaDefinition> want = {{"acme", "T", {1, 0, 0}, R"({"a":1})"},
                                        {"acme", "T", {1, 10, 0}, R"({"a":2})"},
                                        {"beta", "U", {0, 0, 1}, R"({"b":1})"}};
  EXPECT_EQ(Stored(), want);
  Open();
  EXPECT_EQ(Stored(), want);
  // Lose shard 0's index, as if the process died before any of it was written: recovery
  // replays the log, schema records included.
  engine_.reset();
  std::filesystem::remove_all(dir_.Sub("data") + "/shard-000/index");
  Open();
  EXPECT_EQ(Stored(), want);
  EXPECT_FALSE(Register("acme", "T", {1, 10, 0}, R"({"a":2})").value());
  EXPECT_EQ(Register("acme", "T", {1, 10, 0}, R"({"a":3})").status().code(), StatusCode::kInvalid);
}

}  // namespace
}  // namespace cairn
