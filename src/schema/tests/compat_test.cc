#include "schema/compat.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::schema {
namespace {

std::vector<Violation> Check(const std::string& older, const std::string& newer) {
  rapidjson::Document a, b;
  a.Parse(older.c_str());
  b.Parse(newer.c_str());
  EXPECT_FALSE(a.HasParseError()) << older;
  EXPECT_FALSE(b.HasParseError()) << newer;
  return CheckCompatible(a, b);
}

void ExpectOk(const std::string& older, const std::string& newer) {
  auto v = Check(older, newer);
  EXPECT_TRUE(v.empty()) << older << " -> " << newer << ": "
                         << (v.empty() ? "" : FormatViolation(v[0]));
}

void ExpectViolation(const std::string& older, const std::string& newer, const char* rule,
                     const std::string& pointer) {
  auto v = Check(older, newer);
  ASSERT_FALSE(v.empty()) << older << " -> " << newer;
  EXPECT_STREQ(v[0].rule, rule) << FormatViolation(v[0]);
  EXPECT_EQ(v[0].pointer, pointer) << FormatViolation(v[0]);
}

const std::string kOrder =
    R"({"type":"object","required":["id"],"properties":{"id":{"type":"string"},)"
    R"("qty":{"type":"integer"},"lines":{"type":"array","items":{"type":"object",)"
    R"("properties":{"sku":{"type":"string","enum":["a","b"]}}}}}})";

TEST(CompatTest, IdenticalAndWideningChangesPass) {
  ExpectOk(kOrder, kOrder);
  // New optional property, a required one dropped, integer -> number, a type list widened,
  // an enum value added, additionalProperties loosened, a constraint removed.
  ExpectOk(R"({"type":"object","properties":{"a":{"type":"integer"}}})",
           R"({"type":"object","properties":{"a":{"type":"number"},"b":{"type":"string"}}})");
  ExpectOk(R"({"required":["a","b"],"properties":{"a":{},"b":{}}})",
           R"({"required":["a"],"properties":{"a":{},"b":{}}})");
  ExpectOk(R"({"properties":{"a":{"type":"string"}}})",
           R"({"properties":{"a":{"type":["string","null"]}}})");
  ExpectOk(R"({"properties":{"a":{"type":"string"}}})", R"({"properties":{"a":{}}})");
  ExpectOk(R"({"properties":{"a":{"enum":["x"]}}})", R"({"properties":{"a":{"enum":["x","y"]}}})");
  ExpectOk(R"({"properties":{"a":{"enum":["x"]}}})", R"({"properties":{"a":{}}})");
  ExpectOk(R"({"additionalProperties":false})", R"({"additionalProperties":true})");
  ExpectOk(R"({"additionalProperties":false})", R"({"additionalProperties":{"type":"string"}})");
  ExpectOk(R"({"additionalProperties":{"type":"string"}})", R"({})");
  ExpectOk(R"({"additionalProperties":{"type":"integer"}})",
           R"({"additionalProperties":{"type":"number"}})");
  ExpectOk(R"({"items":{"type":"integer"}})", R"({})");
  ExpectOk(R"({"properties":{"a":false}})", R"({"properties":{"a":{"type":"string"}}})");
  ExpectOk(R"({"properties":{"a":{"type":"string"}}})", R"({"properties":{"a":true}})");
}

TEST(CompatTest, RuleA_NoNewRequiredProperty) {
  ExpectViolation(R"({"properties":{"a":{}}})", R"({"required":["a"],"properties":{"a":{}}})",
                  kRuleRequiredAdded, "/properties/a");
  ExpectViolation(
      kOrder,
      R"({"type":"object","required":["id","qty"],"properties":{"id":{"type":"string"},)"
      R"("qty":{"type":"integer"},"lines":{"type":"array","items":{"type":"object",)"
      R"("properties":{"sku":{"type":"string","enum":["a","b"]}}}}}})",
      kRuleRequiredAdded, "/properties/qty");
  // Nested: inside the items of an array property.
  ExpectViolation(R"({"properties":{"l":{"items":{"properties":{"s":{}}}}}})",
                  R"({"properties":{"l":{"items":{"required":["s"],"properties":{"s":{}}}}}})",
                  kRuleRequiredAdded, "/properties/l/items/properties/s");
}

TEST(CompatTest, RuleB_NoPropertyRemoved) {
  ExpectViolation(R"({"properties":{"a":{},"b":{}}})", R"({"properties":{"a":{}}})",
                  kRulePropertyRemoved, "/properties/b");
  ExpectViolation(R"({"properties":{"o":{"properties":{"x/y":{}}}}})",
                  R"({"properties":{"o":{"properties":{}}}})", kRulePropertyRemoved,
                  "/properties/o/properties/x~1y");
}

TEST(CompatTest, RuleC_NoTypeNarrowed) {
  ExpectViolation(R"({"properties":{"a":{"type":"number"}}})",
                  R"({"properties":{"a":{"type":"integer"}}})", kRuleTypeNarrowed,
                  "/properties/a/type");
  ExpectViolation(R"({"properties":{"a":{"type":["string","null"]}}})",
                  R"({"properties":{"a":{"type":"string"}}})", kRuleTypeNarrowed,
                  "/properties/a/type");
  ExpectViolation(R"({"properties":{"a":{}}})", R"({"properties":{"a":{"type":"string"}}})",
                  kRuleTypeNarrowed, "/properties/a/type");
  ExpectViolation(R"({"items":{"type":"string"}})", R"({"items":{"type":"boolean"}})",
                  kRuleTypeNarrowed, "/items/type");
  ExpectViolation(R"({})", R"({"items":{"type":"string"}})", kRuleTypeNarrowed, "/items/type");
  ExpectViolation(R"({"properties":{"a":true}})", R"({"properties":{"a":false}})",
                  kRuleTypeNarrowed, "/properties/a");
}

TEST(CompatTest, RuleD_AdditionalPropertiesNotTightened) {
  ExpectViolation(R"({})", R"({"additionalProperties":false})", kRuleAdditionalTightened,
                  "/additionalProperties");
  ExpectViolation(R"({"additionalProperties":true})",
                  R"({"additionalProperties":{"type":"string"}})", kRuleAdditionalTightened,
                  "/additionalProperties");
  ExpectViolation(R"({"additionalProperties":{"type":"string"}})",
                  R"({"additionalProperties":false})", kRuleAdditionalTightened,
                  "/additionalProperties");
  ExpectViolation(R"({"additionalProperties":{"type":"number"}})",
                  R"({"additionalProperties":{"type":"integer"}})", kRuleTypeNarrowed,
                  "/additionalProperties/type");
  ExpectViolation(R"({"properties":{"o":{"type":"object"}}})",
                  R"({"properties":{"o":{"type":"object","additionalProperties":false}}})",
                  kRuleAdditionalTightened, "/properties/o/additionalProperties");
}

TEST(CompatTest, RuleE_NoEnumValueRemoved) {
  ExpectViolation(R"({"properties":{"a":{"enum":["x","y"]}}})",
                  R"({"properties":{"a":{"enum":["x"]}}})", kRuleEnumValueRemoved,
                  "/properties/a/enum");
  ExpectViolation(R"({"properties":{"a":{"type":"string"}}})",
                  R"({"properties":{"a":{"type":"string","enum":["x"]}}})", kRuleEnumValueRemoved,
                  "/properties/a/enum");
  auto v = Check(R"({"enum":[1,2,3]})", R"({"enum":[1]})");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(FormatViolation(v[0]), "enum-value-removed at /enum (value 2 removed)");
}

TEST(CompatTest, UncheckedKeywordsMustStayTheSame) {
  ExpectOk(R"({"oneOf":[{"type":"string"},{"type":"integer"}]})",
           R"({"oneOf":[{"type":"string"},{"type":"integer"}]})");
  ExpectViolation(R"({"oneOf":[{"type":"string"},{"type":"integer"}]})",
                  R"({"oneOf":[{"type":"string"}]})", kRuleUncheckedChanged, "/oneOf");
  ExpectViolation(R"({"properties":{"a":{"$ref":"#/definitions/x"}}})",
                  R"({"properties":{"a":{"$ref":"#/definitions/y"}}})", kRuleUncheckedChanged,
                  "/properties/a/$ref");
  ExpectViolation(R"({})", R"({"allOf":[{"required":["a"]}]})", kRuleUncheckedChanged, "/allOf");
  ExpectViolation(R"({"items":[{"type":"string"}]})", R"({"items":[{}]})", kRuleUncheckedChanged,
                  "/items");
}

TEST(CompatTest, ReportsEveryViolationUpToTheBound) {
  auto v = Check(R"({"properties":{"a":{},"b":{},"c":{}}})", R"({"properties":{}})");
  EXPECT_EQ(v.size(), 3u);
  rapidjson::Document a, b;
  a.Parse(R"({"properties":{"a":{},"b":{},"c":{}}})");
  b.Parse(R"({})");
  EXPECT_EQ(CheckCompatible(a, b, 2).size(), 2u);
}

}  // namespace
}  // namespace cairn::schema
