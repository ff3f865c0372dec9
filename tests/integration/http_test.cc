// HTTP/1.1 + JSON integration tests against a real `cairn serve`: every endpoint in scope of
// the wire contract, its replies and error statuses. Framing (pipelining, chunked bodies,
// malformed requests) is in http_framing_test.cc.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "http_test_util.h"
#include "resp_test_util.h"
#include "server_process.h"

namespace cairn::testing {
namespace {

class HttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { StartSuiteServer(&server_, {"--shards", "4"}); }
  static void TearDownTestSuite() { StopSuiteServer(&server_); }
  void SetUp() override {
    ASSERT_TRUE(server_ != nullptr && server_->running());
    http_ = std::make_unique<HttpConn>(server_->http_port());
    ASSERT_TRUE(http_->connected());
    org_ = TestOrg(0);
  }
  HttpResponse Get(const std::string& target) { return http_->Request("GET", target); }
  HttpResponse Post(const std::string& target, const std::string& body,
                    const std::vector<std::string>& headers = {}) {
    return http_->Request("POST", target, body, headers);
  }
  std::string Path(const std::string& type, const std::string& id) {
    return "/v1/streams/" + org_ + "/" + type + "/" + id;
  }

  static ServerProcess* server_;
  std::unique_ptr<HttpConn> http_;
  std::string org_;
};

ServerProcess* HttpTest::server_ = nullptr;

constexpr char kTwoEvents[] =
    R"({"expected": "any", "events": [
        {"type": "Opened", "data": {"owner": "ann", "n": [1, 2]}, "metadata": {"by": "test"}},
        {"type": "Blob", "data_base64": "AAEC/w==", "metadata_base64": "bWV0YQ==",
         "id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}]})";

TEST_F(HttpTest, AppendAndReadBack) {
  int64_t before = NowMs();
  HttpResponse a = Post(Path("acct", "1"), kTwoEvents);
  ASSERT_EQ(a.status, 201) << a.body;
  EXPECT_EQ(a.Header("content-type"), "application/json");
  Json aj(a.body);
  EXPECT_EQ(JKeys(aj.root()), (std::vector<std::string>{"stream", "first_version", "last_version",
                                                        "shard", "first_position", "last_position",
                                                        "timestamp", "duplicate"}));
  EXPECT_EQ(JStr(aj.root(), "stream"), org_ + "/acct/1");
  EXPECT_EQ(JInt(aj.root(), "first_version"), 1);
  EXPECT_EQ(JInt(aj.root(), "last_version"), 2);
  EXPECT_EQ(JInt(aj.root(), "last_position") - JInt(aj.root(), "first_position"), 1);
  EXPECT_TRUE(IsRfc3339Ms(JStr(aj.root(), "timestamp"))) << a.body;
  EXPECT_FALSE(JBool(aj.root(), "duplicate"));

  HttpResponse r = Get(Path("acct", "1"));
  ASSERT_EQ(r.status, 200) << r.body;
  Json rj(r.body);
  EXPECT_EQ(JKeys(rj.root()), (std::vector<std::string>{"events", "next", "version"}));
  EXPECT_EQ(JInt(rj.root(), "version"), 2);
  EXPECT_TRUE(JNull(rj.root(), "next"));
  auto events = JArray(At(rj.root(), "events"));
  ASSERT_EQ(events.size(), 2u);
  // JSON data comes back as JSON values, other bytes as base64.
  EXPECT_EQ(Render(At(events[0], "data")), R"({"owner":"ann","n":[1,2]})");
  EXPECT_EQ(Render(At(events[0], "metadata")), R"({"by":"test"})");
  EXPECT_FALSE(Has(events[0], "data_base64"));
  EXPECT_EQ(JStr(events[1], "data_base64"), "AAEC/w==");
  EXPECT_FALSE(Has(events[1], "data"));
  EXPECT_EQ(JStr(events[1], "metadata_base64"), "bWV0YQ==");
  EXPECT_EQ(JStr(events[1], "id"), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
  for (element e : events) {
    EXPECT_EQ(JStr(e, "stream"), org_ + "/acct/1");
    EXPECT_EQ(JInt(e, "shard"), JInt(aj.root(), "shard"));
    EXPECT_EQ(JStr(e, "timestamp"), JStr(aj.root(), "timestamp"));
    EXPECT_TRUE(IsRfc3339Ms(JStr(e, "timestamp")));
  }
  EXPECT_EQ(JStr(events[0], "type"), "Opened");
  EXPECT_EQ(JInt(events[1], "position"), JInt(aj.root(), "last_position"));

  // The same events over RESP: the bytes are the JSON text, the timestamp the same instant.
  Session s(server_->resp_port(), 3);
  RespValue rr = s.Map({"EREAD", org_ + "/acct/1"});
  const auto& re = Items(rr, "events");
  ASSERT_EQ(re.size(), 2u);
  EXPECT_EQ(Str(re[0], "data"), R"({"owner":"ann","n":[1,2]})");
  EXPECT_EQ(Str(re[1], "data"), std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(Str(re[1], "metadata"), "meta");
  int64_t ms = Int(re[0], "timestamp");
  EXPECT_GE(ms, before - 1000);
  time_t secs = static_cast<time_t>(ms / 1000);
  char text[32];
  strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", gmtime(&secs));
  char full[48];
  snprintf(full, sizeof(full), "%s.%03dZ", text, static_cast<int>(ms % 1000));
  EXPECT_EQ(JStr(events[0], "timestamp"), full);
}

TEST_F(HttpTest, IdempotencyKeyHeader) {
  std::string body = R"({"events": [{"type": "A", "data": 1}]})";
  HttpResponse first = Post(Path("acct", "idem"), body, {"Idempotency-Key: k-42"});
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResponse again = Post(Path("acct", "idem"), body, {"Idempotency-Key: k-42"});
  ASSERT_EQ(again.status, 201) << again.body;
  Json f(first.body), a(again.body);
  EXPECT_FALSE(JBool(f.root(), "duplicate"));
  EXPECT_TRUE(JBool(a.root(), "duplicate"));
  for (const char* k : {"stream", "first_version", "last_version", "shard", "first_position",
                        "last_position", "timestamp"}) {
    EXPECT_EQ(Render(At(f.root(), k)), Render(At(a.root(), k))) << k;
  }
  ExpectError(Post(Path("acct", "idem"), R"({"events": [{"type": "A", "data": 2}]})",
                   {"Idempotency-Key: k-42"}),
              422, "IDEMPOTENCY");
  Json r(Get(Path("acct", "idem")).body);
  EXPECT_EQ(JInt(r.root(), "version"), 1);
}

TEST_F(HttpTest, ReadOptions) {
  std::string events;
  for (int v = 1; v <= 6; ++v) {
    events += std::string(v > 1 ? "," : "") + R"({"type": ")" + (v % 2 ? "A" : "B") +
              R"(", "data": )" + std::to_string(v) + "}";
  }
  ASSERT_EQ(Post(Path("acct", "r"), R"({"events": [)" + events + "]}").status, 201);
  Json page(Get(Path("acct", "r") + "?count=2").body);
  EXPECT_EQ(JVersions(page.root()), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(JInt(page.root(), "next"), 3);
  Json from(Get(Path("acct", "r") + "?from=3&count=2").body);
  EXPECT_EQ(JVersions(from.root()), (std::vector<int64_t>{3, 4}));
  Json types(Get(Path("acct", "r") + "?types=B").body);
  EXPECT_EQ(JVersions(types.root()), (std::vector<int64_t>{2, 4, 6}));
  Json back(Get(Path("acct", "r") + "?direction=backward&count=2").body);
  EXPECT_EQ(JVersions(back.root()), (std::vector<int64_t>{6, 5}));
  EXPECT_EQ(JInt(back.root(), "next"), 4);
  Json hash(Get(Path("acct", "r") + "?with_hash=true&count=1").body);
  auto ev = JArray(At(hash.root(), "events"));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::regex_match(JStr(ev[0], "hash"), std::regex("^[0-9a-f]{64}$")));
  Json nohash(Get(Path("acct", "r") + "?count=1").body);
  EXPECT_FALSE(Has(JArray(At(nohash.root(), "events")).at(0), "hash"));
  Json ghost(Get(Path("acct", "never")).body);
  EXPECT_EQ(JInt(ghost.root(), "version"), 0);
  EXPECT_TRUE(JArray(At(ghost.root(), "events")).empty());
  ExpectError(Get(Path("acct", "r") + "?count=10001"), 413, "TOOLARGE");
  ExpectError(Get(Path("acct", "r") + "?count=many"), 400, "INVALID");
  ExpectError(Get(Path("acct", "r") + "?direction=sideways"), 400, "INVALID");
}

TEST_F(HttpTest, InfoDeleteAndTrim) {
  ASSERT_EQ(Post(Path("acct", "d"), R"({"events": [{"type": "A", "data": 1},
                                        {"type": "A", "data": 2}, {"type": "A", "data": 3}]})")
                .status,
            201);
  HttpResponse i = Get(Path("acct", "d") + "/info");
  ASSERT_EQ(i.status, 200) << i.body;
  Json ij(i.body);
  EXPECT_EQ(JKeys(ij.root()), (std::vector<std::string>{"stream", "version", "first_version",
                                                        "shard", "created", "updated", "deleted"}));
  EXPECT_EQ(JInt(ij.root(), "version"), 3);
  EXPECT_TRUE(IsRfc3339Ms(JStr(ij.root(), "created")));
  EXPECT_TRUE(IsRfc3339Ms(JStr(ij.root(), "updated")));
  EXPECT_EQ(JStr(ij.root(), "deleted"), "false");
  // Trim.
  HttpResponse t = Post(Path("acct", "d") + "/trim", R"({"before": 2})");
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(JInt(Json(t.body).root(), "first_version"), 2);
  EXPECT_EQ(JVersions(Json(Get(Path("acct", "d")).body).root()), (std::vector<int64_t>{2, 3}));
  ExpectError(Post(Path("acct", "d") + "/trim", R"({"before": "x"})"), 400, "INVALID");
  // Soft delete with the wrong, then the right expected version.
  HttpResponse c = http_->Request("DELETE", Path("acct", "d") + "?expected=2");
  ExpectError(c, 409, "CONFLICT");
  HttpResponse d = http_->Request("DELETE", Path("acct", "d") + "?expected=3");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(JStr(Json(d.body).root(), "deleted"), "soft");
  EXPECT_TRUE(JArray(At(Json(Get(Path("acct", "d")).body).root(), "events")).empty());
  // Recreate, then delete hard: appends and reads are 410.
  ASSERT_EQ(
      Post(Path("acct", "d"), R"({"expected": 3, "events": [{"type": "A", "data": 4}]})").status,
      201);
  EXPECT_EQ(JVersions(Json(Get(Path("acct", "d")).body).root()), (std::vector<int64_t>{4}));
  HttpResponse h = http_->Request("DELETE", Path("acct", "d") + "?expected=4&hard=true");
  ASSERT_EQ(h.status, 200) << h.body;
  ExpectError(Get(Path("acct", "d")), 410, "DELETED");
  ExpectError(Post(Path("acct", "d"), R"({"events": [{"type": "A", "data": 5}]})"), 410, "DELETED");
  EXPECT_EQ(JStr(Json(Get(Path("acct", "d") + "/info").body).root(), "deleted"), "hard");
  ExpectError(http_->Request("DELETE", Path("acct", "x") + "?expected=soon"), 400, "INVALID");
}

