#include "schema/compat.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string_view>

namespace cairn::schema {
namespace {

using rapidjson::Value;

// Keywords whose effect the rules do not model: between versions they must stay the same
// (deep-equal, or both absent), which is the conservative choice.
constexpr const char* kUnchecked[] = {"$ref",
                                      "allOf",
                                      "anyOf",
                                      "oneOf",
                                      "not",
                                      "if",
                                      "then",
                                      "else",
                                      "definitions",
                                      "$defs",
                                      "const",
                                      "contains",
                                      "propertyNames",
                                      "patternProperties",
                                      "dependencies",
                                      "additionalItems",
                                      "dependentSchemas",
                                      "dependentRequired"};

std::string Compact(const Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  std::string s(b.GetString(), b.GetSize());
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return s;
}

const Value* Member(const Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// A schema that accepts everything: absent, true or {}.
bool IsOpen(const Value* v) {
  return v == nullptr || (v->IsBool() && v->GetBool()) || (v->IsObject() && v->ObjectEmpty());
}

bool HasString(const Value* arr, std::string_view s) {
  if (arr == nullptr || !arr->IsArray()) return false;
  for (const Value& x : arr->GetArray()) {
    if (x.IsString() && std::string_view(x.GetString(), x.GetStringLength()) == s) return true;
  }
  return false;
}

class Checker {
 public:
  Checker(std::vector<Violation>* out, size_t max) : out_(out), max_(max) {}

  void Compare(const Value& o, const Value& n, const std::string& at) {
    if (full() || o == n) return;
    if (!o.IsObject() || !n.IsObject()) return CompareNonObjects(o, n, at);
    for (const char* k : kUnchecked) {
      const Value* a = Member(o, k);
      const Value* b = Member(n, k);
      if ((a == nullptr) != (b == nullptr) || (a != nullptr && *a != *b)) {
        Add(kRuleUncheckedChanged, at + "/" + PointerToken(k),
            std::string("'") + k + "' differs; the rules cannot check it, so it may not change");
      }
    }
    CompareTypes(o, n, at);
    CompareEnums(o, n, at);
    CompareRequired(o, n, at);
    CompareProperties(o, n, at);
    CompareAdditional(o, n, at);
    CompareItems(o, n, at);
  }

 private:
  bool full() const { return out_->size() >= max_; }
  void Add(const char* rule, std::string at, std::string detail) {
    if (!full()) out_->push_back(Violation{rule, std::move(at), std::move(detail)});
  }

  // Boolean schemas (draft 6+): false accepts nothing, true everything.
  void CompareNonObjects(const Value& o, const Value& n, const std::string& at) {
    if ((o.IsBool() && !o.GetBool()) || IsOpen(&n)) return;
    if (IsOpen(&o)) {
      Add(kRuleTypeNarrowed, at, "a schema that accepted anything now constrains the value");
      return;
    }
    Add(kRuleUncheckedChanged, at, "schema changed from " + Compact(o) + " to " + Compact(n));
  }

  void CompareTypes(const Value& o, const Value& n, const std::string& at) {
    const Value* ot = Member(o, "type");
    const Value* nt = Member(n, "type");
    if (nt == nullptr) return;  // any type now: wider or equal
    auto allows = [nt](std::string_view t) {
      if (nt->IsString()) return std::string_view(nt->GetString()) == t;
      return HasString(nt, t);
    };
    if (ot == nullptr) {
      Add(kRuleTypeNarrowed, at + "/type", "type constraint " + Compact(*nt) + " added");
      return;
    }
    auto check = [&](const Value& t) {
      if (!t.IsString()) return;
      std::string_view name(t.GetString(), t.GetStringLength());
      if (allows(name) || (name == "integer" && allows("number"))) return;
      Add(kRuleTypeNarrowed, at + "/type", "type '" + std::string(name) + "' no longer allowed");
    };
    if (ot->IsString()) {
      check(*ot);
    } else if (ot->IsArray()) {
      for (const Value& t : ot->GetArray()) check(t);
    }
  }

  void CompareEnums(const Value& o, const Value& n, const std::string& at) {
    const Value* oe = Member(o, "enum");
    const Value* ne = Member(n, "enum");
    if (ne == nullptr || !ne->IsArray()) return;
    if (oe == nullptr || !oe->IsArray()) {
      Add(kRuleEnumValueRemoved, at + "/enum", "enum added where any value was allowed");
      return;
    }
    for (const Value& v : oe->GetArray()) {
      bool kept = false;
      for (const Value& w : ne->GetArray()) kept = kept || v == w;
      if (!kept) Add(kRuleEnumValueRemoved, at + "/enum", "value " + Compact(v) + " removed");
    }
  }

  void CompareRequired(const Value& o, const Value& n, const std::string& at) {
    const Value* nr = Member(n, "required");
    if (nr == nullptr || !nr->IsArray()) return;
    const Value* orq = Member(o, "required");
    for (const Value& r : nr->GetArray()) {
      if (!r.IsString()) continue;
      std::string_view name(r.GetString(), r.GetStringLength());
      if (HasString(orq, name)) continue;
      Add(kRuleRequiredAdded, at + "/properties/" + PointerToken(name),
          "property '" + std::string(name) + "' is required now");
    }
  }

  void CompareProperties(const Value& o, const Value& n, const std::string& at) {
    const Value* op = Member(o, "properties");
    const Value* np = Member(n, "properties");
    if (op == nullptr || !op->IsObject()) return;
    for (const auto& m : op->GetObject()) {
      std::string_view name(m.name.GetString(), m.name.GetStringLength());
      std::string here = at + "/properties/" + PointerToken(name);
      const Value* nv = np != nullptr && np->IsObject() ? Member(*np, m.name.GetString()) : nullptr;
      if (nv == nullptr) {
        Add(kRulePropertyRemoved, here, "property '" + std::string(name) + "' removed");
      } else {
        Compare(m.value, *nv, here);
      }
    }
  }

  void CompareAdditional(const Value& o, const Value& n, const std::string& at) {
    const Value* oa = Member(o, "additionalProperties");
    const Value* na = Member(n, "additionalProperties");
    if (IsOpen(na) || (oa != nullptr && oa->IsBool() && !oa->GetBool())) return;
    const std::string here = at + "/additionalProperties";
    if (IsOpen(oa)) {
      Add(kRuleAdditionalTightened, here,
          "additional properties were allowed, now " +
              std::string(na->IsBool() ? "refused" : "constrained"));
      return;
    }
    if (na->IsBool()) {
      Add(kRuleAdditionalTightened, here, "additional properties are refused now");
      return;
    }
    Compare(*oa, *na, here);
  }

  void CompareItems(const Value& o, const Value& n, const std::string& at) {
    const Value* oi = Member(o, "items");
    const Value* ni = Member(n, "items");
    if (ni == nullptr) return;
    const std::string here = at + "/items";
    if ((oi != nullptr && oi->IsArray()) || ni->IsArray()) {
      if (oi == nullptr || *oi != *ni) {
        Add(kRuleUncheckedChanged, here, "tuple 'items' may not change");
      }
      return;
    }
    static const Value kEmpty(rapidjson::kObjectType);
    Compare(oi != nullptr ? *oi : kEmpty, *ni, here);
  }

  std::vector<Violation>* out_;
  size_t max_;
};

}  // namespace

std::string PointerToken(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<Violation> CheckCompatible(const rapidjson::Value& older, const rapidjson::Value& newer,
                                       size_t max_violations) {
  std::vector<Violation> out;
  Checker(&out, max_violations).Compare(older, newer, "");
  return out;
}

std::string FormatViolation(const Violation& v) {
  return std::string(v.rule) + " at " + (v.pointer.empty() ? "\"\" (the root)" : v.pointer) + " (" +
         v.detail + ")";
}

}  // namespace cairn::schema
