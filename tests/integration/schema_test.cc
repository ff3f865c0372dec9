// Schemas (ESCHEMA, /v1/schemas) against a real `cairn serve`: registration over RESP and
// HTTP, every refusal (an invalid event, an incompatible version, a changed body, a required
// org's unknown type, a version with no schema), atomicity of a refused ETXN, durability
// across SIGKILL and restart, and reads that show the plain type.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http_client.h"
#include "resp_client.h"
#include "server_process.h"
#include "watch_test_util.h"

namespace cairn::testing {
namespace {

const std::string kOrderV1 =
    R"({"type":"object","required":["id"],"properties":{"id":{"type":"string"},)"
    R"("items":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer"}}}}}})";
const std::string kOrderV11 =
    R"({"type":"object","required":["id"],"properties":{"id":{"type":"string"},)"
    R"("note":{"type":"string"},)"
    R"("items":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer"}}}}}})";
const std::string kOrderV2 =
    R"({"type":"object","required":["ref"],"properties":{"ref":{"type":"integer"}}})";

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.Start()) << server.error() << server.LogTail();
    ASSERT_TRUE(OpenResp3(&c, server.resp_port()));
  }
  RespValue Register(const std::string& org, const std::string& type, const std::string& version,
                     const std::string& body) {
    return ReplyOf(&c, {"ESCHEMA", "REGISTER", org, type, version, body});
  }
  RespValue Append(const std::string& stream, const std::string& type, const std::string& data) {
    return ReplyOf(&c, {"EAPPEND", stream, "ANY", "EVENT", type, data});
  }
  ServerProcess server{
      {"--shards", "2", "--segment-size", "8MiB", "--schema-required-orgs", "strict"}};
  RespClient c;
};

TEST_F(SchemaTest, RegisterGetListOverResp) {
  RespValue r = Register("acme", "Order", "1.0.0", kOrderV1);
  ASSERT_TRUE(r.IsMap()) << r.Debug();
  EXPECT_EQ(r.Keys(), (std::vector<std::string>{"org", "type", "version", "registered"}));
  EXPECT_EQ(r.Find("version")->str, "1.0.0");
  EXPECT_TRUE(r.Find("registered")->boolean);
  // The same bytes again: idempotent, nothing written.
  r = Register("acme", "Order", "1.0.0", kOrderV1);
  EXPECT_FALSE(r.Find("registered")->boolean) << r.Debug();
  ASSERT_TRUE(Register("acme", "Order", "1.1.0", kOrderV11).IsMap());
  ASSERT_TRUE(Register("acme", "Order", "2.0.0", kOrderV2).IsMap());
  ASSERT_TRUE(Register("acme", "Other", "0.1.0", "{}").IsMap());
  // GET: latest, by MAJOR, by MAJOR.MINOR, exact; unknown is null.
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "GET", "acme", "Order"}).Find("version")->str, "2.0.0");
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "GET", "acme", "Order", "1"}).Find("version")->str, "1.1.0");
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "GET", "acme", "Order", "1.0"}).Find("version")->str, "1.0.0");
  RespValue g = ReplyOf(&c, {"ESCHEMA", "GET", "acme", "Order", "1.0.0"});
  EXPECT_EQ(g.Find("schema")->str, kOrderV1);
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "GET", "acme", "Order", "3"}).type, '_');
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "GET", "acme", "Nope"}).type, '_');
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "GET", "acme", "Order", "x"}).ErrorCode(), "INVALID");
  // LIST: sorted by type, then version.
  RespValue list = ReplyOf(&c, {"ESCHEMA", "LIST", "acme"});
  ASSERT_TRUE(list.IsArray()) << list.Debug();
  std::vector<std::string> rows;
  for (const RespValue& m : list.items)
    rows.push_back(m.Find("type")->str + " " + m.Find("version")->str);
  EXPECT_EQ(rows,
            (std::vector<std::string>{"Order 1.0.0", "Order 1.1.0", "Order 2.0.0", "Other 0.1.0"}));
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "LIST", "acme", "Other"}).items.size(), 1u);
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "LIST", "nobody"}).items.size(), 0u);
  // RESP2: the same shapes, flattened.
  RespClient c2(server.resp_port());
  RespValue flat = c2.Call({"ESCHEMA", "REGISTER", "acme", "Order", "1.0.0", kOrderV1});
  EXPECT_EQ(flat.Find("registered")->integer, 0) << flat.Debug();
  EXPECT_TRUE(c2.Call({"ESCHEMA", "GET", "acme", "Nope"}).null);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

