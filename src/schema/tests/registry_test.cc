#include "schema/registry.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::schema {
namespace {

const char* kV1 =
    R"({"type":"object","required":["id"],"properties":{"id":{"type":"string"},)"
    R"("items":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer"}}}}}})";
const char* kV11 =
    R"({"type":"object","required":["id"],"properties":{"id":{"type":"string"},)"
    R"("note":{"type":"string"},)"
    R"("items":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer"}}}}}})";
const char* kV2 =
    R"({"type":"object","required":["order"],"properties":{"order":{"type":"string"}}})";

SchemaDefinition Def(std::string org, std::string type, SchemaVersion v, std::string body) {
  return SchemaDefinition{std::move(org), std::move(type), v, std::move(body)};
}

// Registers as the server does, with the engine's answer always ok.
Status Register(Registry& r, SchemaDefinition d) {
  auto p = r.Prepare(std::move(d));
  if (!p.ok()) return p.status();
  if (!p->already_registered) r.Finish(*p, Status::Ok());
  return Status::Ok();
}

AppendRequest Append(std::string stream, std::vector<std::pair<std::string, std::string>> events) {
  AppendRequest req;
  AppendClause c;
  c.stream = std::move(stream);
  for (auto& [type, data] : events) c.events.push_back(ProposedEvent{type, data, "", {}, {}});
  req.clauses.push_back(std::move(c));
  return req;
}

TEST(RegistryTest, RegistersAndResolvesVersions) {
  Registry r({}, {});
  EXPECT_TRUE(r.Idle());
  ASSERT_TRUE(Register(r, Def("acme", "Order", {1, 0, 0}, kV1)).ok());
  ASSERT_TRUE(Register(r, Def("acme", "Order", {1, 1, 0}, kV11)).ok());
  ASSERT_TRUE(Register(r, Def("acme", "Order", {2, 0, 0}, kV2)).ok());
  EXPECT_FALSE(r.Idle());
  auto s = r.snapshot();
  EXPECT_EQ(s->size(), 3u);
  EXPECT_EQ(s->Resolve("acme", "Order", nullptr)->def.version, (SchemaVersion{2, 0, 0}));
  VersionSelector one{1, {}, {}};
  EXPECT_EQ(s->Resolve("acme", "Order", &one)->def.version, (SchemaVersion{1, 1, 0}));
  VersionSelector exact{1, 0, 0};
  EXPECT_EQ(s->Resolve("acme", "Order", &exact)->def.body, kV1);
  VersionSelector three{3, {}, {}};
  EXPECT_EQ(s->Resolve("acme", "Order", &three), nullptr);
  EXPECT_EQ(s->Resolve("other", "Order", nullptr), nullptr);
}

TEST(RegistryTest, SnapshotsAreImmutable) {
  Registry r({}, {});
  ASSERT_TRUE(Register(r, Def("acme", "Order", {1, 0, 0}, kV1)).ok());
  auto before = r.snapshot();
  ASSERT_TRUE(Register(r, Def("acme", "Order", {1, 1, 0}, kV11)).ok());
  EXPECT_EQ(before->size(), 1u);
  EXPECT_EQ(r.snapshot()->size(), 2u);
  EXPECT_EQ(before->Resolve("acme", "Order", nullptr)->def.version, (SchemaVersion{1, 0, 0}));
}

TEST(RegistryTest, ImmutableAndIdempotent) {
  Registry r({}, {});
  ASSERT_TRUE(Register(r, Def("acme", "Order", {1, 0, 0}, kV1)).ok());
  auto again = r.Prepare(Def("acme", "Order", {1, 0, 0}, kV1));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_registered);
  auto other = r.Prepare(Def("acme", "Order", {1, 0, 0}, kV11));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kInvalid);
  EXPECT_NE(other.status().message().find("immutable"), std::string::npos);
}