TEST_F(HttpTest, Transactions) {
  std::string a = org_ + "/order/1", b = org_ + "/invoice/1";
  std::string body = R"({"streams": [
      {"stream": ")" +
                     a + R"(", "expected": "none", "events": [{"type": "Placed", "data": 1}]},
      {"stream": ")" +
                     b + R"(", "expected": "any", "events": [{"type": "Issued", "data": 2},
                                                          {"type": "Sent", "data": 3}]}]})";
  HttpResponse t = Post("/v1/transactions", body, {"Idempotency-Key: tx-http"});
  ASSERT_EQ(t.status, 201) << t.body;
  Json tj(t.body);
  EXPECT_EQ(JKeys(tj.root()), (std::vector<std::string>{"shard", "first_position", "last_position",
                                                        "timestamp", "duplicate", "streams"}));
  EXPECT_EQ(JInt(tj.root(), "last_position") - JInt(tj.root(), "first_position"), 2);
  auto streams = JArray(At(tj.root(), "streams"));
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(JStr(streams[1], "stream"), b);
  EXPECT_EQ(JInt(streams[1], "last_version"), 2);
  HttpResponse dup = Post("/v1/transactions", body, {"Idempotency-Key: tx-http"});
  EXPECT_TRUE(JBool(Json(dup.body).root(), "duplicate"));
  // A failing condition: 409 naming the stream, nothing commits.
  std::string failing = R"({"streams": [
      {"stream": ")" + a +
                        R"(", "expected": "any", "events": [{"type": "X", "data": 1}]},
      {"stream": ")" + b +
                        R"(", "expected": 7}]})";
  HttpResponse c = Post("/v1/transactions", failing);
  ExpectError(c, 409, "CONFLICT");
  Json cj(c.body);
  EXPECT_EQ(JStr(cj.root(), "stream"), b);
  EXPECT_EQ(JInt(cj.root(), "expected"), 7);  // a version is a number, as in the request
  EXPECT_EQ(JInt(cj.root(), "actual"), 2);
  EXPECT_EQ(JInt(Json(Get("/v1/streams/" + a).body).root(), "version"), 1);
  // Streams of different shards.
  Session s(server_->resp_port(), 3);
  std::map<int64_t, std::string> orgs;
  for (int i = 0; i < 64 && orgs.size() < 2; ++i) {
    std::string org = org_ + "-" + std::to_string(i);
    orgs.emplace(Int(s.Map({"EAPPEND", org + "/p/1", "ANY", "EVENT", "P", "x"}), "shard"), org);
  }
  ASSERT_EQ(orgs.size(), 2u);
  std::string cross = R"({"streams": [
      {"stream": ")" + orgs.begin()->second +
                      R"(/t/1", "events": [{"type": "X", "data": 1}]},
      {"stream": ")" + orgs.rbegin()->second +
                      R"(/t/1", "events": [{"type": "X", "data": 1}]}]})";
  ExpectError(Post("/v1/transactions", cross), 400, "CROSSSHARD");
}