TEST_F(SchemaTest, RegistrationRefusals) {
  ASSERT_TRUE(Register("acme", "Order", "1.0.0", kOrderV1).IsMap());
  // Immutable: other bytes for a registered version.
  RespValue r = Register("acme", "Order", "1.0.0", kOrderV11);
  EXPECT_EQ(r.ErrorCode(), "INVALID") << r.Debug();
  EXPECT_NE(r.str.find("immutable"), std::string::npos) << r.Debug();
  // Not JSON, not a schema, a bad version, a bad name.
  EXPECT_EQ(Register("acme", "Order", "1.2.0", "{").ErrorCode(), "INVALID");
  EXPECT_EQ(Register("acme", "Order", "1.2.0", R"({"type":12})").ErrorCode(), "INVALID");
  EXPECT_EQ(Register("acme", "Order", "1.2", kOrderV11).ErrorCode(), "INVALID");
  EXPECT_EQ(Register("acme", "Order@1", "1.2.0", kOrderV11).ErrorCode(), "INVALID");
  EXPECT_EQ(Register("acme", "Order", "1.2.0", std::string(70000, ' ') + "{}").ErrorCode(),
            "TOOLARGE");
  // Compatibility, each rule by name and place.
  struct Case {
    std::string body, rule;
  };
  const std::vector<Case> cases = {
      {R"({"type":"object","required":["id","items"],"properties":{"id":{"type":"string"},)"
       R"("items":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer"}}}}}})",
       "required-added at /properties/items"},
      {R"({"type":"object","required":["id"],"properties":{"id":{"type":"string"}}})",
       "property-removed at /properties/items"},
      {R"({"type":"object","required":["id"],"properties":{"id":{"type":"string"},)"
       R"("items":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"string"}}}}}})",
       "type-narrowed at /properties/items/items/properties/qty/type"},
      {R"({"type":"object","required":["id"],"additionalProperties":false,"properties":{"id":{"type":"string"},)"
       R"("items":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer"}}}}}})",
       "additional-properties-tightened at /additionalProperties"},
      {R"({"type":"object","required":["id"],"properties":{"id":{"type":"string","enum":["a"]},)"
       R"("items":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer"}}}}}})",
       "enum-value-removed at /properties/id/enum"},
  };
  for (const Case& k : cases) {
    r = Register("acme", "Order", "1.1.0", k.body);
    EXPECT_EQ(r.ErrorCode(), "SCHEMA") << r.Debug();
    EXPECT_NE(r.str.find(k.rule), std::string::npos) << r.Debug();
  }
  // A new MAJOR is free.
  EXPECT_TRUE(Register("acme", "Order", "2.0.0", kOrderV2).IsMap());
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "LIST", "acme"}).items.size(), 2u);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