TEST(RegistryTest, RefusesBadSchemas) {
  Registry r({}, {});
  auto not_json = r.Prepare(Def("acme", "Order", {1, 0, 0}, "{nope"));
  EXPECT_EQ(not_json.status().code(), StatusCode::kInvalid);
  EXPECT_NE(not_json.status().message().find("not JSON"), std::string::npos);
  EXPECT_EQ(r.Prepare(Def("acme", "Order", {1, 0, 0}, "[]")).status().code(), StatusCode::kInvalid);
  auto bad = r.Prepare(Def("acme", "Order", {1, 0, 0}, R"({"type":7})"));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalid);
  auto remote = r.Prepare(Def("acme", "Order", {1, 0, 0}, R"({"$ref":"http://x/y.json"})"));
  EXPECT_EQ(remote.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(r.Prepare(Def("acme", "Order@1", {1, 0, 0}, "{}")).status().code(),
            StatusCode::kInvalid);
  EXPECT_EQ(r.Prepare(Def("ac/me", "Order", {1, 0, 0}, "{}")).status().code(),
            StatusCode::kInvalid);
  // References: local only, and no chain that leads back to itself (valijson would recurse
  // without end); $id is refused; a name twice in one object is refused.
  for (const char* bad :
       {R"({"$ref":"#"})", R"({"$ref":"object"})", R"({"$ref":"x.json#/a"})",
        R"({"$ref":"#/definitions/a","definitions":{"a":{"$ref":"#/definitions/b"},)"
        R"("b":{"$ref":"#/definitions/a"}}})",
        R"({"$ref":"#/definitions/none"})", R"({"$id":"http://x/s.json"})", R"({"$ref":"#/$ref"})",
        R"({"$ref":"#/definitions/a","definitions":{"a":7}})",
        R"({"properties":{"a":{},"a":{"type":"string"}}})", R"({"anyOf":[{"$ref":"#"}]})",
        R"({"definitions":{"a":{"allOf":[{"$ref":"#/definitions/a"}]}},"$ref":"#/definitions/a"})",
        R"({"definitions":{"a":{"not":{"$ref":"#/definitions/a"}}},)"
        R"("properties":{"x":{"$ref":"#/definitions/a"}}})"}) {
    auto st = r.Prepare(Def("acme", "Order", {1, 0, 0}, bad));
    EXPECT_EQ(st.status().code(), StatusCode::kInvalid) << bad;
  }
  // Recursive definitions through properties are fine, and validate.
  ASSERT_TRUE(Register(r, Def("acme", "Tree", {1, 0, 0},
                              R"({"definitions":{"n":{"type":"object","properties":)"
                              R"({"c":{"$ref":"#/definitions/n"},"id":{"type":"integer"}}}},)"
                              R"("$ref":"#/definitions/n"})"))
                  .ok());
  auto tree = Append("acme/o/1", {{"Tree", R"({"id":1,"c":{"id":2,"c":{"id":"x"}}})"}});
  Status tst = r.ValidateAppend(&tree);
  EXPECT_EQ(tst.code(), StatusCode::kSchema);
  EXPECT_NE(tst.message().find("at /c/c/id:"), std::string::npos) << tst.message();
  RegistryLimits small;
  small.max_schema_bytes = 8;
  Registry tiny(small, {});
  EXPECT_EQ(tiny.Prepare(Def("acme", "Order", {1, 0, 0}, kV1)).status().code(),
            StatusCode::kTooLarge);
}

TEST(RegistryTest, LimitsCountVersionsAndSchemas) {
  RegistryLimits l;
  l.max_versions_per_type = 2;
  l.max_schemas = 3;
  Registry r(l, {});
  ASSERT_TRUE(Register(r, Def("acme", "A", {1, 0, 0}, "{}")).ok());
  ASSERT_TRUE(Register(r, Def("acme", "A", {2, 0, 0}, "{}")).ok());
  EXPECT_EQ(Register(r, Def("acme", "A", {3, 0, 0}, "{}")).code(), StatusCode::kTooLarge);
  ASSERT_TRUE(Register(r, Def("acme", "B", {1, 0, 0}, "{}")).ok());
  EXPECT_EQ(Register(r, Def("acme", "C", {1, 0, 0}, "{}")).code(), StatusCode::kTooLarge);
}

TEST(RegistryTest, CompatibilityAgainstTheSameMajorOnly) {
  Registry r({}, {});
  ASSERT_TRUE(Register(r, Def("acme", "Order", {1, 0, 0}, kV1)).ok());
  // A new required property in 1.1.0: refused, naming the rule and the place.
  Status st = Register(r, Def("acme", "Order", {1, 1, 0},
                              R"({"type":"object","required":["id","qty"],"properties":{)"
                              R"("id":{"type":"string"},"qty":{"type":"integer"},)"
                              R"("items":{"type":"array","items":{"type":"object",)"
                              R"("properties":{"qty":{"type":"integer"}}}}}})"));
  ASSERT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_EQ(st.message(),
            "schema acme/Order 1.1.0 is not backward compatible with 1.0.0: required-added at "
            "/properties/qty (property 'qty' is required now)");
  // A PATCH narrowing a nested type.
  st = Register(r, Def("acme", "Order", {1, 0, 1},
                       R"({"type":"object","required":["id"],"properties":{"id":{"type":"string"},)"
                       R"("items":{"type":"array","items":{"type":"object","properties":)"
                       R"({"qty":{"type":"string"}}}}}})"));
  ASSERT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_NE(st.message().find("type-narrowed at /properties/items/items/properties/qty/type"),
            std::string::npos)
      << st.message();
  // MAJOR versions are free.
  EXPECT_TRUE(Register(r, Def("acme", "Order", {2, 0, 0}, kV2)).ok());
  // A version registered below an existing one must also be compatible with the next.
  ASSERT_TRUE(Register(r, Def("acme", "Order", {1, 2, 0}, kV11)).ok());
  st = Register(r, Def("acme", "Order", {1, 1, 0},
                       R"({"type":"object","required":["id"],"properties":{"id":{"type":"string"},)"
                       R"("note":{"type":"string"},"extra":{},)"
                       R"("items":{"type":"array","items":{"type":"object","properties":)"
                       R"({"qty":{"type":"integer"}}}}}})"));
  ASSERT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_NE(st.message().find("with 1.1.0: property-removed at /properties/extra"),
            std::string::npos)
      << st.message();
}

TEST(RegistryTest, OneRegistrationPerTypeInFlight) {
  Registry r({}, {});
  auto p = r.Prepare(Def("acme", "Order", {1, 0, 0}, kV1));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(r.Prepare(Def("acme", "Order", {2, 0, 0}, kV2)).status().code(), StatusCode::kBusy);
  EXPECT_TRUE(r.Prepare(Def("acme", "Other", {1, 0, 0}, kV2)).ok());
  r.Finish(*p, Status::Unavailable("disk"));  // the engine failed: nothing published
  EXPECT_EQ(r.snapshot()->Resolve("acme", "Order", nullptr), nullptr);
  EXPECT_TRUE(r.Prepare(Def("acme", "Order", {2, 0, 0}, kV2)).ok());
}

TEST(RegistryTest, LoadRebuildsFromStoredSchemas) {
  Registry r({}, {});
  ASSERT_TRUE(
      r.Load({Def("acme", "Order", {2, 0, 0}, kV2), Def("acme", "Order", {1, 0, 0}, kV1)}).ok());
  EXPECT_EQ(r.snapshot()->Resolve("acme", "Order", nullptr)->def.version, (SchemaVersion{2, 0, 0}));
  Registry bad({}, {});
  EXPECT_EQ(bad.Load({Def("acme", "Order", {1, 0, 0}, "{")}).code(), StatusCode::kCorruption);
}

TEST(RegistryTest, ValidatesEventsAndStripsVersions) {
  Registry r({}, {});
  ASSERT_TRUE(Register(r, Def("acme", "Order", {1, 0, 0}, kV1)).ok());
  ASSERT_TRUE(Register(r, Def("acme", "Order", {2, 0, 0}, kV2)).ok());
  // Plain type: the latest version (2.0.0).
  auto req = Append("acme/o/1", {{"Order", R"({"order":"x"})"},
                                 {"Order@1", R"({"id":"a"})"},
                                 {"Order@1.0.0", R"({"id":"b"})"},
                                 {"Untyped", "not json"}});
  ASSERT_TRUE(r.ValidateAppend(&req).ok());
  EXPECT_EQ(req.clauses[0].events[0].type, "Order");
  EXPECT_EQ(req.clauses[0].events[1].type, "Order");
  EXPECT_EQ(req.clauses[0].events[2].type, "Order");
  EXPECT_EQ(req.clauses[0].events[3].type, "Untyped");
  // Other orgs are not concerned.
  auto other = Append("beta/o/1", {{"Order", "[]"}});
  EXPECT_TRUE(r.ValidateAppend(&other).ok());
}

TEST(RegistryTest, RejectionsNameEventPointerAndRule) {
  Registry r({}, {"strict"});
  ASSERT_TRUE(Register(r, Def("acme", "Order", {1, 0, 0}, kV1)).ok());
  auto wrong_type = Append(
      "acme/o/1", {{"Order", R"({"id":"a"})"}, {"Order@1", R"({"id":"a","items":[{"qty":"x"}]})"}});
  Status st = r.ValidateAppend(&wrong_type);
  ASSERT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_EQ(st.message(),
            "event 1 (Order 1.0.0): at /items/0/qty: Value type not permitted by 'type' "
            "constraint.");
  auto missing = Append("acme/o/1", {{"Order", R"({"items":[]})"}});
  st = r.ValidateAppend(&missing);
  ASSERT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_EQ(st.message().rfind("event 0 (Order 1.0.0): at \"\" (the root): ", 0), 0u)
      << st.message();
  EXPECT_NE(st.message().find("id"), std::string::npos) << st.message();
  auto not_json = Append("acme/o/1", {{"Order", "{"}});
  st = r.ValidateAppend(&not_json);
  EXPECT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_EQ(st.message(), "event 0 (Order 1.0.0): data is not JSON");
  auto no_version = Append("acme/o/1", {{"Order@3", "{}"}});
  st = r.ValidateAppend(&no_version);
  EXPECT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_EQ(st.message(), "event 0 (Order@3): no schema acme/Order@3 registered");
  auto no_schema_versioned = Append("beta/o/1", {{"Thing@1", "{}"}});
  EXPECT_EQ(r.ValidateAppend(&no_schema_versioned).code(), StatusCode::kSchema);
  auto bad_version = Append("acme/o/1", {{"Order@x", "{}"}});
  EXPECT_EQ(r.ValidateAppend(&bad_version).code(), StatusCode::kInvalid);
  auto required = Append("strict/o/1", {{"Unknown", "{}"}});
  st = r.ValidateAppend(&required);
  EXPECT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_EQ(st.message(),
            "event 0 (Unknown): org strict requires a schema for every event type and Unknown "
            "has none");
}

TEST(RegistryTest, BoundsDepthAndRegexCheckedStrings) {
  RegistryLimits l;
  l.max_data_depth = 4;
  l.max_regex_checked_bytes = 8;
  Registry r(l, {});
  ASSERT_TRUE(Register(r, Def("acme", "P", {1, 0, 0},
                              R"({"properties":{"s":{"type":"string","pattern":"^a+$"}}})"))
                  .ok());
  ASSERT_TRUE(Register(r, Def("acme", "Q", {1, 0, 0}, "{}")).ok());
  auto ok = Append("acme/o/1", {{"P", R"({"s":"aaaa"})"}});
  EXPECT_TRUE(r.ValidateAppend(&ok).ok());
  auto bad = Append("acme/o/1", {{"P", R"({"s":"aab"})"}});
  Status st = r.ValidateAppend(&bad);
  EXPECT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_NE(st.message().find("at /s:"), std::string::npos) << st.message();
  auto long_string = Append("acme/o/1", {{"P", R"({"s":"aaaaaaaaaaaa"})"}});
  st = r.ValidateAppend(&long_string);
  EXPECT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_NE(st.message().find("at /s: string longer than 8 bytes"), std::string::npos)
      << st.message();
  auto long_plain = Append("acme/o/1", {{"Q", R"({"s":"aaaaaaaaaaaa"})"}});
  EXPECT_TRUE(r.ValidateAppend(&long_plain).ok());
  auto deep = Append("acme/o/1", {{"Q", R"({"a":{"b":{"c":{"d":1}}}})"}});
  st = r.ValidateAppend(&deep);
  EXPECT_EQ(st.code(), StatusCode::kSchema);
  EXPECT_NE(st.message().find("deeper than 4"), std::string::npos) << st.message();
}

// At the default bound, std::regex's recursion must fit in a thread's stack (this runs under
// ASan too, whose frames are larger), with a pattern that backtracks per character.
// Patterns std::regex could take exponential or high polynomial time on are refused at
// registration, naming the rule; ordinary ones pass.
TEST(RegistryTest, RefusesPatternsThatBacktrackWithoutBound) {
  for (const char* ok : {"^[a-z]+@[a-z]+\\.[a-z]{2,6}$", "^\\d{4}-\\d{2}-\\d{2}$", "^(foo|bar)$",
                         "(ab)*c", "^[*+?{]+$", "a+?b*?", "^(?:ab)+$", "^(a|b|[cd]|\\.)*c?$",
                         "x{1000}", "\\(a+\\)+", "(a+)?", "a\\{2,\\}*", "(a)\\1", "\\0"}) {
    EXPECT_TRUE(CheckPattern(ok).ok()) << ok << ": " << CheckPattern(ok).ToString();
  }
  const std::pair<const char*, const char*> bad[] = {
      {"^x.*****$", "a quantifier follows a quantifier"},
      {"a*+", "a quantifier follows a quantifier"},
      {"a{2}*", "a quantifier follows a quantifier"},
      {"a*?+", "a quantifier follows a quantifier"},
      {"(a+)+$", "a repeated group holds a quantifier or an alternation of more"},
      {"^(a|aa)*$", "a repeated group holds a quantifier or an alternation of more"},
      {"((ab)*c)*", "a repeated group holds a quantifier or an alternation of more"},
      {"(?:a*b){2,5}", "a repeated group holds a quantifier or an alternation of more"},
      {"(foo|bar)+", "a repeated group holds a quantifier or an alternation of more"},
      {".*.*.*.*x", "more than 3 repetitions with a choice"},
      {"a{1,2}b{0,9}c+d*", "more than 3 repetitions with a choice"},
      {"a{1001}", "a count over 1,000"},
      {"a{3,2}", "out of order"},
      {"(ab", "not a valid regular expression"},
      {"ab)", "unbalanced parentheses"},
      {"(a)\\8888888888888888888", "a backreference number over 99"},
      {"[\\123456]", "a backreference number over 99"},
      {"a{88888888888888888888}", "a malformed count"},
      {"a{1,88888888888888888888}", "a malformed count"},
  };
  for (const auto& [pattern, rule] : bad) {
    Status st = CheckPattern(pattern);
    EXPECT_EQ(st.code(), StatusCode::kInvalid) << pattern;
    EXPECT_NE(st.message().find(rule), std::string::npos) << pattern << ": " << st.message();
  }
  EXPECT_EQ(CheckPattern(std::string(257, 'a')).code(), StatusCode::kInvalid);
  // At registration, in `pattern` and in `patternProperties` names, at any depth.
  Registry r({}, {});
  auto st = r.Prepare(
      Def("acme", "Order", {1, 0, 0}, R"({"properties":{"s":{"items":{"pattern":"^x.*****$"}}}})"));
  EXPECT_EQ(st.status().code(), StatusCode::kInvalid);
  EXPECT_NE(st.status().message().find("a quantifier follows a quantifier"), std::string::npos);
  st = r.Prepare(Def("acme", "Order", {1, 0, 0}, R"({"patternProperties":{"(a+)+":{}}})"));
  EXPECT_EQ(st.status().code(), StatusCode::kInvalid);
  EXPECT_TRUE(
      r.Prepare(Def("acme", "Order", {1, 0, 0}, R"({"properties":{"pattern":{"type":"string"}}})"))
          .ok());
}

TEST(RegistryTest, RegexAtTheDefaultBoundFitsTheStack) {
  Registry r({}, {});
  ASSERT_TRUE(Register(r, Def("acme", "P", {1, 0, 0},
                              R"({"properties":{"s":{"type":"string","pattern":"^(a|b)*c?$"},)"
                              R"("d":{"type":"string","format":"date-time"}}})"))
                  .ok());
  const size_t n = RegistryLimits{}.max_regex_checked_bytes;
  auto at_bound = Append("acme/o/1", {{"P", R"({"s":")" + std::string(n, 'a') + R"("})"}});
  Status st = r.ValidateAppend(&at_bound);
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto date = Append("acme/o/1", {{"P", R"({"d":")" + std::string(n, '1') + R"("})"}});
  EXPECT_EQ(r.ValidateAppend(&date).code(), StatusCode::kSchema);
  auto over = Append("acme/o/1", {{"P", R"({"s":")" + std::string(n + 1, 'a') + R"("})"}});
  EXPECT_EQ(r.ValidateAppend(&over).code(), StatusCode::kSchema);
}

}  // namespace
}  // namespace cairn::schema
