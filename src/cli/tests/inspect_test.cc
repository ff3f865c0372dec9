// `cairn inspect` over a data directory written by the engine: every record named with its
// type, positions and versions, the hash chain checked, and a damaged copy reported.

#include "cli/inspect.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/engine.h"
#include "storage/format.h"
#include "testing/temp_dir.h"

namespace cairn::cli {
namespace {

struct Output {
  int rc = 0;
  std::string out;
  std::string err;
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  // The lines that start with `prefix` (after any indentation).
  std::vector<std::string> Starting(const std::string& prefix) const {
    std::vector<std::string> r;
    for (const std::string& l : Lines()) {
      if (l.compare(l.find_first_not_of(' '), prefix.size(), prefix) == 0) r.push_back(l);
    }
    return r;
  }
};

Output Inspect(const InspectOptions& o) {
  Output r;
  char* out = nullptr;
  char* err = nullptr;
  size_t out_len = 0, err_len = 0;
  std::FILE* fo = open_memstream(&out, &out_len);
  std::FILE* fe = open_memstream(&err, &err_len);
  r.rc = RunInspect(o, fo, fe);
  std::fclose(fo);
  std::fclose(fe);
  r.out.assign(out, out_len);
  r.err.assign(err, err_len);
  std::free(out);
  std::free(err);
  return r;
}

ProposedEvent Event(const std::string& type, const std::string& data) {
  return ProposedEvent{type, data, "", std::nullopt, std::nullopt};
}

class InspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions o;
    o.data_dir = dir_.Sub("data");
    o.shards = 1;
    o.memory_budget_bytes = 64ull << 20;
    o.segment_size_bytes = 1ull << 20;
    auto e = Engine::Open(o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    // Positions 1-2: an append with an idempotency key.
    AppendRequest a;
    a.idempotency_key = "key-1";
    a.clauses.push_back({"acme/order/1",
                         Expected::Any(),
                         {Event("Placed", "{\"n\":1}"), Event("Paid", "\x01\x02")}});
    ASSERT_TRUE(engine_->AppendSync(std::move(a)).ok());
    // Positions 3-4: a transaction over two streams.
    AppendRequest t;
    t.transaction = true;
    t.idempotency_key = "key-2";
    t.clauses.push_back({"acme/order/2", Expected::Any(), {Event("Placed", "x")}});
    t.clauses.push_back({"acme/order/1", Expected::Any(), {Event("Shipped", "y")}});
    ASSERT_TRUE(engine_->AppendSync(std::move(t)).ok());
    ASSERT_TRUE(engine_->DeleteSync(DeleteRequest{"acme/order/2", Expected::Any(), false}).ok());
    ASSERT_TRUE(engine_->TrimSync(TrimRequest{"acme/order/1", 2}).ok());
    ASSERT_TRUE(engine_->CommitGroupSync(GroupCursor{"billing", "acme/order/1", 3}).ok());
  }

  // Options for the shard's only segment (segment = true) or for the list of segments.
  InspectOptions Options(bool segment = true) {
    InspectOptions o;
    o.data_dir = dir_.Sub("data");
    if (segment) {
      Output list = Inspect(o);
      EXPECT_EQ(list.Lines().size(), 1u) << list.out;
      const std::string prefix = "segment segment_id ";
      if (list.out.rfind(prefix, 0) == 0) o.segment = std::stoull(list.out.substr(prefix.size()));
    }
    return o;
  }

  testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(InspectTest, NamesEveryRecordWhileTheServerRuns) {
  Output r = Inspect(Options());  // the engine still holds the directory's LOCK
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  std::vector<std::string> records = r.Starting("record ");
  ASSERT_EQ(records.size(), 5u) << r.out;
  const char* types[] = {"type events", "type events", "type stream_state", "type stream_state",
                         "type group_cursor"};
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_NE(records[i].find(types[i]), std::string::npos) << records[i];
    EXPECT_NE(records[i].find("crc ok"), std::string::npos) << records[i];
  }
  EXPECT_NE(records[0].find("first_position 1 event_count 2"), std::string::npos);
  EXPECT_NE(records[1].find("first_position 3 event_count 2"), std::string::npos);
  EXPECT_NE(records[4].find("first_position 5"), std::string::npos);
  EXPECT_NE(records[0].find("org acme idempotency_key key-1 transaction no"), std::string::npos)
      << r.out;
  EXPECT_NE(records[1].find("org acme idempotency_key key-2 transaction yes"), std::string::npos)
      << r.out;
  std::vector<std::string> events = r.Starting("event ");
  ASSERT_EQ(events.size(), 4u) << r.out;
  const char* want[] = {"position 1 version 1", "position 2 version 2", "position 3 version 1",
                        "position 4 version 3"};
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_NE(events[i].find(want[i]), std::string::npos) << events[i];
    EXPECT_NE(events[i].find("chain ok"), std::string::npos) << events[i];
  }
  EXPECT_NE(events[3].find("type Shipped"), std::string::npos);
  EXPECT_EQ(r.Starting("clause stream acme/order/2 stream_id").size(), 1u) << r.out;
  EXPECT_NE(r.out.find("stream acme/order/2"), std::string::npos);
  EXPECT_NE(r.out.find("deleted soft"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stream acme/order/1 stream_id 1 version 3 first_readable 2 deleted false"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("group billing scope acme/order/1 cursor 3 deleted no"), std::string::npos)
      << r.out;
  ASSERT_EQ(r.Starting("end offset ").size(), 1u) << r.out;
  EXPECT_NE(r.out.find("chain_checked 4"), std::string::npos) << r.out;
  // Nothing in the directory changed hands: the engine still writes.
  AppendRequest more;
  more.clauses.push_back({"acme/order/3", Expected::Any(), {Event("Placed", "z")}});
  EXPECT_TRUE(engine_->AppendSync(std::move(more)).ok());
}

TEST_F(InspectTest, DataJsonFromPositionAndLimit) {
  InspectOptions o = Options();
  o.data = true;
  Output r = Inspect(o);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("      data {\"n\":1}\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("      data hex:0102\n"), std::string::npos) << r.out;

  o.json = true;
  r = Inspect(o);
  ASSERT_EQ(r.rc, 0) << r.err;
  std::vector<std::string> lines = r.Lines();
  ASSERT_EQ(lines.size(), 7u) << r.out;  // header, five records, end
  EXPECT_EQ(lines[0].rfind("{\"kind\":\"segment\",\"shard\":0,\"segment_id\":", 0), 0u);
  for (size_t i = 1; i < 6; ++i) EXPECT_EQ(lines[i].rfind("{\"kind\":\"record\",", 0), 0u);
  EXPECT_EQ(lines[6].rfind("{\"kind\":\"end\",", 0), 0u);
  EXPECT_NE(lines[1].find("\"data\":\"{\\\"n\\\":1}\""), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("\"data_hex\":\"0102\""), std::string::npos) << lines[1];
  EXPECT_NE(lines[3].find("\"deleted\":\"soft\""), std::string::npos) << lines[3];
  const size_t h = lines[1].find("\"chain_hash\":\"");
  ASSERT_NE(h, std::string::npos);
  EXPECT_EQ(lines[1].find('"', h + 14), h + 14 + 64);  // full hashes in JSON

  // From position 4 (inside the transaction's record): the chain continues from position 2's.
  o = Options(false);
  o.from_position = 4;
  o.limit = 2;
  r = Inspect(o);
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  std::vector<std::string> records = r.Starting("record ");
  ASSERT_EQ(records.size(), 2u) << r.out;
  EXPECT_NE(records[0].find("first_position 3 event_count 2"), std::string::npos) << r.out;
  EXPECT_EQ(r.Starting("event ").size(), 2u);
  EXPECT_EQ(r.out.find("MISMATCH"), std::string::npos) << r.out;
  EXPECT_EQ(r.Starting("limit records 2 next_offset").size(), 1u) << r.out;
}

TEST_F(InspectTest, ListsSegmentsAndRefusesWhatIsNotThere) {
  InspectOptions o = Options();
  const std::string name = format::SegmentFileName(*o.segment);
  Output r = Inspect(Options(false));
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(r.Lines().size(), 1u) << r.out;
  EXPECT_NE(r.out.find(" first_position 1 file_size 1048576 file "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/shard-000/log/" + name + "\n"), std::string::npos) << r.out;
  o.segment = *o.segment + 7;
  EXPECT_EQ(Inspect(o).rc, 2);
  o = Options();
  o.shard = 3;
  EXPECT_EQ(Inspect(o).rc, 2);
  o = Options();
  o.data_dir = dir_.Sub("none");
  EXPECT_EQ(Inspect(o).rc, 2);
}

TEST_F(InspectTest, FlippedByteIsABadCrcAtItsRecord) {
  engine_.reset();
  InspectOptions o = Options();
  o.json = true;
  Output clean = Inspect(o);
  ASSERT_EQ(clean.rc, 0);
  // The transaction's record (the second one).
  const std::string line = clean.Lines()[2];
  ASSERT_EQ(line.rfind("{\"kind\":\"record\",\"offset\":", 0), 0u) << line;
  const uint64_t offset = std::stoull(line.substr(line.find(':', 8) + 1));

  namespace fs = std::filesystem;
  fs::copy(dir_.Sub("data"), dir_.Sub("copy"), fs::copy_options::recursive);
  const std::string seg =
      dir_.Sub("copy") + "/shard-000/log/" + format::SegmentFileName(*o.segment);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(offset + 60);
    char c = 0;
    f.read(&c, 1);
    c ^= 0x20;
    f.seekp(offset + 60);
    f.write(&c, 1);
  }
  o = Options();
  o.data_dir = dir_.Sub("copy");
  Output r = Inspect(o);
  EXPECT_EQ(r.rc, 1) << r.out;
  std::vector<std::string> records = r.Starting("record ");
  ASSERT_EQ(records.size(), 2u) << r.out;
  EXPECT_NE(records[0].find("crc ok"), std::string::npos);
  EXPECT_NE(records[1].find("offset " + std::to_string(offset)), std::string::npos);
  EXPECT_NE(records[1].find("crc BAD"), std::string::npos) << r.out;
  std::vector<std::string> bad = r.Starting("bad ");
  ASSERT_EQ(bad.size(), 1u) << r.out;
  EXPECT_EQ(bad[0].rfind("bad offset " + std::to_string(offset) + " reason ", 0), 0u) << bad[0];
}

}  // namespace
}  // namespace cairn::cli