TEST_F(HttpTest, ScanListingsAndVerify) {
  ASSERT_EQ(Post(Path("user", "b"), R"({"events": [{"type": "A", "data": 1}]})").status, 201);
  ASSERT_EQ(Post(Path("user", "a"), R"({"events": [{"type": "B", "data": 2}]})").status, 201);
  ASSERT_EQ(Post(Path("group", "g"), R"({"events": [{"type": "A", "data": 3}]})").status, 201);
  Json scan(Get("/v1/scan?scope=" + org_ + "&count=2").body);
  EXPECT_EQ(JKeys(scan.root()), (std::vector<std::string>{"events", "next", "shard"}));
  auto ev = JArray(At(scan.root(), "events"));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(Render(At(ev[0], "data")), "1");
  int64_t next = JInt(scan.root(), "next");
  Json rest(Get("/v1/scan?scope=" + org_ + "&from=" + std::to_string(next)).body);
  ev = JArray(At(rest.root(), "events"));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(Render(At(ev[0], "data")), "3");
  Json typed(Get("/v1/scan?scope=" + org_ + "&types=B").body);
  EXPECT_EQ(JArray(At(typed.root(), "events")).size(), 1u);
  Json by_type(Get("/v1/scan?scope=" + org_ + "/user").body);
  EXPECT_EQ(JArray(At(by_type.root(), "events")).size(), 2u);
  std::string shard = std::to_string(JInt(scan.root(), "shard"));
  Json whole(Get("/v1/scan?scope=%23" + shard + "&count=10000").body);
  EXPECT_GE(JArray(At(whole.root(), "events")).size(), 3u);
  ExpectError(Get("/v1/scan"), 400, "INVALID");

  HttpResponse orgs = Get("/v1/orgs");
  ASSERT_EQ(orgs.status, 200);
  std::vector<std::string> names;
  Json orgs_json(orgs.body);
  for (element e : JArray(orgs_json.root())) names.emplace_back(std::string_view(e));
  EXPECT_NE(std::find(names.begin(), names.end(), org_), names.end()) << orgs.body;
  Json types(Get("/v1/orgs/" + org_ + "/types").body);
  EXPECT_EQ(Render(types.root()), R"(["group","user"])");
  Json streams(Get("/v1/orgs/" + org_ + "/streams?type=user&count=1").body);
  EXPECT_EQ(Render(At(streams.root(), "streams")), "[\"" + org_ + "/user/a\"]");
  std::string after = JStr(streams.root(), "next");
  EXPECT_EQ(after, org_ + "/user/a");
  Json page2(Get("/v1/orgs/" + org_ + "/streams?type=user&after=" + after).body);
  EXPECT_EQ(Render(At(page2.root(), "streams")), "[\"" + org_ + "/user/b\"]");
  EXPECT_TRUE(JNull(page2.root(), "next"));
  Json all(Get("/v1/orgs/" + org_ + "/streams").body);
  EXPECT_EQ(JArray(At(all.root(), "streams")).size(), 3u);

  HttpResponse v = Get("/v1/verify?shard=0");
  ASSERT_EQ(v.status, 200) << v.body;
  Json vj(v.body);
  EXPECT_TRUE(JBool(vj.root(), "ok"));
  EXPECT_TRUE(JNull(vj.root(), "first_bad_position"));
  EXPECT_EQ(JStr(vj.root(), "head_hash").size(), 64u);
  EXPECT_GE(JInt(vj.root(), "checked"), 0);
  ExpectError(Get("/v1/verify"), 400, "INVALID");
}

