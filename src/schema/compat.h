#pragma once
// The backward-compatibility rules between two versions of one MAJOR, checked structurally
// over the two schemas' JSON (docs/internals/schemas.md gives each rule exactly). Pure
// functions, any thread.

#include <string>
#include <vector>

#include "schema/rapidjson.h"

namespace cairn::schema {

// Rule ids, as they appear in SCHEMA messages.
inline constexpr const char* kRuleRequiredAdded = "required-added";
inline constexpr const char* kRulePropertyRemoved = "property-removed";
inline constexpr const char* kRuleTypeNarrowed = "type-narrowed";
inline constexpr const char* kRuleAdditionalTightened = "additional-properties-tightened";
inline constexpr const char* kRuleEnumValueRemoved = "enum-value-removed";
inline constexpr const char* kRuleUncheckedChanged = "unchecked-keyword-changed";

struct Violation {
  const char* rule = "";
  std::string pointer;  // JSON pointer into the schemas, e.g. /properties/items/items
  std::string detail;
};

// Violations of `newer` against `older` (the previous version of the same MAJOR); empty when
// `newer` accepts every event `older` accepts as far as the rules can tell. At most
// `max_violations` are reported.
std::vector<Violation> CheckCompatible(const rapidjson::Value& older, const rapidjson::Value& newer,
                                       size_t max_violations = 16);

// "rule at pointer (detail)".
std::string FormatViolation(const Violation& v);

// Escapes one JSON pointer token (RFC 6901: ~ as ~0, / as ~1).
std::string PointerToken(std::string_view s);

}  // namespace cairn::schema