TEST_F(SchemaTest, EventsAreValidated) {
  ASSERT_TRUE(Register("acme", "Order", "1.0.0", kOrderV1).IsMap());
  ASSERT_TRUE(Register("acme", "Order", "2.0.0", kOrderV2).IsMap());
  // Plain type: the latest (2.0.0); Type@1 the latest 1.x.y; exact versions too.
  EXPECT_NE(Append("acme/o/1", "Order", R"({"ref":1})").Find("last_version"), nullptr);
  EXPECT_NE(Append("acme/o/1", "Order@1", R"({"id":"a"})").Find("last_version"), nullptr);
  EXPECT_NE(
      Append("acme/o/1", "Order@1.0.0", R"({"id":"b","items":[{"qty":2}]})").Find("last_version"),
      nullptr);
  RespValue r = Append("acme/o/1", "Order@1", R"({"id":"a","items":[{"qty":"two"}]})");
  EXPECT_EQ(r.ErrorCode(), "SCHEMA") << r.Debug();
  EXPECT_NE(r.str.find("event 0 (Order 1.0.0): at /items/0/qty: "), std::string::npos) << r.Debug();
  EXPECT_NE(r.str.find("'type'"), std::string::npos) << r.Debug();
  r = Append("acme/o/1", "Order", R"({"id":"a"})");  // 2.0.0 wants "ref"
  EXPECT_EQ(r.ErrorCode(), "SCHEMA") << r.Debug();
  r = Append("acme/o/1", "Order", "not json");
  EXPECT_EQ(r.ErrorCode(), "SCHEMA") << r.Debug();
  EXPECT_NE(r.str.find("data is not JSON"), std::string::npos) << r.Debug();
  r = Append("acme/o/1", "Order@3", "{}");
  EXPECT_EQ(r.ErrorCode(), "SCHEMA") << r.Debug();
  EXPECT_NE(r.str.find("no schema acme/Order@3"), std::string::npos) << r.Debug();
  EXPECT_EQ(Append("acme/o/1", "Order@x", "{}").ErrorCode(), "INVALID");
  // Optional org: an unknown type is accepted, any data. Required org: refused.
  EXPECT_NE(Append("acme/o/1", "Free", "bytes").Find("last_version"), nullptr);
  r = Append("strict/o/1", "Free", "{}");
  EXPECT_EQ(r.ErrorCode(), "SCHEMA") << r.Debug();
  EXPECT_NE(r.str.find("org strict requires a schema"), std::string::npos) << r.Debug();
  ASSERT_TRUE(Register("strict", "Free", "1.0.0", "{}").IsMap());
  EXPECT_NE(Append("strict/o/1", "Free", "{}").Find("last_version"), nullptr);
  // Reads show the plain type, and type filters find versioned appends.
  RespValue read = ReplyOf(&c, {"EREAD", "acme/o/1", "TYPES", "Order"});
  ASSERT_NE(read.Find("events"), nullptr) << read.Debug();
  ASSERT_EQ(read.Find("events")->items.size(), 3u) << read.Debug();
  for (const RespValue& e : read.Find("events")->items) EXPECT_EQ(e.Find("type")->str, "Order");
  EXPECT_EQ(ReplyOf(&c, {"EINFO", "acme/o/1"}).Find("version")->integer, 4);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

TEST_F(SchemaTest, RefusedTransactionCommitsNothing) {
  ASSERT_TRUE(Register("acme", "Order", "1.0.0", kOrderV1).IsMap());
  RespValue r =
      ReplyOf(&c, {"ETXN", "STREAM", "acme/o/1", "ANY", "EVENT", "Order", R"({"id":"a"})", "STREAM",
                   "acme/o/2", "ANY", "EVENT", "Free", "x", "EVENT", "Order", R"({"id":5})"});
  EXPECT_EQ(r.ErrorCode(), "SCHEMA") << r.Debug();
  EXPECT_NE(r.str.find("event 2 (Order 1.0.0): at /id: "), std::string::npos) << r.Debug();
  EXPECT_EQ(ReplyOf(&c, {"EINFO", "acme/o/1"}).Find("version")->integer, 0);
  EXPECT_EQ(ReplyOf(&c, {"EINFO", "acme/o/2"}).Find("version")->integer, 0);
  // The same over HTTP: 422 with the error document, nothing committed.
  HttpConn http(server.http_port());
  HttpResponse h = http.Request(
      "POST", "/v1/transactions",
      R"({"streams":[{"stream":"acme/o/1","expected":"any","events":[{"type":"Order","data":{"id":"a"}}]},)"
      R"({"stream":"acme/o/2","expected":"any","events":[{"type":"Order@1","data":{"items":[]}}]}]})");
  EXPECT_EQ(h.status, 422) << h.body;
  EXPECT_NE(h.body.find(R"("error":"SCHEMA")"), std::string::npos) << h.body;
  EXPECT_NE(h.body.find("event 1 (Order 1.0.0)"), std::string::npos) << h.body;
  EXPECT_EQ(ReplyOf(&c, {"EINFO", "acme/o/1"}).Find("version")->integer, 0);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

TEST_F(SchemaTest, HttpEndpoints) {
  HttpConn http(server.http_port());
  HttpResponse h = http.Request("PUT", "/v1/schemas/acme/Order/1.0.0", kOrderV1);
  EXPECT_EQ(h.status, 201) << h.body;
  EXPECT_EQ(h.body, R"({"org":"acme","type":"Order","version":"1.0.0","registered":true})");
  h = http.Request("PUT", "/v1/schemas/acme/Order/1.0.0", kOrderV1);
  EXPECT_EQ(h.status, 200) << h.body;
  EXPECT_NE(h.body.find(R"("registered":false)"), std::string::npos) << h.body;
  h = http.Request("PUT", "/v1/schemas/acme/Order/1.0.0", kOrderV11);
  EXPECT_EQ(h.status, 400) << h.body;
  EXPECT_NE(h.body.find(R"("error":"INVALID")"), std::string::npos) << h.body;
  h = http.Request("PUT", "/v1/schemas/acme/Order/1.1.0",
                   R"({"type":"object","required":["id","x"],"properties":{"id":{"type":"string"},)"
                   R"("x":{},"items":{}}})");
  EXPECT_EQ(h.status, 422) << h.body;
  EXPECT_NE(h.body.find("required-added at /properties/x"), std::string::npos) << h.body;
  h = http.Request("GET", "/v1/schemas/acme/Order");
  EXPECT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(h.body, R"({"org":"acme","type":"Order","version":"1.0.0","schema":)" + kOrderV1 + "}");
  EXPECT_EQ(http.Request("GET", "/v1/schemas/acme/Order/1").status, 200);
  EXPECT_EQ(http.Request("GET", "/v1/schemas/acme/Order/2").status, 404);
  EXPECT_EQ(http.Request("GET", "/v1/schemas/acme/Order/x").status, 400);
  h = http.Request("GET", "/v1/schemas/acme");
  EXPECT_EQ(h.body, R"({"schemas":[{"type":"Order","version":"1.0.0"}]})");
  EXPECT_EQ(http.Request("DELETE", "/v1/schemas/acme/Order/1.0.0").status, 405);
  EXPECT_EQ(http.Request("PUT", "/v1/schemas/acme/Order", "{}").status, 405);
  // Appends over HTTP: 422 naming the pointer; accepted ones read back with the plain type.
  h = http.Request("POST", "/v1/streams/acme/o/1",
                   R"({"expected":"any","events":[{"type":"Order@1","data":{"id":[]}}]})");
  EXPECT_EQ(h.status, 422) << h.body;
  EXPECT_NE(h.body.find("at /id: "), std::string::npos) << h.body;
  h = http.Request("POST", "/v1/streams/acme/o/1",
                   R"({"expected":"any","events":[{"type":"Order@1.0.0","data":{"id":"z"}}]})");
  EXPECT_EQ(h.status, 201) << h.body;
  h = http.Request("GET", "/v1/streams/acme/o/1");
  EXPECT_NE(h.body.find(R"("type":"Order")"), std::string::npos) << h.body;
  EXPECT_EQ(h.body.find("Order@"), std::string::npos) << h.body;
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

TEST_F(SchemaTest, SchemasSurviveSigkillAndRestart) {
  ASSERT_TRUE(Register("acme", "Order", "1.0.0", kOrderV1).IsMap());
  ASSERT_TRUE(Register("acme", "Order", "1.1.0", kOrderV11).IsMap());
  server.Kill();
  ASSERT_TRUE(server.Restart()) << server.error() << server.LogTail();
  ASSERT_TRUE(OpenResp3(&c, server.resp_port()));
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "GET", "acme", "Order"}).Find("version")->str, "1.1.0");
  EXPECT_EQ(Append("acme/o/1", "Order", R"({"note":1,"id":"a"})").ErrorCode(), "SCHEMA");
  // Still immutable and still compatible-checked after recovery.
  EXPECT_EQ(Register("acme", "Order", "1.1.0", kOrderV1).ErrorCode(), "INVALID");
  EXPECT_EQ(Register("acme", "Order", "1.2.0", kOrderV1).ErrorCode(), "SCHEMA");
  ASSERT_TRUE(Register("acme", "Order", "2.0.0", kOrderV2).IsMap());
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
  ASSERT_TRUE(server.Restart()) << server.error() << server.LogTail();
  ASSERT_TRUE(OpenResp3(&c, server.resp_port()));
  EXPECT_EQ(ReplyOf(&c, {"ESCHEMA", "LIST", "acme", "Order"}).items.size(), 3u);
  EXPECT_NE(Append("acme/o/1", "Order", R"({"ref":7})").Find("last_version"), nullptr);
  EXPECT_EQ(server.Stop(), 0) << server.LogTail();
}

}  // namespace
}  // namespace cairn::testing