TEST_F(HttpTest, OperationsEndpoints) {
  ASSERT_EQ(Post(Path("m", "1"), R"({"events": [{"type": "A", "data": 1}]})").status, 201);
  HttpResponse m = Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.Header("content-type").rfind("text/plain", 0), 0u) << m.Header("content-type");
  for (const char* name :
       {"cairn_requests_total", "cairn_request_duration_seconds_bucket",
        "cairn_appended_events_total", "cairn_fsync_duration_seconds_bucket",
        "cairn_group_commit_events_bucket", "cairn_connections", "cairn_resident_memory_bytes"}) {
    EXPECT_TRUE(std::regex_search(m.body, std::regex(std::string("\n") + name + "[ {]")))
        << name << " missing from /metrics";
  }
  EXPECT_NE(m.body.find("# TYPE cairn_requests_total counter"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE cairn_fsync_duration_seconds histogram"), std::string::npos);
  EXPECT_TRUE(std::regex_search(m.body, std::regex(R"(\ncairn_appended_events_total [1-9])")));
  // Every sample line is "name{labels} value".
  std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eE]+(Inf)?$)");
  size_t start = 0;
  while (start < m.body.size()) {
    size_t nl = m.body.find('\n', start);
    std::string line = m.body.substr(start, nl - start);
    start = nl == std::string::npos ? m.body.size() : nl + 1;
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
  }
  HttpResponse health = Get("/health");
  EXPECT_EQ(health.status, 200);
  HttpResponse ready = Get("/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_TRUE(JBool(Json(ready.body).root(), "ready"));
}

TEST_F(HttpTest, ErrorStatuses) {
  ExpectError(Get("/v1/nothing"), 404, "ERR");
  ExpectError(Get("/nothing"), 404, "ERR");
  ExpectError(Get("/v1/streams/bad*org/t/1"), 400, "INVALID");
  ExpectError(Post(Path("e", "1"), "not json"), 400, "INVALID");
  ExpectError(Post(Path("e", "1"), R"({"events": []})"), 400, "INVALID");
  ExpectError(Post(Path("e", "1"), R"({"expected": "maybe", "events": [{"type": "A"}]})"), 400,
              "INVALID");
  ExpectError(Post(Path("e", "1"), R"({"events": [{"type": "bad type", "data": 1}]})"), 400,
              "INVALID");
  ExpectError(Post(Path("e", "1"), R"({"events": [{"type": "A", "data_base64": "!!"}]})"), 400,
              "INVALID");
  ExpectError(Post(Path("e", "1"), R"({"events": [{"type": "A", "id": "nope"}]})"), 400, "INVALID");
  // 409 with the conflict's fields.
  ASSERT_EQ(Post(Path("e", "c"), R"({"events": [{"type": "A", "data": 1}]})").status, 201);
  HttpResponse c = Post(Path("e", "c"), R"({"expected": 5, "events": [{"type": "A"}]})");
  ExpectError(c, 409, "CONFLICT");
  Json cj(c.body);
  EXPECT_EQ(JStr(cj.root(), "stream"), org_ + "/e/c");
  EXPECT_EQ(JInt(cj.root(), "expected"), 5);
  EXPECT_EQ(JInt(cj.root(), "actual"), 1);
  HttpResponse none = Post(Path("e", "c"), R"({"expected": "none", "events": [{"type": "A"}]})");
  ExpectError(none, 409, "CONFLICT");
  EXPECT_EQ(JStr(Json(none.body).root(), "expected"), "none");  // keywords stay strings
  // An event over 1 MiB.
  std::string big = R"({"events": [{"type": "A", "data_base64": ")" +
                    std::string(((1 << 20) + 3) / 3 * 4, 'A') + R"("}]})";
  ExpectError(Post(Path("e", "big"), big), 413, "TOOLARGE");
  // Method not allowed on a known path.
  EXPECT_EQ(http_->Request("PUT", Path("e", "c"), "{}").status, 405);
  // The connection survived every error.
  EXPECT_EQ(Get("/health").status, 200);
}

TEST_F(HttpTest, PercentEncodedSlashInId) {
  HttpResponse a = Post("/v1/streams/" + org_ + "/doc/a%2Fb%20c", R"({"events": [{"type": "A",
                                                                    "data": 1}]})");
  ASSERT_EQ(a.status, 201) << a.body;
  EXPECT_EQ(JStr(Json(a.body).root(), "stream"), org_ + "/doc/a/b c");
  Json r(Get("/v1/streams/" + org_ + "/doc/a%2Fb%20c").body);
  EXPECT_EQ(JVersions(r.root()), (std::vector<int64_t>{1}));
  Json i(Get("/v1/streams/" + org_ + "/doc/a%2fb%20c/info").body);
  EXPECT_EQ(JStr(i.root(), "stream"), org_ + "/doc/a/b c");
  Session s(server_->resp_port(), 2);
  EXPECT_EQ(Int(s.Map({"EREAD", org_ + "/doc/a/b c"}), "version"), 1);
  ExpectError(Get("/v1/streams/" + org_ + "/doc/%zz"), 400, "ERR");
}

// A body over --max-request-bytes is 413 (and the connection closes: the body is unread).
TEST(HttpLimitsTest, BodyOverMaxRequestBytes) {
  ServerProcess server({"--shards", "1", "--max-request-bytes", "64KiB"});
  ASSERT_TRUE(server.Start()) << server.error();
  HttpConn http(server.http_port());
  std::string body =
      R"({"events": [{"type": "A", "data_base64": ")" + std::string(100 << 10, 'A') + R"("}]})";
  HttpResponse r = http.Request("POST", "/v1/streams/o/t/1", body);
  ExpectError(r, 413, "TOOLARGE");
  HttpConn again(server.http_port());
  EXPECT_EQ(again.Request("GET", "/health").status, 200);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

}  // namespace
}  // namespace cairn::testing
